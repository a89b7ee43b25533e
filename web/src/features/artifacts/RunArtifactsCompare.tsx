// The files of two runs: which each wrote, which are the same, and for a file both wrote a diff on demand
// (text: unified diff; JSON: what changed, path by path), made by the server's compare endpoint.
import { useState } from "react";
import type { ArtifactRead } from "../../api/types";
import { Button, Empty, ErrorNote, Loading } from "../../lib/controls";
import { bytes } from "../../lib/format";
import { useArtifacts } from "../runs/queries";
import { ComparisonView } from "./ComparisonView";
import { type ArtifactPair, pairArtifacts } from "./pairs";
import { useArtifactComparison } from "./queries";

function Comparison({
  left,
  right,
  sides,
  label,
}: {
  left: ArtifactRead;
  right: ArtifactRead;
  sides: readonly [string, string];
  label: string;
}) {
  const compare = useArtifactComparison(left, right);
  if (compare.error) return <ErrorNote error={compare.error} />;
  if (!compare.data) return <Loading label="Comparing…" />;
  return (
    <section className="artifact-diff" aria-label={label}>
      <ComparisonView c={compare.data} sides={sides} />
    </section>
  );
}

function side(a: ArtifactRead | null) {
  return a ? `${bytes(a.size)}${a.attempt > 1 ? ` · attempt ${a.attempt}` : ""}` : "—";
}

function PairRow({ pair, refs }: { pair: ArtifactPair; refs: [string, string] }) {
  const [open, setOpen] = useState(false);
  const path = `${pair.step_key}/${pair.name}`;
  const { left, right } = pair;
  return (
    <>
      <tr>
        <th scope="row">
          <code>{path}</code>
        </th>
        <td>{side(left)}</td>
        <td className={pair.same ? "" : "changed"}>{side(right)}</td>
        <td>
          {pair.same ? (
            "same"
          ) : left && right ? (
            <Button aria-expanded={open} onClick={() => setOpen(!open)} aria-label={`Compare ${path}`}>
              {open ? "Hide changes" : "Compare"}
            </Button>
          ) : (
            `only in ${left ? refs[0] : refs[1]}`
          )}
        </td>
      </tr>
      {open && left && right && (
        <tr>
          <td colSpan={4}>
            <Comparison
              left={left}
              right={right}
              sides={refs}
              label={`Changes in ${path}: ${refs[0]} → ${refs[1]}`}
            />
          </td>
        </tr>
      )}
    </>
  );
}

export function RunArtifactsCompare({ ids, refs }: { ids: [string, string]; refs: [string, string] }) {
  const a = useArtifacts(ids[0]);
  const b = useArtifacts(ids[1]);
  if (a.error || b.error) return <ErrorNote error={a.error ?? b.error} />;
  if (!a.data || !b.data) return <Loading />;
  const pairs = pairArtifacts(a.data, b.data);
  if (pairs.length === 0) return <Empty title="Neither run wrote a file." />;
  return (
    <table className="table compare" aria-label="Artifacts of both runs">
      <thead>
        <tr>
          <th scope="col">File</th>
          <th scope="col">{refs[0]}</th>
          <th scope="col">{refs[1]}</th>
          <th scope="col">Content</th>
        </tr>
      </thead>
      <tbody>
        {pairs.map((p) => (
          <PairRow key={`${p.step_key}/${p.name}`} pair={p} refs={refs} />
        ))}
      </tbody>
    </table>
  );
}
