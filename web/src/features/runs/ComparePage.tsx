// Two runs side by side: input, output, and per node the status, time and output of each, differences marked;
// when the runs are pinned to different versions, what changed in the definition.
import { useMemo } from "react";
import { Link, useSearchParams } from "react-router";
import type { PipelineSpec, StepStatus } from "../../api/types";
import { diffDefinitions, diffValues, fromSpec, type Json, summarize } from "../../canvas/model";
import { ErrorNote, JsonView, Loading, StatusBadge } from "../../lib/controls";
import { duration } from "../../lib/format";
import { RunArtifactsCompare } from "../artifacts/RunArtifactsCompare";
import { DiffTable } from "../pipelines/DiffTable";
import { useVersion } from "../pipelines/queries";
import { useRunDetail } from "./queries";

function attempts(n: number | undefined): string {
  return `${n ?? 0} attempt${n === 1 ? "" : "s"}`;
}

export function ComparePage() {
  const [params] = useSearchParams();
  const a = useRunDetail(params.get("a"));
  const b = useRunDetail(params.get("b"));
  // older → newer whatever the URL's order: the heading, the columns and the definition diff all read so
  const [older, newer] = a.data && b.data && b.data.number < a.data.number ? [b, a] : [a, b];
  const va = useVersion(older.data?.pipeline, older.data?.version);
  const vb = useVersion(newer.data?.pipeline, newer.data?.version);
  const definitionDiff = useMemo(
    () =>
      va.data && vb.data && va.data.number !== vb.data.number
        ? diffDefinitions(
            fromSpec(va.data.definition as PipelineSpec),
            fromSpec(vb.data.definition as PipelineSpec),
          )
        : null,
    [va.data, vb.data],
  );
  if (a.error || b.error) return <ErrorNote error={a.error ?? b.error} />;
  if (!a.data || !b.data) return <Loading />;
  if (a.data.pipeline !== b.data.pipeline) {
    return (
      <main className="page" aria-labelledby="compare-title">
        <p className="crumbs">
          <Link to="/runs">Runs</Link> /
        </p>
        <h1 id="compare-title">These runs cannot be compared</h1>
        <p className="error-note" role="alert">
          <Link to={`/runs/${a.data.id}`}>{a.data.ref}</Link> and{" "}
          <Link to={`/runs/${b.data.id}`}>{b.data.ref}</Link> are runs of two different pipelines. Compare two
          runs of one pipeline: pick them in its run list.
        </p>
      </main>
    );
  }
  const [x, y] = [older.data, newer.data] as [typeof a.data, typeof b.data];
  const steps = (r: typeof x) =>
    new Map(r.steps.filter((s) => s.item_index == null).map((s) => [s.node_id, s]));
  const sx = steps(x);
  const sy = steps(y);
  const nodes = [...new Set([...sx.keys(), ...sy.keys()])];
  const inputChanges = diffValues(x.input as Json, y.input as Json);
  const outputChanges = diffValues(x.output as Json, y.output as Json);
  return (
    <main className="page" aria-labelledby="compare-title">
      <p className="crumbs">
        <Link to="/runs">Runs</Link> /
      </p>
      <h1 id="compare-title">
        <Link to={`/runs/${x.id}`}>{x.ref}</Link> vs <Link to={`/runs/${y.id}`}>{y.ref}</Link>
      </h1>
      <table className="table compare">
        <thead>
          <tr>
            <th scope="col" />
            <th scope="col">{x.ref}</th>
            <th scope="col">{y.ref}</th>
          </tr>
        </thead>
        <tbody>
          <tr>
            <th scope="row">Status</th>
            <td>
              <StatusBadge status={x.status} />
            </td>
            <td>
              <StatusBadge status={y.status} />
            </td>
          </tr>
          <tr>
            <th scope="row">Pipeline version</th>
            <td>v{x.version}</td>
            <td className={x.version !== y.version ? "changed" : ""}>v{y.version}</td>
          </tr>
          <tr>
            <th scope="row">Took</th>
            <td>{duration(x.duration)}</td>
            <td>{duration(y.duration)}</td>
          </tr>
          <tr>
            <th scope="row">Input {inputChanges.length ? `(${inputChanges.length} differ)` : "(same)"}</th>
            <td>
              <JsonView value={x.input} label="input" />
            </td>
            <td className={inputChanges.length ? "changed" : ""}>
              <JsonView value={y.input} label="input" />
            </td>
          </tr>
          <tr>
            <th scope="row">Output {outputChanges.length ? `(${outputChanges.length} differ)` : "(same)"}</th>
            <td>
              <JsonView value={x.output} label="output" />
            </td>
            <td className={outputChanges.length ? "changed" : ""}>
              <JsonView value={y.output} label="output" />
            </td>
          </tr>
        </tbody>
      </table>
      <h2>Steps</h2>
      <table className="table compare">
        <thead>
          <tr>
            <th scope="col">Node</th>
            <th scope="col">{x.ref}</th>
            <th scope="col">{y.ref}</th>
            <th scope="col">Output</th>
          </tr>
        </thead>
        <tbody>
          {nodes.map((n) => {
            const p = sx.get(n);
            const q = sy.get(n);
            const same = JSON.stringify(p?.output) === JSON.stringify(q?.output);
            return (
              <tr key={n}>
                <th scope="row">{n}</th>
                <td>
                  <StatusBadge status={(p?.status as StepStatus | undefined) ?? "—"} />{" "}
                  {duration(p?.duration)} · {attempts(p?.attempt)}
                </td>
                <td>
                  <StatusBadge status={(q?.status as StepStatus | undefined) ?? "—"} />{" "}
                  {duration(q?.duration)} · {attempts(q?.attempt)}
                </td>
                <td className={same ? "" : "changed"}>
                  {same ? (
                    "same"
                  ) : (
                    <details>
                      <summary>differs</summary>
                      <JsonView value={p?.output} label={`output of ${n} in ${x.ref}`} />
                      <JsonView value={q?.output} label={`output of ${n} in ${y.ref}`} />
                    </details>
                  )}
                </td>
              </tr>
            );
          })}
        </tbody>
      </table>
      <h2>Artifacts</h2>
      <RunArtifactsCompare ids={[x.id, y.id]} refs={[x.ref, y.ref]} />
      {definitionDiff && (
        <>
          <h2>
            Definition: v{x.version} → v{y.version}
          </h2>
          <p>{summarize(definitionDiff)}</p>
          <DiffTable diff={definitionDiff} />
        </>
      )}
    </main>
  );
}
