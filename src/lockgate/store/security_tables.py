"""Tables of the trust boundary: which pipelines may use a credential, each use, webhook deliveries seen.

Kept beside ``tables.py`` (which is at the house's size limit) on the same ``metadata``.
"""

from __future__ import annotations

from sqlalchemy import Column, ForeignKey, String, Table, UniqueConstraint

from lockgate.store.tables import UTCDateTime, metadata

__all__ = ["metadata", "webhook_deliveries"]

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
