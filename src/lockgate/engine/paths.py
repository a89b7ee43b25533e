"""Where a run's files live, relative to its pipeline's folder: one rule for the engine, store and runtime."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from datetime import datetime

__all__ = ["attempt_folder", "rollback_folder", "run_folder", "step_folder", "utc_stamp"]


def step_folder(step_key: str) -> str:
    """``fan[12]`` → ``fan/12``: map items get a folder each under their node."""
    return step_key.replace("[", "/").replace("]", "")


def run_folder(number: int) -> str:
    return f"runs/v{number}"


def attempt_folder(number: int, step_key: str, attempt: int) -> str:
    """Where a revised attempt's artifacts are kept once a newer attempt runs."""
    return f"{run_folder(number)}/.attempts/{step_folder(step_key)}/{attempt}"


def utc_stamp(at: datetime) -> str:
    return at.strftime("%Y%m%dT%H%M%SZ")


def rollback_folder(rollback: str, at: datetime) -> str:
    return f".archived/rollback_{rollback}_{utc_stamp(at)}"
