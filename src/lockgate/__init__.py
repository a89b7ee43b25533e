"""Lockgate: durable agentic pipelines that people supervise."""

from __future__ import annotations

from typing import TYPE_CHECKING

__all__ = ["Next", "Pipeline", "run_local", "task"]

if TYPE_CHECKING:
    from lockgate.sdk import Next, Pipeline, run_local, task
else:
    # Imported on first use, so that ``import lockgate.engine`` (every worker, every CLI call) does not load the
    # SDK. Hidden from mypy: an unknown name stays a type error instead of an ``object``.
    def __getattr__(name: str) -> object:
        if name in __all__:
            from lockgate import sdk

            return getattr(sdk, name)
        raise AttributeError(f"module 'lockgate' has no attribute {name!r}")
