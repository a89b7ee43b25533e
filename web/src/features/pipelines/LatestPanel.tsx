// Across-run rollback: which run `runs/latest` points at, pointing it at an earlier succeeded run (operators
// and up, recorded with who and why), and every rollback of the pipeline's runs, newest first.
import { useMutation, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { Link } from "react-router";
import { Empty, ErrorNote, Field, Loading, SubForm, useToast } from "../../lib/controls";
import { when } from "../../lib/format";
import { keys } from "../../lib/queryKeys";
import { useSession } from "../../lib/session";
import { useRuns } from "../runs/queries";
import { pointLatest, useRollbacks } from "./queries";
import { describeRollback } from "./rollbacks";

function runLink(pipeline: string, n: number) {
  return <Link to={`/runs/${encodeURIComponent(`${pipeline}/v${n}`)}`}>v{n}</Link>;
}

export function LatestPanel({ name, latest }: { name: string; latest: number | null | undefined }) {
  const { can } = useSession();
  const toast = useToast();
  const queryClient = useQueryClient();
  const succeeded = useRuns(name, "succeeded", 500);
  const rollbacks = useRollbacks(name);
  const choices = (succeeded.data?.items ?? []).filter((r) => r.number !== latest);
  const [target, setTarget] = useState("");
  const [reason, setReason] = useState("");
  const chosen = target || (choices[0] ? `v${choices[0].number}` : "");
  const point = useMutation({
    mutationFn: () => pointLatest(name, chosen, reason || null),
    onSuccess: (r) => {
      toast(`runs/latest of ${name} now points at ${r.run}`);
      setTarget("");
      setReason("");
      void queryClient.invalidateQueries({ queryKey: keys.pipelines.detail(name) });
      void queryClient.invalidateQueries({ queryKey: keys.pipelines.rollbacks(name) });
    },
  });
  return (
    <section aria-labelledby="latest-title">
      <h2 id="latest-title">Latest run</h2>
      <p data-testid="latest-run">
        <code>runs/latest</code> points at{" "}
        {latest ? runLink(name, latest) : <span className="muted">no succeeded run yet</span>}
      </p>
      {can("operator") && latest != null && (
        <SubForm title="Point latest at another run" onSubmit={() => point.mutate()}>
          {choices.length === 0 ? (
            <p className="muted">No other succeeded run to point at.</p>
          ) : (
            <>
              <div className="row">
                <Field label="Point latest at" hint="a succeeded run; its outputs become what latest serves">
                  {(p) => (
                    <select {...p} value={chosen} onChange={(e) => setTarget(e.target.value)}>
                      {choices.map((r) => (
                        <option key={r.id} value={`v${r.number}`}>
                          v{r.number} · finished {when(r.finished_at)}
                        </option>
                      ))}
                    </select>
                  )}
                </Field>
                <Field label="Reason (optional)">
                  {(p) => (
                    <input {...p} type="text" value={reason} onChange={(e) => setReason(e.target.value)} />
                  )}
                </Field>
              </div>
              <ErrorNote error={point.error} />
              <button type="submit" className="btn btn-primary" disabled={!chosen || point.isPending}>
                Point latest at {chosen}
              </button>
            </>
          )}
        </SubForm>
      )}
      <h2>Rollbacks</h2>
      <ErrorNote error={rollbacks.error} />
      {!rollbacks.data ? (
        <Loading />
      ) : rollbacks.data.length === 0 ? (
        <Empty title="No rollbacks yet." />
      ) : (
        <table className="table" aria-label="Rollbacks">
          <thead>
            <tr>
              <th scope="col">When</th>
              <th scope="col">Kind</th>
              <th scope="col">What</th>
              <th scope="col">By</th>
              <th scope="col">Reason</th>
              <th scope="col">Archived in</th>
            </tr>
          </thead>
          <tbody>
            {rollbacks.data.map((r) => (
              <tr key={r.id}>
                <td className="small">{when(r.at)}</td>
                <td>{r.kind === "latest" ? "latest run" : "within a run"}</td>
                <td>
                  <Link to={`/runs/${r.run_id}`}>{describeRollback(r)}</Link>
                </td>
                <td>{r.by ?? "—"}</td>
                <td>{r.reason ?? "—"}</td>
                <td className="small">{r.folder ? <code>{r.folder}</code> : "—"}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}
