"""Which credentials a definition names (and where), and which hosts a credential may be sent to.

Pure: the store keeps the grants and host patterns; the API, the runtime and the handlers ask these.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Iterable

    from lockgate.spec.pipeline import PipelineSpec

__all__ = [
    "ANY_HOST",
    "AttemptSecrets",
    "CredentialUse",
    "HostPatternError",
    "credential_uses",
    "host_allowed",
    "host_refusal",
    "normalise_host_pattern",
]

ANY_HOST = "*"
_LABEL = r"[a-z0-9_]([a-z0-9_-]{0,61}[a-z0-9_])?"
_HOST = re.compile(rf"^(\*\.)?{_LABEL}(\.{_LABEL})*$")
_MAX_HOST_LENGTH = 253  # DNS's own limit on a name
_IPV6 = re.compile(r"^[0-9a-f:.]{2,45}$")


class HostPatternError(ValueError):
    """Not a host pattern: ``api.example.com``, ``*.example.org``, ``127.0.0.1``, ``::1`` or ``*``."""


@dataclass(frozen=True, slots=True)
class AttemptSecrets:
    """The values an attempt was given and, for each, the hosts an http node may send it to."""

    values: dict[str, str] = field(default_factory=dict)
    hosts: dict[str, tuple[str, ...]] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class CredentialUse:
    """A place in a definition that names a credential: the node and the field, as errors point at them."""

    node_id: str
    field: str
    name: str


def credential_uses(spec: PipelineSpec) -> list[CredentialUse]:
    """Every credential the definition names: nodes' ``credentials`` and reviews' ``notify_secret``."""
    uses: list[CredentialUse] = []
    for node in spec.nodes:
        uses += [CredentialUse(node.id, f"credentials[{i}]", name) for i, name in enumerate(node.credentials)]
        if node.review is not None and node.review.notify_secret is not None:
            uses.append(CredentialUse(node.id, "review.notify_secret", node.review.notify_secret))
    return uses


def normalise_host_pattern(pattern: str) -> str:
    """Lower case, no brackets around an IPv6 address, no trailing dot; raises HostPatternError."""
    text = pattern.strip().lower().removesuffix(".")
    if len(text) > _MAX_HOST_LENGTH:
        raise HostPatternError(f"a host pattern has at most {_MAX_HOST_LENGTH} characters, not {len(text)}")
    if text.startswith("[") and text.endswith("]"):
        text = text[1:-1]
    if text == ANY_HOST or _HOST.match(text) or (":" in text and _IPV6.match(text)):
        return text
    raise HostPatternError(f"{pattern!r} is not a host pattern (api.example.com, *.example.org, 10.0.0.1, ::1 or *)")


def host_allowed(patterns: Iterable[str], host: str) -> bool:
    """``*`` allows any host; ``*.example.org`` its subdomains (not example.org itself); else the exact host."""
    name = host.lower().removesuffix(".")
    for pattern in patterns:
        if pattern in (ANY_HOST, name):
            return True
        if pattern.startswith("*.") and name.endswith(pattern[1:]):
            return True
    return False


def host_refusal(name: str, host: str, patterns: Iterable[str]) -> str:
    """Why credential ``name`` may not go to ``host``: for a permanent step error (never the value)."""
    allowed = ", ".join(patterns)
    where = f"it may go only to {allowed}" if allowed else "it allows no host yet"
    return (f"credential {name!r} may not be sent to host {host!r}: {where} (an admin sets them: "
            f"lockgate credentials hosts {name} HOST…)")  # fmt: skip
