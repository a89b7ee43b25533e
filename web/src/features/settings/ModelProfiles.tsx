// Model profiles: which provider and model an agent step uses by name, its credential (by name) and prices.
import { useMutation, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import type { components } from "../../api/schema";
import { Button, ErrorNote, Field, SubForm, useToast } from "../../lib/controls";
import { keys } from "../../lib/queryKeys";
import { useSession } from "../../lib/session";
import { serverSummary } from "./modelProfile";
import { models as modelCommands, useCredentials, useModels } from "./queries";
import { ResourceTable } from "./ResourceTable";

type Provider = components["schemas"]["Provider"];
const PROVIDERS: Provider[] = ["openai", "anthropic", "openai_compatible"];

export function ModelProfiles() {
  const { can } = useSession();
  const queryClient = useQueryClient();
  const toast = useToast();
  const models = useModels();
  const credentials = useCredentials(can("editor"));
  const [name, setName] = useState("");
  const [provider, setProvider] = useState<Provider>("openai_compatible");
  const [modelId, setModelId] = useState("");
  const [baseUrl, setBaseUrl] = useState("");
  const [credential, setCredential] = useState("");
  const [inputPrice, setInputPrice] = useState("0");
  const [outputPrice, setOutputPrice] = useState("0");
  const refresh = () => queryClient.invalidateQueries({ queryKey: keys.models });
  const create = useMutation({
    mutationFn: () =>
      modelCommands.create({
        name,
        provider,
        model_id: modelId,
        base_url: baseUrl || null,
        credential: credential || null,
        input_price: Number(inputPrice) || 0,
        output_price: Number(outputPrice) || 0,
      }),
    onSuccess: (m) => {
      toast(`Added model profile ${m.name}`);
      setName("");
      setModelId("");
      void refresh();
    },
  });
  const test = useMutation({
    mutationFn: (n: string) => modelCommands.test(n),
    onSuccess: (m) => {
      toast(`Tested ${m.name}: ${serverSummary(m)}`);
      void refresh();
    },
  });
  const remove = useMutation({
    mutationFn: (n: string) => modelCommands.remove(n),
    onSuccess: () => void refresh(),
  });
  return (
    <ResourceTable
      title="Model profiles"
      intro="An agent node names a profile; its key comes from a credential, never shown here."
      rows={models.data}
      error={models.error}
      actionErrors={[remove.error, test.error]}
      rowKey={(m) => m.name}
      empty="No model profiles yet."
      columns={[
        { header: "Name", cell: (m) => <code>{m.name}</code> },
        { header: "Provider", cell: (m) => m.provider },
        { header: "Model", cell: (m) => m.model_id },
        { header: "Base URL", cell: (m) => m.base_url ?? "—", className: "small" },
        { header: "Credential", cell: (m) => m.credential ?? "—" },
        { header: "Price in / out (per 1M tokens)", cell: (m) => `$${m.input_price} / $${m.output_price}` },
        {
          header: "Server",
          className: "small",
          cell: (m) => <span title={(m.probe?.notes ?? []).join("\n")}>{serverSummary(m)}</span>,
        },
      ]}
      actions={(m) =>
        can("admin") && (
          <>
            <Button disabled={test.isPending} onClick={() => test.mutate(m.name)}>
              {test.isPending && test.variables === m.name ? "Testing…" : "Test server"}
            </Button>
            <Button
              variant="danger"
              onClick={() => window.confirm(`Delete ${m.name}?`) && remove.mutate(m.name)}
            >
              Delete
            </Button>
          </>
        )
      }
      create={
        can("admin") && (
          <SubForm title="New model profile" onSubmit={() => create.mutate()}>
            <Field label="Name">
              {(p) => (
                <input {...p} type="text" value={name} onChange={(e) => setName(e.target.value)} required />
              )}
            </Field>
            <Field label="Provider">
              {(p) => (
                <select {...p} value={provider} onChange={(e) => setProvider(e.target.value as Provider)}>
                  {PROVIDERS.map((x) => (
                    <option key={x}>{x}</option>
                  ))}
                </select>
              )}
            </Field>
            <Field label="Model id" hint="e.g. gpt-4o-mini, claude-sonnet-4, llama3.1">
              {(p) => (
                <input
                  {...p}
                  type="text"
                  value={modelId}
                  onChange={(e) => setModelId(e.target.value)}
                  required
                />
              )}
            </Field>
            <Field label="Base URL" hint="for an OpenAI-compatible server, e.g. http://127.0.0.1:11434/v1">
              {(p) => (
                <input {...p} type="text" value={baseUrl} onChange={(e) => setBaseUrl(e.target.value)} />
              )}
            </Field>
            <Field label="Credential" hint="the API key, by credential name">
              {(p) => (
                <select {...p} value={credential} onChange={(e) => setCredential(e.target.value)}>
                  <option value="">— none</option>
                  {(credentials.data ?? []).map((c) => (
                    <option key={c.name}>{c.name}</option>
                  ))}
                </select>
              )}
            </Field>
            <div className="row">
              <Field label="Input price ($ per 1M tokens)">
                {(p) => (
                  <input
                    {...p}
                    type="number"
                    step="any"
                    min={0}
                    value={inputPrice}
                    onChange={(e) => setInputPrice(e.target.value)}
                  />
                )}
              </Field>
              <Field label="Output price ($ per 1M tokens)">
                {(p) => (
                  <input
                    {...p}
                    type="number"
                    step="any"
                    min={0}
                    value={outputPrice}
                    onChange={(e) => setOutputPrice(e.target.value)}
                  />
                )}
              </Field>
            </div>
            <ErrorNote error={create.error} />
            <button
              type="submit"
              className="btn btn-primary"
              disabled={!name || !modelId || create.isPending}
            >
              Add model profile
            </button>
          </SubForm>
        )
      }
    />
  );
}
