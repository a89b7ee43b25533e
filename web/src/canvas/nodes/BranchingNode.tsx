// A node whose kind declares branches (its `branch_fields`): one outgoing handle per branch, so an edge drawn from
// it is labelled.
import { Handle, type NodeProps, Position } from "@xyflow/react";
import { memo } from "react";
import { branchNames, type FlowNode } from "../model";
import { NodeBody } from "./NodeBody";

function BranchingNodeView({ data, selected }: NodeProps<FlowNode>) {
  const node = data.node;
  const outs = branchNames(node, data.needs);
  return (
    <NodeBody data={data} selected={Boolean(selected)} tall={outs.length > 2}>
      <Handle type="target" position={Position.Left} />
      {outs.length === 0 && <Handle type="source" position={Position.Right} />}
      {outs.map((name, i) => (
        <Handle
          key={name}
          id={name}
          type="source"
          position={Position.Right}
          style={{ top: `${((i + 1) * 100) / (outs.length + 1)}%` }}
          className="handle-branch"
        >
          <span className="handle-label">{name}</span>
        </Handle>
      ))}
      {node.on_error === "branch" && (
        <Handle type="source" id="error" position={Position.Bottom} className="handle-error" />
      )}
    </NodeBody>
  );
}

export const BranchingNode = memo(BranchingNodeView);
