// Draft → React Flow nodes and edges. Node objects are cached per draft node (drafts are immutable), so a
// drag that moves one node of 500 hands React Flow 499 identical objects and one new one.
import { type Edge, MarkerType, type Node } from "@xyflow/react";
import type { EdgeSpec } from "../../api/types";
import { type DraftNode, edgeKey } from "./draft";
import { type KindNeeds, needsOf, nodeTypeOf } from "./kinds";
import type { KindInfo } from "./schema";
import type { Problem } from "./validation";

export interface StepView {
  status: string | null; // the node's step status in a run
  items: number;
  counts: { [status: string]: number };
  attempts: number;
}

export interface NodeData extends Record<string, unknown> {
  node: DraftNode;
  needs: KindNeeds; // its kind's, from the server's schema
  problems: readonly Problem[];
  step?: StepView;
  diff?: "added" | "removed" | "changed";
}

export type FlowNode = Node<NodeData>;

export class FlowCache {
  private cache = new WeakMap<DraftNode, { key: string; value: FlowNode }>();

  // The kinds decide each node's type and needs: a cache is made for one list of kinds.
  constructor(private readonly kinds: readonly KindInfo[]) {}

  node(
    node: DraftNode,
    selected: boolean,
    problems: readonly Problem[],
    extra?: Partial<NodeData>,
    measured?: { width: number; height: number },
  ): FlowNode {
    const size = measured ? `${measured.width}x${measured.height}` : "";
    const key = `${selected}|${size}|${problems.length ? JSON.stringify(problems) : ""}|${extra ? JSON.stringify(extra) : ""}`;
    const hit = this.cache.get(node);
    if (hit && hit.key === key) return hit.value;
    const needs = needsOf(this.kinds, node.kind);
    const value: FlowNode = {
      id: node.id,
      type: nodeTypeOf(needs),
      position: node.position ?? { x: 0, y: 0 },
      selected,
      data: { node, needs, problems, ...extra },
      ...(measured ? { measured } : {}),
    };
    this.cache.set(node, { key, value });
    return value;
  }
}

const ARROW = { type: MarkerType.ArrowClosed, width: 18, height: 18 } as const;
// a red that reads on the light and the dark canvas (a marker's colour is an attribute: no CSS variable)
const ERROR_ARROW = { ...ARROW, color: "#d93a32" } as const;

export function flowEdge(e: EdgeSpec, selected: boolean, invalid: boolean, extraClass = ""): Edge {
  const error = e.branch === "error";
  // the error route leaves from the node's bottom handle and runs square below the normal edges, dashed red
  // a branch's name is on the handle the edge leaves from: said again on the edge, the names of three branches
  // leaving one node overlap (an invalid edge keeps it, to say which branch is wrong)
  const branch = error ? "on error" : invalid ? e.branch : undefined;
  const label = [branch, e.when ? `when ${e.when}` : ""].filter(Boolean).join(" · ");
  return {
    id: edgeKey(e),
    source: e.source,
    target: e.target,
    sourceHandle: e.branch ?? null,
    markerEnd: error ? ERROR_ARROW : ARROW, // which way the data flows, at a glance
    label: label || undefined,
    selected,
    className: [invalid ? "invalid" : "", error ? "error-branch" : "", extraClass].filter(Boolean).join(" "),
    data: { spec: e },
    ...(error ? { type: "smoothstep", pathOptions: { offset: 24, borderRadius: 8 } } : {}),
  };
}
