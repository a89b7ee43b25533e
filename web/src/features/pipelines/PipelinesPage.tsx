import { useQueryClient } from "@tanstack/react-query";
import { useRef, useState } from "react";
import { Link, useNavigate, useSearchParams } from "react-router";
import { Button, Dialog, Empty, ErrorNote, Field, Loading, StatusBadge, useToast } from "../../lib/controls";
import { when } from "../../lib/format";
import { useHotkeys } from "../../lib/hotkeys";
import { PageFoot } from "../../lib/paging";
import { keys } from "../../lib/queryKeys";
import { useSearchText } from "../../lib/searchText";
import { useSession } from "../../lib/session";
import { importDefinition, usePipelineList } from "./queries";

export function PipelinesPage() {
  const [params, setParams] = useSearchParams();
  const q = params.get("q") ?? ""; // in the address: reload and back keep the search
  const pipelines = usePipelineList(q);
  const { can } = useSession();
  const navigate = useNavigate();
  const [importing, setImporting] = useState(false);
  const search = useRef<HTMLInputElement>(null);
  const [text, setText] = useSearchText(q, search);
  useHotkeys({ "/": () => search.current?.focus(), n: () => can("editor") && navigate("/pipelines/new") });
  const items = pipelines.data?.pages.flatMap((p) => p.items) ?? [];
  return (
    <main className="page" aria-labelledby="pipelines-title">
      <header className="page-head">
        <h1 id="pipelines-title">Pipelines</h1>
        <div className="actions">
          <input
            ref={search}
            type="search"
            className="search"
            placeholder="Search pipelines  ( / )"
            aria-label="Search pipelines"
            value={text}
            onChange={(e) => {
              setText(e.target.value);
              setParams(e.target.value ? { q: e.target.value } : {}, { replace: true });
            }}
          />
          {can("editor") && (
            <>
              <Button onClick={() => setImporting(true)}>Import…</Button>
              <Button variant="primary" onClick={() => navigate("/pipelines/new")}>
                New pipeline
              </Button>
            </>
          )}
        </div>
      </header>
      <ErrorNote error={pipelines.error} />
      {pipelines.isPending ? (
        <Loading />
      ) : items.length === 0 ? (
        <Empty title={q ? `No pipeline matches “${q}”.` : "No pipelines yet."}>
          {can("editor") && !q && <p>Create one on the canvas, or import a YAML or JSON definition.</p>}
        </Empty>
      ) : (
        <table className="table">
          <thead>
            <tr>
              <th scope="col">Name</th>
              <th scope="col">Version</th>
              <th scope="col">Last run</th>
              <th scope="col">Next scheduled run</th>
              <th scope="col">Updated</th>
            </tr>
          </thead>
          <tbody>
            {items.map((p) => (
              <tr key={p.name}>
                <td>
                  <Link to={`/pipelines/${p.name}`} className="strong">
                    {p.name}
                  </Link>
                  {p.description && <div className="muted small">{p.description.split("\n")[0]}</div>}
                </td>
                <td>v{p.latest_version}</td>
                <td>
                  {p.last_run_number ? (
                    <Link
                      to={`/runs/${encodeURIComponent(`${p.name}/v${p.last_run_number}`)}`}
                      className="inline"
                    >
                      <StatusBadge status={p.last_run_status} />{" "}
                      <span className="muted">run v{p.last_run_number}</span>
                    </Link>
                  ) : (
                    <StatusBadge status={null} />
                  )}
                </td>
                <td>{p.next_run_at ? when(p.next_run_at) : <span className="muted">not scheduled</span>}</td>
                <td>{when(p.updated_at)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {items.length > 0 && (
        <PageFoot
          shown={items.length}
          total={pipelines.data?.pages[0]?.total}
          noun={["pipeline", "pipelines"]}
          list={pipelines}
        />
      )}
      <ImportDialog open={importing} onClose={() => setImporting(false)} />
    </main>
  );
}

function ImportDialog({ open, onClose }: { open: boolean; onClose: () => void }) {
  const [text, setText] = useState("");
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const navigate = useNavigate();
  const queryClient = useQueryClient();
  const toast = useToast();
  const submit = async () => {
    setBusy(true);
    setError(null);
    try {
      const version = await importDefinition(text);
      await queryClient.invalidateQueries({ queryKey: keys.pipelines.all });
      toast(
        version.created
          ? `Imported ${version.pipeline} v${version.number}`
          : `${version.pipeline} v${version.number} already had this content`,
      );
      onClose();
      navigate(`/pipelines/${version.pipeline}`);
    } catch (e) {
      setError(e);
    } finally {
      setBusy(false);
    }
  };
  return (
    <Dialog title="Import a pipeline" open={open} onClose={onClose} wide>
      <p className="muted">
        A YAML or JSON definition. Importing a pipeline that exists saves a new version of it.
      </p>
      <Field label="Definition file">
        {(props) => (
          <input
            {...props}
            type="file"
            accept=".yaml,.yml,.json,application/json,application/yaml"
            onChange={async (e) => setText((await e.target.files?.[0]?.text()) ?? "")}
          />
        )}
      </Field>
      <Field label="…or paste it here">
        {(props) => (
          <textarea
            {...props}
            className="code"
            rows={14}
            value={text}
            onChange={(e) => setText(e.target.value)}
          />
        )}
      </Field>
      <ErrorNote error={error} />
      <div className="dialog-actions">
        <Button onClick={onClose}>Cancel</Button>
        <Button variant="primary" disabled={!text.trim() || busy} onClick={submit}>
          Import
        </Button>
      </div>
    </Dialog>
  );
}
