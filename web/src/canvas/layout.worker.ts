// Auto-layout off the main thread: dagre on 500 nodes takes most of a second, the page keeps answering.
import { autoLayout, type Draft } from "./model";

self.onmessage = (event: MessageEvent<{ id: number; draft: Draft }>) => {
  const { id, draft } = event.data;
  self.postMessage({ id, draft: autoLayout(draft) });
};
