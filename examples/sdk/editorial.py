"""editorial.py — examples/editorial.yaml in code: a draft is reviewed, sent back with feedback, approved, signed off.

Shows: a ``review`` policy given as the spec's model (``ReviewPolicy``: who reviews, how many revisions),
the ``human`` kind (a form: its ``HumanConfig`` fields, each form field as a dict), a script that reads
the global ``feedback`` of the revision it answers, and the run's output built from a Ref and a handle's
``attempt``. A person answers through the server (see examples/editorial.yaml for the whole walk):

    lockgate apply examples/sdk/editorial.py --url http://127.0.0.1:8080 --key lg_…
    lockgate run examples/sdk/editorial.py        runs prepare and draft, then waits for an editor
"""

from __future__ import annotations

from lockgate import Pipeline
from lockgate.spec import ReviewPolicy

pipe = Pipeline(
    "editorial",
    description="Prepare, draft, review with revisions, sign off and publish an article.",
    input={
        "topic": {"type": "string", "default": "durable pipelines", "description": "what the article is about"},
        "audience": {"type": "string", "default": "engineers"},
    },
)

prepare = pipe.script(
    "prepare",
    inputs={"topic": pipe.input["topic"], "audience": pipe.input["audience"]},
    code="""\
from pathlib import Path
points = [
    f"{topic.capitalize()} survive a crash: every step is recorded before it runs on.",
    "People review what agents and scripts produce, and send it back with feedback.",
    "Every run is numbered; a new run can build on an earlier one.",
    "Nothing is deleted: a rollback archives what it replaces.",
]
Path("notes.md").write_text(f"# Notes on {topic} for {audience}\\n\\n" + "".join(f"- {p}\\n" for p in points))
output = {"topic": topic, "audience": audience, "points": points}
""",
)

draft = pipe.script(
    "draft",
    inputs={"material": prepare.output},
    review=ReviewPolicy(
        approve_complete=True,
        max_revisions=3,
        assignees=["role:editor"],
        instructions=(
            "Read **draft.md**. Approve it, or request a revision that says what to change\n"
            '("shorter" keeps two points; anything else is added as an editor\'s note).\n'
        ),
    ),
    code="""\
import os
from pathlib import Path
points = material["points"]
notes = []
if feedback:  # the revision request this attempt answers
    if "shorter" in feedback.lower():
        points = points[:2]
    notes.append(f"Editor's note: {feedback}")
previous = None
earlier = os.environ.get("LOCKGATE_EXTENDS_DIR")  # the run this one extends, read only
if earlier and Path(earlier, "draft", "draft.md").is_file():
    previous = Path(earlier, "draft", "draft.md").read_text().splitlines()[0].lstrip("# ")
    notes.append(f"Builds on the earlier draft: {previous}")
title = f"{material['topic'].capitalize()} for {material['audience']}"
body = "\\n\\n".join(points + notes)
Path("draft.md").write_text(f"# {title}\\n\\n{body}\\n")
output = {"title": title, "text": body, "words": len(body.split()), "points": len(points),
          "feedback": feedback, "attempt": int(os.environ["LOCKGATE_ATTEMPT"]), "previous": previous}
""",
)

sign_off = pipe.human(
    "sign_off",
    inputs={"draft": draft.output["text"]},
    title=f"Sign off: {draft.output['title']}",
    instructions="The draft is approved. Choose the headline, the date and where it goes out.",
    artifact="sign_off.json",
    fields=[
        {"name": "headline", "type": "text", "required": True, "min": 5, "max": 80, "default": draft.output["title"]},
        {"name": "publish_on", "type": "date", "required": True, "min": "2026-01-01"},
        {
            "name": "channel",
            "type": "select",
            "default": "blog",
            "options": [{"value": "blog", "label": "The blog"}, {"value": "newsletter", "label": "The newsletter"}],
        },
        {"name": "attachment", "type": "file", "max": 1000000, "description": "an image or a note to publish with it"},
    ],
)

publish = pipe.script(
    "publish",
    inputs={"text": draft.output["text"], "decision": sign_off.output},
    code="""\
from pathlib import Path
lines = [f"# {decision['headline']}", "", f"_{decision['channel']}, {decision['publish_on']}_", "", text]
if decision.get("attachment"):
    lines += ["", f"Attached: {decision['attachment']['name']}"]
Path("article.md").write_text("\\n".join(lines) + "\\n")
output = {"article": "article.md", "headline": decision["headline"], "channel": decision["channel"],
          "words": len(text.split())}
""",
)

pipe.set_output({"published": publish.output, "draft_attempts": draft.attempt})

if __name__ == "__main__":
    print(pipe.to_yaml(), end="")
