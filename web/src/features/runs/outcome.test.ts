import { describe, expect, it } from "vitest";
import { errorParts, eventTime, failedNote, failedSteps, outcomeText } from "./outcome";

describe("errorParts", () => {
  it("splits a script's stderr from its message", () => {
    const e = errorParts({
      kind: "script_exit",
      message: 'the script exited with code 1; stderr:\nTraceback:\n  File "x"\nValueError: "bad"',
      retryable: false,
    });
    expect(e).toEqual({
      kind: "script_exit",
      message: "the script exited with code 1",
      stderr: 'Traceback:\n  File "x"\nValueError: "bad"',
      field: null,
      retryable: false,
    });
  });
  it("keeps a message without stderr whole", () => {
    expect(errorParts({ kind: "timeout", message: "attempt 1 exceeded 1s", retryable: true })).toMatchObject({
      kind: "timeout",
      message: "attempt 1 exceeded 1s",
      stderr: null,
      retryable: true,
    });
  });
  it("reads nothing as nothing, and anything else as text", () => {
    expect(errorParts(null)).toBeNull();
    expect(errorParts("boom")?.message).toBe("boom");
    expect(errorParts({ odd: 1 })?.message).toContain('"odd": 1');
  });
});

describe("outcome", () => {
  it("counts failed steps over nodes", () => {
    expect(failedSteps([{ counts: { failed: 1, succeeded: 2 } }, { counts: { failed: 1 } }, {}])).toBe(2);
  });
  it("says a success with failures let through", () => {
    expect(outcomeText("succeeded", 2)).toBe("succeeded, 2 steps failed");
    expect(outcomeText("succeeded", 1)).toBe("succeeded, 1 step failed");
    expect(outcomeText("succeeded", 0)).toBe("succeeded");
    expect(outcomeText("cancelled", 3)).toBe("cancelled");
    expect(failedNote("succeeded", 2)).toBe("2 steps failed");
    expect(failedNote("succeeded", 0)).toBeNull();
    expect(failedNote("failed", 2)).toBeNull(); // a failed run says so itself
  });
  it("shows an event's date as well as its time", () => {
    const text = eventTime("2026-12-07T20:44:23.123Z", "en-GB");
    expect(text).toContain("2026");
    expect(text).toContain("Dec");
    expect(text).toMatch(/\d\d:44:23[.,]123/);
  });
});
