from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from lockgate.handlers import transform
from lockgate.spec.nodes import TransformConfig

if TYPE_CHECKING:
    from pydantic import JsonValue
    from tests.unit.handlers.conftest import FakeContext

pytestmark = pytest.mark.anyio


@pytest.mark.parametrize("value", [{"total": 3, "items": ["a", "b"]}, [1, 2], "text", 4.5, None, False])
async def test_transform_outputs_its_rendered_value(ctx: FakeContext, value: JsonValue) -> None:
    result = await transform.run(ctx, TransformConfig(value=value), {"ignored": 1})
    assert result.output == value
