// One comparison of two artifacts as the API makes it: JSON changes path by path, or a unified text diff.
import type { components } from "../../api/schema";

export type ArtifactComparison = components["schemas"]["ArtifactComparison"];

export function ComparisonView({ c }: { c: ArtifactComparison }) {
  if (c.json_changes?.length)
    return (
      <table className="table compact" aria-label={`JSON changes in ${c.right.name}`}>
        <thead>
          <tr>
            <th scope="col">Path</th>
            <th scope="col">Change</th>
            <th scope="col">Before</th>
            <th scope="col">After</th>
          </tr>
        </thead>
        <tbody>
          {c.json_changes.map((j) => (
            <tr key={j.path}>
              <td>
                <code>{j.path}</code>
              </td>
              <td>{j.op}</td>
              <td className="diff-before">{JSON.stringify(j.left)}</td>
              <td className="diff-after">{JSON.stringify(j.right)}</td>
            </tr>
          ))}
        </tbody>
      </table>
    );
  if (c.diff)
    return (
      <>
        <pre className="unified-diff">
          {c.diff.split("\n").map((line, i) => (
            // biome-ignore lint/suspicious/noArrayIndexKey: lines of a diff
            <span key={i} className={line.startsWith("+") ? "add" : line.startsWith("-") ? "del" : ""}>
              {line}
              {"\n"}
            </span>
          ))}
        </pre>
        {c.truncated && <p className="muted small">The diff covers the first 200 KB of each file only.</p>}
      </>
    );
  if (c.identical) return null;
  return <p className="muted">{c.kind} files: no text diff; preview or download both.</p>;
}
