// Completion inside `{{ … }}` / `{% … %}`: the names the compiler accepts at that place and nothing else —
// declared inputs, upstream nodes (never the node itself or one downstream), `run`, `item` in a map node.
import { type Draft, upstreamOf } from "./draft";

export interface Completion {
  label: string; // what the list shows
  insert: string; // what replaces the typed fragment
  detail: string;
}

export interface CompletionResult {
  from: number; // the typed fragment spans [from, to)
  to: number;
  options: Completion[];
}

/** Where the text is: a node's field (`config.url`, `inputs.q`, `for_each`), an edge's `when`, or the output. */
export type ExpressionPlace =
  | { kind: "node"; nodeId: string; field: string }
  | { kind: "edge"; source: string }
  | { kind: "output" };

const NODE_FIELDS: Completion[] = [
  { label: "output", insert: "output", detail: "what the step returned" },
  { label: "status", insert: "status", detail: "succeeded, failed, skipped…" },
  { label: "error", insert: "error", detail: "kind, message (on_error: continue)" },
  { label: "attempt", insert: "attempt", detail: "the attempt number" },
];
const ERROR_FIELDS: Completion[] = [
  { label: "kind", insert: "kind", detail: "the error kind" },
  { label: "message", insert: "message", detail: "what happened" },
  { label: "retryable", insert: "retryable", detail: "whether a retry may help" },
];
const RUN_FIELDS: Completion[] = [
  { label: "number", insert: "number", detail: "1, 2, … per pipeline" },
  { label: "version", insert: "version", detail: "v1, v2, …" },
  { label: "id", insert: "id", detail: "the run id" },
  { label: "pipeline", insert: "pipeline", detail: "the pipeline's name" },
];
export const FILTERS = [
  "default",
  "tojson",
  "upper",
  "lower",
  "trim",
  "length",
  "join",
  "first",
  "last",
  "int",
  "float",
  "round",
  "replace",
  "truncate",
  "sort",
  "unique",
  "map",
  "selectattr",
];

/** Whether `caret` is inside an open expression or statement (after `{{` / `{%` not yet closed). */
export function insideExpression(text: string, caret: number): boolean {
  const before = text.slice(0, caret);
  const open = Math.max(before.lastIndexOf("{{"), before.lastIndexOf("{%"));
  if (open < 0) return false;
  const close = Math.max(before.lastIndexOf("}}"), before.lastIndexOf("%}"));
  return close < open;
}

function visibleNodes(draft: Draft, place: ExpressionPlace): string[] {
  if (place.kind === "output") return draft.nodes.map((n) => n.id);
  const up = upstreamOf(draft, place.kind === "edge" ? place.source : place.nodeId);
  const ordered = draft.nodes.filter((n) => up.has(n.id)).map((n) => n.id);
  return place.kind === "edge" ? [place.source, ...ordered] : ordered;
}

function roots(draft: Draft, place: ExpressionPlace): Completion[] {
  const out: Completion[] = [
    { label: "input", insert: "input", detail: "the run's input" },
    { label: "nodes", insert: "nodes", detail: "upstream steps" },
    { label: "run", insert: "run", detail: "number, version, id" },
  ];
  if (place.kind === "node") {
    const node = draft.nodes.find((n) => n.id === place.nodeId);
    if (node?.for_each && place.field !== "for_each") {
      out.push({ label: "item", insert: "item", detail: "this step's item" });
      out.push({ label: "item_index", insert: "item_index", detail: "its position, from 0" });
    }
    if (place.field.startsWith("config.") && node?.inputs && Object.keys(node.inputs).length > 0) {
      out.push({ label: "inputs", insert: "inputs", detail: "this node's rendered inputs" });
    }
  }
  return out;
}

function members(draft: Draft, place: ExpressionPlace, path: string[]): Completion[] {
  const [root, second, third] = path;
  if (path.length === 1 && root === "input") {
    return Object.entries(draft.input ?? {}).map(([name, f]) => ({
      label: name,
      insert: name,
      detail: `${f.type ?? "string"}${f.required ? ", required" : ""}`,
    }));
  }
  if (path.length === 1 && root === "nodes") {
    return visibleNodes(draft, place).map((id) => {
      const kind = draft.nodes.find((n) => n.id === id)?.kind ?? "";
      return { label: id, insert: id, detail: `${kind} node` };
    });
  }
  if (path.length === 1 && root === "run") return RUN_FIELDS;
  if (path.length === 1 && root === "inputs" && place.kind === "node") {
    const node = draft.nodes.find((n) => n.id === place.nodeId);
    return Object.keys(node?.inputs ?? {}).map((k) => ({
      label: k,
      insert: k,
      detail: "input of this node",
    }));
  }
  if (path.length === 2 && root === "nodes" && second && visibleNodes(draft, place).includes(second)) {
    return NODE_FIELDS;
  }
  if (path.length === 3 && root === "nodes" && third === "error") return ERROR_FIELDS;
  return [];
}

const FRAGMENT = /([A-Za-z_][A-Za-z0-9_-]*(?:\.[A-Za-z_][A-Za-z0-9_-]*)*)?(\.)?([A-Za-z0-9_-]*)$/;

/** Suggestions for the fragment before `caret`, or null when the caret is not inside an expression. */
export function complete(
  draft: Draft,
  place: ExpressionPlace,
  text: string,
  caret: number,
): CompletionResult | null {
  if (!insideExpression(text, caret)) return null;
  const before = text.slice(0, caret);
  const pipe = /\|\s*([A-Za-z_]*)$/.exec(before);
  if (pipe) {
    const typed = pipe[1] ?? "";
    const options = FILTERS.filter((f) => f.startsWith(typed)).map((f) => ({
      label: f,
      insert: f,
      detail: "filter",
    }));
    return { from: caret - typed.length, to: caret, options };
  }
  const m = FRAGMENT.exec(before);
  const head = m?.[1] ?? "";
  const dot = m?.[2] ?? "";
  const tail = m?.[3] ?? "";
  let path: string[];
  let typed: string;
  if (dot) {
    path = head.split(".");
    typed = tail;
  } else {
    const parts = head ? head.split(".") : [];
    typed = parts.pop() ?? "";
    path = parts;
    if (tail && !head) typed = tail;
  }
  const candidates = path.length === 0 ? roots(draft, place) : members(draft, place, path);
  const options = candidates.filter((c) => c.label.startsWith(typed) && c.label !== typed);
  return { from: caret - typed.length, to: caret, options };
}

/** The text with a completion applied; returns the new text and caret. */
export function applyCompletion(
  text: string,
  result: CompletionResult,
  option: Completion,
): [string, number] {
  const next = text.slice(0, result.from) + option.insert + text.slice(result.to);
  return [next, result.from + option.insert.length];
}
