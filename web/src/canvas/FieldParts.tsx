// The compound parts of generated forms: maps (name → value), lists of objects, any JSON.
import { useState } from "react";
import { Button } from "../lib/controls";
import { ExpressionInput } from "./ExpressionInput";
import type { FieldSpec, Json } from "./model";
import { FieldEditor, type FormContext, SchemaForm } from "./SchemaForm";

type Obj = { [key: string]: Json };

export function MapEditor({
  id,
  spec,
  value,
  onChange,
  path,
  ctx,
}: {
  id: string;
  spec: FieldSpec;
  value: Obj;
  onChange: (v: Json | undefined) => void;
  path: string;
  ctx: FormContext;
}) {
  const [newKey, setNewKey] = useState("");
  const entries = Object.entries(value);
  const item = spec.item ?? { ...spec, type: "template" as const, name: "value", label: "value" };
  const set = (key: string, v: Json | undefined) => {
    const next = { ...value };
    if (v === undefined) delete next[key];
    else next[key] = v;
    onChange(Object.keys(next).length ? next : undefined);
  };
  return (
    <div className="map-editor" id={id}>
      {entries.map(([key, v]) => (
        <div key={key} className="map-row">
          <FieldEditor
            spec={{ ...item, label: key, required: false, description: undefined }}
            value={v}
            onChange={(x) => set(key, x ?? "")}
            path={`${path}.${key}`}
            ctx={ctx}
          />
          {!ctx.readOnly && (
            <Button variant="ghost" aria-label={`Remove ${key}`} onClick={() => set(key, undefined)}>
              ✕
            </Button>
          )}
        </div>
      ))}
      {!ctx.readOnly && (
        <div className="map-add">
          <input
            type="text"
            aria-label={`New ${spec.label} name`}
            placeholder="name"
            value={newKey}
            onChange={(e) => setNewKey(e.target.value)}
            onKeyDown={(e) => {
              if (e.key === "Enter" && newKey.trim()) {
                e.preventDefault();
                set(newKey.trim(), "");
                setNewKey("");
              }
            }}
          />
          <Button
            aria-label={`Add to ${spec.label}`}
            disabled={!newKey.trim() || newKey.trim() in value}
            onClick={() => {
              set(newKey.trim(), "");
              setNewKey("");
            }}
          >
            Add
          </Button>
        </div>
      )}
    </div>
  );
}

export function ObjectList({
  spec,
  value,
  onChange,
  path,
  ctx,
}: {
  spec: FieldSpec;
  value: Obj[];
  onChange: (v: Json | undefined) => void;
  path: string;
  ctx: FormContext;
}) {
  const fields = spec.item?.fields ?? [];
  const set = (i: number, v: Obj | undefined) => {
    const next = value.slice();
    if (v === undefined) next.splice(i, 1);
    else next[i] = v;
    onChange(next);
  };
  return (
    <div className="object-list">
      {value.map((item, i) => (
        // biome-ignore lint/suspicious/noArrayIndexKey: rows have no identity of their own
        <fieldset key={i} className="subform">
          <legend>
            {spec.label} {i + 1}
          </legend>
          <SchemaForm
            fields={fields}
            value={item}
            onChange={(v) => set(i, v)}
            path={`${path}[${i}]`}
            ctx={ctx}
          />
          {!ctx.readOnly && (
            <Button variant="ghost" onClick={() => set(i, undefined)}>
              Remove
            </Button>
          )}
        </fieldset>
      ))}
      {!ctx.readOnly && (
        <Button onClick={() => onChange([...value, {}])}>
          Add {spec.label.replace(/e?s$/, "").toLowerCase()}
        </Button>
      )}
    </div>
  );
}

/** Any JSON: as text (a template) when it is a string, else as JSON. */
export function JsonEditor({
  id,
  spec,
  value,
  onChange,
  path,
  ctx,
  describedBy,
}: {
  id: string;
  spec: FieldSpec;
  value: Json | undefined;
  onChange: (v: Json | undefined) => void;
  path: string;
  ctx: FormContext;
  describedBy?: string;
}) {
  const isText = value === undefined || typeof value === "string";
  const [mode, setMode] = useState<"text" | "json">(isText ? "text" : "json");
  const [draftText, setDraftText] = useState(isText ? "" : JSON.stringify(value, null, 2));
  const [bad, setBad] = useState(false);
  return (
    <div className="json-editor">
      <fieldset className="segmented">
        <legend className="sr-only">{spec.label} as</legend>
        <button
          type="button"
          aria-pressed={mode === "text"}
          onClick={() => setMode("text")}
          disabled={ctx.readOnly}
        >
          text
        </button>
        <button
          type="button"
          aria-pressed={mode === "json"}
          disabled={ctx.readOnly}
          onClick={() => {
            setMode("json");
            setDraftText(value === undefined ? "" : JSON.stringify(value, null, 2));
          }}
        >
          JSON
        </button>
      </fieldset>
      {mode === "text" ? (
        <ExpressionInput
          id={id}
          multiline
          value={typeof value === "string" ? value : ""}
          onChange={(v) => onChange(v === "" ? undefined : v)}
          draft={ctx.draft}
          place={ctx.place(path)}
          placeholder={spec.template ? "text, or {{ expression }}" : undefined}
          describedBy={describedBy}
        />
      ) : (
        <textarea
          id={id}
          className="code"
          rows={5}
          aria-describedby={describedBy}
          aria-invalid={bad || undefined}
          disabled={ctx.readOnly}
          value={draftText}
          onChange={(e) => {
            setDraftText(e.target.value);
            try {
              onChange(e.target.value.trim() ? (JSON.parse(e.target.value) as Json) : undefined);
              setBad(false);
            } catch {
              setBad(true);
            }
          }}
        />
      )}
      {bad && <div className="field-error">not valid JSON yet</div>}
    </div>
  );
}
