// An agent profile as its form holds it (text fields as typed) and as the API takes it (unset → null).
import type { components } from "../../api/schema";

export type AgentProfileRead = components["schemas"]["AgentProfileRead"];
export type AgentProfileCreate = components["schemas"]["AgentProfileCreate"];
export type BuiltinTool = components["schemas"]["BuiltinTool"];

export const TOOLS: BuiltinTool[] = [
  "http_get",
  "http_post",
  "read_artifact",
  "write_artifact",
  "run_python",
];

export interface ProfileForm {
  name: string;
  description: string;
  model: string;
  instructions: string;
  temperature: string;
  /** null: the node's tools (the default); a list, even empty: exactly these. */
  tools: BuiltinTool[] | null;
}

export const EMPTY: ProfileForm = {
  name: "",
  description: "",
  model: "",
  instructions: "",
  temperature: "",
  tools: null,
};

export function fromProfile(p: AgentProfileRead): ProfileForm {
  return {
    name: p.name,
    description: p.description ?? "",
    model: p.model ?? "",
    instructions: p.instructions ?? "",
    temperature: p.temperature == null ? "" : String(p.temperature),
    tools: p.tools ?? null,
  };
}

/** The body of a create (with the name) or of an edit: every field sent, so that a cleared one is cleared. */
export function toBody(form: ProfileForm): AgentProfileCreate {
  const text = (s: string) => (s.trim() === "" ? null : s);
  const temperature = form.temperature.trim() === "" ? null : Number(form.temperature);
  return {
    name: form.name.trim(),
    description: text(form.description),
    model: text(form.model),
    instructions: text(form.instructions),
    temperature: temperature !== null && Number.isNaN(temperature) ? null : temperature,
    tools: form.tools === null ? null : TOOLS.filter((t) => form.tools?.includes(t)),
  };
}

/** A short line for the table: what the profile sets, what it leaves to the node. */
export function summary(p: AgentProfileRead): string {
  const parts = [
    p.temperature == null ? null : `temperature ${p.temperature}`,
    p.tools == null ? "the node's tools" : p.tools.length ? p.tools.join(", ") : "no tools",
  ];
  return parts.filter(Boolean).join(" · ");
}
