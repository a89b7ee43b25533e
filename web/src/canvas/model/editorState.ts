// The editor's state as one pure reducer: the draft's history, the selection, the in-page clipboard and what
// was last saved. Editor.tsx only translates events (React Flow's, the keyboard's, the inspector's) into
// actions; everything that decides what a change does is here, under Vitest.
import type { EdgeSpec } from "../../api/types";
import { type Clip, copy, paste } from "./clipboard";
import {
  addNode,
  connect,
  type Draft,
  type DraftNode,
  edgeKey,
  moveNodes,
  removeEdges,
  removeNodes,
  toSpec,
  updateEdge,
  updateNode,
} from "./draft";
import { checkpoint, commit, type History, redo, replace, start, undo } from "./history";

/** Typing in one field within this long of the last key is the same undo step. */
export const MERGE_MS = 1500;

type Point = { x: number; y: number };

export interface EditorState {
  history: History<Draft>;
  saved: string; // the definition as last saved (toSpec as JSON): dirty is any difference from it
  selectedNodes: ReadonlySet<string>;
  selectedEdge: string | null;
  clipboard: Clip | null; // the in-page clipboard (the system one may refuse reads)
  lastEdit: { key: string; at: number }; // the field typed in last, for merging keys into one step
  dragStart: Draft | null; // the draft a drag began at: the whole drag is one step
}

export type EditorAction =
  | { type: "select"; nodes: readonly string[]; edge?: string | null }
  | { type: "select-all" }
  | { type: "node-selection"; changes: readonly { id: string; selected: boolean }[] }
  | { type: "edge-selection"; id: string; selected: boolean }
  | { type: "move"; moves: ReadonlyMap<string, Point> }
  | { type: "drag-start" }
  | { type: "drag-stop" }
  | { type: "layout"; positions: ReadonlyMap<string, Point> }
  | { type: "add"; kind: string; position: Point; after: string | null }
  | { type: "connect"; edge: EdgeSpec; select: boolean }
  | { type: "remove-edge"; key: string }
  | { type: "delete-selection" }
  | { type: "edit-node"; id: string; next: DraftNode; at: number }
  | { type: "edit-edge"; key: string; next: EdgeSpec; at: number }
  | { type: "edit-pipeline"; next: Draft; at: number }
  | { type: "copy" }
  | { type: "paste"; clip: Clip | null }
  | { type: "undo" }
  | { type: "redo" }
  | { type: "saved"; draft: Draft };

const NONE: ReadonlySet<string> = new Set();
const NO_EDIT = { key: "", at: Number.NEGATIVE_INFINITY };

export function specText(draft: Draft): string {
  return JSON.stringify(toSpec(draft));
}

/** A fresh editor over `draft`, which counts as saved (positions laid out on open are not a user's change). */
export function initialEditorState(draft: Draft): EditorState {
  return {
    history: start(draft),
    saved: specText(draft),
    selectedNodes: NONE,
    selectedEdge: null,
    clipboard: null,
    lastEdit: NO_EDIT,
    dragStart: null,
  };
}

export function isDirty(state: { history: { present: Draft }; saved: string }): boolean {
  return specText(state.history.present) !== state.saved;
}

/** The one node selected, if exactly one is. */
export function selectedNode(state: EditorState): DraftNode | null {
  const { selectedNodes, history } = state;
  if (selectedNodes.size !== 1) return null;
  return history.present.nodes.find((n) => selectedNodes.has(n.id)) ?? null;
}

export function selectedEdgeSpec(state: EditorState): EdgeSpec | null {
  const key = state.selectedEdge;
  return key ? (state.history.present.edges.find((e) => edgeKey(e) === key) ?? null) : null;
}

/** A recorded step: every other kind of change ends a run of merged keystrokes. */
function step(state: EditorState, next: Draft): EditorState {
  return { ...state, history: commit(state.history, next), lastEdit: NO_EDIT };
}

/** One keystroke of typing in field `key`: merged into the last step when it follows one in the same field. */
function typed(state: EditorState, key: string, at: number, next: Draft): EditorState {
  const merge = state.lastEdit.key === key && at - state.lastEdit.at < MERGE_MS;
  const history = merge ? replace(state.history, next) : commit(state.history, next);
  return { ...state, history, lastEdit: { key, at } };
}

export function editorReducer(state: EditorState, action: EditorAction): EditorState {
  const draft = state.history.present;
  switch (action.type) {
    case "select":
      return { ...state, selectedNodes: new Set(action.nodes), selectedEdge: action.edge ?? null };
    case "select-all":
      return { ...state, selectedNodes: new Set(draft.nodes.map((n) => n.id)), selectedEdge: null };
    case "node-selection": {
      const nodes = new Set(state.selectedNodes);
      for (const c of action.changes) {
        if (c.selected) nodes.add(c.id);
        else nodes.delete(c.id);
      }
      return { ...state, selectedNodes: nodes, selectedEdge: nodes.size ? null : state.selectedEdge };
    }
    case "edge-selection": {
      if (action.selected) return { ...state, selectedEdge: action.id, selectedNodes: NONE };
      return state.selectedEdge === action.id ? { ...state, selectedEdge: null } : state;
    }
    case "move":
      // every frame of a drag: no step of its own (drag-stop records the drag as one)
      return { ...state, history: replace(state.history, moveNodes(draft, action.moves)) };
    case "drag-start":
      return { ...state, dragStart: draft };
    case "drag-stop": {
      const before = state.dragStart;
      const history = before ? checkpoint(state.history, before) : state.history;
      return { ...state, history, dragStart: null, lastEdit: NO_EDIT };
    }
    case "layout":
      // positions only: edits made while the layout was computed are kept
      return step(state, moveNodes(draft, action.positions));
    case "add": {
      const [added, id] = addNode(draft, action.kind, {
        x: Math.round(action.position.x),
        y: Math.round(action.position.y),
      });
      const linked = action.after ? connect(added, { source: action.after, target: id }) : added;
      return { ...step(state, linked), selectedNodes: new Set([id]), selectedEdge: null };
    }
    case "connect": {
      const next = step(state, connect(draft, action.edge));
      return action.select ? { ...next, selectedEdge: edgeKey(action.edge), selectedNodes: NONE } : next;
    }
    case "remove-edge":
      return step(state, removeEdges(draft, new Set([action.key])));
    case "delete-selection": {
      const edges = new Set(state.selectedEdge ? [state.selectedEdge] : []);
      const next = removeEdges(removeNodes(draft, state.selectedNodes), edges);
      return { ...step(state, next), selectedNodes: NONE, selectedEdge: null };
    }
    case "edit-node": {
      const next = typed(state, `node:${action.id}`, action.at, updateNode(draft, action.id, action.next));
      // a renamed node stays selected under its new id
      return action.next.id === action.id ? next : { ...next, selectedNodes: new Set([action.next.id]) };
    }
    case "edit-edge": {
      const next = typed(state, `edge:${action.key}`, action.at, updateEdge(draft, action.key, action.next));
      return { ...next, selectedEdge: edgeKey(action.next) };
    }
    case "edit-pipeline":
      return typed(state, "pipeline", action.at, action.next);
    case "copy":
      return { ...state, clipboard: copy(draft, state.selectedNodes) ?? state.clipboard };
    case "paste": {
      const clip = action.clip ?? state.clipboard;
      if (!clip) return state;
      const [next, ids] = paste(draft, clip);
      return { ...step(state, next), selectedNodes: new Set(ids), selectedEdge: null };
    }
    case "undo":
      return { ...state, history: undo(state.history), lastEdit: NO_EDIT };
    case "redo":
      return { ...state, history: redo(state.history), lastEdit: NO_EDIT };
    case "saved":
      return { ...state, saved: specText(action.draft) };
    default: {
      const unknown: never = action;
      throw new Error(`unknown editor action ${JSON.stringify(unknown)}`);
    }
  }
}
