"""Compile a definition into a validated, frozen plan."""

from __future__ import annotations

from typing import TYPE_CHECKING

from lockgate.lazy import exports

__all__ = [
    "ERROR_BRANCH",
    "Plan",
    "PlanEdge",
    "PlanNode",
    "compile_file",
    "compile_loaded",
    "compile_pipeline",
    "compile_text",
    "declared_branches",
    "validate_form",
    "validate_input",
]

if TYPE_CHECKING:
    from lockgate.compile.compiler import compile_file, compile_loaded, compile_pipeline, compile_text
    from lockgate.compile.forms import validate_form
    from lockgate.compile.inputs import validate_input
    from lockgate.compile.plan import Plan, PlanEdge, PlanNode
    from lockgate.compile.problems import ERROR_BRANCH, declared_branches
else:
    __getattr__ = exports(
        __name__,
        {
            "compiler": ("compile_file", "compile_loaded", "compile_pipeline", "compile_text"),
            "forms": ("validate_form",),
            "inputs": ("validate_input",),
            "plan": ("Plan", "PlanEdge", "PlanNode"),
            "problems": ("ERROR_BRANCH", "declared_branches"),
        },
    )
