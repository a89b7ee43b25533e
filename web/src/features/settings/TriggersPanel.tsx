// A pipeline's schedules (cron, time zone, input, next firing) and webhooks (the URL to call, shown once).
import { useMutation, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import type { PipelineSpec, WebhookCreated } from "../../api/types";
import { Button, CopyButton, Empty, ErrorNote, Field, Loading, SubForm } from "../../lib/controls";
import { when } from "../../lib/format";
import { keys } from "../../lib/queryKeys";
import { useSession } from "../../lib/session";
import { triggers, useSchedules, useWebhooks } from "./queries";
import { curlLine } from "./webhookCurl";

export function TriggersPanel({ pipeline, spec }: { pipeline: string; spec?: PipelineSpec }) {
  return (
    <div className="two-col">
      <Schedules pipeline={pipeline} spec={spec} />
      <Webhooks pipeline={pipeline} />
    </div>
  );
}

function Schedules({ pipeline, spec }: { pipeline: string; spec?: PipelineSpec }) {
  const { can } = useSession();
  const queryClient = useQueryClient();
  const schedules = useSchedules(pipeline);
  const [cron, setCron] = useState("0 9 * * 1-5");
  const [timezone, setTimezone] = useState(Intl.DateTimeFormat().resolvedOptions().timeZone || "UTC");
  const [input, setInput] = useState("{}");
  const refresh = () => {
    void queryClient.invalidateQueries({ queryKey: keys.pipelines.schedules(pipeline) });
    void queryClient.invalidateQueries({ queryKey: keys.pipelines.all });
    void queryClient.invalidateQueries({ queryKey: keys.pipelines.detail(pipeline) });
  };
  const create = useMutation({
    mutationFn: async () =>
      triggers.createSchedule(pipeline, {
        cron,
        timezone,
        input: JSON.parse(input || "{}") as Record<string, never>,
      }),
    onSuccess: refresh,
  });
  const toggle = useMutation({
    mutationFn: async ({ id, enabled }: { id: string; enabled: boolean }) =>
      triggers.enableSchedule(id, enabled),
    onSuccess: refresh,
  });
  const remove = useMutation({
    mutationFn: async (id: string) => triggers.removeSchedule(id),
    onSuccess: refresh,
  });
  return (
    <section aria-labelledby={`sched-${pipeline}`}>
      <h2 id={`sched-${pipeline}`}>Schedules</h2>
      <ErrorNote error={schedules.error ?? toggle.error ?? remove.error} />
      {!schedules.data ? (
        <Loading />
      ) : schedules.data.length === 0 ? (
        <Empty title="Not scheduled." />
      ) : (
        <ul className="cards">
          {schedules.data.map((s) => (
            <li key={s.id} className="card">
              <code>{s.cron}</code> <span className="muted">({s.timezone})</span>
              <div className="small">
                {s.enabled ? <>next run {when(s.next_fire_at)}</> : "disabled"} · missed firings: {s.missed}
                {Object.keys(s.input).length > 0 && <> · input {JSON.stringify(s.input)}</>}
              </div>
              {can("editor") && (
                <div className="actions">
                  <Button onClick={() => toggle.mutate({ id: s.id, enabled: !s.enabled })}>
                    {s.enabled ? "Disable" : "Enable"}
                  </Button>
                  <Button variant="danger" onClick={() => remove.mutate(s.id)}>
                    Delete
                  </Button>
                </div>
              )}
            </li>
          ))}
        </ul>
      )}
      {can("editor") && (
        <SubForm title="New schedule" onSubmit={() => create.mutate()}>
          <Field label="Cron" hint="minute hour day month weekday, e.g. 0 9 * * 1-5 (weekdays at 9:00)">
            {(p) => <input {...p} type="text" value={cron} onChange={(e) => setCron(e.target.value)} />}
          </Field>
          <Field label="Time zone" hint="IANA name, e.g. Europe/Paris">
            {(p) => (
              <input {...p} type="text" value={timezone} onChange={(e) => setTimezone(e.target.value)} />
            )}
          </Field>
          <Field
            label="Input (JSON)"
            hint={spec?.input ? `fields: ${Object.keys(spec.input).join(", ") || "none"}` : undefined}
          >
            {(p) => (
              <textarea
                {...p}
                className="code"
                rows={2}
                value={input}
                onChange={(e) => setInput(e.target.value)}
              />
            )}
          </Field>
          <ErrorNote error={create.error} />
          <button type="submit" className="btn btn-primary" disabled={create.isPending}>
            Add schedule
          </button>
        </SubForm>
      )}
    </section>
  );
}

function Webhooks({ pipeline }: { pipeline: string }) {
  const { can } = useSession();
  const queryClient = useQueryClient();
  const key = keys.pipelines.webhooks(pipeline);
  const hooks = useWebhooks(pipeline);
  const [created, setCreated] = useState<WebhookCreated | null>(null);
  const [signed, setSigned] = useState(false);
  const create = useMutation({
    mutationFn: async () => triggers.createWebhook(pipeline, signed),
    onSuccess: (hook) => {
      setCreated(hook);
      void queryClient.invalidateQueries({ queryKey: key });
    },
  });
  const remove = useMutation({
    mutationFn: async (id: string) => triggers.removeWebhook(id),
    onSuccess: () => queryClient.invalidateQueries({ queryKey: key }),
  });
  return (
    <section aria-labelledby={`hooks-${pipeline}`}>
      <h2 id={`hooks-${pipeline}`}>Webhooks</h2>
      {created && (
        <div className="callout" role="status">
          <p>
            <strong>Copy this URL now:</strong> it holds a token that is shown only once.
          </p>
          <p>
            <code className="secret" data-testid="webhook-url">
              {created.url}
            </code>{" "}
            <CopyButton text={created.url} />
          </p>
          {created.secret && (
            <p>
              HMAC secret: <code className="secret">{created.secret}</code>{" "}
              <CopyButton text={created.secret} /> — sign each request as{" "}
              <code>
                Lockgate-Signature: t=&lt;unix seconds&gt;,v1=&lt;hex HMAC-SHA256 of
                "&lt;t&gt;.&lt;body&gt;"&gt;
              </code>
              . It is taken within 5 minutes of <code>t</code> (the server's window), once: a copy is refused,
              and retries that send the same <code>Lockgate-Delivery: &lt;id&gt;</code> start one run.
            </p>
          )}
          <pre className="json">{curlLine(created)}</pre>
        </div>
      )}
      <ErrorNote error={hooks.error ?? remove.error} />
      {!hooks.data ? (
        <Loading />
      ) : hooks.data.length === 0 ? (
        <Empty title="No webhooks." />
      ) : (
        <ul className="cards">
          {hooks.data.map((h) => (
            <li key={h.id} className="card">
              <code>/api/v1/hooks/••••••</code> {h.signed && <span className="badge">signed</span>}{" "}
              {!h.enabled && <span className="badge">disabled</span>}
              <div className="small muted">
                created {when(h.created_at)} · the full URL was shown at creation
              </div>
              {can("editor") && (
                <Button variant="danger" onClick={() => remove.mutate(h.id)}>
                  Delete
                </Button>
              )}
            </li>
          ))}
        </ul>
      )}
      {can("editor") && (
        <div className="subform">
          <label className="check">
            <input type="checkbox" checked={signed} onChange={(e) => setSigned(e.target.checked)} /> require
            an HMAC signature
          </label>
          <ErrorNote error={create.error} />
          <Button variant="primary" onClick={() => create.mutate()} disabled={create.isPending}>
            Create webhook
          </Button>
        </div>
      )}
    </section>
  );
}
