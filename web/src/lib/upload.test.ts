import { describe, expect, it } from "vitest";
import { isPicked, isRecorded, readPicked, sizeProblem, toBase64, toUpload } from "./upload";

describe("file uploads", () => {
  it("encodes bytes as base64, also past one chunk", () => {
    expect(toBase64(new TextEncoder().encode("hello, Ada\n"))).toBe("aGVsbG8sIEFkYQo=");
    const big = new Uint8Array(100_000).map((_, i) => i % 251);
    const decoded = Uint8Array.from(atob(toBase64(big)), (c) => c.charCodeAt(0));
    expect(decoded).toEqual(big);
  });
  it("reads a picked file into what the API takes, without the size", async () => {
    const picked = await readPicked(new File(["a,b\n1,2\n"], "table.csv", { type: "text/csv" }));
    expect(picked).toEqual({
      filename: "table.csv",
      content_base64: "YSxiCjEsMgo=",
      media_type: "text/csv",
      size: 8,
    });
    expect(isPicked(picked)).toBe(true);
    expect(toUpload(picked)).toEqual({
      filename: "table.csv",
      content_base64: "YSxiCjEsMgo=",
      media_type: "text/csv",
    });
    const untyped = await readPicked(new File(["x"], "blob"));
    expect(toUpload(untyped)).toEqual({ filename: "blob", content_base64: "eA==" });
  });
  it("refuses a file outside the field's byte bounds", () => {
    expect(sizeProblem(1_000_001, null, 1_000_000)).toBe(
      "the file is too large (976.6 KB): at most 1,000,000 bytes",
    );
    expect(sizeProblem(10, 100, null)).toBe("the file is too small (10 B): at least 100 bytes");
    expect(sizeProblem(1_000_000, 0, 1_000_000)).toBeNull();
    expect(sizeProblem(5, undefined, undefined)).toBeNull();
  });
  it("tells a recorded upload from a picked one", () => {
    expect(isRecorded({ name: "note.txt", size: 3, sha256: "ab" })).toBe(true);
    expect(isPicked({ name: "note.txt", size: 3 })).toBe(false);
    expect(isRecorded("note.txt")).toBe(false);
  });
});
