// Users and their roles: viewer < operator < editor < admin.
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { api, ok } from "../../api/client";
import type { Role } from "../../api/types";
import { Button, ErrorNote, Field, Loading, SubForm } from "../../lib/controls";
import { when } from "../../lib/format";

const ROLES: Role[] = ["viewer", "operator", "editor", "admin"];

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
    </section>
  );
}
