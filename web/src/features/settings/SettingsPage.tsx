import { useNavigate, useParams } from "react-router";
import { TabPanel, Tabs } from "../../lib/controls";
import { useSession } from "../../lib/session";
import { usePipelines } from "../pipelines/queries";
import { AgentProfiles } from "./AgentProfiles";
import { ApiKeys } from "./ApiKeys";
import { Credentials } from "./Credentials";
import { ModelProfiles } from "./ModelProfiles";
import { TriggersPanel } from "./TriggersPanel";
import { Users } from "./Users";

export function SettingsPage() {
  const { tab = "credentials" } = useParams();
  const navigate = useNavigate();
  const { can } = useSession();
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
