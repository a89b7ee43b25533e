// Two versions side by side: the graph of the newer one coloured by change (removed nodes shown too),
// and for each changed node the fields that differ.
import { useCallback, useMemo } from "react";
import { Link, useParams, useSearchParams } from "react-router";
import type { PipelineSpec } from "../../api/types";
import { GraphView } from "../../canvas/GraphView";
import { type Draft, diffDefinitions, fromSpec, type NodeData, summarize } from "../../canvas/model";
import { ErrorNote, Loading } from "../../lib/controls";
import { DiffTable } from "./DiffTable";
import { useKinds, useVersion } from "./queries";

export function DiffPage() {
  const { name = "" } = useParams();
  const [params] = useSearchParams();
  const from = Number(params.get("from"));
  const to = Number(params.get("to"));
  const a = useVersion(name, from);
  const b = useVersion(name, to);
  const kinds = useKinds();
  const before = useMemo(() => (a.data ? fromSpec(a.data.definition as PipelineSpec) : null), [a.data]);
  const after = useMemo(() => (b.data ? fromSpec(b.data.definition as PipelineSpec) : null), [b.data]);
  const diff = useMemo(() => (before && after ? diffDefinitions(before, after) : null), [before, after]);
  // the union graph: the new version plus the nodes and edges only the old one had
  const union: Draft | null = useMemo(() => {
    if (!before || !after || !diff) return null;
    const removed = before.nodes.filter((n) =>
      diff.nodes.some((d) => d.id === n.id && d.change === "removed"),
    );
    const gone = diff.edges.filter((e) => e.change === "removed").map((e) => e.edge);
    return {
      ...after,
      nodes: [...after.nodes, ...removed].map(({ position: _p, ...n }) => n),
      edges: [...after.edges, ...gone],
    };
  }, [before, after, diff]);
  const extra = useCallback(
    (id: string): Partial<NodeData> | undefined => {
      const change = diff?.nodes.find((n) => n.id === id)?.change;
      return change && change !== "same" ? { diff: change } : undefined;
    },
    [diff],
  );
  const edgeClass = useCallback(
    (key: string) => {
      const e = diff?.edges.find((d) => d.key.startsWith(`${key}|`));
      return e && e.change !== "same" ? `edge-${e.change}` : "";
    },
    [diff],
  );
  if (a.error || b.error) return <ErrorNote error={a.error ?? b.error} />;
  if (!diff || !union) return <Loading />;
  return (
    <main className="page" aria-labelledby="diff-title">
      <p className="crumbs">
        <Link to="/pipelines">Pipelines</Link> / <Link to={`/pipelines/${name}?tab=versions`}>{name}</Link> /
      </p>
      <h1 id="diff-title">
        v{from} → v{to}
      </h1>
      <p className="lead">{summarize(diff)}</p>
      <p className="legend">
        <span className="swatch diff-added">added</span> <span className="swatch diff-changed">changed</span>{" "}
        <span className="swatch diff-removed">removed</span>
      </p>
      <GraphView
        draft={union}
        kinds={kinds}
        extra={extra}
        edgeClass={edgeClass}
        label={`Changes from v${from} to v${to}`}
      />
      <DiffTable diff={diff} />
    </main>
  );
}
