// Names for the generated OpenAPI types (schema.ts is generated: `npm run gen`, never edited by hand).
import type { components } from "./schema";

type S = components["schemas"];

export type PipelineSpec = S["PipelineDefinition"];
export type NodeSpec = PipelineSpec["nodes"][number];
export type EdgeSpec = S["Edge"];
export type InputField = S["InputField"];
export type PipelineRead = S["PipelineRead"];
export type PipelineVersionRead = S["PipelineVersionRead"];
export type PipelineVersionDetail = S["PipelineVersionDetail"];
export type RunRead = S["RunRead"];
export type RunDetail = S["RunDetail"];
export type ChildRunRef = S["ChildRunRef"];
export type DraftRead = S["DraftRead"];
export type TemplateRead = S["TemplateRead"];
export type RunStatus = S["RunStatus"];
export type StepStatus = S["StepStatus"];
export type StepDetail = S["StepDetail"];
export type StepSummary = S["StepSummaryRead"];
export type StepSlice = S["StepSliceRead"];
export type AttemptRead = S["AttemptRead"];
export type RunProgress = S["RunProgressRead"];
export type NodeProgress = S["NodeProgressRead"];
export type EventRead = S["EventRead"];
export type ArtifactRead = S["ArtifactRead"];
export type ArtifactPreview = S["ArtifactPreview"];
export type CredentialRead = S["CredentialRead"];
export type KeyRead = S["KeyRead"];
export type KeyCreated = S["KeyCreated"];
export type UserRead = S["UserRead"];
export type Role = S["Role"];
export type MeRead = S["MeRead"];
export type ScheduleRead = S["ScheduleRead"];
export type WebhookRead = S["WebhookRead"];
export type WebhookCreated = S["WebhookCreated"];

/** What every node has whatever its kind: the fields of the shared base, read off one kind's model. */
export type NodeBase = Omit<S["NoopNode"], "kind" | "config">;

/** The node kinds the server defines, and one kind's definition and configuration as it declares them. */
export type NodeKind = NodeSpec["kind"];
export type NodeOf<K extends NodeKind> = Extract<NodeSpec, { kind: K }>;
export type NodeConfig<K extends NodeKind> = NonNullable<NodeOf<K>["config"]>;

/** Every configuration field some kind has (a kind without fields adds none). */
export type ConfigField = {
  [K in NodeKind]: string extends keyof NodeConfig<K> ? never : keyof NodeConfig<K> & string;
}[NodeKind];

// The traits each kind's model carries as `x-lockgate-needs` (lockgate/spec/kinds.py): openapi-typescript
// drops extensions, so they are read off the exported document itself, as a type only (never bundled).
type Schemas = typeof import("./openapi.json")["components"]["schemas"];
type NeedsIn<T> = T extends { "x-lockgate-needs": infer N } ? N : never;
type AllKeys<T> = T extends unknown ? keyof T : never;
/** The name of every trait some node kind declares. */
export type NeedName = AllKeys<{ [K in keyof Schemas]: NeedsIn<Schemas[K]> }[keyof Schemas]> & string;
