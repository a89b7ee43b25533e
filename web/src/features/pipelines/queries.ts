// Pipelines, their versions, templates and the definition schema: every pipeline query and command of the UI.
import { type QueryClient, useInfiniteQuery, useQuery } from "@tanstack/react-query";
import { useMemo } from "react";
import { ApiError, api, ok, raw } from "../../api/client";
import type { PipelineSpec, PipelineVersionRead } from "../../api/types";
import { type Draft, type JsonSchema, type KindInfo, nodeKinds, toSpec } from "../../canvas/model";
import { keys } from "../../lib/queryKeys";

export function usePipelines(q: string) {
  return useQuery({
    queryKey: keys.pipelines.search(q),
    refetchInterval: 5000, // last run status and next firing move on their own
    queryFn: () => ok(api.GET("/api/v1/pipelines", { params: { query: { q: q || undefined, limit: 500 } } })),
  });
}

/** The pipelines page a page at a time (by name), with the API's count of every match. */
export function usePipelineList(q: string, limit = 100) {
  return useInfiniteQuery({
    queryKey: keys.pipelines.pages(q, limit),
    initialPageParam: undefined as string | undefined,
    refetchInterval: 5000,
    queryFn: ({ pageParam }) =>
      ok(
        api.GET("/api/v1/pipelines", { params: { query: { q: q || undefined, limit, cursor: pageParam } } }),
      ),
    getNextPageParam: (last) => last.next_cursor ?? undefined,
  });
}

export function usePipeline(name: string) {
  return useQuery({
    queryKey: keys.pipelines.detail(name),
    queryFn: () => ok(api.GET("/api/v1/pipelines/{name}", { params: { path: { name } } })),
  });
}

export function useVersions(name: string) {
  return useQuery({
    queryKey: keys.pipelines.versions(name),
    queryFn: () => ok(api.GET("/api/v1/pipelines/{name}/versions", { params: { path: { name } } })),
  });
}

export function useVersion(name: string | undefined, number: number | "latest" | undefined) {
  return useQuery({
    queryKey: keys.pipelines.version(name ?? "", number ?? "latest"),
    enabled: Boolean(name) && number !== undefined,
    staleTime: number === "latest" ? 0 : Number.POSITIVE_INFINITY, // a numbered version never changes
    queryFn: async () => {
      const pipeline = name as string;
      if (number === "latest" || number === undefined) {
        const versions = await ok(
          api.GET("/api/v1/pipelines/{name}/versions", { params: { path: { name: pipeline } } }),
        );
        const latest = versions[0];
        if (!latest) throw new Error(`${pipeline} has no versions`);
        return ok(
          api.GET("/api/v1/pipelines/{name}/versions/{number}", {
            params: { path: { name: pipeline, number: latest.number } },
          }),
        );
      }
      return ok(
        api.GET("/api/v1/pipelines/{name}/versions/{number}", {
          params: { path: { name: pipeline, number } },
        }),
      );
    },
  });
}

export function useDefinitionSchema() {
  return useQuery({
    queryKey: keys.schema,
    staleTime: Number.POSITIVE_INFINITY,
    queryFn: async () => (await ok(api.GET("/api/v1/schema/pipeline"))) as unknown as JsonSchema,
  });
}

const NO_KINDS: KindInfo[] = [];

/** The server's node kinds and what each needs (none until the schema has loaded: nodes draw as plain steps). */
export function useKinds(): readonly KindInfo[] {
  const schema = useDefinitionSchema();
  return useMemo(() => (schema.data ? nodeKinds(schema.data) : NO_KINDS), [schema.data]);
}

export function useCredentials(enabled: boolean) {
  return useQuery({
    queryKey: keys.credentials,
    enabled,
    queryFn: () => ok(api.GET("/api/v1/credentials")),
  });
}

export function useTemplates() {
  return useQuery({
    queryKey: keys.templates,
    queryFn: () => ok(api.GET("/api/v1/templates")),
    staleTime: 60_000,
  });
}

export function useRollbacks(name: string) {
  return useQuery({
    queryKey: keys.pipelines.rollbacks(name),
    queryFn: () => ok(api.GET("/api/v1/pipelines/{name}/rollbacks", { params: { path: { name } } })),
  });
}

/** The newest draft run of a pipeline (the editor's canvas opens on it). */
export function useLastDraftRun(name: string | undefined, enabled: boolean) {
  return useQuery({
    queryKey: keys.runs.drafts(name ?? ""),
    enabled,
    queryFn: () =>
      ok(api.GET("/api/v1/runs", { params: { query: { pipeline: name, drafts: true, limit: 1 } } })),
  });
}

/** Publish the draft as a new version (or a new pipeline); the version read back. */
export async function publish(draft: Draft, message: string, isNew: boolean): Promise<PipelineVersionRead> {
  const body = toSpec(draft) as unknown as PipelineSpec;
  const query = { message: message.trim() || null };
  const result = isNew
    ? await api.POST("/api/v1/pipelines", { params: { query }, body })
    : await api.PUT("/api/v1/pipelines/{name}", { params: { path: { name: draft.name }, query }, body });
  if (!result.response.ok || !result.data) {
    const e = result.error as { code?: string; detail?: string; errors?: [] } | undefined;
    throw new ApiError(
      result.response.status,
      e?.code ?? "error",
      e?.detail ?? "save failed",
      e?.errors ?? [],
    );
  }
  return result.data;
}

/** After a version was saved: every list and read of that pipeline. */
export async function refreshPipeline(queryClient: QueryClient, name: string): Promise<void> {
  await queryClient.invalidateQueries({ queryKey: keys.pipelines.all });
  await queryClient.invalidateQueries({ queryKey: keys.pipelines.versions(name) });
  await queryClient.invalidateQueries({ queryKey: keys.pipelines.versionsOf(name) });
  await queryClient.invalidateQueries({ queryKey: keys.pipelines.detail(name) });
}

/** Import a definition as YAML or JSON text. */
export async function importDefinition(text: string): Promise<PipelineVersionRead> {
  const trimmed = text.trim();
  const type = trimmed.startsWith("{") ? "application/json" : "application/yaml";
  const response = await raw("/api/v1/pipelines", {
    method: "POST",
    headers: { "Content-Type": type },
    body: trimmed,
  });
  return (await response.json()) as PipelineVersionRead;
}

export async function exportDefinition(name: string, format: "yaml" | "json"): Promise<Blob> {
  const response = await raw(`/api/v1/pipelines/${encodeURIComponent(name)}/export?format=${format}`);
  return response.blob();
}

export function markTemplate(name: string, template: boolean) {
  return ok(api.PUT("/api/v1/pipelines/{name}/template", { params: { path: { name } }, body: { template } }));
}

export function archivePipeline(name: string) {
  return ok(api.DELETE("/api/v1/pipelines/{name}", { params: { path: { name } } }));
}

/** Point `runs/latest` of a pipeline at an earlier succeeded run. */
export function pointLatest(name: string, run: string, reason: string | null) {
  return ok(
    api.POST("/api/v1/pipelines/{name}/latest", { params: { path: { name } }, body: { run, reason } }),
  );
}
