// Below a node's form in the editor: its step in the draft run (status, output, error, log), run it alone or
// from here, and its pinned output (sample data a draft run takes instead of running the node).
import { useId, useState } from "react";
import type { RunDetail } from "../../api/types";
import type { Json } from "../../canvas/model";
import { Button, JsonView, StatusBadge } from "../../lib/controls";
import { duration } from "../../lib/format";
import { useLogs } from "../runs/queries";
import { isOpen } from "./drafts";

type Step = RunDetail["steps"][number];

export interface DraftNodePanelProps {
  nodeId: string;
  run: RunDetail | undefined; // the draft run the canvas shows
  pin: Json | undefined;
  readOnly: boolean;
  busy: boolean;
  onRun: (mode: "only" | "from") => void;
  onPin: (value: Json | undefined) => void; // undefined: unpin
}

function StepLog({ runId, step, live }: { runId: string; step: Step; live: boolean }) {
  const logs = useLogs(runId, step.key, Math.max(step.attempt, 1), live);
  if (!logs.data) return null;
  return (
    <details className="draft-log">
      <summary>Log</summary>
      <pre className="log">{logs.data || "(empty)"}</pre>
    </details>
  );
}

function PinEditor({ initial, onPin }: { initial: Json | undefined; onPin: (v: Json) => void }) {
  const id = useId();
  const [text, setText] = useState(() => (initial === undefined ? "" : JSON.stringify(initial, null, 2)));
  const [error, setError] = useState<string | null>(null);
  const pin = () => {
    try {
      onPin(JSON.parse(text) as Json);
      setError(null);
    } catch {
      setError("not valid JSON");
    }
  };
  return (
    <div className={`field ${error ? "field-invalid" : ""}`}>
      <label htmlFor={id}>Sample output (JSON)</label>
      <textarea
        id={id}
        className="code"
        rows={4}
        value={text}
        aria-invalid={error ? true : undefined}
        aria-describedby={error ? `${id}-error` : undefined}
        onChange={(e) => setText(e.target.value)}
      />
      {error && (
        <div className="field-error" id={`${id}-error`}>
          {error}
        </div>
      )}
      <Button onClick={pin}>Pin sample</Button>
    </div>
  );
}

export function DraftNodePanel({ nodeId, run, pin, readOnly, busy, onRun, onPin }: DraftNodePanelProps) {
  const step = run?.steps.find((s) => s.key === nodeId);
  const items = run?.steps.filter((s) => s.node_id === nodeId && s.item_index != null) ?? [];
  const [editing, setEditing] = useState(false);
  const running = isOpen(run);
  return (
    <section className="draft-node" aria-labelledby={`draft-node-${nodeId}`}>
      <h3 id={`draft-node-${nodeId}`}>Draft run</h3>
      {!readOnly && (
        <div className="actions">
          <Button
            onClick={() => onRun("only")}
            disabled={busy}
            title="Run this node; its upstream outputs come from pins or the last run"
          >
            Run this node
          </Button>
          <Button
            onClick={() => onRun("from")}
            disabled={busy || !run}
            title="Take the steps before this node over from the last run; run it and what follows"
          >
            Re-run from here
          </Button>
        </div>
      )}
      {!run ? (
        <p className="muted small">Not run yet: Run the draft, or run this node alone.</p>
      ) : !step ? (
        <p className="muted small">Not part of {run.ref}.</p>
      ) : (
        <div className="draft-step" data-step={step.key} data-status={step.status}>
          <p className="small">
            <StatusBadge status={step.status} /> in {run.ref}
            {(step.attempts ?? []).some((a) => a.status === "reused")
              ? " · taken over (pinned or from the last run)"
              : ` · ${duration(step.duration)}`}
          </p>
          {step.error != null && (
            <div className="error-note">
              <JsonView value={step.error} label="error" />
            </div>
          )}
          <JsonView value={step.output} label="output" />
          {items.length > 0 && <p className="muted small">{items.length} items</p>}
          {step.attempt > 0 && (
            <StepLog runId={run.id} step={step} live={running && step.status === "running"} />
          )}
        </div>
      )}
      {!readOnly && (
        <div className="draft-pin">
          <h4>Pinned output</h4>
          {pin !== undefined ? (
            <>
              <p className="muted small">
                Draft runs take this instead of running the node; published runs never do.
              </p>
              <JsonView value={pin} label="pinned output" />
              <div className="actions">
                <Button onClick={() => setEditing((e) => !e)}>{editing ? "Close" : "Edit pin"}</Button>
                <Button onClick={() => onPin(undefined)}>Unpin</Button>
              </div>
            </>
          ) : (
            <div className="actions">
              {step?.status === "succeeded" && (
                <Button
                  onClick={() => onPin(step.output as Json)}
                  title="Draft runs take this output instead of running the node"
                >
                  Pin output
                </Button>
              )}
              <Button onClick={() => setEditing((e) => !e)}>{editing ? "Close" : "Pin sample data"}</Button>
            </div>
          )}
          {editing && (
            <PinEditor
              key={JSON.stringify(pin ?? null)}
              initial={pin ?? (step?.output as Json | undefined)}
              onPin={(v) => {
                onPin(v);
                setEditing(false);
              }}
            />
          )}
        </div>
      )}
    </section>
  );
}
