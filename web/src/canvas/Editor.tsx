// The editor: canvas, palette and inspector over one immutable draft with undo/redo. Every change is
// checked by the server's validate endpoint (debounced) and problems land on the nodes and fields they name.
import {
  Background,
  type Connection,
  Controls,
  type Edge,
  type EdgeChange,
  MiniMap,
  type NodeChange,
  type OnConnect,
  ReactFlow,
  ReactFlowProvider,
  useReactFlow,
} from "@xyflow/react";
import { type ReactNode, useCallback, useEffect, useMemo, useReducer, useRef, useState } from "react";
import { stringify } from "yaml";
import { ApiError } from "../api/client";
import type { EdgeSpec } from "../api/types";
import { Button } from "../lib/controls";
import { useHotkeys } from "../lib/hotkeys";
import { Inspector } from "./Inspector";
import { layoutAsync } from "./layoutAsync";
import {
  autoLayout,
  type Clip,
  copy,
  type Draft,
  type DraftNode,
  edgeKey,
  editorReducer,
  FlowCache,
  flowEdge,
  freeSpot,
  initialEditorState,
  isDirty,
  type JsonSchema,
  type KindInfo,
  type NodeData,
  needsLayout,
  needsOf,
  nodeKinds,
  nodeTypeOf,
  parseClip,
  READABLE_ZOOM,
  selectedEdgeSpec,
  selectedNode as selectedNodeOf,
  toSpec,
} from "./model";
import { nodeTypes } from "./nodeTypes";
import { KIND_MIME, Palette } from "./Palette";
import { useFit } from "./useFit";
import { useValidation } from "./useValidation";

const EMPTY: never[] = [];
const BIG = 150; // above this many nodes only what is on screen is rendered

export interface EditorProps {
  initial: Draft;
  schema: JsonSchema;
  credentials: string[] | null;
  readOnly: boolean;
  isNew: boolean;
  saving: boolean;
  onSave: (draft: Draft) => Promise<boolean>;
  onDirty?: (dirty: boolean) => void;
  // the builder's loop (EditorPage): a draft run's step per node, toolbar actions and a node's run panel, each
  // given the draft as it is now; `markSaved` says the draft was saved (no unsaved changes)
  stepOf?: (id: string) => Partial<NodeData> | undefined;
  actions?: (draft: Draft, markSaved: () => void) => ReactNode;
  nodePanel?: (node: DraftNode, draft: Draft, markSaved: () => void) => ReactNode;
}

export function Editor(props: EditorProps) {
  return (
    <ReactFlowProvider>
      <EditorInner {...props} />
    </ReactFlowProvider>
  );
}

function EditorInner({
  initial,
  schema,
  credentials,
  readOnly,
  isNew,
  saving,
  onSave,
  onDirty,
  stepOf,
  actions,
  nodePanel,
}: EditorProps) {
  const flow = useReactFlow();
  const kinds: KindInfo[] = useMemo(() => nodeKinds(schema), [schema]);
  // laid out on open: positions it did not have are not a change of the user's
  const [state, dispatch] = useReducer(editorReducer, initial, (d) =>
    initialEditorState(needsLayout(d) ? autoLayout(d) : d),
  );
  const { history, selectedNodes, selectedEdge } = state;
  const draft = history.present;
  const [problems, check] = useValidation(draft);
  const cache = useMemo(() => new FlowCache(kinds), [kinds]);
  const sizes = useRef(new Map<string, { width: number; height: number }>());
  const [sizeTick, setSizeTick] = useState(0);
  const wrapper = useRef<HTMLDivElement>(null);
  // an empty canvas keeps the plain viewport: a node dropped at once stays under the pointer
  const fitGraph = useFit(wrapper, { initial: initial.nodes.length > 0, big: initial.nodes.length > BIG });

  // the definition as JSON on every render of 500 nodes is not free: only when the draft or the save changes
  const { saved } = state;
  const dirty = useMemo(() => isDirty({ history: { present: draft }, saved }), [draft, saved]);
  useEffect(() => onDirty?.(dirty), [dirty, onDirty]);
  const markSaved = useCallback((d: Draft) => dispatch({ type: "saved", draft: d }), []);

  // biome-ignore lint/correctness/useExhaustiveDependencies: sizeTick says a node was measured (sizes is a ref)
  const nodes = useMemo(
    () =>
      draft.nodes.map((n) =>
        cache.node(
          n,
          selectedNodes.has(n.id),
          problems.nodes.get(n.id) ?? EMPTY,
          stepOf?.(n.id),
          sizes.current.get(n.id),
        ),
      ),
    [draft.nodes, selectedNodes, problems, cache, sizeTick, stepOf],
  );
  const edges: Edge[] = useMemo(
    () => draft.edges.map((e) => flowEdge(e, edgeKey(e) === selectedEdge, problems.edges.has(edgeKey(e)))),
    [draft.edges, selectedEdge, problems],
  );

  const onNodesChange = useCallback(
    (changes: NodeChange[]) => {
      const moves = new Map<string, { x: number; y: number }>();
      const selection: { id: string; selected: boolean }[] = [];
      let measured = false;
      for (const c of changes) {
        if (c.type === "position" && c.position) moves.set(c.id, c.position);
        if (c.type === "select") selection.push({ id: c.id, selected: c.selected });
        if (c.type === "dimensions" && c.dimensions) {
          sizes.current.set(c.id, c.dimensions);
          measured = true;
        }
      }
      if (moves.size && !readOnly) dispatch({ type: "move", moves });
      if (selection.length) dispatch({ type: "node-selection", changes: selection });
      if (measured) setSizeTick((t) => t + 1);
    },
    [readOnly],
  );

  const onEdgesChange = useCallback((changes: EdgeChange[]) => {
    for (const c of changes) {
      if (c.type === "select") dispatch({ type: "edge-selection", id: c.id, selected: c.selected });
    }
  }, []);

  const onConnect: OnConnect = useCallback(
    (c: Connection) => {
      if (readOnly) return;
      const edge: EdgeSpec = { source: c.source, target: c.target };
      if (c.sourceHandle) edge.branch = c.sourceHandle;
      dispatch({ type: "connect", edge, select: true });
    },
    [readOnly],
  );

  const deleteSelection = useCallback(() => {
    if (!readOnly) dispatch({ type: "delete-selection" });
  }, [readOnly]);

  const add = useCallback(
    (kind: string, at?: { x: number; y: number }) => {
      let position = at;
      // from the palette (a click or the keyboard) with one node selected: the new node follows it, connected
      const after =
        !at && selectedNodes.size === 1 ? draft.nodes.find((n) => selectedNodes.has(n.id)) : undefined;
      if (!position) {
        // right of the selected node, else in the middle of the view; never on top of one
        const beside = draft.nodes.find((n) => selectedNodes.has(n.id))?.position;
        const box = wrapper.current?.getBoundingClientRect();
        const center = box
          ? { x: box.left + box.width / 2, y: box.top + box.height / 3 }
          : { x: 300, y: 200 };
        const middle = flow.screenToFlowPosition(center);
        position = freeSpot(
          draft,
          beside ? { x: beside.x + 300, y: beside.y } : { x: middle.x - 110, y: middle.y - 36 },
        );
      }
      // a branching node's edges name their branch: those are drawn from its handles, not guessed here
      const link =
        after?.id && after.kind && nodeTypeOf(needsOf(kinds, after.kind)) === "step" ? after.id : null;
      dispatch({ type: "add", kind, position, after: link });
      // beside the selected node may be past the edge of the view: bring the new one in
      // (once it is measured: React Flow fits only the nodes it has sizes for)
      if (after) setTimeout(() => flow.fitView({ maxZoom: flow.getZoom(), minZoom: READABLE_ZOOM }), 50);
    },
    [draft, flow, selectedNodes, kinds],
  );

  const doCopy = useCallback(() => {
    const clip = copy(draft, selectedNodes);
    if (!clip) return;
    dispatch({ type: "copy" });
    navigator.clipboard?.writeText(JSON.stringify(clip)).catch(() => undefined);
  }, [draft, selectedNodes]);

  const doPaste = useCallback(async () => {
    if (readOnly) return;
    let clip: Clip | null = null;
    try {
      const text = await navigator.clipboard?.readText();
      clip = (text && parseClip(text)) || null;
    } catch {
      // the browser may refuse clipboard reads: the in-page clipboard is enough
    }
    dispatch({ type: "paste", clip });
  }, [readOnly]);

  const [layingOut, setLayingOut] = useState(false);
  const layout = useCallback(async () => {
    setLayingOut(true);
    const laid = await layoutAsync(draft);
    setLayingOut(false);
    dispatch({
      type: "layout",
      positions: new Map(laid.nodes.map((n) => [n.id, n.position ?? { x: 0, y: 0 }])),
    });
    requestAnimationFrame(() => fitGraph(200));
  }, [fitGraph, draft]);

  const save = useCallback(async () => {
    if (readOnly || saving) return;
    if (await onSave(draft)) markSaved(draft);
  }, [draft, onSave, readOnly, saving, markSaved]);

  const undoStep = useCallback(() => dispatch({ type: "undo" }), []);
  const redoStep = useCallback(() => dispatch({ type: "redo" }), []);
  const clearSelection = useCallback(() => dispatch({ type: "select", nodes: [] }), []);

  useHotkeys({
    "mod+z": undoStep,
    "shift+mod+z": redoStep,
    "mod+y": redoStep,
    "mod+c": doCopy,
    "mod+v": () => void doPaste(),
    "mod+d": () => {
      doCopy();
      void doPaste();
    },
    "mod+s": () => void save(),
    // the selection lives in this component's state: deleting it here, not in React Flow, uses exactly that
    delete: deleteSelection,
    backspace: deleteSelection,
    "mod+a": () => dispatch({ type: "select-all" }),
    l: () => void layout(),
    f: () => flow.fitView({ duration: 200, maxZoom: 1 }), // asked for: the whole graph, however small
    escape: clearSelection,
  });

  const exportYaml = () => {
    const blob = new Blob([stringify(toSpec(draft))], { type: "application/yaml" });
    const a = document.createElement("a");
    a.href = URL.createObjectURL(blob);
    a.download = `${draft.name || "pipeline"}.yaml`;
    a.click();
    URL.revokeObjectURL(a.href);
  };

  const selectedNode = selectedNodeOf(state);
  const edgeSpec = selectedEdgeSpec(state);

  return (
    <div className="editor">
      <div className="editor-toolbar" role="toolbar" aria-label="Editor">
        {!readOnly && (
          <Button
            variant="primary"
            onClick={save}
            disabled={saving}
            title="Publish as a new version: it must be valid (Ctrl+S)"
          >
            {saving ? "Saving…" : isNew ? "Save pipeline" : "Save version"}
          </Button>
        )}
        {!readOnly && (
          <>
            <Button onClick={undoStep} disabled={history.past.length === 0} title="Undo (Ctrl+Z)">
              <Tool icon="↶" label="Undo" />
            </Button>
            <Button onClick={redoStep} disabled={history.future.length === 0} title="Redo (Ctrl+Shift+Z)">
              <Tool icon="↷" label="Redo" />
            </Button>
            <Button onClick={layout} title="Auto-layout (L)" disabled={layingOut}>
              <Tool icon="⊞" label={layingOut ? "Laying out…" : "Auto-layout"} />
            </Button>
          </>
        )}
        {actions?.(draft, () => markSaved(draft))}
        <Button onClick={exportYaml} title="Download the draft as YAML">
          <Tool icon="⤓" label="Export YAML" />
        </Button>
        <span
          className={`check check-${check.state}`}
          role="status"
          aria-live="polite"
          data-problems={problems.count}
        >
          {check.state === "checking"
            ? "Checking…"
            : check.state === "valid"
              ? "✓ Valid"
              : check.state === "invalid"
                ? `${problems.count} problem${problems.count === 1 ? "" : "s"}`
                : check.state === "error"
                  ? check.message
                  : ""}
        </span>
        {dirty && !isNew && <span className="muted small">unsaved changes</span>}
        <span className="muted small shortcuts">
          Del delete · Ctrl+C/V copy/paste · Ctrl+Z undo · L layout · F fit
        </span>
      </div>
      <div className="editor-body">
        {!readOnly && <Palette kinds={kinds} onAdd={(k) => add(k)} />}
        <section
          className="canvas"
          ref={wrapper}
          aria-label="Canvas"
          onDragOver={(e) => {
            if (e.dataTransfer.types.includes(KIND_MIME)) {
              e.preventDefault();
              e.dataTransfer.dropEffect = "move";
            }
          }}
          onDrop={(e) => {
            const kind = e.dataTransfer.getData(KIND_MIME);
            if (!kind || readOnly) return;
            e.preventDefault();
            const at = flow.screenToFlowPosition({ x: e.clientX, y: e.clientY });
            add(kind, { x: at.x - 110, y: at.y - 36 });
          }}
        >
          <ReactFlow
            nodes={nodes}
            edges={edges}
            nodeTypes={nodeTypes}
            onNodesChange={onNodesChange}
            onEdgesChange={onEdgesChange}
            onConnect={onConnect}
            onNodeDragStart={() => dispatch({ type: "drag-start" })}
            onNodeDragStop={() => dispatch({ type: "drag-stop" })}
            onPaneClick={clearSelection}
            deleteKeyCode={null}
            nodesDraggable={!readOnly}
            nodesConnectable={!readOnly}
            onlyRenderVisibleElements={draft.nodes.length > BIG}
            minZoom={0.05}
            snapToGrid
            snapGrid={[8, 8]}
            proOptions={{ hideAttribution: true }}
          >
            <Background gap={16} />
            <Controls showInteractive={false} fitViewOptions={{ maxZoom: 1 }} />
            <MiniMap pannable zoomable ariaLabel="Overview of the graph" />
          </ReactFlow>
          {draft.nodes.length === 0 && (
            <div className="canvas-empty">
              <p>Drag a node kind from the palette onto the canvas, or select one and press Enter.</p>
            </div>
          )}
        </section>
        <Inspector
          draft={draft}
          schema={schema}
          kinds={kinds}
          problems={problems}
          selectedNode={selectedNode}
          selectedEdge={edgeSpec}
          credentials={credentials}
          readOnly={readOnly}
          isNew={isNew}
          onNode={(id, next) => dispatch({ type: "edit-node", id, next, at: Date.now() })}
          onEdge={(key, next) => dispatch({ type: "edit-edge", key, next, at: Date.now() })}
          onPipeline={(next) => dispatch({ type: "edit-pipeline", next, at: Date.now() })}
          onDelete={deleteSelection}
          onConnect={(edge) => dispatch({ type: "connect", edge, select: false })}
          onRemoveEdge={(key) => dispatch({ type: "remove-edge", key })}
          nodeExtra={
            selectedNode && nodePanel ? nodePanel(selectedNode, draft, () => markSaved(draft)) : null
          }
        />
      </div>
    </div>
  );
}

/** A toolbar button's face: the icon always, the words beside it where the toolbar has room (else read out). */
function Tool({ icon, label }: { icon: string; label: string }) {
  return (
    <>
      <span className="tool-icon" aria-hidden="true">
        {icon}
      </span>
      <span className="tool-label">{label}</span>
    </>
  );
}

export { ApiError };
