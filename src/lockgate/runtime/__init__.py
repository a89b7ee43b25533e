"""The shell: applies events under the run lock, commits, then hands commands to executors and timers."""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

__all__ = ["Applied", "Applier", "Clock", "ExtendRequest", "Listener", "Runtime", "SystemClock"]

if TYPE_CHECKING:
    from lockgate.runtime.applier import Applied, Applier
    from lockgate.runtime.clock import Clock, SystemClock
    from lockgate.runtime.runtime import ExtendRequest, Listener, Runtime
else:
    # Imported on first use: ``lockgate.runtime.clock`` (every CLI command that stamps a time) then costs nothing,
    # where the applier and the runtime bring the store, the executors, the handlers and the agent stack.
    _WHERE = {"Applied": "applier", "Applier": "applier", "Clock": "clock", "SystemClock": "clock",
              "ExtendRequest": "runtime", "Listener": "runtime", "Runtime": "runtime"}  # fmt: skip

    def __getattr__(name: str) -> object:
        module = _WHERE.get(name)
        if module is None:
            raise AttributeError(f"module 'lockgate.runtime' has no attribute {name!r}")
        value = getattr(importlib.import_module(f"lockgate.runtime.{module}"), name)
        globals()[name] = value
        return value
