import { usePipelines } from "../pipelines/queries";
import { RunList } from "./RunList";

export function RunsPage() {
  const pipelines = usePipelines("");
  return (
    <main className="page" aria-labelledby="runs-title">
      <header className="page-head">
        <h1 id="runs-title">Runs</h1>
      </header>
      <RunList pipelines={pipelines.data?.items.map((p) => p.name) ?? []} />
    </main>
  );
}
