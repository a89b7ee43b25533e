// New pipeline: start blank, from an example, or from a pipeline marked as a template.
import { useId } from "react";
import type { TemplateRead } from "../../api/types";
import { useTemplates } from "./queries";

export { useTemplates };

/** A template's definition as a new pipeline's: a marked pipeline's copy gets a name of its own. */
export function startingPoint(t: TemplateRead): { [key: string]: unknown } {
  return t.source === "pipeline" ? { ...t.definition, name: `${t.name}-copy` } : { ...t.definition };
}

export function TemplatePicker({
  value,
  onPick,
}: {
  value: string;
  onPick: (template: TemplateRead | null, key: string) => void;
}) {
  const id = useId();
  const templates = useTemplates();
  const items = templates.data ?? [];
  const key = (t: TemplateRead) => `${t.source}:${t.name}`;
  const group = (source: TemplateRead["source"], label: string) => {
    const of = items.filter((t) => t.source === source);
    return of.length > 0 ? (
      <optgroup label={label}>
        {of.map((t) => (
          <option key={key(t)} value={key(t)}>
            {t.name}
            {t.description ? ` — ${t.description.slice(0, 80)}` : ""}
          </option>
        ))}
      </optgroup>
    ) : null;
  };
  return (
    <div className="template-picker">
      <label htmlFor={id}>Start from</label>
      <select
        id={id}
        value={value}
        disabled={templates.isPending}
        onChange={(e) => {
          const picked = items.find((t) => key(t) === e.target.value) ?? null;
          onPick(picked, e.target.value);
        }}
      >
        <option value="">A blank canvas</option>
        {group("example", "Examples")}
        {group("pipeline", "Pipelines marked as templates")}
      </select>
    </div>
  );
}
