// What to run to call a new webhook. A signed one computes Lockgate-Signature with openssl over "<t>.<body>":
// the time is inside the signed material, so a copy of the request is refused once its window has passed.
import type { WebhookCreated } from "../../api/types";

export function curlLine({ url, secret }: Pick<WebhookCreated, "url" | "secret">): string {
  if (!secret) {
    return `curl -X POST '${url}' -H 'Content-Type: application/json' -d '{"input": {}}'`;
  }
  return [
    `body='{"input": {}}'`,
    "t=$(date +%s)",
    `sig=$(printf '%s.%s' "$t" "$body" | openssl dgst -sha256 -hmac '${secret}' | sed 's/^.*= //')`,
    `curl -X POST '${url}' -H 'Content-Type: application/json' \\`,
    `  -H "Lockgate-Signature: t=$t,v1=$sig" --data-binary "$body"`,
  ].join("\n");
}
