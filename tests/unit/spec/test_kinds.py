"""The trait readers: what the engine, compiler and runtime ask a node instead of its kind's name."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from pydantic import TypeAdapter

from lockgate.compile import declared_branches
from lockgate.spec import Node
from lockgate.spec.kinds import ModelUse

NODE: TypeAdapter[Node] = TypeAdapter(Node)


def node(kind: str, config: dict[str, Any], **fields: Any) -> Node:
    return NODE.validate_python({"id": "n", "kind": kind, "config": config, **fields})


def condition(**config: Any) -> Node:
    branches = [{"name": name, "when": True} for name in config.pop("names")]
    return node("condition", {"branches": branches, **config})


def test_a_condition_declares_its_branches_then_its_default_once_each() -> None:
    assert condition(names=["big", "small"], default="other").branch_names() == ["big", "small", "other"]
    assert condition(names=["big", "small"], default="big").branch_names() == ["big", "small"]
    assert condition(names=["only"]).branch_names() == ["only"]


def test_declared_branches_add_error_to_a_kind_s_own_and_only_when_errors_branch() -> None:
    assert declared_branches(condition(names=["yes"], default="no")) == {"yes", "no"}
    routed = node("http", {"url": "http://x"}, on_error="branch")
    assert routed.branch_names() == []
    assert declared_branches(routed) == {"error"}
    assert declared_branches(node("http", {"url": "http://x"})) == frozenset()


def test_a_script_names_its_source_file_and_inline_code_names_none() -> None:
    assert node("script", {"file": "steps/a.py"}).source_file() == "steps/a.py"
    assert node("script", {"code": "print(1)"}).source_file() is None
    assert node("http", {"url": "http://x"}).source_file() is None


def test_a_wait_is_the_only_kind_with_a_timer() -> None:
    timer = node("wait", {"duration": "5m"}).timer()
    assert timer is not None
    assert (timer.duration, timer.until) == (timedelta(minutes=5), None)
    until = node("wait", {"until": "{{ input.at }}"}).timer()
    assert until is not None
    assert until.until == "{{ input.at }}"
    assert node("noop", {}).timer() is None


def test_a_human_node_s_form_is_its_fields_and_other_kinds_have_none() -> None:
    form = node("human", {"fields": [{"name": "ok", "type": "boolean"}]}).form()
    assert [f.name for f in form] == ["ok"]
    assert node("transform", {"value": 1}).form() == ()


def test_an_agent_uses_its_model_then_each_member_s_through_its_profile_or_the_node_s() -> None:
    team = {
        "mode": "debate",
        "members": [{"name": "a", "model": "fast"}, {"name": "b", "profile": "critic"}, {"name": "c"}],
        "judge": {"name": "j", "profile": "judge", "model": "big"},
    }
    agent = node("agent", {"prompt": "hi", "model": "main", "team": team, "budget": {"max_requests": 3}})
    assert agent.models_used() == (
        ModelUse("config.model", "main"),
        ModelUse("config.team.members[0].model", "fast", None, default="main"),
        ModelUse("config.team.members[1].model", None, ("critic", "config.team.members[1].profile"), "main"),
        ModelUse("config.team.members[2].model", None, None, default="main"),
        ModelUse("config.team.judge.model", "big", None, default="main"),  # inline fields win over the profile
    )
    budget = agent.budget()
    assert budget is not None
    assert budget.max_requests == 3


@pytest.mark.parametrize(
    ("kind", "config"), [("script", {"code": "1"}), ("human", {"fields": []}), ("condition", None), ("wait", None)]
)
def test_kinds_without_models_use_none_and_have_no_budget(kind: str, config: dict[str, Any] | None) -> None:
    made = condition(names=["x"]) if kind == "condition" else node(kind, config or {"duration": "1s"})
    assert made.models_used() == ()
    assert made.budget() is None
