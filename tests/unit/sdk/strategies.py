"""Hypothesis strategies: pipeline definitions in their YAML form (plain data), every kind and policy."""

from __future__ import annotations

from typing import Any

from hypothesis import strategies as st

__all__ = ["definitions"]

IDS = st.from_regex(r"[a-z][a-z0-9_-]{0,8}", fullmatch=True)
TEXT = st.text(st.characters(codec="utf-8", exclude_categories=("Cs", "Cc")), max_size=30)
LINES = st.lists(TEXT, min_size=1, max_size=4).map("\n".join)
TEMPLATE = st.sampled_from(["{{ input.x }}", "{{ nodes.a.output }}", "{{ item }}"]) | TEXT
DURATION = st.integers(0, 10_000).map(lambda ms: f"{ms}ms") | st.integers(0, 3600)
JSON = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**31), 2**31) | TEXT,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(IDS, inner, max_size=3),
    max_leaves=6,
)


def _optional(**fields: st.SearchStrategy[Any]) -> st.SearchStrategy[dict[str, Any]]:
    """A dict holding any subset of the fields."""
    return st.fixed_dictionaries({}, optional=fields)


CONFIGS: dict[str, st.SearchStrategy[dict[str, Any]]] = {
    "script": st.fixed_dictionaries(
        {"code": LINES}, optional={"network": st.booleans(), "cpu_time": DURATION, "memory_mb": st.integers(16, 4096)}
    ),
    "http": st.fixed_dictionaries(
        {"url": TEMPLATE},
        optional={"method": st.sampled_from(["GET", "POST"]), "headers": st.dictionaries(IDS, TEMPLATE, max_size=2)},
    ),
    "transform": st.fixed_dictionaries({"value": JSON}),
    "condition": st.fixed_dictionaries(
        {"branches": st.lists(st.fixed_dictionaries({"name": IDS, "when": TEMPLATE | st.booleans()}), min_size=1)},
        optional={"default": IDS, "match": st.sampled_from(["first", "all"])},
    ),
    "noop": _optional(),
    "wait": st.one_of(st.fixed_dictionaries({"duration": DURATION}), st.fixed_dictionaries({"until": TEMPLATE})),
    "human": _optional(
        title=TEMPLATE,
        instructions=LINES,
        fields=st.lists(IDS, max_size=3, unique=True).map(lambda names: [{"name": n} for n in names]),
    ),
    "agent": st.fixed_dictionaries(
        {"prompt": LINES}, optional={"temperature": st.floats(0, 2), "max_tool_calls": st.integers(0, 50)}
    ),
}

POLICIES = _optional(
    name=TEXT,
    description=LINES,
    inputs=st.dictionaries(IDS, JSON, max_size=3),
    retry=_optional(max_attempts=st.integers(1, 5), initial_delay=DURATION, factor=st.floats(1, 10)),
    timeout=DURATION,
    on_error=st.sampled_from(["fail", "continue", "branch"]),
    join=st.sampled_from(["all", "any"]),
    for_each=TEMPLATE,
    max_parallel=st.integers(1, 10),
    idempotency_key=TEMPLATE,
    credentials=st.lists(IDS, max_size=2),
    review=_optional(approve_start=st.booleans(), max_revisions=st.integers(0, 5), assignees=st.just(["role:editor"])),
    queue=IDS,
)


@st.composite
def node(draw: st.DrawFn, node_id: str) -> dict[str, Any]:
    kind = draw(st.sampled_from(sorted(CONFIGS)))
    data: dict[str, Any] = {"id": node_id, "kind": kind, **draw(POLICIES)}
    config = draw(CONFIGS[kind])
    if config or kind != "noop":
        data["config"] = config
    return data


@st.composite
def definitions(draw: st.DrawFn) -> dict[str, Any]:
    """A definition as a YAML file would hold it; edges run from earlier to later nodes."""
    ids = draw(st.lists(IDS, min_size=1, max_size=5, unique=True))
    edges = []
    for index in range(1, len(ids)):
        for source in draw(st.lists(st.sampled_from(ids[:index]), max_size=2, unique=True)):
            edge = {"source": source, "target": ids[index], **draw(_optional(when=TEMPLATE, branch=IDS))}
            edges.append(edge)
    data = {"name": draw(IDS), "nodes": [draw(node(i)) for i in ids], "edges": edges}
    data |= draw(
        _optional(
            description=TEXT,
            input=st.dictionaries(IDS, _optional(type=st.sampled_from(["string", "integer"]), required=st.booleans())),
            output=JSON,
            budget=st.fixed_dictionaries({"max_requests": st.integers(1, 100)}),
        )
    )
    return data
