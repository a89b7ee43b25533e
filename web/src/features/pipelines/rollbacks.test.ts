import { describe, expect, it } from "vitest";
import { describeRollback, type RollbackRead } from "./rollbacks";

const base: RollbackRead = {
  id: "r1",
  kind: "latest",
  pipeline: "tally",
  run_id: "x",
  run: "tally/v1",
  at: "2026-12-01T00:00:00Z",
  steps: [],
  cancelled: [],
  artifacts: [],
  previous_latest: 3,
};

describe("rollbacks in one line", () => {
  it("says where latest points now and where it pointed before", () => {
    expect(describeRollback(base)).toBe("latest → v1 (was v3)");
    expect(describeRollback({ ...base, previous_latest: null })).toBe("latest → v1");
  });
  it("counts what a rollback within a run reset, cancelled and archived", () => {
    const step = { key: "draft", node_id: "draft", status: "succeeded", attempt: 1 };
    const file = { id: "a", step_key: "draft", attempt: 1, name: "d.md", moved_from: "x", moved_to: "y" };
    const within = { ...base, kind: "run" as const, run: "tally/v2", node: "draft", previous_latest: null };
    expect(
      describeRollback({ ...within, steps: [step, step], cancelled: ["review"], artifacts: [file] }),
    ).toBe("v2 back to draft: 2 steps reset, 1 cancelled, 1 file archived");
    expect(describeRollback({ ...within, steps: [step] })).toBe("v2 back to draft: 1 step reset");
  });
});
