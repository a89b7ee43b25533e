import { describe, expect, it } from "vitest";
import { sideBySide } from "./sideBySide";

const DIFF = `--- draft.md (attempt 1)
+++ draft.md (attempt 2)
@@ -1,4 +1,3 @@
 # Title
-first
-second
+only
 end
@@ -10,1 +9,2 @@
 ten
+eleven`;

describe("a unified diff side by side", () => {
  it("pairs removed lines with the added ones, numbered on each side", () => {
    const rows = sideBySide(DIFF);
    expect(rows[0]).toEqual({ hunk: "@@ -1,4 +1,3 @@" });
    expect(rows[1]).toEqual({
      left: { n: 1, text: "# Title", kind: "same" },
      right: { n: 1, text: "# Title", kind: "same" },
    });
    expect(rows[2]).toEqual({
      left: { n: 2, text: "first", kind: "del" },
      right: { n: 2, text: "only", kind: "add" },
    });
    expect(rows[3]).toEqual({ left: { n: 3, text: "second", kind: "del" }, right: null });
    expect(rows[4]).toEqual({
      left: { n: 4, text: "end", kind: "same" },
      right: { n: 3, text: "end", kind: "same" },
    });
    expect(rows[5]).toEqual({ hunk: "@@ -10,1 +9,2 @@" });
    expect(rows[7]).toEqual({ left: null, right: { n: 10, text: "eleven", kind: "add" } });
    expect(rows).toHaveLength(8);
  });
});
