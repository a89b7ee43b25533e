"""The shell: applies events under the run lock, commits, then hands commands to executors and timers."""

from lockgate.runtime.applier import Applied, Applier
from lockgate.runtime.clock import Clock, SystemClock
from lockgate.runtime.runtime import ExtendRequest, Listener, Runtime

__all__ = ["Applied", "Applier", "Clock", "ExtendRequest", "Listener", "Runtime", "SystemClock"]
