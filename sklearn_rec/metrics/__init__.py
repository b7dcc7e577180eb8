"""Ranking metrics for top-k recommendation lists, and scorers built on them."""

from ._ranking import (
    hit_rate_at_k,
    map_at_k,
    mrr_at_k,
    ndcg_at_k,
    precision_at_k,
    recall_at_k,
)
from ._scorer import make_ranking_scorer

__all__ = [
    "hit_rate_at_k",
    "make_ranking_scorer",
    "map_at_k",
    "mrr_at_k",
    "ndcg_at_k",
    "precision_at_k",
    "recall_at_k",
]
