// A run's (or a step's) artifacts: preview in place (JSON, text, CSV as a table, images), download.
import { useState } from "react";
import type { ArtifactPreview, ArtifactRead } from "../../api/types";
import { Button, Empty, ErrorNote, Loading } from "../../lib/controls";
import { bytes } from "../../lib/format";
import { JsonTree } from "./JsonTree";
import { Markdown } from "./Markdown";
import { artifactContent, useArtifactPreview } from "./queries";
import { TextLines } from "./TextLines";
import "./views.css";

export async function downloadArtifact(a: ArtifactRead): Promise<void> {
  const blob = await artifactContent(a);
  const link = document.createElement("a");
  link.href = URL.createObjectURL(blob);
  link.download = a.name.split("/").pop() ?? a.name;
  document.body.appendChild(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(link.href), 1000);
}

function Preview({ artifact }: { artifact: ArtifactRead }) {
  const preview = useArtifactPreview(artifact);
  if (preview.isPending) return <Loading label="Loading preview…" />;
  const data = preview.data;
  if (!data) return <ErrorNote error={preview.error} />;
  if (data.kind === "image") return <img className="artifact-image" src={data.url} alt={artifact.name} />;
  if (data.kind === "none") return <p className="muted">{data.detail}</p>;
  const p = data.preview;
  return (
    <div className="artifact-preview">
      <PreviewBody preview={p} label={`Preview of ${artifact.name}`} />
      {p.truncated && <p className="muted small">Only the first part is shown; download the whole file.</p>}
    </div>
  );
}

function PreviewBody({ preview: p, label }: { preview: ArtifactPreview; label: string }) {
  const [source, setSource] = useState(false);
  switch (p.kind) {
    case "markdown":
      return (
        <>
          <Button variant="ghost" aria-pressed={source} onClick={() => setSource(!source)}>
            {source ? "Show rendered" : "Show source"}
          </Button>
          {source ? (
            <TextLines text={p.content} label={label} />
          ) : (
            <Markdown text={p.content} label={label} />
          )}
        </>
      );
    case "json":
      return <JsonTree value={parsed(p.content)} label={label} />;
    case "csv":
      return <CsvTable rows={p.rows ?? []} label={label} />;
    case "text":
      return <TextLines text={p.content} label={label} />;
    default:
      return assertNever(p.kind);
  }
}

function assertNever(kind: never): never {
  throw new Error(`unknown preview kind ${String(kind)}`);
}

function parsed(content: string): unknown {
  try {
    return JSON.parse(content);
  } catch {
    return content;
  }
}

function CsvTable({ rows, label }: { rows: string[][]; label: string }) {
  const [head = [], ...body] = rows;
  return (
    // biome-ignore lint/a11y/noNoninteractiveTabindex: a scrollable region must be reachable by keyboard
    <section className="table-scroll" tabIndex={0} aria-label={label}>
      <table className="table compact">
        <thead>
          <tr>
            {head.map((cell, j) => (
              // biome-ignore lint/suspicious/noArrayIndexKey: cells of a row
              <th key={j} scope="col">
                {cell}
              </th>
            ))}
          </tr>
        </thead>
        <tbody>
          {body.map((row, i) => (
            // biome-ignore lint/suspicious/noArrayIndexKey: rows of a file
            <tr key={i}>
              {row.map((cell, j) => (
                // biome-ignore lint/suspicious/noArrayIndexKey: cells of a row
                <td key={j}>{cell}</td>
              ))}
            </tr>
          ))}
        </tbody>
      </table>
    </section>
  );
}

export function ArtifactList({
  artifacts,
  loading,
  expanded = false,
}: {
  artifacts: ArtifactRead[] | undefined;
  loading?: boolean;
  /** every preview open from the start (the review page: what is reviewed is shown, not hidden) */
  expanded?: boolean;
}) {
  const [shut, setShut] = useState<Set<string>>(new Set());
  const [opened, setOpened] = useState<Set<string>>(new Set());
  const isOpen = (id: string) => (expanded ? !shut.has(id) : opened.has(id));
  const toggle = (id: string) => {
    const flip = (s: Set<string>) => {
      const next = new Set(s);
      if (next.has(id)) next.delete(id);
      else next.add(id);
      return next;
    };
    if (expanded) setShut(flip);
    else setOpened(flip);
  };
  const [error, setError] = useState<unknown>(null);
  if (loading || !artifacts) return <Loading />;
  if (artifacts.length === 0) return <Empty title="No artifacts." />;
  return (
    <div className="artifacts">
      <ErrorNote error={error} />
      <ul className="artifact-list">
        {artifacts.map((a) => (
          <li key={a.id} className={a.archived ? "archived" : ""}>
            <div className="artifact-row">
              <span className="artifact-name">
                <strong>{a.name}</strong>{" "}
                <span className="muted small">
                  {a.step_key} · attempt {a.attempt} · {a.media_type} · {bytes(a.size)}
                </span>
                {a.archived && <span className="badge">archived</span>}
              </span>
              <span className="actions">
                <Button variant="ghost" aria-expanded={isOpen(a.id)} onClick={() => toggle(a.id)}>
                  {isOpen(a.id) ? "Hide" : "Preview"}
                </Button>
                <Button onClick={() => downloadArtifact(a).catch(setError)} aria-label={`Download ${a.name}`}>
                  Download
                </Button>
              </span>
            </div>
            {isOpen(a.id) && <Preview artifact={a} />}
          </li>
        ))}
      </ul>
    </div>
  );
}
