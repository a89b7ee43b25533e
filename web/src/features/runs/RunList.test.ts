import { describe, expect, it } from "vitest";
import type { RunRead } from "../../api/types";
import { compareProblem } from "./RunList";

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
