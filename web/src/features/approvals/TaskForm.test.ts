import { describe, expect, it } from "vitest";
import type { components } from "../../api/schema";
import { checkValues, fieldTitle, placeProblems, problemSummary } from "./formChecks";
import { initialValues, toSubmit } from "./TaskForm";

type FormField = components["schemas"]["FormField"];

const fields = [
  { name: "headline", type: "text" },
  { name: "count", type: "integer" },
  { name: "attachment", type: "file", max: 1000 },
  { name: "earlier", type: "file" },
] as FormField[];

describe("a task form's values as submitted", () => {
  it("sends a picked file as the API's upload and leaves out empty and recorded files", () => {
    const values = {
      headline: "Hello",
      count: "3",
      attachment: { filename: "note.txt", content_base64: "aGk=", media_type: "text/plain", size: 2 },
      earlier: { name: "old.txt", size: 4, sha256: "ab", media_type: "text/plain" },
    };
    expect(toSubmit(fields, values)).toEqual({
      headline: "Hello",
      count: 3,
      attachment: { filename: "note.txt", content_base64: "aGk=", media_type: "text/plain" },
    });
    expect(toSubmit(fields, initialValues(fields, null))).toEqual({});
  });
});

describe("a form checked before it is sent", () => {
  const form = [
    { name: "headline", type: "text", required: true, min: 5, max: 80 },
    { name: "publish_on", type: "date", required: true, min: "2026-01-01" },
    { name: "count", type: "integer", max: 10 },
    { name: "code", type: "text", pattern: "[a-z]+" },
  ] as FormField[];
  it("names each field's problem, as the server would", () => {
    expect(checkValues(form, { headline: "Hi", publish_on: "", count: "11", code: "ABC" })).toEqual({
      headline: "must be at least 5 characters",
      publish_on: "required",
      count: "must be at most 10",
      code: "must match the pattern [a-z]+",
    });
    const early = checkValues(form, { headline: "Hello", publish_on: "2025-12-31" });
    expect(Object.keys(early)).toEqual(["publish_on"]);
    expect(early.publish_on).toMatch(/^must be on or after .*2026/); // in the picker's words, not ISO
    expect(early.publish_on).not.toContain("2026-01-01");
    expect(checkValues(form, { headline: "Hello", publish_on: "2026-02-30" }).publish_on).toBe(
      "must be a date (YYYY-MM-DD)",
    );
    expect(checkValues(form, { headline: "Hello", publish_on: "2026-02-03", count: 2, code: "ok" })).toEqual(
      {},
    );
  });
  it("titles fields for people", () => {
    expect(fieldTitle({ name: "publish_on" })).toBe("Publish on");
    expect(fieldTitle({ name: "channel", label: "Where it goes" })).toBe("Where it goes");
  });
  it("places the server's problems under their fields, without the internal prefix, and sums them up once", () => {
    const { byField, other } = placeProblems(form, [
      { field: "values.headline", message: "must be at least 5 characters" },
      { field: "body.values.publish_on", message: "required" },
      { field: "values.extra", message: "not a field of this form" },
    ]);
    expect(byField).toEqual({ headline: "must be at least 5 characters", publish_on: "required" });
    expect(other).toEqual(["extra: not a field of this form"]);
    expect(problemSummary(form, byField)).toBe("2 fields need a change: Headline, Publish on.");
    expect(problemSummary(form, { headline: "x" })).toBe("Headline needs a change.");
  });
});
