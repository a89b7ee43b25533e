// Who may use a credential and where it may go: the pipelines granted, the hosts an http node may send it to.
import { useMutation, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { api, ok } from "../../api/client";
import type { CredentialRead } from "../../api/types";
import { Button, Dialog, ErrorNote, Field, useToast } from "../../lib/controls";

/** Words separated by spaces, commas or new lines. */
export function words(text: string): string[] {
  return text
    .split(/[\s,]+/)
    .map((w) => w.trim())
    .filter(Boolean);
}

function AccessForm({ credential, onDone }: { credential: CredentialRead; onDone: () => void }) {
  const queryClient = useQueryClient();
  const toast = useToast();
  const [pipelines, setPipelines] = useState((credential.pipelines ?? []).join(" "));
  const [hosts, setHosts] = useState((credential.allowed_hosts ?? []).join(" "));
  const path = { params: { path: { name: credential.name } } };
  const save = useMutation({
    mutationFn: async () => {
      await ok(
        api.PUT("/api/v1/credentials/{name}/grants", { ...path, body: { pipelines: words(pipelines) } }),
      );
      return ok(
        api.PUT("/api/v1/credentials/{name}/allowed-hosts", {
          ...path,
          body: { allowed_hosts: words(hosts) },
        }),
      );
    },
    onSuccess: (c) => {
      toast(`Access of ${c.name} saved`);
      void queryClient.invalidateQueries({ queryKey: ["credentials"] });
      onDone();
    },
  });
  return (
    <form
      onSubmit={(e) => {
        e.preventDefault();
        save.mutate();
      }}
    >
      <Field
        label="Pipelines granted"
        hint="names, separated by spaces; only their nodes may name it (saving another is refused)"
      >
        {(p) => <textarea {...p} rows={2} value={pipelines} onChange={(e) => setPipelines(e.target.value)} />}
      </Field>
      <Field
        label="Allowed hosts"
        hint="where http nodes may send it: api.example.com, *.example.org, or * (any host; also networked scripts)"
      >
        {(p) => <textarea {...p} rows={2} value={hosts} onChange={(e) => setHosts(e.target.value)} />}
      </Field>
      <ErrorNote error={save.error} />
      <div className="dialog-actions">
        <Button onClick={onDone}>Cancel</Button>
        <button type="submit" className="btn btn-primary" disabled={save.isPending}>
          Save access
        </button>
      </div>
    </form>
  );
}

export function CredentialAccess({
  credential,
  onClose,
}: {
  credential: CredentialRead | null;
  onClose: () => void;
}) {
  return (
    <Dialog title={`Access to ${credential?.name ?? ""}`} open={credential !== null} onClose={onClose}>
      {credential && <AccessForm key={credential.name} credential={credential} onDone={onClose} />}
    </Dialog>
  );
}
