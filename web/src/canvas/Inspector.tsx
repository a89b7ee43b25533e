// The panel beside the canvas: the selected node's form (from its kind's schema), the selected edge, or the
// pipeline itself (name, input fields, output) when nothing is selected.
import { type ReactNode, useId } from "react";
import type { EdgeSpec } from "../api/types";
import { EdgeInspector } from "./EdgeInspector";
import type { Draft, DraftNode, JsonSchema, KindInfo, Problems } from "./model";
import { NodeInspector } from "./NodeInspector";
import { PipelineInspector } from "./PipelineInspector";

export interface InspectorProps {
  draft: Draft;
  schema: JsonSchema;
  kinds: KindInfo[];
  problems: Problems;
  selectedNode: DraftNode | null;
  selectedEdge: EdgeSpec | null;
  credentials: string[] | null; // null: the caller may not list them
  readOnly: boolean;
  isNew: boolean;
  onNode: (id: string, next: DraftNode) => void;
  onEdge: (key: string, next: EdgeSpec) => void;
  onPipeline: (next: Draft) => void;
  onDelete: () => void;
  onConnect: (edge: EdgeSpec) => void;
  onRemoveEdge: (key: string) => void;
  nodeExtra?: ReactNode; // under the selected node's heading: its step in the draft run (EditorPage)
}

export function Inspector(props: InspectorProps) {
  return (
    <aside className="inspector" aria-label="Inspector">
      {props.selectedNode ? (
        <NodeInspector {...props} node={props.selectedNode} />
      ) : props.selectedEdge ? (
        <EdgeInspector {...props} edge={props.selectedEdge} />
      ) : (
        <PipelineInspector {...props} />
      )}
    </aside>
  );
}

export function TextField({
  label,
  value,
  onChange,
  readOnly,
  multiline = false,
}: {
  label: string;
  value: string;
  onChange: (v: string) => void;
  readOnly: boolean;
  multiline?: boolean;
}) {
  const id = useId();
  return (
    <div className="field">
      <label htmlFor={id}>{label}</label>
      {multiline ? (
        <textarea
          id={id}
          rows={2}
          value={value}
          disabled={readOnly}
          onChange={(e) => onChange(e.target.value)}
        />
      ) : (
        <input
          id={id}
          type="text"
          value={value}
          disabled={readOnly}
          onChange={(e) => onChange(e.target.value)}
        />
      )}
    </div>
  );
}
