"""The command line: a Typer root and one module per command group."""

__all__: list[str] = []
