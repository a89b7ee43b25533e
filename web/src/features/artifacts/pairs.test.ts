import { describe, expect, it } from "vitest";
import type { ArtifactRead } from "../../api/types";
import { pairArtifacts } from "./pairs";

function artifact(
  id: string,
  step_key: string,
  name: string,
  attempt: number,
  sha256: string,
  archived = false,
) {
  return {
    id,
    run_id: "r",
    step_key,
    attempt,
    name,
    path: `${step_key}/${name}`,
    size: 1,
    sha256,
    media_type: "text/plain",
    archived,
    created_at: "2026-12-01T00:00:00Z",
  } as ArtifactRead;
}

describe("pairing the artifacts of two runs", () => {
  it("pairs each step's file with the other run's, newest attempt, archived ones left out", () => {
    const v1 = [
      artifact("a1", "report", "report.json", 1, "x"),
      artifact("a2", "report", "report.json", 2, "y"),
      artifact("a3", "draft", "draft.md", 1, "d"),
      artifact("a4", "old", "gone.txt", 1, "g", true),
    ];
    const v2 = [artifact("b1", "report", "report.json", 1, "z"), artifact("b2", "draft", "draft.md", 1, "d")];
    const pairs = pairArtifacts(v1, v2);
    expect(pairs.map((p) => [p.step_key, p.name, p.left?.id, p.right?.id, p.same])).toEqual([
      ["draft", "draft.md", "a3", "b2", true],
      ["report", "report.json", "a2", "b1", false],
    ]);
  });
  it("keeps a file only one run wrote, with the other side empty", () => {
    const pairs = pairArtifacts(
      [artifact("a", "s", "only-v1.txt", 1, "x")],
      [artifact("b", "s", "only-v2.txt", 1, "y")],
    );
    expect(pairs.map((p) => [p.name, p.left?.id ?? null, p.right?.id ?? null, p.same])).toEqual([
      ["only-v1.txt", "a", null, false],
      ["only-v2.txt", null, "b", false],
    ]);
  });
});
