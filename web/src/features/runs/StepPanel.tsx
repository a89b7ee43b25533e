// One step: status, output, error, the node's inputs as defined, each attempt's log, its artifacts; retry.
import { useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { Link } from "react-router";
import type { DraftNode, KindNeeds } from "../../canvas/model";
import { Button, ErrorNote, JsonView, Loading, StatusBadge, TabPanel, Tabs } from "../../lib/controls";
import { duration, when } from "../../lib/format";
import type { LiveAttempt } from "../../lib/live";
import { keys } from "../../lib/queryKeys";
import { useSession } from "../../lib/session";
import { ArtifactList } from "../artifacts/ArtifactList";
import { ChildRunLink } from "./ChildRunLink";
import { Conversation } from "./Conversation";
import { ErrorDetails } from "./ErrorDetails";
import { retryStep, rollbackRun, useArtifacts, useLogs, useStep, useStepTask } from "./queries";

function Logs({
  runId,
  stepKey,
  attempts,
  live,
}: {
  runId: string;
  stepKey: string;
  attempts: number;
  live: boolean;
}) {
  const [attempt, setAttempt] = useState(attempts);
  const shown = Math.min(attempt, attempts) || attempts;
  const logs = useLogs(runId, stepKey, shown, live && shown === attempts);
  return (
    <div>
      {attempts > 1 && (
        <label>
          Attempt{" "}
          <select value={shown} onChange={(e) => setAttempt(Number(e.target.value))}>
            {Array.from({ length: attempts }, (_, i) => i + 1).map((n) => (
              <option key={n}>{n}</option>
            ))}
          </select>
        </label>
      )}
      {logs.isPending ? (
        <Loading />
      ) : (
        <JsonView value={logs.data || "(no output)"} label={`log of attempt ${shown}`} />
      )}
    </div>
  );
}

export function StepPanel({
  runId,
  stepKey,
  live,
  node,
  needs,
  runOpen,
  onClose,
}: {
  runId: string;
  stepKey: string;
  live?: LiveAttempt | undefined;
  node: DraftNode | undefined;
  needs: KindNeeds; // its kind's: a kind that uses models has a conversation
  runOpen: boolean;
  onClose: () => void;
}) {
  const step = useStep(runId, stepKey);
  const artifacts = useArtifacts(runId, stepKey);
  const [tab, setTab] = useState("output");
  const { can } = useSession();
  const queryClient = useQueryClient();
  const [error, setError] = useState<unknown>(null);
  const s = step.data;
  // the task this step waits on (the step read does not always carry it: ask the inbox, any assignee)
  const tasks = useStepTask(runId, stepKey, s);
  const waiting = s?.open_task ?? tasks.data?.items[0]?.id;
  const rollback = async () => {
    const reason = window.prompt(
      `Roll back to ${stepKey}? Its results and everything downstream are archived (kept) and run again. Reason:`,
      "",
    );
    if (reason === null) return;
    setError(null);
    try {
      await rollbackRun(runId, stepKey, reason || null);
      await queryClient.invalidateQueries({ queryKey: keys.runs.one(runId) });
    } catch (e) {
      setError(e);
    }
  };
  const retry = async () => {
    setError(null);
    try {
      await retryStep(runId, stepKey);
      await queryClient.invalidateQueries({ queryKey: keys.runs.one(runId) });
    } catch (e) {
      setError(e);
    }
  };
  return (
    <aside className="step-panel" aria-labelledby="step-title">
      <header className="inspector-head">
        <div>
          <h2 id="step-title">{stepKey}</h2>
          {s && (
            <p className="muted small">
              <StatusBadge status={s.status} />
              {s.attempt > 0
                ? ` attempt ${s.attempt} · ${duration(s.duration)} · started ${when(s.started_at)}`
                : " not started yet"}
            </p>
          )}
          {s?.wait_reason && <p className="wait-reason">{s.wait_reason}</p>}
          {s?.child_run && <ChildRunLink link={s.child_run} label="Child run" />}
        </div>
        <Button variant="ghost" aria-label="Close step" onClick={onClose}>
          ✕
        </Button>
      </header>
      <div className="actions">
        {s?.status === "failed" && can("operator") && (
          <Button variant="primary" onClick={retry}>
            Retry step
          </Button>
        )}
        {waiting && (
          <Link className="btn btn-primary" to={`/approvals/${waiting}`}>
            Review it
          </Link>
        )}
        {s && s.item_index == null && s.attempt > 0 && can("operator") && (
          <Button
            onClick={rollback}
            title="Archive this step's and every downstream step's results, run again from here"
          >
            Roll back to here
          </Button>
        )}
      </div>
      <ErrorNote error={error ?? step.error} />
      {!s ? (
        <Loading />
      ) : (
        <>
          <Tabs
            label="Step"
            active={tab}
            onChange={setTab}
            tabs={[
              { id: "output", label: "Output" },
              { id: "inputs", label: "Inputs" },
              { id: "logs", label: "Logs" },
              { id: "artifacts", label: `Artifacts (${artifacts.data?.length ?? "…"})` },
              { id: "attempts", label: `Attempts (${(s.attempts ?? []).length})` },
              ...(needs.uses_models ? [{ id: "conversation", label: "Conversation" }] : []),
            ]}
          />
          <TabPanel id={tab}>
            {tab === "output" && (
              <>
                {s.error != null && (
                  <div className="error-note">
                    <ErrorDetails error={s.error} label="step's error" />
                  </div>
                )}
                <JsonView value={s.output} label="output" />
                {s.branches && <p>Branches taken: {s.branches.join(", ") || "none"}</p>}
                {s.next && <p>Next chosen: {s.next.join(", ") || "none (every successor skipped)"}</p>}
              </>
            )}
            {tab === "inputs" && (
              <>
                <p className="muted small">
                  The node's inputs and configuration as defined in the run's version (expressions
                  unrendered).
                </p>
                <JsonView value={node?.inputs ?? {}} label="inputs" />
                <JsonView value={node?.config ?? {}} label="configuration" />
              </>
            )}
            {tab === "logs" && (
              <Logs
                runId={runId}
                stepKey={stepKey}
                attempts={Math.max(s.attempt, 1)}
                live={runOpen && s.status === "running"}
              />
            )}
            {tab === "conversation" && (
              <Conversation
                runId={runId}
                stepKey={stepKey}
                live={s?.status === "running" && live?.attempt === s.attempt ? live : undefined}
              />
            )}
            {tab === "artifacts" && <ArtifactList artifacts={artifacts.data} loading={artifacts.isPending} />}
            {tab === "attempts" && (
              <table className="table compact">
                <thead>
                  <tr>
                    <th scope="col">#</th>
                    <th scope="col">Status</th>
                    <th scope="col">Queued</th>
                    <th scope="col">Took</th>
                    <th scope="col">Error</th>
                  </tr>
                </thead>
                <tbody>
                  {(s.attempts ?? []).map((a) => (
                    <tr key={a.number}>
                      <td>{a.number}</td>
                      <td>
                        <StatusBadge status={a.status} />
                      </td>
                      <td>{when(a.queued_at)}</td>
                      <td>{duration(a.duration)}</td>
                      <td className="small">
                        <ErrorDetails error={a.error} label={`error of attempt ${a.number}`} />
                      </td>
                    </tr>
                  ))}
                </tbody>
              </table>
            )}
          </TabPanel>
        </>
      )}
    </aside>
  );
}
