// A picked file as a form's file field sends it: {filename, content_base64, media_type}, checked against the
// field's byte bounds first so that a too large file is refused on the field, before it is read or sent.
import { bytes } from "./format";

/** A file chosen for a field, ready to send; `size` is for showing only and never sent. */
export interface PickedFile {
  filename: string;
  content_base64: string;
  media_type: string | null;
  size: number;
}

/** What the server records for an uploaded file (the step's output keeps it, the file is an artifact). */
export interface RecordedFile {
  name: string;
  size: number;
  sha256?: string;
  media_type?: string;
}

export function isPicked(value: unknown): value is PickedFile {
  return typeof value === "object" && value !== null && "content_base64" in value && "filename" in value;
}

export function isRecorded(value: unknown): value is RecordedFile {
  return typeof value === "object" && value !== null && "name" in value && "size" in value;
}

/** Why a file of `size` bytes does not fit the field's bounds (bytes), or null when it does. */
export function sizeProblem(
  size: number,
  min?: number | string | null,
  max?: number | string | null,
): string | null {
  const n = (x: number) => `${x.toLocaleString("en")} bytes`;
  if (typeof max === "number" && size > max)
    return `the file is too large (${bytes(size)}): at most ${n(max)}`;
  if (typeof min === "number" && size < min)
    return `the file is too small (${bytes(size)}): at least ${n(min)}`;
  return null;
}

/** Base64 of some bytes, in chunks (String.fromCharCode of a whole large file overflows the call stack). */
export function toBase64(data: Uint8Array): string {
  let text = "";
  const chunk = 0x8000;
  for (let i = 0; i < data.length; i += chunk) text += String.fromCharCode(...data.subarray(i, i + chunk));
  return btoa(text);
}

export async function readPicked(file: File): Promise<PickedFile> {
  const data = new Uint8Array(await file.arrayBuffer());
  return {
    filename: file.name,
    content_base64: toBase64(data),
    media_type: file.type || null,
    size: file.size,
  };
}

/** The body value of a picked file: the API's FileUpload (it forbids other keys). */
export function toUpload(picked: PickedFile): Record<string, string> {
  const out: Record<string, string> = { filename: picked.filename, content_base64: picked.content_base64 };
  if (picked.media_type) out.media_type = picked.media_type;
  return out;
}
