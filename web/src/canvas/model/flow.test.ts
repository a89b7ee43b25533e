import { MarkerType } from "@xyflow/react";
import { describe, expect, it } from "vitest";
import { flowEdge } from "./flow";

describe("flowEdge", () => {
  it("draws an error route apart: its own class, label, red arrowhead and a square path", () => {
    const edge = flowEdge({ source: "parse", target: "fallback", branch: "error" }, false, false);
    expect(edge.className).toBe("error-branch");
    expect(edge.label).toBe("on error");
    expect(edge.sourceHandle).toBe("error");
    expect(edge.type).toBe("smoothstep");
    expect(edge.markerEnd).toMatchObject({ type: MarkerType.ArrowClosed, color: "#d93a32" });
  });

  it("keeps a normal edge plain, its branch and condition in the label", () => {
    const edge = flowEdge({ source: "route", target: "approve", branch: "high", when: "x" }, false, true);
    expect(edge.className).toBe("invalid");
    expect(edge.label).toBe("high · when x");
    expect(edge.type).toBeUndefined();
    expect(edge.markerEnd).toMatchObject({ type: MarkerType.ArrowClosed });
    expect(edge.markerEnd).not.toHaveProperty("color");
  });

  it("leaves a valid branch's name to the handle it leaves from (three names on one node overlapped)", () => {
    const edge = flowEdge({ source: "route", target: "approve", branch: "medium" }, false, false);
    expect(edge.sourceHandle).toBe("medium");
    expect(edge.label).toBeUndefined();
    expect(flowEdge({ source: "r", target: "a", branch: "high", when: "x" }, false, false).label).toBe(
      "when x",
    );
  });
});
