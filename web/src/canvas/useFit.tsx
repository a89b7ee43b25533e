// Fits the graph to its box (model/viewport.ts: whole when readable, else the readable zoom from the start),
// once the nodes are measured and again whenever the box changes size (a side panel opened, the window narrowed).
import { ControlButton, type ReactFlowState, useReactFlow, useStore } from "@xyflow/react";
import { type RefObject, useCallback, useEffect, useRef } from "react";
import { fitViewport } from "./model";

export function useFit(box: RefObject<HTMLElement | null>, { initial = true, big = false } = {}) {
  const flow = useReactFlow();
  // a big graph renders only what is on screen, so it is never wholly measured: fit by the sizes known
  const measured = useStore(big ? always : allMeasured);
  const fitGraph = useCallback(
    (duration = 0) => {
      const el = box.current;
      const nodes = flow.getNodes();
      if (!el || nodes.length === 0) return;
      const view = fitViewport(flow.getNodesBounds(nodes), {
        width: el.clientWidth,
        height: el.clientHeight,
      });
      void flow.setViewport(view, { duration });
    },
    [box, flow],
  );
  // once: later changes (a node added, a status polled) keep the person's pan and zoom
  const fitted = useRef(!initial);
  useEffect(() => {
    if (measured && !fitted.current) {
      fitted.current = true;
      fitGraph();
    }
  }, [measured, fitGraph]);
  useEffect(() => {
    const el = box.current;
    if (!el) return;
    let last = "";
    let frame = 0;
    const observer = new ResizeObserver(() => {
      const size = `${el.clientWidth}x${el.clientHeight}`;
      const first = last === "";
      if (size === last) return;
      last = size;
      if (first || !fitted.current) return; // the first report is the size the first fit uses
      cancelAnimationFrame(frame);
      frame = requestAnimationFrame(() => fitGraph());
    });
    observer.observe(el);
    return () => {
      observer.disconnect();
      cancelAnimationFrame(frame);
    };
  }, [box, fitGraph]);
  return fitGraph;
}

const always = () => true;
// React Flow's own useNodesInitialized reads sizes from the nodes handed in, which a read-only graph never gets back
function allMeasured(s: ReactFlowState): boolean {
  if (s.nodeLookup.size === 0) return false;
  for (const node of s.nodeLookup.values()) if (!node.measured.width) return false;
  return true;
}

/** The controls' fit button, fitting by the same rule (React Flow's own would shrink past readable). */
export function FitButton({ onFit }: { onFit: () => void }) {
  return (
    <ControlButton onClick={onFit} title="Fit to the canvas (F)" aria-label="Fit to the canvas">
      <svg viewBox="0 0 32 30" aria-hidden="true">
        <path d="M3.692 4.63c0-.53.4-.938.939-.938h5.215V0H4.708C2.13 0 0 2.054 0 4.63v5.216h3.692V4.631zM27.354 0h-5.2v3.692h5.17c.53 0 .984.4.984.939v5.215H32V4.631A4.624 4.624 0 0027.354 0zm.954 24.83c0 .532-.4.94-.939.94h-5.215v3.768h5.215c2.577 0 4.631-2.13 4.631-4.707v-5.139h-3.692v5.139zm-23.677.94c-.531 0-.939-.4-.939-.94v-5.138H0v5.139c0 2.577 2.13 4.707 4.708 4.707h5.138V25.77H4.631z" />
      </svg>
    </ControlButton>
  );
}
