"""Agent pipelines through the real runtime, against a local OpenAI-compatible server (tests/openai_server.py)."""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Any

import pytest
from tests.integration.helpers import fast_settings

from lockgate.runtime.clock import SystemClock
from lockgate.spec.pipeline import PipelineSpec
from lockgate.store import profiles as profile_store
from lockgate.store.database import Database
from lockgate.store.migrate import upgrade

if TYPE_CHECKING:
    from pathlib import Path

    from lockgate.settings import Settings


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Tests against a real model server run only when ``make test-real-llm`` provides one."""
    if os.environ.get("LOCKGATE_REAL_LLM_PYTHON"):
        return
    dropped = [item for item in items if item.get_closest_marker("real_llm") is not None]
    if dropped:
        config.hook.pytest_deselected(items=dropped)
        items[:] = [item for item in items if item.get_closest_marker("real_llm") is None]


PRICES = {"input_price": 1.0, "output_price": 2.0}  # US$ per million tokens: 10 in + 5 out = $0.00002 a request


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture
def settings(tmp_path: Path, database_url: str) -> Settings:
    return fast_settings(tmp_path / "home", database_url)


def add_model(settings: Settings, base_url: str, name: str = "local", **values: Any) -> None:
    """A model profile pointing at the local server, priced as PRICES."""
    db = Database(settings.db_url)
    try:
        upgrade(db)
        with db.write() as conn:
            profile_store.create_model_profile(conn, {"name": name, "provider": "openai_compatible",
                                                      "model_id": "local-model", "base_url": base_url,
                                                      **PRICES, **values}, SystemClock().now())  # fmt: skip
    finally:
        db.dispose()


def agent_pipeline(name: str, config: dict[str, Any], **extra: Any) -> PipelineSpec:
    node = {"id": "write", "kind": "agent", "config": {"model": "local", **config}}
    return PipelineSpec.model_validate({"name": name, "nodes": [node], **extra})
