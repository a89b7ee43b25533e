"""The content hash names a pipeline version: equal for the same definition, different for any real change."""

from __future__ import annotations

from typing import Any

import pytest

from lockgate.spec import spec_from_data


def definition() -> dict[str, Any]:
    return {
        "name": "p",
        "input": {"topic": {"type": "string", "required": True}},
        "nodes": [
            {"id": "a", "kind": "http", "config": {"url": "https://example.org", "headers": {"x": "1", "y": "2"}}},
            {"id": "b", "kind": "transform", "inputs": {"t": "{{ input.topic }}"}, "config": {"value": 1}},
        ],
        "edges": [{"source": "a", "target": "b"}],
    }


def reversed_keys(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: reversed_keys(value[k]) for k in reversed(list(value))}
    if isinstance(value, list):
        return [reversed_keys(v) for v in value]
    return value


def hash_of(data: dict[str, Any]) -> str:
    return spec_from_data(data).content_hash()


def test_the_hash_is_a_sha256_hex_digest() -> None:
    digest = hash_of(definition())

    assert len(digest) == 64
    assert int(digest, 16) >= 0


def test_key_order_does_not_change_the_hash() -> None:
    assert hash_of(reversed_keys(definition())) == hash_of(definition())


def test_spelling_out_a_default_does_not_change_the_hash() -> None:
    explicit = definition()
    explicit["nodes"][0]["retry"] = {"max_attempts": 1}
    explicit["nodes"][0]["config"]["method"] = "GET"

    assert hash_of(explicit) == hash_of(definition())


def test_an_equivalent_duration_spelling_does_not_change_the_hash() -> None:
    one, other = definition(), definition()
    one["nodes"][0]["timeout"] = "90s"
    other["nodes"][0]["timeout"] = "1m30s"

    assert hash_of(one) == hash_of(other)


def _set(path: tuple[str | int, ...], value: Any) -> dict[str, Any]:
    data = definition()
    target: Any = data
    for part in path[:-1]:
        target = target[part]
    target[path[-1]] = value
    return data


@pytest.mark.parametrize(
    ("path", "value"),
    [
        (("name",), "q"),
        (("nodes", 0, "config", "url"), "https://example.com"),
        (("nodes", 0, "config", "headers", "y"), "3"),
        (("nodes", 0, "timeout"), "5s"),
        (("nodes", 1, "inputs", "t"), "{{ input.topic | upper }}"),
        (("nodes", 1, "config", "value"), 2),
        (("edges", 0, "when"), "{{ true }}"),
        (("input", "topic", "required"), False),
    ],
)
def test_any_real_change_changes_the_hash(path: tuple[str | int, ...], value: Any) -> None:
    assert hash_of(_set(path, value)) != hash_of(definition())


def test_node_order_is_part_of_the_definition() -> None:
    swapped = definition()
    swapped["nodes"].reverse()

    assert hash_of(swapped) != hash_of(definition())


def test_the_canonical_json_is_compact_and_sorted() -> None:
    text = spec_from_data(reversed_keys(definition())).canonical_json()

    assert " " not in text.replace("https://example.org", "").replace("{{ input.topic }}", "")
    assert text.index('"edges"') < text.index('"input"') < text.index('"name"') < text.index('"nodes"')
    assert text == spec_from_data(definition()).canonical_json()
