"""The code hash: a change in what a task does changes it; a change in how its source is laid out does not."""

from __future__ import annotations

import importlib.util
import itertools
import textwrap
from typing import TYPE_CHECKING

import pytest

from lockgate.handlers.code_tasks import code_hash, task_ref

if TYPE_CHECKING:
    from collections.abc import Callable
    from pathlib import Path

_names = itertools.count()

BASE = """
RATE = 3

def helper(x):
    return x * RATE

def task(order_id: str, n: int = 1) -> dict:
    return {"id": order_id, "total": helper(n)}
"""


def _load(tmp_path: Path, source: str, name: str = "task") -> Callable[..., object]:
    """The function ``name`` of a fresh module made from ``source`` (as another deploy of the code would be)."""
    module_name = f"code_hash_case_{next(_names)}"
    path = tmp_path / f"{module_name}.py"
    path.write_text(textwrap.dedent(source))
    spec = importlib.util.spec_from_file_location(module_name, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    fn: Callable[..., object] = getattr(module, name)
    return fn


def _hash(tmp_path: Path, source: str, version: str | None = None) -> str:
    return code_hash(_load(tmp_path, source), version=version)


def test_the_hash_is_64_hex_digits_and_stable(tmp_path: Path) -> None:
    first, again = _hash(tmp_path, BASE), _hash(tmp_path, BASE)
    assert first == again
    assert len(first) == 64 and all(c in "0123456789abcdef" for c in first)


def test_docstrings_comments_and_formatting_do_not_count(tmp_path: Path) -> None:
    reformatted = '''
    RATE = 3

    def helper(x):
        """Scale x."""
        # the rate is per unit
        return (x *
                RATE)

    def task(order_id: str,
             n: int = 1) -> dict:  # the entry point
        """Fetch the order."""

        return {
            "id": order_id,
            "total": helper(n),
        }
    '''
    assert _hash(tmp_path, reformatted) == _hash(tmp_path, BASE)


@pytest.mark.parametrize(
    ("old", "new"),
    [
        ('"total": helper(n)', '"total": helper(n) + 1'),  # the body
        ("RATE = 3", "RATE = 4"),  # a constant the code reads (through a helper)
        ("return x * RATE", "return x * RATE * 2"),  # a helper it calls
        ("n: int = 1", "n: int = 2"),  # a default
    ],
)
def test_a_change_in_what_the_task_does_changes_the_hash(tmp_path: Path, old: str, new: str) -> None:
    assert old in BASE
    assert _hash(tmp_path, BASE.replace(old, new)) != _hash(tmp_path, BASE)


def test_a_constant_read_directly_and_tuples_of_constants_count(tmp_path: Path) -> None:
    source = 'LIMITS = (1, "a", None)\n\ndef task():\n    return LIMITS\n'
    assert _hash(tmp_path, source) != _hash(tmp_path, source.replace('"a"', '"b"'))


def test_globals_that_are_not_constants_or_helpers_do_not_count(tmp_path: Path) -> None:
    source = "import json\nCACHE = {}\n\ndef task():\n    return json.dumps(CACHE)\n"
    assert _hash(tmp_path, source) == _hash(tmp_path, source.replace("CACHE = {}", "CACHE = {'a': 1}"))


def test_a_closure_value_counts() -> None:
    def make(rate: int) -> Callable[[int], int]:
        def scaled(x: int) -> int:
            return x * rate

        return scaled

    assert code_hash(make(2)) == code_hash(make(2))
    assert code_hash(make(2)) != code_hash(make(3))


def test_a_version_replaces_the_source(tmp_path: Path) -> None:
    changed = BASE.replace('"total": helper(n)', '"total": helper(n) + 1')
    assert _hash(tmp_path, changed, version="2") == _hash(tmp_path, BASE, version="2")
    assert _hash(tmp_path, BASE, version="2") != _hash(tmp_path, BASE, version="3")
    assert _hash(tmp_path, BASE, version="2") != _hash(tmp_path, BASE)
    # The data the code reads still counts under a version: no bump is remembered for a constant.
    assert _hash(tmp_path, BASE.replace("RATE = 3", "RATE = 4"), version="2") != _hash(tmp_path, BASE, version="2")


def test_recursive_helpers_hash(tmp_path: Path) -> None:
    source = "def even(n):\n    return n == 0 or odd(n - 1)\n\ndef odd(n):\n    return n != 0 and even(n - 1)\n"
    assert len(code_hash(_load(tmp_path, source, "even"))) == 64


def test_task_ref_names_module_and_qualname(tmp_path: Path) -> None:
    fn = _load(tmp_path, BASE)
    assert task_ref(fn) == f"{fn.__module__}:task"


def test_task_ref_refuses_lambdas_and_local_functions() -> None:
    def local() -> None: ...

    for fn in (local, lambda: None):
        with pytest.raises(ValueError, match="module level"):
            task_ref(fn)
