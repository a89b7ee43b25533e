"""Pipelines in code: a builder whose spec is the one the same pipeline written in YAML gives.

``Pipeline`` holds one builder per node kind (``pipe.script``, ``pipe.agent``, …); each returns a
``NodeHandle``. Edges come from the upstream handles given to a builder, from the nodes an input reads
(``draft.output["title"]``), and from ``a >> b``. ``@pipe.task`` makes a Python function a step (``@task``
a reusable one); ``run_local`` runs a pipeline on the real runtime in this process.
"""

from lockgate.handlers.code_tasks import Next
from lockgate.sdk._answers import Answer, Answers
from lockgate.sdk._builder import DurationValue, NodeBuilder
from lockgate.sdk._handles import EdgeSource, NodeHandle, Ref
from lockgate.sdk._local import LocalRun, LocalStep, WaitingTask, run_local
from lockgate.sdk._pipeline import InputValue, Pipeline, to_yaml
from lockgate.sdk._task import Task, task
from lockgate.sdk._task_builder import TaskBuilder, TaskHandle

__all__ = [
    "Answer",
    "Answers",
    "DurationValue",
    "EdgeSource",
    "InputValue",
    "LocalRun",
    "LocalStep",
    "Next",
    "NodeBuilder",
    "NodeHandle",
    "Pipeline",
    "Ref",
    "Task",
    "TaskBuilder",
    "TaskHandle",
    "WaitingTask",
    "run_local",
    "task",
    "to_yaml",
]
