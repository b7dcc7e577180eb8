"""Cross-validation splitters for interaction data."""

from ._split import (
    ColdStartSplit,
    LeaveLastOutSplit,
    TemporalSplit,
    UserHoldoutSplit,
    UserKFold,
)

__all__ = [
    "ColdStartSplit",
    "LeaveLastOutSplit",
    "TemporalSplit",
    "UserHoldoutSplit",
    "UserKFold",
]
