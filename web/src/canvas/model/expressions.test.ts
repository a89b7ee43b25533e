import { describe, expect, it } from "vitest";
import { fromSpec } from "./draft";
import { applyCompletion, complete, insideExpression } from "./expressions";

const draft = fromSpec({
  name: "p",
  input: { topic: { type: "string", required: true }, n: { type: "integer" } },
  nodes: [
    { id: "search", kind: "http", config: { url: "x" } },
    { id: "summarise", kind: "script", config: { code: "" }, inputs: { hits: "{{ nodes.search.output }}" } },
    { id: "each", kind: "transform", for_each: "{{ nodes.search.output }}", config: { value: "" } },
    { id: "later", kind: "noop" },
  ],
  edges: [
    { source: "search", target: "summarise" },
    { source: "search", target: "each" },
    { source: "summarise", target: "later" },
  ],
});

const labels = (text: string, place = { kind: "node" as const, nodeId: "summarise", field: "config.code" }) =>
  complete(draft, place, text, text.length)?.options.map((o) => o.label) ?? null;

describe("expression completion", () => {
  it("only completes inside {{ }} or {% %}", () => {
    expect(insideExpression("hello {{ inp", 12)).toBe(true);
    expect(insideExpression("{{ a }} b", 9)).toBe(false);
    expect(labels("plain text")).toBeNull();
  });

  it("offers the roots, with inputs in a config field of a node that has inputs", () => {
    expect(labels("{{ ")).toEqual(["input", "nodes", "run", "inputs"]);
    expect(labels("{{ in")).toEqual(["input", "inputs"]);
  });

  it("offers declared input fields after input.", () => {
    expect(labels("{{ input.")).toEqual(["topic", "n"]);
    expect(labels("{{ input.to")).toEqual(["topic"]);
  });

  it("offers only upstream nodes after nodes.", () => {
    expect(labels("{{ nodes.")).toEqual(["search"]);
    expect(labels("{{ nodes.", { kind: "node", nodeId: "later", field: "inputs.x" })).toEqual([
      "search",
      "summarise",
    ]);
    expect(labels("{{ nodes.", { kind: "node", nodeId: "search", field: "config.url" })).toEqual([]);
  });

  it("offers a node's fields, and an error's", () => {
    expect(labels("{{ nodes.search.")).toEqual(["output", "status", "error", "attempt"]);
    expect(labels("{{ nodes.search.error.m")).toEqual(["message"]);
    expect(labels("{{ nodes.later.")).toEqual([]); // not upstream of summarise
  });

  it("offers item and item_index in a for_each node, but not in for_each itself", () => {
    const place = { kind: "node" as const, nodeId: "each", field: "config.value" };
    expect(labels("{{ it", place)).toEqual(["item", "item_index"]);
    expect(labels("{{ it", { ...place, field: "for_each" })).toEqual([]);
  });

  it("sees the edge source itself in an edge's when", () => {
    expect(labels("{{ nodes.", { kind: "edge", source: "summarise" } as never)).toEqual([
      "summarise",
      "search",
    ]);
  });

  it("offers filters after a pipe and applies a completion at the caret", () => {
    expect(labels("{{ input.topic | up")).toEqual(["upper"]);
    const text = "{{ nodes.se }}";
    const result = complete(draft, { kind: "node", nodeId: "summarise", field: "inputs.a" }, text, 11);
    if (!result?.options[0]) throw new Error("no completion");
    expect(applyCompletion(text, result, result.options[0])).toEqual(["{{ nodes.search }}", 15]);
  });
});
