"""A script step routes with ``lockgate_step.route([...])``: the names come back as the result's ``next``."""

from __future__ import annotations

import shutil
from typing import TYPE_CHECKING

import pytest

from lockgate.errors import PermanentStepError, StepError
from lockgate.handlers import script
from lockgate.handlers.context import SandboxMode
from lockgate.handlers.script_output import script_next
from lockgate.spec.nodes import ScriptConfig, ScriptInputMode

if TYPE_CHECKING:
    from tests.unit.handlers.conftest import FakeContext

pytestmark = pytest.mark.anyio

_NO_BWRAP = pytest.mark.skipif(shutil.which("bwrap") is None, reason="bubblewrap is not installed")


@pytest.fixture(params=[pytest.param(SandboxMode.NONE, id="none"),
                        pytest.param(SandboxMode.BWRAP, id="bwrap", marks=_NO_BWRAP)])  # fmt: skip
def sctx(request: pytest.FixtureRequest, ctx: FakeContext) -> FakeContext:
    ctx.sandbox = request.param
    return ctx


async def test_route_gives_the_result_its_next_beside_the_output(sctx: FakeContext) -> None:
    code = "import lockgate_step\nlockgate_step.route(['review'])\nlockgate_step.route(['pay'])\noutput = {'total': 42}"
    result = await script.run(sctx, ScriptConfig(code=code), {})
    assert result.output == {"total": 42}
    assert result.next == ["pay"]  # the last call counts


async def test_an_empty_route_and_no_route_differ(ctx: FakeContext) -> None:
    none_taken = await script.run(ctx, ScriptConfig(code="import lockgate_step\nlockgate_step.route([])"), {})
    assert none_taken.next == []
    every = await script.run(ctx, ScriptConfig(code="print('{}')"), {})
    assert every.next is None


async def test_route_works_whatever_the_input_mode(ctx: FakeContext) -> None:
    code = "import json, sys, lockgate_step\nlockgate_step.route([json.load(sys.stdin)['to']])"
    result = await script.run(ctx, ScriptConfig(code=code, input_mode=ScriptInputMode.STDIN), {"to": "ship"})
    assert result.next == ["ship"]


async def test_a_script_that_fails_after_routing_routes_nowhere(ctx: FakeContext) -> None:
    code = "import lockgate_step\nlockgate_step.route(['pay'])\nraise SystemExit(3)"
    with pytest.raises(StepError):
        await script.run(ctx, ScriptConfig(code=code), {})


async def test_route_refuses_a_bare_string_where_it_names_the_mistake(ctx: FakeContext) -> None:
    with pytest.raises(StepError) as caught:
        await script.run(ctx, ScriptConfig(code="import lockgate_step\nlockgate_step.route('pay')"), {})
    assert "lockgate_step.route takes a list of node ids" in ctx.log_text() + caught.value.detail


def test_a_forged_route_on_the_channel_is_refused() -> None:
    assert script_next([{"started": True}]) is None
    assert script_next([{"next": ["a"]}, {"next": ["b", "c"]}]) == ["b", "c"]
    with pytest.raises(PermanentStepError) as caught:
        script_next([{"next": "a"}])
    assert caught.value.kind == "invalid_next"
