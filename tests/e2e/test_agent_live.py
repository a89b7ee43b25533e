"""An agent's tokens in the run view as the model writes them, then its recorded conversation.

The model is a local server speaking OpenAI's protocol that streams its answer slowly, so that the page can be
seen showing part of the text before the step ends.
"""

from __future__ import annotations

import re
import threading
from typing import TYPE_CHECKING

import pytest
from playwright.sync_api import expect
from tests.e2e.browser import shot, sign_in
from tests.openai_server import Reply, chat_server

from lockgate.security.api_keys import Role

if TYPE_CHECKING:
    from playwright.sync_api import Page
    from tests.e2e.browser import LiveServer

TEXT = "Durable pipelines keep every step, and people approve what agents write."


@pytest.mark.timeout(120)
def test_a_running_agent_streams_its_text_into_the_conversation(page: Page, live_server: LiveServer) -> None:
    watching = threading.Event()

    def respond(_: object) -> Reply:
        # tokens are live only (never replayed): the model starts once the page is watching, or the test races it
        watching.wait(timeout=60)
        return Reply(text=TEXT, chunk=6, pause=0.3)  # 13 chunks: about 4 s

    with chat_server(respond) as llm:
        with live_server.client() as api:
            model = {"name": "local", "provider": "openai_compatible", "model_id": "m", "base_url": llm.base_url}
            assert api.post("/api/v1/models", json=model).status_code == 201
            agent = {"id": "write", "kind": "agent", "config": {"prompt": "One line on pipelines", "model": "local"}}
            spec = {"name": "writer", "nodes": [agent]}
            assert api.post("/api/v1/pipelines", json=spec).status_code == 201
            run = api.post("/api/v1/pipelines/writer/runs", json={}).json()
        sign_in(page, live_server, Role.VIEWER, f"/runs/{run['id']}")
        page.locator('[data-step="write"]').click()
        page.locator(".step-panel").get_by_role("tab", name="Conversation").click()
        watching.set()
        live = page.get_by_role("region", name="Live output of attempt 1")
        expect(live).to_contain_text("Durable pipelines", timeout=20_000)
        so_far = live.locator(".live-text[data-member]").inner_text()
        assert TEXT.startswith(so_far) and len(so_far) < len(TEXT), so_far  # part of it, in order, while it runs
        shot(page, "25-agent-live-tokens")

        expect(page.locator("h1 [data-status]")).to_have_text("succeeded", timeout=30_000)
        expect(live).to_have_count(0)  # the live text gives way to the recorded conversation
        recorded = page.get_by_role("region", name="Attempt 1")
        expect(recorded).to_contain_text(TEXT)
        expect(recorded).to_contain_text(re.compile(r"\d+ tokens"))
        assert llm.count == 1
