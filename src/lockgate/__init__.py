"""Lockgate: durable agentic pipelines that people supervise."""

__all__: list[str] = []
