// A form generated from JSON Schema field specs: what the inspector shows for a kind's config and policies.
// Template fields complete expressions; problems from the server's validation appear under their field.
import { lazy, Suspense, useId } from "react";
import { ExpressionInput } from "./ExpressionInput";

// CodeMirror is a chunk of its own, fetched the first time a code field shows (a plain textarea meanwhile)
const CodeEditor = lazy(() => import("./CodeEditor"));

import { JsonEditor, MapEditor, ObjectList } from "./FieldParts";
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
    case "code": {
      const plain = (
        <textarea
          {...common}
          className="code"
          rows={8}
          spellCheck={false}
          value={(value as string | undefined) ?? ""}
          onChange={(e) => onChange(e.target.value)}
        />
      );
      control = (
        <Suspense fallback={plain}>
          <CodeEditor
            id={id}
            label={title}
            value={(value as string | undefined) ?? ""}
            onChange={(v) => onChange(v)}
            readOnly={ctx.readOnly}
            describedBy={describedBy}
            invalid={invalid}
          />
        </Suspense>
      );
      break;
    }
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
