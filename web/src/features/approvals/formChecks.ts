// A form's fields as people read them: a title for each, the values checked in the browser before they are
// sent (as the server checks them), and the server's problems placed under their fields, said once.

import type { FieldProblem } from "../../api/client";
import type { components } from "../../api/schema";

type FormField = components["schemas"]["FormField"];

/** The field's label, or its name written for people ("publish_on" → "Publish on"). */
export function fieldTitle(f: Pick<FormField, "name" | "label">): string {
  if (f.label) return f.label;
  const words = f.name.replace(/[_-]+/g, " ").trim();
  return words.charAt(0).toUpperCase() + words.slice(1);
}

function empty(v: unknown): boolean {
  return v === undefined || v === null || v === "" || (Array.isArray(v) && v.length === 0);
}

function bounded(n: number | string, f: FormField, unit: string): string | null {
  if (f.min != null && n < (f.min as number | string)) return `must be at least ${f.min}${unit}`;
  if (f.max != null && n > (f.max as number | string)) return `must be at most ${f.max}${unit}`;
  return null;
}

function shownDay(iso: string): string {
  const day = new Date(`${iso}T00:00:00Z`);
  return Number.isNaN(day.getTime())
    ? iso
    : new Intl.DateTimeFormat(undefined, { dateStyle: "medium", timeZone: "UTC" }).format(day);
}

function matches(pattern: string, text: string): boolean {
  try {
    return new RegExp(`^(?:${pattern})$`, "u").test(text);
  } catch {
    return true; // a Python-only pattern: the server checks it
  }
}

function check(f: FormField, v: unknown): string | null {
  switch (f.type) {
    case "text":
    case "multiline": {
      const text = String(v);
      if (f.type === "text" && /[\r\n]/.test(text)) return "must be a single line";
      const size = bounded(text.length, f, " characters");
      if (size) return size;
      return f.pattern && !matches(f.pattern, text) ? `must match the pattern ${f.pattern}` : null;
    }
    case "number":
    case "integer": {
      const n = typeof v === "number" ? v : Number(v);
      if (Number.isNaN(n)) return f.type === "integer" ? "must be a whole number" : "must be a number";
      if (f.type === "integer" && !Number.isInteger(n)) return "must be a whole number";
      return bounded(n, f, "");
    }
    case "date": {
      const text = String(v);
      const day = /^\d{4}-\d{2}-\d{2}$/.test(text) ? new Date(`${text}T00:00:00Z`) : null;
      if (!day || Number.isNaN(day.getTime()) || day.toISOString().slice(0, 10) !== text)
        return "must be a date (YYYY-MM-DD)";
      // said as the date picker shows dates (the user's locale), not as the ISO text the form sends
      if (f.min != null && text < String(f.min)) return `must be on or after ${shownDay(String(f.min))}`;
      if (f.max != null && text > String(f.max)) return `must be on or before ${shownDay(String(f.max))}`;
      return null;
    }
    case "json":
      if (typeof v === "string")
        try {
          JSON.parse(v);
        } catch {
          return "must be valid JSON";
        }
      return null;
    default:
      return null; // select, boolean and file are bounded by their controls (a file's size when picked)
  }
}

/** Field name → what is wrong, checked before sending; empty when the values may go. */
export function checkValues(
  fields: readonly FormField[],
  values: Record<string, unknown>,
): Record<string, string> {
  const out: Record<string, string> = {};
  for (const f of fields) {
    const v = values[f.name];
    if (empty(v)) {
      if (f.required) out[f.name] = "required";
      continue;
    }
    const problem = check(f, v);
    if (problem) out[f.name] = problem;
  }
  return out;
}

/** The server's problems by field (`values.headline` → headline); the rest apart. */
export function placeProblems(
  fields: readonly FormField[],
  problems: readonly FieldProblem[],
): { byField: Record<string, string>; other: string[] } {
  const names = new Set(fields.map((f) => f.name));
  const byField: Record<string, string> = {};
  const other: string[] = [];
  for (const p of problems) {
    const field = (p.field ?? "").replace(/^body\./, "");
    const name = field.replace(/^values\./, "");
    if (names.has(name)) byField[name] = p.message;
    else other.push(name && name !== "body" ? `${name}: ${p.message}` : p.message);
  }
  return { byField, other };
}

/** The banner's one line: which fields need a change, by title (their messages stay under the fields). */
export function problemSummary(fields: readonly FormField[], byField: Record<string, string>): string {
  const titles = fields.filter((f) => byField[f.name]).map(fieldTitle);
  if (titles.length === 0) return "";
  return titles.length === 1
    ? `${titles[0]} needs a change.`
    : `${titles.length} fields need a change: ${titles.join(", ")}.`;
}
