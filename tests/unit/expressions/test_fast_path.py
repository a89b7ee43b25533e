"""Plain references read without Jinja give exactly what Jinja gives: values, types, errors, budgets.

The oracle is the product's own Jinja path (the same template prepared with its fast path switched off), run on
generated references and contexts; the fast path must agree on every one, failures included.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from typing import TYPE_CHECKING, Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from lockgate.expressions import (
    BUDGETS,
    ExpressionError,
    ExpressionLimits,
    Prepared,
    Templates,
    expression_budget,
    inspect_template,
    prepared,
    render,
    render_deep,
)

if TYPE_CHECKING:
    from pydantic import JsonValue


class _Everything(Mapping[str, Any]):
    """Like the engine's NodesView: every name is in it (an unknown node reads as pending)."""

    def __init__(self, known: dict[str, Any]) -> None:
        self._known = known

    def __getitem__(self, key: str) -> Any:
        return self._known.get(key, {"output": None, "status": "pending"})

    def __iter__(self) -> Iterator[str]:
        return iter(self._known)

    def __len__(self) -> int:
        return len(self._known)


class _JinjaOnly(Templates):
    """The oracle: every template through Jinja, as before the fast path existed."""

    def get(self, source: str) -> Prepared:
        template = Prepared(source)
        template.path = None
        template.text = None
        return template


ROOTS = ["input", "nodes", "run", "item", "a", "missing", "range", "true", "none", "len", "loop", "self", "caller"]
KEYS = ["x", "y", "output", "keys", "items", "get", "upper", "__class__", "0", "a b", "n"]
_scalars = (
    st.none() | st.booleans() | st.integers(-(10**20), 10**20) | st.floats(allow_nan=False) | st.text(max_size=40)
)
VALUES = st.recursive(
    _scalars,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.sampled_from(KEYS), inner, max_size=4),
    max_leaves=12,
)


@st.composite
def contexts(draw: st.DrawFn) -> dict[str, Any]:
    context: dict[str, Any] = draw(st.dictionaries(st.sampled_from(ROOTS[:5]), VALUES, max_size=5))
    if "nodes" in context and isinstance(context["nodes"], dict) and draw(st.booleans()):
        context["nodes"] = _Everything(context["nodes"])
    if draw(st.booleans()):
        context[BUDGETS] = (draw(st.sampled_from([10, 100_000])), draw(st.sampled_from([16, 64, 1 << 20])))
    return context


_step = st.one_of(
    st.sampled_from(KEYS).filter(str.isidentifier).map(lambda k: f".{k}"),
    st.integers(0, 4).map(lambda i: f"[{i}]"),
    st.sampled_from(KEYS).map(lambda k: f'["{k}"]'),
    st.sampled_from(KEYS).map(lambda k: f"['{k}']"),
)
REFERENCES = st.builds(lambda root, steps: root + "".join(steps), st.sampled_from(ROOTS), st.lists(_step, max_size=5))
_space = st.sampled_from(["", " ", "  ", "\n", " \t"])
SINGLES = st.builds(lambda a, ref, b, c, d: f"{a}{{{{{b}{ref}{c}}}}}{d}", _space, REFERENCES, _space, _space, _space)
TEXTS = st.lists(st.one_of(REFERENCES.map(lambda r: f"{{{{ {r} }}}}"), st.text("ab :-\n", max_size=6)), max_size=5).map(
    "".join
)


def _outcome(source: str, context: dict[str, Any], templates: Templates | None) -> tuple[str, Any]:
    try:
        value = render(source, context, "config.value", templates)
    except ExpressionError as exc:
        return "error", (exc.message, exc.field, exc.budget)
    return "value", json.dumps(value)  # JSON text: True and 1, 1.0 and 1 differ


def _same(source: str, context: dict[str, Any], max_bytes: int) -> None:
    with expression_budget(ExpressionLimits(max_bytes=max_bytes)):
        fast = _outcome(source, context, None)
        fast_plan = _outcome(source, context, Templates())
        jinja = _outcome(source, context, _JinjaOnly())
    assert fast == jinja, source
    assert fast_plan == jinja, source


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.one_of(SINGLES, TEXTS), contexts(), st.sampled_from([24, 200, 1 << 20]))
def test_the_fast_path_renders_what_jinja_renders(source: str, context: dict[str, Any], max_bytes: int) -> None:
    _same(source, context, max_bytes)


@settings(max_examples=300, deadline=None)
@given(st.one_of(SINGLES, TEXTS))
def test_the_fast_path_finds_the_references_jinja_finds(source: str) -> None:
    assert prepared(source).info() == inspect_template(source)


@pytest.mark.parametrize(
    "source",
    ["{{ input.x }}", "{{ nodes.a.output.b[0] }}", "{{ item }}", "{{ run.number }}", ' {{ a["x"][2].y }} '],
)
def test_plain_references_take_the_fast_path(source: str) -> None:
    assert prepared(source).path is not None


@pytest.mark.parametrize("source", ["step {{ run.number }} of {{ input.x }}", "{{ a }}{{ b }}", "{{ input.x }} "])
def test_text_with_plain_references_takes_the_fast_path(source: str) -> None:
    template = prepared(source)
    assert template.path is not None or template.text is not None


@pytest.mark.parametrize(
    "source",
    ["{{ input.x | upper }}", "{{ input.x + 1 }}", "{{ range }}", "{{ true }}", "{{ input.x[-1] }}",
     "{{input.x}} text", "{{- input.x }} text", "{% if a %}{{ a }}{% endif %}", "{# c #}{{ a }} text"],
)  # fmt: skip
def test_anything_else_is_left_to_jinja(source: str) -> None:
    template = prepared(source)
    assert template.path is None and template.text is None


def test_a_plan_renders_each_template_without_compiling_it_again() -> None:
    templates = Templates()
    value: JsonValue = {"n": "{{ input.x }}", "text": "x is {{ input.x }}", "sum": "{{ input.x + 1 }}"}
    assert render_deep(value, {"input": {"x": 2}}, "config", templates) == {"n": 2, "text": "x is 2", "sum": 3}
    assert render_deep(value, {"input": {"x": 5}}, "config", templates) == {"n": 5, "text": "x is 5", "sum": 6}
    assert len(templates) == 3
    assert templates.get("{{ input.x + 1 }}").jinja() is templates.get("{{ input.x + 1 }}").jinja()
