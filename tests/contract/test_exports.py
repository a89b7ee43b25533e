"""The public surface, locked: a name added to or dropped from ``__all__`` is a decision, made here."""

from __future__ import annotations

import importlib

import pytest

import lockgate
import lockgate.sdk

SURFACE = {
    "lockgate": ["Pipeline"],
    "lockgate.sdk": [
        "DurationValue",
        "EdgeSource",
        "InputValue",
        "NodeBuilder",
        "NodeHandle",
        "Pipeline",
        "Ref",
        "to_yaml",
    ],
}


@pytest.mark.parametrize("module", sorted(SURFACE))
def test_all_is_exactly_the_surface(module: str) -> None:
    assert sorted(importlib.import_module(module).__all__) == sorted(SURFACE[module])


@pytest.mark.parametrize(("module", "name"), [(m, n) for m, names in SURFACE.items() for n in names])
def test_every_exported_name_resolves(module: str, name: str) -> None:
    assert getattr(importlib.import_module(module), name) is not None


def test_the_top_level_pipeline_is_the_sdks() -> None:
    assert lockgate.Pipeline is lockgate.sdk.Pipeline


def test_an_unknown_top_level_name_is_an_attribute_error() -> None:
    with pytest.raises(AttributeError, match="no attribute 'Pipline'"):
        _ = lockgate.Pipline  # type: ignore[attr-defined]
