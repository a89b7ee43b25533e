"""Agents over HTTP, against a local OpenAI-compatible server.

Model and agent profiles, validation naming the missing model, conversations, costs, replay, and tokens on
the live stream.
"""

from __future__ import annotations

import json
import re
import threading
from typing import TYPE_CHECKING, Any

import httpx
from tests.integration.api.test_runs import TERMINAL, wait_for
from tests.openai_server import MODES, Reply, ToolCall, chat_server, last_user_text, model_like, tool_results

from lockgate.security.api_keys import Role

if TYPE_CHECKING:
    from tests.integration.api.conftest import Server

API = "/api/v1"


def reviewer(body: dict[str, Any]) -> Reply:
    """Reads nothing, calls the write tool once, then answers in the schema (streamed or not)."""
    if not tool_results(body):
        return Reply(tool_calls=(ToolCall("write_artifact", {"name": "review.md", "content": "ok"}),))
    if any(t["function"]["name"] == "final_result" for t in body.get("tools", [])):
        return Reply(tool_calls=(ToolCall("final_result", {"verdict": f"fine: {last_user_text(body)[:20]}"}),))
    return Reply(text="All good.", prompt_tokens=100, completion_tokens=20)


def _pipeline(model: str | None = "local") -> dict[str, Any]:
    config: dict[str, Any] = {"prompt": "Review {{ input.doc }}", "tools": ["write_artifact"]}
    if model is not None:
        config["model"] = model
    return {"name": "review", "input": {"doc": {"type": "string"}}, "nodes": [{"id": "check", "kind": "agent",
                                                                               "config": config}]}  # fmt: skip


def test_model_profiles_are_managed_and_never_show_a_credential_value(admin: httpx.Client, server: Server) -> None:
    body = {"name": "local", "provider": "openai_compatible", "model_id": "m", "base_url": "http://127.0.0.1:9/v1",
            "credential": "llm_key", "input_price": 0.15, "output_price": 0.6, "max_tokens": 512}  # fmt: skip
    created = admin.post(f"{API}/models", json=body)
    assert created.status_code == 201, created.text
    assert created.json()["credential"] == "llm_key" and created.json()["input_price"] == 0.15
    assert admin.post(f"{API}/models", json=body).status_code == 409
    bad = admin.post(f"{API}/models", json={**body, "name": "x", "provider": "cohere"})
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "body.provider"
    patched = admin.patch(f"{API}/models/local", json={"output_price": 0.8, "base_url": None})
    assert patched.json()["output_price"] == 0.8 and patched.json()["base_url"] is None
    assert patched.json()["input_price"] == 0.15  # absent fields stay
    with server.client(Role.VIEWER) as viewer:
        assert [m["name"] for m in viewer.get(f"{API}/models").json()] == ["local"]
        assert viewer.post(f"{API}/models", json={**body, "name": "other"}).status_code == 403
    assert admin.delete(f"{API}/models/local").status_code == 204
    assert admin.get(f"{API}/models/local").status_code == 404


def test_a_model_profile_is_probed_by_an_admin_and_its_findings_drive_agent_steps(
    admin: httpx.Client, server: Server
) -> None:
    with chat_server(model_like, MODES["llama"]) as llm:
        model = {"name": "local", "provider": "openai_compatible", "model_id": "m", "base_url": llm.base_url}
        assert admin.post(f"{API}/models", json=model).status_code == 201
        with server.client(Role.EDITOR) as editor:
            assert editor.post(f"{API}/models/local/test").status_code == 403
        assert admin.post(f"{API}/models/nowhere/test").status_code == 404
        probed = admin.post(f"{API}/models/local/test")
        assert probed.status_code == 200, probed.text
        profile = probed.json()
        assert (profile["stream_usage"], profile["cap_field"], profile["output_mode"], profile["max_concurrency"]) == (
            False, "max_tokens", "named_tool", 1)  # fmt: skip
        assert profile["probe"]["requests"] == llm.count and profile["probe"]["tool_choice_named"] is True
        assert admin.post(f"{API}/pipelines", json=_pipeline()).status_code == 201
        run = admin.post(f"{API}/pipelines/review/runs", json={"input": {"doc": "the plan"}}).json()
        assert wait_for(admin, run["id"], TERMINAL)["status"] == "succeeded"
    costs = admin.get(f"{API}/runs/review/v1/costs").json()["totals"]
    assert costs["estimated"] == costs["requests"] >= 1 and costs["output_tokens"] > 0
    [attempt] = admin.get(f"{API}/runs/review/v1/steps/check/conversation").json()["attempts"]
    assert attempt["turns"][0]["estimated"] is True and attempt["totals"]["estimated"] == 1
    bad = admin.patch(f"{API}/models/local", json={"cap_field": "max_length", "max_concurrency": 0})
    assert bad.status_code == 422
    assert {e["field"] for e in bad.json()["errors"]} == {"body.cap_field", "body.max_concurrency"}


def test_an_unreachable_model_server_is_a_503_naming_it(admin: httpx.Client) -> None:
    model = {"name": "gone", "provider": "openai_compatible", "model_id": "m", "base_url": "http://127.0.0.1:9/v1"}
    assert admin.post(f"{API}/models", json=model).status_code == 201
    probed = admin.post(f"{API}/models/gone/test")
    assert probed.status_code == 503 and "http://127.0.0.1:9/v1 could not be probed" in probed.text
    assert admin.patch(f"{API}/models/gone", json={"base_url": "http://[::1"}).status_code == 200
    probed = admin.post(f"{API}/models/gone/test")
    assert probed.status_code == 503 and "InvalidURL" in probed.text


def test_validation_and_run_creation_name_the_missing_model(admin: httpx.Client) -> None:
    response = admin.post(f"{API}/pipelines/validate", json=_pipeline())
    assert response.status_code == 422
    [error] = response.json()["errors"]
    assert (error["node_id"], error["field"]) == ("check", "config.model")
    assert "no model profile named 'local'" in error["message"]
    unnamed = admin.post(f"{API}/pipelines/validate", json=_pipeline(model=None)).json()
    assert "LOCKGATE_MODEL is not set" in unnamed["errors"][0]["message"]
    assert admin.post(f"{API}/pipelines", json=_pipeline()).status_code == 201  # saving is allowed: configure later
    refused = admin.post(f"{API}/pipelines/review/runs", json={"input": {"doc": "a"}})
    assert refused.status_code == 422 and refused.json()["errors"][0]["field"] == "config.model"
    assert admin.get(f"{API}/runs").json()["items"] == []


def _sse_deltas(server: Server, ready: threading.Event, out: list[dict[str, Any]]) -> None:
    """Every run's live stream, from before the run starts until its agent step succeeded (deltas are live only)."""
    with server.client(Role.VIEWER) as viewer, viewer.stream("GET", f"{API}/events/stream") as stream:
        ready.set()
        event = ""
        for line in stream.iter_lines():
            if line.startswith("event: "):
                event = line.removeprefix("event: ")
            elif line.startswith("data: ") and event == "agent_delta":
                out.append(json.loads(line.removeprefix("data: ")))
            elif line.startswith("data: ") and event == "step_succeeded":
                return


def test_an_agent_run_shows_its_conversation_costs_and_replays(admin: httpx.Client, server: Server) -> None:
    with chat_server(reviewer) as llm:
        model = {"name": "local", "provider": "openai_compatible", "model_id": "m", "base_url": llm.base_url,
                 "input_price": 1.0, "output_price": 2.0}  # fmt: skip
        assert admin.post(f"{API}/models", json=model).status_code == 201
        assert admin.post(f"{API}/pipelines", json=_pipeline()).status_code == 201
        deltas: list[dict[str, Any]] = []
        ready = threading.Event()
        watcher = threading.Thread(target=_sse_deltas, args=(server, ready, deltas), daemon=True)
        watcher.start()
        assert ready.wait(10)
        run = admin.post(f"{API}/pipelines/review/runs", json={"input": {"doc": "the plan"}}).json()
        done = wait_for(admin, run["id"], TERMINAL)
        assert done["status"] == "succeeded", done
        assert done["steps"][0]["output"] == "All good."
        watcher.join(timeout=30)
        replay = admin.post(
            f"{API}/pipelines/review/runs", json={"input": {"doc": "the plan"}, "replay_from": "review/v1"}
        )
        assert replay.status_code == 201, replay.text
        assert wait_for(admin, replay.json()["id"], TERMINAL)["steps"][0]["output"] == "All good."
        assert llm.count == 2
    conversation = admin.get(f"{API}/runs/review/v1/steps/check/conversation").json()
    [attempt] = conversation["attempts"]
    [turn] = attempt["turns"]
    assert (turn["member"], turn["role"], turn["requests"], turn["tool_calls"]) == ("agent", "agent", 2, 1)
    kinds = [part["part_kind"] for message in turn["messages"] for part in message["parts"]]
    assert kinds == ["user-prompt", "tool-call", "tool-return", "text"]
    costs = admin.get(f"{API}/runs/review/v1/costs").json()
    assert costs["totals"] == {"input_tokens": 110, "output_tokens": 25, "requests": 2, "replayed": 0,
                               "estimated": 0, "cost": costs["totals"]["cost"]}  # fmt: skip
    assert abs(costs["totals"]["cost"] - (110 * 1.0 + 25 * 2.0) / 1e6) < 1e-12
    assert costs["steps"][0]["attempts"][0]["attempt"] == 1
    replayed = admin.get(f"{API}/runs/review/v2/costs").json()["totals"]
    assert (replayed["requests"], replayed["replayed"], replayed["cost"]) == (2, 2, 0.0)
    pipeline = admin.get(f"{API}/pipelines/review/costs").json()
    assert [r["number"] for r in pipeline["runs"]] == [1]  # the replay spent nothing
    metrics = httpx.get(f"{server.base_url}/metrics").text
    assert 'lockgate_agent_tokens{direction="input",model="local",pipeline="review"} 110.0' in metrics
    assert 'lockgate_agent_requests{model="local",pipeline="review"} 2.0' in metrics
    cost = re.search(r'lockgate_agent_cost_usd\{model="local",pipeline="review"\} (\S+)', metrics)
    assert cost is not None and abs(float(cost.group(1)) - 0.00016) < 1e-12
    assert "".join(d["text"] for d in deltas) == "All good."
    assert all(d["type"] == "agent_delta" and d["member"] == "agent" for d in deltas)


def test_replay_from_a_run_of_another_pipeline_is_refused(admin: httpx.Client) -> None:
    assert (
        admin.post(f"{API}/pipelines", json={"name": "other", "nodes": [{"id": "n", "kind": "noop"}]}).status_code
        == 201
    )
    first = admin.post(f"{API}/pipelines/other/runs", json={}).json()
    wait_for(admin, first["id"], TERMINAL)
    assert (
        admin.post(f"{API}/pipelines", json={"name": "second", "nodes": [{"id": "n", "kind": "noop"}]}).status_code
        == 201
    )
    refused = admin.post(f"{API}/pipelines/second/runs", json={"replay_from": "other/v1"})
    assert refused.status_code == 422 and "is a run of 'other'" in refused.json()["errors"][0]["message"]
