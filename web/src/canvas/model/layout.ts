// Auto-layout with dagre: left to right by dependency, positions rounded to the grid.
import dagre from "@dagrejs/dagre";
import type { Draft } from "./draft";

export const NODE_WIDTH = 220;
export const NODE_HEIGHT = 72;

export function autoLayout(draft: Draft, direction: "LR" | "TB" = "LR"): Draft {
  const g = new dagre.graphlib.Graph();
  g.setGraph({ rankdir: direction, nodesep: 36, ranksep: 90, marginx: 20, marginy: 20 });
  g.setDefaultEdgeLabel(() => ({}));
  for (const node of draft.nodes) g.setNode(node.id, { width: NODE_WIDTH, height: NODE_HEIGHT });
  for (const edge of draft.edges) g.setEdge(edge.source, edge.target);
  dagre.layout(g);
  return {
    ...draft,
    nodes: draft.nodes.map((node) => {
      const at = g.node(node.id);
      if (!at) return node;
      return {
        ...node,
        position: { x: Math.round(at.x - NODE_WIDTH / 2), y: Math.round(at.y - NODE_HEIGHT / 2) },
      };
    }),
  };
}

/** Whether any node lacks a position (then the editor lays the graph out once on open). */
export function needsLayout(draft: Draft): boolean {
  return draft.nodes.some((n) => !n.position);
}

/** The first place at or below `at` where a new node overlaps none (a node added by keyboard stays visible). */
export function freeSpot(draft: Draft, at: { x: number; y: number }): { x: number; y: number } {
  const overlaps = (x: number, y: number) =>
    draft.nodes.some((n) => {
      const p = n.position;
      return p && Math.abs(p.x - x) < NODE_WIDTH + 16 && Math.abs(p.y - y) < NODE_HEIGHT + 16;
    });
  const spot = { x: Math.round(at.x), y: Math.round(at.y) };
  for (let i = 0; i < 200 && overlaps(spot.x, spot.y); i++) spot.y += NODE_HEIGHT + 24;
  return spot;
}
