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
