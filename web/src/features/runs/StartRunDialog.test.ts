import { describe, expect, it } from "vitest";
import { parseInput } from "./StartRunDialog";

describe("the run form reads its fields as the declared types", () => {
  it("numbers, integers and booleans", () => {
    expect(parseInput({ type: "integer" }, "3")).toEqual([3, null]);
    expect(parseInput({ type: "integer" }, "3.5")).toEqual([undefined, "not an integer"]);
    expect(parseInput({ type: "number" }, "3.5")).toEqual([3.5, null]);
    expect(parseInput({ type: "boolean" }, true)).toEqual([true, null]);
  });

  it("objects and arrays as JSON, strings as typed", () => {
    expect(parseInput({ type: "array" }, '["a", 1]')).toEqual([["a", 1], null]);
    expect(parseInput({ type: "object" }, "{oops")).toEqual([undefined, "not valid JSON (object)"]);
    expect(parseInput({ type: "string" }, "  spaced ")).toEqual(["  spaced ", null]);
  });

  it("an empty field is left out, and flagged only when required without a default", () => {
    expect(parseInput({ type: "string", required: true }, "")).toEqual([undefined, "required"]);
    expect(parseInput({ type: "string", required: true, default: "x" }, "")).toEqual([undefined, null]);
    expect(parseInput({ type: "integer" }, "")).toEqual([undefined, null]);
  });
});
