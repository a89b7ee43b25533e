// Fits the graph to its box (model/viewport.ts: whole when readable, else the readable zoom from the start),
// once the nodes are measured and again whenever the box changes size (a side panel opened, the window narrowed).
// The fit button and F still show the whole graph however small: asked for, an overview is the point.
import { type ReactFlowState, useReactFlow, useStore } from "@xyflow/react";
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
