"""Ranking scorers: ``scoring=`` callables for model selection tools."""

import numpy as np
import pandas as pd
from sklearn.utils import check_random_state

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


def _sample_unseen(estimator, users, owner, targets, n_negatives, random_state):
    """``n_negatives`` distinct items per user, none seen in ``fit`` nor relevant.

    ``targets`` are the relevant items, ``owner`` the position in ``users`` of
    the user of each (non-decreasing). Uniform sampling without replacement
    through random keys: the smallest ``n_negatives`` of uniform draws over
    the allowed items, in chunks of users.
    """
    if estimator.seen_ is None:
        raise ValueError(
            "The sampled protocol (n_negatives) draws negatives among the items each user did "
            "not interact with in fit, which needs the pairs seen in training: this model did "
            "not store them (store_seen=False). Fit with store_seen=True."
        )
    rng = check_random_state(random_state)
    catalogue = pd.Index(estimator.items_)
    user_codes = pd.Index(estimator.users_).get_indexer(users)
    target_codes = catalogue.get_indexer(targets)
    n_items = len(catalogue)
    negatives = np.empty((len(users), n_negatives), dtype=np.int64)
    chunk = max(1, 2**24 // n_items)
    for start in range(0, len(users), chunk):
        stop = min(start + chunk, len(users))
        keys = rng.random((stop - start, n_items))
        known = np.flatnonzero(user_codes[start:stop] >= 0)
        seen = estimator.seen_[user_codes[start:stop][known]]
        keys[np.repeat(known, np.diff(seen.indptr)), seen.indices] = 2.0
        lo, hi = np.searchsorted(owner, [start, stop])
        known_targets = target_codes[lo:hi] >= 0
        keys[owner[lo:hi][known_targets] - start, target_codes[lo:hi][known_targets]] = 2.0
        allowed = (keys < 2.0).sum(axis=1)
        if (allowed < n_negatives).any():
            user = users[start + int(np.argmin(allowed))]
            raise ValueError(
                f"n_negatives={n_negatives} exceeds the {allowed.min()} items that user "
                f"{user!r} has not interacted with."
            )
        negatives[start:stop] = np.argpartition(keys, n_negatives - 1, axis=1)[:, :n_negatives]
    return np.asarray(catalogue)[negatives]


class RankingScorer:
    """Score a recommender by a top-k ranking metric over the users of ``X``.

    Build it with :func:`make_ranking_scorer`.
    """

    def __init__(self, metric, k=10, exclude_seen=True, n_negatives=None, random_state=None):
        self.metric = metric
        self.k = k
        self.exclude_seen = exclude_seen
        self.n_negatives = n_negatives
        self.random_state = random_state

    def _metric(self):
        return _METRICS[self.metric] if isinstance(self.metric, str) else self.metric

    def __call__(self, estimator, X, y=None):
        """Rank items for each user of ``X`` and score the lists.

        Every ``(user, item)`` row of ``X`` is a relevant item of that user
        (only rows with ``y > 0`` when ``y`` is given). See
        :func:`make_ranking_scorer` for the two protocols.
        """
        users, relevant = relevant_items_by_user(X, y)
        if self.n_negatives is not None:
            return self._sampled(estimator, users, relevant)
        items, scores = estimator.recommend(users, n=self.k, exclude_seen=self.exclude_seen)
        finite = np.isfinite(scores)
        ranked = items if finite.all() else [row[ok] for row, ok in zip(items, finite, strict=True)]
        return float(self._metric()(relevant, ranked, k=self.k))

    def _sampled(self, estimator, users, relevant):
        """Rank each relevant item against the user's sampled negatives."""
        sizes = np.array([len(items) for items in relevant])
        owner = np.repeat(np.arange(len(users)), sizes)
        targets = np.concatenate(relevant)
        negatives = _sample_unseen(
            estimator, users, owner, targets, self.n_negatives, self.random_state
        )
        # The target comes last so that it loses ties, as in the NCF evaluation.
        candidates = np.concatenate(
            [negatives[owner], targets[:, None].astype(negatives.dtype)], axis=1
        )
        scores = estimator.score_items(users[owner], candidates)
        order = np.argsort(-scores, axis=1, kind="stable")
        ranked = np.take_along_axis(candidates, order, axis=1)
        per_target = self._metric()(targets[:, None], ranked, k=self.k, average=False)
        per_user = np.bincount(owner, weights=per_target) / sizes
        return float(per_user.mean())

    def __repr__(self):
        name = self.metric if isinstance(self.metric, str) else self.metric.__name__
        sampled = (
            ""
            if self.n_negatives is None
            else f", n_negatives={self.n_negatives}, random_state={self.random_state!r}"
        )
        return (
            f"make_ranking_scorer({name!r}, k={self.k}, exclude_seen={self.exclude_seen}{sampled})"
        )


def make_ranking_scorer(metric, k=10, *, exclude_seen=True, n_negatives=None, random_state=None):
    """Make a scorer from a top-k ranking metric.

    Greater is better for every ranking metric, so the scorer returns the
    metric as it is. It can be passed as ``scoring=`` to
    :class:`~sklearn.model_selection.GridSearchCV` or
    :func:`~sklearn.model_selection.cross_validate`, alone or in a dict.

    Every ``(user, item)`` row of the test ``X`` is a relevant item of its
    user (only rows with ``y > 0`` when ``y`` is given). Two protocols:

    - **Full ranking** (``n_negatives=None``, the default): the ``k`` best
      items of the whole catalogue are recommended to each user of ``X``,
      items seen in ``fit`` excluded (``exclude_seen``), and compared with the
      user's relevant items; the metric is averaged over users as it
      documents.
    - **Sampled ranking** (``n_negatives=99`` is the protocol of the NCF
      paper, He et al., WWW 2017): each user gets ``n_negatives`` items drawn
      uniformly, without replacement, among the items they interacted with
      neither in ``fit`` nor in ``X``. Each relevant item is ranked against
      those negatives by the estimator's scores (losing ties), the metric is
      computed for that list with the item as the only relevant one, averaged
      over the user's relevant items, then over users. With one test item per
      user (leave-one-out) this is the HR@10 / NDCG@10 (log2 discount) of the
      NCF paper. Sampled metrics are cheaper but can rank models differently
      from full ranking (Krichene & Rendle, KDD 2020): prefer full ranking to
      compare models.

    Parameters
    ----------
    metric : {"ndcg", "precision", "recall", "map", "mrr", "hit_rate"} or callable
        A metric name, or a function ``metric(y_true, y_pred, *, k, average)``
        with the signature of :func:`ndcg_at_k`.
    k : int, default=10
        The cut-off: the length of each recommendation list.
    exclude_seen : bool, default=True
        Whether items seen during ``fit`` are excluded from the lists (full
        ranking; sampled negatives always exclude them).
    n_negatives : int, default=None
        ``None`` for full ranking, else the number of sampled negatives.
    random_state : int, RandomState instance or None, default=None
        Seeds the sampled negatives; an int gives the same negatives on every
        call.

    Returns
    -------
    scorer : callable
        ``scorer(estimator, X, y=None) -> float``.

    Examples
    --------
    >>> from sklearn_rec.metrics import make_ranking_scorer
    >>> make_ranking_scorer("recall", k=20)
    make_ranking_scorer('recall', k=20, exclude_seen=True)
    >>> make_ranking_scorer("hit_rate", n_negatives=99, random_state=0)
    make_ranking_scorer('hit_rate', k=10, exclude_seen=True, n_negatives=99, random_state=0)
    """
    if not callable(metric) and metric not in _METRICS:
        raise ValueError(f"metric must be one of {sorted(_METRICS)} or a callable, got {metric!r}.")
    if not isinstance(exclude_seen, bool):
        raise TypeError(f"exclude_seen must be a bool, got {exclude_seen!r}.")
    if n_negatives is not None:
        n_negatives = check_positive_int(n_negatives, "n_negatives")
    check_random_state(random_state)
    return RankingScorer(
        metric, check_positive_int(k, "k"), exclude_seen, n_negatives, random_state
    )
