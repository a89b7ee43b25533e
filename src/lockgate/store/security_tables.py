"""Tables of the trust boundary: which pipelines may use a credential, each use, webhook deliveries seen.

Kept beside ``tables.py`` (which is at the house's size limit) on the same ``metadata``.
"""

from __future__ import annotations

from sqlalchemy import Column, ForeignKey, Index, Integer, String, Table, UniqueConstraint

from lockgate.store.tables import UTCDateTime, metadata

__all__ = ["credential_grants", "credential_hosts", "credential_uses", "metadata", "webhook_deliveries"]

# ---- credentials (issue 10): grants to pipelines, hosts an http node may send them to, the audit of uses ----

credential_grants = Table(
    "credential_grants",
    metadata,
    Column("credential_id", String(32), ForeignKey("credentials.id", ondelete="CASCADE"), primary_key=True),
    Column("pipeline", String(63), primary_key=True),  # a name: a grant may precede the pipeline's first save
    Column("granted_by", String(200)),
    Column("granted_at", UTCDateTime(), nullable=False),
)

credential_hosts = Table(
    "credential_hosts",
    metadata,
    Column("credential_id", String(32), ForeignKey("credentials.id", ondelete="CASCADE"), primary_key=True),
    Column("pattern", String(255), primary_key=True),  # api.example.com, *.example.org, or * (any host)
)

credential_uses = Table(
    "credential_uses",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("credential", String(100), nullable=False),  # the name: the record outlives a deleted credential
    Column("purpose", String(32), nullable=False),  # node | notify | model
    Column("pipeline", String(63), nullable=False),
    Column("run_id", String(32), nullable=False),
    Column("step_key", String(200), nullable=False),
    Column("node_id", String(63), nullable=False),
    Column("attempt", Integer, nullable=False),
    Column("used_at", UTCDateTime(), nullable=False),
    Index("ix_credential_uses_credential", "credential", "id"),
    Index("ix_credential_uses_run_id", "run_id"),
)


# A webhook request accepted, remembered for the signature window so that the same delivery never starts a second
# run: not after a restart (the row is in the database), not on another server sharing it (the unique constraints).
webhook_deliveries = Table(
    "webhook_deliveries",
    metadata,
    Column("id", String(32), primary_key=True),
    Column("webhook_id", String(32), ForeignKey("webhooks.id"), nullable=False, index=True),
    Column("signature", String(64)),  # the v1 HMAC that matched (the server's own hex): a signed request's identity
    Column("delivery_id", String(200)),  # the sender's Lockgate-Delivery header, when given
    Column("signed_at", UTCDateTime(), nullable=False, index=True),  # t of the signature, else when received
    Column("run_id", String(32), nullable=False),
    Column("created_at", UTCDateTime(), nullable=False),
    # Signature first, then delivery id: the metadata's naming convention names each after its first column.
    UniqueConstraint("signature", "webhook_id"),
    UniqueConstraint("delivery_id", "webhook_id"),
)
