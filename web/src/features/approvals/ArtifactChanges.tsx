// What changed in an artifact since the step's previous attempt: a unified diff, or JSON changes path by path.
import type { ArtifactRead } from "../../api/types";
import { Loading } from "../../lib/controls";
import { ComparisonView } from "../artifacts/ComparisonView";
import { useAttemptComparison } from "../artifacts/queries";

export function ArtifactChanges({
  runId,
  artifact,
  previous,
}: {
  runId: string;
  artifact: ArtifactRead;
  previous: number;
}) {
  const compare = useAttemptComparison(runId, artifact, previous);
  if (compare.isPending) return <Loading label="Comparing…" />;
  const c = compare.data;
  if (!c) return <p className="muted">{compare.error ? "No comparison." : ""}</p>;
  return (
    <section className="artifact-diff" aria-label={`Changes in ${artifact.name} since attempt ${previous}`}>
      <h4>
        {artifact.name}: attempt {previous} → {artifact.attempt}
        {c.identical && <span className="muted"> (identical)</span>}
      </h4>
      <ComparisonView c={c} />
    </section>
  );
}
