import { describe, expect, it } from "vitest";
import { glyph, summaryOf } from "./NodeBody";

describe("what a node says about itself on the canvas", () => {
  it("picks the config field that says most, on one line", () => {
    expect(
      summaryOf({ id: "a", kind: "http", config: { method: "POST", url: "https://x/{{ input.id }}" } }),
    ).toBe("POST https://x/{{ input.id }}");
    expect(summaryOf({ id: "s", kind: "script", config: { code: "\n\nimport os\nprint(1)" } })).toBe(
      "import os",
    );
    expect(
      summaryOf({ id: "c", kind: "condition", config: { branches: [{ name: "hi" }, { name: "lo" }] } }),
    ).toBe("hi / lo");
    expect(summaryOf({ id: "t", kind: "transform", config: { value: "x".repeat(80) } })).toHaveLength(48);
    expect(
      summaryOf({
        id: "f",
        kind: "task",
        config: { ref: "billing.tasks:fetch", code_hash: "ab12cd34".repeat(8) },
      }),
    ).toBe("billing.tasks:fetch · ab12cd34");
    expect(glyph("task")).toBe("⚙");
  });

  it("falls back to the description, and a kind it does not know still gets a glyph", () => {
    expect(summaryOf({ id: "n", kind: "noop", description: "join here" })).toBe("join here");
    expect(glyph("brand-new")).toBe("br");
  });
});
