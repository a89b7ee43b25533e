"""fan_out.py — examples/fan_out.yaml in code: map over a list with for_each, then gather the results.

Shows: a handle given as ``for_each`` (one step per item of its output, and the edge from it), inputs
that read earlier nodes (``count.output``: the list of the item outputs, in item order), and the run's
output built from Refs.

    python examples/sdk/fan_out.py > fan_out.yaml && lockgate run fan_out.yaml
"""

from __future__ import annotations

from lockgate import Pipeline

pipe = Pipeline(
    "fan_out",
    description="Count the words of several documents in parallel, then aggregate the counts.",
    input={
        "documents": {
            "type": "array",
            "description": "the texts to count, one string each",
            "default": [
                "The quick brown fox jumps over the lazy dog.",
                "Durable pipelines survive crashes.",
                "Every step leaves an artifact that a person can review.",
                "Retries are policy, not loops.",
                "Fan out, fan in.",
            ],
        }
    },
)

documents = pipe.transform(
    "documents",
    description="Stands in for a listing step, here the run input as it is.",
    value=pipe.input["documents"],
)

count = pipe.script(
    "count",
    for_each=documents,
    max_parallel=2,
    inputs={"text": "{{ item }}", "index": "{{ item_index }}"},
    code="""\
words = text.split()
output = {"index": index, "words": len(words), "longest": max(words, key=len) if words else ""}
""",
)

aggregate = pipe.script(
    "aggregate",
    inputs={"counts": count.output},
    code="""\
total = sum(c["words"] for c in counts)
biggest = max(counts, key=lambda c: (c["words"], -c["index"]))
output = {
    "documents": len(counts),
    "words": total,
    "per_document": [c["words"] for c in counts],
    "largest_document": biggest["index"],
}
""",
)

# Inside an f-string a Ref is only text: the edge from aggregate is given as an upstream handle.
headline = pipe.transform(
    "headline",
    aggregate,
    value=f"{aggregate.output['words']} words in {aggregate.output['documents']} documents",
)

pipe.set_output(
    {
        "documents": aggregate.output["documents"],
        "words": aggregate.output["words"],
        "per_document": aggregate.output["per_document"],
        "largest_document": aggregate.output["largest_document"],
        "headline": headline.output,
    }
)

if __name__ == "__main__":
    print(pipe.to_yaml(), end="")
