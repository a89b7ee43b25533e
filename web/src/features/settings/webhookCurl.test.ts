import { describe, expect, it } from "vitest";
import { curlLine } from "./webhookCurl";

const url = "http://127.0.0.1:8080/api/v1/hooks/tok_en-1";

describe("the curl line shown when a webhook is created", () => {
  it("posts to the URL, unsigned", () => {
    expect(curlLine({ url, secret: null })).toBe(
      `curl -X POST '${url}' -H 'Content-Type: application/json' -d '{"input": {}}'`,
    );
  });

  it("signs the time and the body with the secret, the body sent byte for byte", () => {
    const lines = curlLine({ url, secret: "ab12" }).split("\n");
    expect(lines[1]).toBe("t=$(date +%s)");
    expect(lines[2]).toContain(`printf '%s.%s' "$t" "$body" | openssl dgst -sha256 -hmac 'ab12'`);
    expect(lines[4]).toBe('  -H "Lockgate-Signature: t=$t,v1=$sig" --data-binary "$body"');
    expect(lines.join("\n")).not.toContain("X-Lockgate-Signature");
  });
});
