"""A module whose import has a side effect: a file at ``$LOCKGATE_TEST_MARKER``. No worker may import it by ref."""

from __future__ import annotations

import os
from pathlib import Path

__all__ = ["anything"]

if "LOCKGATE_TEST_MARKER" in os.environ:
    Path(os.environ["LOCKGATE_TEST_MARKER"]).write_text("imported")


def anything() -> int:
    return 1
