// Lay a draft out in a worker (in place when workers are missing, e.g. under test).
import { autoLayout, type Draft } from "./model";

let worker: Worker | null = null;
let next = 0;
const waiting = new Map<number, (draft: Draft) => void>();

function getWorker(): Worker | null {
  if (worker || typeof Worker === "undefined") return worker;
  try {
    worker = new Worker(new URL("./layout.worker.ts", import.meta.url), { type: "module" });
    worker.onmessage = (event: MessageEvent<{ id: number; draft: Draft }>) => {
      waiting.get(event.data.id)?.(event.data.draft);
      waiting.delete(event.data.id);
    };
  } catch {
    worker = null;
  }
  return worker;
}

export function layoutAsync(draft: Draft): Promise<Draft> {
  const w = getWorker();
  if (!w) return Promise.resolve(autoLayout(draft));
  const id = ++next;
  return new Promise((resolve) => {
    waiting.set(id, resolve);
    w.postMessage({ id, draft });
  });
}
