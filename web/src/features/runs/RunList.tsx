// Run history with filters; pick two runs to compare them.
import { useState } from "react";
import { Link, useNavigate } from "react-router";
import type { RunStatus } from "../../api/types";
import { Button, Empty, ErrorNote, Loading, StatusBadge } from "../../lib/controls";
import { duration, when } from "../../lib/format";
import { RUN_STATUSES, useRuns } from "./queries";

export function RunList({ pipeline, pipelines }: { pipeline?: string; pipelines?: string[] }) {
  const [status, setStatus] = useState<RunStatus | "">("");
  const [chosenPipeline, setChosenPipeline] = useState("");
  const which = pipeline ?? (chosenPipeline || undefined);
  const runs = useRuns(which, status || undefined);
  const [picked, setPicked] = useState<string[]>([]);
  const navigate = useNavigate();
  const items = runs.data?.items ?? [];
  return (
    <section aria-label="Run history">
      <div className="filters">
        {!pipeline && pipelines && (
          <label>
            Pipeline{" "}
            <select
              aria-label="Pipeline filter"
              value={chosenPipeline}
              onChange={(e) => setChosenPipeline(e.target.value)}
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
            onChange={(e) => setStatus(e.target.value as RunStatus | "")}
          >
            <option value="">any</option>
            {RUN_STATUSES.map((s) => (
              <option key={s}>{s}</option>
            ))}
          </select>
        </label>
        <Button
          disabled={picked.length !== 2}
          onClick={() => navigate(`/runs/compare?a=${picked[0]}&b=${picked[1]}`)}
          title="Pick two runs in the list"
        >
          Compare {picked.length === 2 ? "2 runs" : "…"}
        </Button>
      </div>
      <ErrorNote error={runs.error} />
      {runs.isPending ? (
        <Loading />
      ) : items.length === 0 ? (
        <Empty title="No runs match." />
      ) : (
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
                    checked={picked.includes(r.id)}
                    onChange={() =>
                      setPicked((p) =>
                        p.includes(r.id) ? p.filter((x) => x !== r.id) : [...p, r.id].slice(-2),
                      )
                    }
                  />
                </td>
                <td>
                  <Link to={`/runs/${r.id}`} className="strong">
                    {r.pipeline} v{r.number}
                  </Link>
                </td>
                <td>
                  <span title={r.wait_reason ?? undefined}>
                    <StatusBadge status={r.status} />
                  </span>
                </td>
                <td>pipeline v{r.version}</td>
                <td>{when(r.started_at ?? r.created_at)}</td>
                <td>{duration(r.duration)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}
