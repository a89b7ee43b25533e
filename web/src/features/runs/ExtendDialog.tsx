// Extend a run into a new one: steps before the chosen node are taken over, and every step may read the
// earlier run's artifacts.
import { useState } from "react";
import { useNavigate } from "react-router";
import type { RunRead } from "../../api/types";
import { Button, Dialog, ErrorNote, Field } from "../../lib/controls";
import { startRun } from "./queries";

export function ExtendDialog({
  run,
  nodes,
  open,
  onClose,
}: {
  run: RunRead;
  nodes: string[];
  open: boolean;
  onClose: () => void;
}) {
  const [startAt, setStartAt] = useState("");
  const [error, setError] = useState<unknown>(null);
  const navigate = useNavigate();
  const submit = async () => {
    setError(null);
    try {
      const next = await startRun(run.pipeline, {
        input: run.input as { [key: string]: unknown },
        extend: run.ref,
        start_at: startAt || null,
      });
      onClose();
      navigate(`/runs/${next.id}`);
    } catch (e) {
      setError(e);
    }
  };
  return (
    <Dialog title={`Extend ${run.ref} into a new run`} open={open} onClose={onClose}>
      <p className="muted">The new run gets the next number; every step may read {run.ref}'s artifacts.</p>
      <Field
        label="Start at"
        hint="Steps before this node are taken over from the earlier run; empty: run everything again."
      >
        {(p) => (
          <select {...p} value={startAt} onChange={(e) => setStartAt(e.target.value)}>
            <option value="">— run every step</option>
            {nodes.map((n) => (
              <option key={n}>{n}</option>
            ))}
          </select>
        )}
      </Field>
      <ErrorNote error={error} />
      <div className="dialog-actions">
        <Button onClick={onClose}>Cancel</Button>
        <Button variant="primary" onClick={submit}>
          Start the new run
        </Button>
      </div>
    </Dialog>
  );
}
