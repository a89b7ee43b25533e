"""The ``task`` handler: registered functions only, pinned by hash; failures as data; outputs as JSON."""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import TYPE_CHECKING

import pytest
from pydantic import BaseModel

from lockgate.errors import PermanentStepError, RetryableStepError
from lockgate.handlers.code_tasks import CodeTask, CodeTasks, Next, TaskLoadError, code_hash, handler, task_ref
from lockgate.handlers.registry import default_registry
from lockgate.spec.nodes import TaskConfig

if TYPE_CHECKING:
    from collections.abc import Callable

    from tests.unit.handlers.conftest import FakeContext

pytestmark = pytest.mark.anyio


class Order(BaseModel):
    order_id: str
    total: int


@dataclass
class Receipt:
    paid: int


def fetch(order_id: str, n: int = 1) -> Order:
    return Order(order_id=order_id, total=42 * n)


async def pay(total: int) -> Receipt:
    return Receipt(paid=total)


def route(total: int) -> Next:
    return Next(["review"] if total > 100 else ["pay"], output={"total": total})


def explode() -> None:
    raise KeyError("no such order")


def where() -> str:
    return threading.current_thread().name


def _task(fn: Callable[..., object]) -> CodeTask:
    return CodeTask(task_ref(fn), code_hash(fn), fn)


def _tasks(*fns: Callable[..., object], on_caller_thread: bool = False) -> CodeTasks:
    tasks = CodeTasks(on_caller_thread=on_caller_thread)
    for fn in fns:
        tasks.add(_task(fn))
    return tasks


def _config(fn: Callable[..., object], code: str | None = None) -> TaskConfig:
    return TaskConfig(ref=task_ref(fn), code_hash=code or code_hash(fn))


async def test_a_task_gets_its_inputs_as_keywords_and_its_model_becomes_json(ctx: FakeContext) -> None:
    result = await handler(_tasks(fetch))(ctx, _config(fetch), {"order_id": "A-1", "n": 2})
    assert result.output == {"order_id": "A-1", "total": 84}
    assert result.next is None


async def test_an_async_task_is_awaited_and_a_dataclass_becomes_json(ctx: FakeContext) -> None:
    result = await handler(_tasks(pay))(ctx, _config(pay), {"total": 5})
    assert result.output == {"paid": 5}


async def test_next_routes(ctx: FakeContext) -> None:
    result = await handler(_tasks(route))(ctx, _config(route), {"total": 500})
    assert (result.next, result.output) == (["review"], {"total": 500})


async def test_a_sync_task_runs_in_a_thread_or_on_the_callers(ctx: FakeContext) -> None:
    here = threading.current_thread().name
    threaded = await handler(_tasks(where))(ctx, _config(where), {})
    inline = await handler(_tasks(where, on_caller_thread=True))(ctx, _config(where), {})
    assert threaded.output != here
    assert inline.output == here


async def test_an_unregistered_ref_is_refused_never_imported(ctx: FakeContext) -> None:
    config = TaskConfig(ref="os:system", code_hash="0" * 64)
    with pytest.raises(PermanentStepError) as caught:
        await handler(_tasks(fetch))(ctx, config, {"command": "true"})
    assert caught.value.kind == "task_not_registered"
    assert "'os:system'" in caught.value.detail and "--tasks" in caught.value.detail


async def test_another_code_is_refused_naming_both_hashes(ctx: FakeContext) -> None:
    pinned = "a" * 64
    with pytest.raises(PermanentStepError) as caught:
        await handler(_tasks(fetch))(ctx, _config(fetch, pinned), {"order_id": "A-1"})
    assert caught.value.kind == "task_code_mismatch"
    assert pinned in caught.value.detail and code_hash(fetch) in caught.value.detail
    assert task_ref(fetch) in caught.value.detail


@pytest.mark.parametrize(("inputs", "named"), [({}, "'order_id'"), ({"order_id": "A", "colour": "red"}, "'colour'")])
async def test_wrong_arguments_name_the_parameter(ctx: FakeContext, inputs: dict[str, str], named: str) -> None:
    with pytest.raises(PermanentStepError) as caught:
        await handler(_tasks(fetch))(ctx, _config(fetch), dict(inputs))
    assert caught.value.kind == "task_arguments"
    assert named in caught.value.detail and task_ref(fetch) in caught.value.detail


async def test_a_raising_task_fails_retryably_with_the_exception_type(ctx: FakeContext) -> None:
    with pytest.raises(RetryableStepError) as caught:
        await handler(_tasks(explode))(ctx, _config(explode), {})
    assert caught.value.kind == "task_error"
    assert caught.value.detail == "KeyError: 'no such order'"


async def test_an_output_that_is_not_json_fails_the_step(ctx: FakeContext) -> None:
    def opaque() -> object:
        return object()

    tasks = CodeTasks()
    tasks.add(CodeTask("tests.unit:opaque", code_hash(opaque), opaque))
    with pytest.raises(PermanentStepError) as caught:
        await handler(tasks)(ctx, TaskConfig(ref="tests.unit:opaque", code_hash=code_hash(opaque)), {})
    assert caught.value.kind == "invalid_output"


async def test_a_task_may_fail_on_purpose_with_its_own_kind(ctx: FakeContext) -> None:
    def refuse(order_id: str) -> None:
        raise PermanentStepError("invalid_order", f"order {order_id} is closed")

    tasks = CodeTasks()
    tasks.add(CodeTask("tests.unit:refuse", code_hash(refuse), refuse))
    with pytest.raises(PermanentStepError) as caught:
        await handler(tasks)(ctx, TaskConfig(ref="tests.unit:refuse", code_hash=code_hash(refuse)), {"order_id": "7"})
    assert (caught.value.kind, caught.value.detail) == ("invalid_order", "order 7 is closed")


def test_one_ref_with_two_hashes_is_refused() -> None:
    tasks = _tasks(fetch)
    tasks.add(_task(fetch))  # the same code again is fine
    with pytest.raises(ValueError, match="registered twice"):
        tasks.add(CodeTask(task_ref(fetch), "b" * 64, fetch))


class _Source:
    def __lockgate_tasks__(self) -> list[CodeTask]:
        return [_task(fetch), _task(pay)]


SOURCE = _Source()


def test_load_collects_task_sources_and_names_a_module_that_fails() -> None:
    tasks = CodeTasks()
    tasks.load([__name__])
    assert tasks.refs == {task_ref(fetch): code_hash(fetch), task_ref(pay): code_hash(pay)}
    assert tasks.modules == (__name__,)
    with pytest.raises(TaskLoadError, match=r"'tests\.no_such_module'"):
        tasks.load(["tests.no_such_module"])


async def test_the_default_registry_runs_the_tasks_it_is_given(ctx: FakeContext) -> None:
    registry = default_registry(_tasks(fetch))
    handled = registry.get("task")
    assert handled.config_type is TaskConfig
    result = await handled.run(ctx, _config(fetch), {"order_id": "B"})
    assert result.output == {"order_id": "B", "total": 42}
