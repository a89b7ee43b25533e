"""What a parsed document may hold (spec/bounds.py): the walk names the place; the fast path never lies."""

from __future__ import annotations

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lockgate.spec.bounds import MAX_NESTING, find_flaw, format_path, read_json, surely_sound


def nested(levels: int, inner: object = 1) -> object:
    value = inner
    for _ in range(levels):
        value = [value]
    return value


@pytest.mark.parametrize(
    ("text", "where", "says"),
    [
        ('{"a": [1, {"b": "x\\ud800"}]}', "a.1.b", "lone UTF-16 surrogate (\\ud800) at position 1"),
        ('{"k\\udfff": 1}', "k\\udfff", "the key contains a lone UTF-16 surrogate"),
        ('{"a": "x\\u0000"}', "a", "NUL character"),
        ('{"t": NaN}', "t", "NaN is not a JSON number"),
        ('{"t": [-Infinity]}', "t.0", "Infinity is not a JSON number"),
        ('{"t": 1e400}', "t", "Infinity is not a JSON number"),
        ('{"n": 1' + "0" * 5000 + "}", "n", "an integer of 5,001 digits is too long (at most 4,300)"),
        ('{"x": ' + "[" * MAX_NESTING + "]" * MAX_NESTING + "}", "x" + ".0" * (MAX_NESTING - 1), "nested deeper"),
    ],
)
def test_a_flaw_is_named_with_its_place(text: str, where: str, says: str) -> None:
    flaw = find_flaw(read_json(text))
    assert flaw is not None
    assert format_path(flaw.path) == where
    assert says in flaw.message
    assert not surely_sound(text.encode())


def test_the_limit_itself_is_kept_and_plain_text_passes() -> None:
    assert find_flaw(nested(MAX_NESTING - 1, {})) is None  # MAX_NESTING containers
    assert find_flaw(nested(MAX_NESTING, {})) is not None
    assert find_flaw({"é": ["ü", 1.5, -(10**300), True, None, "한"]}) is None
    assert surely_sound(json.dumps(nested(MAX_NESTING - 1, {})).encode())


def test_yaml_aliases_may_not_expand_beyond_the_budget() -> None:
    bomb: object = ["x"] * 9
    for _ in range(8):
        bomb = [bomb] * 9  # 9**9 values when expanded
    flaw = find_flaw(bomb, max_values=1000)
    assert flaw is not None and "expands to more than 1,000 values" in flaw.message
    recursive: list[object] = []
    recursive.append(recursive)
    assert find_flaw(recursive) is not None  # a cycle is as deep as the limit allows


def test_a_place_holding_what_cannot_be_printed_is_escaped() -> None:
    assert format_path(("a\ud800", "b\x00", 3), "body") == "body.a\\ud800.b\\u0000.3"
    assert format_path(("k" * 500,)).endswith("…")


_text = st.text(st.characters(codec=None, exclude_categories=()), max_size=8)  # surrogates included
_numbers = st.integers() | st.floats() | st.sampled_from(["1e400", "1" + "0" * 400, "NaN", "-Infinity", "1e-400"])
_leaves = st.none() | st.booleans() | _numbers | _text
_json = st.recursive(_leaves, lambda c: st.lists(c, max_size=3) | st.dictionaries(_text, c, max_size=3), max_leaves=30)


def _dump(value: object, depth: int = 0) -> str:
    if isinstance(value, str) and value in {"1e400", "1" + "0" * 400, "NaN", "-Infinity", "1e-400"}:
        return value  # a number as written
    if isinstance(value, list):
        return "[" + ",".join(_dump(v, depth + 1) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ",".join(f"{json.dumps(k)}:{_dump(v, depth + 1)}" for k, v in value.items()) + "}"
    return json.dumps(value)


@settings(max_examples=300)
@given(value=_json, wrap=st.integers(0, MAX_NESTING + 2), inside_strings=st.booleans())
def test_the_fast_path_never_passes_what_the_walk_refuses(value: object, wrap: int, inside_strings: bool) -> None:
    text = _dump(value)
    for _ in range(wrap):  # nesting, with brackets in strings beside it that try to hide it
        text = f'["]", {text}, "["]' if inside_strings else f"[{text}]"
    raw = text.encode("utf-8", "surrogatepass")
    if surely_sound(raw):
        assert find_flaw(read_json(raw)) is None, text
