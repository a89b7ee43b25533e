// The selected edge: its branch and its `when`.
// pipeline itself (name, input fields, output) when nothing is selected.
import { useId } from "react";
import type { EdgeSpec } from "../api/types";
import { Button } from "../lib/controls";
import { ExpressionInput } from "./ExpressionInput";
import type { InspectorProps } from "./Inspector";
import { branchesOf, edgeKey, needsOf, problemsAt } from "./model";

export function EdgeInspector({
  draft,
  edge,
  kinds,
  problems,
  readOnly,
  onEdge,
  onDelete,
}: InspectorProps & { edge: EdgeSpec }) {
  const key = edgeKey(edge);
  const id = useId();
  const source = draft.nodes.find((n) => n.id === edge.source);
  const branches = branchesOf(source, needsOf(kinds, source?.kind ?? ""));
  const edgeProblems = problems.edges.get(key) ?? [];
  const whenProblems = problemsAt(edgeProblems, "when");
  return (
    <section aria-labelledby={`${id}-title`}>
      <h2 id={`${id}-title`}>
        {edge.source} → {edge.target}
      </h2>
      {edgeProblems
        .filter((p) => p.field !== "when")
        .map((p) => (
          <p key={p.message} className="field-error" role="alert">
            {p.message}
          </p>
        ))}
      <div className="field">
        <label htmlFor={`${id}-branch`}>Branch</label>
        <select
          id={`${id}-branch`}
          value={edge.branch ?? ""}
          disabled={readOnly}
          onChange={(e) => onEdge(key, { ...edge, branch: e.target.value || null })}
        >
          <option value="">— always (when the source succeeds)</option>
          {branches.map((b) => (
            <option key={b} value={b}>
              {b}
            </option>
          ))}
        </select>
        <div className="hint">
          {branches.length
            ? "Taken only when the source picks this branch."
            : "The source picks no branches."}
        </div>
      </div>
      <div className={`field ${whenProblems.length ? "field-invalid" : ""}`}>
        <label htmlFor={`${id}-when`}>When</label>
        <ExpressionInput
          id={`${id}-when`}
          value={edge.when ?? ""}
          onChange={(v) => onEdge(key, { ...edge, when: v || null })}
          draft={draft}
          place={{ kind: "edge", source: edge.source }}
          placeholder="{{ nodes.x.output.ok }}"
          invalid={whenProblems.length > 0}
        />
        <div className="hint">The edge is taken only when this holds.</div>
        {whenProblems.map((p) => (
          <div key={p.message} className="field-error" role="alert">
            {p.message}
          </div>
        ))}
      </div>
      {!readOnly && (
        <Button variant="danger" onClick={onDelete}>
          Delete edge
        </Button>
      )}
    </section>
  );
}
