"""Artifacts on disk: workspaces per attempt, promotion by atomic rename, hashing."""

from lockgate.artifacts.layout import ArtifactLayout, safe_step

__all__ = ["ArtifactLayout", "safe_step"]
