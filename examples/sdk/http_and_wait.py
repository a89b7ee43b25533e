"""http_and_wait.py — examples/http_and_wait.yaml in code: call an HTTP endpoint, wait, use the JSON it returned.

Shows: the ``http`` kind (its ``HttpConfig`` fields as keywords; the output is ``{status, headers, body}``),
a URL read from a run input, a retry policy and a timeout given as a dict and as a ``timedelta``, the
``wait`` kind given its config model whole, and ``>>`` chaining the three nodes in one line.

    python3 -m http.server 8765 --bind 127.0.0.1 --directory examples/http_data &
    lockgate run examples/sdk/http_and_wait.py -i url=http://127.0.0.1:8765/inventory.json --json
    kill %1
"""

from __future__ import annotations

from datetime import timedelta

from lockgate import Pipeline
from lockgate.spec import WaitConfig

pipe = Pipeline(
    "http_and_wait",
    description="Fetch an inventory over HTTP, pause, and list what needs restocking.",
    input={"url": {"type": "string", "required": True, "description": "where the inventory JSON is served"}},
)

fetch = pipe.http(
    "fetch",
    retry={"max_attempts": 3, "initial_delay": "0.5s"},
    timeout=timedelta(seconds=30),
    method="GET",
    url=pipe.input["url"],
    headers={"Accept": "application/json"},
    expect_status=[200],
    request_timeout="10s",
)

settle = pipe.wait("settle", config=WaitConfig(duration=timedelta(seconds=0.5)))

# Filters are template text; `['items']`, not `.items`, which would be the dict's method in a template.
restock = pipe.transform(
    "restock",
    value={
        "service": fetch.output["body"]["service"],
        "http_status": fetch.output["status"],
        "skus": "{{ nodes.fetch.output.body['items'] | length }}",
        "out_of_stock": (
            "{{ nodes.fetch.output.body['items'] | selectattr('stock', 'equalto', 0) | map(attribute='sku') | list }}"
        ),
        "waited": settle.status,
    },
)

# The Refs restock reads would draw fetch >> restock and settle >> restock; the chain makes them one line.
fetch >> settle >> restock

if __name__ == "__main__":
    print(pipe.to_yaml(), end="")
