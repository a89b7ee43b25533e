import { describe, expect, it } from "vitest";
import { fromSpec } from "./draft";
import {
  type EditorAction,
  type EditorState,
  editorReducer,
  initialEditorState,
  isDirty,
  MERGE_MS,
  selectedEdgeSpec,
  selectedNode,
} from "./editorState";

const open = () =>
  initialEditorState(
    fromSpec({
      name: "hello",
      nodes: [
        { id: "fetch", kind: "http", config: { url: "https://example.com" }, position: { x: 0, y: 0 } },
        {
          id: "shout",
          kind: "transform",
          config: { value: "{{ nodes.fetch.output }}" },
          position: { x: 300, y: 0 },
        },
        { id: "done", kind: "noop", position: { x: 600, y: 0 } },
      ],
      edges: [
        { source: "fetch", target: "shout" },
        { source: "shout", target: "done" },
      ],
    }),
  );

const run = (state: EditorState, ...actions: EditorAction[]) => actions.reduce(editorReducer, state);
const draftOf = (s: EditorState) => s.history.present;
const node = (s: EditorState, id: string) => draftOf(s).nodes.find((n) => n.id === id);
const rename = (s: EditorState, id: string, to: string, at: number): EditorAction => ({
  type: "edit-node",
  id,
  next: { ...(node(s, id) ?? { id, kind: "noop" }), id: to },
  at,
});
const setValue = (s: EditorState, value: string, at: number): EditorAction => ({
  type: "edit-node",
  id: "shout",
  next: { ...(node(s, "shout") ?? { id: "shout", kind: "transform" }), config: { value } },
  at,
});

describe("selection", () => {
  it("selects one node, and an edge clears the nodes", () => {
    let s = run(open(), { type: "node-selection", changes: [{ id: "shout", selected: true }] });
    expect(selectedNode(s)?.id).toBe("shout");
    s = run(s, { type: "edge-selection", id: "fetch->shout", selected: true });
    expect(s.selectedNodes.size).toBe(0);
    expect(selectedEdgeSpec(s)).toEqual({ source: "fetch", target: "shout" });
    s = run(s, { type: "node-selection", changes: [{ id: "done", selected: true }] });
    expect(s.selectedEdge).toBeNull();
  });

  it("selects several nodes: no single node is inspected, delete removes them all and their edges", () => {
    let s = run(open(), {
      type: "node-selection",
      changes: [
        { id: "fetch", selected: true },
        { id: "shout", selected: true },
      ],
    });
    expect([...s.selectedNodes]).toEqual(["fetch", "shout"]);
    expect(selectedNode(s)).toBeNull();
    s = run(s, { type: "node-selection", changes: [{ id: "fetch", selected: false }] });
    expect(selectedNode(s)?.id).toBe("shout");
    s = run(s, { type: "select-all" }, { type: "delete-selection" });
    expect(draftOf(s).nodes).toEqual([]);
    expect(draftOf(s).edges).toEqual([]);
    expect(s.selectedNodes.size).toBe(0);
  });

  it("keeps a renamed node selected under its new id, with edges and expressions following", () => {
    let s = run(open(), { type: "select", nodes: ["fetch"] });
    s = run(s, rename(s, "fetch", "get", 0));
    expect(selectedNode(s)?.id).toBe("get");
    expect(draftOf(s).edges[0]).toEqual({ source: "get", target: "shout" });
    expect(node(s, "shout")?.config?.value).toBe("{{ nodes.get.output }}");
  });
});

describe("undo and redo", () => {
  it("merges keys typed in one field into one step, and a pause or another field starts a new one", () => {
    let s = open();
    s = run(s, setValue(s, "a", 0));
    s = run(s, setValue(s, "ab", 100));
    s = run(s, setValue(s, "abc", 200));
    expect(s.history.past).toHaveLength(1);
    s = run(s, setValue(s, "abcd", 200 + MERGE_MS)); // after a pause
    expect(s.history.past).toHaveLength(2);
    s = run(s, { type: "edit-pipeline", next: { ...draftOf(s), description: "d" }, at: 200 + MERGE_MS + 10 });
    expect(s.history.past).toHaveLength(3);

    s = run(s, { type: "undo" });
    expect(draftOf(s).description).toBeUndefined();
    s = run(s, { type: "undo" });
    expect(node(s, "shout")?.config?.value).toBe("abc");
    s = run(s, { type: "undo" });
    expect(node(s, "shout")?.config?.value).toBe("{{ nodes.fetch.output }}");
    s = run(s, { type: "undo" }); // nothing further back
    expect(s.history.past).toHaveLength(0);
    s = run(s, { type: "redo" }, { type: "redo" });
    expect(node(s, "shout")?.config?.value).toBe("abcd");
  });

  it("does not merge a key typed just after an undo into the undone step", () => {
    let s = open();
    s = run(s, setValue(s, "a", 0), { type: "undo" });
    s = run(s, setValue(s, "b", 10));
    expect(s.history.past).toHaveLength(1);
    s = run(s, { type: "undo" });
    expect(node(s, "shout")?.config?.value).toBe("{{ nodes.fetch.output }}");
  });

  it("records a whole drag as one step", () => {
    let s = run(open(), { type: "drag-start" });
    for (let x = 1; x <= 5; x++)
      s = run(s, { type: "move", moves: new Map([["done", { x: x * 10, y: 0 }]]) });
    s = run(s, { type: "drag-stop" });
    expect(node(s, "done")?.position).toEqual({ x: 50, y: 0 });
    expect(s.history.past).toHaveLength(1);
    s = run(s, { type: "undo" });
    expect(node(s, "done")?.position).toEqual({ x: 600, y: 0 });
  });
});

describe("clipboard", () => {
  it("pastes copies under fresh ids with their inner edge and renamed expressions, selected", () => {
    let s = run(open(), { type: "select", nodes: ["fetch", "shout"] }, { type: "copy" });
    expect(s.clipboard?.nodes.map((n) => n.id)).toEqual(["fetch", "shout"]);
    s = run(s, { type: "paste", clip: null });
    expect([...s.selectedNodes]).toEqual(["fetch-2", "shout-2"]);
    expect(draftOf(s).nodes).toHaveLength(5);
    expect(draftOf(s).edges).toContainEqual({ source: "fetch-2", target: "shout-2" });
    expect(node(s, "shout-2")?.config?.value).toBe("{{ nodes.fetch-2.output }}");
    expect(node(s, "fetch-2")?.position).toEqual({ x: 40, y: 40 });
    // a second paste takes the next free ids
    s = run(s, { type: "paste", clip: null });
    expect([...s.selectedNodes]).toEqual(["fetch-3", "shout-3"]);
    s = run(s, { type: "undo" }, { type: "undo" });
    expect(draftOf(s).nodes).toHaveLength(3);
  });

  it("pastes what the system clipboard held over the in-page one, and nothing without a clip", () => {
    const empty = open();
    expect(run(empty, { type: "paste", clip: null })).toBe(empty);
    const clip = { lockgate: "nodes" as const, nodes: [{ id: "done", kind: "noop" }], edges: [] };
    const s = run(empty, { type: "paste", clip });
    expect([...s.selectedNodes]).toEqual(["done-2"]);
  });
});

describe("dirty tracking", () => {
  it("is clean on open, dirty after an edit, clean after saving and after undoing back to what was saved", () => {
    let s = open();
    expect(isDirty(s)).toBe(false);
    s = run(s, setValue(s, "x", 0));
    expect(isDirty(s)).toBe(true);
    s = run(s, { type: "undo" });
    expect(isDirty(s)).toBe(false);
    s = run(s, { type: "redo" });
    s = run(s, { type: "saved", draft: draftOf(s) });
    expect(isDirty(s)).toBe(false);
    s = run(s, { type: "add", kind: "noop", position: { x: 10.4, y: 20.6 }, after: "done" });
    expect(isDirty(s)).toBe(true);
    expect(selectedNode(s)).toMatchObject({ id: "noop", position: { x: 10, y: 21 } });
    expect(draftOf(s).edges).toContainEqual({ source: "done", target: "noop" });
    s = run(s, { type: "undo" });
    expect(isDirty(s)).toBe(false);
  });

  it("does not count selection or a drag back to the same place as a change", () => {
    let s = run(open(), { type: "select-all" }, { type: "drag-start" });
    s = run(s, { type: "move", moves: new Map([["done", { x: 600, y: 0 }]]) }, { type: "drag-stop" });
    expect(isDirty(s)).toBe(false);
  });
});
