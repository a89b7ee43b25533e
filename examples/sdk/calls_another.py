"""calls_another.py — examples/calls_another.yaml in code: a step that runs another pipeline as a child run.

Shows: the ``subpipeline`` kind (its ``SubpipelineConfig`` fields as keywords: the stored pipeline's name, and
the child's input, whose strings are templates rendered when the step starts); the child's output read
through the step's ``output`` like any other step's.

    lockgate run examples/linear.yaml          # stores linear, which this pipeline calls
    lockgate run examples/sdk/calls_another.py -i text="Ship it, ship it, ship it now" --json
"""

from __future__ import annotations

from lockgate import Pipeline

pipe = Pipeline(
    "calls_another",
    description="Count the words of a text by running the linear pipeline as a child run, then headline its result.",
    input={"text": {"type": "string", "default": "Durable runs, reviewable steps, durable artifacts."}},
)

report = pipe.subpipeline("report", pipeline="linear", input={"title": "Words of the day", "text": pipe.input["text"]})
headline = pipe.transform("headline", value="{{ nodes.report.output.summarize.sentence | upper }}")

report >> headline

if __name__ == "__main__":
    print(pipe.to_yaml(), end="")
