// API keys: listed by prefix, the key itself shown once at creation; revoked at once.
import { useMutation, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import type { KeyCreated } from "../../api/types";
import { Button, CopyButton, ErrorNote, Field, SubForm } from "../../lib/controls";
import { when } from "../../lib/format";
import { keys } from "../../lib/queryKeys";
import { apiKeys, useApiKeys, useUsers } from "./queries";
import { ResourceTable } from "./ResourceTable";

export function ApiKeys() {
  const queryClient = useQueryClient();
  const list = useApiKeys();
  const users = useUsers();
  const [user, setUser] = useState("");
  const [name, setName] = useState("");
  const [days, setDays] = useState("");
  const [created, setCreated] = useState<KeyCreated | null>(null);
  const create = useMutation({
    mutationFn: () =>
      apiKeys.create({
        user: user || (users.data?.[0]?.name ?? ""),
        name,
        expires_in_days: days ? Number(days) : null,
      }),
    onSuccess: (k) => {
      setCreated(k);
      setName("");
      void queryClient.invalidateQueries({ queryKey: keys.apiKeys });
    },
  });
  const revoke = useMutation({
    mutationFn: (id: string) => apiKeys.revoke(id),
    onSuccess: () => queryClient.invalidateQueries({ queryKey: keys.apiKeys }),
  });
  return (
    <ResourceTable
      title="API keys"
      before={
        created && (
          <div className="callout" role="status">
            <p>
              <strong>Copy the key for {created.user} now:</strong> only its hash is stored.
            </p>
            <code className="secret" data-testid="new-key">
              {created.key}
            </code>{" "}
            <CopyButton text={created.key} />
          </div>
        )
      }
      rows={list.data}
      error={list.error}
      actionErrors={[revoke.error]}
      rowKey={(k) => k.id}
      columns={[
        { header: "Key", cell: (k) => <code>{k.prefix}…</code> },
        { header: "User", cell: (k) => k.user },
        { header: "Role", cell: (k) => k.role },
        { header: "For", cell: (k) => k.name },
        { header: "Last used", cell: (k) => when(k.last_used_at) },
        {
          header: "State",
          cell: (k) => (k.revoked_at ? "revoked" : k.expires_at ? `expires ${when(k.expires_at)}` : "active"),
        },
      ]}
      actions={(k) =>
        !k.revoked_at && (
          <Button
            variant="danger"
            onClick={() =>
              window.confirm(`Revoke ${k.prefix}…? It stops working at once.`) && revoke.mutate(k.id)
            }
          >
            Revoke
          </Button>
        )
      }
      create={
        <SubForm title="New API key" onSubmit={() => create.mutate()}>
          <Field label="User">
            {(p) => (
              <select {...p} value={user} onChange={(e) => setUser(e.target.value)}>
                {(users.data ?? []).map((u) => (
                  <option key={u.id} value={u.name}>
                    {u.name} ({u.role})
                  </option>
                ))}
              </select>
            )}
          </Field>
          <Field label="What it is for">
            {(p) => (
              <input {...p} type="text" value={name} onChange={(e) => setName(e.target.value)} required />
            )}
          </Field>
          <Field label="Expires after (days)" hint="empty: never">
            {(p) => (
              <input {...p} type="number" min={1} value={days} onChange={(e) => setDays(e.target.value)} />
            )}
          </Field>
          <ErrorNote error={create.error} />
          <button type="submit" className="btn btn-primary" disabled={!name || create.isPending}>
            Create key
          </button>
        </SubForm>
      }
    />
  );
}
