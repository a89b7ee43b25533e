"""examples/agent_review.yaml over HTTP: an agent drafts, and an editor reviews with a revision, then approves.

The agent continues its own conversation with the editor's feedback; the approved note is published.

The model is a local server speaking OpenAI's chat-completions protocol: the provider's real HTTP path runs.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml
from tests.integration.api.people import API, open_task, wait_run, wait_status
from tests.openai_server import Reply, ToolCall, chat_server, last_user_text

from lockgate.security.api_keys import Role

if TYPE_CHECKING:
    import httpx
    from tests.integration.api.conftest import Server

EXAMPLE = Path(__file__).resolve().parents[3] / "examples" / "agent_review.yaml"
FEEDBACK = "Put the budgets first, please."


def writer(body: dict[str, Any]) -> Reply:
    """Drafts from the notes in the prompt; asked again with feedback, reorders the changes as told."""
    prompt = last_user_text(body)
    if FEEDBACK in prompt:
        summary = "budgets first: budgets, agent steps, replay"
    else:
        changes = [line[2:] for line in prompt.splitlines() if line.startswith("- ")]
        summary = f"{len(changes)} changes: {', '.join(changes)}"
    return Reply(tool_calls=(ToolCall("final_result", {"title": "Lockgate 0.2", "summary": summary}),))


def _load(admin: httpx.Client, base_url: str) -> None:
    model = {"name": "local", "provider": "openai_compatible", "model_id": "m", "base_url": base_url,
             "input_price": 0.5, "output_price": 1.5}  # fmt: skip
    assert admin.post(f"{API}/models", json=model).status_code == 201
    definition = yaml.safe_load(EXAMPLE.read_text())
    for node in definition["nodes"]:
        if node["kind"] == "agent":
            node["config"]["model"] = "local"  # the example's default model comes from the environment
    assert admin.post(f"{API}/pipelines", json=definition).status_code == 201


def test_an_editor_revises_the_agent_draft_and_the_agent_continues_its_conversation(
    admin: httpx.Client, server: Server
) -> None:
    with chat_server(writer) as llm, server.client(Role.EDITOR) as editor, server.client(Role.VIEWER) as viewer:
        _load(admin, llm.base_url)
        run = admin.post(f"{API}/pipelines/agent_review/runs", json={}).json()["id"]
        first = open_task(editor, run, "draft")
        detail = editor.get(f"{API}/tasks/{first['id']}").json()
        assert detail["output"] == {"title": "Lockgate 0.2", "summary": "3 changes: agent steps, budgets, replay"}
        assert viewer.post(f"{API}/tasks/{first['id']}/approve", json={}).status_code == 403
        assert editor.post(f"{API}/tasks/{first['id']}/revise", json={"feedback": FEEDBACK}).status_code == 200
        second = open_task(editor, run, "draft", not_in={first["id"]})
        revised = editor.get(f"{API}/tasks/{second['id']}").json()
        assert revised["output"]["summary"] == "budgets first: budgets, agent steps, replay"
        assert wait_status(admin, run, {"running"})["status"] == "running"  # waiting on a person, not finished
        assert editor.post(f"{API}/tasks/{second['id']}/approve", json={}).status_code == 200
        done = wait_run(admin, run)
        assert llm.count == 2  # one request per attempt: the revision did not start over from nothing
        revision_request = llm.requests[1]
    assert done["output"] == {
        "publish": {"title": "Lockgate 0.2", "summary": "budgets first: budgets, agent steps, replay"}
    }
    # The second request carries the first conversation (the prompt with the notes, the first answer) and
    # then the feedback as the newest user message.
    texts = [str(m.get("content") or "") for m in revision_request["messages"]]
    assert any("- budgets" in t for t in texts[:-1]), "the first prompt, with its context, is in the conversation"
    assert any(m.get("tool_calls") for m in revision_request["messages"]), "the first answer is in it"
    assert FEEDBACK in last_user_text(revision_request)
    conversation = admin.get(f"{API}/runs/{run}/steps/draft/conversation").json()
    assert [a["attempt"] for a in conversation["attempts"]] == [1, 2]
    costs = admin.get(f"{API}/runs/{run}/costs").json()
    assert costs["totals"]["requests"] == 2 and costs["totals"]["cost"] > 0
    answers = [i["action"] for i in admin.get(f"{API}/runs/{run}/interactions").json()]
    assert answers == ["revise", "approve"]
