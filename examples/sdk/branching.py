"""branching.py — examples/branching.yaml in code: route with a condition node, skip, join again.

Shows: a ``condition`` node's branches as edges (``route.branch("high") >> approve``), an edge taken
only when an expression holds (``decide.when(...) >> alert``), ``join="any"``, and fan-in from a list
(``[decide, alert] >> record``). The edges are drawn after the nodes, as in the YAML file; most
expressions are plain templates, and the Refs ``record`` reads imply no edge: their nodes are upstream.

    python examples/sdk/branching.py > branching.yaml && lockgate run branching.yaml -i score=60
"""

from __future__ import annotations

from lockgate import Pipeline

pipe = Pipeline(
    "branching",
    description="Triage a score into approve, review or reject, and raise an alert for very low scores.",
    input={"score": {"type": "integer", "required": True, "description": "0 to 100"}},
)

triage = pipe.transform(
    "triage",
    value={
        "score": "{{ input.score }}",
        "band": "{{ 'high' if input.score >= 80 else 'medium' if input.score >= 50 else 'low' }}",
    },
)
route = pipe.condition(
    "route",
    branches=[
        {"name": "high", "when": "{{ nodes.triage.output.score >= 80 }}"},
        {"name": "medium", "when": "{{ nodes.triage.output.score >= 50 }}"},
    ],
    default="low",
)
approve = pipe.transform("approve", value="approved")
review = pipe.script(
    "review",
    inputs={"score": "{{ nodes.triage.output.score }}"},
    code='output = "needs review" if score < 70 else "approved after review"\n',
)
second_look = pipe.transform(
    "second_look",
    description="Only reachable through review; skipped with it.",
    value="{{ nodes.review.output }} (second look done)",
)
reject = pipe.transform("reject", value="rejected")
decide = pipe.transform(
    "decide",
    join="any",
    value={
        # a node that did not run reads as status "skipped" (or "pending") with output None
        "decision": "{{ nodes.approve.output or nodes.second_look.output or nodes.reject.output }}",
        "branch": "{{ nodes.route.output.branches[0] }}",
    },
)
alert = pipe.transform("alert", value="score {{ input.score }} is below 20")
record = pipe.transform(
    "record",
    description="join all over decide and alert; alert's skip does not hold it back.",
    value={
        "decision": "{{ nodes.decide.output.decision }}",
        "branch": "{{ nodes.decide.output.branch }}",
        "alert": "{{ nodes.alert.output }}",
        # Refs given whole: each would draw an edge, but every node read here is upstream of record already
        "statuses": {node.id: node.status for node in (approve, review, second_look, reject, alert)},
    },
)

triage >> route
route.branch("high") >> approve
route.branch("medium") >> review
route.branch("low") >> reject
review >> second_look
[approve, second_look, reject] >> decide
decide.when("{{ input.score < 20 }}") >> alert
[decide, alert] >> record

if __name__ == "__main__":
    print(pipe.to_yaml(), end="")
