"""Redaction of known secret values, verbatim and in the encodings a script reaches for first.

A step is given some credentials (and an agent the API key of its model profile). Whatever the step
writes — output, error, log, events, files, conversation records — passes through a ``Redactor`` that
knows those values before it is stored or served, so a viewer reads ``[redacted:NAME]`` instead.

The forms of a value: verbatim; JSON-escaped (ASCII and not); Python ``repr``; percent-encoded (``safe=""``
and ``safe="/"``, ``+`` for space, upper and lower hex digits); HTML-escaped; hex (both cases); base64
standard and url-safe, padded and not, and the three alignments of the value inside a longer base64
text (the characters that depend on the value alone, whatever surrounds it). This is a net under a
script that prints what it was given, not a wall against one that means to smuggle a value out (it may
reverse it, split it over lines or XOR it): grants decide which pipelines get a value at all.
"""

from __future__ import annotations

import base64
import html
import json
import os
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, AnyStr
from urllib.parse import quote, quote_plus

from lockgate.security.safe_files import refusal

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator, Mapping
    from pathlib import Path

    from pydantic import JsonValue

__all__ = ["MIN_SECRET_LENGTH", "Redactor", "StreamRedactor", "redact_tree", "secret_forms"]

MIN_SECRET_LENGTH = 8  # shorter values are refused when stored: their forms would match ordinary text
_MIN_FORM = 4  # a form shorter than this (a legacy short value's base64 core) would redact noise
_CHUNK = 1 << 20
_LOWER_PERCENT = re.compile(r"%[0-9A-F]{2}")


def _base64_forms(raw: bytes) -> Iterator[str]:
    for encode in (base64.b64encode, base64.urlsafe_b64encode):
        full = encode(raw).decode()
        yield full
        yield full.rstrip("=")
        for offset in (0, 1, 2):
            # Inside a longer text the value starts at some offset modulo 3: the characters that hold only
            # bits of the value are the same whatever bytes come before and after it.
            text = encode(b"\0" * offset + raw).decode()
            start, end = (8 * offset + 5) // 6, (8 * (offset + len(raw))) // 6
            yield text[start:end]


def secret_forms(value: str) -> list[str]:
    """Every form of ``value`` that is redacted, longest first (never shorter than 4 characters)."""
    raw = value.encode()
    quoted = [quote(value, safe=""), quote(value), quote_plus(value, safe=""), quote_plus(value)]
    forms = {
        value,
        json.dumps(value)[1:-1],
        json.dumps(value, ensure_ascii=False)[1:-1],
        repr(value)[1:-1],
        html.escape(value),
        raw.hex(),
        raw.hex().upper(),
        *quoted,
        *(_LOWER_PERCENT.sub(lambda m: m.group(0).lower(), q) for q in quoted),
        *_base64_forms(raw),
    }
    return sorted((f for f in forms if len(f) >= _MIN_FORM), key=lambda f: (-len(f), f))


@dataclass(frozen=True, slots=True)
class _Form:
    text: str
    data: bytes
    label: str


def _spans(found: list[tuple[int, int, str]]) -> list[tuple[int, int, str]]:
    """Overlapping matches merged into one span (labelled by the first), in order."""
    merged: list[tuple[int, int, str]] = []
    for start, end, label in sorted(found):
        if merged and start < merged[-1][1]:
            last = merged[-1]
            merged[-1] = (last[0], max(last[1], end), last[2])
        else:
            merged.append((start, end, label))
    return merged


def _find_all(haystack: str | bytes, needles: list[tuple[str | bytes, str]]) -> list[tuple[int, int, str]]:
    found: list[tuple[int, int, str]] = []
    for needle, label in needles:
        at = haystack.find(needle)  # type: ignore[arg-type]  # both str or both bytes, as the callers pass
        while at >= 0:
            found.append((at, at + len(needle), label))
            at = haystack.find(needle, at + 1)  # type: ignore[arg-type]
    return _spans(found)


class Redactor:
    """The secret values one attempt was given, by label; grows when an agent resolves its model's key."""

    def __init__(self) -> None:
        self._forms: list[_Form] = []
        self._values: set[str] = set()

    @classmethod
    def of(cls, secrets: Mapping[str, str]) -> Redactor:
        redactor = cls()
        for name, value in secrets.items():
            redactor.add(name, value)
        return redactor

    def add(self, name: str, value: str | None) -> None:
        if not value or value in self._values:
            return
        self._values.add(value)
        label = f"[redacted:{name}]"
        self._forms += [_Form(f, f.encode(), label) for f in secret_forms(value)]
        self._forms.sort(key=lambda f: -len(f.data))

    def __bool__(self) -> bool:
        return bool(self._forms)

    @property
    def longest(self) -> int:
        """Bytes of the longest form: what a stream holds back so that a value split across chunks is caught."""
        return len(self._forms[0].data) if self._forms else 0

    def text(self, text: str) -> str:
        if not self._forms:
            return text
        return _replace(text, _find_all(text, [(f.text, f.label) for f in self._forms]), str)

    def data(self, data: bytes) -> bytes:
        if not self._forms:
            return data
        return _replace(data, _find_all(data, [(f.data, f.label) for f in self._forms]), str.encode)

    def json(self, value: JsonValue) -> JsonValue:
        """Every string of a JSON value, keys included."""
        if not self._forms:
            return value
        match value:
            case str():
                return self.text(value)
            case list():
                return [self.json(v) for v in value]
            case dict():
                return {self.text(k): self.json(v) for k, v in value.items()}
            case _:
                return value

    def spans(self, data: bytes) -> list[tuple[int, int, str]]:
        return _find_all(data, [(f.data, f.label) for f in self._forms])

    def stream(self) -> StreamRedactor:
        return StreamRedactor(self)


def _replace(data: AnyStr, spans: list[tuple[int, int, str]], label: Callable[[str], AnyStr]) -> AnyStr:
    if not spans:
        return data
    pieces: list[AnyStr] = []
    at = 0
    for start, end, name in spans:
        pieces += [data[at:start], label(name)]
        at = end
    pieces.append(data[at:])
    return data[:0].join(pieces)


class StreamRedactor:
    """Redacts bytes written in chunks: the tail that may begin a form is held back until the next chunk.

    A form may also begin inside the label just written and end past it (a secret overlapping its own
    repetition): the bytes of that label that may begin one are kept as ``_lead``, and such a form only widens
    the label already written, as the whole text's overlapping matches merge into one label.
    """

    def __init__(self, redactor: Redactor) -> None:
        self._redactor = redactor
        self._lead = b""  # written already, within the last label: where an overlapping form may begin
        self._pending = b""
        self.redacted = 0  # how many spans were replaced so far

    def feed(self, chunk: bytes) -> bytes:
        data = self._pending + chunk
        if not self._redactor:
            self._pending = b""
            return data
        whole = self._lead + data
        cut = len(whole) - (self._redactor.longest - 1)
        if cut <= len(self._lead):
            self._pending = data
            return b""
        # A span that starts before the cut lies wholly in ``whole``: every form is at most ``longest`` bytes.
        return self._write(whole, [s for s in self._redactor.spans(whole) if s[0] < cut], cut)

    def close(self) -> bytes:
        whole = self._lead + self._pending
        out = self._write(whole, self._redactor.spans(whole) if self._redactor else [], len(whole))
        self._lead = self._pending = b""
        return out

    def _write(self, whole: bytes, spans: list[tuple[int, int, str]], cut: int) -> bytes:
        lead = len(self._lead)
        start = lead
        if spans and spans[0][0] < lead:  # continues the label already written: its bytes are swallowed
            start = max(lead, spans[0][1])
            spans = spans[1:]
        label_end = spans[-1][1] if spans else start if start > lead else 0
        end = max(cut, start, label_end)
        self._lead = whole[cut:end] if label_end > cut else b""
        self._pending = whole[end:]
        self.redacted += len(spans)
        shifted = [(a - start, b - start, name) for a, b, name in spans]
        return _replace(whole[start:end], shifted, str.encode)


def _scan(fd: int, redactor: Redactor) -> bool:
    stream = redactor.stream()
    while chunk := os.read(fd, _CHUNK):
        stream.feed(chunk)
    stream.close()
    return stream.redacted > 0


def _rewrite(folder: int, name: str, fd: int, redactor: Redactor) -> None:
    os.lseek(fd, 0, os.SEEK_SET)
    temp = f".{name}.redacting"
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW
    out = os.open(temp, flags, 0o644, dir_fd=folder)
    try:
        stream = redactor.stream()
        while chunk := os.read(fd, _CHUNK):
            os.write(out, stream.feed(chunk))
        os.write(out, stream.close())
    finally:
        os.close(out)
    # A new inode replaces the name: a hard link the step made to some other file is never written through.
    os.replace(temp, name, src_dir_fd=folder, dst_dir_fd=folder)


def _redact_folder(folder: int, redactor: Redactor, prefix: str, changed: list[str]) -> None:
    with os.scandir(folder) as listing:
        entries = list(listing)  # before any rename adds or swaps a name
    for entry in entries:
        if entry.is_symlink():  # never followed: a step may point one anywhere
            continue
        if entry.is_dir(follow_symlinks=False):
            sub = os.open(entry.name, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW, dir_fd=folder)
            try:
                _redact_folder(sub, redactor, f"{prefix}{entry.name}/", changed)
            finally:
                os.close(sub)
        elif entry.is_file(follow_symlinks=False):
            if refusal(entry.stat(follow_symlinks=False), one_name=True) is not None:
                continue  # a hard link may be a server file: opening it drops its locks (promotion refuses it)
            fd = os.open(entry.name, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK, dir_fd=folder)
            try:
                if _scan(fd, redactor):
                    _rewrite(folder, entry.name, fd, redactor)
                    changed.append(prefix + entry.name)
            finally:
                os.close(fd)


def redact_tree(root: Path, redactor: Redactor) -> list[str]:
    """Redact every regular file under ``root`` in place (symlinks are not followed); the paths changed."""
    changed: list[str] = []
    if not redactor:
        return changed
    folder = os.open(root, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW)
    try:
        _redact_folder(folder, redactor, "", changed)
    finally:
        os.close(folder)
    return changed
