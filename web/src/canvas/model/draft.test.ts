import { describe, expect, it } from "vitest";
import { copy, paste } from "./clipboard";
import { addNode, connect, type Draft, fromSpec, removeNodes, toSpec, updateNode, upstreamOf } from "./draft";
import { commit, redo, replace, start, undo } from "./history";
import { autoLayout } from "./layout";
import { sortProblems } from "./validation";

const base = (): Draft =>
  fromSpec({
    name: "hello",
    input: { who: { type: "string" } },
    nodes: [
      { id: "greet", kind: "script", config: { code: "output = who" }, inputs: { who: "{{ input.who }}" } },
      { id: "shout", kind: "transform", config: { value: "{{ nodes.greet.output | upper }}" } },
      { id: "done", kind: "noop" },
    ],
    edges: [
      { source: "greet", target: "shout" },
      { source: "shout", target: "done", when: "{{ nodes.greet.status == 'succeeded' }}" },
    ],
  });

describe("graph ↔ definition", () => {
  it("round-trips a definition and leaves out empty optional fields", () => {
    const draft = base();
    const spec = toSpec(draft);
    expect(spec).toEqual({
      name: "hello",
      input: { who: { type: "string" } },
      nodes: draft.nodes,
      edges: draft.edges,
    });
    expect(toSpec(fromSpec(spec))).toEqual(spec);
  });

  it("adds a node with a fresh id and connects it once", () => {
    let [draft, id] = addNode(base(), "script", { x: 10, y: 20 });
    expect(id).toBe("script");
    [draft, id] = addNode(draft, "script", { x: 0, y: 0 });
    expect(id).toBe("script-2");
    draft = connect(draft, { source: "done", target: "script" });
    draft = connect(draft, { source: "done", target: "script" });
    draft = connect(draft, { source: "script", target: "script" });
    expect(draft.edges.filter((e) => e.target === "script")).toHaveLength(1);
    expect(toSpec(draft).nodes).toContainEqual({
      id: "script-2",
      kind: "script",
      config: {},
      position: { x: 0, y: 0 },
    });
  });

  it("renames a node everywhere: edges and the expressions that name it", () => {
    const draft = base();
    const greet = draft.nodes[0];
    if (!greet) throw new Error("no node");
    const next = updateNode(draft, "greet", { ...greet, id: "welcome" });
    expect(next.edges[0]).toMatchObject({ source: "welcome", target: "shout" });
    expect(next.nodes[1]?.config?.value).toBe("{{ nodes.welcome.output | upper }}");
    expect(next.edges[1]?.when).toBe("{{ nodes.welcome.status == 'succeeded' }}");
  });

  it("removing a node removes its edges", () => {
    const next = removeNodes(base(), new Set(["shout"]));
    expect(next.nodes.map((n) => n.id)).toEqual(["greet", "done"]);
    expect(next.edges).toEqual([]);
  });

  it("knows what is upstream", () => {
    expect([...upstreamOf(base(), "done")].sort()).toEqual(["greet", "shout"]);
    expect([...upstreamOf(base(), "greet")]).toEqual([]);
  });

  it("lays out left to right by dependency", () => {
    const laid = autoLayout(base());
    const x = (id: string) => laid.nodes.find((n) => n.id === id)?.position?.x ?? Number.NaN;
    expect(x("greet")).toBeLessThan(x("shout"));
    expect(x("shout")).toBeLessThan(x("done"));
  });
});

describe("copy and paste", () => {
  it("pastes fresh ids and rewires edges and expressions inside the selection", () => {
    const draft = base();
    const clip = copy(draft, new Set(["greet", "shout"]));
    if (!clip) throw new Error("nothing copied");
    expect(clip.edges).toEqual([{ source: "greet", target: "shout" }]);
    const [next, ids] = paste(draft, clip);
    expect(ids).toEqual(["greet-2", "shout-2"]);
    expect(next.edges).toContainEqual({ source: "greet-2", target: "shout-2" });
    expect(next.nodes.find((n) => n.id === "shout-2")?.config?.value).toBe(
      "{{ nodes.greet-2.output | upper }}",
    );
    expect(next.nodes).toHaveLength(5);
  });
});

describe("undo and redo", () => {
  it("steps back and forth, and a new step drops the redo branch", () => {
    let h = start(1);
    h = commit(h, 2);
    h = replace(h, 3); // a drag in progress: no step of its own
    h = commit(h, 4);
    expect(undo(h).present).toBe(3);
    expect(undo(undo(h)).present).toBe(1);
    expect(redo(undo(undo(h))).present).toBe(3);
    const branched = commit(undo(h), 9);
    expect(branched.future).toEqual([]);
    expect(undo(start(1)).present).toBe(1);
  });
});

describe("validation problems", () => {
  it("sorts server problems onto nodes, edges and the pipeline", () => {
    const problems = sortProblems(base(), [
      { node_id: "shout", field: "config.value", message: "expression refers to unknown node 'x'" },
      { node_id: null, field: "edges[1].target", message: "edge target 'zz' is not a node" },
      { node_id: null, field: "name", message: "bad name" },
    ]);
    expect(problems.nodes.get("shout")).toEqual([
      { field: "config.value", message: expect.stringContaining("x") },
    ]);
    expect(problems.edges.get("shout->done")?.[0]?.field).toBe("target");
    expect(problems.pipeline).toEqual([{ field: "name", message: "bad name" }]);
    expect(problems.count).toBe(3);
  });
});
