// A unified diff (as the API makes it) laid out side by side: each row the old line and the new one, numbered.

export interface Side {
  n: number;
  text: string;
  kind: "same" | "del" | "add";
}
export type Row = { hunk: string } | { left: Side | null; right: Side | null };

/** Rows of a side-by-side view; deletions and the additions that follow them are paired line by line. */
export function sideBySide(diff: string): Row[] {
  const rows: Row[] = [];
  let left = 0;
  let right = 0;
  let dels: Side[] = [];
  let adds: Side[] = [];
  const flush = () => {
    for (let i = 0; i < Math.max(dels.length, adds.length); i++)
      rows.push({ left: dels[i] ?? null, right: adds[i] ?? null });
    dels = [];
    adds = [];
  };
  for (const line of diff.split("\n")) {
    if (line.startsWith("---") || line.startsWith("+++")) continue;
    const hunk = /^@@ -(\d+)(?:,\d+)? \+(\d+)(?:,\d+)? @@/.exec(line);
    if (hunk) {
      flush();
      left = Number(hunk[1]);
      right = Number(hunk[2]);
      rows.push({ hunk: line });
    } else if (line.startsWith("-")) dels.push({ n: left++, text: line.slice(1), kind: "del" });
    else if (line.startsWith("+")) adds.push({ n: right++, text: line.slice(1), kind: "add" });
    else if (line.startsWith(" ")) {
      flush();
      rows.push({
        left: { n: left++, text: line.slice(1), kind: "same" },
        right: { n: right++, text: line.slice(1), kind: "same" },
      });
    }
  }
  flush();
  return rows;
}
