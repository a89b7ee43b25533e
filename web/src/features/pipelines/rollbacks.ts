// Rollbacks as people read them: what each did, in one line.
import type { components } from "../../api/schema";

export type RollbackRead = components["schemas"]["RollbackRead"];

function plural(n: number, one: string): string {
  return `${n} ${one}${n === 1 ? "" : "s"}`;
}

/** "latest → v1 (was v3)", or "v2 back to draft: 3 steps reset, 1 cancelled, 2 files archived". */
export function describeRollback(r: RollbackRead): string {
  const run = r.run.slice(r.run.lastIndexOf("/") + 1);
  if (r.kind === "latest") return `latest → ${run}${r.previous_latest ? ` (was v${r.previous_latest})` : ""}`;
  const parts = [`${plural(r.steps.length, "step")} reset`];
  if (r.cancelled.length) parts.push(`${r.cancelled.length} cancelled`);
  if (r.artifacts.length) parts.push(`${plural(r.artifacts.length, "file")} archived`);
  return `${run} back to ${r.node ?? "?"}: ${parts.join(", ")}`;
}
