// The run a sub-pipeline step started (or the step that started this run): a link, with its status kept live.
import { Link } from "react-router";
import type { ChildRunRef } from "../../api/types";
import { StatusBadge } from "../../lib/controls";
import { useLinkedRun } from "./queries";

export function ChildRunLink({ link, label }: { link: ChildRunRef; label: string }) {
  const run = useLinkedRun(link.id);
  return (
    <p className="child-run small">
      {label} <Link to={`/runs/${link.id}`}>{link.ref}</Link>{" "}
      <StatusBadge status={run.data?.status ?? link.status} />
    </p>
  );
}
