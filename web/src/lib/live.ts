// Agents' tokens as they come (live only, never stored): per step, the text each member has produced so far
// in the step's newest attempt. A delta of an older attempt, or one already applied (seq), changes nothing.

/** The server's AgentDelta frame (api/schemas/conversations.py; no route returns it, so it is not generated). */
export interface AgentDelta {
  type: "agent_delta";
  run_id: string;
  step: string;
  attempt: number;
  member: string;
  seq: number;
  text: string;
  at: string;
}

export interface LiveAttempt {
  attempt: number;
  /** member → the text so far and the seq of the last delta applied */
  members: Record<string, { text: string; seq: number }>;
}

export type LiveText = Record<string, LiveAttempt>;

export function isDelta(frame: unknown): frame is AgentDelta {
  return typeof frame === "object" && frame !== null && (frame as { type?: unknown }).type === "agent_delta";
}

export function applyDeltas(state: LiveText, deltas: readonly AgentDelta[]): LiveText {
  if (deltas.length === 0) return state;
  const next: LiveText = { ...state };
  for (const d of deltas) {
    let step = next[d.step];
    if (step && d.attempt < step.attempt) continue;
    if (!step || d.attempt > step.attempt) step = { attempt: d.attempt, members: {} };
    const member = step.members[d.member];
    if (member && d.seq <= member.seq) continue;
    next[d.step] = {
      attempt: step.attempt,
      members: { ...step.members, [d.member]: { text: (member?.text ?? "") + d.text, seq: d.seq } },
    };
  }
  return next;
}
