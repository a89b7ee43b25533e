"""Which parts of a node are templates: found once per model class from the ``Templated`` marker."""

from __future__ import annotations

from functools import cache
from typing import TYPE_CHECKING, Annotated, Any, get_args, get_origin

from pydantic import BaseModel, JsonValue

from lockgate.spec.fields import Templated

if TYPE_CHECKING:
    from collections.abc import Iterator

__all__ = ["templated_fields", "templated_values"]


def _has_marker(annotation: Any) -> bool:
    if get_origin(annotation) is Annotated:
        _, *metadata = get_args(annotation)
        if any(isinstance(m, Templated) for m in metadata):
            return True
    return any(_has_marker(arg) for arg in get_args(annotation))


@cache
def templated_fields(model: type[BaseModel]) -> frozenset[str]:
    """Names of the fields of ``model`` whose strings are templates."""
    names = set()
    for name, info in model.model_fields.items():
        if any(isinstance(m, Templated) for m in info.metadata) or _has_marker(info.annotation):
            names.add(name)
    return frozenset(names)


def templated_values(model: BaseModel, path: str) -> Iterator[tuple[str, JsonValue]]:
    """``(field path, JSON value)`` of each templated field, nested models included."""
    templated = templated_fields(type(model))
    for name in type(model).model_fields:
        value = getattr(model, name)
        if name in templated:
            if value is not None:
                yield f"{path}.{name}" if path else name, _json(value)
        elif isinstance(value, BaseModel):
            yield from templated_values(value, f"{path}.{name}" if path else name)
        elif isinstance(value, list) and value and isinstance(value[0], BaseModel):
            for index, item in enumerate(value):
                yield from templated_values(item, f"{path}.{name}[{index}]" if path else f"{name}[{index}]")


def _json(value: Any) -> JsonValue:
    if isinstance(value, BaseModel):
        dumped: JsonValue = value.model_dump(mode="json")
        return dumped
    return value  # type: ignore[no-any-return]
