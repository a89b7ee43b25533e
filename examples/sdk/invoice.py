"""invoice.py — tasks in code: a router task pays small invoices at once and sends the others to a person.

Shows: ``@pipe.task`` (a parameter named like a run input reads it; one whose default is a node's
``.value`` reads that node's output and draws the edge), ``next=`` naming the successors a task may pick,
``Next`` picking them, an idempotency key with the code hash in it (``{{ task.code_hash }}``: a new version of
the code pays again), a person's answer deciding whether the payment goes on, and ``run_local``.
Tasks have no YAML twin: a definition pins each function by ``ref`` and ``code_hash``, which only the code
can give (``pipe.to_yaml()`` prints it, hashes included).

    python examples/sdk/invoice.py
"""

from __future__ import annotations

from typing import Any

from lockgate import Next, Pipeline, run_local

pipe = Pipeline(
    "invoice",
    description="Small invoices are paid at once; larger ones wait for a person's approval.",
    input={"order_id": str, "total": {"type": "number", "default": 42}},
)


@pipe.task(retry={"max_attempts": 3}, idempotency_key="{{ input.order_id }}-{{ task.code_hash }}")
def fetch(order_id: str, total: float) -> dict[str, Any]:
    """Stands in for a lookup in the order system."""
    return {"order_id": order_id, "total": total}


@pipe.task(next=["pay", "review"])
def route(order: dict[str, Any] = fetch.value) -> Next:
    """A router: it names which of its declared successors run; the others are skipped."""
    return Next(["pay"] if order["total"] < 100 else ["review"], output={"total": order["total"]})


review = pipe.human(
    "review",
    title="Pay invoice {{ input.order_id }}?",
    instructions="The invoice totals {{ nodes.route.output.total }}.",
    fields=[{"name": "ok", "type": "boolean", "required": True}],
)


@pipe.task(after=[review.when("{{ nodes.review.output.ok }}")])
def pay(order: dict[str, Any] = fetch.value) -> dict[str, Any]:
    """Runs when the router picks it, or after a person said ok."""
    return {"order_id": order["order_id"], "paid": order["total"]}


pipe.set_output({"payment": pay.output, "reviewed": review.status})

if __name__ == "__main__":
    print(run_local(pipe, input={"order_id": "A-1"}).output)
    print(run_local(pipe, input={"order_id": "A-2", "total": 900}, answers={"review": {"ok": True}}).output)
