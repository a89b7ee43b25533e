// The generic node: any kind, including kinds this UI has never heard of (it reads only the shared fields).
import { Handle, type NodeProps, Position } from "@xyflow/react";
import { memo } from "react";
import type { DraftNode, FlowNode } from "../model";
import { NodeBody } from "./NodeBody";

function StepNodeView({ data, selected }: NodeProps<FlowNode>) {
  const node: DraftNode = data.node;
  return (
    <NodeBody data={data} selected={Boolean(selected)}>
      <Handle type="target" position={Position.Left} />
      <Handle type="source" position={Position.Right} />
      {node.on_error === "branch" && (
        <Handle type="source" id="error" position={Position.Bottom} className="handle-error" />
      )}
    </NodeBody>
  );
}

export const StepNode = memo(StepNodeView);
