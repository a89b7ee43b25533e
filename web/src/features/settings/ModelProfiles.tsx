// Model profiles: which provider and model an agent step uses by name, its credential (by name) and prices.
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { api, ok } from "../../api/client";
import type { components } from "../../api/schema";
import { Button, Empty, ErrorNote, Field, Loading, SubForm, useToast } from "../../lib/controls";
import { useSession } from "../../lib/session";
import { serverSummary } from "./modelProfile";

type Provider = components["schemas"]["Provider"];
const PROVIDERS: Provider[] = ["openai", "anthropic", "openai_compatible"];

export function ModelProfiles() {
  const { can } = useSession();
  const queryClient = useQueryClient();
  const toast = useToast();
  const models = useQuery({ queryKey: ["models"], queryFn: () => ok(api.GET("/api/v1/models")) });
  const credentials = useQuery({
    queryKey: ["credentials"],
    enabled: can("editor"),
    queryFn: () => ok(api.GET("/api/v1/credentials")),
  });
  const [name, setName] = useState("");
  const [provider, setProvider] = useState<Provider>("openai_compatible");
  const [modelId, setModelId] = useState("");
  const [baseUrl, setBaseUrl] = useState("");
  const [credential, setCredential] = useState("");
  const [inputPrice, setInputPrice] = useState("0");
  const [outputPrice, setOutputPrice] = useState("0");
  const refresh = () => queryClient.invalidateQueries({ queryKey: ["models"] });
  const create = useMutation({
    mutationFn: () =>
      ok(
        api.POST("/api/v1/models", {
          body: {
            name,
            provider,
            model_id: modelId,
            base_url: baseUrl || null,
            credential: credential || null,
            input_price: Number(inputPrice) || 0,
            output_price: Number(outputPrice) || 0,
          },
        }),
      ),
    onSuccess: (m) => {
      toast(`Added model profile ${m.name}`);
      setName("");
      setModelId("");
      void refresh();
    },
  });
  const test = useMutation({
    mutationFn: (n: string) => ok(api.POST("/api/v1/models/{name}/test", { params: { path: { name: n } } })),
    onSuccess: (m) => {
      toast(`Tested ${m.name}: ${serverSummary(m)}`);
      void refresh();
    },
  });
  const remove = useMutation({
    mutationFn: (n: string) => ok(api.DELETE("/api/v1/models/{name}", { params: { path: { name: n } } })),
    onSuccess: () => void refresh(),
  });
  return (
    <section aria-labelledby="models-title">
      <h2 id="models-title">Model profiles</h2>
      <p className="muted">
        An agent node names a profile; its key comes from a credential, never shown here.
      </p>
      <ErrorNote error={models.error ?? remove.error ?? test.error} />
      {!models.data ? (
        <Loading />
      ) : models.data.length === 0 ? (
        <Empty title="No model profiles yet." />
      ) : (
        <table className="table">
          <thead>
            <tr>
              <th scope="col">Name</th>
              <th scope="col">Provider</th>
              <th scope="col">Model</th>
              <th scope="col">Base URL</th>
              <th scope="col">Credential</th>
              <th scope="col">Price in / out (per 1M tokens)</th>
              <th scope="col">Server</th>
              <th scope="col">
                <span className="sr-only">Actions</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {models.data.map((m) => (
              <tr key={m.name}>
                <td>
                  <code>{m.name}</code>
                </td>
                <td>{m.provider}</td>
                <td>{m.model_id}</td>
                <td className="small">{m.base_url ?? "—"}</td>
                <td>{m.credential ?? "—"}</td>
                <td>
                  ${m.input_price} / ${m.output_price}
                </td>
                <td className="small" title={(m.probe?.notes ?? []).join("\n")}>
                  {serverSummary(m)}
                </td>
                <td>
                  {can("admin") && (
                    <Button disabled={test.isPending} onClick={() => test.mutate(m.name)}>
                      {test.isPending && test.variables === m.name ? "Testing…" : "Test server"}
                    </Button>
                  )}{" "}
                  {can("admin") && (
                    <Button
                      variant="danger"
                      onClick={() => window.confirm(`Delete ${m.name}?`) && remove.mutate(m.name)}
                    >
                      Delete
                    </Button>
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {can("admin") && (
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
            {(p) => <input {...p} type="text" value={baseUrl} onChange={(e) => setBaseUrl(e.target.value)} />}
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
          <button type="submit" className="btn btn-primary" disabled={!name || !modelId || create.isPending}>
            Add model profile
          </button>
        </SubForm>
      )}
    </section>
  );
}
