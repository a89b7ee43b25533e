"""Flow control through the API: a queued run says why it waits, a refused one is a 409 naming the limit."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from lockgate.security.api_keys import Role

if TYPE_CHECKING:
    import httpx
    from tests.integration.api.conftest import Server


def _pipeline(name: str, policy: str) -> dict[str, Any]:
    return {
        "name": name,
        "input": {"customer": {"type": "string", "required": True}},
        "concurrency": {"max_runs": 1, "key": "{{ input.customer }}", "policy": policy},
        "nodes": [{"id": "ask", "kind": "human", "config": {}}],  # waits for a person: holds its slot
    }


def test_queued_and_refused_runs_say_why(server: Server, admin: httpx.Client) -> None:
    for name, policy in (("lined-up", "queue"), ("one-only", "cancel_newest")):
        assert admin.post("/api/v1/pipelines", json=_pipeline(name, policy)).status_code in {200, 201}
    with server.client(Role.OPERATOR) as operator:
        first = operator.post("/api/v1/pipelines/lined-up/runs", json={"input": {"customer": "acme"}}).json()
        second = operator.post("/api/v1/pipelines/lined-up/runs", json={"input": {"customer": "acme"}}).json()
        assert (first["status"], first["wait_reason"]) == ("running", None)
        reason = "waiting: 1 run of pipeline lined-up with key acme is running (max_runs 1)"
        assert (second["status"], second["wait_reason"]) == ("queued", reason)
        assert operator.get(f"/api/v1/runs/{second['id']}").json()["wait_reason"] == reason
        listed = operator.get("/api/v1/runs", params={"status": "queued"}).json()["items"]
        assert [r["id"] for r in listed] == [second["id"]]

        assert operator.post("/api/v1/pipelines/one-only/runs", json={"input": {"customer": "acme"}}).status_code == 201
        refused = operator.post("/api/v1/pipelines/one-only/runs", json={"input": {"customer": "acme"}})
        assert refused.status_code == 409
        assert "cancel_newest" in refused.text and "1 run of pipeline one-only with key acme" in refused.text

        bad = _pipeline("bad-key", "queue") | {"concurrency": {"max_runs": 1, "key": "{{ nodes.ask.output }}"}}
        invalid = admin.post("/api/v1/pipelines", json=bad)
        assert invalid.status_code == 422 and "concurrency.key" in invalid.text
