import { Link, useNavigate, useParams } from "react-router";
import { TabPanel, Tabs } from "../../lib/controls";
import { useSession } from "../../lib/session";
import { usePipelines } from "../pipelines/queries";
import { AgentProfiles } from "./AgentProfiles";
import { ApiKeys } from "./ApiKeys";
import { Credentials } from "./Credentials";
import { ModelProfiles } from "./ModelProfiles";
import { TriggersPanel } from "./TriggersPanel";
import { Users } from "./Users";

/** Every settings tab and the role it needs. */
const TAB_ROLES = {
  credentials: "editor",
  keys: "admin",
  users: "admin",
  models: "viewer",
  agents: "viewer",
  triggers: "viewer",
} as const;

export function SettingsPage() {
  const { can } = useSession();
  const { tab = can("editor") ? "credentials" : "models" } = useParams();
  const navigate = useNavigate();
  const pipelines = usePipelines("");
  const tabs = [
    ...(can("editor") ? [{ id: "credentials", label: "Credentials" }] : []),
    ...(can("admin")
      ? [
          { id: "keys", label: "API keys" },
          { id: "users", label: "Users & roles" },
        ]
      : []),
    { id: "models", label: "Model profiles" },
    { id: "agents", label: "Agent profiles" },
    { id: "triggers", label: "Schedules & webhooks" },
  ];
  const active = tabs.some((t) => t.id === tab) ? tab : (tabs[0]?.id ?? "triggers");
  if (!(tab in TAB_ROLES) || !can(TAB_ROLES[tab as keyof typeof TAB_ROLES])) {
    // an unknown tab (or one the role may not open) says so, instead of showing another tab under its address
    const known = tab in TAB_ROLES;
    return (
      <main className="page" aria-labelledby="settings-title">
        <h1 id="settings-title">{known ? "Not allowed" : "No such settings page"}</h1>
        <p>
          {known
            ? `Settings “${tab}” needs the ${TAB_ROLES[tab as keyof typeof TAB_ROLES]} role.`
            : `There is no settings page “${tab}”.`}{" "}
          The settings are:
        </p>
        <ul>
          {tabs.map((t) => (
            <li key={t.id}>
              <Link to={`/settings/${t.id}`}>{t.label}</Link>
            </li>
          ))}
        </ul>
      </main>
    );
  }
  return (
    <main className="page" aria-labelledby="settings-title">
      <header className="page-head">
        <h1 id="settings-title">Settings</h1>
      </header>
      <Tabs label="Settings" tabs={tabs} active={active} onChange={(t) => navigate(`/settings/${t}`)} />
      <TabPanel id={active}>
        {active === "credentials" && <Credentials />}
        {active === "keys" && <ApiKeys />}
        {active === "users" && <Users />}
        {active === "models" && <ModelProfiles />}
        {active === "agents" && <AgentProfiles />}
        {active === "triggers" &&
          (pipelines.data?.items ?? []).map((p) => (
            <section key={p.name} className="trigger-group">
              <h2>{p.name}</h2>
              <TriggersPanel pipeline={p.name} />
            </section>
          ))}
      </TabPanel>
    </main>
  );
}
