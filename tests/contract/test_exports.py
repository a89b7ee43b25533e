"""The public surface, locked: a name added to or dropped from ``__all__`` is a decision, made here."""

from __future__ import annotations

import importlib
import subprocess
import sys

import pytest

import lockgate
import lockgate.sdk

SURFACE = {
    "lockgate": ["Next", "Pipeline", "run_local", "task"],
    "lockgate.sdk": [
        "Answer",
        "Answers",
        "DurationValue",
        "EdgeSource",
        "InputValue",
        "LocalRun",
        "LocalStep",
        "Next",
        "NodeBuilder",
        "NodeHandle",
        "Pipeline",
        "Ref",
        "Task",
        "TaskBuilder",
        "TaskHandle",
        "WaitingTask",
        "run_local",
        "task",
        "to_yaml",
    ],
}


@pytest.mark.parametrize("module", sorted(SURFACE))
def test_all_is_exactly_the_surface(module: str) -> None:
    assert sorted(importlib.import_module(module).__all__) == sorted(SURFACE[module])


@pytest.mark.parametrize(("module", "name"), [(m, n) for m, names in SURFACE.items() for n in names])
def test_every_exported_name_resolves(module: str, name: str) -> None:
    assert getattr(importlib.import_module(module), name) is not None


def test_the_top_level_names_are_the_sdks() -> None:
    assert lockgate.Pipeline is lockgate.sdk.Pipeline
    assert lockgate.task is lockgate.sdk.task and lockgate.run_local is lockgate.sdk.run_local


def test_next_is_the_one_the_task_handler_routes_on() -> None:
    from lockgate.handlers.code_tasks import Next

    assert lockgate.Next is Next


def test_importing_the_sdk_leaves_the_runtime_unloaded() -> None:
    code = "import sys, lockgate; lockgate.Pipeline; print(any(m.startswith('lockgate.runtime') for m in sys.modules))"
    assert subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout == "False\n"


def test_an_unknown_top_level_name_is_an_attribute_error() -> None:
    with pytest.raises(AttributeError, match="no attribute 'Pipline'"):
        _ = lockgate.Pipline  # type: ignore[attr-defined]
