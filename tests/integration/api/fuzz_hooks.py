"""Schemathesis extensions for the fuzz test (test_fuzz.py loads them with ``SCHEMATHESIS_HOOKS``).

Values of the document's own formats (``cron``, ``timezone``, ``host-pattern``: a grammar and a database no JSON Schema
spells out), and a check that keeps ``positive_data_acceptance`` honest where schemathesis.toml lets it
take a 422: a valid request may be refused for what the stored data says (``invalid_input``,
``definition_errors``), never by the request model (``invalid_request``: the document and the model differ).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import schemathesis
from hypothesis import strategies as st

if TYPE_CHECKING:
    from schemathesis import Case, CheckContext, Response

_CRONS = ("0 9 * * 1-5", "*/5 * * * *", "30 2 1 * *", "0 0 * * 0", "15 14 1 1 *", "0 12 * * * 30", "0 0 29 2 *")
_HOSTS = ("api.example.com", "*.example.org", "127.0.0.1", "::1", "*", "a-b.c.d.example.net")
_ZONES = ("UTC", "Europe/Paris", "America/New_York", "Asia/Kolkata", "Australia/Lord_Howe", "Pacific/Chatham")

schemathesis.openapi.format("cron", st.sampled_from(_CRONS))
schemathesis.openapi.format("timezone", st.sampled_from(_ZONES))
schemathesis.openapi.format("host-pattern", st.sampled_from(_HOSTS))


@schemathesis.check
def valid_data_is_refused_for_stored_data_only(ctx: CheckContext, response: Response, case: Case[Any]) -> bool | None:
    """A request the document allows may meet a 422 about the data it names, not about its own shape."""
    meta = case.meta
    if meta is None or not meta.generation.mode.is_positive or response.status_code != 422:
        return None
    body = response.json()
    if isinstance(body, dict) and body.get("code") == "invalid_request":
        raise AssertionError(f"the request model refused a request the OpenAPI document allows: {body}")
    return None
