"""Ranking scorers: ``scoring=`` callables for model selection tools."""

import numpy as np
import pandas as pd

from .._validation import check_interactions, check_positive_int, check_target
from ._ranking import (
    hit_rate_at_k,
    map_at_k,
    mrr_at_k,
    ndcg_at_k,
    precision_at_k,
    recall_at_k,
)

_METRICS = {
    "ndcg": ndcg_at_k,
    "precision": precision_at_k,
    "recall": recall_at_k,
    "map": map_at_k,
    "mrr": mrr_at_k,
    "hit_rate": hit_rate_at_k,
}


def relevant_items_by_user(X, y=None):
    """Group the interactions of ``X`` by user.

    Rows with ``y <= 0`` (when ``y`` is given) are not relevant and are dropped.

    Returns
    -------
    users : ndarray of shape (n_users,)
        The distinct users, in order of first appearance.
    relevant : list of ndarray
        ``relevant[j]`` holds the items of ``users[j]``.
    """
    users, items = check_interactions(X)
    y = check_target(y, len(users))
    if y is not None:
        keep = y > 0
        users, items = users[keep], items[keep]
    codes, uniques = pd.factorize(users)
    order = np.argsort(codes, kind="stable")
    bounds = np.cumsum(np.bincount(codes, minlength=len(uniques)))[:-1]
    return np.asarray(uniques), np.split(items[order], bounds)


class RankingScorer:
    """Score a recommender by a top-k ranking metric over the users of ``X``.

    Build it with :func:`make_ranking_scorer`.
    """

    def __init__(self, metric, k=10, exclude_seen=True):
        self.metric = metric
        self.k = k
        self.exclude_seen = exclude_seen

    def __call__(self, estimator, X, y=None):
        """Recommend ``k`` items to each user of ``X`` and score the lists.

        Every ``(user, item)`` row of ``X`` is a relevant item of that user
        (only rows with ``y > 0`` when ``y`` is given). The whole catalogue is
        ranked for each user, and with ``exclude_seen=True`` the items the
        user interacted with during ``fit`` are left out.
        """
        users, relevant = relevant_items_by_user(X, y)
        items, scores = estimator.recommend(users, n=self.k, exclude_seen=self.exclude_seen)
        finite = np.isfinite(scores)
        ranked = items if finite.all() else [row[ok] for row, ok in zip(items, finite, strict=True)]
        metric = _METRICS[self.metric] if isinstance(self.metric, str) else self.metric
        return float(metric(relevant, ranked, k=self.k))

    def __repr__(self):
        name = self.metric if isinstance(self.metric, str) else self.metric.__name__
        return f"make_ranking_scorer({name!r}, k={self.k}, exclude_seen={self.exclude_seen})"


def make_ranking_scorer(metric, k=10, *, exclude_seen=True):
    """Make a scorer from a top-k ranking metric.

    The scorer recommends ``k`` items from the whole catalogue to every user in
    the test ``X`` (seen items excluded by default) and compares the lists with
    the test interactions of each user, averaged over users as the metric
    documents. Greater is better for every ranking metric, so the scorer
    returns the metric as it is. It can be passed as ``scoring=`` to
    :class:`~sklearn.model_selection.GridSearchCV` or
    :func:`~sklearn.model_selection.cross_validate`, alone or in a dict.

    Parameters
    ----------
    metric : {"ndcg", "precision", "recall", "map", "mrr", "hit_rate"} or callable
        A metric name, or a function ``metric(y_true, y_pred, *, k)`` with the
        signature of :func:`ndcg_at_k`.
    k : int, default=10
        The cut-off: the length of each recommendation list.
    exclude_seen : bool, default=True
        Whether items seen during ``fit`` are excluded from the lists.

    Returns
    -------
    scorer : callable
        ``scorer(estimator, X, y=None) -> float``.

    Examples
    --------
    >>> from sklearn_rec.metrics import make_ranking_scorer
    >>> make_ranking_scorer("recall", k=20)
    make_ranking_scorer('recall', k=20, exclude_seen=True)
    """
    if not callable(metric) and metric not in _METRICS:
        raise ValueError(f"metric must be one of {sorted(_METRICS)} or a callable, got {metric!r}.")
    if not isinstance(exclude_seen, bool):
        raise TypeError(f"exclude_seen must be a bool, got {exclude_seen!r}.")
    return RankingScorer(metric, check_positive_int(k, "k"), exclude_seen)
