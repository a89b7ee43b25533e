// Runs as the pages read and change them: every run query and command of the UI goes through here.
import { keepPreviousData, useInfiniteQuery, useQueries, useQuery } from "@tanstack/react-query";
import { api, ok, raw } from "../../api/client";
import type { RunDetail, RunStatus, StepStatus } from "../../api/types";
import { keys, type RunListFilter } from "../../lib/queryKeys";

export type { RunListFilter };

export function useRuns(pipeline?: string, status?: RunStatus, limit = 100) {
  return useQuery({
    queryKey: keys.runs.of(pipeline, status),
    queryFn: () => ok(api.GET("/api/v1/runs", { params: { query: { pipeline, status, limit } } })),
    refetchInterval: 5000,
  });
}

/** The run list a page at a time (newest first), with the API's count of every match. */
export function useRunList(filter: RunListFilter, limit = 50) {
  return useInfiniteQuery({
    queryKey: keys.runs.list(filter, limit),
    initialPageParam: undefined as string | undefined,
    queryFn: ({ pageParam }) =>
      ok(api.GET("/api/v1/runs", { params: { query: { ...filter, limit, cursor: pageParam } } })),
    refetchInterval: 5000,
    getNextPageParam: (last) => last.next_cursor ?? undefined,
  });
}

export function useRunProgress(id: string) {
  return useQuery({
    queryKey: keys.runs.progress(id),
    queryFn: () => ok(api.GET("/api/v1/runs/{run}/progress", { params: { path: { run: id } } })),
  });
}

export const WINDOW = 100;

function stepWindow(id: string, node: string, status: StepStatus | "", offset: number) {
  return {
    queryKey: keys.runs.steps(id, node, status, offset),
    queryFn: () =>
      ok(
        api.GET("/api/v1/runs/{run}/steps", {
          params: {
            path: { run: id },
            query: { node: node || undefined, status: status || undefined, offset, limit: WINDOW },
          },
        }),
      ),
  };
}

/** The windows of a run's step list at `offsets` (the timeline reads those on screen). */
export function useStepWindows(
  id: string,
  node: string,
  status: StepStatus | "",
  offsets: readonly number[],
) {
  return useQueries({ queries: offsets.map((offset) => stepWindow(id, node, status, offset)) });
}

export function useStepWindow(id: string, node: string, status: StepStatus | "", offset: number) {
  return useQuery({ ...stepWindow(id, node, status, offset), placeholderData: keepPreviousData });
}

export function useStep(id: string, key: string | null) {
  return useQuery({
    queryKey: keys.runs.step(id, key ?? ""),
    enabled: Boolean(key),
    queryFn: () =>
      ok(api.GET("/api/v1/runs/{run}/steps/{step}", { params: { path: { run: id, step: key as string } } })),
  });
}

export function useLogs(id: string, key: string, attempt: number, live: boolean) {
  return useQuery({
    queryKey: keys.runs.logs(id, key, attempt),
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
    queryKey: keys.runs.artifacts(id, step ?? ""),
    queryFn: () =>
      ok(api.GET("/api/v1/runs/{run}/artifacts", { params: { path: { run: id }, query: { step } } })),
  });
}

export function useRunDetail(id: string | null) {
  return useQuery({
    queryKey: keys.runs.detail(id ?? ""),
    enabled: Boolean(id),
    queryFn: () => ok(api.GET("/api/v1/runs/{run}", { params: { path: { run: id as string } } })),
  });
}

export function useRunCosts(id: string) {
  return useQuery({
    queryKey: keys.runs.costs(id),
    queryFn: () => ok(api.GET("/api/v1/runs/{run}/costs", { params: { path: { run: id } } })),
  });
}

/** A run's recorded events, a page at a time, in order. */
export function useRunEvents(id: string) {
  return useInfiniteQuery({
    queryKey: keys.runs.events(id),
    initialPageParam: 0,
    queryFn: ({ pageParam }) =>
      ok(
        api.GET("/api/v1/runs/{run}/events", {
          params: { path: { run: id }, query: { after: pageParam, limit: 200 } },
        }),
      ),
    getNextPageParam: (page) => page.next_after ?? undefined,
  });
}

export function useConversation(id: string, step: string) {
  return useQuery({
    queryKey: keys.runs.conversation(id, step),
    queryFn: () =>
      ok(api.GET("/api/v1/runs/{run}/steps/{step}/conversation", { params: { path: { run: id, step } } })),
  });
}

/** The open task a step waits on, whoever may answer it (the step read does not always carry it). */
export function useStepTask(id: string, step: string, at: { attempt: number; status: string } | undefined) {
  return useQuery({
    queryKey: keys.runs.stepTask(id, step, at?.attempt, at?.status),
    enabled: Boolean(at),
    queryFn: () =>
      ok(
        api.GET("/api/v1/tasks", {
          params: { query: { run: id, step, status: "open", assigned: "any", limit: 1 } },
        }),
      ),
  });
}

/** Start a run of `pipeline` (a version, or the run a new one extends from a node on). */
export function startRun(
  pipeline: string,
  body: {
    input: { [key: string]: unknown };
    version?: number | null;
    extend?: string;
    start_at?: string | null;
  },
) {
  return ok(
    api.POST("/api/v1/pipelines/{name}/runs", {
      params: { path: { name: pipeline } },
      body: { ...body, input: body.input as Record<string, never> },
    }),
  );
}

/** The same pipeline version again with the same input. */
export function runAgain(run: Pick<RunDetail, "pipeline" | "input" | "version">) {
  return startRun(run.pipeline, { input: run.input as { [key: string]: unknown }, version: run.version });
}

export function controlRun(id: string, what: "pause" | "resume" | "cancel") {
  const path = { params: { path: { run: id } } };
  switch (what) {
    case "pause":
      return ok(api.POST("/api/v1/runs/{run}/pause", path));
    case "resume":
      return ok(api.POST("/api/v1/runs/{run}/resume", path));
    case "cancel":
      return ok(api.POST("/api/v1/runs/{run}/cancel", { ...path, body: { reason: "cancelled in the UI" } }));
  }
}

export function rollbackRun(id: string, node: string, reason: string | null) {
  return ok(
    api.POST("/api/v1/runs/{run}/rollback", { params: { path: { run: id } }, body: { node, reason } }),
  );
}

export function retryStep(id: string, step: string) {
  return ok(api.POST("/api/v1/runs/{run}/steps/{step}/retry", { params: { path: { run: id, step } } }));
}

const ENDED: ReadonlySet<RunStatus> = new Set(["succeeded", "failed", "cancelled"]);

/** A run another run's step started: its status, read again every second until it has ended. */
export function useLinkedRun(id: string) {
  return useQuery({
    queryKey: keys.runs.linked(id),
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
