import { useQueryClient } from "@tanstack/react-query";
import { useCallback, useEffect, useRef, useState } from "react";
import { Link, useBlocker, useLocation, useNavigate, useParams, useSearchParams } from "react-router";
import { ApiError, api } from "../../api/client";
import type { PipelineSpec } from "../../api/types";
import { Editor } from "../../canvas/Editor";
import { layoutAsync } from "../../canvas/layoutAsync";
import { type Draft, emptyDraft, fromSpec, needsLayout, toSpec } from "../../canvas/model";
import { ErrorNote, Loading, useToast } from "../../lib/controls";
import { useSession } from "../../lib/session";
import { useCredentials, useDefinitionSchema, useVersion } from "./queries";

export function EditorPage() {
  const { name } = useParams();
  const isNew = !name;
  const { can } = useSession();
  const schema = useDefinitionSchema();
  const [params] = useSearchParams();
  const from = Number(params.get("version")) || null; // an older version to start from: saving restores it
  const version = useVersion(name, isNew ? undefined : (from ?? "latest"));
  const credentials = useCredentials(can("editor"));
  const navigate = useNavigate();
  const queryClient = useQueryClient();
  const toast = useToast();
  const [saving, setSaving] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const [dirty, setDirty] = useState(false);
  const leaving = useRef(false); // a just-saved new pipeline moves to its own URL: nothing to lose
  const location = useLocation();
  useEffect(() => {
    if (location.key) leaving.current = false; // arrived: unsaved changes are guarded again
  }, [location.key]);
  const blocker = useBlocker(
    ({ currentLocation, nextLocation }) =>
      dirty && !leaving.current && currentLocation.pathname !== nextLocation.pathname,
  );
  useEffect(() => {
    if (blocker.state === "blocked") {
      if (window.confirm("Leave the editor? Unsaved changes will be lost.")) blocker.proceed();
      else blocker.reset();
    }
  }, [blocker]);
  useEffect(() => {
    if (!dirty) return;
    const warn = (e: BeforeUnloadEvent) => e.preventDefault();
    window.addEventListener("beforeunload", warn);
    return () => window.removeEventListener("beforeunload", warn);
  }, [dirty]);

  // a definition without positions (written by hand or by the API) is laid out in a worker before it opens
  const versionKey = `${name}@${version.data?.number}`;
  const [laid, setLaid] = useState<{ key: string; draft: Draft } | null>(null);
  useEffect(() => {
    if (!version.data) return;
    const key = `${name}@${version.data.number}`;
    const draft = fromSpec(version.data.definition as PipelineSpec);
    let cancelled = false;
    (needsLayout(draft) ? layoutAsync(draft) : Promise.resolve(draft)).then((d) => {
      if (!cancelled) setLaid({ key, draft: d });
    });
    return () => {
      cancelled = true;
    };
  }, [name, version.data]);

  const onSave = useCallback(
    async (draft: Draft): Promise<boolean> => {
      setSaving(true);
      setError(null);
      try {
        const body = toSpec(draft) as unknown as PipelineSpec;
        const result = isNew
          ? await api.POST("/api/v1/pipelines", { body })
          : await api.PUT("/api/v1/pipelines/{name}", { params: { path: { name: draft.name } }, body });
        if (!result.response.ok || !result.data) {
          const e = result.error as { code?: string; detail?: string; errors?: [] } | undefined;
          throw new ApiError(
            result.response.status,
            e?.code ?? "error",
            e?.detail ?? "save failed",
            e?.errors ?? [],
          );
        }
        const saved = result.data;
        toast(
          saved.created
            ? `Saved ${saved.pipeline} v${saved.number}`
            : `No change: identical to v${saved.number}`,
        );
        await queryClient.invalidateQueries({ queryKey: ["pipelines"] });
        await queryClient.invalidateQueries({ queryKey: ["versions", saved.pipeline] });
        await queryClient.invalidateQueries({ queryKey: ["version", saved.pipeline] });
        await queryClient.invalidateQueries({ queryKey: ["pipeline", saved.pipeline] });
        setDirty(false);
        if (isNew || from) {
          leaving.current = true;
          navigate(`/pipelines/${saved.pipeline}/edit`, { replace: true });
        }
        return true;
      } catch (e) {
        setError(e);
        return false;
      } finally {
        setSaving(false);
      }
    },
    [isNew, from, navigate, queryClient, toast],
  );

  if (schema.error || version.error) return <ErrorNote error={schema.error ?? version.error} />;
  if (!schema.data || (!isNew && !version.data)) return <Loading label="Loading the editor…" />;
  if (!isNew && laid?.key !== versionKey) return <Loading label="Laying the graph out…" />;
  const initial = isNew ? emptyDraft("") : (laid?.draft ?? emptyDraft(""));
  return (
    <main className="page page-full" aria-label={isNew ? "New pipeline" : `Edit ${name}`}>
      <header className="page-head compact">
        <h1>
          {isNew ? (
            "New pipeline"
          ) : (
            <>
              <Link to={`/pipelines/${name}`}>{name}</Link>{" "}
              <span className="muted">
                · editing v{version.data?.number}
                {from ? " (an older version: changes save as a new version)" : ""}
              </span>
            </>
          )}
        </h1>
      </header>
      <ErrorNote error={error} />
      <Editor
        key={isNew ? "new" : `${name}@${version.data?.number}`}
        initial={initial}
        schema={schema.data}
        credentials={credentials.data ? credentials.data.map((c) => c.name) : null}
        readOnly={!can("editor")}
        isNew={isNew}
        saving={saving}
        onSave={onSave}
        onDirty={setDirty}
      />
      {isNew && (
        <p className="muted small">Name the pipeline in the inspector (click the empty canvas), then save.</p>
      )}
      {fromSpec(toSpec(initial)).nodes.length === 0 && !isNew && (
        <p className="muted">This version has no nodes.</p>
      )}
    </main>
  );
}
