// A condition: one outgoing handle per branch (and the default), so an edge drawn from it is labelled.
import { Handle, type NodeProps, Position } from "@xyflow/react";
import { memo } from "react";
import type { FlowNode } from "../model";
import { NodeBody } from "./NodeBody";

interface Branch {
  name?: string;
}

function ConditionNodeView({ data, selected }: NodeProps<FlowNode>) {
  const node = data.node;
  const branches = ((node.config?.branches as Branch[] | undefined) ?? [])
    .map((b) => b.name)
    .filter(Boolean) as string[];
  const def = typeof node.config?.default === "string" ? [node.config.default] : [];
  const outs = [...new Set([...branches, ...def])];
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

export const ConditionNode = memo(ConditionNodeView);
