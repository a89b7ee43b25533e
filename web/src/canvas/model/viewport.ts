// Where the canvas looks: the whole graph when it fits at a readable zoom, else the readable zoom from the
// graph's start (its left and top), panned from there. Pure, so the rule is tested without a browser.

/** Below this zoom a node's id (14px) reads under 9px: the canvas pans instead of shrinking further. */
export const READABLE_ZOOM = 0.65;
export const FIT_PADDING = 24; // screen pixels around the graph

export interface Rect {
  x: number;
  y: number;
  width: number;
  height: number;
}

export interface Viewport {
  x: number;
  y: number;
  zoom: number;
}

export function fitViewport(
  graph: Rect,
  box: { width: number; height: number },
  { minZoom = READABLE_ZOOM, maxZoom = 1, padding = FIT_PADDING } = {},
): Viewport {
  const room = { width: Math.max(1, box.width - 2 * padding), height: Math.max(1, box.height - 2 * padding) };
  const whole = Math.min(room.width / Math.max(1, graph.width), room.height / Math.max(1, graph.height));
  const zoom = Math.min(maxZoom, Math.max(minZoom, whole));
  // per axis: centred where the graph fits, else its start at the padding (where a run begins)
  const place = (start: number, size: number, space: number) =>
    size * zoom <= space ? padding + (space - size * zoom) / 2 - start * zoom : padding - start * zoom;
  return {
    x: place(graph.x, graph.width, room.width),
    y: place(graph.y, graph.height, room.height),
    zoom,
  };
}
