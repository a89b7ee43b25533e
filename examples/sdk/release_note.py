"""release_note.py — tasks in code with an agent and people: a task gathers, an agent drafts, an editor decides.

Shows: a task feeding an agent (the prompt reads the task's output), a ``review`` that has a person approve
the agent's draft, a ``human`` form whose default comes from the draft, and a task that publishes what the
person gave. ``run_local`` takes the people's answers; a test stubs the agent or answers it with a local
server.

    OPENAI_BASE_URL=… LOCKGATE_MODEL=… python examples/sdk/release_note.py
"""

from __future__ import annotations

from typing import Any

from lockgate import Pipeline, run_local

pipe = Pipeline(
    "release_note",
    description="A release note drafted by an agent from the changes, approved and titled by an editor.",
    input={"product": {"type": "string", "default": "Lockgate"}},
)


@pipe.task()
def changes(product: str) -> dict[str, Any]:
    """Stands in for reading the changelog."""
    return {"product": product, "changes": ["code tasks", "routing with Next", "run_local"]}


draft = pipe.agent(
    "draft",
    changes,
    instructions="You write short, plain release notes: one paragraph.",
    prompt=f"Write the release note of {changes.output['product']}: {changes.output['changes']}",
    review={"approve_complete": True, "assignees": ["role:editor"]},
)

editor = pipe.human(
    "editor",
    draft,
    title="Title the release note",
    fields=[{"name": "title", "type": "text", "required": True, "default": "{{ input.product }} news"}],
)


@pipe.task()
def publish(note: str = draft.value, title: str = editor.value["title"]) -> dict[str, Any]:
    """Stands in for posting the note."""
    return {"title": title, "note": note}


if __name__ == "__main__":
    print(run_local(pipe, answers={"draft": "approve", "editor": {"title": "Lockgate 0.3"}}).output)
