import { describe, expect, it } from "vitest";
import { type ModelProfile, serverSummary } from "./modelProfile";

const base: ModelProfile = {
  name: "local",
  provider: "openai_compatible",
  model_id: "smollm2",
  base_url: "http://127.0.0.1:8000/v1",
  credential: null,
  temperature: null,
  max_tokens: null,
  input_price: 0,
  output_price: 0,
  description: null,
  stream_usage: null,
  cap_field: null,
  output_mode: null,
  max_concurrency: null,
  context_window: null,
  probe: null,
  probed_at: null,
  created_at: "2026-12-07T00:00:00Z",
  updated_at: "2026-12-07T00:00:00Z",
};

describe("serverSummary", () => {
  it("says a profile was never tested", () => {
    expect(serverSummary(base)).toBe("not tested");
  });
  it("names what a local server does differently", () => {
    const llama = {
      ...base,
      stream_usage: false,
      cap_field: "max_tokens",
      output_mode: "native",
      max_concurrency: 1,
      context_window: 2048,
      probed_at: "2026-12-07T00:00:00Z",
    } satisfies ModelProfile;
    expect(serverSummary(llama)).toBe(
      `cap: max_tokens · output: native · 1 at a time · ${(2048).toLocaleString()} tokens context · usage estimated`,
    );
  });
  it("says a tested server that reports nothing unusual behaves as OpenAI", () => {
    expect(serverSummary({ ...base, probed_at: "2026-12-07T00:00:00Z" })).toBe("behaves as OpenAI");
  });
});
