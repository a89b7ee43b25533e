"""The HTTP API under /api/v1 (FastAPI), live events, and the built web UI."""

__all__: list[str] = []
