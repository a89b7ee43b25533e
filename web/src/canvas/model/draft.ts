// The definition being edited: a PipelineSpec that may be incomplete (a node just dropped has no config yet).
// Pure functions over immutable values; the canvas and the inspector only dispatch these.
import type { EdgeSpec, InputField, NodeBase, PipelineSpec } from "../../api/types";

export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

export type DraftNode = Partial<NodeBase> & {
  id: string;
  kind: string;
  config?: { [key: string]: Json };
};

export interface Draft {
  name: string;
  description?: string | null;
  input?: { [field: string]: Partial<InputField> };
  nodes: DraftNode[];
  edges: EdgeSpec[];
  output?: Json;
}

export const NODE_ID = /^[a-z][a-z0-9_-]{0,62}$/;

export function emptyDraft(name: string): Draft {
  return { name, nodes: [], edges: [] };
}

/** A definition from the server (or a file) as a draft. */
export function fromSpec(spec: PipelineSpec | { [key: string]: unknown }): Draft {
  const s = spec as Partial<Draft>;
  return {
    ...(s as Draft),
    name: s.name ?? "",
    nodes: (s.nodes ?? []) as DraftNode[],
    edges: (s.edges ?? []) as EdgeSpec[],
  };
}

function dropEmpty(value: { [key: string]: unknown }): { [key: string]: unknown } {
  return Object.fromEntries(
    Object.entries(value).filter(([, v]) => v !== undefined && v !== null && v !== ""),
  );
}

/** The draft as a definition document: empty optional fields left out, edges without null members. */
export function toSpec(draft: Draft): { [key: string]: unknown } {
  const doc: { [key: string]: unknown } = { name: draft.name };
  if (draft.description) doc.description = draft.description;
  if (draft.input && Object.keys(draft.input).length > 0) doc.input = draft.input;
  doc.nodes = draft.nodes.map((n) => dropEmpty(n as { [key: string]: unknown }));
  doc.edges = draft.edges.map((e) => dropEmpty(e as unknown as { [key: string]: unknown }));
  if (draft.output !== undefined && draft.output !== null && draft.output !== "") doc.output = draft.output;
  return doc;
}

/** `kind`, `kind-2`, `kind-3`…: the first id not taken. */
export function freshId(base: string, taken: ReadonlySet<string>): string {
  const stem =
    base
      .toLowerCase()
      .replace(/[^a-z0-9_-]+/g, "-")
      .replace(/^[^a-z]+/, "")
      .slice(0, 50) || "node";
  if (!taken.has(stem)) return stem;
  for (let i = 2; ; i++) {
    const candidate = `${stem}-${i}`;
    if (!taken.has(candidate)) return candidate;
  }
}

export function nodeIds(draft: Draft): Set<string> {
  return new Set(draft.nodes.map((n) => n.id));
}

export function addNode(draft: Draft, kind: string, position: { x: number; y: number }): [Draft, string] {
  const id = freshId(kind, nodeIds(draft));
  const node: DraftNode = { id, kind, config: {}, position };
  return [{ ...draft, nodes: [...draft.nodes, node] }, id];
}

export function updateNode(draft: Draft, id: string, next: DraftNode): Draft {
  const renamed = next.id !== id;
  const nodes = draft.nodes.map((n) => (n.id === id ? next : n));
  if (!renamed) return { ...draft, nodes };
  const edges = draft.edges.map((e) => ({
    ...e,
    source: e.source === id ? next.id : e.source,
    target: e.target === id ? next.id : e.target,
  }));
  return renameReferences({ ...draft, nodes, edges }, new Map([[id, next.id]]));
}

export function moveNodes(draft: Draft, moves: ReadonlyMap<string, { x: number; y: number }>): Draft {
  if (moves.size === 0) return draft;
  return {
    ...draft,
    nodes: draft.nodes.map((n) => {
      const to = moves.get(n.id);
      return to ? { ...n, position: { x: Math.round(to.x), y: Math.round(to.y) } } : n;
    }),
  };
}

export function removeNodes(draft: Draft, ids: ReadonlySet<string>): Draft {
  if (ids.size === 0) return draft;
  return {
    ...draft,
    nodes: draft.nodes.filter((n) => !ids.has(n.id)),
    edges: draft.edges.filter((e) => !ids.has(e.source) && !ids.has(e.target)),
  };
}

export function edgeKey(e: Pick<EdgeSpec, "source" | "target" | "branch">): string {
  return `${e.source}->${e.target}${e.branch ? `#${e.branch}` : ""}`;
}

export function connect(draft: Draft, edge: EdgeSpec): Draft {
  if (edge.source === edge.target) return draft;
  const key = edgeKey(edge);
  if (draft.edges.some((e) => edgeKey(e) === key)) return draft;
  return { ...draft, edges: [...draft.edges, edge] };
}

export function updateEdge(draft: Draft, key: string, next: EdgeSpec): Draft {
  return { ...draft, edges: draft.edges.map((e) => (edgeKey(e) === key ? next : e)) };
}

export function removeEdges(draft: Draft, keys: ReadonlySet<string>): Draft {
  if (keys.size === 0) return draft;
  return { ...draft, edges: draft.edges.filter((e) => !keys.has(edgeKey(e))) };
}

const REFERENCE = /(\bnodes\s*\.\s*)([a-z][a-z0-9_-]*)|(\bnodes\s*\[\s*['"])([a-z][a-z0-9_-]*)(['"]\s*\])/g;

/** Rewrite `nodes.<old>` to `nodes.<new>` inside every string of a JSON value. */
export function renameInValue(value: Json, renames: ReadonlyMap<string, string>): Json {
  if (typeof value === "string") {
    if (!value.includes("nodes")) return value;
    return value.replace(REFERENCE, (m, dot, id, open, qid, close) => {
      if (dot !== undefined) return renames.has(id) ? `${dot}${renames.get(id)}` : m;
      return renames.has(qid) ? `${open}${renames.get(qid)}${close}` : m;
    });
  }
  if (Array.isArray(value)) return value.map((v) => renameInValue(v, renames));
  if (value !== null && typeof value === "object") {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, renameInValue(v, renames)]));
  }
  return value;
}

/** After ids changed: expressions in nodes, edges and the output follow. */
export function renameReferences(draft: Draft, renames: ReadonlyMap<string, string>): Draft {
  return {
    ...draft,
    nodes: draft.nodes.map((n) => renameInValue(n as unknown as Json, renames) as unknown as DraftNode),
    edges: draft.edges.map((e) => (e.when ? { ...e, when: renameInValue(e.when, renames) as string } : e)),
    output: draft.output === undefined ? undefined : renameInValue(draft.output, renames),
  };
}

/** Nodes from which `id` can be reached (its ancestors), as the compiler sees "upstream". */
export function upstreamOf(draft: Draft, id: string): Set<string> {
  const parents = new Map<string, string[]>();
  for (const e of draft.edges) {
    const list = parents.get(e.target) ?? [];
    list.push(e.source);
    parents.set(e.target, list);
  }
  const seen = new Set<string>();
  const stack = [...(parents.get(id) ?? [])];
  while (stack.length > 0) {
    const next = stack.pop() as string;
    if (seen.has(next)) continue;
    seen.add(next);
    stack.push(...(parents.get(next) ?? []));
  }
  seen.delete(id);
  return seen;
}
