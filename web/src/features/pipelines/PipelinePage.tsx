import { useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { Link, useNavigate, useParams, useSearchParams } from "react-router";
import type { PipelineSpec } from "../../api/types";
import { GraphView } from "../../canvas/GraphView";
import { fromSpec } from "../../canvas/model";
import { Button, ErrorNote, Loading, StatusBadge, TabPanel, Tabs } from "../../lib/controls";
import { when } from "../../lib/format";
import { keys } from "../../lib/queryKeys";
import { useSession } from "../../lib/session";
import { RunList } from "../runs/RunList";
import { StartRunDialog } from "../runs/StartRunDialog";
import { TriggersPanel } from "../settings/TriggersPanel";
import { LatestPanel } from "./LatestPanel";
import {
  archivePipeline,
  exportDefinition,
  markTemplate,
  useKinds,
  usePipeline,
  useVersion,
  useVersions,
} from "./queries";
import { VersionsPanel } from "./VersionsPanel";

async function download(name: string, format: "yaml" | "json") {
  const blob = await exportDefinition(name, format);
  const a = document.createElement("a");
  a.href = URL.createObjectURL(blob);
  a.download = `${name}.${format}`;
  a.click();
  URL.revokeObjectURL(a.href);
}

export function PipelinePage() {
  const { name = "" } = useParams();
  const [params, setParams] = useSearchParams();
  const tab = params.get("tab") ?? "overview";
  const pipeline = usePipeline(name);
  const latest = useVersion(name, "latest");
  const versions = useVersions(name);
  const kinds = useKinds();
  const { can } = useSession();
  const navigate = useNavigate();
  const queryClient = useQueryClient();
  const [starting, setStarting] = useState(params.get("run") === "1");
  if (pipeline.error) return <ErrorNote error={pipeline.error} />;
  if (!pipeline.data) return <Loading />;
  const p = pipeline.data;
  const spec = latest.data?.definition as PipelineSpec | undefined;
  return (
    <main className="page" aria-labelledby="pipeline-title">
      <header className="page-head">
        <div>
          <p className="crumbs">
            <Link to="/pipelines">Pipelines</Link> /
          </p>
          <h1 id="pipeline-title">{p.name}</h1>
          <p className="muted">
            v{p.latest_version} · updated {when(p.updated_at)} · last run{" "}
            {p.last_run_number ? (
              <Link to={`/runs/${encodeURIComponent(`${p.name}/v${p.last_run_number}`)}`}>
                v{p.last_run_number} <StatusBadge status={p.last_run_status} />
              </Link>
            ) : (
              "none yet"
            )}
            {p.latest_run != null && p.latest_run !== p.last_run_number && (
              <>
                {" "}
                · latest points at{" "}
                <Link to={`/runs/${encodeURIComponent(`${p.name}/v${p.latest_run}`)}`}>v{p.latest_run}</Link>
              </>
            )}
            {p.next_run_at && <> · next scheduled run {when(p.next_run_at)}</>}
          </p>
        </div>
        <div className="actions">
          <Button onClick={() => download(p.name, "yaml")}>Export YAML</Button>
          <Button onClick={() => download(p.name, "json")}>Export JSON</Button>
          <Button onClick={() => navigate(`/pipelines/${p.name}/edit`)}>
            {can("editor") ? "Edit" : "Open in editor"}
          </Button>
          {can("editor") && (
            <Button
              aria-pressed={p.template ?? false}
              title="A template is offered by New pipeline as a starting point"
              onClick={async () => {
                await markTemplate(p.name, !p.template);
                await queryClient.invalidateQueries({ queryKey: keys.pipelines.detail(p.name) });
                await queryClient.invalidateQueries({ queryKey: keys.templates });
              }}
            >
              {p.template && <span aria-hidden="true">✓ </span>}
              Use as template
            </Button>
          )}
          {can("editor") && (
            <Button
              variant="danger"
              onClick={async () => {
                if (!window.confirm(`Archive ${p.name}? It leaves the list; its runs and versions are kept.`))
                  return;
                await archivePipeline(p.name);
                await queryClient.invalidateQueries({ queryKey: keys.pipelines.all });
                navigate("/pipelines");
              }}
            >
              Archive
            </Button>
          )}
          {can("operator") && (
            <Button variant="primary" onClick={() => setStarting(true)}>
              Run…
            </Button>
          )}
        </div>
      </header>
      {p.description && <p className="description">{p.description}</p>}
      <Tabs
        label="Pipeline"
        active={tab}
        onChange={(t) => setParams({ tab: t })}
        tabs={[
          { id: "overview", label: "Graph" },
          { id: "runs", label: "Runs" },
          { id: "latest", label: "Latest & rollbacks" },
          { id: "versions", label: `Versions (${versions.data?.length ?? "…"})` },
          { id: "triggers", label: "Schedules & webhooks" },
        ]}
      />
      <TabPanel id={tab}>
        {tab === "overview" &&
          (spec ? (
            <GraphView
              draft={fromSpec(spec)}
              kinds={kinds}
              label={`Graph of ${p.name} v${latest.data?.number}`}
            />
          ) : (
            <Loading />
          ))}
        {tab === "runs" && <RunList pipeline={p.name} />}
        {tab === "latest" && <LatestPanel name={p.name} latest={p.latest_run} />}
        {tab === "versions" && <VersionsPanel name={p.name} />}
        {tab === "triggers" && <TriggersPanel pipeline={p.name} spec={spec} />}
      </TabPanel>
      {spec && (
        <StartRunDialog
          open={starting}
          onClose={() => setStarting(false)}
          pipeline={p.name}
          spec={spec}
          version={latest.data?.number}
        />
      )}
    </main>
  );
}
