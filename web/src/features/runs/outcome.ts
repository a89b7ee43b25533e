// How a run's or a step's ending reads to a person: the error as its parts (kind, message, stderr), the run's
// outcome in words, and the instant of an event with its date.

export interface ErrorParts {
  kind: string | null;
  message: string;
  /** the script's standard error, as its own text (the handlers append it to the message after "stderr:") */
  stderr: string | null;
  field: string | null;
  retryable: boolean;
}

/** An error as the API sends it (`{kind, message, retryable, field}`, or anything else) → its parts. */
export function errorParts(error: unknown): ErrorParts | null {
  if (error === null || error === undefined) return null;
  if (typeof error === "string") return { ...splitStderr(error), kind: null, field: null, retryable: false };
  if (typeof error !== "object" || Array.isArray(error))
    return { message: JSON.stringify(error), stderr: null, kind: null, field: null, retryable: false };
  const e = error as Record<string, unknown>;
  const text = typeof e.message === "string" ? e.message : JSON.stringify(error, null, 2);
  return {
    ...splitStderr(text),
    kind: typeof e.kind === "string" ? e.kind : null,
    field: typeof e.field === "string" ? e.field : null,
    retryable: e.retryable === true,
  };
}

function splitStderr(text: string): { message: string; stderr: string | null } {
  const at = text.indexOf("stderr:\n");
  if (at < 0) return { message: text, stderr: null };
  const message = text
    .slice(0, at)
    .replace(/[;:,]\s*$/, "")
    .trim();
  return { message: message || "the script failed", stderr: text.slice(at + "stderr:\n".length) };
}

/** Failed steps counted over the run's nodes (`counts` per status, as the progress read gives them). */
export function failedSteps(nodes: readonly { counts?: Record<string, number> | null }[]): number {
  return nodes.reduce((sum, n) => sum + (n.counts?.failed ?? 0), 0);
}

/** "2 steps failed" beside a run that succeeded with failures let through (on_error), else null. */
export function failedNote(status: string, failed: number): string | null {
  if (status !== "succeeded" || failed <= 0) return null;
  return `${failed} step${failed === 1 ? "" : "s"} failed`;
}

/** The run's outcome in words: "succeeded, 2 steps failed" when failures were let through (on_error). */
export function outcomeText(status: string, failed: number): string {
  const note = failedNote(status, failed);
  return note ? `${status}, ${note}` : status;
}

/** An event's instant: the date and the time to the millisecond (the log spans days; ordering needs ms). */
export function eventTime(at: string, locale?: string): string {
  const d = new Date(at);
  const date = d.toLocaleDateString(locale, { year: "numeric", month: "short", day: "numeric" });
  const time = d.toLocaleTimeString(locale, {
    hour: "2-digit",
    minute: "2-digit",
    second: "2-digit",
    hour12: false,
    fractionalSecondDigits: 3,
  });
  return `${date}, ${time}`;
}
