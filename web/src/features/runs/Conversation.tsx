// An agent step's conversation, attempt by attempt: each turn's member, messages, output, tokens and cost.
import { JsonView, Loading } from "../../lib/controls";
import type { LiveAttempt } from "../../lib/live";
import { useConversation } from "./queries";

interface Part {
  part_kind?: string;
  content?: unknown;
  tool_name?: string;
  args?: unknown;
}
interface Message {
  kind?: string;
  parts?: Part[];
}

function partText(p: Part): string {
  if (p.part_kind === "tool-call")
    return `→ ${p.tool_name}(${typeof p.args === "string" ? p.args : JSON.stringify(p.args)})`;
  if (p.part_kind === "tool-return")
    return `← ${p.tool_name}: ${typeof p.content === "string" ? p.content : JSON.stringify(p.content)}`;
  return typeof p.content === "string" ? p.content : JSON.stringify(p.content);
}

export function money(cost: number): string {
  return cost < 0.01 && cost > 0 ? `$${cost.toFixed(4)}` : `$${cost.toFixed(2)}`;
}

/** What the agents of the running attempt have written so far, as it streams in. */
function LiveOutput({ live }: { live: LiveAttempt }) {
  const members = Object.entries(live.members);
  return (
    <section className="live-output" aria-label={`Live output of attempt ${live.attempt}`} aria-live="polite">
      <h4>
        Attempt {live.attempt} · <span className="live-dot">live</span>
      </h4>
      {members.map(([member, m]) => (
        <div key={member} className="turn">
          <p className="small">
            <strong>{member}</strong> is writing…
          </p>
          <p className="live-text" data-member={member}>
            {m.text}
          </p>
        </div>
      ))}
    </section>
  );
}

export function Conversation({
  runId,
  stepKey,
  live,
}: {
  runId: string;
  stepKey: string;
  live?: LiveAttempt | undefined;
}) {
  const conversation = useConversation(runId, stepKey);
  if (conversation.isPending) return <Loading />;
  const attempts = (conversation.data?.attempts ?? []).filter((a) => a.attempt !== live?.attempt);
  if (attempts.length === 0 && !live) return <p className="muted">No conversation recorded.</p>;
  return (
    <div className="conversation">
      {live && <LiveOutput live={live} />}
      {attempts.map((a) => (
        <section key={a.attempt} aria-label={`Attempt ${a.attempt}`}>
          <h4>
            Attempt {a.attempt} · {(a.totals.input_tokens ?? 0) + (a.totals.output_tokens ?? 0)} tokens
            {(a.totals.estimated ?? 0) > 0 ? " (estimated)" : ""} · {a.totals.requests ?? 0} requests ·{" "}
            {money(a.totals.cost ?? 0)}
          </h4>
          {a.turns.map((t) => (
            <div key={t.position} className="turn">
              <p className="small">
                <strong>{t.member}</strong> ({t.role}
                {t.round ? `, round ${t.round}` : ""}) · {t.input_tokens + t.output_tokens} tokens
                {t.estimated ? " (estimated)" : ""} · {money(t.cost)}
                {t.error && <span className="field-error"> · {t.error}</span>}
              </p>
              <ol className="messages">
                {((t.messages as Message[] | null) ?? []).flatMap((m, i) =>
                  (m.parts ?? []).map((p, j) => (
                    // biome-ignore lint/suspicious/noArrayIndexKey: parts of a recorded message
                    <li key={`${i}-${j}`} className={`msg msg-${m.kind ?? ""} part-${p.part_kind ?? ""}`}>
                      <span className="msg-kind">{p.part_kind ?? m.kind}</span> {partText(p)}
                    </li>
                  )),
                )}
              </ol>
              {t.output != null && <JsonView value={t.output} label={`output of ${t.member}`} />}
            </div>
          ))}
        </section>
      ))}
    </div>
  );
}
