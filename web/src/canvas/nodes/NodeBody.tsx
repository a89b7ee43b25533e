// What every node shows: its kind, id, a one-line summary; problems in edit mode, the step's status in a run.
import type { ReactNode } from "react";
import type { DraftNode, NodeData } from "../model";

const GLYPHS: Record<string, string> = {
  script: "py",
  http: "⇄",
  transform: "ƒ",
  condition: "◇",
  noop: "○",
  wait: "◷",
  human: "✓",
  agent: "✦",
  subpipeline: "⧉",
  task: "⚙",
};

export function glyph(kind: string): string {
  return GLYPHS[kind] ?? kind.slice(0, 2);
}

/** One line of what the node does, from whichever config field says most. */
export function summaryOf(node: DraftNode): string {
  const c = node.config ?? {};
  const pick = ["url", "code", "file", "value", "duration", "until", "prompt", "pipeline", "title"].find(
    (k) => c[k] !== undefined && c[k] !== null && c[k] !== "",
  );
  let text: string;
  if (node.kind === "task" && typeof c.ref === "string") {
    text = typeof c.code_hash === "string" ? `${c.ref} · ${c.code_hash.slice(0, 8)}` : c.ref;
  } else if (node.kind === "condition" && Array.isArray(c.branches)) {
    text = (c.branches as { name?: string }[]).map((b) => b.name).join(" / ");
  } else if (pick) {
    const v = c[pick];
    text = typeof v === "string" ? v : JSON.stringify(v);
    if (pick === "url" && typeof c.method === "string") text = `${c.method} ${text}`;
  } else {
    text = node.description ?? "";
  }
  const line = text.split("\n").find((l) => l.trim()) ?? "";
  return line.length > 48 ? `${line.slice(0, 47)}…` : line;
}

function progress(step: NonNullable<NodeData["step"]>): string {
  if (!step.items) return step.attempts > 1 ? `attempt ${step.attempts}` : "";
  const done = step.counts.succeeded ?? 0;
  const failed = step.counts.failed ?? 0;
  const running = (step.counts.running ?? 0) + (step.counts.queued ?? 0);
  return [
    `${done.toLocaleString()}/${step.items.toLocaleString()}`,
    running ? `${running} running` : "",
    failed ? `${failed} failed` : "",
  ]
    .filter(Boolean)
    .join(" · ");
}

export function NodeBody({
  data,
  selected,
  children,
  tall = false,
}: {
  data: NodeData;
  selected: boolean;
  children: ReactNode;
  tall?: boolean;
}) {
  const { node, problems, step, diff } = data;
  const status = step ? (step.status ?? "pending") : undefined;
  const classes = [
    "node",
    `kind-${node.kind}`,
    selected ? "selected" : "",
    problems.length ? "has-problems" : "",
    status ? `status-${status}` : "",
    diff ? `diff-${diff}` : "",
    tall ? "tall" : "",
  ];
  return (
    <div className={classes.filter(Boolean).join(" ")} data-node-id={node.id} data-status={status}>
      <div className="node-glyph" aria-hidden="true">
        {glyph(node.kind)}
      </div>
      <div className="node-text">
        <div className="node-title">
          <span className="node-id">{node.name || node.id}</span>
          <span className="node-kind">{node.kind}</span>
        </div>
        <div className="node-summary">{step ? progress(step) || status : summaryOf(node) || "\u00a0"}</div>
      </div>
      {problems.length > 0 && (
        <span className="node-problems" title={problems.map((p) => `${p.field}: ${p.message}`).join("\n")}>
          {problems.length}
        </span>
      )}
      {step && <span className={`node-status status-dot-${status}`} aria-hidden="true" />}
      {(status || problems.length > 0) && (
        <span className="sr-only">
          {[status, problems.length ? `${problems.length} problems` : ""].filter(Boolean).join(", ")}
        </span>
      )}
      {node.for_each && (
        <span className="node-map" title="for_each: one step per item">
          ×n
        </span>
      )}
      {children}
    </div>
  );
}
