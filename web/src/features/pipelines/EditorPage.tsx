import { useQueryClient } from "@tanstack/react-query";
import { useCallback, useEffect, useMemo, useRef, useState } from "react";
import { Link, useBlocker, useLocation, useNavigate, useParams, useSearchParams } from "react-router";
import { ApiError } from "../../api/client";
import type { PipelineSpec } from "../../api/types";
import { Editor } from "../../canvas/Editor";
import { layoutAsync } from "../../canvas/layoutAsync";
import {
  type Draft,
  type DraftNode,
  emptyDraft,
  fromSpec,
  type Json,
  type NodeData,
  needsLayout,
  toSpec,
} from "../../canvas/model";
import { Button, ErrorNote, Loading, StatusBadge, useToast } from "../../lib/controls";
import { useSession } from "../../lib/session";
import { StartRunDialog } from "../runs/StartRunDialog";
import { DraftNodePanel } from "./DraftNodePanel";
import { type DraftRunOptions, type Pins, saveDraft, startDraftRun, useDraft, useDraftRun } from "./drafts";
import {
  publish,
  refreshPipeline,
  useCredentials,
  useDefinitionSchema,
  useLastDraftRun,
  useVersion,
} from "./queries";
import { startingPoint, TemplatePicker } from "./TemplatePicker";

type RunAsk = { draft: Draft; markSaved: () => void; only?: string; startAt?: string };

export function EditorPage() {
  const { name } = useParams();
  const isNew = !name;
  const { can } = useSession();
  const schema = useDefinitionSchema();
  const [params, setParams] = useSearchParams();
  const from = Number(params.get("version")) || null; // an older version to start from: saving restores it
  // the editor opens the saved draft (problems, pins and all) unless asked for a version; else the latest version
  const saved = useDraft(isNew || from ? undefined : name);
  const useDraftCopy = !isNew && !from && saved.data != null;
  const wantVersion = !isNew && (from != null || saved.data === null);
  const version = useVersion(name, wantVersion ? (from ?? "latest") : undefined);
  const credentials = useCredentials(can("editor"));
  const navigate = useNavigate();
  const queryClient = useQueryClient();
  const toast = useToast();
  const [saving, setSaving] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const [dirty, setDirty] = useState(false);
  const [pins, setPins] = useState<Pins>({});
  const [message, setMessage] = useState("");
  const [runId, setRunId] = useState<string | null>(() => params.get("run"));
  const [lastInput, setLastInput] = useState<{ [key: string]: unknown } | null>(null);
  const [asking, setAsking] = useState<RunAsk | null>(null);
  const [start, setStart] = useState<{ key: string; draft: Draft }>({ key: "", draft: emptyDraft("") });
  const [busy, setBusy] = useState(false);
  const run = useDraftRun(runId);
  // the canvas opens on the pipeline's newest draft run, if any
  const lastDraftRun = useLastDraftRun(name, !isNew);
  useEffect(() => {
    const newest = lastDraftRun.data?.items[0];
    if (newest && (runId === null || runId === newest.id)) {
      setRunId(newest.id);
      setLastInput(newest.input as { [key: string]: unknown });
    }
  }, [lastDraftRun.data, runId]);
  useEffect(() => {
    if (saved.data) setPins(saved.data.pins as Pins);
  }, [saved.data]);
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
  const source = useDraftCopy ? saved.data?.definition : version.data?.definition;
  const versionKey = useDraftCopy ? `${name}@draft` : `${name}@${version.data?.number}`;
  const [laid, setLaid] = useState<{ key: string; draft: Draft } | null>(null);
  useEffect(() => {
    if (!source || laid?.key === versionKey) return; // laid out once: a refetch must not reset the canvas
    const key = versionKey;
    const draft = fromSpec(source as PipelineSpec);
    let cancelled = false;
    (needsLayout(draft) ? layoutAsync(draft) : Promise.resolve(draft)).then((d) => {
      if (!cancelled) setLaid({ key, draft: d });
    });
    return () => {
      cancelled = true;
    };
  }, [source, versionKey, laid?.key]);

  const onSave = useCallback(
    async (draft: Draft): Promise<boolean> => {
      setSaving(true);
      setError(null);
      try {
        if (draft.name) await saveDraft(draft, pins); // the draft is what was published: it stays the editor's
        const saved = await publish(draft, message, isNew);
        toast(
          saved.created
            ? `Saved ${saved.pipeline} v${saved.number}`
            : `No change: identical to v${saved.number}`,
        );
        await refreshPipeline(queryClient, saved.pipeline);
        setDirty(false);
        setMessage("");
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
    [isNew, from, navigate, queryClient, toast, message, pins],
  );

  // ---- the builder's loop: save the draft, run it (whole, from a node, one node), pin outputs ----
  const keep = useCallback(async (draft: Draft, markSaved: () => void, nextPins: Pins): Promise<boolean> => {
    if (!draft.name) {
      setError(
        new ApiError(422, "invalid", "Name the pipeline first (click the empty canvas).", [
          { field: "name", message: "a draft is saved under the pipeline's name" },
        ]),
      );
      return false;
    }
    await saveDraft(draft, nextPins);
    markSaved();
    return true;
  }, []);
  // a new pipeline's draft, once saved, is edited at its own address (with the run it started, if any)
  const settle = useCallback(
    (pipeline: string, run?: string) => {
      if (!isNew) return;
      leaving.current = true;
      navigate(`/pipelines/${pipeline}/edit${run ? `?run=${run}` : ""}`, { replace: true });
    },
    [isNew, navigate],
  );
  const act = useCallback(async (work: () => Promise<void>) => {
    setBusy(true);
    setError(null);
    try {
      await work();
    } catch (e) {
      setError(e);
    } finally {
      setBusy(false);
    }
  }, []);
  const startRun = useCallback(
    async (ask: RunAsk, input: { [key: string]: unknown }) => {
      if (!(await keep(ask.draft, ask.markSaved, pins))) return;
      const options: DraftRunOptions = { input, only: ask.only, startAt: ask.startAt };
      const started = await startDraftRun(ask.draft.name, options);
      setRunId(started.id);
      setLastInput(input);
      toast(`Started draft run ${started.ref}`);
      if (isNew) settle(ask.draft.name, started.id);
      else
        setParams(
          (p) => {
            p.set("run", started.id); // the address names the run on the canvas
            return p;
          },
          { replace: true },
        );
    },
    [keep, pins, toast, settle, isNew, setParams],
  );
  const runNode = useCallback(
    (ask: RunAsk) => {
      // a node run again takes the input of the run on the canvas; the whole draft asks for it
      if (lastInput && (ask.only || ask.startAt)) void act(() => startRun(ask, lastInput));
      else setAsking(ask);
    },
    [act, lastInput, startRun],
  );
  const pin = useCallback(
    (draft: Draft, markSaved: () => void, node: string, value: Json | undefined) => {
      const next = { ...pins };
      if (value === undefined) delete next[node];
      else next[node] = value;
      setPins(next);
      void act(async () => {
        if (!(await keep(draft, markSaved, next))) return;
        toast(value === undefined ? `Unpinned ${node}` : `Pinned ${node}'s output`);
        settle(draft.name);
      });
    },
    [act, keep, pins, toast, settle],
  );

  const steps = useMemo(() => new Map((run.data?.steps ?? []).map((st) => [st.key, st])), [run.data]);
  const stepOf = useCallback(
    (id: string): Partial<NodeData> | undefined => {
      const st = steps.get(id);
      if (!st)
        return pins[id] !== undefined
          ? { step: { status: "pinned", items: 0, counts: {}, attempts: 0 } }
          : undefined;
      // a step that took its pin over reads "pinned": it did not run
      const tookPin = pins[id] !== undefined && (st.attempts ?? []).every((at) => at.status === "reused");
      return { step: { status: tookPin ? "pinned" : st.status, items: 0, counts: {}, attempts: st.attempt } };
    },
    [steps, pins],
  );
  const actions = useCallback(
    (draft: Draft, markSaved: () => void) =>
      can("editor") && (
        <>
          <Button
            onClick={() =>
              void act(async () => {
                if (!(await keep(draft, markSaved, pins))) return;
                toast("Draft saved");
                settle(draft.name);
              })
            }
            disabled={busy}
            title="Save the draft as it is, problems and all (only publishing needs a valid pipeline)"
          >
            Save draft
          </Button>
          <Button
            onClick={() => runNode({ draft, markSaved })}
            disabled={busy}
            title="Save the draft and run it"
          >
            Run draft
          </Button>
          {run.data && (
            <span className="draft-run-status" role="status">
              <Link to={`/runs/${run.data.id}`}>{run.data.ref}</Link> <StatusBadge status={run.data.status} />
            </span>
          )}
          <input
            className="version-message"
            aria-label="Version message"
            placeholder="What changed (kept with the version)"
            value={message}
            maxLength={2000}
            onChange={(e) => setMessage(e.target.value)}
          />
        </>
      ),
    [act, busy, can, keep, message, pins, run.data, runNode, toast, settle],
  );
  const nodePanel = useCallback(
    (node: DraftNode, draft: Draft, markSaved: () => void) =>
      node.id ? (
        <DraftNodePanel
          key={node.id}
          nodeId={node.id}
          run={run.data}
          pin={pins[node.id]}
          readOnly={!can("editor")}
          busy={busy}
          onRun={(mode) =>
            runNode(
              mode === "only" ? { draft, markSaved, only: node.id } : { draft, markSaved, startAt: node.id },
            )
          }
          onPin={(value) => pin(draft, markSaved, node.id as string, value)}
        />
      ) : null,
    [busy, can, pin, pins, run.data, runNode],
  );

  if (schema.error || version.error || saved.error)
    return <ErrorNote error={schema.error ?? version.error ?? saved.error} />;
  if (!schema.data || (!isNew && !source)) return <Loading label="Loading the editor…" />;
  if (!isNew && laid?.key !== versionKey) return <Loading label="Laying the graph out…" />;
  const initial = isNew ? start.draft : (laid?.draft ?? emptyDraft(""));
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
                {useDraftCopy ? " · editing the draft" : ` · editing v${version.data?.number}`}
                {from ? " (an older version: changes save as a new version)" : ""}
              </span>
            </>
          )}
        </h1>
        {isNew && can("editor") && (
          <TemplatePicker
            value={start.key}
            onPick={(template, key) => {
              if (dirty && !window.confirm("Start over from this? Your changes on the canvas will be lost."))
                return;
              setStart({ key, draft: template ? fromSpec(startingPoint(template)) : emptyDraft("") });
            }}
          />
        )}
      </header>
      <ErrorNote error={error} />
      <Editor
        key={isNew ? `new:${start.key}` : versionKey}
        initial={initial}
        schema={schema.data}
        credentials={credentials.data ? credentials.data.map((c) => c.name) : null}
        readOnly={!can("editor")}
        isNew={isNew}
        saving={saving}
        onSave={onSave}
        onDirty={setDirty}
        stepOf={stepOf}
        actions={actions}
        nodePanel={nodePanel}
      />
      {asking && (
        <StartRunDialog
          open
          onClose={() => setAsking(null)}
          pipeline={asking.draft.name || "the draft"}
          spec={toSpec(asking.draft) as unknown as PipelineSpec}
          title={
            asking.only
              ? `Run ${asking.only} alone`
              : asking.startAt
                ? `Re-run from ${asking.startAt}`
                : `Run the draft of ${asking.draft.name || "this pipeline"}`
          }
          onStart={(input) => startRun(asking, input)}
        />
      )}
      {isNew && (
        <p className="muted small">Name the pipeline in the inspector (click the empty canvas), then save.</p>
      )}
      {fromSpec(toSpec(initial)).nodes.length === 0 && !isNew && (
        <p className="muted">This version has no nodes.</p>
      )}
    </main>
  );
}
