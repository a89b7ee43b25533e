// The editor's draft on the server (saved with its problems, with pinned outputs) and draft runs.
import { useQuery } from "@tanstack/react-query";
import { ApiError, api, ok } from "../../api/client";
import type { DraftRead, RunDetail } from "../../api/types";
import { type Draft, type Json, toSpec } from "../../canvas/model";
import { keys } from "../../lib/queryKeys";

export type Pins = { [node: string]: Json };

/** The saved draft of a pipeline; null when it has none (the editor then opens the latest version). */
export function useDraft(name: string | undefined) {
  return useQuery({
    queryKey: keys.pipelines.draft(name ?? ""),
    enabled: Boolean(name),
    staleTime: 0, // read afresh when the editor opens, then not again: the editor holds what it saved since
    refetchOnWindowFocus: false,
    refetchOnReconnect: false,
    queryFn: async (): Promise<DraftRead | null> => {
      try {
        return await ok(
          api.GET("/api/v1/pipelines/{name}/draft", { params: { path: { name: name as string } } }),
        );
      } catch (e) {
        if (e instanceof ApiError && e.status === 404) return null;
        throw e;
      }
    },
  });
}

export async function saveDraft(draft: Draft, pins: Pins): Promise<DraftRead> {
  return ok(
    api.PUT("/api/v1/pipelines/{name}/draft", {
      params: { path: { name: draft.name } },
      body: { definition: toSpec(draft) as { [key: string]: never }, pins: pins as { [key: string]: never } },
    }),
  );
}

export interface DraftRunOptions {
  input: { [key: string]: unknown };
  only?: string; // run this node alone
  startAt?: string; // re-run from this node
}

export async function startDraftRun(name: string, o: DraftRunOptions) {
  return ok(
    api.POST("/api/v1/pipelines/{name}/draft/runs", {
      params: { path: { name } },
      body: {
        input: o.input as { [key: string]: never },
        only: o.only ?? null,
        start_at: o.startAt ?? null,
      },
    }),
  );
}

const OPEN = new Set(["queued", "pending", "running", "paused"]);

/** A draft run, read again every second while it is open: the canvas follows it. */
export function useDraftRun(id: string | null) {
  return useQuery({
    queryKey: keys.runs.detail(id ?? ""), // shared with the run page's detail
    enabled: Boolean(id),
    refetchInterval: (q) => {
      const data = q.state.data as RunDetail | undefined;
      return !data || OPEN.has(data.status) ? 1000 : false;
    },
    queryFn: () => ok(api.GET("/api/v1/runs/{run}", { params: { path: { run: id as string } } })),
  });
}

export function isOpen(run: Pick<RunDetail, "status"> | undefined): boolean {
  return Boolean(run && OPEN.has(run.status));
}
