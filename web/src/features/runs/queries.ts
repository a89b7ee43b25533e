import { keepPreviousData, useInfiniteQuery, useQuery } from "@tanstack/react-query";
import { api, ok, raw } from "../../api/client";
import type { RunStatus, StepStatus } from "../../api/types";

export const runKeys = {
  runs: (pipeline: string | undefined, status: string | undefined) =>
    ["runs", pipeline ?? "", status ?? ""] as const,
  progress: (id: string) => ["run", id, "progress"] as const,
  steps: (id: string, node: string, status: string, offset: number) =>
    ["run", id, "steps", node, status, offset] as const,
  step: (id: string, key: string) => ["run", id, "step", key] as const,
  logs: (id: string, key: string, attempt: number) => ["run", id, "logs", key, attempt] as const,
  artifacts: (id: string, step: string) => ["run", id, "artifacts", step] as const,
  detail: (id: string) => ["run", id, "detail"] as const,
};

export function useRuns(pipeline?: string, status?: RunStatus, limit = 100) {
  return useQuery({
    queryKey: runKeys.runs(pipeline, status),
    queryFn: () => ok(api.GET("/api/v1/runs", { params: { query: { pipeline, status, limit } } })),
    refetchInterval: 5000,
  });
}

/** What the run list keeps; every field is in the page's address (see RunList). */
export interface RunListFilter {
  pipeline?: string;
  status?: RunStatus;
  q?: string;
  since?: string;
  until?: string;
}

/** The run list a page at a time (newest first), with the API's count of every match. */
export function useRunList(filter: RunListFilter, limit = 50) {
  return useInfiniteQuery({
    queryKey: ["runs", "list", filter, limit] as const,
    initialPageParam: undefined as string | undefined,
    queryFn: ({ pageParam }) =>
      ok(api.GET("/api/v1/runs", { params: { query: { ...filter, limit, cursor: pageParam } } })),
    refetchInterval: 5000,
    getNextPageParam: (last) => last.next_cursor ?? undefined,
  });
}

export function useRunProgress(id: string) {
  return useQuery({
    queryKey: runKeys.progress(id),
    queryFn: () => ok(api.GET("/api/v1/runs/{run}/progress", { params: { path: { run: id } } })),
  });
}

export const WINDOW = 100;

export function useStepWindow(id: string, node: string, status: StepStatus | "", offset: number) {
  return useQuery({
    queryKey: runKeys.steps(id, node, status, offset),
    placeholderData: keepPreviousData,
    queryFn: () =>
      ok(
        api.GET("/api/v1/runs/{run}/steps", {
          params: {
            path: { run: id },
            query: { node: node || undefined, status: status || undefined, offset, limit: WINDOW },
          },
        }),
      ),
  });
}

export function useStep(id: string, key: string | null) {
  return useQuery({
    queryKey: runKeys.step(id, key ?? ""),
    enabled: Boolean(key),
    queryFn: () =>
      ok(api.GET("/api/v1/runs/{run}/steps/{step}", { params: { path: { run: id, step: key as string } } })),
  });
}

export function useLogs(id: string, key: string, attempt: number, live: boolean) {
  return useQuery({
    queryKey: runKeys.logs(id, key, attempt),
    refetchInterval: live ? 1000 : false,
    queryFn: async () =>
      (
        await raw(
          `/api/v1/runs/${encodeURIComponent(id)}/steps/${encodeURIComponent(key)}/logs?attempt=${attempt}`,
        )
      ).text(),
  });
}

export function useArtifacts(id: string, step?: string) {
  return useQuery({
    queryKey: runKeys.artifacts(id, step ?? ""),
    queryFn: () =>
      ok(api.GET("/api/v1/runs/{run}/artifacts", { params: { path: { run: id }, query: { step } } })),
  });
}

export function useRunDetail(id: string | null) {
  return useQuery({
    queryKey: runKeys.detail(id ?? ""),
    enabled: Boolean(id),
    queryFn: () => ok(api.GET("/api/v1/runs/{run}", { params: { path: { run: id as string } } })),
  });
}

const ENDED: ReadonlySet<RunStatus> = new Set(["succeeded", "failed", "cancelled"]);

/** A run another run's step started: its status, read again every second until it has ended. */
export function useLinkedRun(id: string) {
  return useQuery({
    queryKey: ["run", id, "linked"],
    queryFn: () => ok(api.GET("/api/v1/runs/{run}", { params: { path: { run: id } } })),
    refetchInterval: (query) => (query.state.data && ENDED.has(query.state.data.status) ? false : 1000),
  });
}

export const RUN_STATUSES: RunStatus[] = [
  "queued",
  "pending",
  "running",
  "paused",
  "succeeded",
  "failed",
  "cancelled",
];
export const STEP_STATUSES: StepStatus[] = [
  "pending",
  "queued",
  "running",
  "retrying",
  "succeeded",
  "failed",
  "skipped",
  "cancelled",
];
