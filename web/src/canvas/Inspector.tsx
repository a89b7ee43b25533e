// The panel beside the canvas: the selected node's form (from its kind's schema), the selected edge, or the
// pipeline itself (name, input fields, output) when nothing is selected.
import { useId, useMemo, useState } from "react";
import type { EdgeSpec, InputField } from "../api/types";
import { Button } from "../lib/controls";
import { ExpressionInput } from "./ExpressionInput";
import {
  configFields,
  type Draft,
  type DraftNode,
  type ExpressionPlace,
  edgeKey,
  type FieldSpec,
  fieldSpec,
  type Json,
  type JsonSchema,
  type KindInfo,
  NODE_ID,
  type Problem,
  type Problems,
  policyFields,
  problemsAt,
} from "./model";
import { glyph } from "./nodes/NodeBody";
import { FieldEditor, type FormContext, SchemaForm } from "./SchemaForm";

type Obj = { [key: string]: Json };

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

function NodeInspector({
  draft,
  schema,
  kinds,
  problems,
  node,
  credentials,
  readOnly,
  onNode,
  onDelete,
  onConnect,
  onRemoveEdge,
}: InspectorProps & { node: DraftNode }) {
  const info = kinds.find((k) => k.kind === node.kind);
  const nodeProblems = problems.nodes.get(node.id) ?? [];
  const [idText, setIdText] = useState(node.id);
  const [shownFor, setShownFor] = useState(node.id);
  if (shownFor !== node.id) {
    setShownFor(node.id);
    setIdText(node.id);
  }
  const ctx: FormContext = {
    draft,
    readOnly,
    problems: nodeProblems,
    place: (path: string): ExpressionPlace => ({ kind: "node", nodeId: node.id, field: path }),
  };
  const set = (patch: Partial<DraftNode>) => onNode(node.id, { ...node, ...patch } as DraftNode);
  const inputsSpec: FieldSpec | null = useMemo(
    () =>
      info?.node.properties?.inputs ? fieldSpec(schema, "inputs", info.node.properties.inputs, false) : null,
    [info, schema],
  );
  const idTaken = idText !== node.id && draft.nodes.some((n) => n.id === idText);
  const idError = !NODE_ID.test(idText)
    ? "lowercase letters, digits, _ and -, starting with a letter"
    : idTaken
      ? `another node is called ${idText}`
      : null;
  const idId = useId();
  if (!info) {
    return (
      <section>
        <h2>{node.id}</h2>
        <p className="field-error">This server has no node kind “{node.kind}”.</p>
      </section>
    );
  }
  const basicProblems = problemsAt(nodeProblems, "id");
  return (
    <section aria-labelledby={`${idId}-title`}>
      <header className="inspector-head">
        <span className="node-glyph" aria-hidden="true">
          {glyph(node.kind)}
        </span>
        <div>
          <h2 id={`${idId}-title`}>{node.id}</h2>
          <p className="muted small">
            {info.title} — {info.description}
          </p>
        </div>
      </header>
      {nodeProblems.length > 0 && (
        <p className="problem-summary" role="status">
          {nodeProblems.length} problem{nodeProblems.length === 1 ? "" : "s"} in this node
        </p>
      )}
      <div className={`field ${idError || basicProblems.length ? "field-invalid" : ""}`}>
        <label htmlFor={idId}>Id</label>
        <input
          id={idId}
          type="text"
          value={idText}
          disabled={readOnly}
          aria-invalid={Boolean(idError) || undefined}
          aria-describedby={`${idId}-hint`}
          onChange={(e) => setIdText(e.target.value)}
          onBlur={() => {
            if (!idError && idText !== node.id) set({ id: idText });
          }}
          onKeyDown={(e) => {
            if (e.key === "Enter" && !idError && idText !== node.id) set({ id: idText });
          }}
        />
        <div className="hint" id={`${idId}-hint`}>
          {idError ?? `Expressions name it as nodes.${node.id}; renaming updates them.`}
        </div>
        {basicProblems.map((p) => (
          <div key={p.message} className="field-error" role="alert">
            {p.message}
          </div>
        ))}
      </div>
      <TextField
        label="Name (for people)"
        value={node.name ?? ""}
        readOnly={readOnly}
        onChange={(v) => set({ name: v || undefined })}
      />
      <h3>Configuration</h3>
      <SchemaForm
        fields={configFields(schema, info)}
        value={(node.config ?? {}) as Obj}
        onChange={(config) => set({ config })}
        path="config"
        ctx={ctx}
      />
      {inputsSpec && (
        <>
          <h3>Inputs</h3>
          <p className="hint">Named values for the step; each may be an expression.</p>
          <FieldEditor
            spec={{ ...inputsSpec, label: "Inputs" }}
            value={(node.inputs ?? {}) as Json}
            onChange={(v) => set({ inputs: (v ?? undefined) as DraftNode["inputs"] })}
            path="inputs"
            ctx={ctx}
          />
        </>
      )}
      <CredentialPicker
        node={node}
        credentials={credentials}
        readOnly={readOnly}
        onChange={(c) => set({ credentials: c.length ? c : undefined })}
        problems={problemsAt(nodeProblems, "credentials")}
      />
      <EdgesOut
        draft={draft}
        node={node}
        readOnly={readOnly}
        onConnect={onConnect}
        onRemoveEdge={onRemoveEdge}
      />
      <details className="policies" open={nodeProblems.some((p) => !/^(config|inputs|id)/.test(p.field))}>
        <summary>Policies: retry, timeout, errors, for_each</summary>
        <SchemaForm
          fields={policyFields(schema, info)}
          value={node as unknown as Obj}
          onChange={(v) => onNode(node.id, { ...(v as unknown as DraftNode), id: node.id, kind: node.kind })}
          path=""
          ctx={ctx}
        />
      </details>
      {!readOnly && (
        <Button variant="danger" onClick={onDelete}>
          Delete node
        </Button>
      )}
    </section>
  );
}

function CredentialPicker({
  node,
  credentials,
  readOnly,
  onChange,
  problems,
}: {
  node: DraftNode;
  credentials: string[] | null;
  readOnly: boolean;
  onChange: (names: string[]) => void;
  problems: Problem[];
}) {
  const chosen = node.credentials ?? [];
  const names = [...new Set([...(credentials ?? []), ...chosen])].sort();
  return (
    <fieldset className="subform">
      <legend>Credentials</legend>
      <p className="hint">
        Granted by name; a script sees LOCKGATE_CREDENTIAL_&lt;NAME&gt;, an http node{" "}
        <code>
          {"$"}
          {"{credential:name}"}
        </code>
        . Values are never shown.
      </p>
      {names.length === 0 && (
        <p className="muted small">No credentials yet (an admin adds them in Settings).</p>
      )}
      {names.map((name) => (
        <label key={name} className="check">
          <input
            type="checkbox"
            checked={chosen.includes(name)}
            disabled={readOnly}
            onChange={(e) =>
              onChange(e.target.checked ? [...chosen, name] : chosen.filter((c) => c !== name))
            }
          />
          {name}
          {credentials && !credentials.includes(name) && (
            <span className="field-error"> (no such credential)</span>
          )}
        </label>
      ))}
      {problems.map((p) => (
        <div key={p.message} className="field-error" role="alert">
          {p.message}
        </div>
      ))}
    </fieldset>
  );
}

/** Edges without a mouse: what a keyboard user (or anyone) needs to wire a node from the inspector. */
function EdgesOut({
  draft,
  node,
  readOnly,
  onConnect,
  onRemoveEdge,
}: {
  draft: Draft;
  node: DraftNode;
  readOnly: boolean;
  onConnect: (edge: EdgeSpec) => void;
  onRemoveEdge: (key: string) => void;
}) {
  const id = useId();
  const [branch, setBranch] = useState("");
  const outgoing = draft.edges.filter((e) => e.source === node.id);
  const branches = branchesOf(node);
  const targets = draft.nodes.filter((n) => n.id !== node.id);
  return (
    <fieldset className="subform">
      <legend>Outgoing edges</legend>
      {outgoing.length === 0 && (
        <p className="muted small">None: drag from the node's right handle, or add one here.</p>
      )}
      <ul className="edge-list">
        {outgoing.map((e) => (
          <li key={edgeKey(e)}>
            → {e.target}
            {e.branch ? ` [${e.branch}]` : ""}
            {e.when ? ` when ${e.when}` : ""}
            {!readOnly && (
              <Button
                variant="ghost"
                aria-label={`Remove the edge to ${e.target}`}
                onClick={() => onRemoveEdge(edgeKey(e))}
              >
                ✕
              </Button>
            )}
          </li>
        ))}
      </ul>
      {!readOnly && targets.length > 0 && (
        <div className="row">
          {branches.length > 0 && (
            <select
              aria-label="Branch of the new edge"
              value={branch}
              onChange={(e) => setBranch(e.target.value)}
            >
              <option value="">no branch</option>
              {branches.map((b) => (
                <option key={b}>{b}</option>
              ))}
            </select>
          )}
          <label htmlFor={`${id}-to`} className="sr-only">
            Connect {node.id} to
          </label>
          <select
            id={`${id}-to`}
            value=""
            onChange={(e) => {
              if (e.target.value)
                onConnect({ source: node.id, target: e.target.value, branch: branch || null });
            }}
          >
            <option value="">Connect to…</option>
            {targets.map((t) => (
              <option key={t.id} value={t.id}>
                {t.id}
              </option>
            ))}
          </select>
        </div>
      )}
    </fieldset>
  );
}

function branchesOf(node: DraftNode | undefined): string[] {
  if (!node) return [];
  const out: string[] = [];
  if (node.kind === "condition") {
    for (const b of (node.config?.branches as { name?: string }[] | undefined) ?? [])
      if (b.name) out.push(b.name);
    if (typeof node.config?.default === "string") out.push(node.config.default);
  }
  if (node.on_error === "branch") out.push("error");
  return [...new Set(out)];
}

function EdgeInspector({
  draft,
  edge,
  problems,
  readOnly,
  onEdge,
  onDelete,
}: InspectorProps & { edge: EdgeSpec }) {
  const key = edgeKey(edge);
  const id = useId();
  const source = draft.nodes.find((n) => n.id === edge.source);
  const branches = branchesOf(source);
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

const INPUT_TYPES = ["string", "number", "integer", "boolean", "object", "array"] as const;

function PipelineInspector({ draft, schema, problems, readOnly, isNew, onPipeline }: InspectorProps) {
  const id = useId();
  const [newField, setNewField] = useState("");
  const inputs = draft.input ?? {};
  const setInput = (name: string, f: Partial<InputField> | undefined) => {
    const next = { ...inputs };
    if (f === undefined) delete next[name];
    else next[name] = f;
    onPipeline({ ...draft, input: next });
  };
  const outputSpec = schema.properties?.output
    ? fieldSpec(schema, "output", schema.properties.output, false)
    : null;
  const ctx: FormContext = {
    draft,
    readOnly,
    problems: problems.pipeline,
    place: () => ({ kind: "output" }),
  };
  const nameProblems = problemsAt(problems.pipeline, "name");
  return (
    <section aria-labelledby={`${id}-title`}>
      <h2 id={`${id}-title`}>Pipeline</h2>
      <p className="muted small">
        Select a node or an edge to edit it. Drag kinds from the palette to add nodes.
      </p>
      {problems.pipeline
        .filter(
          (p) => !p.field.startsWith("name") && !p.field.startsWith("input") && !p.field.startsWith("output"),
        )
        .map((p) => (
          <p key={p.field + p.message} className="field-error" role="alert">
            {p.field}: {p.message}
          </p>
        ))}
      <div className={`field ${nameProblems.length ? "field-invalid" : ""}`}>
        <label htmlFor={`${id}-name`}>Name</label>
        <input
          id={`${id}-name`}
          type="text"
          value={draft.name}
          disabled={readOnly || !isNew}
          aria-describedby={`${id}-name-hint`}
          onChange={(e) => onPipeline({ ...draft, name: e.target.value })}
        />
        <div className="hint" id={`${id}-name-hint`}>
          {isNew ? "A slug; runs are numbered per name." : "Fixed once saved: runs are numbered per name."}
        </div>
        {nameProblems.map((p) => (
          <div key={p.message} className="field-error" role="alert">
            {p.message}
          </div>
        ))}
      </div>
      <TextField
        label="Description"
        multiline
        value={draft.description ?? ""}
        readOnly={readOnly}
        onChange={(v) => onPipeline({ ...draft, description: v || null })}
      />
      <h3>Input fields</h3>
      <p className="hint">What a run takes; expressions read them as input.&lt;field&gt;.</p>
      {Object.entries(inputs).map(([name, f]) => (
        <fieldset key={name} className="subform input-field">
          <legend>{name}</legend>
          <div className="row">
            <label>
              Type{" "}
              <select
                value={f.type ?? "string"}
                disabled={readOnly}
                onChange={(e) => setInput(name, { ...f, type: e.target.value as InputField["type"] })}
              >
                {INPUT_TYPES.map((t) => (
                  <option key={t}>{t}</option>
                ))}
              </select>
            </label>
            <label className="check">
              <input
                type="checkbox"
                checked={Boolean(f.required)}
                disabled={readOnly}
                onChange={(e) => setInput(name, { ...f, required: e.target.checked || undefined })}
              />
              required
            </label>
          </div>
          <TextField
            label="Default (JSON or text)"
            value={
              f.default === undefined || f.default === null
                ? ""
                : typeof f.default === "string"
                  ? f.default
                  : JSON.stringify(f.default)
            }
            readOnly={readOnly}
            onChange={(v) => setInput(name, { ...f, default: parseLoose(v, f.type) })}
          />
          <TextField
            label="Description"
            value={f.description ?? ""}
            readOnly={readOnly}
            onChange={(v) => setInput(name, { ...f, description: v || undefined })}
          />
          {!readOnly && (
            <Button variant="ghost" onClick={() => setInput(name, undefined)}>
              Remove field
            </Button>
          )}
        </fieldset>
      ))}
      {!readOnly && (
        <div className="map-add">
          <input
            type="text"
            aria-label="New input field name"
            placeholder="field name"
            value={newField}
            onChange={(e) => setNewField(e.target.value)}
          />
          <Button
            disabled={!/^[A-Za-z_][A-Za-z0-9_]*$/.test(newField) || newField in inputs}
            onClick={() => {
              setInput(newField, { type: "string" });
              setNewField("");
            }}
          >
            Add field
          </Button>
        </div>
      )}
      {outputSpec && (
        <>
          <h3>Output</h3>
          <FieldEditor
            spec={{
              ...outputSpec,
              label: "Output template",
              description: "Default: the outputs of the sink nodes, by node id.",
            }}
            value={draft.output}
            onChange={(v) => onPipeline({ ...draft, output: v })}
            path="output"
            ctx={ctx}
          />
        </>
      )}
    </section>
  );
}

function parseLoose(text: string, type: string | undefined): Json | undefined {
  if (text === "") return undefined;
  if (type === "string" || type === undefined) return text;
  try {
    return JSON.parse(text) as Json;
  } catch {
    return text;
  }
}

function TextField({
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
