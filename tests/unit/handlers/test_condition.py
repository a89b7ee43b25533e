from __future__ import annotations

from typing import TYPE_CHECKING, Literal

import pytest

from lockgate.handlers import condition
from lockgate.spec.nodes import ConditionBranch, ConditionConfig

if TYPE_CHECKING:
    from pydantic import JsonValue
    from tests.unit.handlers.conftest import FakeContext

pytestmark = pytest.mark.anyio


def _config(
    *whens: str | bool, match: Literal["first", "all"] = "first", default: str | None = None
) -> ConditionConfig:
    branches = [ConditionBranch(name=f"b{i}", when=when) for i, when in enumerate(whens)]
    return ConditionConfig(branches=branches, match=match, default=default)


async def test_first_takes_the_first_true_branch(ctx: FakeContext) -> None:
    result = await condition.run(ctx, _config(False, "yes", True), {})
    assert result.branches == ["b1"]
    assert result.output == {"branches": ["b1"]}


async def test_all_takes_every_true_branch(ctx: FakeContext) -> None:
    result = await condition.run(ctx, _config(True, "false", "ok", False, match="all"), {})
    assert result.branches == ["b0", "b2"]
    assert result.output == {"branches": ["b0", "b2"]}


async def test_default_when_nothing_holds(ctx: FakeContext) -> None:
    result = await condition.run(ctx, _config(False, "no", default="other"), {})
    assert result.branches == ["other"]


async def test_no_branch_and_no_default_takes_nothing(ctx: FakeContext) -> None:
    result = await condition.run(ctx, _config(False, "NULL", match="all"), {})
    assert result.branches == []
    assert result.output == {"branches": []}


@pytest.mark.parametrize("value", ["", "false", "FALSE", "0", "no", "None", "null", " False ", False, 0, None, [], {}])
def test_falsy_values(value: JsonValue) -> None:
    assert not condition.truthy(value)


@pytest.mark.parametrize("value", ["true", "yes", "1", "anything", "nope", True, 1, 0.5, [0], {"a": 1}])
def test_truthy_values(value: JsonValue) -> None:
    assert condition.truthy(value)
