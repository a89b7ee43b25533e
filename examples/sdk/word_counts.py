"""word_counts.py — tasks in code: fan out with ``for_each`` over a task, then gather the results.

Shows: a task handle given as ``for_each`` (one step per item of its output, and the edge from it), the
``item`` and ``item_index`` parameters of a mapped task, and a task that reads the mapped node's output:
the list of the item outputs, in item order.

    python examples/sdk/word_counts.py
"""

from __future__ import annotations

from typing import Any

from lockgate import Pipeline, run_local

pipe = Pipeline(
    "word_counts",
    description="Count the words of several documents in parallel, then aggregate the counts.",
    input={
        "documents": {
            "type": "array",
            "default": ["Durable pipelines survive crashes.", "Fan out, fan in.", "Retries are policy, not loops."],
        }
    },
)


@pipe.task()
def documents(documents: list[str]) -> list[str]:
    """Stands in for a listing step: the non-empty documents of the input."""
    return [text for text in documents if text.strip()]


@pipe.task(for_each=documents, max_parallel=2)
def count(item: str, item_index: int) -> dict[str, Any]:
    """One step per document."""
    words = item.split()
    return {"index": item_index, "words": len(words), "longest": max(words, key=len) if words else ""}


@pipe.task()
def aggregate(counts: list[dict[str, Any]] = count.value) -> dict[str, Any]:
    """Every item's output, in item order."""
    return {"documents": len(counts), "words": sum(c["words"] for c in counts),
            "per_document": [c["words"] for c in counts]}  # fmt: skip


if __name__ == "__main__":
    print(run_local(pipe).output)
