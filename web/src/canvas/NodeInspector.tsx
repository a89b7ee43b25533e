// The selected node: its id, its kind's configuration form, inputs, credentials, edges out, policies.
// pipeline itself (name, input fields, output) when nothing is selected.
import { useId, useMemo, useState } from "react";
import type { EdgeSpec } from "../api/types";
import { Button } from "../lib/controls";
import { type InspectorProps, TextField } from "./Inspector";
import {
  branchesOf,
  configFields,
  type Draft,
  type DraftNode,
  type ExpressionPlace,
  edgeKey,
  type FieldSpec,
  fieldSpec,
  type Json,
  type KindNeeds,
  NODE_ID,
  type Problem,
  policyFields,
  problemsAt,
} from "./model";
import { glyph } from "./nodes/NodeBody";
import { FieldEditor, type FormContext, SchemaForm } from "./SchemaForm";
import { TaskCode } from "./TaskCode";

type Obj = { [key: string]: Json };

export function NodeInspector({
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
  nodeExtra,
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
      {nodeExtra}
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
      {info?.needs.defined_in_code ? (
        <TaskCode config={node.config as Obj | undefined} />
      ) : (
        <SchemaForm
          fields={configFields(schema, info)}
          value={(node.config ?? {}) as Obj}
          onChange={(config) => set({ config })}
          path="config"
          ctx={ctx}
        />
      )}
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
        needs={info.needs}
        readOnly={readOnly}
        onConnect={onConnect}
        onRemoveEdge={onRemoveEdge}
      />
      <details className="policies" open={nodeProblems.some((p) => !/^(config|inputs|id)/.test(p.field))}>
        <summary>Policies: retry, timeout, errors, for each</summary>
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
  needs,
  readOnly,
  onConnect,
  onRemoveEdge,
}: {
  draft: Draft;
  node: DraftNode;
  needs: KindNeeds;
  readOnly: boolean;
  onConnect: (edge: EdgeSpec) => void;
  onRemoveEdge: (key: string) => void;
}) {
  const id = useId();
  const [branch, setBranch] = useState("");
  const outgoing = draft.edges.filter((e) => e.source === node.id);
  const branches = branchesOf(node, needs);
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
