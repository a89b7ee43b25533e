"""Pipelines in code: a builder whose spec is the one the same pipeline written in YAML gives.

``Pipeline`` holds one builder per node kind (``pipe.script``, ``pipe.agent``, …); each returns a
``NodeHandle``. Edges come from the upstream handles given to a builder, from the nodes an input reads
(``draft.output["title"]``), and from ``a >> b``.
"""

from lockgate.sdk._builder import DurationValue, NodeBuilder
from lockgate.sdk._handles import EdgeSource, NodeHandle, Ref
from lockgate.sdk._pipeline import InputValue, Pipeline, to_yaml

__all__ = ["DurationValue", "EdgeSource", "InputValue", "NodeBuilder", "NodeHandle", "Pipeline", "Ref", "to_yaml"]
