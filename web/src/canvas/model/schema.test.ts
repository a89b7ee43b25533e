import { describe, expect, it } from "vitest";
import { configFields, type JsonSchema, nodeKinds, policyFields } from "./schema";

// A trimmed copy of what GET /api/v1/schema/pipeline returns (the contract test keeps the real one honest).
const schema: JsonSchema = {
  $defs: {
    HttpConfig: {
      properties: {
        method: { enum: ["GET", "POST"], default: "GET", type: "string" },
        url: { type: "string", "x-template": true },
        headers: { type: "object", additionalProperties: { type: "string", "x-template": true } },
        request_timeout: { anyOf: [{ type: "string", pattern: "(ms|s|m|h|d)" }, { type: "number" }] },
        body_mode: { $ref: "#/$defs/BodyMode", default: "json" },
        follow: { type: "boolean", title: "Follow Redirects" },
        cpu_time: { type: "number", title: "CPU time" },
        file: { anyOf: [{ type: "string" }, { type: "null" }], "x-lockgate-server-only": true },
      },
      required: ["url"],
    },
    HttpNode: {
      description: "Makes one HTTP request.",
      properties: {
        id: { type: "string" },
        kind: { const: "http", type: "string" },
        config: { $ref: "#/$defs/HttpConfig" },
        timeout: { anyOf: [{ anyOf: [{ type: "string", pattern: "(ms|s|m|h|d)" }] }, { type: "null" }] },
        for_each: { anyOf: [{ type: "string", "x-template": true }, { type: "null" }] },
        retry: { $ref: "#/$defs/Retry" },
      },
    },
    BodyMode: { title: "BodyMode", enum: ["json", "text"], type: "string" },
    Retry: { properties: { max_attempts: { type: "integer", minimum: 1 } } },
    FutureNode: { properties: { kind: { const: "future", type: "string" }, config: { properties: {} } } },
  },
  properties: {
    nodes: { items: { oneOf: [{ $ref: "#/$defs/HttpNode" }, { $ref: "#/$defs/FutureNode" }] } },
  },
};

describe("kinds from the JSON Schema", () => {
  it("lists every kind of the union, a new one included", () => {
    expect(nodeKinds(schema).map((k) => [k.kind, k.title])).toEqual([
      ["http", "Http"],
      ["future", "Future"],
    ]);
  });

  it("types config fields for the form: templates, enums, maps, durations", () => {
    const http = nodeKinds(schema)[0];
    if (!http) throw new Error("no kind");
    const fields = Object.fromEntries(configFields(schema, http).map((f) => [f.name, f]));
    expect(fields.url).toMatchObject({ type: "template", required: true, template: true });
    expect(fields.method).toMatchObject({ type: "enum", options: ["GET", "POST"], default: "GET" });
    expect(fields.headers).toMatchObject({ type: "map", template: true });
    expect(fields.request_timeout?.type).toBe("duration");
  });

  it("labels a field by its own title or its name, never by the title of the type it refers to", () => {
    const http = nodeKinds(schema)[0];
    if (!http) throw new Error("no kind");
    const fields = Object.fromEntries(configFields(schema, http).map((f) => [f.name, f]));
    expect(fields.body_mode).toMatchObject({ type: "enum", label: "Body mode", options: ["json", "text"] });
    expect(fields.follow?.label).toBe("Follow Redirects");
    expect(fields.cpu_time?.label).toBe("CPU time"); // the server's words for people
    expect(fields.request_timeout?.label).toBe("Request timeout");
  });

  it("never offers a field only the server fills (a script's file path)", () => {
    const http = nodeKinds(schema)[0];
    if (!http) throw new Error("no kind");
    expect(configFields(schema, http).map((f) => f.name)).not.toContain("file");
  });

  it("keeps the shared policies apart from basics and config", () => {
    const http = nodeKinds(schema)[0];
    if (!http) throw new Error("no kind");
    const policies = policyFields(schema, http);
    expect(policies.map((f) => [f.name, f.type, f.nullable])).toEqual([
      ["timeout", "duration", true],
      ["for_each", "template", true],
      ["retry", "object", false],
    ]);
  });
});
