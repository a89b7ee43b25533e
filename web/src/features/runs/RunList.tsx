// Run history with filters kept in the address (reload and back keep them), a page at a time; pick two runs
// of one pipeline to compare them.
import { useRef, useState } from "react";
import { Link, useNavigate, useSearchParams } from "react-router";
import type { RunRead, RunStatus } from "../../api/types";
import { Button, Empty, ErrorNote, Loading, StatusBadge } from "../../lib/controls";
import { duration, when } from "../../lib/format";
import { PageFoot } from "../../lib/paging";
import { useSearchText } from "../../lib/searchText";
import { failedNote } from "./outcome";
import { RUN_STATUSES, type RunListFilter, useRunList } from "./queries";

const FILTER_KEYS = ["q", "pipeline", "status", "from", "to"];

/** A local calendar day ("2026-12-07") as the instant it starts, `days` later. */
function dayStart(day: string, days = 0): string | undefined {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(day);
  if (!m) return undefined;
  return new Date(Number(m[1]), Number(m[2]) - 1, Number(m[3]) + days).toISOString();
}

/** Why the From/To dates cannot both hold, in the dates the pickers show (the user's locale); null when they can. */
export function dateRangeProblem(from: string, to: string, locale?: string): string | null {
  const since = dayStart(from);
  const until = dayStart(to);
  if (!since || !until || until >= since) return null;
  const day = (iso: string) =>
    new Date(iso).toLocaleDateString(locale, { year: "numeric", month: "short", day: "numeric" });
  return `“To” (${day(until)}) is before “From” (${day(since)}): pick a later “To” or an earlier “From”.`;
}

/** Why two picked runs cannot be compared, or null when they can. */
export function compareProblem(picked: RunRead[]): string | null {
  const [a, b] = picked;
  if (!a || !b || a.pipeline === b.pipeline) return null;
  return `Runs of two pipelines cannot be compared (${a.ref} and ${b.ref}): pick two runs of one pipeline.`;
}

/** "succeeded, 2 steps failed": the failures a run let through (on_error: continue), beside its status. */
function FailedSteps({ run }: { run: RunRead }) {
  const note = failedNote(run.status, run.failed_steps ?? 0);
  return note ? (
    <>
      {" "}
      <span className="badge badge-retrying" data-testid="failed-steps">
        {note}
      </span>
    </>
  ) : null;
}

export function RunList({ pipeline, pipelines }: { pipeline?: string; pipelines?: string[] }) {
  const [params, setParams] = useSearchParams();
  const status = (params.get("status") ?? "") as RunStatus | "";
  const from = params.get("from") ?? "";
  const to = params.get("to") ?? "";
  const q = params.get("q") ?? "";
  const chosenPipeline = params.get("pipeline") ?? "";
  const searchBox = useRef<HTMLInputElement>(null);
  const [text, setText] = useSearchText(q, searchBox);
  const set = (name: string, value: string, replace = false) =>
    setParams(
      (p) => {
        const next = new URLSearchParams(p);
        if (value) next.set(name, value);
        else next.delete(name);
        return next;
      },
      { replace },
    );
  const filter: RunListFilter = {
    pipeline: pipeline ?? (chosenPipeline || undefined),
    status: status || undefined,
    q: q.trim() || undefined,
    since: dayStart(from),
    until: dayStart(to, 1),
  };
  const runs = useRunList(filter);
  const [picked, setPicked] = useState<RunRead[]>([]);
  const navigate = useNavigate();
  const items = runs.data?.pages.flatMap((p) => p.items) ?? [];
  const total = runs.data?.pages[0]?.total;
  const problem = compareProblem(picked);
  const rangeProblem = dateRangeProblem(from, to);
  const filtered = Boolean(status || q || from || to || chosenPipeline);
  return (
    <section aria-label="Run history">
      <form
        className="filters run-filters"
        aria-label="Find runs"
        onSubmit={(e) => {
          e.preventDefault();
          set("q", text.trim());
        }}
      >
        <label>
          Search{" "}
          <input
            ref={searchBox}
            type="search"
            aria-label="Search runs"
            placeholder="v12, name/v12, name, id"
            title="A run number (12 or v12), a reference (name/v12), part of a pipeline name, or a run id"
            value={text}
            onChange={(e) => {
              setText(e.target.value);
              set("q", e.target.value.trim(), true);
            }}
          />
        </label>
        {!pipeline && pipelines && (
          <label>
            Pipeline{" "}
            <select
              aria-label="Pipeline filter"
              value={chosenPipeline}
              onChange={(e) => set("pipeline", e.target.value)}
            >
              <option value="">all</option>
              {pipelines.map((p) => (
                <option key={p}>{p}</option>
              ))}
            </select>
          </label>
        )}
        <label>
          Status{" "}
          <select
            aria-label="Run status filter"
            value={status}
            onChange={(e) => set("status", e.target.value)}
          >
            <option value="">any</option>
            {RUN_STATUSES.map((s) => (
              <option key={s}>{s}</option>
            ))}
          </select>
        </label>
        <label>
          From{" "}
          <input
            type="date"
            aria-label="Started from (date)"
            value={from}
            max={to || undefined}
            onChange={(e) => set("from", e.target.value)}
          />
        </label>
        <label>
          To{" "}
          <input
            type="date"
            aria-label="Started until (date)"
            value={to}
            min={from || undefined}
            onChange={(e) => set("to", e.target.value)}
          />
        </label>
        {filtered && (
          <Button
            variant="ghost"
            onClick={() =>
              setParams((p) => {
                const next = new URLSearchParams(p);
                for (const key of FILTER_KEYS) next.delete(key);
                return next;
              })
            }
          >
            Clear filters
          </Button>
        )}
        <Button
          disabled={picked.length !== 2 || problem !== null}
          onClick={() => navigate(`/runs/compare?a=${picked[0]?.id}&b=${picked[1]?.id}`)}
          title="Pick two runs of one pipeline in the list"
        >
          Compare {picked.length === 2 ? "2 runs" : "…"}
        </Button>
      </form>
      {problem && (
        <p className="callout" role="status">
          {problem}
        </p>
      )}
      {rangeProblem ? (
        <p className="error-note" role="alert" data-testid="date-range-problem">
          {rangeProblem}
        </p>
      ) : (
        <ErrorNote error={runs.error} />
      )}
      {rangeProblem ? null : runs.isPending ? (
        <Loading />
      ) : items.length === 0 ? (
        <Empty title={filtered ? "No runs match these filters." : "No runs yet."} />
      ) : (
        <>
          <table className="table">
            <thead>
              <tr>
                <th scope="col">
                  <span className="sr-only">Compare</span>
                </th>
                <th scope="col">Run</th>
                <th scope="col">Status</th>
                <th scope="col">Version</th>
                <th scope="col">Started</th>
                <th scope="col">Took</th>
              </tr>
            </thead>
            <tbody>
              {items.map((r) => (
                <tr key={r.id}>
                  <td>
                    <input
                      type="checkbox"
                      aria-label={`Compare ${r.ref}`}
                      checked={picked.some((p) => p.id === r.id)}
                      onChange={() =>
                        setPicked((p) =>
                          p.some((x) => x.id === r.id) ? p.filter((x) => x.id !== r.id) : [...p, r].slice(-2),
                        )
                      }
                    />
                  </td>
                  <td>
                    <Link to={`/runs/${r.pipeline}/v${r.number}`} className="strong">
                      {r.pipeline} v{r.number}
                    </Link>
                  </td>
                  <td>
                    <span title={r.wait_reason ?? undefined}>
                      <StatusBadge status={r.status} />
                    </span>
                    <FailedSteps run={r} />
                  </td>
                  <td>pipeline v{r.version}</td>
                  <td>{when(r.started_at ?? r.created_at)}</td>
                  <td>{duration(r.duration)}</td>
                </tr>
              ))}
            </tbody>
          </table>
          <PageFoot shown={items.length} total={total} noun={["run", "runs"]} list={runs} />
        </>
      )}
    </section>
  );
}
