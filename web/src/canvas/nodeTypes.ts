// Node components by React Flow type, at module scope (a literal inside a component remounts every node). The type
// comes from the kind's needs (model/kinds.ts nodeTypeOf), not its name: any kind that declares branches gets
// branch handles.
import type { NodeTypes } from "@xyflow/react";
import { BranchingNode } from "./nodes/BranchingNode";
import { StepNode } from "./nodes/StepNode";

export const nodeTypes = { step: StepNode, branching: BranchingNode } satisfies NodeTypes;
