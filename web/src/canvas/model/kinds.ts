// What a node kind needs from the platform, as the server declares it on each kind's model (`x-lockgate-needs` in
// the definition's JSON Schema, from lockgate/spec/kinds.py). The canvas, the inspector and the step panel decide
// from these traits, never from a kind's name: the glyph table (canvas/nodes/NodeBody.tsx) is the only place
// keyed by kind, so a new kind needs a glyph and nothing else here.
import type { NeedName } from "../../api/types";
import type { DraftNode } from "./draft";
import type { JsonSchema, KindInfo } from "./schema";

export interface KindNeeds {
  waits_for_person: boolean; // the step opens a form; it runs once a person answers
  branch_fields: string[]; // config fields naming its branches: "default", or "branches[].name" in a list
  inline: boolean; // pure: evaluated as it is dispatched
  waits_on_timer: boolean; // the step sleeps until an instant; nothing runs
  starts_child_run: boolean;
  runs_user_code: boolean;
  uses_models: boolean; // calls LLMs: the step has a conversation
  reads_file: { field: string; into: string } | null; // a config field that may name a file beside the definition
  defined_in_code: boolean; // its config comes from code (the SDK): read-only here, not in the palette
}

// The traits are the server's: a trait renamed or added in lockgate/spec/kinds.py (and the client regenerated)
// fails this check until KindNeeds follows.
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
const SAME_TRAITS: Same<keyof KindNeeds, NeedName> = true;
void SAME_TRAITS;

export const NEEDS_KEY = "x-lockgate-needs";

export const NO_NEEDS: KindNeeds = {
  waits_for_person: false,
  branch_fields: [],
  inline: false,
  waits_on_timer: false,
  starts_child_run: false,
  runs_user_code: false,
  uses_models: false,
  reads_file: null,
  defined_in_code: false,
};

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/** A kind's traits from its node model's schema; a trait the server does not send is not needed. */
export function readNeeds(node: JsonSchema): KindNeeds {
  const raw = (node as Record<string, unknown>)[NEEDS_KEY];
  if (!isRecord(raw)) return NO_NEEDS;
  const flag = (name: keyof KindNeeds) => raw[name] === true;
  const fields = Array.isArray(raw.branch_fields) ? raw.branch_fields : [];
  const file = raw.reads_file;
  return {
    waits_for_person: flag("waits_for_person"),
    branch_fields: fields.filter((f): f is string => typeof f === "string"),
    inline: flag("inline"),
    waits_on_timer: flag("waits_on_timer"),
    starts_child_run: flag("starts_child_run"),
    runs_user_code: flag("runs_user_code"),
    uses_models: flag("uses_models"),
    reads_file:
      isRecord(file) && typeof file.field === "string" && typeof file.into === "string"
        ? { field: file.field, into: file.into }
        : null,
    defined_in_code: flag("defined_in_code"),
  };
}

/** The traits of `kind` among the server's kinds (none for a kind the server does not know). */
export function needsOf(kinds: readonly KindInfo[], kind: string): KindNeeds {
  return kinds.find((k) => k.kind === kind)?.needs ?? NO_NEEDS;
}

/** The branches a node's kind declares, read from its `branch_fields`, in order and once each. */
export function branchNames(node: DraftNode, needs: KindNeeds): string[] {
  const config = node.config ?? {};
  const names: unknown[] = [];
  for (const path of needs.branch_fields) {
    const [head = "", key] = path.split("[].");
    const value = config[head];
    if (key === undefined) names.push(value);
    else if (Array.isArray(value))
      names.push(...value.map((item) => (isRecord(item) ? item[key] : undefined)));
  }
  return [...new Set(names.filter((n): n is string => typeof n === "string" && n !== ""))];
}

/** Every branch an edge from the node may follow: its kind's, and `error` when its errors take a branch. */
export function branchesOf(node: DraftNode | undefined, needs: KindNeeds): string[] {
  if (!node) return [];
  const out = branchNames(node, needs);
  if (node.on_error === "branch") out.push("error");
  return [...new Set(out)];
}

/** The React Flow node type that draws a kind: one handle per branch for a kind that declares branches. */
export function nodeTypeOf(needs: KindNeeds): "branching" | "step" {
  return needs.branch_fields.length > 0 ? "branching" : "step";
}

export interface NeedBadge {
  mark: string;
  label: string;
}

/** Small marks a node shows for what it waits on or uses. */
export function needBadges(needs: KindNeeds): NeedBadge[] {
  const badges: [boolean, NeedBadge][] = [
    [needs.waits_for_person, { mark: "👤", label: "waits for a person" }],
    [needs.waits_on_timer, { mark: "⏱", label: "waits on a timer" }],
    [needs.uses_models, { mark: "✦", label: "uses models" }],
    [needs.runs_user_code, { mark: "</>", label: "runs your code" }],
    [needs.starts_child_run, { mark: "⧉", label: "starts a child run" }],
  ];
  return badges.filter(([on]) => on).map(([, badge]) => badge);
}
