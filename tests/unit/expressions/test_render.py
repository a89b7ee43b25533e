"""Rendering expressions: types kept, text rendered, the sandbox closed, and errors that say where."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pytest

from lockgate.expressions import ExpressionError, render, render_deep, truthy

if TYPE_CHECKING:
    from pydantic import JsonValue

CONTEXT: dict[str, Any] = {
    "input": {"topic": "otters", "limit": 3, "tags": ["a", "b"], "flag": False},
    "nodes": {"search": {"output": {"hits": [{"title": "one"}, {"title": "two"}], "total": 2}}},
    "run": {"number": 7},
}


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("{{ input.limit }}", 3),
        ("{{ input.flag }}", False),
        ("{{ input.tags }}", ["a", "b"]),
        ("{{ nodes.search.output.hits[0] }}", {"title": "one"}),
        ("{{ nodes.search.output.hits | length }}", 2),
        ("  {{ run.number + 1 }}  ", 8),
        ("{{ none }}", None),
        ("{{ input.limit / 2 }}", 1.5),
        ("{{ (1, 2) }}", [1, 2]),
    ],
)
def test_a_string_that_is_one_expression_keeps_its_type(source: str, expected: object) -> None:
    assert render(source, CONTEXT) == expected


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("About {{ input.topic }}", "About otters"),
        ("{{ input.limit }}{{ run.number }}", "37"),
        ("v{{ run.number }}", "v7"),
        ("{% for h in nodes.search.output.hits %}{{ h.title }};{% endfor %}", "one;two;"),
        ("{{ input.tags | tojson }} items", '["a", "b"] items'),
        ("{% if input.flag %}yes{% else %}no{% endif %}", "no"),
    ],
)
def test_text_mixed_with_expressions_renders_to_a_string(source: str, expected: str) -> None:
    assert render(source, CONTEXT) == expected


def test_a_key_named_like_a_mapping_method_is_the_key() -> None:
    data = {"nodes": {"items": {"output": {"keys": ["k"], "values": 2, "get": "g"}}}}

    assert render("{{ nodes.items.output.keys }}", data) == ["k"]
    assert render("{{ nodes.items.output.values + 1 }}", data) == 3
    assert render("{{ nodes.items.output.get }}", data) == "g"
    # without such a key, the method is still there
    assert render("{{ nodes.items.output.items() | list | length }}", data) == 3


def test_a_string_without_braces_is_returned_as_is() -> None:
    assert render("plain text", {}) == "plain text"


def test_render_deep_renders_every_string_and_keeps_the_rest() -> None:
    value: JsonValue = {
        "q": "{{ input.topic }}",
        "n": "{{ input.limit }}",
        "fixed": 1,
        "list": ["{{ run.number }}", True],
    }

    assert render_deep(value, CONTEXT) == {"q": "otters", "n": 3, "fixed": 1, "list": [7, True]}


@pytest.mark.parametrize(
    "source",
    [
        "{{ ''.__class__.__mro__ }}",
        "{{ ''.__class__.__mro__[1].__subclasses__() }}",
        "{{ input.__class__ }}",
        "{{ range.__init__.__globals__ }}",
        "{{ len.__self__ }}",
        "{{ input.tags.__len__() }}",
        "{% for c in ''.__class__.__mro__ %}{{ c }}{% endfor %}",
        "{{ cycler.__init__.__globals__.os }}",
        "{{ self.__init__.__globals__ }}",
    ],
)
def test_the_sandbox_blocks_escapes_to_python_internals(source: str) -> None:
    with pytest.raises(ExpressionError):
        render(source, CONTEXT, field="inputs.x")


@pytest.mark.parametrize(
    "source",
    [
        "{{ input.tags.append('c') }}",
        "{{ input.tags.pop() }}",
        "{{ input.update({'topic': 'x'}) }}",
        "{{ input.tags.clear() }}",
        "x{{ input.setdefault('k', 1) }}",
    ],
)
def test_expressions_cannot_change_the_data_they_read(source: str) -> None:
    context = {"input": {"topic": "otters", "tags": ["a", "b"]}}

    with pytest.raises(ExpressionError, match="unsafe"):
        render(source, context)

    assert context == {"input": {"topic": "otters", "tags": ["a", "b"]}}


@pytest.mark.parametrize("source", ["{{ missing }}", "About {{ missing }}", "{{ missing.output }}"])
def test_an_undefined_name_is_an_error_naming_the_field_and_the_name(source: str) -> None:
    with pytest.raises(ExpressionError) as caught:
        render(source, CONTEXT, field="config.url")

    assert caught.value.field == "config.url"
    assert str(caught.value).startswith("config.url: ")
    assert "missing" in caught.value.message


def test_a_missing_attribute_is_an_error_too() -> None:
    with pytest.raises(ExpressionError, match="nope"):
        render("{{ input.nope }}", CONTEXT, field="inputs.x")


def test_render_deep_names_the_nested_field() -> None:
    with pytest.raises(ExpressionError) as caught:
        render_deep({"headers": {"auth": "{{ secret }}"}}, CONTEXT, field="config")

    assert caught.value.field == "config.headers.auth"


@pytest.mark.parametrize(
    ("source", "kind"),
    [
        ("{{ 1 / 0 }}", "ZeroDivisionError"),
        ("{{ input.tags[5] }}", "Undefined"),
        ("{{ input.topic + 1 }}", "TypeError"),
        ("{{ 1 + }}", "TemplateSyntaxError"),
    ],
)
def test_runtime_failures_become_expression_errors(source: str, kind: str) -> None:
    with pytest.raises(ExpressionError, match=kind):
        render(source, CONTEXT, field="f")


def test_objects_that_are_not_json_render_as_text() -> None:
    class Thing:
        def __str__(self) -> str:
            return "thing"

    assert render("{{ obj }}", {"obj": Thing()}) == "thing"


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (True, True),
        (False, False),
        (0, False),
        (1, True),
        ([], False),
        ([0], True),
        (None, False),
        ("false", False),
        (" No ", False),
        ("0", False),
        ("null", False),
        ("", False),
        ("yes", True),
        ("anything", True),
    ],
)
def test_truthy_reads_rendered_conditions_as_people_mean_them(value: Any, expected: bool) -> None:
    assert truthy(value) is expected
