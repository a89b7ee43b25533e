// The foot of every paged list: how many are shown of how many match, and a button for the next page.
import { Button } from "./controls";

interface Paged {
  hasNextPage: boolean;
  isFetchingNextPage: boolean;
  fetchNextPage: () => unknown;
}

/** "12 of 340 runs" and "Show more"; the total comes from the API, never from the rows loaded. */
export function PageFoot({
  shown,
  total,
  noun,
  list,
}: {
  shown: number;
  total: number | undefined;
  noun: [string, string];
  list: Paged;
}) {
  const count = total ?? shown;
  const word = count === 1 ? noun[0] : noun[1];
  return (
    <div className="page-foot" data-testid="page-foot">
      <span className="muted">
        {shown < count
          ? `${shown.toLocaleString()} of ${count.toLocaleString()} ${word}`
          : `${count.toLocaleString()} ${word}`}
      </span>
      {list.hasNextPage && (
        <Button onClick={() => void list.fetchNextPage()} disabled={list.isFetchingNextPage}>
          {list.isFetchingNextPage ? "Loading…" : `Show more ${noun[1]}`}
        </Button>
      )}
    </div>
  );
}
