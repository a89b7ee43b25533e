// The run's history as recorded: every event in order, a page at a time (the audit trail).
import { Button, ErrorNote, Loading } from "../../lib/controls";
import { eventTime } from "./outcome";
import { useRunEvents } from "./queries";

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
  const events = useRunEvents(runId);
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
