"""Form definitions are checked when a pipeline is loaded; submitted values field by field, all problems at once."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import JsonValue, ValidationError

from lockgate.compile import compile_pipeline, validate_form
from lockgate.errors import DefinitionErrors, InvalidInputError
from lockgate.spec import FormField, HumanConfig, ReviewPolicy, spec_from_data


def fields(*items: dict[str, Any]) -> list[FormField]:
    return [FormField.model_validate(i) for i in items]


FORM = fields(
    {"name": "headline", "required": True, "min": 3, "max": 20, "pattern": "[A-Z].*"},
    {"name": "body", "type": "multiline"},
    {"name": "score", "type": "number", "min": 0, "max": 10},
    {"name": "count", "type": "integer", "default": 1},
    {"name": "ok", "type": "boolean", "required": True},
    {"name": "channel", "type": "select", "options": [{"value": "blog"}, {"value": "mail", "label": "Newsletter"}]},
    {
        "name": "tags",
        "type": "select",
        "multiple": True,
        "max": 2,
        "options": [{"value": "a"}, {"value": "b"}, {"value": "c"}],
    },
    {"name": "on", "type": "date", "min": "2026-01-01"},
    {"name": "doc", "type": "file", "max": 100},
    {"name": "extra", "type": "json"},
)


def test_good_values_pass_and_missing_optional_ones_take_their_default() -> None:
    values = validate_form(FORM, {"headline": "Hello", "ok": False, "score": 2.5, "tags": ["a", "c"],
                                  "on": "2026-03-01", "extra": [], "channel": "mail",
                                  "body": "two\nlines"})  # fmt: skip
    assert values["count"] == 1 and values["doc"] is None and values["extra"] == []
    assert values["ok"] is False and values["tags"] == ["a", "c"]


def test_every_bad_field_is_named() -> None:
    bad: dict[str, JsonValue] = {
        "headline": "lower", "score": 11, "count": 1.5, "ok": "yes", "channel": "fax", "tags": ["a", "b", "c"],
        "on": "2025-12-31", "doc": {"name": "x", "size": 500, "sha256": "0", "media_type": "a/b", "staged": "/x"},
        "ghost": 1,
    }  # fmt: skip
    with pytest.raises(InvalidInputError) as caught:
        validate_form(FORM, bad)
    problems = dict(p.split(": ", 1) for p in caught.value.problems)
    assert problems == {
        "values.ghost": "not a field of this form",
        "values.headline": "must match the pattern [A-Z].*",
        "values.score": "must be at most 10",
        "values.count": "expected an integer, got 1.5",
        "values.ok": "expected true or false, got 'yes'",
        "values.channel": "must be one of ['blog', 'mail']",
        "values.tags": "must be at most 2 choices",
        "values.on": "must be at least 2026-01-01",
        "values.doc": "must be at most 100 bytes",
    }


def test_required_fields_and_text_rules() -> None:
    with pytest.raises(InvalidInputError) as caught:
        validate_form(FORM, {"headline": "", "body": 3, "on": "1 March"})
    assert sorted(caught.value.problems) == [
        "values.body: expected text, got int",
        "values.headline: required",
        "values.ok: required",
        "values.on: expected a date as YYYY-MM-DD, got '1 March'",
    ]
    with pytest.raises(InvalidInputError, match="single line"):
        validate_form(fields({"name": "t"}), {"t": "a\nb"})
    with pytest.raises(InvalidInputError, match="at least 3 characters"):
        validate_form(FORM, {"headline": "Hi", "ok": True})


@pytest.mark.parametrize(
    ("field", "message"),
    [
        ({"name": "s", "type": "select"}, "needs options"),
        ({"name": "s", "options": [{"value": "a"}]}, "select fields only"),
        ({"name": "s", "type": "number", "pattern": "x"}, "text and multiline"),
        ({"name": "s", "pattern": "("}, "not a regular expression"),
        ({"name": "s", "type": "boolean", "min": 1}, "do not apply"),
        ({"name": "s", "type": "date", "max": 3}, "are dates"),
        ({"name": "s", "min": 5, "max": 2}, "min is larger"),
        ({"name": "s", "multiple": True}, "select fields only"),
    ],
)
def test_form_definitions_are_checked(field: dict[str, Any], message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        FormField.model_validate(field)


def test_human_config_and_review_policy_are_checked() -> None:
    with pytest.raises(ValidationError, match="duplicate field names"):
        HumanConfig.model_validate({"fields": [{"name": "a"}, {"name": "a"}]})
    with pytest.raises(ValidationError, match="plain file name"):
        HumanConfig.model_validate({"artifact": "../x.json"})
    with pytest.raises(ValidationError, match="neither user names nor role"):
        ReviewPolicy.model_validate({"assignees": ["role:viewer"]})
    with pytest.raises(ValidationError, match="needs a notify_url"):
        ReviewPolicy.model_validate({"deadline": "1h", "on_deadline": "notify"})
    with pytest.raises(ValidationError, match="needs a deadline"):
        ReviewPolicy.model_validate({"on_deadline": "approve"})
    assert ReviewPolicy.model_validate({"assignees": ["ann", "role:editor"]}).max_revisions == 3


def test_a_deadline_that_approves_a_form_needs_defaults_for_required_fields() -> None:
    node = {"id": "ask", "kind": "human", "config": {"fields": [{"name": "a", "required": True}]},
            "review": {"deadline": "1h", "on_deadline": "approve"}}  # fmt: skip
    with pytest.raises(DefinitionErrors) as caught:
        compile_pipeline(spec_from_data({"name": "p", "nodes": [node]}))
    (error,) = caught.value.errors
    assert (error.node_id, error.field) == ("ask", "review.on_deadline")


def test_templates_in_a_form_and_review_are_checked_like_any_other() -> None:
    node = {"id": "ask", "kind": "human", "config": {"title": "{{ nodes.ghost.output }}",
            "fields": [{"name": "a", "default": "{{ nodes.later.output }}"}]},
            "review": {"instructions": "{{ nope }}"}}  # fmt: skip
    data = {"name": "p", "nodes": [node, {"id": "later", "kind": "noop"}], "edges": [{"source": "ask", "target":
            "later"}]}  # fmt: skip
    with pytest.raises(DefinitionErrors) as caught:
        compile_pipeline(spec_from_data(data))
    assert {(e.node_id, e.field) for e in caught.value.errors} == {
        ("ask", "config.title"),
        ("ask", "config.fields[0].default"),
        ("ask", "review.instructions"),
    }
