import { useInfiniteQuery, useQuery } from "@tanstack/react-query";
import { useMemo } from "react";
import { api, ok } from "../../api/client";
import { type JsonSchema, type KindInfo, nodeKinds } from "../../canvas/model";

export const keys = {
  pipelines: (q: string) => ["pipelines", q] as const,
  pipeline: (name: string) => ["pipeline", name] as const,
  versions: (name: string) => ["versions", name] as const,
  version: (name: string, n: number | "latest") => ["version", name, n] as const,
  schema: ["schema"] as const,
  credentials: ["credentials"] as const,
};

export function usePipelines(q: string) {
  return useQuery({
    queryKey: keys.pipelines(q),
    refetchInterval: 5000, // last run status and next firing move on their own
    queryFn: () => ok(api.GET("/api/v1/pipelines", { params: { query: { q: q || undefined, limit: 500 } } })),
  });
}

/** The pipelines page a page at a time (by name), with the API's count of every match. */
export function usePipelineList(q: string, limit = 100) {
  return useInfiniteQuery({
    queryKey: [...keys.pipelines(q), "pages", limit] as const,
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
    queryKey: keys.pipeline(name),
    queryFn: () => ok(api.GET("/api/v1/pipelines/{name}", { params: { path: { name } } })),
  });
}

export function useVersions(name: string) {
  return useQuery({
    queryKey: keys.versions(name),
    queryFn: () => ok(api.GET("/api/v1/pipelines/{name}/versions", { params: { path: { name } } })),
  });
}

export function useVersion(name: string | undefined, number: number | "latest" | undefined) {
  return useQuery({
    queryKey: keys.version(name ?? "", number ?? "latest"),
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
