"""``task.ref`` and ``task.code_hash`` in templates: a task node's own names, an error anywhere else."""

from __future__ import annotations

from typing import Any

import pytest

from lockgate.compile import compile_pipeline
from lockgate.errors import DefinitionErrors
from lockgate.spec import spec_from_data

TASK = {"ref": "billing.tasks:charge", "code_hash": "ab" * 32}


def _compile(nodes: list[dict[str, Any]]) -> None:
    compile_pipeline(spec_from_data({"name": "p", "nodes": nodes}))


def test_a_task_node_may_key_idempotency_on_its_code() -> None:
    _compile([{"id": "charge", "kind": "task", "config": TASK, "inputs": {"ref": "{{ task.ref }}"},
               "idempotency_key": "{{ input.id }}-{{ task.code_hash }}"}])  # fmt: skip


def test_another_kind_naming_task_is_reported_with_its_node_and_field() -> None:
    with pytest.raises(DefinitionErrors) as caught:
        _compile([{"id": "charge", "kind": "task", "config": TASK},
                  {"id": "note", "kind": "noop", "idempotency_key": "{{ task.code_hash }}"}])  # fmt: skip
    assert [(e.node_id, e.field) for e in caught.value.errors] == [("note", "idempotency_key")]
    assert "unknown name 'task'" in caught.value.errors[0].detail
