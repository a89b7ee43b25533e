// Who may use a credential and where it may go: the pipelines granted, the hosts an http node may send it to.
import { useMutation, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import type { CredentialRead } from "../../api/types";
import { Button, Dialog, ErrorNote, Field, useToast } from "../../lib/controls";
import { keys } from "../../lib/queryKeys";
import { credentials } from "./queries";

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
  const save = useMutation({
    mutationFn: () => credentials.setAccess(credential.name, words(pipelines), words(hosts)),
    onSuccess: (c) => {
      toast(`Access of ${c.name} saved`);
      void queryClient.invalidateQueries({ queryKey: keys.credentials });
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
