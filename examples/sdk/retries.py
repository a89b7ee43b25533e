"""retries.py — examples/retries.yaml in code: retries with backoff, on_error continue, and an error branch.

Shows: a retry policy given as the spec's model (``RetryPolicy``, durations as ``timedelta``), ``on_error="continue"``
(the run goes on past a failed step, whose successor reads ``call_service.error``), ``on_error="branch"``
with its error edge (``parse.branch("error") >> fallback``), and ``join="all"`` over three upstreams.

    lockgate run examples/sdk/retries.py --json
    lockgate run examples/sdk/retries.py -i 'payload={"value": 41}' --json   # parse succeeds
"""

from __future__ import annotations

from datetime import timedelta

from lockgate import Pipeline
from lockgate.spec import RetryPolicy

pipe = Pipeline(
    "retries",
    description="A flaky service retried with backoff, then tolerated; a parse error routed to a fallback.",
    input={"payload": {"type": "object", "default": {}, "description": "parse reads payload.value, a number"}},
)

call_service = pipe.script(
    "call_service",
    retry=RetryPolicy(max_attempts=3, initial_delay=timedelta(seconds=0.2), factor=2, max_delay=timedelta(seconds=1)),
    on_error="continue",
    code="""\
import sys
print("service unavailable, asking for a retry", file=sys.stderr)
sys.exit(75)
""",
)

# The Refs given whole draw the edge from call_service: it runs (on_error continue) once its retries are spent.
report_outage = pipe.transform(
    "report_outage",
    value={
        "status": call_service.status,
        "attempts": call_service.attempt,
        "error_kind": call_service.error["kind"],
    },
)

parse = pipe.script(
    "parse",
    on_error="branch",
    inputs={"payload": pipe.input["payload"]},
    code='output = payload["value"] + 1  # KeyError when the payload has no value: the error branch\n',
)
use_parsed = pipe.transform("use_parsed", parse, value="{{ nodes.parse.output }}")
fallback = pipe.transform(
    "fallback",
    parse.branch("error"),
    value={"used_fallback": True, "error_kind": "{{ nodes.parse.error.kind }}"},
)

summary = pipe.transform(
    "summary",
    report_outage,
    use_parsed,
    fallback,
    join="all",
    value={
        "outage": "{{ nodes.report_outage.output }}",
        "parsed": "{{ nodes.use_parsed.output }}",
        "fallback": "{{ nodes.fallback.output }}",
    },
)

if __name__ == "__main__":
    print(pipe.to_yaml(), end="")
