"""A node with what it needs: the pipeline cut down to one node and its ancestors (to run that node alone)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from lockgate.errors import DefinitionError, DefinitionErrors

if TYPE_CHECKING:
    from lockgate.compile.plan import Plan
    from lockgate.spec.pipeline import PipelineSpec

__all__ = ["upstream_spec"]


def upstream_spec(plan: Plan, node_id: str, field: str = "node") -> PipelineSpec:
    """The plan's pipeline with only ``node_id`` and its ancestors, the edges between them, and no output.

    A run of it ends once the node has: nothing downstream runs. ``field`` names the request field for the error.
    """
    target = plan.nodes.get(node_id)
    if target is None:
        raise DefinitionErrors([DefinitionError(f"{node_id!r} is not a node of {plan.spec.name}", field=field)])
    keep = target.ancestors | {node_id}
    spec = plan.spec
    return spec.model_copy(
        update={
            "nodes": [n for n in spec.nodes if n.id in keep],
            "edges": [e for e in spec.edges if e.source in keep and e.target in keep],
            "output": None,  # it may name nodes left out
        }
    )
