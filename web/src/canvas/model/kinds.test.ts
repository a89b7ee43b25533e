import { describe, expect, it } from "vitest";
import type { DraftNode } from "./draft";
import { FlowCache } from "./flow";
import {
  branchesOf,
  branchNames,
  type KindNeeds,
  NO_NEEDS,
  needBadges,
  needsOf,
  nodeTypeOf,
  readNeeds,
} from "./kinds";
import { type JsonSchema, nodeKinds } from "./schema";

const BRANCHING: KindNeeds = { ...NO_NEEDS, inline: true, branch_fields: ["branches[].name", "default"] };

// Two kinds as the server's schema gives them: their names are arbitrary, only their needs matter.
const schema: JsonSchema = {
  $defs: {
    ForkNode: {
      properties: { kind: { const: "fork" }, config: { $ref: "#/$defs/ForkConfig" } },
      "x-lockgate-needs": { ...BRANCHING, reads_file: null },
    },
    ForkConfig: { properties: {} },
    AskNode: {
      properties: { kind: { const: "ask" }, config: { $ref: "#/$defs/ForkConfig" } },
      "x-lockgate-needs": { waits_for_person: true, branch_fields: [], uses_models: "yes" },
    },
    OldNode: { properties: { kind: { const: "old" } } },
  },
  properties: {
    nodes: {
      items: {
        oneOf: [{ $ref: "#/$defs/ForkNode" }, { $ref: "#/$defs/AskNode" }, { $ref: "#/$defs/OldNode" }],
      },
    },
  },
};

const fork = (config: Record<string, unknown>, extra: Partial<DraftNode> = {}): DraftNode =>
  ({ id: "f", kind: "fork", config, ...extra }) as DraftNode;

describe("kinds carry their own needs", () => {
  it("reads each kind's needs from the schema; what is missing or malformed is not needed", () => {
    const kinds = nodeKinds(schema);
    expect(needsOf(kinds, "fork")).toEqual(BRANCHING);
    expect(needsOf(kinds, "ask")).toEqual({ ...NO_NEEDS, waits_for_person: true });
    expect(needsOf(kinds, "old")).toEqual(NO_NEEDS);
    expect(needsOf(kinds, "unheard-of")).toEqual(NO_NEEDS);
    expect(
      readNeeds({ "x-lockgate-needs": { reads_file: { field: "file", into: "code" } } }).reads_file,
    ).toEqual({
      field: "file",
      into: "code",
    });
  });

  it("reads branch names from the kind's branch fields, in order and once each", () => {
    const node = fork({ branches: [{ name: "hi" }, { name: "lo" }, { when: "x" }], default: "hi" });
    expect(branchNames(node, BRANCHING)).toEqual(["hi", "lo"]);
    expect(branchNames(fork({ default: "else" }), BRANCHING)).toEqual(["else"]);
    expect(branchNames(node, NO_NEEDS)).toEqual([]);
    expect(branchesOf(fork({ branches: [{ name: "a" }] }, { on_error: "branch" }), BRANCHING)).toEqual([
      "a",
      "error",
    ]);
    expect(branchesOf(fork({}, { on_error: "branch" }), NO_NEEDS)).toEqual(["error"]);
    expect(branchesOf(undefined, BRANCHING)).toEqual([]);
  });

  it("draws a kind that declares branches with branch handles and marks what it waits on", () => {
    expect(nodeTypeOf(BRANCHING)).toBe("branching");
    expect(nodeTypeOf(NO_NEEDS)).toBe("step");
    const flow = new FlowCache(nodeKinds(schema));
    expect(flow.node(fork({}), false, []).type).toBe("branching");
    const ask = flow.node({ id: "a", kind: "ask" } as DraftNode, false, []);
    expect([ask.type, ask.data.needs.waits_for_person]).toEqual(["step", true]);
    expect(needBadges(ask.data.needs).map((b) => b.label)).toEqual(["waits for a person"]);
    expect(needBadges(NO_NEEDS)).toEqual([]);
  });
});
