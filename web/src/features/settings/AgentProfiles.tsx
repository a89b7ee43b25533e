// Agent profiles: predefined agents a team member names (`profile: NAME`): instructions, model, temperature
// and tools. Everyone may read them; editors add, change and delete them.
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { api, ok } from "../../api/client";
import { Button, Empty, ErrorNote, Field, Loading, SubForm, useToast } from "../../lib/controls";
import { when } from "../../lib/format";
import { useSession } from "../../lib/session";
import { EMPTY, fromProfile, type ProfileForm, summary, TOOLS, toBody } from "./agentProfile";

export function AgentProfiles() {
  const { can } = useSession();
  const queryClient = useQueryClient();
  const toast = useToast();
  const profiles = useQuery({
    queryKey: ["agent-profiles"],
    queryFn: () => ok(api.GET("/api/v1/agent-profiles")),
  });
  const models = useQuery({ queryKey: ["models"], queryFn: () => ok(api.GET("/api/v1/models")) });
  const [form, setForm] = useState<ProfileForm>(EMPTY);
  const [editing, setEditing] = useState<string | null>(null);
  const refresh = () => queryClient.invalidateQueries({ queryKey: ["agent-profiles"] });
  const save = useMutation({
    mutationFn: () => {
      const { name, ...changes } = toBody(form);
      return editing
        ? ok(
            api.PATCH("/api/v1/agent-profiles/{name}", {
              params: { path: { name: editing } },
              body: changes,
            }),
          )
        : ok(api.POST("/api/v1/agent-profiles", { body: { name, ...changes } }));
    },
    onSuccess: (p) => {
      toast(editing ? `Saved agent profile ${p.name}` : `Added agent profile ${p.name}`);
      setForm(EMPTY);
      setEditing(null);
      void refresh();
    },
  });
  const remove = useMutation({
    mutationFn: (n: string) =>
      ok(api.DELETE("/api/v1/agent-profiles/{name}", { params: { path: { name: n } } })),
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
    <section aria-labelledby="agents-title">
      <h2 id="agents-title">Agent profiles</h2>
      <p className="muted">
        A team member of an agent node names a profile; what the profile leaves empty comes from the node.
      </p>
      <ErrorNote error={profiles.error ?? remove.error} />
      {!profiles.data ? (
        <Loading />
      ) : profiles.data.length === 0 ? (
        <Empty title="No agent profiles yet." />
      ) : (
        <table className="table">
          <thead>
            <tr>
              <th scope="col">Name</th>
              <th scope="col">Description</th>
              <th scope="col">Model</th>
              <th scope="col">Settings</th>
              <th scope="col">Updated</th>
              <th scope="col">
                <span className="sr-only">Actions</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {profiles.data.map((p) => (
              <tr key={p.name} aria-current={editing === p.name || undefined}>
                <td>
                  <code>{p.name}</code>
                </td>
                <td>{p.description ?? "—"}</td>
                <td>{p.model ?? "the node's"}</td>
                <td className="small">{summary(p)}</td>
                <td className="small">{when(p.updated_at)}</td>
                <td className="row-actions">
                  {can("editor") && (
                    <>
                      <Button
                        aria-label={`Edit ${p.name}`}
                        onClick={() => {
                          save.reset();
                          setEditing(p.name);
                          setForm(fromProfile(p));
                          // the form is under a possibly long table: bring it into view
                          requestAnimationFrame(() =>
                            document
                              .getElementById("agent-profile-form")
                              ?.scrollIntoView({ block: "nearest" }),
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
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {can("editor") && (
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
      )}
    </section>
  );
}
