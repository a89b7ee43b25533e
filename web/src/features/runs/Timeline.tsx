// Steps as a virtual list with a Gantt bar per attempt (queued: light, running: solid). Only the windows of
// rows on screen are fetched, so a 10,000-item fan-out scrolls like a 10-step run.
import { useVirtualizer } from "@tanstack/react-virtual";
import { useMemo, useRef } from "react";
import type { StepStatus, StepSummary } from "../../api/types";
import { StatusBadge } from "../../lib/controls";
import { duration, humanSeconds } from "../../lib/format";
import { STEP_STATUSES, useStepWindow, useStepWindows, WINDOW } from "./queries";

const ROW = 30;

function scale(start: number, end: number) {
  const span = Math.max(end - start, 1);
  return (at: string | null | undefined) =>
    at ? Math.min(100, Math.max(0, ((Date.parse(at) - start) / span) * 100)) : null;
}

export function Timeline({
  runId,
  total,
  node,
  status,
  onNode,
  onStatus,
  nodes,
  startedAt,
  finishedAt,
  selected,
  onSelect,
  now,
}: {
  runId: string;
  total: number;
  node: string;
  status: StepStatus | "";
  onNode: (n: string) => void;
  onStatus: (s: StepStatus | "") => void;
  nodes: string[];
  startedAt: string | null | undefined;
  finishedAt: string | null | undefined;
  selected: string | null;
  onSelect: (key: string) => void;
  now: number;
}) {
  const parent = useRef<HTMLElement>(null);
  const head = useStepWindow(runId, node, status, 0);
  const count = head.data?.total ?? total;
  const virtualizer = useVirtualizer({
    count,
    getScrollElement: () => parent.current,
    estimateSize: () => ROW,
    overscan: 10,
  });
  const items = virtualizer.getVirtualItems();
  const first = items[0]?.index ?? 0;
  const last = items[items.length - 1]?.index ?? 0;
  const offsets = useMemo(() => {
    const out: number[] = [];
    for (let o = Math.floor(first / WINDOW) * WINDOW; o <= last; o += WINDOW) out.push(o);
    return out.length ? out : [0];
  }, [first, last]);
  const windows = useStepWindows(runId, node, status, offsets);
  const rows = new Map<number, StepSummary>();
  for (const [i, w] of windows.entries()) {
    const base = offsets[i] ?? 0;
    for (const [j, s] of (w.data?.items ?? []).entries()) rows.set(base + j, s);
  }
  const start = startedAt ? Date.parse(startedAt) : now;
  const end = finishedAt ? Date.parse(finishedAt) : now;
  const x = scale(start, end);
  return (
    <section className="timeline" aria-label="Steps and attempts">
      <div className="filters">
        <label>
          Node{" "}
          <select aria-label="Node filter" value={node} onChange={(e) => onNode(e.target.value)}>
            <option value="">all</option>
            {nodes.map((n) => (
              <option key={n}>{n}</option>
            ))}
          </select>
        </label>
        <label>
          Status{" "}
          <select
            aria-label="Step status filter"
            value={status}
            onChange={(e) => onStatus(e.target.value as StepStatus | "")}
          >
            <option value="">any</option>
            {STEP_STATUSES.map((s) => (
              <option key={s}>{s}</option>
            ))}
          </select>
        </label>
        <span className="muted small">
          {count.toLocaleString()} step{count === 1 ? "" : "s"} · timeline spans{" "}
          {humanSeconds((end - start) / 1000)}
        </span>
      </div>
      <div className="timeline-head" aria-hidden="true">
        <span className="timeline-label">step</span>
        <span className="timeline-axis">
          <span>0s</span>
          <span>{humanSeconds((end - start) / 2000)}</span>
          <span>{humanSeconds((end - start) / 1000)}</span>
        </span>
      </div>
      {/* biome-ignore lint/a11y/noNoninteractiveTabindex: the scrolling list must be reachable by keyboard */}
      <section ref={parent} className="timeline-scroll" tabIndex={0} aria-label="Step list (scroll)">
        <ul className="timeline-rows" style={{ height: virtualizer.getTotalSize(), position: "relative" }}>
          {items.map((item) => {
            const step = rows.get(item.index);
            return (
              <li
                key={item.key}
                className={`timeline-row ${step && step.key === selected ? "selected" : ""}`}
                style={{ transform: `translateY(${item.start}px)`, height: ROW }}
              >
                {step ? (
                  <>
                    <button
                      type="button"
                      className="timeline-label link"
                      onClick={() => onSelect(step.key)}
                      data-step={step.key}
                    >
                      {step.key}
                    </button>
                    <StatusBadge status={step.status} />
                    <span className="timeline-track">
                      {(step.attempts ?? []).map((a) => {
                        const q = x(a.queued_at);
                        const s = x(a.started_at);
                        const f = x(a.finished_at) ?? (a.started_at ? x(new Date(now).toISOString()) : null);
                        return (
                          <span key={a.number}>
                            {q !== null && s !== null && s > q && (
                              <span
                                className="bar bar-queued"
                                style={{ left: `${q}%`, width: `${Math.max(s - q, 0.2)}%` }}
                              />
                            )}
                            {s !== null && f !== null && (
                              <span
                                className={`bar bar-${a.status}`}
                                style={{ left: `${s}%`, width: `${Math.max(f - s, 0.3)}%` }}
                                title={`attempt ${a.number}: ${a.status}, ${duration(a.duration)}`}
                              />
                            )}
                          </span>
                        );
                      })}
                    </span>
                    <span className="timeline-took">{duration(step.duration)}</span>
                  </>
                ) : (
                  <span className="muted small">…</span>
                )}
              </li>
            );
          })}
        </ul>
      </section>
    </section>
  );
}
