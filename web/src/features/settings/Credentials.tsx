// Credentials: values go in and never come out; admins grant them to pipelines and allow hosts.
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { api, ok } from "../../api/client";
import type { CredentialRead } from "../../api/types";
import { Button, Dialog, Empty, ErrorNote, Field, Loading, SubForm, useToast } from "../../lib/controls";
import { when } from "../../lib/format";
import { useSession } from "../../lib/session";
import { CredentialAccess } from "./CredentialAccess";

function List({ items }: { items: string[] | undefined }) {
  return items && items.length > 0 ? (
    items.flatMap((i) => [
      <code key={i} className="tag">
        {i}
      </code>,
      " ",
    ])
  ) : (
    <span className="muted">none</span>
  );
}

export function Credentials() {
  const { can } = useSession();
  const queryClient = useQueryClient();
  const toast = useToast();
  const list = useQuery({ queryKey: ["credentials"], queryFn: () => ok(api.GET("/api/v1/credentials")) });
  const [name, setName] = useState("");
  const [value, setValue] = useState("");
  const [description, setDescription] = useState("");
  const [rotating, setRotating] = useState<string | null>(null);
  const [access, setAccess] = useState<CredentialRead | null>(null);
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
        Encrypted at rest; no page or API response ever shows a value. Only the nodes of pipelines granted a
        credential may name it; http nodes send it only to its allowed hosts; whatever a step writes has it
        redacted.
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
              <th scope="col">Pipelines</th>
              <th scope="col">Allowed hosts</th>
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
                <td>
                  <List items={c.pipelines} />
                </td>
                <td>
                  <List items={c.allowed_hosts} />
                </td>
                <td>{when(c.updated_at)}</td>
                <td className="actions">
                  {can("admin") && (
                    <>
                      <Button onClick={() => setAccess(c)}>Access…</Button>
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
          <SubForm title="New credential" onSubmit={() => create.mutate()}>
            <Field label="Name" hint="lowercase slug, e.g. github-token">
              {(p) => (
                <input {...p} type="text" value={name} onChange={(e) => setName(e.target.value)} required />
              )}
            </Field>
            <Field label="Value" hint="at least 8 characters; stored encrypted, it cannot be read back">
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
          </SubForm>
          <p>
            <Button onClick={() => reencrypt.mutate()}>Re-encrypt all with the newest secret key</Button>
          </p>
        </>
      )}
      <CredentialAccess credential={access} onClose={() => setAccess(null)} />
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
