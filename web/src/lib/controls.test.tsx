import { renderToStaticMarkup } from "react-dom/server";
import { describe, expect, it } from "vitest";
import { ApiError } from "../api/client";
import { ErrorNote } from "./controls";

const shown = (error: unknown) => renderToStaticMarkup(<ErrorNote error={error} />);
const count = (text: string, part: string) => text.split(part).length - 1;

describe("an error said once", () => {
  it("lists each problem once under a headline that counts them", () => {
    const error = new ApiError(422, "invalid_request", "input.n: must be an integer; input.s: required", [
      { field: "input.n", message: "must be an integer" },
      { field: "input.s", message: "required" },
    ]);
    const out = shown(error);
    expect(out).toContain("2 things to fix:");
    expect(count(out, "must be an integer")).toBe(1);
    expect(count(out, "required")).toBe(1);
  });
  it("shows the detail when no field is named", () => {
    const out = shown(new ApiError(409, "conflict", "the run has ended"));
    expect(out).toContain("the run has ended");
    expect(out).not.toContain("to fix");
  });
});
