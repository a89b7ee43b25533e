// The one place query keys are made. Every useQuery and every invalidateQueries takes its key from here, so
// a key is spelt once and the prefixes that invalidate a family are the family's own: `keys.runs.one(id)`
// refreshes everything shown of that run, `keys.pipelines.all` every pipeline list.
import type { RunStatus } from "../api/types";

/** What the run list filters by; every field is in the page's address (see RunList). */
export interface RunListFilter {
  pipeline?: string;
  status?: RunStatus;
  q?: string;
  since?: string;
  until?: string;
}

export const keys = {
  pipelines: {
    all: ["pipelines"] as const,
    search: (q: string) => ["pipelines", "search", q] as const,
    pages: (q: string, limit: number) => ["pipelines", "pages", q, limit] as const,
    detail: (name: string) => ["pipeline", name] as const,
    versions: (name: string) => ["versions", name] as const,
    /** Every version of `name` read one by one (a prefix of `version`). */
    versionsOf: (name: string) => ["version", name] as const,
    version: (name: string, n: number | "latest") => ["version", name, n] as const,
    rollbacks: (name: string) => ["rollbacks", name] as const,
    draft: (name: string) => ["draft", name] as const,
    schedules: (name: string) => ["schedules", name] as const,
    webhooks: (name: string) => ["webhooks", name] as const,
  },
  templates: ["templates"] as const,
  schema: ["schema"] as const,
  runs: {
    all: ["runs"] as const,
    list: (filter: RunListFilter, limit: number) => ["runs", "list", filter, limit] as const,
    of: (pipeline: string | undefined, status: string | undefined) =>
      ["runs", "of", pipeline ?? "", status ?? ""] as const,
    drafts: (pipeline: string) => ["runs", "drafts", pipeline] as const,
    /** Everything read of one run (a prefix of the keys below). */
    one: (id: string) => ["run", id] as const,
    detail: (id: string) => ["run", id, "detail"] as const,
    /** A run another run's step started, as that step shows it (read until it ends). */
    linked: (id: string) => ["run", id, "linked"] as const,
    progress: (id: string) => ["run", id, "progress"] as const,
    costs: (id: string) => ["run", id, "costs"] as const,
    events: (id: string) => ["run", id, "events"] as const,
    steps: (id: string, node: string, status: string, offset: number) =>
      ["run", id, "steps", node, status, offset] as const,
    step: (id: string, key: string) => ["run", id, "step", key] as const,
    stepFollowed: (id: string, key: string) => ["run", id, "step", key, "followed"] as const,
    stepTask: (id: string, key: string, attempt: number | undefined, status: string | undefined) =>
      ["run", id, "step-task", key, attempt, status] as const,
    logs: (id: string, key: string, attempt: number) => ["run", id, "logs", key, attempt] as const,
    conversation: (id: string, key: string) => ["run", id, "conversation", key] as const,
    artifacts: (id: string, step: string) => ["run", id, "artifacts", step] as const,
  },
  tasks: {
    all: ["tasks"] as const,
    list: (status: string) => ["tasks", status] as const,
    pages: (status: string, limit: number) => ["tasks", status, "pages", limit] as const,
    waiting: ["tasks", "open", "count"] as const,
    ofRun: (run: string, status: string) => ["tasks", "run", run, status] as const,
    next: (run: string) => ["tasks", "next", run] as const,
    one: (id: string) => ["task", id] as const,
  },
  artifacts: {
    preview: (id: string) => ["artifact-preview", id] as const,
    compare: (left: string, right: string) => ["artifact-compare-ids", left, right] as const,
    attempts: (run: string, step: string, name: string, attempt: number, other: number) =>
      ["artifact-compare", run, step, name, attempt, other] as const,
  },
  credentials: ["credentials"] as const,
  users: ["users"] as const,
  apiKeys: ["keys"] as const,
  models: ["models"] as const,
  agentProfiles: ["agent-profiles"] as const,
};
