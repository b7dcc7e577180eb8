"""Ranking and beyond-accuracy metrics for top-k recommendation lists, and scorers built on them."""

from ._beyond import (
    average_popularity_at_k,
    catalogue_coverage_at_k,
    exposure_entropy_at_k,
    gini_index_at_k,
    intra_list_diversity_at_k,
    long_tail_share_at_k,
    novelty_at_k,
)
from ._ranking import (
    hit_rate_at_k,
    map_at_k,
    mrr_at_k,
    ndcg_at_k,
    precision_at_k,
    recall_at_k,
)
from ._scorer import make_beyond_accuracy_scorer, make_ranking_scorer

__all__ = [
    "average_popularity_at_k",
    "catalogue_coverage_at_k",
    "exposure_entropy_at_k",
    "gini_index_at_k",
    "hit_rate_at_k",
    "intra_list_diversity_at_k",
    "long_tail_share_at_k",
    "make_beyond_accuracy_scorer",
    "make_ranking_scorer",
    "map_at_k",
    "mrr_at_k",
    "ndcg_at_k",
    "novelty_at_k",
    "precision_at_k",
    "recall_at_k",
]
