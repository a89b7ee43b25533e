// What changed in an artifact since the step's previous attempt: a unified diff, or JSON changes path by path.
import { useQuery } from "@tanstack/react-query";
import { api, ok } from "../../api/client";
import type { ArtifactRead } from "../../api/types";
import { Loading } from "../../lib/controls";

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
      {c.json_changes?.length ? (
        <table className="table compact">
          <tbody>
            {c.json_changes.map((j) => (
              <tr key={j.path}>
                <td>
                  <code>{j.path}</code>
                </td>
                <td>{j.op}</td>
                <td className="diff-before">{JSON.stringify(j.left)}</td>
                <td className="diff-after">{JSON.stringify(j.right)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      ) : c.diff ? (
        <pre className="unified-diff">
          {c.diff.split("\n").map((line, i) => (
            // biome-ignore lint/suspicious/noArrayIndexKey: lines of a diff
            <span key={i} className={line.startsWith("+") ? "add" : line.startsWith("-") ? "del" : ""}>
              {line}
              {"\n"}
            </span>
          ))}
        </pre>
      ) : (
        !c.identical && <p className="muted">{c.kind} files: no text diff; preview both above.</p>
      )}
    </section>
  );
}
