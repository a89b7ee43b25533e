// Nothing selected: the pipeline itself (name, description, input fields, output template).
// pipeline itself (name, input fields, output) when nothing is selected.
import { useId, useState } from "react";
import type { InputField } from "../api/types";
import { Button } from "../lib/controls";
import { type InspectorProps, TextField } from "./Inspector";
import { fieldSpec, type Json, problemsAt } from "./model";
import { FieldEditor, type FormContext } from "./SchemaForm";

const INPUT_TYPES = ["string", "number", "integer", "boolean", "object", "array"] as const;

export function PipelineInspector({ draft, schema, problems, readOnly, isNew, onPipeline }: InspectorProps) {
  const id = useId();
  const [newField, setNewField] = useState("");
  const inputs = draft.input ?? {};
  const setInput = (name: string, f: Partial<InputField> | undefined) => {
    const next = { ...inputs };
    if (f === undefined) delete next[name];
    else next[name] = f;
    onPipeline({ ...draft, input: next });
  };
  const outputSpec = schema.properties?.output
    ? fieldSpec(schema, "output", schema.properties.output, false)
    : null;
  const ctx: FormContext = {
    draft,
    readOnly,
    problems: problems.pipeline,
    place: () => ({ kind: "output" }),
  };
  const nameProblems = problemsAt(problems.pipeline, "name");
  return (
    <section aria-labelledby={`${id}-title`}>
      <h2 id={`${id}-title`}>Pipeline</h2>
      <p className="muted small">
        Select a node or an edge to edit it. Drag kinds from the palette to add nodes.
      </p>
      {problems.pipeline
        .filter(
          (p) => !p.field.startsWith("name") && !p.field.startsWith("input") && !p.field.startsWith("output"),
        )
        .map((p) => (
          <p key={p.field + p.message} className="field-error" role="alert">
            {p.field}: {p.message}
          </p>
        ))}
      <div className={`field ${nameProblems.length ? "field-invalid" : ""}`}>
        <label htmlFor={`${id}-name`}>Name</label>
        <input
          id={`${id}-name`}
          type="text"
          value={draft.name}
          disabled={readOnly || !isNew}
          aria-describedby={`${id}-name-hint`}
          onChange={(e) => onPipeline({ ...draft, name: e.target.value })}
        />
        <div className="hint" id={`${id}-name-hint`}>
          {isNew ? "A slug; runs are numbered per name." : "Fixed once saved: runs are numbered per name."}
        </div>
        {nameProblems.map((p) => (
          <div key={p.message} className="field-error" role="alert">
            {p.message}
          </div>
        ))}
      </div>
      <TextField
        label="Description"
        multiline
        value={draft.description ?? ""}
        readOnly={readOnly}
        onChange={(v) => onPipeline({ ...draft, description: v || null })}
      />
      <h3>Input fields</h3>
      <p className="hint">What a run takes; expressions read them as input.&lt;field&gt;.</p>
      {Object.entries(inputs).map(([name, f]) => (
        <fieldset key={name} className="subform input-field">
          <legend>{name}</legend>
          <div className="row">
            <label>
              Type{" "}
              <select
                value={f.type ?? "string"}
                disabled={readOnly}
                onChange={(e) => setInput(name, { ...f, type: e.target.value as InputField["type"] })}
              >
                {INPUT_TYPES.map((t) => (
                  <option key={t}>{t}</option>
                ))}
              </select>
            </label>
            <label className="check">
              <input
                type="checkbox"
                checked={Boolean(f.required)}
                disabled={readOnly}
                onChange={(e) => setInput(name, { ...f, required: e.target.checked || undefined })}
              />
              required
            </label>
          </div>
          <TextField
            label="Default (JSON or text)"
            value={
              f.default === undefined || f.default === null
                ? ""
                : typeof f.default === "string"
                  ? f.default
                  : JSON.stringify(f.default)
            }
            readOnly={readOnly}
            onChange={(v) => setInput(name, { ...f, default: parseLoose(v, f.type) })}
          />
          <TextField
            label="Description"
            value={f.description ?? ""}
            readOnly={readOnly}
            onChange={(v) => setInput(name, { ...f, description: v || undefined })}
          />
          {!readOnly && (
            <Button variant="ghost" onClick={() => setInput(name, undefined)}>
              Remove field
            </Button>
          )}
        </fieldset>
      ))}
      {!readOnly && (
        <div className="map-add">
          <input
            type="text"
            aria-label="New input field name"
            placeholder="field name"
            value={newField}
            onChange={(e) => setNewField(e.target.value)}
          />
          <Button
            disabled={!/^[A-Za-z_][A-Za-z0-9_]*$/.test(newField) || newField in inputs}
            onClick={() => {
              setInput(newField, { type: "string" });
              setNewField("");
            }}
          >
            Add field
          </Button>
        </div>
      )}
      {outputSpec && (
        <>
          <h3>Output</h3>
          <FieldEditor
            spec={{
              ...outputSpec,
              label: "Output template",
              description: "Default: the outputs of the sink nodes, by node id.",
            }}
            value={draft.output}
            onChange={(v) => onPipeline({ ...draft, output: v })}
            path="output"
            ctx={ctx}
          />
        </>
      )}
    </section>
  );
}

function parseLoose(text: string, type: string | undefined): Json | undefined {
  if (text === "") return undefined;
  if (type === "string" || type === undefined) return text;
  try {
    return JSON.parse(text) as Json;
  } catch {
    return text;
  }
}
