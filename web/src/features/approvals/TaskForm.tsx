// A human node's form, generated from its fields; values typed as the fields declare.
import { useState } from "react";
import type { components } from "../../api/schema";
import type { ArtifactRead } from "../../api/types";
import { Button, Field } from "../../lib/controls";
import { bytes } from "../../lib/format";
import { isPicked, isRecorded, readPicked, sizeProblem, toUpload } from "../../lib/upload";
import { downloadArtifact } from "../artifacts/ArtifactList";
import { fieldTitle } from "./formChecks";

type FormField = components["schemas"]["FormField"];
export type Values = Record<string, unknown>;

export function initialValues(
  fields: FormField[],
  given: Record<string, unknown> | null | undefined,
): Values {
  return Object.fromEntries(
    fields.map((f) => [f.name, given?.[f.name] ?? f.default ?? (f.type === "boolean" ? false : "")]),
  );
}

/** The values as the server takes them: numbers as numbers, JSON parsed, files as uploads, empty left out. */
export function toSubmit(fields: FormField[], values: Values): Values {
  const out: Values = {};
  for (const f of fields) {
    const v = values[f.name];
    if (v === "" || v === undefined || v === null) continue;
    if (f.type === "file") {
      if (isPicked(v)) out[f.name] = toUpload(v); // a file recorded earlier cannot be sent again
      continue;
    }
    if ((f.type === "number" || f.type === "integer") && typeof v === "string") out[f.name] = Number(v);
    else if (f.type === "json" && typeof v === "string") {
      try {
        out[f.name] = JSON.parse(v);
      } catch {
        out[f.name] = v;
      }
    } else out[f.name] = v;
  }
  return out;
}

export function TaskForm({
  fields,
  values,
  onChange,
  problems,
  readOnly,
  artifacts = [],
}: {
  fields: FormField[];
  values: Values;
  onChange: (v: Values) => void;
  problems: Record<string, string>;
  readOnly: boolean;
  /** the step's artifacts: an uploaded file is one of them, `<field>/<name>` */
  artifacts?: ArtifactRead[];
}) {
  const set = (name: string, v: unknown) => onChange({ ...values, [name]: v });
  const [fileProblems, setFileProblems] = useState<Record<string, string>>({});
  const pick = async (f: FormField, file: File | undefined) => {
    const problem = file ? sizeProblem(file.size, f.min, f.max) : null;
    setFileProblems((p) => ({ ...p, [f.name]: problem ?? "" }));
    set(f.name, file && !problem ? await readPicked(file) : "");
  };
  return (
    <div className="task-form">
      {fields.map((f) => {
        const v = values[f.name];
        const label = (
          <>
            {fieldTitle(f)}
            {f.required && (
              <span className="required" title="required">
                {" "}
                *
              </span>
            )}
          </>
        );
        return (
          <Field
            key={f.name}
            label={label}
            hint={
              f.type === "file" && typeof f.max === "number" ? fileHint(f.description, f.max) : f.description
            }
            error={fileProblems[f.name] || problems[f.name]}
          >
            {(p) => {
              if (f.type === "boolean")
                return (
                  <input
                    {...p}
                    type="checkbox"
                    disabled={readOnly}
                    checked={Boolean(v)}
                    onChange={(e) => set(f.name, e.target.checked)}
                  />
                );
              if (f.type === "select")
                return (
                  <select
                    {...p}
                    disabled={readOnly}
                    value={String(v ?? "")}
                    onChange={(e) => set(f.name, e.target.value)}
                  >
                    <option value="">—</option>
                    {(f.options ?? []).map((o) => (
                      <option key={String(o.value)} value={String(o.value)}>
                        {o.label ?? String(o.value)}
                      </option>
                    ))}
                  </select>
                );
              if (f.type === "multiline" || f.type === "json")
                return (
                  <textarea
                    {...p}
                    className={f.type === "json" ? "code" : ""}
                    rows={4}
                    readOnly={readOnly}
                    value={typeof v === "string" ? v : JSON.stringify(v ?? "", null, 2)}
                    onChange={(e) => set(f.name, e.target.value)}
                  />
                );
              if (f.type === "file")
                return (
                  <FileInput
                    {...p}
                    value={v}
                    readOnly={readOnly}
                    onPick={(file) => pick(f, file)}
                    artifact={
                      isRecorded(v)
                        ? [...artifacts]
                            .sort((a, b) => b.attempt - a.attempt)
                            .find((a) => a.name === `${f.name}/${v.name}`)
                        : undefined
                    }
                  />
                );
              return (
                <input
                  {...p}
                  type={
                    f.type === "number" || f.type === "integer"
                      ? "number"
                      : f.type === "date"
                        ? "date"
                        : "text"
                  }
                  step={f.type === "integer" ? 1 : undefined}
                  min={f.type === "text" || f.min == null ? undefined : String(f.min)}
                  max={f.type === "text" || f.max == null ? undefined : String(f.max)}
                  required={f.required || undefined}
                  readOnly={readOnly}
                  value={String(v ?? "")}
                  onChange={(e) => set(f.name, e.target.value)}
                />
              );
            }}
          </Field>
        );
      })}
    </div>
  );
}

function fileHint(description: string | null | undefined, max: number): string {
  return [description, `up to ${bytes(max)}`].filter(Boolean).join(" · ");
}

function FileInput({
  value,
  readOnly,
  onPick,
  artifact,
  ...p
}: {
  id: string;
  value: unknown;
  readOnly: boolean;
  artifact: ArtifactRead | undefined;
  onPick: (file: File | undefined) => void;
  "aria-describedby"?: string;
  "aria-invalid"?: boolean;
}) {
  const shown = isPicked(value)
    ? `${value.filename} (${bytes(value.size)})`
    : isRecorded(value)
      ? `${value.name} (${bytes(value.size)})`
      : null;
  if (readOnly)
    return (
      <p id={p.id} className="file-value">
        {shown ?? "—"}{" "}
        {artifact && (
          <Button onClick={() => void downloadArtifact(artifact)} aria-label={`Download ${artifact.name}`}>
            Download
          </Button>
        )}
      </p>
    );
  return (
    <div className="file-input">
      <input {...p} type="file" onChange={(e) => onPick(e.target.files?.[0])} />
      {isPicked(value) && (
        <span className="small" data-testid="picked-file">
          {shown}{" "}
          <Button
            onClick={() => {
              const input = document.getElementById(p.id) as HTMLInputElement | null;
              if (input) input.value = "";
              onPick(undefined);
            }}
            aria-label={`Remove ${value.filename}`}
          >
            Remove
          </Button>
        </span>
      )}
    </div>
  );
}
