import { describe, expect, it } from "vitest";
import { upstreamOf, whatHappensNext } from "./review";

describe("around an answer", () => {
  it("finds every node upstream of the one under review, nearest first", () => {
    const edges = [
      { source: "prepare", target: "draft" },
      { source: "draft", target: "sign_off" },
      { source: "images", target: "sign_off" },
      { source: "sign_off", target: "publish" },
    ];
    expect(upstreamOf(edges, "sign_off")).toEqual(["draft", "images", "prepare"]);
    expect(upstreamOf(edges, "prepare")).toEqual([]);
  });
  it("says what follows each answer", () => {
    expect(whatHappensNext({ action: "revise", purpose: "approve_complete", step: "draft" })).toBe(
      "draft is running again with your feedback; a new task will arrive when it is done.",
    );
    expect(whatHappensNext({ action: "approve", purpose: "approve_start", step: "draft" })).toBe(
      "draft starts now.",
    );
    expect(whatHappensNext({ action: "reject", purpose: "form", step: "sign_off" })).toContain("on_error");
  });
});
