// One task: what to review (the output, the artifacts with their changes since the previous attempt, the
// step's inputs), the form if any, and the answers: approve, request a revision with feedback, reject, submit.
import { useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { Link, useNavigate, useParams } from "react-router";
import { ApiError } from "../../api/client";
import type { components } from "../../api/schema";
import { Button, ErrorNote, Field, Loading, StatusBadge, useToast } from "../../lib/controls";
import { when } from "../../lib/format";
import { keys } from "../../lib/queryKeys";
import { isPicked } from "../../lib/upload";
import { ArtifactList } from "../artifacts/ArtifactList";
import { JsonTree } from "../artifacts/JsonTree";
import { Markdown } from "../artifacts/Markdown";
import { useVersion } from "../pipelines/queries";
import { useRunDetail } from "../runs/queries";
import { ArtifactChanges } from "./ArtifactChanges";
import { checkValues, placeProblems, problemSummary } from "./formChecks";
import { answerTask, useTask, useTasksOf } from "./queries";
import { type Answer, type Answered, upstreamOf } from "./review";
import { initialValues, TaskForm, toSubmit, type Values } from "./TaskForm";

export function TaskPage() {
  const { id = "" } = useParams();
  const task = useTask(id);
  const t = task.data;
  const queryClient = useQueryClient();
  const navigate = useNavigate();
  const toast = useToast();
  const [feedback, setFeedback] = useState("");
  const [comment, setComment] = useState("");
  const [values, setValues] = useState<Values | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  // once a submit was refused in the browser, the fields are checked again as they change
  const [checking, setChecking] = useState(false);
  if (task.error) return <ErrorNote error={task.error} />;
  if (!t) return <Loading />;
  const form = t.form ?? [];
  const shown = values ?? initialValues(form, t.values ?? t.answer);
  const open = t.status === "open" && t.can_answer;
  const can = (action: string) => open && t.actions.includes(action as never);
  // each problem is said once, under its field; the banner only names the fields (and what has no field)
  const checked = checking ? checkValues(form, shown) : {};
  const placed = error instanceof ApiError ? placeProblems(form, error.problems) : { byField: {}, other: [] };
  const problems: Record<string, string> = { ...placed.byField, ...checked };
  if (error instanceof ApiError && error.code === "payload_too_large")
    // the whole body was refused: the files sent are what made it too large
    for (const f of form) if (f.type === "file" && isPicked(shown[f.name])) problems[f.name] = error.detail;

  const answer = async (action: Answer) => {
    setError(null);
    if (action === "submit" && Object.keys(checkValues(form, shown)).length > 0) {
      setChecking(true); // said under the fields before anything is sent
      return;
    }
    setBusy(true);
    try {
      await answerTask(
        t.id,
        action === "approve"
          ? { action, comment: comment || null }
          : action === "revise"
            ? { action, feedback }
            : action === "reject"
              ? { action, reason: comment || null }
              : { action, values: toSubmit(form, shown), comment: comment || null },
      );
      toast(
        { approve: "Approved", revise: "Revision requested", reject: "Rejected", submit: "Submitted" }[
          action
        ],
      );
      await queryClient.invalidateQueries({ queryKey: keys.tasks.all });
      await queryClient.invalidateQueries({ queryKey: keys.tasks.one(t.id) });
      const answered: Answered = {
        action,
        purpose: t.purpose,
        step: t.step,
        runId: t.run_id,
        run: t.run,
        taskId: t.id,
      };
      navigate("/approvals", { state: { answered } });
    } catch (e) {
      setError(e);
    } finally {
      setBusy(false);
    }
  };

  const revisionAsked =
    t.revision_feedback ??
    [...t.interactions].reverse().find((i) => i.action === "revise" && i.attempt < t.attempt)?.feedback;
  // artifacts newest attempt first: compare each with the same name in the attempt before
  const latestAttempt = Math.max(0, ...t.artifacts.map((a) => a.attempt));
  const current = t.artifacts.filter((a) => a.attempt === latestAttempt);
  const earlier = (name: string) =>
    Math.max(
      0,
      ...t.artifacts.filter((a) => a.name === name && a.attempt < latestAttempt).map((a) => a.attempt),
    );
  const before = (a: (typeof current)[number]) =>
    t.artifacts.find((b) => b.name === a.name && b.attempt === earlier(a.name));
  // a form with nothing before it to look at takes the whole width
  const hasInputs = Object.keys(t.context).length > 0;
  const reviewed = t.output != null || current.length > 0 || hasInputs;
  const compared = current.filter((a) => earlier(a.name) > 0);
  const unchanged = compared.filter((a) => before(a)?.sha256 === a.sha256);
  const changed = compared.filter((a) => before(a)?.sha256 !== a.sha256);
  return (
    <main className="page" aria-labelledby="task-title">
      <p className="crumbs">
        <Link to="/approvals">Approvals</Link> /
      </p>
      <h1 id="task-title">{t.title}</h1>
      <p className="muted">
        <Link to={`/runs/${t.run_id}`}>{t.run}</Link> · step {t.step}
        {t.attempt > 0 && ` · attempt ${t.attempt}`} · <StatusBadge status={t.status} /> · opened{" "}
        {when(t.created_at)}
        {t.max_revisions > 0 && ` · revisions ${t.revisions} of ${t.max_revisions}`}
        {t.deadline_at && ` · deadline ${when(t.deadline_at)}`}
      </p>
      {t.instructions && (
        <div className="callout instructions">
          <Markdown text={t.instructions} label="Instructions" />
        </div>
      )}
      <UpstreamApprovals runId={t.run_id} node={t.node_id} />
      {revisionAsked && (
        <p className="callout">
          <strong>This answers the revision request:</strong> {revisionAsked}
        </p>
      )}
      <div className={reviewed ? "two-col" : "answer-only"}>
        {reviewed && (
          <section aria-labelledby="review-title">
            <h2 id="review-title">To review</h2>
            {t.output != null && <JsonTree value={t.output} label="output under review" />}
            {current.length > 0 && (
              <>
                <h3>Artifacts</h3>
                <ArtifactList artifacts={current} expanded />
              </>
            )}
            {changed.length + unchanged.length > 0 && <h3>Changes since the attempt before</h3>}
            {unchanged.length > 0 && (
              <p className="muted small" data-testid="unchanged">
                Unchanged: {unchanged.map((a) => a.name).join(", ")}
              </p>
            )}
            {changed.map((a) => (
              <ArtifactChanges key={a.id} runId={t.run_id} artifact={a} previous={earlier(a.name)} />
            ))}
            {hasInputs && (
              <>
                <h3>Inputs</h3>
                <JsonTree value={t.context} label="inputs of the step" />
              </>
            )}
          </section>
        )}
        <section aria-labelledby="answer-title">
          <h2 id="answer-title">Answer</h2>
          {form.length > 0 && (
            <TaskForm
              fields={form}
              values={shown}
              onChange={setValues}
              problems={problems}
              readOnly={!can("submit")}
              artifacts={t.artifacts}
            />
          )}
          {!open && (
            <p className="muted">
              {t.status === "open"
                ? "You are not among the people who may answer this task."
                : `Answered: ${t.status.replace("_", " ")}`}
              {t.closed_by && ` by ${t.closed_by}`}
              {t.comment && ` — “${t.comment}”`}
            </p>
          )}
          {open && (
            <>
              {can("revise") && (
                <Field label="Feedback for a revision" hint="The step runs again and sees this.">
                  {(p) => (
                    <textarea
                      {...p}
                      rows={4}
                      value={feedback}
                      onChange={(e) => setFeedback(e.target.value)}
                    />
                  )}
                </Field>
              )}
              <Field label="Comment (optional)">
                {(p) => (
                  <input {...p} type="text" value={comment} onChange={(e) => setComment(e.target.value)} />
                )}
              </Field>
              <AnswerProblems error={error} form={form} problems={problems} other={placed.other} />
              <div className="actions">
                {can("submit") && (
                  <Button variant="primary" disabled={busy} onClick={() => answer("submit")}>
                    Submit
                  </Button>
                )}
                {can("approve") && (
                  <Button variant="primary" disabled={busy} onClick={() => answer("approve")}>
                    Approve
                  </Button>
                )}
                {can("revise") && (
                  <Button disabled={busy || !feedback.trim()} onClick={() => answer("revise")}>
                    Request revision
                  </Button>
                )}
                {can("reject") && (
                  <Button variant="danger" disabled={busy} onClick={() => answer("reject")}>
                    Reject
                  </Button>
                )}
              </div>
            </>
          )}
          {t.interactions.length > 0 && (
            <>
              <h3>History of this step</h3>
              <ul className="history">
                {t.interactions.map((i) => (
                  <li key={i.id}>
                    {i.attempt > 0 && `attempt ${i.attempt}: `}
                    <strong>{i.action}</strong> by {i.by ?? "—"} {when(i.at)}
                    {i.feedback && ` — “${i.feedback}”`}
                  </li>
                ))}
              </ul>
            </>
          )}
        </section>
      </div>
    </main>
  );
}

type FormField = components["schemas"]["FormField"];

/** The banner over the answer buttons: which fields need a change (their messages are under them), or the
 *  error itself when it belongs to no field. */
function AnswerProblems({
  error,
  form,
  problems,
  other,
}: {
  error: unknown;
  form: FormField[];
  problems: Record<string, string>;
  other: string[];
}) {
  const summary = problemSummary(form, problems);
  if (!summary && other.length === 0) return <ErrorNote error={error} />;
  return (
    <div className="error-note" role="alert" data-testid="answer-problems">
      {summary && <strong>{summary}</strong>}
      {other.length > 0 && (
        <ul>
          {other.map((o) => (
            <li key={o}>{o}</li>
          ))}
        </ul>
      )}
    </div>
  );
}

/** What people approved upstream of this node in the run, each linked to its task. */
function UpstreamApprovals({ runId, node }: { runId: string; node: string }) {
  const run = useRunDetail(runId);
  const version = useVersion(run.data?.pipeline, run.data?.version);
  const approved = useTasksOf(runId, "approved");
  const submitted = useTasksOf(runId, "submitted");
  const edges = (version.data?.definition as { edges?: { source: string; target: string }[] } | undefined)
    ?.edges;
  if (!edges) return null;
  const upstream = new Set(upstreamOf(edges, node));
  const answered = [...(approved.data?.items ?? []), ...(submitted.data?.items ?? [])]
    .filter((t) => upstream.has(t.node_id))
    .sort((a, b) => (a.closed_at ?? "").localeCompare(b.closed_at ?? ""));
  if (answered.length === 0) return null;
  return (
    <section className="callout upstream" aria-labelledby="upstream-title">
      <strong id="upstream-title">Approved upstream</strong>
      <ul>
        {answered.map((u) => (
          <li key={u.id}>
            <Link to={`/approvals/${u.id}`}>{u.title}</Link>{" "}
            <span className="muted small">
              {u.step}
              {u.attempt > 0 && ` · attempt ${u.attempt}`} · {u.status} by {u.closed_by ?? "—"}{" "}
              {when(u.closed_at)}
            </span>
          </li>
        ))}
      </ul>
    </section>
  );
}
