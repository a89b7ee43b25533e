// Problems the server's validate endpoint reported, sorted to where they are shown: on a node (and the
// inspector field), on an edge, or on the pipeline itself.
import type { FieldProblem } from "../../api/client";
import { type Draft, edgeKey } from "./draft";

export interface Problem {
  field: string;
  message: string;
}

export interface Problems {
  nodes: Map<string, Problem[]>;
  edges: Map<string, Problem[]>;
  pipeline: Problem[];
  count: number;
}

export const NO_PROBLEMS: Problems = { nodes: new Map(), edges: new Map(), pipeline: [], count: 0 };

const EDGE = /^edges\[(\d+)\]\.?(.*)$/;
const NODE = /^nodes\[(\d+)\]\.?(.*)$/;

function push(map: Map<string, Problem[]>, key: string, problem: Problem): void {
  const list = map.get(key) ?? [];
  list.push(problem);
  map.set(key, list);
}

export function sortProblems(draft: Draft, reported: readonly FieldProblem[]): Problems {
  const out: Problems = { nodes: new Map(), edges: new Map(), pipeline: [], count: reported.length };
  for (const p of reported) {
    const field = p.field ?? "";
    if (p.node_id) {
      push(out.nodes, p.node_id, { field, message: p.message });
      continue;
    }
    const edge = EDGE.exec(field);
    const edgeAt = edge ? draft.edges[Number(edge[1])] : undefined;
    if (edge && edgeAt) {
      push(out.edges, edgeKey(edgeAt), { field: edge[2] ?? "", message: p.message });
      continue;
    }
    const node = NODE.exec(field);
    const nodeAt = node ? draft.nodes[Number(node[1])] : undefined;
    if (node && nodeAt) {
      push(out.nodes, nodeAt.id, { field: node[2] ?? "", message: p.message });
      continue;
    }
    out.pipeline.push({ field, message: p.message });
  }
  return out;
}

/** Problems of one field (and the fields inside it): `config` matches `config.url`, `config.url` itself. */
export function problemsAt(problems: readonly Problem[] | undefined, field: string): Problem[] {
  if (!problems) return [];
  return problems.filter(
    (p) => p.field === field || p.field.startsWith(`${field}.`) || p.field.startsWith(`${field}[`),
  );
}
