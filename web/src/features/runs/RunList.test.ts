import { describe, expect, it } from "vitest";
import type { RunRead } from "../../api/types";
import { compareProblem, dateRangeProblem } from "./RunList";

const run = (pipeline: string, number: number) =>
  ({ id: `${pipeline}${number}`, pipeline, ref: `${pipeline}/v${number}` }) as RunRead;

describe("compareProblem", () => {
  it("lets two runs of one pipeline be compared", () => {
    expect(compareProblem([run("a", 1), run("a", 2)])).toBeNull();
    expect(compareProblem([run("a", 1)])).toBeNull();
  });
  it("names both runs when their pipelines differ", () => {
    expect(compareProblem([run("a", 1), run("b", 1)])).toBe(
      "Runs of two pipelines cannot be compared (a/v1 and b/v1): pick two runs of one pipeline.",
    );
  });
});

describe("dateRangeProblem", () => {
  it("accepts one day or an ordered range, and half-open ranges", () => {
    expect(dateRangeProblem("2026-12-07", "2026-12-07")).toBeNull();
    expect(dateRangeProblem("2026-12-01", "2026-12-07")).toBeNull();
    expect(dateRangeProblem("", "2026-12-07")).toBeNull();
  });
  it("says an inverted range in the dates the pickers show, not ISO instants", () => {
    const said = dateRangeProblem("2026-12-07", "2026-12-01", "en-GB");
    expect(said).toBe(
      "“To” (1 Dec 2026) is before “From” (7 Dec 2026): pick a later “To” or an earlier “From”.",
    );
    expect(said).not.toMatch(/T\d\d:/);
  });
});
