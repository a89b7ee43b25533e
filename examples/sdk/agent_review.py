"""agent_review.py — examples/agent_review.yaml in code: an agent drafts, an editor reviews, a transform publishes.

Shows: the ``agent`` kind (its ``AgentConfig`` fields as keywords), a ``review`` policy given in its
dict form, a retry policy given as the spec's own model, and Refs that draw the edges they need: the
prompt reads ``prepare`` (an f-string: text only, so ``prepare`` is also given as upstream), and
``publish`` reads ``draft`` (a Ref given whole: the edge follows).

    python examples/sdk/agent_review.py > agent_review.yaml
    OPENAI_BASE_URL=… LOCKGATE_MODEL=… lockgate run agent_review.yaml --json
"""

from __future__ import annotations

from lockgate import Pipeline
from lockgate.spec import RetryPolicy

pipe = Pipeline(
    "agent_review",
    description="An agent drafts a release note from prepared notes; the result is published.",
    input={"product": {"type": "string", "default": "Lockgate"}},
)

prepare = pipe.script(
    "prepare",
    inputs={"product": pipe.input["product"]},
    code="""\
changes = ["agent steps", "budgets", "replay"]
with open("notes.md", "w") as f:   # an artifact of this step: the agent reads it as context
    f.write(f"# {product} 0.2\\n\\n" + "".join(f"- {c}\\n" for c in changes))
output = {"count": len(changes)}
""",
)

draft = pipe.agent(
    "draft",
    prepare,
    retry=RetryPolicy(max_attempts=2),
    review={"approve_complete": True, "max_revisions": 2, "assignees": ["role:editor"]},
    instructions="You write short, plain release notes. Answer with a title and a one-line summary.",
    prompt=(
        f"Write the release note of {pipe.input['product']} from the notes below ({prepare.output['count']} changes)."
    ),
    context=[{"step": "prepare", "name": "notes.md"}],
    context_max_chars=4000,
    output_schema={
        "type": "object",
        "properties": {"title": {"type": "string", "minLength": 1}, "summary": {"type": "string", "minLength": 1}},
        "required": ["title", "summary"],
    },
    budget={"max_requests": 5},
)

publish = pipe.transform("publish", value={"title": draft.output["title"], "summary": draft.output["summary"]})

if __name__ == "__main__":
    print(pipe.to_yaml(), end="")
