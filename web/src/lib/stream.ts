// Live events over the server's WebSocket (a browser's EventSource cannot send the API key; the socket
// takes it as ?token=). Reconnects with the last event id, so nothing is missed or repeated.
import { useEffect, useRef } from "react";
import { getApiKey } from "../api/client";
import type { EventRead } from "../api/types";
import { type AgentDelta, isDelta } from "./live";

export function socketUrl(path: string, params: Record<string, string>): string {
  const base = `${location.protocol === "https:" ? "wss" : "ws"}://${location.host}`;
  return `${base}${path}?${new URLSearchParams(params).toString()}`;
}

/** Calls `onEvents` with batches (one per animation frame at most) of events after `after`, and `onDeltas`
 * with the agents' tokens that came meanwhile (live only: they have no id and never move the cursor). */
export function useEventStream(
  path: string | null,
  onEvents: (events: EventRead[]) => void,
  options: { follow?: boolean; after?: number; onDeltas?: (deltas: AgentDelta[]) => void } = {},
): void {
  const handler = useRef(onEvents);
  handler.current = onEvents;
  const deltaHandler = useRef(options.onDeltas);
  deltaHandler.current = options.onDeltas;
  const follow = options.follow ?? true;
  const startAfter = useRef(options.after ?? 0);
  useEffect(() => {
    if (!path) return;
    let socket: WebSocket | null = null;
    let last = startAfter.current;
    let closed = false;
    let retry = 500;
    let pending: EventRead[] = [];
    let deltas: AgentDelta[] = [];
    let frame = 0;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const flush = () => {
      frame = 0;
      const batch = pending;
      const live = deltas;
      pending = [];
      deltas = [];
      if (live.length) deltaHandler.current?.(live);
      if (batch.length) handler.current(batch);
    };
    const open = () => {
      const token = getApiKey();
      if (!token || closed) return;
      const params: Record<string, string> = { token, after: String(last) };
      if (follow) params.follow = "true";
      socket = new WebSocket(socketUrl(path, params));
      socket.onopen = () => {
        retry = 500;
      };
      socket.onmessage = (message) => {
        const data: unknown = JSON.parse(String(message.data));
        if (isDelta(data)) deltas.push(data);
        else {
          const event = data as EventRead;
          last = Math.max(last, event.id);
          pending.push(event);
        }
        if (!frame) frame = requestAnimationFrame(flush);
      };
      socket.onclose = (close) => {
        if (
          closed ||
          close.code === 1000 ||
          close.code === 4401 ||
          close.code === 4403 ||
          close.code === 4404
        )
          return;
        timer = setTimeout(open, retry);
        retry = Math.min(retry * 2, 10_000);
      };
    };
    open();
    return () => {
      closed = true;
      if (timer) clearTimeout(timer);
      if (frame) cancelAnimationFrame(frame);
      socket?.close(1000);
    };
  }, [path, follow]);
}
