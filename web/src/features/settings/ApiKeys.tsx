// API keys: listed by prefix, the key itself shown once at creation; revoked at once.
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { api, ok } from "../../api/client";
import type { KeyCreated } from "../../api/types";
import { Button, CopyButton, ErrorNote, Field, Loading, SubForm } from "../../lib/controls";
import { when } from "../../lib/format";

export function ApiKeys() {
  const queryClient = useQueryClient();
  const keys = useQuery({ queryKey: ["keys"], queryFn: () => ok(api.GET("/api/v1/keys")) });
  const users = useQuery({ queryKey: ["users"], queryFn: () => ok(api.GET("/api/v1/users")) });
  const [user, setUser] = useState("");
  const [name, setName] = useState("");
  const [days, setDays] = useState("");
  const [created, setCreated] = useState<KeyCreated | null>(null);
  const create = useMutation({
    mutationFn: () =>
      ok(
        api.POST("/api/v1/keys", {
          body: {
            user: user || (users.data?.[0]?.name ?? ""),
            name,
            expires_in_days: days ? Number(days) : null,
          },
        }),
      ),
    onSuccess: (k) => {
      setCreated(k);
      setName("");
      void queryClient.invalidateQueries({ queryKey: ["keys"] });
    },
  });
  const revoke = useMutation({
    mutationFn: (id: string) => ok(api.DELETE("/api/v1/keys/{key_id}", { params: { path: { key_id: id } } })),
    onSuccess: () => queryClient.invalidateQueries({ queryKey: ["keys"] }),
  });
  return (
    <section aria-labelledby="keys-title">
      <h2 id="keys-title">API keys</h2>
      {created && (
        <div className="callout" role="status">
          <p>
            <strong>Copy the key for {created.user} now:</strong> only its hash is stored.
          </p>
          <code className="secret" data-testid="new-key">
            {created.key}
          </code>{" "}
          <CopyButton text={created.key} />
        </div>
      )}
      <ErrorNote error={keys.error ?? revoke.error} />
      {!keys.data ? (
        <Loading />
      ) : (
        <table className="table">
          <thead>
            <tr>
              <th scope="col">Key</th>
              <th scope="col">User</th>
              <th scope="col">Role</th>
              <th scope="col">For</th>
              <th scope="col">Last used</th>
              <th scope="col">State</th>
              <th scope="col">
                <span className="sr-only">Actions</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {keys.data.map((k) => (
              <tr key={k.id}>
                <td>
                  <code>{k.prefix}…</code>
                </td>
                <td>{k.user}</td>
                <td>{k.role}</td>
                <td>{k.name}</td>
                <td>{when(k.last_used_at)}</td>
                <td>
                  {k.revoked_at ? "revoked" : k.expires_at ? `expires ${when(k.expires_at)}` : "active"}
                </td>
                <td>
                  {!k.revoked_at && (
                    <Button
                      variant="danger"
                      onClick={() =>
                        window.confirm(`Revoke ${k.prefix}…? It stops working at once.`) &&
                        revoke.mutate(k.id)
                      }
                    >
                      Revoke
                    </Button>
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
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
    </section>
  );
}
