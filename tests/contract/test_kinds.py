"""Kinds carry their own needs: the registry, the ``Node`` union and each model's traits agree, and say it once."""

from __future__ import annotations

from typing import Any, ClassVar, Literal

import pytest
from pydantic import BaseModel

from lockgate.handlers import noop
from lockgate.handlers.registry import HandlerRegistry, default_registry
from lockgate.spec import NodeBase, NoopConfig, NoopNode, pipeline_json_schema
from lockgate.spec.kinds import NEEDS_KEY, KindNeeds, needs_json
from lockgate.spec.nodes import node_models

MODELS = node_models()
REGISTRY = default_registry()


def overrides(model: type[NodeBase], method: str) -> bool:
    return getattr(model, method) is not getattr(NodeBase, method)


def test_the_registry_has_exactly_the_union_s_kinds_each_under_its_model() -> None:
    assert list(REGISTRY.kinds) == list(MODELS)
    for kind, handler in REGISTRY.kinds.items():
        assert handler.model is MODELS[kind]
        assert handler.config_type is MODELS[kind].model_fields["config"].annotation


@pytest.mark.parametrize("kind", list(MODELS))
def test_a_kind_is_pure_exactly_when_it_registers_an_inline_function(kind: str) -> None:
    assert MODELS[kind].needs.inline == (REGISTRY.get(kind).inline is not None)


@pytest.mark.parametrize("kind", list(MODELS))
def test_each_trait_with_a_config_dependent_answer_has_its_reader(kind: str) -> None:
    model = MODELS[kind]
    needs = model.needs
    assert needs.waits_on_timer == overrides(model, "timer"), "waits_on_timer ⇔ the model overrides timer()"
    assert needs.uses_models == overrides(model, "models_used") == overrides(model, "budget")
    assert needs.waits_for_person == overrides(model, "form")
    config = model.model_fields["config"].annotation
    assert isinstance(config, type)
    assert issubclass(config, BaseModel)
    for path in needs.branch_fields:
        assert path.partition("[].")[0] in config.model_fields, f"{kind}: branch field {path} is not in its config"
    if needs.reads_file is not None:
        assert {needs.reads_file.field, needs.reads_file.into} <= set(config.model_fields)


def test_the_json_schema_carries_each_kind_s_needs() -> None:
    schema = pipeline_json_schema()
    for model in MODELS.values():
        assert schema["$defs"][model.__name__][NEEDS_KEY] == needs_json(model.needs)
    assert NEEDS_KEY not in schema["$defs"].get("NodeBase", {})


def test_a_kind_model_without_needs_fails_when_it_is_defined() -> None:
    with pytest.raises(TypeError, match=r"Forgetful declares no needs"):

        class Forgetful(NodeBase):
            kind: Literal["forgetful"]
            config: NoopConfig = NoopConfig()


class _Pure(NodeBase):
    needs: ClassVar[KindNeeds] = KindNeeds(inline=True)
    kind: Literal["pure"]
    config: NoopConfig = NoopConfig()


class _Untagged(NodeBase):
    needs: ClassVar[KindNeeds] = KindNeeds()
    config: NoopConfig = NoopConfig()


class _TwoKinds(NodeBase):
    needs: ClassVar[KindNeeds] = KindNeeds()
    kind: Literal["a", "b"]
    config: NoopConfig = NoopConfig()


class _Unconfigured(NodeBase):
    needs: ClassVar[KindNeeds] = KindNeeds()
    kind: Literal["bare"]
    config: dict[str, str]


@pytest.mark.parametrize(
    ("model", "inline", "message"),
    [
        (NoopConfig, None, r"NoopConfig is not a node model"),
        (_Untagged, None, r"_Untagged.kind must be annotated with one string Literal"),
        (_TwoKinds, None, r"_TwoKinds.kind must be annotated with one string Literal"),
        (_Unconfigured, None, r"_Unconfigured.config must be annotated with a pydantic model"),
        (_Pure, None, r"kind 'pure' is pure \(needs.inline\) but registers no inline function"),
        (NoopNode, None, r"kind 'noop' is pure"),
        (MODELS["http"], noop.evaluate, r"kind 'http' registers an inline function but is not pure"),
    ],
)
def test_registering_a_wrong_model_is_a_type_error_naming_it(model: Any, inline: Any, message: str) -> None:
    with pytest.raises(TypeError, match=message):
        HandlerRegistry().register(model, noop.run, inline=inline)


def test_a_kind_is_registered_once() -> None:
    registry = HandlerRegistry()
    registry.register(NoopNode, noop.run, inline=noop.evaluate)
    with pytest.raises(ValueError, match="a handler for kind 'noop' is already registered"):
        registry.register(NoopNode, noop.run, inline=noop.evaluate)
    assert registry.get("noop").needs is NoopNode.needs
    with pytest.raises(LookupError, match="no handler registered for node kind 'nope'"):
        registry.get("nope")


def test_without_inline_the_same_kinds_run_through_the_executor() -> None:
    plain = REGISTRY.without_inline()
    assert list(plain.kinds) == list(REGISTRY.kinds)
    assert all(handler.inline is None for handler in plain.kinds.values())
    assert plain.get("noop").run is REGISTRY.get("noop").run
