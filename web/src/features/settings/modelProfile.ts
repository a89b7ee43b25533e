// What a model profile knows of its server (found by "Test server", or set by hand), in a few words.
import type { components } from "../../api/schema";

export type ModelProfile = components["schemas"]["ModelProfileRead"];

/** What the profile knows of its server, in a few words ("not tested" before the first probe). */
export function serverSummary(m: ModelProfile): string {
  const parts = [
    m.cap_field && `cap: ${m.cap_field}`,
    m.output_mode && `output: ${m.output_mode}`,
    m.max_concurrency && `${m.max_concurrency} at a time`,
    m.context_window && `${m.context_window.toLocaleString()} tokens context`,
    m.stream_usage === false && "usage estimated",
  ].filter(Boolean);
  return parts.length ? parts.join(" · ") : m.probed_at ? "behaves as OpenAI" : "not tested";
}
