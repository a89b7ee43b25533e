// One comparison of two artifacts as the API makes it: JSON changes path by path, or a text diff shown unified
// or side by side (a toggle; the choice is remembered).
import { useState } from "react";
import type { components } from "../../api/schema";
import { sideBySide } from "./sideBySide";

export type ArtifactComparison = components["schemas"]["ArtifactComparison"];

/** `sides` names the two columns (two runs); by default they are the attempts of one step. */
export function ComparisonView({ c, sides }: { c: ArtifactComparison; sides?: readonly [string, string] }) {
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
      <TextDiff
        c={c}
        diff={c.diff}
        sides={
          sides ?? [
            `${c.left.name} · attempt ${c.left.attempt}`,
            `${c.right.name} · attempt ${c.right.attempt}`,
          ]
        }
      />
    );
  if (c.identical) return null;
  return <p className="muted">{c.kind} files: no text diff; preview or download both.</p>;
}

type Layout = "unified" | "split";

function lineClass(line: string): string {
  if (line.startsWith("+++") || line.startsWith("---")) return "file"; // the names, not a change
  if (line.startsWith("@@")) return "hunk";
  return line.startsWith("+") ? "add" : line.startsWith("-") ? "del" : "";
}
const LAYOUT_KEY = "lockgate.diff-layout";

function storedLayout(): Layout {
  try {
    return localStorage.getItem(LAYOUT_KEY) === "split" ? "split" : "unified";
  } catch {
    return "unified";
  }
}

function TextDiff({
  c,
  diff,
  sides,
}: {
  c: ArtifactComparison;
  diff: string;
  sides: readonly [string, string];
}) {
  const [layout, setLayout] = useState<Layout>(storedLayout);
  const choose = (l: Layout) => {
    setLayout(l);
    try {
      localStorage.setItem(LAYOUT_KEY, l);
    } catch {
      // private mode: the choice holds for this page only
    }
  };
  return (
    <>
      <fieldset className="segmented diff-layout">
        <legend className="sr-only">Layout of the diff of {c.right.name}</legend>
        {(["unified", "split"] as const).map((l) => (
          <button key={l} type="button" aria-pressed={layout === l} onClick={() => choose(l)}>
            {l === "unified" ? "Unified" : "Side by side"}
          </button>
        ))}
      </fieldset>
      {layout === "unified" ? (
        <pre className="unified-diff">
          {diff.split("\n").map((line, i) => (
            // biome-ignore lint/suspicious/noArrayIndexKey: lines of a diff
            <span key={i} className={lineClass(line)}>
              {line}
              {"\n"}
            </span>
          ))}
        </pre>
      ) : (
        <div className="split-diff-scroll">
          <table className="split-diff" aria-label={`${c.left.name} and ${c.right.name} side by side`}>
            <colgroup>
              <col className="no" />
              <col />
              <col className="no" />
              <col />
            </colgroup>
            <thead>
              <tr>
                <th scope="col" colSpan={2}>
                  {sides[0]}
                </th>
                <th scope="col" colSpan={2}>
                  {sides[1]}
                </th>
              </tr>
            </thead>
            <tbody>
              {sideBySide(diff).map((row, i) =>
                "hunk" in row ? (
                  // biome-ignore lint/suspicious/noArrayIndexKey: rows of a diff
                  <tr key={i} className="hunk">
                    <td colSpan={4}>{row.hunk}</td>
                  </tr>
                ) : (
                  // biome-ignore lint/suspicious/noArrayIndexKey: rows of a diff
                  <tr key={i}>
                    <td className="line-no">{row.left?.n ?? ""}</td>
                    <td className={row.left ? row.left.kind : "blank"}>{row.left?.text ?? ""}</td>
                    <td className="line-no">{row.right?.n ?? ""}</td>
                    <td className={row.right ? row.right.kind : "blank"}>{row.right?.text ?? ""}</td>
                  </tr>
                ),
              )}
            </tbody>
          </table>
        </div>
      )}
      {c.truncated && <p className="muted small">The diff covers the first 200 KB of each file only.</p>}
    </>
  );
}
