"""Ranking scorers: ``scoring=`` callables for model selection tools."""

from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd
from sklearn.pipeline import Pipeline
from sklearn.utils import check_random_state

from .._typing import Interactions
from .._validation import check_interactions, check_positive_int, check_real, check_target
from ._beyond import (
    _check_item_vectors,
    _Popularity,
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

_METRICS = {
    "ndcg": ndcg_at_k,
    "precision": precision_at_k,
    "recall": recall_at_k,
    "map": map_at_k,
    "mrr": mrr_at_k,
    "hit_rate": hit_rate_at_k,
}


def relevant_items_by_user(X, y=None, positive_threshold=None):
    """Group the interactions of ``X`` by user.

    Rows with ``y <= 0`` (when ``y`` is given), or with ``y <
    positive_threshold`` when that is given, are not relevant and are
    dropped; so are the users left without a relevant row.

    Returns
    -------
    users : ndarray of shape (n_users,)
        The distinct users, in order of first appearance.
    relevant : list of ndarray
        ``relevant[j]`` holds the items of ``users[j]``.
    """
    users, items = check_interactions(X)
    y = check_target(y, len(users))
    if positive_threshold is not None and y is None:
        raise ValueError(
            f"positive_threshold={positive_threshold!r} counts the rows with y >= "
            "positive_threshold as relevant, but y is None: pass the test ratings as y."
        )
    if y is not None:
        keep = y > 0 if positive_threshold is None else y >= positive_threshold
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


def _recommender_and_rows(scorer, estimator, X, needed):
    """The estimator that answers ``scorer``'s queries, and ``X`` as it sees it.

    A Pipeline (nested ones too) transforms ``X`` with the steps before
    its last, as ``Pipeline.score`` does, and its last step answers. The
    final estimator must have the method ``needed``; it is checked before
    anything is transformed, so that a Pipeline ending in a non-recommender
    fails with its name rather than on a missing method, which model
    selection would turn into a NaN score and a warning.
    """
    transforms, path = [], []
    while isinstance(estimator, Pipeline):
        transforms += [
            step for _, step in estimator.steps[:-1] if step is not None and step != "passthrough"
        ]
        name, estimator = estimator.steps[-1]
        path.append(name)
    if not callable(getattr(estimator, needed, None)):
        what = (
            f"a Pipeline whose last step {'__'.join(path)!r} is {estimator!r}"
            if path
            else f"{estimator!r}"
        )
        raise TypeError(
            f"{scorer!r} scores a recommender (an estimator with a {needed} method, such as "
            "MatrixFactorization) or a Pipeline whose last step is one; got " + what + "."
        )
    for transform in transforms:
        X = transform.transform(X)
    return estimator, X


class RankingScorer:
    """Score a recommender by a top-k ranking metric over the users of ``X``.

    Build it with :func:`make_ranking_scorer`.
    """

    def __init__(
        self,
        metric,
        k=10,
        exclude_seen=True,
        n_negatives=None,
        random_state=None,
        positive_threshold=None,
    ):
        self.metric = metric
        self.k = k
        self.exclude_seen = exclude_seen
        self.positive_threshold = positive_threshold
        self.n_negatives = n_negatives
        self.random_state = random_state

    def _metric(self):
        return _METRICS[self.metric] if isinstance(self.metric, str) else self.metric

    def __call__(self, estimator, X, y=None):
        """Rank items for each user of ``X`` and score the lists.

        Every ``(user, item)`` row of ``X`` is a relevant item of that user
        (only rows with ``y > 0`` when ``y`` is given, or ``y >=
        positive_threshold``). See :func:`make_ranking_scorer` for the two
        protocols. A
        :class:`~sklearn.pipeline.Pipeline` is scored through its last step,
        on the rows its other steps transform ``X`` into.
        """
        needed = "recommend" if self.n_negatives is None else "score_items"
        estimator, X = _recommender_and_rows(self, estimator, X, needed)
        users, relevant = relevant_items_by_user(X, y, self.positive_threshold)
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
        threshold = (
            ""
            if self.positive_threshold is None
            else f", positive_threshold={self.positive_threshold!r}"
        )
        sampled = (
            ""
            if self.n_negatives is None
            else f", n_negatives={self.n_negatives}, random_state={self.random_state!r}"
        )
        return (
            f"make_ranking_scorer({name!r}, k={self.k}, exclude_seen={self.exclude_seen}"
            f"{threshold}{sampled})"
        )


def make_ranking_scorer(
    metric: str | Callable[..., Any],
    k: int = 10,
    *,
    exclude_seen: bool = True,
    positive_threshold: float | None = None,
    n_negatives: int | None = None,
    random_state: int | np.random.RandomState | None = None,
) -> Callable[..., float]:
    """Make a scorer from a top-k ranking metric.

    Greater is better for every ranking metric, so the scorer returns the
    metric as it is. It can be passed as ``scoring=`` to
    :class:`~sklearn.model_selection.GridSearchCV` or
    :func:`~sklearn.model_selection.cross_validate`, alone or in a dict.

    Every ``(user, item)`` row of the test ``X`` is a relevant item of its
    user: only rows with ``y > 0`` when ``y`` is given, or, with
    ``positive_threshold``, rows rated ``y >= positive_threshold`` (users
    without a relevant row are not scored). Two protocols:

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

    The estimator may be a :class:`~sklearn.pipeline.Pipeline` whose last
    step is a recommender: the test ``X`` goes through the other steps'
    ``transform``, as in ``Pipeline.score``, and the last step is queried.
    Anything else without the method the protocol needs (``recommend`` for
    full ranking, ``score_items`` for sampled ranking), a Pipeline ending in
    a classifier say, raises a ``TypeError`` naming it.

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
    positive_threshold : float, default=None
        With ratings as the test ``y``, the least rating of a relevant row
        (``4`` on a 1-5 scale counts what users liked); ``None`` counts every
        row with ``y > 0``. Keep it fixed while tuning the estimators'
        ``positive_threshold``, which only decides what they train on, so
        that every candidate is scored on the same relevant items.
    n_negatives : int, default=None
        ``None`` for full ranking, else the number of sampled negatives.
    random_state : int, RandomState instance or None, default=None
        Seeds the sampled negatives; an int gives the same negatives on every
        call.

    Returns
    -------
    scorer : callable
        ``scorer(estimator, X, y=None) -> float``, ``estimator`` a fitted
        recommender or a Pipeline ending in one.

    Examples
    --------
    >>> from sklearn_rec.metrics import make_ranking_scorer
    >>> make_ranking_scorer("recall", k=20)
    make_ranking_scorer('recall', k=20, exclude_seen=True)
    >>> make_ranking_scorer("ndcg", positive_threshold=4)
    make_ranking_scorer('ndcg', k=10, exclude_seen=True, positive_threshold=4.0)
    >>> make_ranking_scorer("hit_rate", n_negatives=99, random_state=0)
    make_ranking_scorer('hit_rate', k=10, exclude_seen=True, n_negatives=99, random_state=0)
    """
    if not callable(metric) and metric not in _METRICS:
        raise ValueError(f"metric must be one of {sorted(_METRICS)} or a callable, got {metric!r}.")
    if not isinstance(exclude_seen, bool):
        raise TypeError(f"exclude_seen must be a bool, got {exclude_seen!r}.")
    if n_negatives is not None:
        n_negatives = check_positive_int(n_negatives, "n_negatives")
    if positive_threshold is not None:
        positive_threshold = check_real(positive_threshold, "positive_threshold")
    check_random_state(random_state)
    return RankingScorer(
        metric,
        check_positive_int(k, "k"),
        exclude_seen,
        n_negatives,
        random_state,
        positive_threshold,
    )


# Each beyond-accuracy metric: its function, what it is compared with, and
# whether greater is better.
_BEYOND_METRICS = {
    "coverage": (catalogue_coverage_at_k, "catalogue", True),
    "novelty": (novelty_at_k, "popularity", True),
    "arp": (average_popularity_at_k, "popularity", False),
    "long_tail": (long_tail_share_at_k, "popularity", True),
    "gini": (gini_index_at_k, "catalogue", False),
    "entropy": (exposure_entropy_at_k, None, True),
    "diversity": (intra_list_diversity_at_k, "item_vectors", True),
}


def _recommendation_lists(estimator, users, k, exclude_seen):
    """The top-``k`` lists of ``users``, the padding of short lists left out."""
    items, scores = estimator.recommend(users, n=k, exclude_seen=exclude_seen)
    finite = np.isfinite(scores)
    return items if finite.all() else [row[ok] for row, ok in zip(items, finite, strict=True)]


def _catalogue(estimator):
    """Every item the estimator can recommend: those of ``fit``, then those from features."""
    return pd.Index(estimator.items_).append(pd.Index(estimator.cold_items_))


def _estimator_popularity(estimator):
    """Training users per item from the pairs the estimator saw in ``fit`` (``seen_``)."""
    seen = estimator.seen_
    if seen is None:
        raise ValueError(
            "This scorer needs the item popularity of the training data, which it reads from "
            "the (user, item) pairs seen in fit: this model did not store them "
            "(store_seen=False). Fit with store_seen=True, or pass X_train= to "
            "make_beyond_accuracy_scorer."
        )
    counts = np.asarray(seen.sum(axis=0), dtype=np.float64).ravel()
    n_users = int(np.count_nonzero(np.diff(seen.indptr)))
    return _Popularity(pd.Series(counts, index=_catalogue(estimator)[: len(counts)]), n_users)


class BeyondAccuracyScorer:
    """Score a recommender by a beyond-accuracy metric of its lists for the users of ``X``.

    Build it with :func:`make_beyond_accuracy_scorer`.
    """

    def __init__(
        self, metric, k, exclude_seen, popularity, item_vectors, head_share, greater_is_better
    ):
        self.metric = metric
        self.k = k
        self.exclude_seen = exclude_seen
        self.popularity = popularity
        self.item_vectors = item_vectors
        self.head_share = head_share
        self.greater_is_better = greater_is_better

    def _reference(self, estimator):
        """What the lists are compared with, as the metric's second argument."""
        needs = _BEYOND_METRICS[self.metric][1]
        if needs == "catalogue":
            return (_catalogue(estimator),)
        if needs == "popularity":
            popularity = self.popularity
            return (_estimator_popularity(estimator) if popularity is None else popularity,)
        if needs == "item_vectors":
            vectors = self.item_vectors
            if callable(vectors):
                vectors = vectors(estimator)
            return (vectors,)
        return ()

    def __call__(self, estimator, X, y=None):
        """Recommend ``k`` items to each user of ``X`` and measure the lists.

        The users are those of :func:`make_ranking_scorer` (rows with
        ``y > 0`` when ``y`` is given), so that both kinds of scorer measure
        the same lists; the items of ``X`` play no role.
        """
        estimator, X = _recommender_and_rows(self, estimator, X, "recommend")
        users, _ = relevant_items_by_user(X, y)
        lists = _recommendation_lists(estimator, users, self.k, self.exclude_seen)
        function = _BEYOND_METRICS[self.metric][0]
        extra = {"head_share": self.head_share} if self.metric == "long_tail" else {}
        value = float(function(lists, *self._reference(estimator), k=self.k, **extra))
        return value if self.greater_is_better else -value

    def __repr__(self):
        options = [f"k={self.k}", f"exclude_seen={self.exclude_seen}"]
        if self.popularity is not None:
            options.append("X_train=...")
        if self.item_vectors is not None:
            options.append("item_vectors=...")
        if self.metric == "long_tail":
            options.append(f"head_share={self.head_share}")
        if self.greater_is_better != _BEYOND_METRICS[self.metric][2]:
            options.append(f"greater_is_better={self.greater_is_better}")
        return f"make_beyond_accuracy_scorer({self.metric!r}, {', '.join(options)})"


def make_beyond_accuracy_scorer(
    metric: str | Callable[..., Any],
    k: int = 10,
    *,
    exclude_seen: bool = True,
    X_train: Interactions | None = None,
    item_vectors: Any = None,
    head_share: float = 0.8,
    greater_is_better: bool | None = None,
) -> Callable[..., float]:
    """Make a scorer from a beyond-accuracy metric of the recommendation lists.

    The scorer recommends the ``k`` best items of the whole catalogue to each
    user of the test ``X`` (items seen in ``fit`` excluded, ``exclude_seen``)
    and measures the lists, whatever items the users hold in ``X``. It can be
    passed as ``scoring=`` to :class:`~sklearn.model_selection.GridSearchCV`
    or :func:`~sklearn.model_selection.cross_validate`, in a dict beside
    :func:`make_ranking_scorer` entries.

    What each metric compares the lists with comes from the fitted estimator
    of each split, so that it is always the training part of that split:

    - the catalogue (``"coverage"``, ``"gini"``): the estimator's ``items_``
      and ``cold_items_``;
    - the item popularity (``"novelty"``, ``"arp"``, ``"long_tail"``): the
      training users of each item, from the estimator's ``seen_`` (a model
      fitted with ``store_seen=False`` needs ``X_train``); ``X_train``
      replaces it with fixed training interactions;
    - the item vectors (``"diversity"``): ``item_vectors``, a DataFrame, or
      a function of the fitted estimator that returns one (for embeddings).

    A :class:`~sklearn.pipeline.Pipeline` whose last step is a recommender is
    scored as by :func:`make_ranking_scorer`: the test ``X`` goes through the
    other steps' ``transform`` and the last step recommends; it is also the
    estimator that the references (and an ``item_vectors`` function) are read
    from.

    Parameters
    ----------
    metric : {"coverage", "novelty", "arp", "long_tail", "gini", "entropy", \
"diversity"}
        :func:`catalogue_coverage_at_k`, :func:`novelty_at_k`,
        :func:`average_popularity_at_k`, :func:`long_tail_share_at_k`,
        :func:`gini_index_at_k`, :func:`exposure_entropy_at_k` or
        :func:`intra_list_diversity_at_k`.
    k : int, default=10
        The cut-off: the length of each recommendation list.
    exclude_seen : bool, default=True
        Whether items seen during ``fit`` are excluded from the lists.
    X_train : array-like or DataFrame of shape (n_interactions, n_columns >= 2), \
default=None
        Training interactions (user ids in column 0, item ids in column 1)
        for the item popularity of ``"novelty"``, ``"arp"`` and
        ``"long_tail"``, in place of each fitted estimator's ``seen_``. In
        cross-validation they are the same for every split: pass them only
        to compare with a fixed reference.
    item_vectors : DataFrame of shape (n_items, n_dims) or callable, default=None
        Required by ``"diversity"``: one row of numbers per item, indexed by
        item id (side features such as genres), or
        ``item_vectors(estimator) -> DataFrame``, called on each fitted
        estimator (its item embeddings).
    head_share : float, default=0.8
        The share of the training interactions held by the short head, for
        ``"long_tail"``.
    greater_is_better : bool, default=None
        ``None``: the metric's own direction, ``False`` for ``"arp"`` and
        ``"gini"`` (less popularity bias, more even exposure), ``True`` for
        the others. When ``False`` the scorer returns the metric negated, as
        :func:`sklearn.metrics.make_scorer` does, so that model selection
        maximises it.

    Returns
    -------
    scorer : callable
        ``scorer(estimator, X, y=None) -> float``.

    Examples
    --------
    >>> import pandas as pd
    >>> from sklearn_rec.metrics import make_beyond_accuracy_scorer
    >>> make_beyond_accuracy_scorer("novelty", k=20)
    make_beyond_accuracy_scorer('novelty', k=20, exclude_seen=True)
    >>> make_beyond_accuracy_scorer("gini")
    make_beyond_accuracy_scorer('gini', k=10, exclude_seen=True)

    Diversity over the item embeddings of a fitted
    :class:`~sklearn_rec.MatrixFactorization`:

    >>> def embeddings(mf):
    ...     factors = mf.module_.item_factors.weight.detach().cpu().numpy()
    ...     return pd.DataFrame(factors[: len(mf.items_)], index=mf.items_)
    >>> make_beyond_accuracy_scorer("diversity", item_vectors=embeddings)
    make_beyond_accuracy_scorer('diversity', k=10, exclude_seen=True, item_vectors=...)
    """
    if metric not in _BEYOND_METRICS:
        raise ValueError(f"metric must be one of {sorted(_BEYOND_METRICS)}, got {metric!r}.")
    k = check_positive_int(k, "k")
    if not isinstance(exclude_seen, bool):
        raise TypeError(f"exclude_seen must be a bool, got {exclude_seen!r}.")
    needs = _BEYOND_METRICS[metric][1]
    popularity = None
    if X_train is not None:
        if needs != "popularity":
            raise ValueError(
                f"X_train is only used by 'novelty', 'arp' and 'long_tail', not {metric!r}."
            )
        popularity = _Popularity.from_interactions(X_train)
    if needs == "item_vectors":
        if item_vectors is None:
            raise ValueError(
                "metric='diversity' needs item_vectors: a DataFrame of item vectors indexed by "
                "item id, or a function of the fitted estimator returning one."
            )
        if not callable(item_vectors):
            _check_item_vectors(item_vectors)
    elif item_vectors is not None:
        raise ValueError(f"item_vectors is only used by 'diversity', not {metric!r}.")
    head_share = check_real(head_share, "head_share", low=0, high=1, include_low=False)
    if greater_is_better is None:
        greater_is_better = _BEYOND_METRICS[metric][2]
    elif not isinstance(greater_is_better, bool):
        raise TypeError(f"greater_is_better must be a bool or None, got {greater_is_better!r}.")
    return BeyondAccuracyScorer(
        metric, k, exclude_seen, popularity, item_vectors, head_share, greater_is_better
    )
