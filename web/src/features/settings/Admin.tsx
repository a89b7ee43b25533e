// Credentials (values go in, never come out), API keys (shown once), users and their roles.
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { api, ok } from "../../api/client";
import type { KeyCreated, Role } from "../../api/types";
import { Button, CopyButton, Dialog, Empty, ErrorNote, Field, Loading, useToast } from "../../lib/controls";
import { when } from "../../lib/format";
import { useSession } from "../../lib/session";

const ROLES: Role[] = ["viewer", "operator", "editor", "admin"];

export function Credentials() {
  const { can } = useSession();
  const queryClient = useQueryClient();
  const toast = useToast();
  const list = useQuery({ queryKey: ["credentials"], queryFn: () => ok(api.GET("/api/v1/credentials")) });
  const [name, setName] = useState("");
  const [value, setValue] = useState("");
  const [description, setDescription] = useState("");
  const [rotating, setRotating] = useState<string | null>(null);
  const [newValue, setNewValue] = useState("");
  const refresh = () => queryClient.invalidateQueries({ queryKey: ["credentials"] });
  const create = useMutation({
    mutationFn: () =>
      ok(api.POST("/api/v1/credentials", { body: { name, value, description: description || null } })),
    onSuccess: (c) => {
      toast(`Stored ${c.name}`);
      setName("");
      setValue("");
      setDescription("");
      void refresh();
    },
  });
  const rotate = useMutation({
    mutationFn: (n: string) =>
      ok(api.PUT("/api/v1/credentials/{name}", { params: { path: { name: n } }, body: { value: newValue } })),
    onSuccess: (c) => {
      toast(`New value stored for ${c.name}`);
      setRotating(null);
      setNewValue("");
      void refresh();
    },
  });
  const remove = useMutation({
    mutationFn: (n: string) =>
      ok(api.DELETE("/api/v1/credentials/{name}", { params: { path: { name: n } } })),
    onSuccess: () => void refresh(),
  });
  const reencrypt = useMutation({
    mutationFn: () => ok(api.POST("/api/v1/credentials/rotate-key")),
    onSuccess: (r) => toast(`Re-encrypted ${r.rotated} credential(s) with the newest key`),
  });
  return (
    <section aria-labelledby="cred-title">
      <h2 id="cred-title">Credentials</h2>
      <p className="muted">
        Encrypted at rest; no page or API response ever shows a value. Nodes are granted credentials by name.
      </p>
      <ErrorNote error={list.error ?? remove.error ?? reencrypt.error} />
      {!list.data ? (
        <Loading />
      ) : list.data.length === 0 ? (
        <Empty title="No credentials yet." />
      ) : (
        <table className="table">
          <thead>
            <tr>
              <th scope="col">Name</th>
              <th scope="col">Description</th>
              <th scope="col">Value</th>
              <th scope="col">Updated</th>
              <th scope="col">
                <span className="sr-only">Actions</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {list.data.map((c) => (
              <tr key={c.name}>
                <td>
                  <code>{c.name}</code>
                </td>
                <td>{c.description}</td>
                <td aria-label="value hidden">••••••••</td>
                <td>{when(c.updated_at)}</td>
                <td className="actions">
                  {can("admin") && (
                    <>
                      <Button onClick={() => setRotating(c.name)}>Rotate value…</Button>
                      <Button
                        variant="danger"
                        onClick={() => window.confirm(`Delete ${c.name}?`) && remove.mutate(c.name)}
                      >
                        Delete
                      </Button>
                    </>
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {can("admin") && (
        <>
          <form
            className="subform"
            onSubmit={(e) => {
              e.preventDefault();
              create.mutate();
            }}
          >
            <h3>New credential</h3>
            <Field label="Name" hint="lowercase slug, e.g. github-token">
              {(p) => (
                <input {...p} type="text" value={name} onChange={(e) => setName(e.target.value)} required />
              )}
            </Field>
            <Field label="Value" hint="stored encrypted; it cannot be read back">
              {(p) => (
                <input
                  {...p}
                  type="password"
                  autoComplete="off"
                  value={value}
                  onChange={(e) => setValue(e.target.value)}
                  required
                />
              )}
            </Field>
            <Field label="Description">
              {(p) => (
                <input
                  {...p}
                  type="text"
                  value={description}
                  onChange={(e) => setDescription(e.target.value)}
                />
              )}
            </Field>
            <ErrorNote error={create.error} />
            <button type="submit" className="btn btn-primary" disabled={create.isPending || !name || !value}>
              Store credential
            </button>
          </form>
          <p>
            <Button onClick={() => reencrypt.mutate()}>Re-encrypt all with the newest secret key</Button>
          </p>
        </>
      )}
      <Dialog
        title={`New value for ${rotating ?? ""}`}
        open={rotating !== null}
        onClose={() => setRotating(null)}
      >
        <form
          onSubmit={(e) => {
            e.preventDefault();
            if (rotating) rotate.mutate(rotating);
          }}
        >
          <Field label="New value">
            {(p) => (
              <input
                {...p}
                type="password"
                autoComplete="off"
                value={newValue}
                onChange={(e) => setNewValue(e.target.value)}
                required
              />
            )}
          </Field>
          <ErrorNote error={rotate.error} />
          <div className="dialog-actions">
            <Button onClick={() => setRotating(null)}>Cancel</Button>
            <button type="submit" className="btn btn-primary" disabled={!newValue}>
              Store new value
            </button>
          </div>
        </form>
      </Dialog>
    </section>
  );
}

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
      <form
        className="subform"
        onSubmit={(e) => {
          e.preventDefault();
          create.mutate();
        }}
      >
        <h3>New API key</h3>
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
      </form>
    </section>
  );
}

export function Users() {
  const queryClient = useQueryClient();
  const users = useQuery({ queryKey: ["users"], queryFn: () => ok(api.GET("/api/v1/users")) });
  const [name, setName] = useState("");
  const [role, setRole] = useState<Role>("viewer");
  const refresh = () => queryClient.invalidateQueries({ queryKey: ["users"] });
  const create = useMutation({
    mutationFn: () => ok(api.POST("/api/v1/users", { body: { name, role } })),
    onSuccess: () => {
      setName("");
      void refresh();
    },
  });
  const update = useMutation({
    mutationFn: ({ n, body }: { n: string; body: { role?: Role; disabled?: boolean } }) =>
      ok(api.PATCH("/api/v1/users/{name}", { params: { path: { name: n } }, body })),
    onSuccess: () => void refresh(),
  });
  return (
    <section aria-labelledby="users-title">
      <h2 id="users-title">Users and roles</h2>
      <p className="muted">
        viewer: read · operator: run and answer · editor: define · admin: users, keys, credentials.
      </p>
      <ErrorNote error={users.error ?? update.error} />
      {!users.data ? (
        <Loading />
      ) : (
        <table className="table">
          <thead>
            <tr>
              <th scope="col">User</th>
              <th scope="col">Role</th>
              <th scope="col">Since</th>
              <th scope="col">State</th>
            </tr>
          </thead>
          <tbody>
            {users.data.map((u) => (
              <tr key={u.id}>
                <td>{u.name}</td>
                <td>
                  <select
                    aria-label={`Role of ${u.name}`}
                    value={u.role}
                    onChange={(e) => update.mutate({ n: u.name, body: { role: e.target.value as Role } })}
                  >
                    {ROLES.map((r) => (
                      <option key={r}>{r}</option>
                    ))}
                  </select>
                </td>
                <td>{when(u.created_at)}</td>
                <td>
                  <Button onClick={() => update.mutate({ n: u.name, body: { disabled: !u.disabled_at } })}>
                    {u.disabled_at ? "Enable" : "Disable"}
                  </Button>{" "}
                  {u.disabled_at && <span className="muted">disabled</span>}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <form
        className="subform"
        onSubmit={(e) => {
          e.preventDefault();
          create.mutate();
        }}
      >
        <h3>New user</h3>
        <Field label="Name">
          {(p) => (
            <input {...p} type="text" value={name} onChange={(e) => setName(e.target.value)} required />
          )}
        </Field>
        <Field label="Role">
          {(p) => (
            <select {...p} value={role} onChange={(e) => setRole(e.target.value as Role)}>
              {ROLES.map((r) => (
                <option key={r}>{r}</option>
              ))}
            </select>
          )}
        </Field>
        <ErrorNote error={create.error} />
        <button type="submit" className="btn btn-primary" disabled={!name || create.isPending}>
          Create user
        </button>
      </form>
    </section>
  );
}
