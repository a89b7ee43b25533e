import { describe, expect, it } from "vitest";
import { duration, humanSeconds, seconds } from "./format";

describe("durations", () => {
  it("reads pydantic's ISO 8601 durations", () => {
    expect(seconds("PT3.44S")).toBeCloseTo(3.44);
    expect(seconds("P1DT2H3M4S")).toBe(93784);
    expect(seconds(null)).toBeNull();
  });
  it("prints them for people", () => {
    expect(duration("PT0.25S")).toBe("250ms");
    expect(duration(3.44)).toBe("3.44s");
    expect(duration(null)).toBe("—");
    expect(humanSeconds(75)).toBe("1m 15s");
    expect(humanSeconds(3 * 3600 + 120)).toBe("3h 2m");
  });
});
