from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from lockgate.handlers import noop
from lockgate.spec.nodes import NoopConfig

if TYPE_CHECKING:
    from tests.unit.handlers.conftest import FakeContext

pytestmark = pytest.mark.anyio


async def test_noop_passes_its_inputs_along(ctx: FakeContext) -> None:
    result = await noop.run(ctx, NoopConfig(), {"a": 1, "b": [True, None]})
    assert result.output == {"a": 1, "b": [True, None]}
    assert result.branches is None
    assert result.next is None


async def test_noop_without_inputs_outputs_an_empty_object(ctx: FakeContext) -> None:
    assert (await noop.run(ctx, NoopConfig(), {})).output == {}
