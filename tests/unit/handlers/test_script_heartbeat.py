"""The relay's bounds, line by line: what a script writes to its heartbeat pipe and what becomes details."""

from __future__ import annotations

from lockgate.handlers.script_heartbeat import MAX_LINE, LineSplitter, details_of


def test_lines_split_across_chunks_come_out_whole() -> None:
    lines = LineSplitter()
    assert lines.feed(b'{"a"') == []
    assert lines.feed(b': 1}\n{"b": 2}\npartial') == [b'{"a": 1}', b'{"b": 2}']
    assert lines.feed(b"\n") == [b"partial"]


def test_a_line_past_the_bound_counts_without_its_content() -> None:
    lines = LineSplitter()
    assert lines.feed(b"x" * (MAX_LINE + 1)) == []
    assert lines.feed(b"y" * 100_000) == []  # nothing of it is kept meanwhile
    assert lines.feed(b"\nnext\n") == [None, b"next"]


def test_only_storable_json_becomes_details() -> None:
    assert details_of(b'{"done": 3}') == {"done": 3}
    assert details_of(None) is None
    assert details_of(b"") is None
    assert details_of(b"not json") is None
    assert details_of(b"NaN") is None
    assert details_of(b'"\\ud800"') is None  # a lone surrogate: no database keeps it
    assert details_of(b'"nul \\u0000"') is None
    assert details_of(b"[" * 1000 + b"]" * 1000) is None  # nesting past the bound
