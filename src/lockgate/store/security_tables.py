"""Tables of the trust boundary: which pipelines may use a credential, each use, webhook deliveries seen.

Kept beside ``tables.py`` (which is at the house's size limit) on the same ``metadata``.
"""

from __future__ import annotations

from lockgate.store.tables import metadata

__all__ = ["metadata"]
