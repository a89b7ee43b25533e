"""How script steps are confined, as settings say: plain values, light enough for every command to import."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path

__all__ = ["SandboxMode", "ScriptPolicy"]


class SandboxMode(StrEnum):
    AUTO = "auto"  # bubblewrap when it is installed and works, else rlimits only
    BWRAP = "bwrap"  # require bubblewrap
    NONE = "none"  # rlimits and a stripped environment only


@dataclass(frozen=True, slots=True)
class ScriptPolicy:
    """What the administrator allows script steps (settings), beside the sandbox mode."""

    allow_unconfined: bool = False  # run without bubblewrap, or without a process bound, rather than refuse
    script_dirs: tuple[Path, ...] = ()  # the folders config.file may name; empty: none
    max_processes: int = 256  # per attempt, its whole tree
