import { describe, expect, it } from "vitest";
import { type AgentDelta, applyDeltas, isDelta } from "./live";

function delta(step: string, attempt: number, member: string, seq: number, text: string): AgentDelta {
  return { type: "agent_delta", run_id: "r", step, attempt, member, seq, text, at: "2026-12-01T00:00:00Z" };
}

describe("live agent text", () => {
  it("appends each member's deltas in the step's attempt", () => {
    const state = applyDeltas({}, [
      delta("review", 1, "writer", 1, "The qu"),
      delta("review", 1, "critic", 1, "No"),
      delta("review", 1, "writer", 2, "ick fox"),
    ]);
    expect(state.review?.members.writer?.text).toBe("The quick fox");
    expect(state.review?.members.critic?.text).toBe("No");
  });
  it("ignores a delta applied already or of an older attempt; a newer attempt starts afresh", () => {
    let state = applyDeltas({}, [delta("s", 2, "agent", 1, "a"), delta("s", 2, "agent", 2, "b")]);
    state = applyDeltas(state, [delta("s", 2, "agent", 2, "b"), delta("s", 1, "agent", 9, "old")]);
    expect(state.s?.members.agent?.text).toBe("ab");
    state = applyDeltas(state, [delta("s", 3, "agent", 1, "new")]);
    expect(state.s).toEqual({ attempt: 3, members: { agent: { text: "new", seq: 1 } } });
  });
  it("keeps the same state object when nothing came", () => {
    const state = applyDeltas({}, [delta("s", 1, "agent", 1, "a")]);
    expect(applyDeltas(state, [])).toBe(state);
  });
  it("tells a delta frame from a stored event", () => {
    expect(isDelta(delta("s", 1, "a", 1, "x"))).toBe(true);
    expect(isDelta({ id: 4, type: "step_started" })).toBe(false);
    expect(isDelta(null)).toBe(false);
  });
});
