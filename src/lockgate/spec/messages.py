"""A definition's schema errors in the pipeline's words: what is wrong and the nearest valid name.

Pydantic says "Unable to extract tag using discriminator 'kind'" and "Extra inputs are not permitted"; a person
writing YAML wants "kind is missing: one of script, http, …" and "unknown field 'inpts': did you mean `inputs`?".
Every path that turns a definition's ``ValidationError`` into ``DefinitionError`` messages goes through
``explain`` (the YAML and JSON loader, the SDK's builder), so the three front doors (CLI, API, SDK) agree.
"""

from __future__ import annotations

import difflib
import types
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Annotated, Literal, Union, get_args, get_origin

from pydantic import BaseModel

from lockgate.errors import validation_message

if TYPE_CHECKING:
    from collections.abc import Iterable

    from pydantic_core import ErrorDetails

__all__ = ["explain", "field_names", "nearest"]

_SHOWN = 12  # at most this many valid names are listed after "one of"
# Names other tools use for ours, too far apart to be typos: an edge's ``from``/``to`` (n8n, Argo, Mermaid).
_SYNONYMS = {"from": "source", "src": "source", "to": "target", "dst": "target", "dest": "target"}


def nearest(name: str, choices: Iterable[str]) -> str | None:
    """The valid name closest to a mistyped one (difflib's ratio, as git's "did you mean"), or None if none is close."""
    # A case slip (``Inputs``) is the commonest typo: compared in lower case, the choice returned as spelt.
    spelt = {choice.lower(): choice for choice in sorted(choices)}
    found = difflib.get_close_matches(name.lower(), list(spelt), n=1, cutoff=0.6)
    return spelt[found[0]] if found else None


def explain(error: ErrorDetails, root: object | None = None) -> str:
    """One pydantic error as a sentence about the definition; ``root`` is the validated type (names fields)."""
    ctx = error.get("ctx") or {}
    loc = tuple(error["loc"])
    match error["type"]:
        case "union_tag_invalid":
            tag, key = str(ctx.get("tag")), str(ctx.get("discriminator", "kind")).strip("'")
            return _unknown(f"{key} {tag!r}", tag, _tags(ctx))
        case "union_tag_not_found":
            key = str(ctx.get("discriminator", "kind")).strip("'")
            tags = _tags_of(root, loc)
            return f"{key} is missing: one of {_listed(tags)}" if tags else f"{key} is missing"
        case "extra_forbidden" if loc and isinstance(loc[-1], str):
            return _unknown(f"field {loc[-1]!r}", loc[-1], field_names(root, loc[:-1]))
        case "missing":
            return "required"
        case _:
            return validation_message(error)


def _unknown(what: str, given: str, valid: Sequence[str]) -> str:
    if not valid:
        return f"unknown {what}"
    synonym = _SYNONYMS.get(given.lower())
    guess = synonym if synonym in valid else nearest(given, valid)
    hint = f": did you mean `{guess}`?" if guess is not None else f": one of {_listed(valid)}"
    return f"unknown {what}{hint}"


def _listed(names: Sequence[str]) -> str:
    shown = ", ".join(names[:_SHOWN])
    return shown + (f" (and {len(names) - _SHOWN} more)" if len(names) > _SHOWN else "")


def _tags(ctx: Mapping[str, object]) -> list[str]:
    # pydantic gives "'script', 'http', …": the names without their quotes
    return [t.strip().strip("'") for t in str(ctx.get("expected_tags", "")).split(",") if t.strip()]


def _tags_of(root: object | None, loc: tuple[int | str, ...]) -> list[str]:
    return [tag for model in _models_at(root, loc) for tag in _literal_values(model, "kind")]


def field_names(root: object | None, loc: tuple[int | str, ...]) -> list[str]:
    """The names (aliases where they are given) of the fields of the model(s) found at ``loc`` under ``root``."""
    names: dict[str, None] = {}
    for model in _models_at(root, loc):
        for name, info in model.model_fields.items():
            names[info.alias or name] = None
    return list(names)


def _models_at(root: object | None, loc: tuple[int | str, ...]) -> list[type[BaseModel]]:
    """Follow a pydantic error location through the types: fields, list items, mapping values, union tags."""
    current: list[object] = [] if root is None else [root]
    for part in loc:
        current = [step for tp in current for member in _members(tp) for step in _step(member, part)]
    return [m for tp in current for m in _members(tp) if isinstance(m, type) and issubclass(m, BaseModel)]


def _step(tp: object, part: int | str) -> list[object]:
    origin, args = get_origin(tp), get_args(tp)
    if isinstance(tp, type) and issubclass(tp, BaseModel):
        if isinstance(part, int):
            return []
        by_name = {info.alias or name: info for name, info in tp.model_fields.items()} | dict(tp.model_fields)
        if part in by_name:
            return [by_name[part].annotation]
        # a union's member named in the location: by its tag (a discriminated union) or its class name
        tags = [v for name in tp.model_fields for v in _literal_values(tp, name)]
        return [tp] if part == tp.__name__ or part in tags else []
    if isinstance(origin, type) and issubclass(origin, Mapping) and isinstance(part, str) and len(args) == 2:
        return [args[1]]
    if isinstance(origin, type) and issubclass(origin, Sequence) and isinstance(part, int) and args:
        return [args[0]]
    return []


def _members(tp: object) -> list[object]:
    """A type without its Annotated metadata, and a union as its members."""
    origin = get_origin(tp)
    if origin is Annotated:
        return _members(get_args(tp)[0])
    if origin is Union or origin is types.UnionType:
        return [m for arg in get_args(tp) for m in _members(arg)]
    return [tp]


def _literal_values(model: type[BaseModel], field: str) -> list[str]:
    info = model.model_fields.get(field)
    if info is None:
        return []
    return [str(v) for m in _members(info.annotation) if get_origin(m) is Literal for v in get_args(m)]
