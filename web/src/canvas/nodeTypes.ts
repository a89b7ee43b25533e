// Node components by React Flow type, at module scope (a literal inside a component remounts every node).
import type { NodeTypes } from "@xyflow/react";
import { ConditionNode } from "./nodes/ConditionNode";
import { StepNode } from "./nodes/StepNode";

export const nodeTypes = { step: StepNode, condition: ConditionNode } satisfies NodeTypes;

/** Kinds with a component of their own; any other kind is drawn by StepNode. */
export const OWN_COMPONENT: ReadonlySet<string> = new Set(["condition"]);
