"""What starts runs besides a person: webhooks and schedules (pure rules; the runtime and API apply them)."""

__all__: list[str] = []
