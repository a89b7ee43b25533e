// The run's history as recorded: every event in order, a page at a time (the audit trail).
import { useInfiniteQuery } from "@tanstack/react-query";
import { api, ok } from "../../api/client";
import { Button, ErrorNote, Loading } from "../../lib/controls";
import { eventTime } from "./outcome";

function summary(type: string, data: unknown): string {
  const d = (data ?? {}) as Record<string, unknown>;
  const parts = [
    d.step ? `step ${String(d.step)}` : "",
    d.attempt ? `attempt ${String(d.attempt)}` : "",
    d.by ? `by ${String(d.by)}` : "",
    d.reason ? String(d.reason) : "",
    type === "step_failed" && d.error ? String((d.error as { message?: string }).message ?? "") : "",
    d.purpose ? `${String(d.purpose)} timer` : "",
  ];
  return parts.filter(Boolean).join(" · ");
}

export function EventLog({ runId }: { runId: string }) {
  const events = useInfiniteQuery({
    queryKey: ["run", runId, "events"],
    initialPageParam: 0,
    queryFn: ({ pageParam }) =>
      ok(
        api.GET("/api/v1/runs/{run}/events", {
          params: { path: { run: runId }, query: { after: pageParam, limit: 200 } },
        }),
      ),
    getNextPageParam: (page) => page.next_after ?? undefined,
  });
  if (events.isPending) return <Loading />;
  const rows = events.data?.pages.flatMap((p) => p.items) ?? [];
  return (
    <section aria-label="Event log">
      <ErrorNote error={events.error} />
      <table className="table compact">
        <thead>
          <tr>
            <th scope="col">#</th>
            <th scope="col">At</th>
            <th scope="col">Event</th>
            <th scope="col">Detail</th>
          </tr>
        </thead>
        <tbody>
          {rows.map((e) => (
            <tr key={e.seq}>
              <td>{e.seq}</td>
              <td className="small">
                <time dateTime={e.at}>{eventTime(e.at)}</time>
              </td>
              <td>
                <code>{e.type}</code>
              </td>
              <td className="small">{summary(e.type, e.data)}</td>
            </tr>
          ))}
        </tbody>
      </table>
      {events.hasNextPage && (
        <Button onClick={() => events.fetchNextPage()} disabled={events.isFetchingNextPage}>
          Load more events
        </Button>
      )}
    </section>
  );
}
