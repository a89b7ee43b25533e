import { describe, expect, it } from "vitest";
import { type AgentProfileRead, EMPTY, fromProfile, summary, toBody } from "./agentProfile";

const stored: AgentProfileRead = {
  name: "critic",
  description: "finds the weak spots",
  model: "fast",
  instructions: "Be blunt.",
  temperature: 0.2,
  tools: ["write_artifact", "http_get"],
  created_at: "2026-12-01T00:00:00Z",
  updated_at: "2026-12-01T00:00:00Z",
};

describe("agent profile form", () => {
  it("leaves what is not filled in to the node (null), numbers as numbers", () => {
    expect(toBody({ ...EMPTY, name: " critic " })).toEqual({
      name: "critic",
      description: null,
      model: null,
      instructions: null,
      temperature: null,
      tools: null,
    });
    expect(toBody({ ...EMPTY, name: "x", temperature: "0.7", tools: [] })).toMatchObject({
      temperature: 0.7,
      tools: [],
    });
  });
  it("round-trips a stored profile, tools in a stable order", () => {
    expect(toBody(fromProfile(stored))).toEqual({
      name: "critic",
      description: "finds the weak spots",
      model: "fast",
      instructions: "Be blunt.",
      temperature: 0.2,
      tools: ["http_get", "write_artifact"],
    });
  });
  it("clears a field emptied in the form", () => {
    expect(toBody({ ...fromProfile(stored), model: "  ", temperature: "" })).toMatchObject({
      model: null,
      temperature: null,
    });
  });
  it("says what a profile sets", () => {
    expect(summary(stored)).toBe("temperature 0.2 · write_artifact, http_get");
    expect(summary({ ...stored, temperature: null, tools: null })).toBe("the node's tools");
    expect(summary({ ...stored, temperature: null, tools: [] })).toBe("no tools");
  });
});
