// Agent profiles: predefined agents a team member names (`profile: NAME`): instructions, model, temperature
// and tools. Everyone may read them; editors add, change and delete them.
import { useMutation, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { Button, ErrorNote, Field, SubForm, useToast } from "../../lib/controls";
import { when } from "../../lib/format";
import { keys } from "../../lib/queryKeys";
import { useSession } from "../../lib/session";
import { EMPTY, fromProfile, type ProfileForm, summary, TOOLS, toBody } from "./agentProfile";
import { agentProfiles, useAgentProfiles, useModels } from "./queries";
import { ResourceTable } from "./ResourceTable";

export function AgentProfiles() {
  const { can } = useSession();
  const queryClient = useQueryClient();
  const toast = useToast();
  const profiles = useAgentProfiles();
  const models = useModels();
  const [form, setForm] = useState<ProfileForm>(EMPTY);
  const [editing, setEditing] = useState<string | null>(null);
  const refresh = () => queryClient.invalidateQueries({ queryKey: keys.agentProfiles });
  const save = useMutation({
    mutationFn: () => {
      const { name, ...changes } = toBody(form);
      return editing ? agentProfiles.update(editing, changes) : agentProfiles.create({ name, ...changes });
    },
    onSuccess: (p) => {
      toast(editing ? `Saved agent profile ${p.name}` : `Added agent profile ${p.name}`);
      setForm(EMPTY);
      setEditing(null);
      void refresh();
    },
  });
  const remove = useMutation({
    mutationFn: (n: string) => agentProfiles.remove(n),
    onSuccess: (_, n) => {
      toast(`Deleted agent profile ${n}`);
      if (editing === n) {
        setEditing(null);
        setForm(EMPTY);
      }
      void refresh();
    },
  });
  const set = (changes: Partial<ProfileForm>) => setForm((f) => ({ ...f, ...changes }));
  return (
    <ResourceTable
      title="Agent profiles"
      intro="A team member of an agent node names a profile; what the profile leaves empty comes from the node."
      rows={profiles.data}
      error={profiles.error}
      actionErrors={[remove.error]}
      rowKey={(p) => p.name}
      current={(p) => editing === p.name}
      empty="No agent profiles yet."
      columns={[
        { header: "Name", cell: (p) => <code>{p.name}</code> },
        { header: "Description", cell: (p) => p.description ?? "—" },
        { header: "Model", cell: (p) => p.model ?? "the node's" },
        { header: "Settings", cell: (p) => summary(p), className: "small" },
        { header: "Updated", cell: (p) => when(p.updated_at), className: "small" },
      ]}
      actions={(p) =>
        can("editor") && (
          <>
            <Button
              aria-label={`Edit ${p.name}`}
              onClick={() => {
                save.reset();
                setEditing(p.name);
                setForm(fromProfile(p));
                // the form is under a possibly long table: bring it into view
                requestAnimationFrame(() =>
                  document.getElementById("agent-profile-form")?.scrollIntoView({ block: "nearest" }),
                );
              }}
            >
              Edit
            </Button>
            <Button
              variant="danger"
              aria-label={`Delete ${p.name}`}
              onClick={() => window.confirm(`Delete ${p.name}?`) && remove.mutate(p.name)}
            >
              Delete
            </Button>
          </>
        )
      }
      create={
        can("editor") && (
          <div id="agent-profile-form">
            <SubForm
              key={editing ?? "new"}
              title={editing ? `Edit agent profile ${editing}` : "New agent profile"}
              onSubmit={() => save.mutate()}
            >
              <Field label="Name">
                {(p) => (
                  <input
                    {...p}
                    type="text"
                    value={form.name}
                    disabled={editing !== null}
                    onChange={(e) => set({ name: e.target.value })}
                    required
                  />
                )}
              </Field>
              <Field label="Description">
                {(p) => (
                  <input
                    {...p}
                    type="text"
                    value={form.description}
                    onChange={(e) => set({ description: e.target.value })}
                  />
                )}
              </Field>
              <div className="row">
                <Field label="Model profile" hint="empty: the node's model">
                  {(p) => (
                    <select {...p} value={form.model} onChange={(e) => set({ model: e.target.value })}>
                      <option value="">— the node's</option>
                      {(models.data ?? []).map((m) => (
                        <option key={m.name}>{m.name}</option>
                      ))}
                      {form.model && !(models.data ?? []).some((m) => m.name === form.model) && (
                        <option>{form.model}</option>
                      )}
                    </select>
                  )}
                </Field>
                <Field label="Temperature" hint="0 to 2; empty: the model's default">
                  {(p) => (
                    <input
                      {...p}
                      type="number"
                      step="0.1"
                      min={0}
                      max={2}
                      value={form.temperature}
                      onChange={(e) => set({ temperature: e.target.value })}
                    />
                  )}
                </Field>
              </div>
              <Field label="Instructions" hint="the system prompt of this agent">
                {(p) => (
                  <textarea
                    {...p}
                    rows={4}
                    value={form.instructions}
                    onChange={(e) => set({ instructions: e.target.value })}
                  />
                )}
              </Field>
              <fieldset className="tool-choice">
                <legend>Tools</legend>
                <label>
                  <input
                    type="checkbox"
                    checked={form.tools === null}
                    onChange={(e) => set({ tools: e.target.checked ? null : [] })}
                  />{" "}
                  the node's tools
                </label>
                {form.tools !== null &&
                  TOOLS.map((t) => (
                    <label key={t}>
                      <input
                        type="checkbox"
                        checked={form.tools?.includes(t) ?? false}
                        onChange={(e) =>
                          set({
                            tools: e.target.checked
                              ? [...(form.tools ?? []), t]
                              : (form.tools ?? []).filter((x) => x !== t),
                          })
                        }
                      />{" "}
                      <code>{t}</code>
                    </label>
                  ))}
              </fieldset>
              <ErrorNote error={save.error} />
              <div className="actions">
                <button
                  type="submit"
                  className="btn btn-primary"
                  disabled={!form.name.trim() || save.isPending}
                >
                  {editing ? "Save changes" : "Add agent profile"}
                </button>
                {editing && (
                  <Button
                    onClick={() => {
                      setEditing(null);
                      setForm(EMPTY);
                      save.reset();
                    }}
                  >
                    Cancel
                  </Button>
                )}
              </div>
            </SubForm>
          </div>
        )
      }
    />
  );
}
