// The artifacts of two runs side by side: per step and file name, the current one (not archived, latest
// attempt) of each run, so that a file both runs wrote can be compared.
import type { ArtifactRead } from "../../api/types";

export interface ArtifactPair {
  step_key: string;
  name: string;
  left: ArtifactRead | null;
  right: ArtifactRead | null;
  /** both runs wrote it with the same content */
  same: boolean;
}

function current(artifacts: readonly ArtifactRead[]): Map<string, ArtifactRead> {
  const out = new Map<string, ArtifactRead>();
  for (const a of artifacts) {
    if (a.archived) continue;
    const key = `${a.step_key}\u0000${a.name}`;
    const seen = out.get(key);
    if (!seen || a.attempt > seen.attempt) out.set(key, a);
  }
  return out;
}

export function pairArtifacts(left: readonly ArtifactRead[], right: readonly ArtifactRead[]): ArtifactPair[] {
  const l = current(left);
  const r = current(right);
  const keys = [...new Set([...l.keys(), ...r.keys()])].sort();
  return keys.map((key) => {
    const [step_key = "", name = ""] = key.split("\u0000");
    const a = l.get(key) ?? null;
    const b = r.get(key) ?? null;
    return { step_key, name, left: a, right: b, same: a !== null && b !== null && a.sha256 === b.sha256 };
  });
}
