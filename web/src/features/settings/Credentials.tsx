// Credentials: values go in and never come out; admins grant them to pipelines and allow hosts.
import { useMutation, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import type { CredentialRead } from "../../api/types";
import { Button, Dialog, ErrorNote, Field, SubForm, useToast } from "../../lib/controls";
import { when } from "../../lib/format";
import { keys } from "../../lib/queryKeys";
import { useSession } from "../../lib/session";
import { CredentialAccess } from "./CredentialAccess";
import { credentials, useCredentials } from "./queries";
import { ResourceTable } from "./ResourceTable";

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
  const list = useCredentials(true);
  const [name, setName] = useState("");
  const [value, setValue] = useState("");
  const [description, setDescription] = useState("");
  const [rotating, setRotating] = useState<string | null>(null);
  const [access, setAccess] = useState<CredentialRead | null>(null);
  const [newValue, setNewValue] = useState("");
  const refresh = () => queryClient.invalidateQueries({ queryKey: keys.credentials });
  const create = useMutation({
    mutationFn: () => credentials.create({ name, value, description: description || null }),
    onSuccess: (c) => {
      toast(`Stored ${c.name}`);
      setName("");
      setValue("");
      setDescription("");
      void refresh();
    },
  });
  const rotate = useMutation({
    mutationFn: (n: string) => credentials.rotate(n, newValue),
    onSuccess: (c) => {
      toast(`New value stored for ${c.name}`);
      setRotating(null);
      setNewValue("");
      void refresh();
    },
  });
  const remove = useMutation({
    mutationFn: (n: string) => credentials.remove(n),
    onSuccess: () => void refresh(),
  });
  const reencrypt = useMutation({
    mutationFn: () => credentials.reencrypt(),
    onSuccess: (r) => toast(`Re-encrypted ${r.rotated} credential(s) with the newest key`),
  });
  return (
    <ResourceTable
      title="Credentials"
      intro={
        <>
          Encrypted at rest; no page or API response ever shows a value. Only the nodes of pipelines granted a
          credential may name it; http nodes send it only to its allowed hosts; whatever a step writes has it
          redacted.
        </>
      }
      rows={list.data}
      error={list.error}
      actionErrors={[remove.error, reencrypt.error]}
      rowKey={(c) => c.name}
      empty="No credentials yet."
      columns={[
        { header: "Name", cell: (c) => <code>{c.name}</code> },
        { header: "Description", cell: (c) => c.description },
        { header: "Value", cell: () => "••••••••", label: "value hidden" },
        { header: "Pipelines", cell: (c) => <List items={c.pipelines} /> },
        { header: "Allowed hosts", cell: (c) => <List items={c.allowed_hosts} /> },
        { header: "Updated", cell: (c) => when(c.updated_at) },
      ]}
      actions={(c) =>
        can("admin") && (
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
        )
      }
      create={
        can("admin") && (
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
              <button
                type="submit"
                className="btn btn-primary"
                disabled={create.isPending || !name || !value}
              >
                Store credential
              </button>
            </SubForm>
            <p>
              <Button onClick={() => reencrypt.mutate()}>Re-encrypt all with the newest secret key</Button>
            </p>
          </>
        )
      }
      after={
        <>
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
        </>
      }
    />
  );
}
