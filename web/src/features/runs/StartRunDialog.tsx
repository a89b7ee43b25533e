// Start a run: a form generated from the pipeline's declared input fields.
import { useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { useNavigate } from "react-router";
import type { InputField, PipelineSpec } from "../../api/types";
import { Button, Dialog, ErrorNote, Field } from "../../lib/controls";
import { keys } from "../../lib/queryKeys";
import { startRun } from "./queries";

type Value = string | boolean;

function initialValue(f: Partial<InputField>): Value {
  if (f.type === "boolean") return Boolean(f.default);
  if (f.default === undefined || f.default === null) return "";
  return typeof f.default === "string" ? f.default : JSON.stringify(f.default);
}

/** Form text → the JSON value the server expects; an error message for text that is not one. */
export function parseInput(f: Partial<InputField>, v: Value): [unknown, string | null] {
  if (f.type === "boolean") return [Boolean(v), null];
  const text = String(v);
  if (text === "") return [undefined, f.required && f.default == null ? "required" : null];
  if (f.type === "string" || !f.type) return [text, null];
  if (f.type === "integer" || f.type === "number") {
    const n = Number(text);
    if (Number.isNaN(n) || (f.type === "integer" && !Number.isInteger(n)))
      return [undefined, `not ${f.type === "integer" ? "an integer" : "a number"}`];
    return [n, null];
  }
  try {
    return [JSON.parse(text), null];
  } catch {
    return [undefined, `not valid JSON (${f.type})`];
  }
}

export function StartRunDialog({
  open,
  onClose,
  pipeline,
  spec,
  version,
  onStart,
  title,
}: {
  open: boolean;
  onClose: () => void;
  pipeline: string;
  spec: PipelineSpec;
  version?: number;
  onStart?: (input: { [key: string]: unknown }) => Promise<void>; // instead of starting a run of a version
  title?: string;
}) {
  const fields = Object.entries(spec.input ?? {}) as [string, Partial<InputField>][];
  const [values, setValues] = useState<Record<string, Value>>(() =>
    Object.fromEntries(fields.map(([k, f]) => [k, initialValue(f)])),
  );
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const [touched, setTouched] = useState(false);
  const navigate = useNavigate();
  const queryClient = useQueryClient();
  const parsed = fields.map(([k, f]) => [k, ...parseInput(f, values[k] ?? "")] as const);
  const invalid = parsed.some(([, , e]) => e);
  const submit = async () => {
    setTouched(true);
    if (invalid) return;
    setBusy(true);
    setError(null);
    try {
      const input = Object.fromEntries(parsed.filter(([, v]) => v !== undefined).map(([k, v]) => [k, v]));
      if (onStart) {
        await onStart(input);
        onClose();
        return;
      }
      const run = await startRun(pipeline, { input, version });
      await queryClient.invalidateQueries({ queryKey: keys.runs.all });
      onClose();
      navigate(`/runs/${run.id}`);
    } catch (e) {
      setError(e);
    } finally {
      setBusy(false);
    }
  };
  return (
    <Dialog
      title={title ?? `Run ${pipeline}${version ? ` (v${version})` : ""}`}
      open={open}
      onClose={onClose}
    >
      <form
        onSubmit={(e) => {
          e.preventDefault();
          void submit();
        }}
      >
        {fields.length === 0 && <p className="muted">This pipeline takes no input.</p>}
        {fields.map(([name, f], i) => {
          const problem = touched ? (parsed[i]?.[2] ?? null) : null;
          return (
            <Field
              key={name}
              label={
                <>
                  {name}
                  {f.required && <span className="required"> *</span>}{" "}
                  <span className="muted small">{f.type ?? "string"}</span>
                </>
              }
              hint={f.description}
              error={problem}
            >
              {(props) =>
                f.type === "boolean" ? (
                  <input
                    {...props}
                    type="checkbox"
                    checked={Boolean(values[name])}
                    onChange={(e) => setValues({ ...values, [name]: e.target.checked })}
                  />
                ) : f.enum ? (
                  <select
                    {...props}
                    value={String(values[name] ?? "")}
                    onChange={(e) => setValues({ ...values, [name]: e.target.value })}
                  >
                    <option value="">—</option>
                    {f.enum.map((o) => (
                      <option key={String(o)} value={typeof o === "string" ? o : JSON.stringify(o)}>
                        {String(o)}
                      </option>
                    ))}
                  </select>
                ) : f.type === "object" || f.type === "array" ? (
                  <textarea
                    {...props}
                    className="code"
                    rows={4}
                    value={String(values[name] ?? "")}
                    placeholder={f.type === "array" ? "[ … ]" : "{ … }"}
                    onChange={(e) => setValues({ ...values, [name]: e.target.value })}
                  />
                ) : (
                  <input
                    {...props}
                    type={f.type === "integer" || f.type === "number" ? "number" : "text"}
                    step={f.type === "number" ? "any" : undefined}
                    value={String(values[name] ?? "")}
                    required={Boolean(f.required && f.default == null)}
                    onChange={(e) => setValues({ ...values, [name]: e.target.value })}
                  />
                )
              }
            </Field>
          );
        })}
        <ErrorNote error={error} />
        <div className="dialog-actions">
          <Button onClick={onClose}>Cancel</Button>
          <button type="submit" className="btn btn-primary" disabled={busy}>
            Start run
          </button>
        </div>
      </form>
    </Dialog>
  );
}
