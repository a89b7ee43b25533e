// What a reviewer is told around an answer: which nodes come before the one under review (to show what was
// approved upstream), and what happens after the answer.

/** Every node a path of edges leads from to `node` (its upstream), nearest first. */
export function upstreamOf(edges: readonly { source: string; target: string }[], node: string): string[] {
  const seen = new Set<string>([node]);
  const out: string[] = [];
  let frontier = [node];
  while (frontier.length) {
    const next: string[] = [];
    for (const n of frontier)
      for (const e of edges)
        if (e.target === n && !seen.has(e.source)) {
          seen.add(e.source);
          out.push(e.source);
          next.push(e.source);
        }
    frontier = next;
  }
  return out;
}

export type Answer = "approve" | "revise" | "reject" | "submit";

/** An answer just given, carried to the inbox so it can say what follows. */
export interface Answered {
  action: Answer;
  purpose: string;
  step: string;
  runId: string;
  run: string;
  taskId: string;
}

/** What follows an answer, in a sentence. */
export function whatHappensNext(a: Pick<Answered, "action" | "purpose" | "step">): string {
  switch (a.action) {
    case "revise":
      return `${a.step} is running again with your feedback; a new task will arrive when it is done.`;
    case "approve":
      return a.purpose === "approve_start"
        ? `${a.step} starts now.`
        : `${a.step} is approved; the run goes on to the next steps.`;
    case "submit":
      return `Your answer is ${a.step}'s output; the run goes on to the next steps.`;
    case "reject":
      return `${a.step} failed as rejected; the pipeline's on_error decides what follows.`;
    default:
      return a.action satisfies never;
  }
}
