// Settings: credentials, API keys, users, model and agent profiles, schedules and webhooks. Every settings
// query and command of the UI goes through here; each list's key comes from lib/queryKeys.
import { useQuery } from "@tanstack/react-query";
import { api, ok } from "../../api/client";
import type { components } from "../../api/schema";
import type { Role } from "../../api/types";
import { keys } from "../../lib/queryKeys";
import { useCredentials } from "../pipelines/queries";

type S = components["schemas"];

export { useCredentials };

export function useUsers(enabled = true) {
  return useQuery({ queryKey: keys.users, enabled, queryFn: () => ok(api.GET("/api/v1/users")) });
}

export function useApiKeys() {
  return useQuery({ queryKey: keys.apiKeys, queryFn: () => ok(api.GET("/api/v1/keys")) });
}

export function useModels() {
  return useQuery({ queryKey: keys.models, queryFn: () => ok(api.GET("/api/v1/models")) });
}

export function useAgentProfiles() {
  return useQuery({ queryKey: keys.agentProfiles, queryFn: () => ok(api.GET("/api/v1/agent-profiles")) });
}

export function useSchedules(pipeline: string) {
  return useQuery({
    queryKey: keys.pipelines.schedules(pipeline),
    queryFn: () =>
      ok(api.GET("/api/v1/pipelines/{name}/schedules", { params: { path: { name: pipeline } } })),
  });
}

export function useWebhooks(pipeline: string) {
  return useQuery({
    queryKey: keys.pipelines.webhooks(pipeline),
    queryFn: () => ok(api.GET("/api/v1/pipelines/{name}/webhooks", { params: { path: { name: pipeline } } })),
  });
}

const named = (name: string) => ({ params: { path: { name } } });

export const credentials = {
  create: (body: S["CredentialCreate"]) => ok(api.POST("/api/v1/credentials", { body })),
  rotate: (name: string, value: string) =>
    ok(api.PUT("/api/v1/credentials/{name}", { ...named(name), body: { value } })),
  remove: (name: string) => ok(api.DELETE("/api/v1/credentials/{name}", named(name))),
  reencrypt: () => ok(api.POST("/api/v1/credentials/rotate-key")),
  /** Who may use it and where it may go, in one change. */
  setAccess: async (name: string, pipelines: string[], hosts: string[]) => {
    await ok(api.PUT("/api/v1/credentials/{name}/grants", { ...named(name), body: { pipelines } }));
    return ok(
      api.PUT("/api/v1/credentials/{name}/allowed-hosts", { ...named(name), body: { allowed_hosts: hosts } }),
    );
  },
};

export const apiKeys = {
  create: (body: S["KeyCreate"]) => ok(api.POST("/api/v1/keys", { body })),
  revoke: (id: string) => ok(api.DELETE("/api/v1/keys/{key_id}", { params: { path: { key_id: id } } })),
};

export const users = {
  create: (name: string, role: Role) => ok(api.POST("/api/v1/users", { body: { name, role } })),
  update: (name: string, body: { role?: Role; disabled?: boolean }) =>
    ok(api.PATCH("/api/v1/users/{name}", { ...named(name), body })),
};

export const models = {
  create: (body: S["ModelProfileCreate"]) => ok(api.POST("/api/v1/models", { body })),
  test: (name: string) => ok(api.POST("/api/v1/models/{name}/test", named(name))),
  remove: (name: string) => ok(api.DELETE("/api/v1/models/{name}", named(name))),
};

export const agentProfiles = {
  create: (body: S["AgentProfileCreate"]) => ok(api.POST("/api/v1/agent-profiles", { body })),
  update: (name: string, body: S["AgentProfileUpdate"]) =>
    ok(api.PATCH("/api/v1/agent-profiles/{name}", { ...named(name), body })),
  remove: (name: string) => ok(api.DELETE("/api/v1/agent-profiles/{name}", named(name))),
};

export const triggers = {
  createSchedule: (pipeline: string, body: S["ScheduleCreate"]) =>
    ok(api.POST("/api/v1/pipelines/{name}/schedules", { ...named(pipeline), body })),
  enableSchedule: (id: string, enabled: boolean) =>
    ok(
      api.PATCH("/api/v1/schedules/{schedule_id}", {
        params: { path: { schedule_id: id } },
        body: { enabled },
      }),
    ),
  removeSchedule: (id: string) =>
    ok(api.DELETE("/api/v1/schedules/{schedule_id}", { params: { path: { schedule_id: id } } })),
  createWebhook: (pipeline: string, secret: boolean) =>
    ok(api.POST("/api/v1/pipelines/{name}/webhooks", { ...named(pipeline), body: { secret } })),
  removeWebhook: (id: string) =>
    ok(api.DELETE("/api/v1/webhooks/{webhook_id}", { params: { path: { webhook_id: id } } })),
};
