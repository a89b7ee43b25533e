"""``@task`` and ``pipe.task``: parameters become inputs, ``next=`` draws edges, unimportable functions are refused."""

from __future__ import annotations

import asyncio
import sys
import types
from dataclasses import dataclass

import pytest

from lockgate import Next, Pipeline, task
from lockgate.errors import DefinitionErrors
from lockgate.handlers.code_tasks import CodeTasks
from lockgate.sdk import Task, TaskHandle
from lockgate.spec import RetryPolicy, TaskConfig, parse_spec

MODULE = __name__


def fetch(order_id: str, currency: str = "EUR") -> dict[str, object]:
    return {"order_id": order_id, "total": 42, "currency": currency}


def price(order: dict[str, object], rate: float = 1.0) -> float:
    return float(str(order["total"])) * rate


@task
def double(value: int) -> int:
    return value * 2


@task(version="2")
def labelled(value: int) -> str:
    return f"#{value}"


@dataclass
class Receipt:
    order_id: str
    paid: int


def receipt(order_id: str) -> Receipt:
    return Receipt(order_id, 42)


async def slow_total(order_id: str) -> dict[str, object]:
    await asyncio.sleep(0)
    return {"order_id": order_id}


def first(order_id: str, /) -> str:
    return order_id


def router(total: int) -> Next:
    return Next(["pay"] if total < 100 else ["review"], output={"total": total})


def _errors(exc: pytest.ExceptionInfo[DefinitionErrors]) -> list[tuple[str | None, str | None]]:
    return [(e.node_id, e.field) for e in exc.value.errors]


# ------------------------------------------------------------------------------------- parameters → inputs


def test_a_parameter_named_like_a_run_input_reads_it_and_defaults_stay_with_the_function() -> None:
    pipe = Pipeline("p", input={"order_id": str})
    node = pipe.task()(fetch)
    [spec_node] = pipe.spec().nodes
    assert node.id == "fetch"
    assert spec_node.inputs == {"order_id": "{{ input.order_id }}"}  # currency keeps its default
    assert spec_node.config == TaskConfig(ref=f"{MODULE}:fetch", code_hash=node.code_hash)


def test_a_handle_or_ref_default_reads_that_node_and_draws_the_edge() -> None:
    pipe = Pipeline("p", input={"order_id": str})
    order = pipe.task()(fetch)

    def total(order: object = order, total: object = order.value["total"]) -> object:
        return total, order

    total.__qualname__ = "total"  # as if defined at module level: its parameters are what this test is about
    pipe.task(name="total")(total)
    spec = pipe.spec()
    assert spec.nodes[1].inputs == {"order": "{{ nodes.fetch.output }}", "total": "{{ nodes.fetch.output.total }}"}
    assert [(e.source, e.target) for e in spec.edges] == [("fetch", "total")]


def test_item_reads_the_item_of_a_for_each_node_and_inputs_override_names() -> None:
    pipe = Pipeline("p", input={"value": int})
    numbers = pipe.transform("numbers", value=[1, 2, 3])
    doubled = pipe.task(for_each=numbers, inputs={"value": "{{ item }}"})(double)
    priced = pipe.task(name="priced", inputs={"order": {"total": 1}, "rate": pipe.input["value"]})(price)
    spec = pipe.spec()
    assert spec.nodes[1].inputs == {"value": "{{ item }}"} and spec.nodes[1].for_each == "{{ nodes.numbers.output }}"
    assert spec.nodes[2].inputs == {"order": {"total": 1}, "rate": "{{ input.value }}"}
    assert doubled.ref == f"{MODULE}:double" and priced.id == "priced"


def test_a_parameter_with_no_value_and_an_unknown_input_are_named_by_node_and_field() -> None:
    pipe = Pipeline("p", input={"currency": str})
    with pytest.raises(DefinitionErrors) as caught:
        pipe.task(inputs={"colour": "red"})(fetch)
    assert _errors(caught) == [("fetch", "inputs.colour"), ("fetch", "inputs.order_id")]
    assert "'order_id' has no value: it is no pipeline input (those are: currency)" in str(caught.value)
    assert pipe.node_ids == []


# ------------------------------------------------------------------------------------- next and edges


def test_next_names_successors_added_later_and_draws_their_edges() -> None:
    pipe = Pipeline("p", input={"total": int})
    route = pipe.task(name="route", next=["pay", "review"])(router)
    pipe.noop("pay")
    review = pipe.noop("review")
    assert [(e.source, e.target) for e in pipe.spec().edges] == [("route", "pay"), ("route", "review")]
    assert review.id == "review" and route.id == "route"


def test_next_naming_no_node_is_an_error_of_the_spec() -> None:
    pipe = Pipeline("p", input={"total": int})
    pipe.task(name="route", next=["pay"])(router)
    with pytest.raises(DefinitionErrors) as caught:
        pipe.spec()
    assert _errors(caught) == [("route", "next")]
    assert "no node 'pay'" in str(caught.value)


def test_policies_pass_through_and_the_yaml_reads_back() -> None:
    pipe = Pipeline("p", input={"order_id": str})
    pipe.task(retry={"max_attempts": 3}, timeout="30s", queue="billing", idempotency_key="{{ input.order_id }}")(fetch)
    node = pipe.spec().nodes[0]
    assert node.retry == RetryPolicy(max_attempts=3) and node.queue == "billing"
    assert parse_spec(pipe.to_yaml()) == pipe.spec()
    assert Pipeline.from_yaml(pipe.to_yaml()).spec() == pipe.spec()


def test_the_plain_builder_form_takes_a_config() -> None:
    pipe = Pipeline("p")
    node = pipe.task("fetch", config=TaskConfig(ref="billing.tasks:fetch", code_hash="a" * 64))
    assert not isinstance(node, TaskHandle)
    assert pipe.spec().nodes[0].config == TaskConfig(ref="billing.tasks:fetch", code_hash="a" * 64)
    assert list(pipe.__lockgate_tasks__()) == []  # no function: a worker must have it from elsewhere


# ------------------------------------------------------------------------------------- refusals


def test_a_lambda_or_a_nested_function_is_refused_with_the_node_named() -> None:
    pipe = Pipeline("p", input={"order_id": str})
    with pytest.raises(DefinitionErrors) as caught:
        pipe.task(name="pay")(lambda order_id: order_id)
    assert _errors(caught) == [("pay", "config.ref")]
    assert "a worker could not import it" in str(caught.value)

    def nested(order_id: str) -> str:
        return order_id

    with pytest.raises(DefinitionErrors, match="a lambda or a local function"):
        pipe.task()(nested)
    with pytest.raises(ValueError, match="a worker could not import it"):
        task(nested)


def test_a_positional_only_parameter_is_refused() -> None:
    pipe = Pipeline("p", input={"order_id": str})
    with pytest.raises(DefinitionErrors, match="positional-only"):
        pipe.task()(first)


# ------------------------------------------------------------------------------------- Task


def test_a_task_is_still_its_function_with_a_ref_and_a_code_hash() -> None:
    assert isinstance(double, Task)
    assert double(4) == 8
    assert double.ref == f"{MODULE}:double" and len(double.code_hash) == 64
    assert labelled.version == "2" and labelled.code_hash != Task(labelled.fn).code_hash
    pipe = Pipeline("p", input={"value": int})
    node = pipe.task(name="twice")(double)
    assert node(5) == 10 and node.code_hash == double.code_hash
    assert pipe.task(labelled).id == "labelled"  # @pipe.task without parentheses
    with pytest.raises(DefinitionErrors, match="version"):
        pipe.task(name="other", version="3")(double)


def test_run_local_runs_one_task_as_a_step_would() -> None:
    assert double.run_local(value=3) == 6
    assert Task(receipt).run_local(order_id="A-1") == {"order_id": "A-1", "paid": 42}  # a dataclass, dumped
    assert Task(slow_total).run_local(order_id="A-2") == {"order_id": "A-2"}  # awaited
    assert Task(router).run_local(total=500) == Next(["review"], output={"total": 500})
    with pytest.raises(TypeError, match=rf"task {MODULE}:double: .*'value'"):
        double.run_local()
    with pytest.raises(TypeError, match="colour"):
        double.run_local(value=1, colour="red")


def test_a_worker_loading_the_module_registers_the_pipelines_and_tasks_functions() -> None:
    module = types.ModuleType("lockgate_test_tasks_module")
    pipe = Pipeline("p", input={"order_id": str, "value": int})
    fetched = pipe.task()(fetch)
    pipe.task()(double)
    module.pipe = pipe  # type: ignore[attr-defined]
    module.labelled = labelled  # type: ignore[attr-defined]
    sys.modules[module.__name__] = module
    try:
        tasks = CodeTasks()
        tasks.load([module.__name__])
    finally:
        del sys.modules[module.__name__]
    assert dict(tasks.refs) == {
        f"{MODULE}:fetch": fetched.code_hash,
        f"{MODULE}:double": double.code_hash,
        f"{MODULE}:labelled": labelled.code_hash,
    }
