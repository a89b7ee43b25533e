// A run, live: the graph coloured by step status (a for_each node shows its items counted), the steps and
// their attempts on a timeline, the selected step's detail; pause, resume, cancel, retry.
import { useQueryClient } from "@tanstack/react-query";
import { useCallback, useEffect, useMemo, useRef, useState } from "react";
import { Link, useNavigate, useParams } from "react-router";
import type { EventRead, PipelineSpec, StepStatus } from "../../api/types";
import { GraphView } from "../../canvas/GraphView";
import { fromSpec, type NodeData, needsOf } from "../../canvas/model";
import {
  Button,
  ErrorNote,
  JsonView,
  Loading,
  StatusBadge,
  TabPanel,
  Tabs,
  useToast,
} from "../../lib/controls";
import { between, when } from "../../lib/format";
import { applyDeltas, type LiveText } from "../../lib/live";
import { keys } from "../../lib/queryKeys";
import { useSession } from "../../lib/session";
import { useEventStream } from "../../lib/stream";
import { ArtifactList } from "../artifacts/ArtifactList";
import { useKinds, useVersion } from "../pipelines/queries";
import { ChildRunLink } from "./ChildRunLink";
import { money } from "./Conversation";
import { ErrorDetails } from "./ErrorDetails";
import { EventLog } from "./EventLog";
import { ExtendDialog } from "./ExtendDialog";
import { errorParts, failedSteps, outcomeText } from "./outcome";
import { controlRun, runAgain, useArtifacts, useRunCosts, useRunProgress } from "./queries";
import { StepPanel } from "./StepPanel";
import { Timeline } from "./Timeline";

/** Calls `fn` at most once per `ms`, always once more after the last call. */
function useThrottled(fn: () => void, ms: number): () => void {
  const last = useRef(0);
  const timer = useRef<ReturnType<typeof setTimeout> | undefined>(undefined);
  const latest = useRef(fn);
  latest.current = fn;
  useEffect(() => () => clearTimeout(timer.current), []);
  return useCallback(() => {
    const wait = last.current + ms - Date.now();
    if (wait <= 0) {
      last.current = Date.now();
      latest.current();
    } else if (!timer.current) {
      timer.current = setTimeout(() => {
        timer.current = undefined;
        last.current = Date.now();
        latest.current();
      }, wait);
    }
  }, [ms]);
}

export function RunPage() {
  const params = useParams();
  // `/runs/<id>` or `/runs/<pipeline>/vN`, as the API and the CLI take a run
  const id = params.id ?? `${params.pipeline ?? ""}/${params.number ?? ""}`;
  const progress = useRunProgress(id);
  const run = progress.data?.run;
  const version = useVersion(run?.pipeline, run?.version);
  const kinds = useKinds();
  const spec = version.data?.definition as PipelineSpec | undefined;
  const draft = useMemo(() => (spec ? fromSpec(spec) : null), [spec]);
  const queryClient = useQueryClient();
  const [selectedNode, setSelectedNode] = useState<string | null>(null);
  const [stepKey, setStepKey] = useState<string | null>(null);
  const stepNode = stepKey ? draft?.nodes.find((n) => n.id === stepKey.replace(/\[\d+\]$/, "")) : undefined;
  const [nodeFilter, setNodeFilter] = useState("");
  const [statusFilter, setStatusFilter] = useState<StepStatus | "">("");
  const [tab, setTab] = useState("steps");
  const [now, setNow] = useState(Date.now());
  const [lastEvent, setLastEvent] = useState<EventRead | null>(null);
  const [live, setLive] = useState<LiveText>({});
  const { can } = useSession();
  const toast = useToast();
  const navigate = useNavigate();
  const [error, setError] = useState<unknown>(null);
  const open = run ? !["succeeded", "failed", "cancelled"].includes(run.status) : false;
  const artifacts = useArtifacts(run?.id ?? id);
  const [extending, setExtending] = useState(false);
  const costs = useRunCosts(id);

  const refresh = useThrottled(() => {
    void queryClient.invalidateQueries({ queryKey: keys.runs.one(id) });
    if (run && run.id !== id) void queryClient.invalidateQueries({ queryKey: keys.runs.one(run.id) });
  }, 400);
  // the first progress read is the state so far: the stream starts after its newest event (no replay)
  useEventStream(
    run ? `/api/v1/runs/${run.id}/events/ws` : null,
    (events) => {
      setLastEvent(events[events.length - 1] ?? null);
      refresh();
    },
    { after: progress.data?.last_event_id, onDeltas: (deltas) => setLive((l) => applyDeltas(l, deltas)) },
  );
  useEffect(() => {
    if (!open) return;
    const t = setInterval(() => setNow(Date.now()), 1000);
    return () => clearInterval(t);
  }, [open]);
  // the stream says what happened; a run that finished by a transition with no event of its own is caught here
  useEffect(() => {
    if (!open) return;
    const t = setInterval(refresh, 3000);
    return () => clearInterval(t);
  }, [open, refresh]);

  const byNode = useMemo(
    () => new Map((progress.data?.nodes ?? []).map((n) => [n.node_id, n])),
    [progress.data],
  );
  const extra = useCallback(
    (nodeId: string): Partial<NodeData> => {
      const p = byNode.get(nodeId);
      return {
        step: {
          status: p?.status ?? (open ? "pending" : "not run"),
          items: p?.items ?? 0,
          counts: p?.counts ?? {},
          attempts: p?.attempts ?? 0,
        },
      };
    },
    [byNode, open],
  );

  const act = async (what: "pause" | "resume" | "cancel") => {
    setError(null);
    try {
      await controlRun(run?.id ?? id, what);
      toast(`${what === "pause" ? "Paused" : what === "resume" ? "Resumed" : "Cancelled"} ${run?.ref}`);
      refresh();
    } catch (e) {
      setError(e);
    }
  };
  const again = async () => {
    if (!run) return;
    try {
      const next = await runAgain(run);
      navigate(`/runs/${next.id}`);
    } catch (e) {
      setError(e);
    }
  };

  if (progress.error) return <ErrorNote error={progress.error} />;
  if (!run || !progress.data) return <Loading label="Loading the run…" />;
  const nodeIds = draft?.nodes.map((n) => n.id) ?? [];
  const failed = failedSteps(progress.data.nodes);
  const selectNode = (nodeId: string | null) => {
    setSelectedNode(nodeId);
    if (nodeId) {
      setNodeFilter(nodeId);
      setStepKey(nodeId);
    }
  };
  return (
    <main className="page run-page" aria-labelledby="run-title">
      <header className="page-head">
        <div>
          <p className="crumbs">
            <Link to="/runs">Runs</Link> /{" "}
            <Link to={`/pipelines/${run.pipeline}?tab=runs`}>{run.pipeline}</Link> /
          </p>
          <h1 id="run-title">
            {run.pipeline} v{run.number} <StatusBadge status={run.status} />
            {failed > 0 && run.status === "succeeded" && (
              <span className="badge badge-retrying" data-testid="failed-steps">
                {outcomeText(run.status, failed).replace(/^succeeded, /, "")}
              </span>
            )}
          </h1>
          {run.wait_reason && (
            <p className="wait-reason" data-testid="wait-reason">
              {run.wait_reason}
            </p>
          )}
          {progress.data?.parent && (
            <ChildRunLink
              link={progress.data.parent}
              label={`Started by step ${progress.data.parent.step} of`}
            />
          )}
          <p className="muted">
            {run.draft ? (
              <>
                a draft run (of the editor's draft, not a published version) ·{" "}
                <Link to={`/pipelines/${run.pipeline}/edit?run=${run.id}`}>open in the editor</Link>
              </>
            ) : (
              <>pipeline version v{run.version}</>
            )}
            {run.extends && (
              <>
                {" "}
                · extends <Link to={`/runs/${encodeURIComponent(run.extends)}`}>{run.extends}</Link>
                {run.start_at && ` from ${run.start_at}`}
              </>
            )}
            {(costs.data?.totals.requests ?? 0) > 0 && (
              <>
                {" "}
                · model use {money(costs.data?.totals.cost ?? 0)},{" "}
                {(
                  (costs.data?.totals.input_tokens ?? 0) + (costs.data?.totals.output_tokens ?? 0)
                ).toLocaleString()}{" "}
                tokens
                {(costs.data?.totals.estimated ?? 0) > 0 && (
                  <span title="the model server reported no usage for these requests: their tokens were counted by Lockgate">
                    {" "}
                    ({costs.data?.totals.estimated} requests estimated)
                  </span>
                )}
              </>
            )}{" "}
            {run.status === "queued" ? (
              <>
                · queued {when(run.created_at)} for {between(run.created_at, null, now)} ·{" "}
              </>
            ) : (
              <>
                · started {when(run.started_at ?? run.created_at)} · took{" "}
                {between(run.started_at ?? run.created_at, run.finished_at, now)} ·{" "}
              </>
            )}
            {progress.data.steps.toLocaleString()} steps
            {lastEvent && open && <> · last event: {lastEvent.type.replace(/_/g, " ")}</>}
          </p>
        </div>
        <div className="actions">
          {can("operator") && run.status === "running" && <Button onClick={() => act("pause")}>Pause</Button>}
          {can("operator") && run.status === "paused" && (
            <Button onClick={() => act("resume")}>Resume</Button>
          )}
          {can("operator") && open && (
            <Button
              variant="danger"
              onClick={() => {
                // cancelling ends every running step and cannot be undone: ask first
                if (window.confirm(`Cancel ${run.ref}? Its running steps are stopped; the run cannot go on.`))
                  void act("cancel");
              }}
            >
              Cancel
            </Button>
          )}
          {can("operator") && !open && <Button onClick={again}>Run again</Button>}
          {can("operator") && !open && (
            <Button onClick={() => setExtending(true)}>Extend into a new run…</Button>
          )}
        </div>
      </header>
      <ErrorNote error={error} />
      <RunEnding
        status={run.status}
        error={run.error}
        failed={failed}
        failedNodes={progress.data.nodes.filter((n) => (n.counts?.failed ?? 0) > 0).map((n) => n.node_id)}
        onPick={selectNode}
      />
      {/* the graph keeps the page's width when a step's panel opens: narrowed, it would cut its last nodes */}
      {draft ? (
        <GraphView
          draft={draft}
          kinds={kinds}
          extra={extra}
          selected={selectedNode}
          onSelect={selectNode}
          label={`Graph of ${run.ref}, coloured by step status`}
          height={360}
        />
      ) : (
        <Loading />
      )}
      <div className={`run-layout ${stepKey ? "with-panel" : ""}`}>
        <div className="run-main">
          <Tabs
            label="Run"
            active={tab}
            onChange={setTab}
            tabs={[
              { id: "steps", label: "Steps & timeline" },
              { id: "io", label: "Input & output" },
              { id: "artifacts", label: `Artifacts (${artifacts.data?.length ?? "…"})` },
              { id: "events", label: "Event log" },
            ]}
          />
          <TabPanel id={tab}>
            {tab === "steps" && (
              <Timeline
                runId={run.id}
                total={progress.data.steps}
                node={nodeFilter}
                status={statusFilter}
                onNode={setNodeFilter}
                onStatus={setStatusFilter}
                nodes={nodeIds}
                startedAt={run.started_at ?? run.created_at}
                finishedAt={run.finished_at}
                selected={stepKey}
                onSelect={setStepKey}
                now={now}
              />
            )}
            {tab === "io" && (
              <div className="two-col">
                <section>
                  <h2>Input</h2>
                  <JsonView value={run.input} label="input" />
                </section>
                <section>
                  <h2>Output</h2>
                  <JsonView value={run.output} label="output" />
                </section>
              </div>
            )}
            {tab === "artifacts" && <ArtifactList artifacts={artifacts.data} loading={artifacts.isPending} />}
            {tab === "events" && <EventLog runId={run.id} />}
          </TabPanel>
        </div>
        {stepKey && (
          <StepPanel
            key={stepKey}
            runId={run.id}
            stepKey={stepKey}
            live={live[stepKey]}
            node={stepNode}
            needs={needsOf(kinds, stepNode?.kind ?? "")}
            runOpen={open}
            onClose={() => {
              setStepKey(null);
              setSelectedNode(null);
            }}
          />
        )}
      </div>
      {extending && (
        <ExtendDialog run={run} nodes={nodeIds} open={extending} onClose={() => setExtending(false)} />
      )}
    </main>
  );
}

/** How the run ended, in words: cancelled (by whom, why), failed (the error readable), or succeeded with failures. */
function RunEnding({
  status,
  error,
  failed,
  failedNodes,
  onPick,
}: {
  status: string;
  error: unknown;
  failed: number;
  failedNodes: string[];
  onPick: (node: string) => void;
}) {
  if (status === "cancelled") {
    const reason = errorParts(error)?.message;
    return (
      <p className="callout" role="status" data-testid="run-ending">
        <strong>The run was cancelled</strong>
        {reason && reason !== "cancelled" ? `: ${reason}` : "."}
      </p>
    );
  }
  if (status === "succeeded" && failed > 0)
    return (
      <p className="callout" role="status" data-testid="run-ending">
        <strong>The run {outcomeText(status, failed)}</strong>: their nodes let the run go on (on_error). See
        why:{" "}
        {failedNodes.map((n, i) => (
          <span key={n}>
            {i > 0 && ", "}
            <button type="button" className="link-button" onClick={() => onPick(n)}>
              {n}
            </button>
          </span>
        ))}
      </p>
    );
  if (error == null) return null;
  return (
    <div className="error-note" role="status" data-testid="run-ending">
      <strong>The run {status === "failed" ? "failed" : "reported an error"}:</strong>
      <ErrorDetails error={error} label="run's error" />
    </div>
  );
}
