"""Ids as a list shows them: the shortest prefix that tells each from the others listed, as git abbreviates.

Every command that takes an id takes a unique prefix of it (``store/ids.py``), so what a list shows can be
given back as is; a prefix that has become ambiguous since is refused with the candidates, never guessed.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Iterable

__all__ = ["MIN_SHOWN", "short_ids"]

# Most ids begin with 12 hex digits of milliseconds (store/ids.py; a human task's is a hash): 10 of them tell
# apart ids made a quarter of a second apart, so an id left out of the list (a run of another status) seldom
# shares the prefix shown.
MIN_SHOWN = 10


def short_ids(ids: Iterable[str], minimum: int = MIN_SHOWN) -> dict[str, str]:
    """Each id's shortest prefix, at least ``minimum`` long, that no other of ``ids`` starts with."""
    ordered = sorted(set(ids))
    shown: dict[str, str] = {}
    for i, whole in enumerate(ordered):
        # in sorted order the id sharing the longest prefix with this one is a neighbour
        before = _common(whole, ordered[i - 1]) if i > 0 else 0
        after = _common(whole, ordered[i + 1]) if i + 1 < len(ordered) else 0
        shown[whole] = whole[: max(minimum, before + 1, after + 1)]
    return shown


def _common(a: str, b: str) -> int:
    n = 0
    for x, y in zip(a, b, strict=False):
        if x != y:
            break
        n += 1
    return n
