// A read-only graph: a version's overview, a run coloured by step status, a diff coloured by change.
import { Background, Controls, type Edge, MiniMap, ReactFlow, ReactFlowProvider } from "@xyflow/react";
import { useMemo, useRef } from "react";
import {
  autoLayout,
  type Draft,
  edgeKey,
  FlowCache,
  type FlowNode,
  flowEdge,
  type KindInfo,
  type NodeData,
  needsLayout,
} from "./model";
import { nodeTypes } from "./nodeTypes";
import { useFit } from "./useFit";

const EMPTY: never[] = [];

type Props = {
  draft: Draft;
  kinds: readonly KindInfo[]; // the server's (useKinds): what each node's kind needs decides how it is drawn
  extra?: (id: string) => Partial<NodeData> | undefined;
  edgeClass?: (key: string) => string;
  selected?: string | null;
  onSelect?: (id: string | null) => void;
  label: string;
  height?: number | string;
};

export function GraphView(props: Props) {
  return (
    <ReactFlowProvider>
      <Graph {...props} />
    </ReactFlowProvider>
  );
}

function Graph({ draft, kinds, extra, edgeClass, selected, onSelect, label, height = 420 }: Props) {
  const laid = useMemo(() => (needsLayout(draft) ? autoLayout(draft) : draft), [draft]);
  const cache = useMemo(() => new FlowCache(kinds), [kinds]);
  const nodes: FlowNode[] = useMemo(
    () => laid.nodes.map((n) => cache.node(n, n.id === selected, EMPTY, extra?.(n.id))),
    [laid, extra, selected, cache],
  );
  const edges: Edge[] = useMemo(
    () => laid.edges.map((e) => flowEdge(e, false, false, edgeClass?.(edgeKey(e)) ?? "")),
    [laid, edgeClass],
  );
  const box = useRef<HTMLElement>(null);
  const big = laid.nodes.length > 150;
  useFit(box, { big });
  return (
    <section className="graph-view" style={{ height }} aria-label={label} ref={box}>
      <ReactFlow
        nodes={nodes}
        edges={edges}
        nodeTypes={nodeTypes}
        nodesDraggable={false}
        nodesConnectable={false}
        elementsSelectable={Boolean(onSelect)}
        onNodeClick={(_, node) => onSelect?.(node.id)}
        onPaneClick={() => onSelect?.(null)}
        onlyRenderVisibleElements={big}
        minZoom={0.05}
        proOptions={{ hideAttribution: true }}
      >
        <Background gap={16} />
        <Controls showInteractive={false} fitViewOptions={{ maxZoom: 1 }} />
        {laid.nodes.length > 12 && <MiniMap pannable zoomable ariaLabel="Overview of the graph" />}
      </ReactFlow>
    </section>
  );
}
