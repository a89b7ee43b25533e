// JSON as a tree: objects and arrays fold (the first levels open), values coloured by type.
import type { ReactNode } from "react";

function leaf(value: unknown): ReactNode {
  if (value === null) return <span className="j-null">null</span>;
  if (typeof value === "string") return <span className="j-string">{JSON.stringify(value)}</span>;
  if (typeof value === "number") return <span className="j-number">{String(value)}</span>;
  if (typeof value === "boolean") return <span className="j-bool">{String(value)}</span>;
  return <span>{JSON.stringify(value)}</span>;
}

function Node({ name, value, depth }: { name: ReactNode; value: unknown; depth: number }) {
  if (value === null || typeof value !== "object")
    return (
      <li>
        {name}
        {leaf(value)}
      </li>
    );
  const entries: [string, unknown][] = Array.isArray(value)
    ? value.map((v, i) => [String(i), v])
    : Object.entries(value as Record<string, unknown>);
  const [open, close] = Array.isArray(value) ? ["[", "]"] : ["{", "}"];
  if (entries.length === 0)
    return (
      <li>
        {name}
        {open}
        {close}
      </li>
    );
  return (
    <li>
      <details open={depth < 2}>
        <summary>
          {name}
          {open}
          <span className="muted small">
            {" "}
            {entries.length} {Array.isArray(value) ? "items" : "keys"}
          </span>
        </summary>
        <ul>
          {entries.map(([k, v]) => (
            <Node
              key={k}
              name={
                <span className="j-key">{Array.isArray(value) ? `${k}: ` : `${JSON.stringify(k)}: `}</span>
              }
              value={v}
              depth={depth + 1}
            />
          ))}
        </ul>
        {close}
      </details>
    </li>
  );
}

export function JsonTree({ value, label }: { value: unknown; label: string }) {
  return (
    // biome-ignore lint/a11y/noNoninteractiveTabindex: a scrollable region must be reachable by keyboard
    <section className="json-tree" tabIndex={0} aria-label={label}>
      <ul>
        <Node name={null} value={value} depth={0} />
      </ul>
    </section>
  );
}
