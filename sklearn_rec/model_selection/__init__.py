"""Cross-validation splitters for interaction data."""

from ._split import UserHoldoutSplit

__all__ = ["UserHoldoutSplit"]
