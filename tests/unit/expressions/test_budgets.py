"""Every template runs within budgets: loop iterations, bytes, and a deadline; running out says which, and where."""

from __future__ import annotations

import time
from datetime import timedelta
from typing import Any

import pytest

from lockgate.expressions import (
    REFUSED,
    BudgetKind,
    ExpressionError,
    ExpressionLimits,
    expression_budget,
    render,
    template_digest,
)

CONTEXT: dict[str, Any] = {"input": {"n": 3, "items": [{"name": "a"}, {"name": "b"}], "text": "x" * 1000}}
ITERATIONS, SIZE, TIME = BudgetKind.ITERATIONS, BudgetKind.SIZE, BudgetKind.TIME
# Long enough that only a budget can end them: each would run for minutes or take gigabytes.
DOUBLING = "{% set a = [1] %}" + "{% set a = [a, a] %}" * 40 + "{{ a }}"


def refused(source: str, context: dict[str, Any] | None = None) -> ExpressionError:
    started = time.monotonic()
    with pytest.raises(ExpressionError) as caught:
        render(source, context or CONTEXT, "config.value")
    assert time.monotonic() - started < 10, "a budget must stop it quickly"
    assert caught.value.field == "config.value"
    return caught.value


@pytest.mark.parametrize(
    ("source", "budget", "says"),
    [
        ("{{ range(100000000)|list|length }}", ITERATIONS, "range with 100,000,000 items"),
        ("{{ range(10**30)|length }}", ITERATIONS, "iteration budget"),
        ("{% for i in range(100000) %}{% for j in range(100000) %}{% endfor %}{% endfor %}", ITERATIONS, "100,000"),
        ("{% for i in range(99999) %}{% for j in range(99999) if false %}{% endfor %}{% endfor %}", ITERATIONS, ""),
        ("{% macro f(n) %}{% if n %}{{ f(n-1) }}{{ f(n-1) }}{% endif %}{% endmacro %}{{ f(40) }}", ITERATIONS, ""),
        ("{% macro k(x) %}{{ x }}{% endmacro %}{% for i in range(99999) %}{{ sorted(range(99999), key=k)|first }}"
         "{% endfor %}", ITERATIONS, ""),
        ("{% for x in [1] recursive %}{% if loop.depth < 60 %}{{ loop([1, 2]) }}{% endif %}{% endfor %}",
         ITERATIONS, ""),
        ("{{ [1]|slice(1000000000)|list }}", ITERATIONS, "slice"),
        ("{{ 'a' * 20000000 }}", SIZE, "a repeated text would be 20,000,000 bytes"),
        ("{{ 20000000 * 'a' }}", SIZE, "repeated text"),
        ("{{ [[range(100000)|list] * 100000]|tojson }}", SIZE, "repeated list"),
        ("{{ 10 ** 10000000000 }}", SIZE, "a power would be an integer of"),
        ("{{ 3 ** 5000000 }}", SIZE, "an integer of 990,601 bytes"),
        ("{{ (2 ** 30000) * (2 ** 30000) }}", SIZE, "a product"),
        ("{{ 'x'|center(100000000) }}", SIZE, "the centred text would be 100,000,000 bytes"),
        ("{{ 'x'|indent(100000000) }}", SIZE, "indented"),
        ("{{ 'a b c'|wordwrap(1, wrapstring='-' * 1000000) }}", SIZE, "wrapped"),
        ("{{ ('x' * 500000)|wordwrap(1) }}", ITERATIONS, "would copy 250,000,000,000 characters"),
        ("{{ '%100000000s'|format('x') }}", SIZE, "formatted field"),
        ("{{ ('x' * 1048000) ~ input.text }}", SIZE, "joined with ~"),
        ("{{ '%*d' % (1000000000, 1) }}", SIZE, "formatted field"),
        ("{{ '{:>100000000}'.format(1) }}", SIZE, "formatted field"),
        ("{{ ('x' * 1000000)|replace('x', 'yy') }}", SIZE, "the replaced text would be 2,000,000 bytes"),
        ("{{ range(100000)|join('x' * 1000) }}", SIZE, "joined text"),
        ("{{ [1]|batch(1000000000, 0)|list }}", SIZE, "batch"),
        ("{{ 'x'.ljust(100000000) }}", SIZE, "str.ljust"),
        ("{{ 'x'.zfill(100000000) }}", SIZE, "str.zfill"),
        ("{{ 'a\\tb'.expandtabs(100000000) }}", SIZE, "expandtabs"),
        ("{{ (1).to_bytes(10000000000, 'big') }}", SIZE, "int.to_bytes"),
        ("{{ ('x' * 1000000).replace('x', 'yy') }}", SIZE, "replaced"),
        ("{{ ('-' * 1000).join(range(10000)|map('string')) }}", SIZE, "joined text"),
        ("{% for i in range(100000) %}" + "x" * 100 + "{% endfor %}", SIZE, "produced more than"),
        ("{% set s %}{% for i in range(100000) %}{{ input.text }}{% endfor %}{% endset %}{{ s|length }}",
         SIZE, "produced more than"),
        ("{% set ns = namespace(s='ab') %}{% for i in range(60) %}{% set ns.s = ns.s ~ ns.s %}{% endfor %}", SIZE, ""),
        ("{% set ns = namespace(a=[1]) %}{% for i in range(60) %}{% set ns.a = [ns.a, ns.a] %}{% endfor %}{{ ns }}",
         SIZE, "the value assigned"),
        (DOUBLING, SIZE, "the value assigned"),
        ("{% macro f(x, n) %}{% if n %}{{ f([x, x], n-1) }}{% else %}{{ x == x }}{% endif %}{% endmacro %}"
         "{{ f(1, 40) }}", SIZE, "arguments of a macro call"),
        ("{{ sum([[1]] * 5000, []) }}", None, "sum adds numbers"),
        ("{{ [[1]] * 5000|sum(start=[]) }}", None, "sum adds numbers"),
    ],
)  # fmt: skip
def test_a_template_that_would_run_away_is_refused_naming_its_budget(
    source: str, budget: BudgetKind | None, says: str
) -> None:
    error = refused(source)

    assert error.budget is budget
    assert says in error.message
    if budget is not None and "integer" not in error.message:  # names the setting that raises it
        assert "LOCKGATE_EXPRESSION_MAX_" in error.message


def test_the_limits_are_settings() -> None:
    small = ExpressionLimits(max_iterations=10, max_bytes=2048)
    with expression_budget(small):
        assert render("{% for i in range(10) %}x{% endfor %}", CONTEXT) == "x" * 10
        assert refused("{% for i in range(11) %}x{% endfor %}").budget is ITERATIONS
        assert render("{{ 'a' * 2046 }}", CONTEXT) == "a" * 2046  # 2048 bytes as JSON
        assert refused("{{ 'a' * 2047 }}").budget is SIZE
    assert render("{% for i in range(11) %}x{% endfor %}", CONTEXT) == "x" * 11  # the scope is over


def test_a_single_expression_is_no_larger_than_the_size_budget() -> None:
    with expression_budget(ExpressionLimits(max_bytes=4096)):
        assert len(str(render("{{ input.text }}", CONTEXT))) == 1000
        context = {"input": {"big": ["y" * 1000] * 10}}
        assert refused("{{ input.big }}", context).budget is SIZE  # data already there is measured as it converts


def test_the_rendered_text_is_no_larger_than_the_size_budget() -> None:
    with expression_budget(ExpressionLimits(max_bytes=4096)):
        error = refused("{{ input.text }}{{ input.text }}{{ input.text }}{{ input.text }}{{ input.text }}")
    assert error.budget is SIZE
    assert "rendered text" in error.message


def test_the_deadline_stops_an_evaluation_and_blames_its_template() -> None:
    slow = "{% for i in range(1000) %}{% for j in range(1000) %}{{ input.text|length }}{% endfor %}{% endfor %}"
    limits = ExpressionLimits(max_iterations=10**9, max_bytes=10**9, max_time=timedelta(milliseconds=50))
    with expression_budget(limits, timed=True) as watch:
        started = time.monotonic()
        error = refused(slow)
        assert time.monotonic() - started < 2
        assert watch is not None
        assert watch.blamed == (template_digest(slow), "config.value")
        # Later evaluations of the same transition stop at once, unblamed: the transition is redone anyway.
        assert refused("{{ input.n }}").budget is TIME
        assert watch.blamed == (template_digest(slow), "config.value")
    assert error.budget is TIME
    assert "LOCKGATE_EXPRESSION_MAX_TIME" in error.message


def test_without_a_deadline_nothing_is_timed() -> None:
    limits = ExpressionLimits(max_time=timedelta(0))
    with expression_budget(limits) as watch:
        assert watch is None
        assert render("{% for i in range(100) %}.{% endfor %}", CONTEXT) == "." * 100


def test_a_refused_template_fails_at_once_and_others_still_render() -> None:
    slow = "{% for i in range(10) %}{{ i }}{% endfor %}"
    context = {**CONTEXT, REFUSED: frozenset({template_digest(slow)})}

    error = refused(slow, context)

    assert error.budget is TIME
    assert render("{{ input.n }}", context) == 3


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("{% for i in input.items %}{{ i.name }}{{ ',' if not loop.last }}{% endfor %}", "a,b"),
        ("{% set ns = namespace(total=0) %}{% for i in range(5) %}{% set ns.total = ns.total + i %}{% endfor %}"
         "{{ ns.total }}", "10"),
        ("{% macro li(x) %}<{{ x }}>{% endmacro %}{% for i in range(3) %}{{ li(i) }}{% endfor %}", "<0><1><2>"),
        ("{% for x in [[1, [2]], 3] recursive %}{% if x is iterable %}{{ loop(x) }}{% else %}{{ x }}{% endif %}"
         "{% endfor %}", "123"),
        ("{{ '%s-%03d' % ('a', 7) }} {{ '{}!'.format(input.n) }} {{ 'ab'|replace('a', 'x') }}", "a-007 3! xb"),
        ("{{ input.items|map(attribute='name')|join(', ') }} {{ 'ab'|center(6) }}|", "a, b   ab  |"),
        ("{% with t = input.text %}{{ t|length }}{% endwith %} {{ range(3)|sum }} {{ sum([1, 2]) }}", "1000 3 3"),
        ("{{ 'x' * 3 }}{{ [1] * 2 }}{{ 2 ** 10 }}{{ 'a' ~ input.n ~ 'b' }}", "xxx[1, 1]1024a3b"),
        ("{{ 'one two three'|wordwrap(5) }}", "one\ntwo\nthree"),
    ],
)  # fmt: skip
def test_ordinary_templates_render_as_before(source: str, expected: str) -> None:
    assert render(source, CONTEXT) == expected


@pytest.mark.parametrize("source", ["{{ [1, 2, 3]|random }}", "{{ lipsum(2) }}"])
def test_what_would_render_differently_each_time_is_not_offered(source: str) -> None:
    # A replayed transition must render what the first one rendered.
    assert refused(source).budget is None
