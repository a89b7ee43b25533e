// A form generated from JSON Schema field specs: what the inspector shows for a kind's config and policies.
// Template fields complete expressions; problems from the server's validation appear under their field.
import { useId, useState } from "react";
import { Button } from "../lib/controls";
import { ExpressionInput } from "./ExpressionInput";
import {
  type Draft,
  type ExpressionPlace,
  type FieldSpec,
  type Json,
  type Problem,
  problemsAt,
} from "./model";

type Obj = { [key: string]: Json };

export interface FormContext {
  draft: Draft;
  place: (path: string) => ExpressionPlace;
  problems: readonly Problem[];
  readOnly: boolean;
}

function placeholderOf(spec: FieldSpec): string | undefined {
  if (spec.default !== undefined && spec.default !== null && typeof spec.default !== "object") {
    return `default: ${String(spec.default)}`;
  }
  const examples =
    spec.schema.examples ?? (spec.schema.anyOf?.flatMap((b) => b.examples ?? []) as unknown[] | undefined);
  if (examples?.length) return `e.g. ${String(examples[0])}`;
  return spec.template ? "text, or {{ expression }}" : undefined;
}

export function SchemaForm({
  fields,
  value,
  onChange,
  path,
  ctx,
}: {
  fields: FieldSpec[];
  value: Obj;
  onChange: (next: Obj) => void;
  path: string;
  ctx: FormContext;
}) {
  const set = (name: string, v: Json | undefined) => {
    const next = { ...value };
    if (v === undefined || v === "") delete next[name];
    else next[name] = v;
    onChange(next);
  };
  const unknown = problemsAt(ctx.problems, path).filter(
    (p) => p.field === path || !fields.some((f) => p.field.startsWith(`${path}.${f.name}`)),
  );
  return (
    <div className="schema-form">
      {unknown.map((p) => (
        <p key={p.message} className="field-error" role="alert">
          {p.message}
        </p>
      ))}
      {fields.map((spec) => (
        <FieldEditor
          key={spec.name}
          spec={spec}
          value={value[spec.name]}
          onChange={(v) => set(spec.name, v)}
          path={path ? `${path}.${spec.name}` : spec.name}
          ctx={ctx}
        />
      ))}
    </div>
  );
}

export function FieldEditor({
  spec,
  value,
  onChange,
  path,
  ctx,
  label,
}: {
  spec: FieldSpec;
  value: Json | undefined;
  onChange: (v: Json | undefined) => void;
  path: string;
  ctx: FormContext;
  label?: string;
}) {
  const id = useId();
  const problems = problemsAt(ctx.problems, path);
  const errorId = `${id}-error`;
  const hintId = `${id}-hint`;
  const describedBy =
    [spec.description ? hintId : "", problems.length ? errorId : ""].filter(Boolean).join(" ") || undefined;
  const invalid = problems.length > 0;
  const title = label ?? spec.label;
  const common = {
    id,
    "aria-describedby": describedBy,
    "aria-invalid": invalid || undefined,
    disabled: ctx.readOnly,
  };
  let control: React.ReactNode;
  switch (spec.type) {
    case "boolean":
      control = (
        <input
          type="checkbox"
          {...common}
          checked={Boolean(value ?? spec.default)}
          onChange={(e) => onChange(e.target.checked)}
        />
      );
      break;
    case "enum":
      control = (
        <select
          {...common}
          value={(value as string | undefined) ?? ""}
          onChange={(e) => onChange(e.target.value || undefined)}
        >
          <option value="">
            {spec.default !== undefined && spec.default !== null ? `default (${String(spec.default)})` : "—"}
          </option>
          {spec.options?.map((o) => (
            <option key={o} value={o}>
              {o}
            </option>
          ))}
        </select>
      );
      break;
    case "number":
    case "integer":
      control = (
        <input
          type="number"
          {...common}
          step={spec.type === "integer" ? 1 : "any"}
          placeholder={placeholderOf(spec)}
          value={value === undefined || value === null ? "" : String(value)}
          onChange={(e) => onChange(e.target.value === "" ? undefined : Number(e.target.value))}
        />
      );
      break;
    case "code":
      control = (
        <textarea
          {...common}
          className="code"
          rows={8}
          spellCheck={false}
          value={(value as string | undefined) ?? ""}
          onChange={(e) => onChange(e.target.value)}
        />
      );
      break;
    case "template":
      control = ctx.readOnly ? (
        <input type="text" {...common} value={String(value ?? "")} readOnly />
      ) : (
        <ExpressionInput
          id={id}
          value={
            typeof value === "string" ? value : value === undefined || value === null ? "" : String(value)
          }
          onChange={(v) => onChange(v)}
          draft={ctx.draft}
          place={ctx.place(path)}
          placeholder={placeholderOf(spec)}
          describedBy={describedBy}
          invalid={invalid}
        />
      );
      break;
    case "map":
      control = (
        <MapEditor
          id={id}
          spec={spec}
          value={(value as Obj | undefined) ?? {}}
          onChange={onChange}
          path={path}
          ctx={ctx}
        />
      );
      break;
    case "list":
      control = (
        <input
          type="text"
          {...common}
          placeholder="comma-separated"
          value={Array.isArray(value) ? value.join(", ") : ""}
          onChange={(e) => {
            const items = e.target.value
              .split(",")
              .map((s) => s.trim())
              .filter(Boolean);
            const typed =
              spec.item?.type === "integer" || spec.item?.type === "number" ? items.map(Number) : items;
            onChange(typed.length ? typed : undefined);
          }}
        />
      );
      break;
    case "objects":
      control = (
        <ObjectList
          spec={spec}
          value={(value as Obj[] | undefined) ?? []}
          onChange={onChange}
          path={path}
          ctx={ctx}
        />
      );
      break;
    case "object":
      return (
        <fieldset className="subform">
          <legend>{title}</legend>
          <SchemaForm
            fields={spec.fields ?? []}
            value={(value as Obj | undefined) ?? {}}
            onChange={(v) => onChange(Object.keys(v).length ? v : undefined)}
            path={path}
            ctx={ctx}
          />
        </fieldset>
      );
    case "json":
      control = (
        <JsonEditor
          id={id}
          spec={spec}
          value={value}
          onChange={onChange}
          path={path}
          ctx={ctx}
          describedBy={describedBy}
        />
      );
      break;
    default:
      control = (
        <input
          type="text"
          {...common}
          placeholder={placeholderOf(spec)}
          value={value === undefined || value === null ? "" : String(value)}
          onChange={(e) => onChange(e.target.value)}
        />
      );
  }
  return (
    <div className={`field ${invalid ? "field-invalid" : ""} field-${spec.type}`} data-field={path}>
      <label htmlFor={id}>
        {title}
        {spec.required && (
          <span className="required" title="required">
            {" "}
            *
          </span>
        )}
        {spec.template && <span className="tag">{"{{ }}"}</span>}
      </label>
      {control}
      {spec.description && (
        <div className="hint" id={hintId}>
          {spec.description}
        </div>
      )}
      {invalid && (
        <div className="field-error" id={errorId} role="alert">
          {problems.map((p) => p.message).join("; ")}
        </div>
      )}
    </div>
  );
}

function MapEditor({
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

function ObjectList({
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
function JsonEditor({
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
