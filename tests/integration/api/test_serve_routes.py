"""``lockgate serve`` is ready before its resource routers are built: a request made at once still finds them."""

from __future__ import annotations

from typing import TYPE_CHECKING

from lockgate.api.app import create_app
from lockgate.settings import Settings

if TYPE_CHECKING:
    from pathlib import Path

    from tests.integration.served import Served


def test_the_first_requests_after_ready_find_every_route(served: Served, tmp_path: Path) -> None:
    served.start()  # returns at the first /ready 200
    with served.client("admin") as client:
        listed = client.get("/api/v1/runs")
        document = client.get("/api/v1/openapi.json")
        missing = client.get("/api/v1/no-such-resource")
    assert listed.status_code == 200, listed.text
    assert listed.json()["total"] == 0  # a real answer, not a 404 of a route not there yet
    eager = create_app(Settings(home=tmp_path / "other")).openapi()  # the app tests build, every router at once
    assert sorted(document.json()["paths"]) == sorted(eager["paths"])
    assert missing.status_code == 404
