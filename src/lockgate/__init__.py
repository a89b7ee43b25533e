"""Lockgate: durable agentic pipelines that people supervise."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from lockgate.sdk import Pipeline

__all__ = ["Pipeline"]


def __getattr__(name: str) -> object:
    # Imported on first use: ``import lockgate.engine`` (every worker, every CLI call) stays free of the SDK.
    if name in __all__:
        from lockgate import sdk

        return getattr(sdk, name)
    raise AttributeError(f"module 'lockgate' has no attribute {name!r}")
