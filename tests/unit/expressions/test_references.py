"""What a template refers to, found without running it: the basis of compile-time reference checks."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from lockgate.expressions import Reference, inspect_template, templates_in

if TYPE_CHECKING:
    from pydantic import JsonValue


def test_roots_and_first_attributes_are_found() -> None:
    info = inspect_template("{{ input.topic }} {{ nodes.search.output.hits[0] }} {{ nodes['fetch'].output }}")

    assert info.syntax_error is None
    assert info.roots == {"input", "nodes"}
    assert info.references == {Reference("input", "topic"), Reference("nodes", "search"), Reference("nodes", "fetch")}


def test_globals_filters_and_local_variables_are_not_roots() -> None:
    info = inspect_template("{% set n = len(input.tags) %}{% for t in input.tags %}{{ t | upper }}{% endfor %}{{ n }}")

    assert info.roots == {"input"}


def test_a_syntax_error_is_reported_with_its_line() -> None:
    info = inspect_template("line one\n{{ nodes.a. }}")

    assert info.syntax_error is not None
    assert "line 2" in info.syntax_error


def test_unknown_filters_and_tests_are_named_not_raised() -> None:
    info = inspect_template("{{ a | nosuchfilter }}\n{% if a is nosuchtest %}{{ a | lengthh }}{% endif %}")

    assert info.syntax_error is None
    assert info.unknown == (
        "unknown filter 'nosuchfilter' (line 1)",
        "unknown test 'nosuchtest' (line 2)",
        "unknown filter 'lengthh' (line 2) (did you mean 'length'?)",
    )


@pytest.mark.parametrize(
    ("value", "found"),
    [
        ("no template", []),
        ("{{ a }}", [("f", "{{ a }}")]),
        ({"x": "{% if a %}1{% endif %}", "y": 2}, [("f.x", "{% if a %}1{% endif %}")]),
        (["plain", {"z": ["{{ b }}"]}], [("f[1].z[0]", "{{ b }}")]),
        (3, []),
        (None, []),
    ],
)
def test_templates_in_finds_every_template_with_its_path(value: JsonValue, found: list[tuple[str, str]]) -> None:
    assert list(templates_in(value, "f")) == found
