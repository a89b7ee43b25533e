// What changed between two definitions (pipeline versions, or the draft against the saved version):
// nodes added/removed/changed with the leaf paths that differ, edges added/removed, pipeline-level fields.
import type { EdgeSpec } from "../../api/types";
import { type Draft, type DraftNode, edgeKey, type Json } from "./draft";

export type Change = "added" | "removed" | "changed" | "same";

export interface FieldChange {
  path: string;
  before: Json | undefined;
  after: Json | undefined;
}

export interface NodeDiff {
  id: string;
  kind: string;
  change: Change;
  fields: FieldChange[];
}

export interface EdgeDiff {
  key: string;
  edge: EdgeSpec;
  change: Exclude<Change, "changed">;
}

export interface DefinitionDiff {
  nodes: NodeDiff[];
  edges: EdgeDiff[];
  pipeline: FieldChange[];
  changed: boolean;
}

function isObject(v: unknown): v is { [key: string]: Json } {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/** Leaf-level differences; `position` is layout, not meaning, and is left out unless asked for. */
export function diffValues(before: Json | undefined, after: Json | undefined, path = ""): FieldChange[] {
  if (isObject(before) && isObject(after)) {
    const keys = [...new Set([...Object.keys(before), ...Object.keys(after)])].sort();
    return keys.flatMap((k) => diffValues(before[k], after[k], path ? `${path}.${k}` : k));
  }
  if (Array.isArray(before) && Array.isArray(after) && before.length === after.length) {
    return before.flatMap((b, i) => diffValues(b, after[i], `${path}[${i}]`));
  }
  if (JSON.stringify(before) === JSON.stringify(after)) return [];
  return [{ path, before, after }];
}

function nodeFields(before: DraftNode | undefined, after: DraftNode | undefined): FieldChange[] {
  const strip = (n: DraftNode | undefined): Json | undefined => {
    if (!n) return undefined;
    const { position: _position, ...rest } = n;
    return rest as unknown as Json;
  };
  return diffValues(strip(before), strip(after));
}

export function diffDefinitions(a: Draft, b: Draft): DefinitionDiff {
  const before = new Map(a.nodes.map((n) => [n.id, n]));
  const after = new Map(b.nodes.map((n) => [n.id, n]));
  const ids = [...new Set([...before.keys(), ...after.keys()])];
  const nodes: NodeDiff[] = ids.map((id) => {
    const x = before.get(id);
    const y = after.get(id);
    const change: Change = !x ? "added" : !y ? "removed" : nodeFields(x, y).length > 0 ? "changed" : "same";
    return { id, kind: (y ?? x)?.kind ?? "", change, fields: x && y ? nodeFields(x, y) : [] };
  });
  const ea = new Map(a.edges.map((e) => [`${edgeKey(e)}|${e.when ?? ""}`, e]));
  const eb = new Map(b.edges.map((e) => [`${edgeKey(e)}|${e.when ?? ""}`, e]));
  const edges: EdgeDiff[] = [...new Set([...ea.keys(), ...eb.keys()])].map((key) => ({
    key,
    edge: (eb.get(key) ?? ea.get(key)) as EdgeSpec,
    change: !ea.has(key) ? "added" : !eb.has(key) ? "removed" : "same",
  }));
  const top = (d: Draft): Json =>
    ({
      name: d.name,
      description: d.description ?? null,
      input: d.input ?? {},
      output: d.output ?? null,
    }) as Json;
  const pipeline = diffValues(top(a), top(b));
  const changed =
    pipeline.length > 0 || nodes.some((n) => n.change !== "same") || edges.some((e) => e.change !== "same");
  return { nodes, edges, pipeline, changed };
}

export function summarize(diff: DefinitionDiff): string {
  const count = (c: Change) => diff.nodes.filter((n) => n.change === c).length;
  const parts = [
    [count("added"), "added"],
    [count("removed"), "removed"],
    [count("changed"), "changed"],
  ]
    .filter(([n]) => (n as number) > 0)
    .map(([n, w]) => `${n} node${n === 1 ? "" : "s"} ${w}`);
  const edgesAdded = diff.edges.filter((e) => e.change === "added").length;
  const edgesRemoved = diff.edges.filter((e) => e.change === "removed").length;
  if (edgesAdded) parts.push(`${edgesAdded} edge${edgesAdded === 1 ? "" : "s"} added`);
  if (edgesRemoved) parts.push(`${edgesRemoved} edge${edgesRemoved === 1 ? "" : "s"} removed`);
  if (diff.pipeline.length) parts.push(`pipeline: ${diff.pipeline.map((f) => f.path).join(", ")}`);
  return parts.length ? parts.join(" · ") : "no changes";
}
