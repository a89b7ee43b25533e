// The node kinds and their forms, read from the server's JSON Schema of a definition: a kind added to the
// server's union shows up in the palette and gets an inspector form with no change here.
import { type KindNeeds, readNeeds } from "./kinds";

export interface JsonSchema {
  $ref?: string;
  $defs?: { [name: string]: JsonSchema };
  type?: string | string[];
  title?: string;
  description?: string;
  properties?: { [name: string]: JsonSchema };
  required?: string[];
  additionalProperties?: JsonSchema | boolean;
  items?: JsonSchema;
  anyOf?: JsonSchema[];
  oneOf?: JsonSchema[];
  enum?: unknown[];
  const?: unknown;
  default?: unknown;
  format?: string;
  pattern?: string;
  minimum?: number;
  maximum?: number;
  examples?: unknown[];
  discriminator?: { propertyName: string; mapping?: { [kind: string]: string } };
  "x-template"?: boolean;
  "x-lockgate-needs"?: unknown; // a node model's traits: read with readNeeds (kinds.ts)
  "x-lockgate-server-only"?: boolean; // filled by the server (a script's `file` path): never offered here
}

export interface KindInfo {
  kind: string;
  title: string;
  description: string;
  node: JsonSchema; // the node model (id, policies, kind, config)
  config: JsonSchema; // its config model, resolved
  needs: KindNeeds; // what it needs from the platform, as the server declares it
}

export type FieldType =
  | "template" // a string that may hold {{ … }}
  | "code"
  | "text"
  | "enum"
  | "boolean"
  | "number"
  | "integer"
  | "duration"
  | "map" // string → value
  | "list" // of scalars
  | "objects" // list of objects (condition branches)
  | "object"
  | "json"; // any JSON (templated strings inside when x-template)

export interface FieldSpec {
  name: string;
  label: string;
  description?: string;
  type: FieldType;
  required: boolean;
  nullable: boolean;
  template: boolean;
  options?: string[];
  default?: unknown;
  schema: JsonSchema; // resolved, null branch removed
  item?: FieldSpec; // for map values, list items and objects in lists
  fields?: FieldSpec[]; // for objects
}

export function resolve(root: JsonSchema, schema: JsonSchema): JsonSchema {
  let s = schema;
  for (let i = 0; s.$ref && i < 20; i++) {
    const name = s.$ref.split("/").pop() ?? "";
    const target = root.$defs?.[name];
    if (!target) break;
    const { $ref: _ref, ...rest } = s;
    s = { ...target, ...rest };
  }
  return s;
}

/** The node kinds of the definition schema, in the union's order. */
export function nodeKinds(root: JsonSchema): KindInfo[] {
  const items = root.properties?.nodes?.items;
  if (!items) return [];
  const members = items.oneOf ?? items.anyOf ?? [];
  return members.flatMap((member) => {
    const node = resolve(root, member);
    const kind = node.properties?.kind?.const;
    if (typeof kind !== "string") return [];
    const config = resolve(root, node.properties?.config ?? {});
    return [
      {
        kind,
        title: kind.charAt(0).toUpperCase() + kind.slice(1),
        description: (node.description ?? config.description ?? "").split("\n")[0] ?? "",
        node,
        config,
        needs: readNeeds(node),
      },
    ];
  });
}

function withoutNull(root: JsonSchema, schema: JsonSchema): [JsonSchema, boolean] {
  const s = resolve(root, schema);
  const branches = s.anyOf;
  if (!branches) return [s, false];
  const rest = branches.filter((b) => b.type !== "null");
  const nullable = rest.length < branches.length;
  if (rest.length === 1 && rest[0]) {
    const { anyOf: _anyOf, ...outer } = s;
    return [{ ...outer, ...resolve(root, rest[0]) }, nullable];
  }
  return [{ ...s, anyOf: rest }, nullable];
}

// A field's own title (the server writes them for people: "CPU time", "Memory (MB)"), else its name in sentence
// case; a referenced definition's title names its type (ScriptInputMode), not the field, so it is not read.
function labelOf(name: string, schema: JsonSchema): string {
  if (schema.title) return schema.title;
  const words = name.split("_").filter(Boolean).join(" ");
  return words.charAt(0).toUpperCase() + words.slice(1);
}

function isDuration(s: JsonSchema): boolean {
  return (s.anyOf ?? []).some((b) => typeof b.pattern === "string" && b.pattern.includes("ms|s|m|h|d"));
}

function hasTemplate(s: JsonSchema): boolean {
  return Boolean(s["x-template"]) || (s.anyOf ?? []).some((b) => Boolean(b["x-template"]));
}

function typeOf(root: JsonSchema, s: JsonSchema): FieldType {
  if (isDuration(s)) return "duration";
  if (s.enum) return "enum";
  if (s.format === "python") return "code";
  const t = Array.isArray(s.type) ? s.type[0] : s.type;
  if (t === "string") return s["x-template"] ? "template" : "text";
  if (t === "boolean") return "boolean";
  if (t === "integer") return "integer";
  if (t === "number") return "number";
  if (s.properties) return "object";
  if (t === "object") return "map";
  if (t === "array") {
    const item = resolve(root, s.items ?? {});
    return item.type === "object" || item.properties ? "objects" : "list";
  }
  if (s.anyOf?.every((b) => b.type === "string" || b.type === "boolean")) return "template";
  return "json";
}

export function fieldSpec(root: JsonSchema, name: string, schema: JsonSchema, required: boolean): FieldSpec {
  const [s, nullable] = withoutNull(root, schema);
  const type = typeOf(root, s);
  const spec: FieldSpec = {
    name,
    label: labelOf(name, schema),
    description: s.description,
    type,
    required,
    nullable,
    template: hasTemplate(s) || hasTemplate(schema),
    default: s.default ?? schema.default,
    schema: s,
  };
  if (type === "enum") spec.options = (s.enum ?? []).map(String);
  if (type === "map" && typeof s.additionalProperties === "object") {
    spec.item = fieldSpec(root, "value", s.additionalProperties, false);
    spec.template = spec.template || spec.item.template;
  }
  if ((type === "list" || type === "objects") && s.items) spec.item = fieldSpec(root, "item", s.items, false);
  if (type === "object") spec.fields = fieldsOf(root, s);
  return spec;
}

export function fieldsOf(root: JsonSchema, model: JsonSchema): FieldSpec[] {
  const m = resolve(root, model);
  const required = new Set(m.required ?? []);
  return Object.entries(m.properties ?? {})
    .filter(([, s]) => !s["x-lockgate-server-only"])
    .map(([name, s]) => fieldSpec(root, name, s, required.has(name)));
}

/** The node's own fields split for the inspector: config (kind-specific) and the shared policies. */
export const BASIC_FIELDS = ["id", "name", "description"] as const;
export const SPECIAL_FIELDS = new Set([
  "id",
  "kind",
  "config",
  "inputs",
  "credentials",
  "position",
  "name",
  "description",
]);

export function policyFields(root: JsonSchema, info: KindInfo): FieldSpec[] {
  return fieldsOf(root, info.node).filter((f) => !SPECIAL_FIELDS.has(f.name));
}

export function configFields(root: JsonSchema, info: KindInfo): FieldSpec[] {
  return fieldsOf(root, info.config);
}
