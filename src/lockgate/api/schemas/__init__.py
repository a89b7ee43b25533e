"""API schemas, one module per resource: <Resource><Role> (RunCreate, RunRead, RunPage)."""
