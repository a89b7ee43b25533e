// The generic node: any kind, including kinds this UI has never heard of (it reads only the shared fields).
import { Handle, type NodeProps, Position } from "@xyflow/react";
import { memo } from "react";
import type { DraftNode, FlowNode } from "../model";
import { NodeBody } from "./NodeBody";

function StepNodeView({ data, selected }: NodeProps<FlowNode>) {
  const node: DraftNode = data.node;
  return (
    <NodeBody data={data} selected={Boolean(selected)}>
      <Handle type="target" position={Position.Left} aria-label={`into ${node.id}`} />
      <Handle type="source" position={Position.Right} aria-label={`out of ${node.id}`} />
      {node.on_error === "branch" && (
        <Handle
          type="source"
          id="error"
          position={Position.Bottom}
          className="handle-error"
          aria-label={`error branch of ${node.id}`}
        />
      )}
    </NodeBody>
  );
}

export const StepNode = memo(StepNodeView);
