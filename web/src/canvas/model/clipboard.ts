// Copy and paste of a selection: the nodes and the edges between them; pasted ids are fresh and
// expressions inside the pasted nodes follow their renamed neighbours.
import type { EdgeSpec } from "../../api/types";
import { type Draft, type DraftNode, freshId, type Json, nodeIds, renameInValue } from "./draft";

export interface Clip {
  lockgate: "nodes";
  nodes: DraftNode[];
  edges: EdgeSpec[];
}

export function copy(draft: Draft, selected: ReadonlySet<string>): Clip | null {
  const nodes = draft.nodes.filter((n) => selected.has(n.id));
  if (nodes.length === 0) return null;
  const edges = draft.edges.filter((e) => selected.has(e.source) && selected.has(e.target));
  return { lockgate: "nodes", nodes, edges };
}

export function parseClip(text: string): Clip | null {
  try {
    const value = JSON.parse(text) as Partial<Clip>;
    if (value.lockgate === "nodes" && Array.isArray(value.nodes) && Array.isArray(value.edges))
      return value as Clip;
  } catch {
    return null;
  }
  return null;
}

/** The draft with the clip added (shifted by `offset`), and the new ids. */
export function paste(draft: Draft, clip: Clip, offset = { x: 40, y: 40 }): [Draft, string[]] {
  const taken = nodeIds(draft);
  const renames = new Map<string, string>();
  for (const node of clip.nodes) {
    const id = freshId(node.id, taken);
    taken.add(id);
    renames.set(node.id, id);
  }
  const nodes = clip.nodes.map((node) => {
    const renamed = renameInValue(node as unknown as Json, renames) as unknown as DraftNode;
    const at = node.position ?? { x: 0, y: 0 };
    return {
      ...renamed,
      id: renames.get(node.id) as string,
      position: { x: at.x + offset.x, y: at.y + offset.y },
    };
  });
  const edges = clip.edges.map((e) => ({
    ...e,
    source: renames.get(e.source) as string,
    target: renames.get(e.target) as string,
    when: e.when ? (renameInValue(e.when, renames) as string) : e.when,
  }));
  return [
    { ...draft, nodes: [...draft.nodes, ...nodes], edges: [...draft.edges, ...edges] },
    [...renames.values()],
  ];
}
