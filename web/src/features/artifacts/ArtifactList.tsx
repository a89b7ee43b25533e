// A run's (or a step's) artifacts: preview in place (JSON, text, CSV as a table, images), download.
import { useQuery } from "@tanstack/react-query";
import { useState } from "react";
import { raw } from "../../api/client";
import type { ArtifactPreview, ArtifactRead } from "../../api/types";
import { Button, Empty, ErrorNote, Loading } from "../../lib/controls";
import { bytes } from "../../lib/format";

export async function downloadArtifact(a: ArtifactRead): Promise<void> {
  const response = await raw(`/api/v1/artifacts/${a.id}/content`);
  const blob = await response.blob();
  const link = document.createElement("a");
  link.href = URL.createObjectURL(blob);
  link.download = a.name.split("/").pop() ?? a.name;
  document.body.appendChild(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(link.href), 1000);
}

type Loaded =
  | { kind: "image"; url: string }
  | { kind: "preview"; preview: ArtifactPreview }
  | { kind: "none"; detail: string };

function csvRows(text: string): string[][] {
  return text
    .split("\n")
    .filter((l) => l.trim())
    .slice(0, 100)
    .map((l) => l.split(","));
}

function Preview({ artifact }: { artifact: ArtifactRead }) {
  const preview = useQuery({
    queryKey: ["artifact-preview", artifact.id],
    staleTime: Number.POSITIVE_INFINITY,
    queryFn: async (): Promise<Loaded> => {
      try {
        const response = await raw(`/api/v1/artifacts/${artifact.id}/preview`);
        if ((response.headers.get("content-type") ?? "").startsWith("image/")) {
          return { kind: "image", url: URL.createObjectURL(await response.blob()) };
        }
        return { kind: "preview", preview: (await response.json()) as ArtifactPreview };
      } catch (e) {
        return { kind: "none", detail: e instanceof Error ? e.message : String(e) };
      }
    },
  });
  if (preview.isPending) return <Loading label="Loading preview…" />;
  const data = preview.data;
  if (!data) return <ErrorNote error={preview.error} />;
  if (data.kind === "image") return <img className="artifact-image" src={data.url} alt={artifact.name} />;
  if (data.kind === "none") return <p className="muted">{data.detail}</p>;
  const p = data.preview;
  const base = p.media_type.split(";")[0];
  return (
    <div className="artifact-preview">
      {base === "text/csv" ? (
        <div className="table-scroll">
          <table className="table compact">
            <tbody>
              {csvRows(p.content).map((row, i) => (
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
        </div>
      ) : (
        // biome-ignore lint/a11y/noNoninteractiveTabindex: a scrollable region must be reachable by keyboard
        <section className="json" tabIndex={0} aria-label={`Preview of ${artifact.name}`}>
          <pre>{p.content}</pre>
        </section>
      )}
      {p.truncated && <p className="muted small">Only the first part is shown; download the whole file.</p>}
    </div>
  );
}

export function ArtifactList({
  artifacts,
  loading,
}: {
  artifacts: ArtifactRead[] | undefined;
  loading?: boolean;
}) {
  const [open, setOpen] = useState<string | null>(null);
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
                <Button
                  variant="ghost"
                  aria-expanded={open === a.id}
                  onClick={() => setOpen(open === a.id ? null : a.id)}
                >
                  {open === a.id ? "Hide" : "Preview"}
                </Button>
                <Button onClick={() => downloadArtifact(a).catch(setError)} aria-label={`Download ${a.name}`}>
                  Download
                </Button>
              </span>
            </div>
            {open === a.id && <Preview artifact={a} />}
          </li>
        ))}
      </ul>
    </div>
  );
}
