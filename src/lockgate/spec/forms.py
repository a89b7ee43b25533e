"""Forms a person fills in: the fields of a ``human`` node and the rules each value must meet."""

from __future__ import annotations

import re
from datetime import date
from enum import StrEnum
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, JsonValue, StrictBool, StrictFloat, model_validator

from lockgate.spec.fields import TEMPLATED, Identifier, Template

__all__ = ["FieldType", "FormField", "HumanConfig", "SelectOption"]

_FROZEN = ConfigDict(frozen=True, extra="forbid")
# A plain file name: the form's values are saved under it in the step's artifacts.
_FILE_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,99}$")


class FieldType(StrEnum):
    """What kind of value a form field takes."""

    TEXT = "text"  # one line
    MULTILINE = "multiline"  # a text area (Markdown welcome)
    NUMBER = "number"
    INTEGER = "integer"
    BOOLEAN = "boolean"
    SELECT = "select"  # one of ``options`` (a list of them with ``multiple``)
    DATE = "date"  # ISO 8601, YYYY-MM-DD
    FILE = "file"  # an upload; saved as an artifact of the step
    JSON = "json"  # any JSON value


_LENGTH_TYPES = frozenset({FieldType.TEXT, FieldType.MULTILINE})
_RANGE_TYPES = frozenset({FieldType.NUMBER, FieldType.INTEGER, FieldType.FILE, FieldType.SELECT, *_LENGTH_TYPES})


class SelectOption(BaseModel):
    """One choice of a ``select`` field."""

    model_config = _FROZEN
    value: str
    label: str | None = None


class FormField(BaseModel):
    """One field of a form.

    Attributes:
        name: the key of the value in the step's output.
        type: what the field takes.
        label: shown to the person; default: the name.
        description: help text under the field.
        required: a value must be given (an empty text counts as none).
        default: the value the form starts with; may be a template (``{{ nodes.draft.output.title }}``).
        min: the smallest number; for text the fewest characters; for a file the fewest bytes; for a
            multiple select the fewest choices; for a date the earliest (YYYY-MM-DD).
        max: the largest, in the same units as ``min``.
        pattern: a regular expression a text must match (in full).
        options: the choices of a ``select`` field.
        multiple: a ``select`` field takes a list of choices.
    """

    model_config = _FROZEN

    name: Identifier
    type: FieldType = FieldType.TEXT
    label: str | None = None
    description: str | None = None
    required: StrictBool = False
    default: Annotated[JsonValue, TEMPLATED] = None
    min: StrictFloat | date | None = None
    max: StrictFloat | date | None = None
    pattern: str | None = None
    options: list[SelectOption] | None = None
    multiple: StrictBool = False

    @model_validator(mode="after")
    def _consistent(self) -> FormField:
        if self.type is FieldType.SELECT and not self.options:
            raise ValueError(f"field {self.name!r}: a select field needs options")
        if self.options is not None and self.type is not FieldType.SELECT:
            raise ValueError(f"field {self.name!r}: options belong to select fields only")
        if self.multiple and self.type is not FieldType.SELECT:
            raise ValueError(f"field {self.name!r}: multiple belongs to select fields only")
        if self.pattern is not None:
            if self.type not in _LENGTH_TYPES:
                raise ValueError(f"field {self.name!r}: pattern belongs to text and multiline fields only")
            try:
                re.compile(self.pattern)
            except re.error as exc:
                raise ValueError(f"field {self.name!r}: pattern is not a regular expression: {exc}") from None
        self._check_bounds()
        return self

    def _check_bounds(self) -> None:
        bounds = [b for b in (self.min, self.max) if b is not None]
        if not bounds:
            return
        if self.type is FieldType.DATE:
            if not all(isinstance(b, date) for b in bounds):
                raise ValueError(f"field {self.name!r}: min and max of a date field are dates (YYYY-MM-DD)")
        elif self.type not in _RANGE_TYPES or (self.type is FieldType.SELECT and not self.multiple):
            raise ValueError(f"field {self.name!r}: min and max do not apply to {self.type.value} fields")
        elif not all(isinstance(b, int | float) for b in bounds):
            raise ValueError(f"field {self.name!r}: min and max of a {self.type.value} field are numbers")
        if self.min is not None and self.max is not None and self.min > self.max:  # type: ignore[operator]
            raise ValueError(f"field {self.name!r}: min is larger than max")


class HumanConfig(BaseModel):
    """A form a person fills in; the values become the step's output.

    Attributes:
        title: the task's title in the inbox (a template).
        instructions: Markdown shown above the form (a template): what to check, what to decide.
        fields: the form's fields; none makes the step a plain acknowledgement.
        artifact: a file name (``decision.json``): the values are also saved as this JSON artifact.
    """

    model_config = _FROZEN

    title: Template | None = None
    instructions: Template | None = Field(default=None, json_schema_extra={"format": "markdown"})
    fields: list[FormField] = Field(default_factory=list)
    artifact: str | None = None

    @model_validator(mode="after")
    def _unique(self) -> HumanConfig:
        names = [f.name for f in self.fields]
        duplicates = sorted({n for n in names if names.count(n) > 1})
        if duplicates:
            raise ValueError(f"duplicate field names: {duplicates}")
        if self.artifact is not None and (not _FILE_NAME.match(self.artifact) or ".." in self.artifact):
            raise ValueError("artifact: a plain file name such as decision.json (no folders)")
        return self
