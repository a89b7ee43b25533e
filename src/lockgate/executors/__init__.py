"""Executors move step invocations to where handlers run and carry results back."""

from lockgate.executors.base import Executor, Report
from lockgate.executors.local import LocalExecutor

__all__ = ["Executor", "LocalExecutor", "Report"]
