import { describe, expect, it } from "vitest";
import { diffDefinitions, summarize } from "./diff";
import { fromSpec } from "./draft";

const v1 = fromSpec({
  name: "p",
  nodes: [
    { id: "a", kind: "script", config: { code: "output = 1" }, position: { x: 0, y: 0 } },
    { id: "b", kind: "noop" },
  ],
  edges: [{ source: "a", target: "b" }],
});
const v2 = fromSpec({
  name: "p",
  description: "now with c",
  nodes: [
    {
      id: "a",
      kind: "script",
      config: { code: "output = 2" },
      retry: { max_attempts: 3 },
      position: { x: 99, y: 0 },
    },
    { id: "c", kind: "transform", config: { value: "{{ nodes.a.output }}" } },
  ],
  edges: [{ source: "a", target: "c", when: "{{ true }}" }],
});

describe("definition diff", () => {
  it("finds added, removed and changed nodes with the leaf paths that changed", () => {
    const diff = diffDefinitions(v1, v2);
    const byId = Object.fromEntries(diff.nodes.map((n) => [n.id, n]));
    expect(byId.a?.change).toBe("changed");
    expect(byId.a?.fields).toEqual([
      { path: "config.code", before: "output = 1", after: "output = 2" },
      { path: "retry", before: undefined, after: { max_attempts: 3 } },
    ]);
    expect(byId.b?.change).toBe("removed");
    expect(byId.c?.change).toBe("added");
    expect(diff.edges.map((e) => [e.key, e.change])).toEqual([
      ["a->b|", "removed"],
      ["a->c|{{ true }}", "added"],
    ]);
    expect(diff.pipeline).toEqual([{ path: "description", before: null, after: "now with c" }]);
    expect(summarize(diff)).toBe(
      "1 node added · 1 node removed · 1 node changed · 1 edge added · 1 edge removed · pipeline: description",
    );
  });

  it("ignores positions: moving a node is not a change", () => {
    const moved = { ...v1, nodes: v1.nodes.map((n) => ({ ...n, position: { x: 5, y: 5 } })) };
    const diff = diffDefinitions(v1, moved);
    expect(diff.changed).toBe(false);
    expect(summarize(diff)).toBe("no changes");
  });
});
