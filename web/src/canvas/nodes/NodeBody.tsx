// What every node shows: its kind, id, a one-line summary, marks for what its kind needs (a person, a timer…);
// problems in edit mode, the step's status in a run.
import type { ReactNode } from "react";
import type { ConfigField, NodeConfig } from "../../api/types";
import { branchNames, type DraftNode, type KindNeeds, NO_NEEDS, type NodeData, needBadges } from "../model";
import { taskCode } from "../TaskCode";

// The one table in the UI keyed by kind names: how each looks. What a kind does comes from its needs.
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

// The config fields that say most about a node, first found first: names of the server's fields (a field
// renamed in Python fails tsc here once the client is regenerated).
const SUMMARY_FIELDS = [
  "url",
  "code",
  "file",
  "value",
  "duration",
  "until",
  "prompt",
  "title",
  "pipeline",
] as const satisfies readonly ConfigField[];

/** One line of what the node does: its branches, else whichever config field says most. */
export function summaryOf(node: DraftNode, needs: KindNeeds = NO_NEEDS): string {
  const c = node.config ?? {};
  const pick = SUMMARY_FIELDS.find((k) => c[k] !== undefined && c[k] !== null && c[k] !== "");
  const branches = branchNames(node, needs);
  const task = taskCode(c);
  const method: keyof NodeConfig<"http"> = "method";
  let text: string;
  if (branches.length > 0) {
    text = branches.join(" / ");
  } else if (task.ref) {
    // code from a worker: where it lives and which version is pinned
    text = task.hash ? `${task.ref} · ${task.hash.slice(0, 8)}` : task.ref;
  } else if (pick) {
    const v = c[pick];
    text = typeof v === "string" ? v : JSON.stringify(v);
    if (pick === "url" && typeof c[method] === "string") text = `${c[method]} ${text}`;
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
  const { node, needs, problems, step, diff } = data;
  const badges = needBadges(needs);
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
        <div className="node-summary">
          {step ? progress(step) || status : summaryOf(node, needs) || "\u00a0"}
        </div>
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
      {badges.length > 0 && (
        <span className="node-needs" title={badges.map((b) => b.label).join(", ")} aria-hidden="true">
          {badges.map((b) => (
            <span key={b.label}>{b.mark}</span>
          ))}
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
