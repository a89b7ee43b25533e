// What changed in an artifact since the step's previous attempt: a unified diff, or JSON changes path by path.
import { useQuery } from "@tanstack/react-query";
import { api, ok } from "../../api/client";
import type { ArtifactRead } from "../../api/types";
import { Loading } from "../../lib/controls";
import { ComparisonView } from "../artifacts/ComparisonView";

export function ArtifactChanges({
  runId,
  artifact,
  previous,
}: {
  runId: string;
  artifact: ArtifactRead;
  previous: number;
}) {
  const compare = useQuery({
    queryKey: ["artifact-compare", runId, artifact.step_key, artifact.name, previous, artifact.attempt],
    staleTime: Number.POSITIVE_INFINITY,
    queryFn: () =>
      ok(
        api.GET("/api/v1/runs/{run}/steps/{step}/compare", {
          params: {
            path: { run: runId, step: artifact.step_key },
            query: { name: artifact.name, attempt: previous, other_attempt: artifact.attempt },
          },
        }),
      ),
  });
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
