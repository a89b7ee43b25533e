import type { DefinitionDiff, FieldChange } from "../../canvas/model";

function show(v: unknown): string {
  if (v === undefined) return "—";
  return typeof v === "string" ? v : JSON.stringify(v, null, 1);
}

function Fields({ fields }: { fields: FieldChange[] }) {
  return (
    <table className="table diff-fields">
      <thead>
        <tr>
          <th scope="col">Field</th>
          <th scope="col">Before</th>
          <th scope="col">After</th>
        </tr>
      </thead>
      <tbody>
        {fields.map((f) => (
          <tr key={f.path}>
            <td>
              <code>{f.path || "(value)"}</code>
            </td>
            <td>
              <pre className="diff-before">{show(f.before)}</pre>
            </td>
            <td>
              <pre className="diff-after">{show(f.after)}</pre>
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

export function DiffTable({ diff }: { diff: DefinitionDiff }) {
  const changed = diff.nodes.filter((n) => n.change !== "same");
  return (
    <section aria-label="Changes in detail" className="diff-detail">
      {diff.pipeline.length > 0 && (
        <>
          <h2>Pipeline</h2>
          <Fields fields={diff.pipeline} />
        </>
      )}
      {changed.map((n) => (
        <div key={n.id} className={`diff-node diff-${n.change}`}>
          <h2>
            {n.id} <span className="muted">({n.kind})</span>{" "}
            <span className={`badge badge-diff-${n.change}`}>{n.change}</span>
          </h2>
          {n.fields.length > 0 && <Fields fields={n.fields} />}
        </div>
      ))}
      {diff.edges.some((e) => e.change !== "same") && (
        <>
          <h2>Edges</h2>
          <ul>
            {diff.edges
              .filter((e) => e.change !== "same")
              .map((e) => (
                <li key={e.key} className={`diff-${e.change}`}>
                  {e.change === "added" ? "+" : "−"} {e.edge.source} → {e.edge.target}
                  {e.edge.branch ? ` [${e.edge.branch}]` : ""}
                  {e.edge.when ? ` when ${e.edge.when}` : ""}
                </li>
              ))}
          </ul>
        </>
      )}
    </section>
  );
}
