"""The ``choose_next`` tool of an agent with ``route: true``: what the model sees, what it may choose."""

from __future__ import annotations

import pytest
from pydantic_ai import ModelRetry

from lockgate.engine.commands import Successor
from lockgate.handlers.agent.routing import Router


def _router() -> Router:
    return Router([Successor(id="pay", name="Pay"), Successor(id="review", description="a person checks it")])


def test_the_tool_lists_each_successor_and_offers_only_their_ids() -> None:
    tool = _router().tool()
    assert tool.name == "choose_next"
    assert tool.description is not None
    assert "- pay: Pay\n- review: a person checks it" in tool.description
    schema = tool.function_schema.json_schema
    assert schema["properties"]["nodes"]["items"]["enum"] == ["pay", "review"]


def test_a_choice_is_kept_in_declared_order_and_the_last_call_counts() -> None:
    router = _router()
    choose = router.choose
    assert choose(["pay"]) == "next: pay"
    assert choose(["review", "pay"]) == "next: pay, review"
    assert router.chosen == ["pay", "review"]
    assert choose([]) == "next: none"
    assert router.chosen == []


def test_a_stranger_or_a_bare_string_goes_back_to_the_model_naming_the_allowed_ones() -> None:
    router = _router()
    choose = router.choose
    with pytest.raises(ModelRetry, match="shred: not a next step; choose from pay, review"):
        choose(["pay", "shred"])
    with pytest.raises(ModelRetry, match="choose from pay, review"):
        choose("pay")
    assert router.chosen is None


def test_an_answer_before_the_choice_is_sent_back() -> None:
    router = _router()
    validate = router.require_choice()
    with pytest.raises(ModelRetry, match="call choose_next"):
        validate("done")
    router.choose(["pay"])
    assert validate("done") == "done"
