"""Compile a definition into a validated, frozen plan."""

from lockgate.compile.compiler import ERROR_BRANCH, compile_pipeline, declared_branches
from lockgate.compile.forms import validate_form
from lockgate.compile.inputs import validate_input
from lockgate.compile.plan import Plan, PlanEdge, PlanNode

__all__ = [
    "ERROR_BRANCH",
    "Plan",
    "PlanEdge",
    "PlanNode",
    "compile_pipeline",
    "declared_branches",
    "validate_form",
    "validate_input",
]
