import { describe, expect, it } from "vitest";
import type { components } from "../../api/schema";
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
