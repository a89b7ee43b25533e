"""``lockgate apply FILE`` against ``lockgate serve``: versions made only for changed content, the diff shown.

Real processes (the server and each CLI call); the server starts with examples/editorial.yaml stored as v1.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tests.integration.helpers import cli, cli_env, write_pipeline

if TYPE_CHECKING:
    import httpx
    from tests.integration.served import Served

ROOT = Path(__file__).resolve().parents[2]
API = "/api/v1"

FIRST = """\
from lockgate import Pipeline

pipe = Pipeline("invoice", description="Bill an order.", input={"order_id": str})
fetch = pipe.transform("fetch", value={"order_id": pipe.input["order_id"], "total": 42})
total = pipe.transform("total", value=fetch.output["total"])
"""

# fetch's value changed, pay added after total, the description changed
SECOND = FIRST.replace("42", "43").replace("Bill an order.", "Bill an order, then pay.") + (
    'pay = pipe.transform("pay", total, retry={"max_attempts": 2}, value={"paid": total.output})\n'
)

TWO = """\
from lockgate import Pipeline

billing = Pipeline("billing")
billing.noop("start")
refunds = Pipeline("refunds")
refunds.noop("start")
"""

# A schema problem, a cycle and a reference to no node: all three reported, nothing sent.
BROKEN = """\
from lockgate import Pipeline

pipe = Pipeline("broken")
a = pipe.noop("a")
b = pipe.transform("b", a, value="{{ nodes.ghost.output }}")
c = pipe.script("c", b, code="output = 1", memory_mb=1)
c >> a
"""


def _versions(api: httpx.Client, name: str) -> list[int]:
    response = api.get(f"{API}/pipelines/{name}/versions")
    return [] if response.status_code == 404 else [v["number"] for v in response.json()]


def _json(result: Any) -> dict[str, Any]:
    assert result.returncode == 0, result.stderr + result.stdout
    loaded: dict[str, Any] = json.loads(result.stdout)
    return loaded


def test_apply_creates_leaves_unchanged_and_versions_a_change_with_its_diff(served: Served, tmp_path: Path) -> None:
    served.start()
    flow = tmp_path / "flow.py"
    flow.write_text(FIRST)
    with served.client("editor") as api:
        preview = served.lockgate("editor", "apply", str(flow), "--dry-run")
        assert preview.returncode == 0, preview.stderr
        assert "invoice would be created as v1 (2 nodes, 1 edges" in preview.stdout
        assert "nothing saved (dry run)" in preview.stdout
        assert _versions(api, "invoice") == []

        created = served.lockgate("editor", "apply", str(flow))
        assert created.returncode == 0, created.stderr
        assert "invoice created: v1 (2 nodes, 1 edges" in created.stdout
        assert _versions(api, "invoice") == [1]

        again = served.lockgate("editor", "apply", str(flow))
        assert again.returncode == 0, again.stderr
        assert "invoice unchanged (v1); no version made" in again.stdout
        assert _versions(api, "invoice") == [1]

        flow.write_text(SECOND)
        dry = _json(served.lockgate("editor", "apply", str(flow), "--dry-run", "--json"))
        assert (dry["outcome"], dry["version"], dry["previous_version"], dry["dry_run"]) == ("changed", 2, 1, True)
        assert dry["fields_changed"] == ["description"]
        assert (dry["diff"]["nodes_added"], dry["diff"]["nodes_removed"]) == (["pay"], [])
        assert dry["diff"]["nodes_changed"] == [{"id": "fetch", "fields": ["config"]}]
        assert dry["diff"]["edges_added"] == [{"source": "total", "target": "pay", "branch": None, "when": None}]
        assert _versions(api, "invoice") == [1]

        changed = served.lockgate("editor", "apply", str(flow))
        assert changed.returncode == 0, changed.stderr
        lines = changed.stdout.splitlines()
        assert "invoice is now v2 (was v1; 3 nodes, 2 edges" in lines[0]
        assert lines[1:] == ["  ~ pipeline: description", "  + node pay", "  ~ node fetch: config",
                             "  + edge total → pay"]  # fmt: skip
        assert _versions(api, "invoice") == [2, 1]
        stored = api.get(f"{API}/pipelines/invoice/versions/2").json()["definition"]
        assert [n["id"] for n in stored["nodes"]] == ["fetch", "total", "pay"]
        assert stored["nodes"][2]["retry"] == {"max_attempts": 2}
        # what the dry run said is what the server's diff of the versions says
        assert api.get(f"{API}/pipelines/invoice/diff", params={"from": 1, "to": 2}).json() == {
            **dry["diff"], "to_version": 2}  # fmt: skip


def test_apply_yaml_and_its_sdk_twin_are_one_version(served: Served, tmp_path: Path) -> None:
    served.start()  # with examples/editorial.yaml as v1
    twin = _json(served.lockgate("editor", "apply", str(ROOT / "examples" / "sdk" / "editorial.py"), "--json"))
    assert (twin["outcome"], twin["version"], twin["diff"]) == ("unchanged", 1, None)
    yaml_file = ROOT / "examples" / "linear.yaml"
    made = _json(served.lockgate("editor", "apply", str(yaml_file), "--json"))
    assert (made["pipeline"], made["outcome"], made["version"]) == ("linear", "created", 1)
    code = _json(served.lockgate("editor", "apply", str(ROOT / "examples" / "sdk" / "linear.py"), "--json"))
    assert (code["outcome"], code["version"], code["hash"]) == ("unchanged", 1, made["hash"])


def test_bad_files_and_refusals_store_nothing(served: Served, tmp_path: Path) -> None:
    broken = tmp_path / "broken.py"
    broken.write_text(BROKEN)
    # nothing is sent: no server listens on this address, and the answer is about the definition (2), not it (1)
    offline = cli(tmp_path / "home", None, "apply", str(broken),
                  env=cli_env(LOCKGATE_URL="http://127.0.0.1:9", LOCKGATE_API_KEY="lg_unused"))  # fmt: skip
    assert offline.returncode == 2, offline.stderr
    assert "c.config.memory_mb" in offline.stderr and "b.config.value" in offline.stderr
    assert "cycle" in offline.stderr

    served.start()
    with served.client("editor") as api:
        refused = served.lockgate("editor", "apply", str(broken))
        assert refused.returncode == 2
        assert "definition problem(s)" in refused.stderr
        assert _versions(api, "broken") == []

        two = tmp_path / "two.py"
        two.write_text(TWO)
        unnamed = served.lockgate("editor", "apply", str(two))
        assert unnamed.returncode == 2
        assert "defines 2 pipelines: billing ('billing'), refunds ('refunds')" in unnamed.stderr
        assert _versions(api, "billing") == _versions(api, "refunds") == []
        named = served.lockgate("editor", "apply", f"{two}:refunds")
        assert named.returncode == 0, named.stderr
        assert "refunds created: v1" in named.stdout
        assert (_versions(api, "billing"), _versions(api, "refunds")) == ([], [1])

        # the server refuses what it alone knows: a credential no administrator granted (its code, the field)
        call = {"id": "call", "kind": "http", "credentials": ["payments"], "config": {"url": "https://example.com"}}
        secret = write_pipeline(tmp_path, {"name": "secretive", "nodes": [call]})
        denied = served.lockgate("editor", "apply", str(secret))
        assert denied.returncode == 2, denied.stdout
        assert "definition_errors" in denied.stderr and "payments" in denied.stderr
        assert _versions(api, "secretive") == []
        operator = served.lockgate("operator", "apply", f"{two}:billing")
        assert operator.returncode == 1
        assert _versions(api, "billing") == []
