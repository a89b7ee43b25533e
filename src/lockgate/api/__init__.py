"""The HTTP API: create_app(), routes and schemas under /api/v1."""

__all__: list[str] = []
