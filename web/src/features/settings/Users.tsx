// Users and their roles: viewer < operator < editor < admin.
import { useMutation, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import type { Role } from "../../api/types";
import { Button, ErrorNote, Field, SubForm } from "../../lib/controls";
import { when } from "../../lib/format";
import { keys } from "../../lib/queryKeys";
import { users, useUsers } from "./queries";
import { ResourceTable } from "./ResourceTable";

const ROLES: Role[] = ["viewer", "operator", "editor", "admin"];

export function Users() {
  const queryClient = useQueryClient();
  const list = useUsers();
  const [name, setName] = useState("");
  const [role, setRole] = useState<Role>("viewer");
  const refresh = () => queryClient.invalidateQueries({ queryKey: keys.users });
  const create = useMutation({
    mutationFn: () => users.create(name, role),
    onSuccess: () => {
      setName("");
      void refresh();
    },
  });
  const update = useMutation({
    mutationFn: ({ n, body }: { n: string; body: { role?: Role; disabled?: boolean } }) =>
      users.update(n, body),
    onSuccess: () => void refresh(),
  });
  return (
    <ResourceTable
      title="Users and roles"
      intro="viewer: read · operator: run and answer · editor: define · admin: users, keys, credentials."
      rows={list.data}
      error={list.error}
      actionErrors={[update.error]}
      rowKey={(u) => u.id}
      columns={[
        { header: "User", cell: (u) => u.name },
        {
          header: "Role",
          cell: (u) => (
            <select
              aria-label={`Role of ${u.name}`}
              value={u.role}
              onChange={(e) => update.mutate({ n: u.name, body: { role: e.target.value as Role } })}
            >
              {ROLES.map((r) => (
                <option key={r}>{r}</option>
              ))}
            </select>
          ),
        },
        { header: "Since", cell: (u) => when(u.created_at) },
        {
          header: "State",
          cell: (u) => (
            <>
              <Button onClick={() => update.mutate({ n: u.name, body: { disabled: !u.disabled_at } })}>
                {u.disabled_at ? "Enable" : "Disable"}
              </Button>{" "}
              {u.disabled_at && <span className="muted">disabled</span>}
            </>
          ),
        },
      ]}
      create={
        <SubForm title="New user" onSubmit={() => create.mutate()}>
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
        </SubForm>
      }
    />
  );
}
