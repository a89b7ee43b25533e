"""Read a definition from YAML or JSON text or a file; every problem reported at once."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

import yaml
from pydantic import ValidationError

from lockgate.errors import DefinitionError, DefinitionErrors
from lockgate.spec.bounds import MAX_NESTING, find_flaw, format_path, read_json
from lockgate.spec.draft import Draft
from lockgate.spec.messages import explain
from lockgate.spec.nodes import node_models
from lockgate.spec.pipeline import PipelineSpec

if TYPE_CHECKING:
    from pathlib import Path

    from lockgate.spec.kinds import FileSource

__all__ = ["SchemaErrors", "compose_yaml", "load_spec", "parse_spec", "spec_from_data"]

_KIND_ERRORS = frozenset({"union_tag_invalid", "union_tag_not_found"})
_TOO_DEEP = f"nested deeper than {MAX_NESTING} levels"


class SchemaErrors(DefinitionErrors):
    """The problems of a definition that failed its schema, with what could still be read of it.

    The compiler checks the draft's graph and references too, so that one pass reports every problem.
    """

    def __init__(self, errors: list[DefinitionError], draft: Draft) -> None:  # noqa: D107 - the class says it
        super().__init__(errors)
        self.draft = draft


class _BoundedLoader(yaml.SafeLoader):
    """YAML's safe loader, stopped at MAX_NESTING levels: in flow style while scanning, in any style while composing.

    PyYAML recurses once per level, and its scanner rescans every open flow level for each token it reads
    ahead (up to 1,024 characters): a few kilobytes of ``[`` would cost a second of CPU before failing.
    """

    _depth = 0

    def fetch_flow_collection_start(self, TokenClass: Any) -> None:  # noqa: N803 - PyYAML's name
        if self.flow_level >= MAX_NESTING:
            raise yaml.scanner.ScannerError(None, None, _TOO_DEEP, self.get_mark())
        super().fetch_flow_collection_start(TokenClass)

    def compose_node(self, parent: yaml.Node | None, index: int) -> yaml.Node | None:
        self._depth += 1
        try:
            if self._depth > MAX_NESTING + 1:  # +1: a scalar inside MAX_NESTING containers
                raise yaml.composer.ComposerError(None, None, _TOO_DEEP, self.get_mark())
            return super().compose_node(parent, index)
        finally:
            self._depth -= 1


def _where(data: Any, loc: tuple[int | str, ...], error_type: str = "") -> tuple[str | None, str]:
    """Map a pydantic error location to (node id, field path)."""
    if len(loc) >= 2 and loc[0] == "nodes" and isinstance(loc[1], int):
        nodes = data.get("nodes") if isinstance(data, dict) else None
        node = nodes[loc[1]] if isinstance(nodes, list) and loc[1] < len(nodes) else None
        node_id = node.get("id") if isinstance(node, dict) and isinstance(node.get("id"), str) else f"nodes[{loc[1]}]"
        rest = loc[2:]
        kind = node.get("kind") if isinstance(node, dict) else None
        if rest and rest[0] == kind:  # the discriminated union adds the kind to the path
            rest = rest[1:]
        if not rest and error_type in _KIND_ERRORS:  # an unknown or missing kind is a problem of `kind`
            rest = ("kind",)
        return node_id, _path(rest)
    return None, _path(loc)


def _path(loc: tuple[int | str, ...]) -> str:
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def spec_from_data(data: Any, base_dir: Path | None = None, max_values: int | None = None) -> PipelineSpec:
    """Validate already-parsed data (a mapping) as a pipeline definition.

    Args:
        data: the parsed YAML or JSON document.
        base_dir: the folder script ``file`` paths are relative to; None leaves them unresolved.
        max_values: how many values the data may hold (YAML aliases expand a short text); None: no limit.

    Raises:
        SchemaErrors: every problem of schema found, each with its node id and field, and the draft that
            ``lockgate.compile`` checks further.
        DefinitionErrors: the data is not a mapping, or is beyond the bounds a definition may have.
    """
    if not isinstance(data, dict):
        raise DefinitionErrors([DefinitionError("a pipeline definition must be a mapping")])
    _check_bounds(data, max_values)
    errors: list[DefinitionError] = []
    if base_dir is not None:
        data = _resolve_files(data, base_dir, errors)
    try:
        spec = PipelineSpec.model_validate(data)
    except ValidationError as exc:
        for err in exc.errors():
            node_id, field = _where(data, tuple(err["loc"]), err["type"])
            errors.append(DefinitionError(explain(err, PipelineSpec), node_id=node_id, field=field or None))
        raise SchemaErrors(errors, Draft.of_data(data)) from None
    if errors:
        raise SchemaErrors(errors, Draft.of_spec(spec))
    return spec


def _check_bounds(data: dict[str, Any], max_values: int | None) -> None:
    """Refuse what no store or reader could keep (see spec/bounds.py), naming the node and field."""
    flaw = find_flaw(data, max_values=max_values)
    if flaw is None:
        return
    # the place itself may hold the unprintable character: named escaped
    path = tuple(p if isinstance(p, int) else format_path((p,)) for p in flaw.path)
    node_id, field = _where(data, path)
    node_id = None if node_id is None else format_path((node_id,))
    raise DefinitionErrors([DefinitionError(flaw.message, node_id=node_id, field=field or None)])


def _resolve_files(data: dict[str, Any], base_dir: Path, errors: list[DefinitionError]) -> dict[str, Any]:
    """Inline the files nodes name beside the definition (their kind's ``reads_file``).

    So a pipeline version holds all it runs (and its hash changes with them).
    A node that also gives the field the file goes into (``code``) is left alone, so that validation reports the
    conflict.
    """
    nodes = data.get("nodes")
    if not isinstance(nodes, list):
        return data
    resolved = []
    for node in nodes:
        config = node.get("config") if isinstance(node, dict) else None
        source = _file_source(node)
        if (
            isinstance(config, dict)
            and source is not None
            and isinstance(config.get(source.field), str)
            and config.get(source.into) is None
        ):
            path = (base_dir / config[source.field]).resolve()
            try:
                text = path.read_text()
            except OSError as exc:
                where = f"config.{source.field}"
                errors.append(DefinitionError(f"cannot read file {path}: {exc.strerror}", _node_id(node), where))
            else:
                node = {**node, "config": {k: v for k, v in config.items() if k != source.field} | {source.into: text}}
        resolved.append(node)
    return {**data, "nodes": resolved}


def _file_source(node: object) -> FileSource | None:
    kind = node.get("kind") if isinstance(node, dict) else None
    model = node_models().get(kind) if isinstance(kind, str) else None
    return None if model is None else model.needs.reads_file


def _node_id(node: dict[str, Any]) -> str | None:
    node_id = node.get("id")
    return node_id if isinstance(node_id, str) else None


def parse_spec(text: str, fmt: str = "yaml", base_dir: Path | None = None) -> PipelineSpec:
    """Parse YAML (``fmt="yaml"``) or JSON text into a pipeline definition.

    Raises:
        DefinitionErrors: the text is not valid YAML/JSON, or the definition has problems.
    """
    try:
        data = read_json(text) if fmt == "json" else yaml.load(text, Loader=_BoundedLoader)  # noqa: S506 - safe
    except (json.JSONDecodeError, yaml.YAMLError) as exc:
        raise DefinitionErrors([DefinitionError(f"not valid {fmt.upper()}: {exc}")]) from None
    except RecursionError:  # the readers recurse per level: far deeper than MAX_NESTING
        raise DefinitionErrors([DefinitionError(f"nested deeper than {MAX_NESTING} levels")]) from None
    except ValueError as exc:  # YAML: an integer of more than 4,300 digits (JSON keeps it for find_flaw)
        raise DefinitionErrors([DefinitionError(f"not valid {fmt.upper()}: {exc}")]) from None
    # A text holds at most about one value per character, unless YAML aliases repeat parts of it.
    return spec_from_data(data, base_dir, max_values=len(text) + 16)


def compose_yaml(text: str) -> yaml.Node | None:
    """The text's YAML node tree (with line marks), within the same bounds as ``parse_spec``; raises YAMLError."""
    loader = _BoundedLoader(text)
    try:
        return loader.get_single_node()
    finally:
        loader.dispose()


def load_spec(path: Path) -> PipelineSpec:
    """Read a definition file (``.json`` is JSON, anything else YAML); script files resolve beside it.

    Raises:
        DefinitionErrors: the file cannot be read, or the definition has problems.
    """
    try:
        text = path.read_text()
    except OSError as exc:
        raise DefinitionErrors([DefinitionError(f"cannot read {path}: {exc.strerror}")]) from None
    return parse_spec(text, "json" if path.suffix == ".json" else "yaml", base_dir=path.parent)
