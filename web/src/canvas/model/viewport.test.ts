import { describe, expect, it } from "vitest";
import { fitViewport, READABLE_ZOOM } from "./viewport";

describe("fitViewport", () => {
  it("shows a small graph whole, centred, never above 100%", () => {
    const v = fitViewport({ x: 0, y: 0, width: 200, height: 100 }, { width: 848, height: 448 });
    expect(v.zoom).toBe(1);
    expect(v.x).toBe(24 + (800 - 200) / 2);
    expect(v.y).toBe(24 + (400 - 100) / 2);
  });

  it("shrinks a graph to fit while its text stays readable", () => {
    const v = fitViewport({ x: 100, y: 50, width: 1000, height: 200 }, { width: 848, height: 448 });
    expect(v.zoom).toBeCloseTo(0.8);
    // the graph's left edge lands on the padding, its right edge inside the box
    expect(v.x + 100 * v.zoom).toBeCloseTo(24);
    expect(v.x + 1100 * v.zoom).toBeLessThanOrEqual(848 - 24 + 1e-9);
  });

  it("stops at the readable zoom and starts at the graph's left edge when it cannot fit", () => {
    const v = fitViewport({ x: 20, y: 0, width: 3000, height: 100 }, { width: 648, height: 448 });
    expect(v.zoom).toBe(READABLE_ZOOM);
    expect(v.x + 20 * v.zoom).toBeCloseTo(24); // the first node is whole; the rest is a pan away
    expect(v.y).toBeCloseTo(24 + (400 - 100 * READABLE_ZOOM) / 2); // height fits: centred
  });
});
