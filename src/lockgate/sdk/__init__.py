"""Pipelines in code: the builder, @task and run_local()."""

__all__: list[str] = []
