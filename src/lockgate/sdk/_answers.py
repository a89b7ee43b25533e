"""What ``run_local`` answers for people: given answers, checked before the run, or asked in a terminal."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

from lockgate.compile.forms import validate_form
from lockgate.engine.events import HumanTaskAnswered, TaskAction
from lockgate.engine.state import StepState, TaskPurpose
from lockgate.errors import InvalidInputError
from lockgate.spec.forms import FieldType, FormField, HumanConfig

if TYPE_CHECKING:
    from pydantic import JsonValue

    from lockgate.spec.nodes import Node
    from lockgate.spec.pipeline import PipelineSpec

__all__ = ["Answer", "AnswerBook", "Answers", "ShownTask", "ask"]

Answer = Mapping[str, "JsonValue"] | Literal["approve", "reject"]
"""One answer: a human node's form values (``{"ok": True}``), or ``"approve"`` / ``"reject"`` for a review."""

Answers = Mapping[str, Answer | Sequence[Answer]]
"""Node id → its answer, or its answers in the order its tasks open (the last one answers any further task)."""

BY = "run_local"  # who answered, as the run's interactions record it
_VERBS = {"approve": TaskAction.APPROVE, "reject": TaskAction.REJECT}


def _fields(node: Node) -> list[FormField] | None:
    return list(node.config.fields) if isinstance(node.config, HumanConfig) else None


def _problem(node: Node, answer: object) -> str | None:
    """Why ``answer`` cannot answer any task ``node`` opens (None: it can)."""
    fields = _fields(node)
    asks_review = node.review is not None and (node.review.approve_start or node.review.approve_complete)
    if isinstance(answer, Mapping):
        if fields is None:
            return f"form values, but it is a {node.kind} node: its review takes 'approve' or 'reject'"
        try:
            validate_form(fields, answer)
        except InvalidInputError as exc:
            return "; ".join(exc.problems)
        return None
    if answer == "reject" and (asks_review or fields is not None):
        return None
    if answer == "approve" and asks_review:
        return None
    if fields is None and not asks_review:
        return f"it asks no one: a {node.kind} node without a review"
    takes = "form values (a dict) or 'reject'" + (", or 'approve' for its review" if asks_review else "")
    return f"{answer!r} is not an answer: it takes {takes}"


class AnswerBook:
    """The answers given to ``run_local``, checked against the pipeline; hands them out task by task."""

    def __init__(self, spec: PipelineSpec, answers: Answers | None) -> None:
        """Raises InvalidInputError naming every answer that fits no node (or not the node it names)."""
        nodes = {node.id: node for node in spec.nodes}
        self._answers: dict[str, list[Answer]] = {}
        problems: list[str] = []
        for node_id, given in (answers or {}).items():
            listed = [given] if isinstance(given, str | Mapping) else list(given)
            if node_id not in nodes:
                problems.append(f"answers[{node_id!r}]: no such node (nodes: {', '.join(nodes)})")
                continue
            if not listed:
                problems.append(f"answers[{node_id!r}]: an empty list answers nothing")
            problems += [f"answers[{node_id!r}]: {p}" for a in listed if (p := _problem(nodes[node_id], a))]
            self._answers[node_id] = listed
        if problems:
            raise InvalidInputError(problems)
        self._used: dict[str, int] = {}

    def next_event(self, step: StepState) -> HumanTaskAnswered | None:
        """The answer to the open task of ``step``, or None when none was given for its node."""
        listed = self._answers.get(step.node_id)
        if not listed or step.task is None:
            return None
        used = self._used.get(step.node_id, 0)
        self._used[step.node_id] = used + 1
        return event(step, listed[min(used, len(listed) - 1)])


def event(step: StepState, answer: Answer) -> HumanTaskAnswered:
    """The event that answers ``step``'s open task with ``answer``."""
    task = step.task or ""
    if isinstance(answer, str):
        return HumanTaskAnswered(task=task, step=step.key, action=_VERBS[answer], by=BY)
    return HumanTaskAnswered(task=task, step=step.key, action=TaskAction.SUBMIT, by=BY, values=dict(answer))


@dataclass(frozen=True, slots=True)
class ShownTask:
    """What a person is shown of an open task: as the inbox renders it (defaults and titles rendered)."""

    title: str
    instructions: str | None
    form: list[FormField] | None


def ask(step: StepState, shown: ShownTask) -> HumanTaskAnswered:
    """Ask in the terminal: a form's fields one by one (checked, asked again when wrong), or approve/reject."""
    _say(f"\n{shown.title}  ({step.key} waits for a person: {step.waiting.value if step.waiting else 'a task'})")
    if shown.instructions:
        _say(shown.instructions)
    if step.waiting is not TaskPurpose.FORM or shown.form is None:
        if step.waiting is TaskPurpose.APPROVE_COMPLETE:
            _say(f"output: {json.dumps(step.output, indent=2, default=str)}")
        while (said := input("approve or reject? ").strip().lower()) not in _VERBS:
            _say("answer approve or reject")
        return event(step, "approve" if said == "approve" else "reject")
    while True:
        values = {field.name: value for field in shown.form if (value := _read_field(field)) is not None}
        try:
            return event(step, validate_form(shown.form, values))
        except InvalidInputError as exc:
            _say("\n".join(exc.problems))


def _say(text: str) -> None:
    print(text, flush=True)  # noqa: T201 - a terminal dialogue, as input() is


def _read_field(field: FormField) -> JsonValue:
    label = field.label or field.name
    hint = ", ".join([field.type.value] + (["required"] if field.required else [])
                     + ([f"Enter for {field.default!r}"] if field.default is not None else []))  # fmt: skip
    text = input(f"{label} ({hint}): ").strip()
    if text == "":
        return None
    match field.type:
        case FieldType.BOOLEAN:
            return text.lower() in ("y", "yes", "true", "1")
        case FieldType.NUMBER | FieldType.INTEGER | FieldType.JSON:
            try:
                parsed: JsonValue = json.loads(text)
            except ValueError:
                return text  # the form check names the field
            return parsed
        case _:
            return text
