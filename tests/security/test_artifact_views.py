"""Files a step wrote are shown to reviewers: opened on their own, none of them runs script on the server's origin.

A script writes an SVG and an HTML page that carry scripts. The preview (an image, shown inline by the review
page) and the download come with a policy that runs nothing and a type the browser may not second-guess;
an HTML page is only ever an attachment.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from tests.security.hostile import API

if TYPE_CHECKING:
    from collections.abc import Callable

    import httpx
    from tests.security.hostile import Hostile

SVG = (
    '<svg xmlns="http://www.w3.org/2000/svg"><script>alert(document.domain)</script><rect width="9" height="9"/></svg>'
)
HTML = "<html><body><script>fetch('/api/v1/credentials')</script></body></html>"
PLANT = f"""
from pathlib import Path
Path("chart.svg").write_text({SVG!r})
Path("page.html").write_text({HTML!r})
output = {{}}
"""


def _assert_inert(response: httpx.Response) -> None:
    policy = response.headers["content-security-policy"]
    assert "default-src 'none'" in policy
    assert "sandbox" in policy  # a unique origin, no script, even where the policy's sources were allowed
    assert "script-src" not in policy
    assert response.headers["x-content-type-options"] == "nosniff"


def test_an_svg_and_an_html_page_run_nothing_when_opened(hostile_factory: Callable[..., Hostile]) -> None:
    hostile = hostile_factory(sandbox="none")
    run = hostile.save_and_run(
        {"name": "plant", "nodes": [{"id": "plant", "kind": "script", "config": {"code": PLANT}}]}
    )
    assert run["status"] == "succeeded", run
    with hostile.client("viewer") as client:
        artifacts = {a["name"]: a for a in client.get(f"{API}/runs/{run['id']}/artifacts").json()}
        svg, html = artifacts["chart.svg"], artifacts["page.html"]

        preview = client.get(f"{API}/artifacts/{svg['id']}/preview")
        assert preview.status_code == 200
        assert preview.headers["content-type"].startswith("image/svg+xml")
        _assert_inert(preview)
        download = client.get(f"{API}/artifacts/{svg['id']}/content")
        assert download.headers["content-disposition"].startswith("attachment")
        _assert_inert(download)

        page = client.get(f"{API}/artifacts/{html['id']}/content")
        assert page.status_code == 200
        assert page.headers["content-disposition"].startswith("attachment")
        _assert_inert(page)
        assert client.get(f"{API}/artifacts/{html['id']}/preview").json()["kind"] == "text"  # shown as text
