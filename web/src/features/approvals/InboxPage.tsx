// The approvals inbox: what waits for the signed-in person, oldest first; arrows move, Enter opens.
import { useRef } from "react";
import { Link, useLocation, useNavigate, useSearchParams } from "react-router";
import { Button, Empty, ErrorNote, Loading, StatusBadge } from "../../lib/controls";
import { when } from "../../lib/format";
import { PageFoot } from "../../lib/paging";
import "../artifacts/views.css";
import { useFollowedStep, useNextTasks, useTaskList } from "./queries";
import { type Answered, whatHappensNext } from "./review";

const PURPOSE: Record<string, string> = {
  approve_start: "approve before it starts",
  approve_complete: "review the result",
  form: "fill in the form",
};

export function InboxPage() {
  const [params, setParams] = useSearchParams();
  const status = params.get("show") === "all" ? "any" : "open"; // in the address: reload and back keep it
  const tasks = useTaskList(status);
  const navigate = useNavigate();
  const rows = useRef<(HTMLAnchorElement | null)[]>([]);
  const items = tasks.data?.pages.flatMap((p) => p.items) ?? [];
  const location = useLocation();
  const answered = (location.state as { answered?: Answered } | null)?.answered;
  const move = (i: number) => rows.current[Math.max(0, Math.min(items.length - 1, i))]?.focus();
  return (
    <main className="page" aria-labelledby="inbox-title">
      <header className="page-head">
        <h1 id="inbox-title">Approvals</h1>
        <select
          aria-label="Which tasks"
          value={status}
          onChange={(e) => setParams(e.target.value === "any" ? { show: "all" } : {})}
        >
          <option value="open">waiting for me</option>
          <option value="any">all, answered included</option>
        </select>
      </header>
      {answered && (
        <NextStep
          answered={answered}
          onDismiss={() => navigate(location.pathname + location.search, { replace: true, state: null })}
        />
      )}
      <ErrorNote error={tasks.error} />
      {tasks.isPending ? (
        <Loading />
      ) : items.length === 0 ? (
        <Empty title={status === "open" ? "Nothing waits for you." : "No tasks yet."} />
      ) : (
        <ul className="inbox" aria-label="Tasks">
          {items.map((t, i) => (
            <li key={t.id}>
              <Link
                ref={(el) => {
                  rows.current[i] = el;
                }}
                to={`/approvals/${t.id}`}
                className="inbox-row"
                onKeyDown={(e) => {
                  if (e.key === "ArrowDown" || e.key === "j") {
                    e.preventDefault();
                    move(i + 1);
                  }
                  if (e.key === "ArrowUp" || e.key === "k") {
                    e.preventDefault();
                    move(i - 1);
                  }
                  if (e.key === " ") {
                    e.preventDefault();
                    navigate(`/approvals/${t.id}`);
                  }
                }}
              >
                <span className="inbox-title">{t.title}</span>
                <span className="muted small">
                  {t.run} · step {t.step} · {PURPOSE[t.purpose] ?? t.purpose}
                  {t.revisions > 0 &&
                    ` · ${t.revisions} revision${t.revisions === 1 ? "" : "s"} of ${t.max_revisions}`}
                </span>
                <span className="small">
                  {t.status === "open"
                    ? `waiting since ${when(t.created_at)}`
                    : `${t.status.replace("_", " ")} by ${t.closed_by ?? "—"}`}
                  {t.deadline_at && t.status === "open" && ` · deadline ${when(t.deadline_at)}`}
                </span>
              </Link>
            </li>
          ))}
        </ul>
      )}
      {items.length > 0 && (
        <PageFoot
          shown={items.length}
          total={tasks.data?.pages[0]?.total}
          noun={["task", "tasks"]}
          list={tasks}
        />
      )}
    </main>
  );
}

/** After an answer: what happens next, then the step followed live until its next task (if any) arrives. */
function NextStep({ answered: a, onDismiss }: { answered: Answered; onDismiss: () => void }) {
  const step = useFollowedStep(a.runId, a.step);
  // what waits for this person next in the run: the step's new task first, else one further on
  const next = useNextTasks(a.runId);
  const others = (next.data?.items ?? []).filter((t) => t.id !== a.taskId);
  const again = others.find((t) => t.step === a.step);
  const further = others.find((t) => t.step !== a.step);
  return (
    <div className="callout next-step" role="status" data-testid="next-step">
      <strong>{whatHappensNext(a)}</strong>
      {step.data && (
        <span>
          Now: {a.step} <StatusBadge status={step.data.status} />
          {step.data.attempt > 0 && ` attempt ${step.data.attempt}`}
        </span>
      )}
      {again ? (
        <Link to={`/approvals/${again.id}`}>The new task has arrived: {again.title}</Link>
      ) : further ? (
        <Link to={`/approvals/${further.id}`}>Next in this run: {further.title}</Link>
      ) : (
        <Link to={`/runs/${a.runId}`}>Follow {a.run}</Link>
      )}
      <Button variant="ghost" onClick={onDismiss} aria-label="Dismiss">
        ✕
      </Button>
    </div>
  );
}
