// Artifacts: previews, downloads and comparisons (every artifact read of the UI goes through here).
import { useQuery } from "@tanstack/react-query";
import { api, ok, raw } from "../../api/client";
import type { ArtifactPreview, ArtifactRead } from "../../api/types";
import { keys } from "../../lib/queryKeys";

export type LoadedPreview =
  | { kind: "image"; url: string }
  | { kind: "preview"; preview: ArtifactPreview }
  | { kind: "none"; detail: string };

export function useArtifactPreview(artifact: ArtifactRead) {
  return useQuery({
    queryKey: keys.artifacts.preview(artifact.id),
    staleTime: Number.POSITIVE_INFINITY,
    queryFn: async (): Promise<LoadedPreview> => {
      try {
        const response = await raw(`/api/v1/artifacts/${artifact.id}/preview`);
        if ((response.headers.get("content-type") ?? "").startsWith("image/")) {
          // shown by <img> from a blob: an SVG's scripts never run there
          return { kind: "image", url: URL.createObjectURL(await response.blob()) };
        }
        return { kind: "preview", preview: (await response.json()) as ArtifactPreview };
      } catch (e) {
        return { kind: "none", detail: e instanceof Error ? e.message : String(e) };
      }
    },
  });
}

export async function artifactContent(artifact: ArtifactRead): Promise<Blob> {
  return (await raw(`/api/v1/artifacts/${artifact.id}/content`)).blob();
}

/** Two artifacts compared by the server (of two runs). */
export function useArtifactComparison(left: ArtifactRead, right: ArtifactRead) {
  return useQuery({
    queryKey: keys.artifacts.compare(left.id, right.id),
    staleTime: Number.POSITIVE_INFINITY, // artifacts never change
    queryFn: () =>
      ok(
        api.GET("/api/v1/artifacts/{artifact_id}/compare", {
          params: { path: { artifact_id: left.id }, query: { other: right.id } },
        }),
      ),
  });
}

/** An artifact against the same name at an earlier attempt of its step. */
export function useAttemptComparison(runId: string, artifact: ArtifactRead, previous: number) {
  return useQuery({
    queryKey: keys.artifacts.attempts(runId, artifact.step_key, artifact.name, previous, artifact.attempt),
    staleTime: Number.POSITIVE_INFINITY,
    queryFn: () =>
      ok(
        api.GET("/api/v1/runs/{run}/steps/{step}/compare", {
          params: {
            path: { run: runId, step: artifact.step_key },
            query: { name: artifact.name, attempt: previous, other_attempt: artifact.attempt },
          },
        }),
      ),
  });
}
