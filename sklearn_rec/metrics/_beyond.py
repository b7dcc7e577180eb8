"""Beyond-accuracy metrics: what the recommendation lists are, whatever the test data.

Every metric takes ``y_pred``, one ranked list per user (best first), as a
2-D array-like or as a sequence of 1-D sequences of different lengths, and
reads its first ``k`` ids. Unlike the accuracy metrics it needs no relevant
items; it needs what the lists are compared with instead: the catalogue
(coverage, Gini index), the training interactions (novelty, popularity,
long tail) or item vectors (intra-list diversity).

Lists must hold distinct, non-missing ids: padding (None or NaN) and repeated
items raise, since they would count as recommendations. Pass shorter rows
where a user has fewer recommendations.

Two kinds of averaging:

- **per list** (novelty, ARP, long-tail share, intra-list diversity): the
  metric of each user's list, then the mean over the users whose list defines
  it (non-empty; at least two items for diversity);
- **pooled** (coverage, Gini index, entropy): one value from the exposure of
  every item, the number of lists that recommend it, over all lists.
"""

import warnings
from typing import Any

import numpy as np
import pandas as pd
from sklearn.exceptions import UndefinedMetricWarning

from .._typing import Array, Interactions
from .._validation import check_interactions, check_positive_int, check_real
from ._ranking import _as_rows, _check_average, _flatten

__all__ = [
    "average_popularity_at_k",
    "catalogue_coverage_at_k",
    "exposure_entropy_at_k",
    "gini_index_at_k",
    "intra_list_diversity_at_k",
    "long_tail_share_at_k",
    "novelty_at_k",
]


def _show(item_id):
    """An id as users wrote it: ``1``, not ``np.int64(1)``."""
    return item_id.item() if isinstance(item_id, np.generic) else item_id


class _Lists:
    """The first ``k`` ids of every list, flattened: ``ids[j]`` is in the list of ``users[j]``."""

    def __init__(self, y_pred, k):
        k = check_positive_int(k, "k")
        rows = _as_rows(y_pred, "y_pred", ordered=True)
        self.ids, self.users, positions = _flatten(rows, k)
        self.n_users = len(rows)
        missing = np.flatnonzero(pd.isna(self.ids))
        if len(missing):
            j = missing[0]
            raise ValueError(
                f"y_pred has a missing id ({_show(self.ids[j])!r}) at position {positions[j]} "
                f"of row {self.users[j]}: padding would count as a recommendation. Pass "
                "shorter rows instead (rows may have different lengths)."
            )
        codes, uniques = pd.factorize(self.ids)
        repeated = np.flatnonzero(pd.Series(self.users * len(uniques) + codes).duplicated())
        if len(repeated):
            j = repeated[0]
            raise ValueError(
                f"y_pred recommends item {_show(self.ids[j])!r} more than once in row "
                f"{self.users[j]}; each list must hold distinct items."
            )
        self.lengths = np.bincount(self.users, minlength=self.n_users)

    def exposure(self):
        """The distinct recommended ids and the number of lists recommending each."""
        counts = pd.Series(self.ids).value_counts(sort=False)
        return counts.index, counts.to_numpy(dtype=np.float64)

    def per_list_mean(self, values, name, average):
        """Mean of ``values`` (one per recommended id) within each list, then over lists."""
        sums = np.bincount(self.users, weights=values, minlength=self.n_users)
        defined = self.lengths > 0
        scores = np.full(self.n_users, np.nan)
        scores[defined] = sums[defined] / self.lengths[defined]
        return _average(scores, defined, name, average, "empty lists", stacklevel=4)


def _average(scores, defined, name, average, what, stacklevel=3):
    """``scores``, NaN where not ``defined`` (with a warning), or their mean where defined."""
    scores[~defined] = np.nan
    n_undefined = int(np.count_nonzero(~defined))
    if n_undefined:
        warnings.warn(
            f"{name} is undefined for {what}; {n_undefined} of {len(scores)} users have "
            f"such a list and are {'excluded from the average' if average else 'set to NaN'}.",
            UndefinedMetricWarning,
            stacklevel=stacklevel,
        )
    if not average:
        return scores
    return float(scores[defined].mean()) if defined.any() else np.nan


def _check_catalogue(catalogue):
    """The catalogue as a ``pd.Index`` of distinct, non-missing ids."""
    if isinstance(catalogue, str | bytes) or np.ndim(catalogue) != 1:
        raise ValueError(
            f"catalogue must be a 1-D array-like of item ids, got {type(catalogue).__name__} "
            f"of shape {np.shape(catalogue)}."
        )
    index = pd.Index(
        catalogue if hasattr(catalogue, "dtype") else np.asarray(catalogue, dtype=object)
    )
    if len(index) == 0:
        raise ValueError("catalogue is empty; expected at least one item id.")
    if index.hasnans:
        raise ValueError("catalogue has missing ids (None or NaN); expected item ids.")
    if not index.is_unique:
        raise ValueError(
            f"catalogue must hold distinct item ids; {_show(index[index.duplicated()][0])!r} is "
            "repeated."
        )
    return index


def _positions_in(index, ids, name):
    """The position of every id in ``index``; raise naming ``name`` for ids not in it."""
    positions = index.get_indexer(ids)
    unknown = pd.unique(ids[positions < 0])
    if len(unknown):
        examples = [_show(i) for i in unknown[:5]]
        raise ValueError(f"y_pred has {len(unknown)} item id(s) not in {name}, e.g. {examples}.")
    return positions


class _Popularity:
    """Training users per item (``counts``, a Series indexed by item id) and ``n_users``.

    An item counts each distinct user once, repeated rows or not.
    """

    def __init__(self, counts, n_users):
        self.counts, self.n_users = counts, n_users

    @classmethod
    def from_interactions(cls, X_train):
        if np.ndim(X_train) == 2 and np.shape(X_train)[0] == 0:
            raise ValueError(
                "X_train is empty (0 interactions): item popularity comes from the training "
                "interactions, at least one is needed."
            )
        try:
            users, items = check_interactions(X_train)
        except (TypeError, ValueError) as exc:
            raise type(exc)(f"Invalid X_train: {exc}") from exc
        pairs = pd.DataFrame({"user": users, "item": items}).drop_duplicates()
        return cls(pairs["item"].value_counts(sort=False), pairs["user"].nunique())

    def of(self, ids):
        """The training users of each id; 0 for ids absent from the training data."""
        positions = self.counts.index.get_indexer(ids)
        values = self.counts.to_numpy(dtype=np.float64)
        return np.where(positions >= 0, values[positions], 0.0)


def _popularity(X_train):
    return X_train if isinstance(X_train, _Popularity) else _Popularity.from_interactions(X_train)


def catalogue_coverage_at_k(y_pred: Any, catalogue: Any, *, k: int = 10) -> float:
    r"""Catalogue coverage: the share of the catalogue recommended to anyone.

    With :math:`L_u` the first ``k`` items of the list of user :math:`u` and
    :math:`I` the catalogue:

    .. math::

        \mathrm{Coverage@k} = \frac{|\bigcup_u L_u|}{|I|}

    Pooled over all lists. This is the catalogue coverage of Shani and
    Gunawardana (*Evaluating Recommendation Systems*, Recommender Systems
    Handbook, 2011), as in Microsoft Recommenders' ``catalog_coverage`` (with
    the catalogue the items of the training data) and RecBole's
    ``ItemCoverage`` (whose item count includes its padding id).

    Parameters
    ----------
    y_pred : array-like of shape (n_users, n_ranked) or sequence of 1-D sequences
        Ranked recommendations of each user, best first; only the first ``k``
        count. Rows hold distinct, non-missing ids and may have different
        lengths.
    catalogue : array-like of shape (n_items,)
        The distinct ids of the items that could be recommended, for example
        a fitted estimator's ``items_``. Every recommended id must be in it.
    k : int, default=10
        Number of top-ranked items of each list to read.

    Returns
    -------
    coverage : float
        In ``[0, 1]``.

    Examples
    --------
    >>> from sklearn_rec.metrics import catalogue_coverage_at_k
    >>> catalogue_coverage_at_k([[1, 2], [1, 3]], catalogue=[1, 2, 3, 4], k=2)
    0.75
    """
    lists = _Lists(y_pred, k)
    catalogue = _check_catalogue(catalogue)
    recommended, _ = lists.exposure()
    _positions_in(catalogue, np.asarray(recommended), "catalogue")
    return len(recommended) / len(catalogue)


def novelty_at_k(
    y_pred: Any, X_train: Interactions, *, k: int = 10, average: bool = True
) -> float | Array:
    r"""Novelty: the mean self-information of the recommended items.

    With :math:`U_i` the training users of item :math:`i`, :math:`U` all
    training users, :math:`p(i) = |U_i| / |U|` the share of training users who
    interacted with :math:`i`, and :math:`L_u` the first ``k`` items of the
    list of user :math:`u`:

    .. math::

        \mathrm{Novelty@k}(u) = \frac{1}{|L_u|} \sum_{i \in L_u} -\log_2 p(i)

    averaged over the users with a non-empty list. This is the novelty of Zhou
    et al. (*Solving the apparent diversity-accuracy dilemma of recommender
    systems*, PNAS 2010), the "discovery" model of Castells, Vargas and Wang
    (ECIR 2011). Microsoft Recommenders' ``novelty`` uses their "choice"
    model instead, :math:`p(i) = n_i / N` over the :math:`N` training
    interactions, and pools all recommendations: with lists of equal length
    it differs from this one by the constant :math:`\log_2(N / |U|)`, the log
    of the mean number of items per training user, so it ranks models alike.
    Elliot's ``EFD`` uses the choice model too, and weighs each item by its
    relevance and a logarithmic rank discount.

    Parameters
    ----------
    y_pred : array-like of shape (n_users, n_ranked) or sequence of 1-D sequences
        Ranked recommendations of each user, best first; only the first ``k``
        count. Rows hold distinct, non-missing ids and may have different
        lengths.
    X_train : array-like or DataFrame of shape (n_interactions, n_columns >= 2)
        The training interactions, as passed to ``fit``: user ids in column 0,
        item ids in column 1. Each (user, item) pair counts once. Every
        recommended item must appear in it (an item nobody interacted with has
        infinite self-information).
    k : int, default=10
        Number of top-ranked items of each list to read.
    average : bool, default=True
        If True, return the mean over users, otherwise the per-user scores.

    Returns
    -------
    score : float or ndarray of shape (n_users,)
        In bits, at least 0. NaN for users with an empty list.

    Warns
    -----
    UndefinedMetricWarning
        If some lists are empty.

    Examples
    --------
    >>> from sklearn_rec.metrics import novelty_at_k
    >>> X_train = [[0, "a"], [1, "a"], [2, "a"], [3, "a"], [0, "b"], [1, "b"], [2, "c"]]
    >>> novelty_at_k([["a", "b"], ["c"]], X_train, average=False)
    array([0.5, 2. ])
    """
    lists = _Lists(y_pred, k)
    average = _check_average(average)
    popularity = _popularity(X_train)
    counts = popularity.of(lists.ids)
    never = counts == 0
    if never.any():
        raise ValueError(
            f"y_pred recommends item {_show(lists.ids[never][0])!r}, which has no interaction in "
            "X_train: its self-information -log2 p(i) is infinite. Novelty needs every "
            "recommended item in the training data."
        )
    return lists.per_list_mean(-np.log2(counts / popularity.n_users), f"Novelty@{k}", average)


def average_popularity_at_k(
    y_pred: Any, X_train: Interactions, *, k: int = 10, average: bool = True
) -> float | Array:
    r"""Average recommendation popularity (ARP) of the listed items.

    With :math:`\phi(i)` the number of training users of item :math:`i` and
    :math:`L_u` the first ``k`` items of the list of user :math:`u`:

    .. math::

        \mathrm{ARP@k}(u) = \frac{1}{|L_u|} \sum_{i \in L_u} \phi(i)

    averaged over the users with a non-empty list. Lower means less
    popularity bias. From Abdollahpouri, Burke and Mobasher (*Managing
    popularity bias in recommender systems with personalized re-ranking*,
    FLAIRS 2019); the same as Elliot's ``ARP`` and RecBole's
    ``AveragePopularity``, which count training rows (equal here when the
    training data has no repeated pairs; RecBole divides by ``k`` rather than
    by the length of a shorter list).

    Parameters
    ----------
    y_pred : array-like of shape (n_users, n_ranked) or sequence of 1-D sequences
        Ranked recommendations of each user, best first; only the first ``k``
        count. Rows hold distinct, non-missing ids and may have different
        lengths.
    X_train : array-like or DataFrame of shape (n_interactions, n_columns >= 2)
        The training interactions: user ids in column 0, item ids in column
        1. Each (user, item) pair counts once; items absent from it have
        popularity 0.
    k : int, default=10
        Number of top-ranked items of each list to read.
    average : bool, default=True
        If True, return the mean over users, otherwise the per-user scores.

    Returns
    -------
    score : float or ndarray of shape (n_users,)
        Training users per recommended item. NaN for users with an empty list.

    Warns
    -----
    UndefinedMetricWarning
        If some lists are empty.

    Examples
    --------
    >>> from sklearn_rec.metrics import average_popularity_at_k
    >>> X_train = [[0, "a"], [1, "a"], [2, "a"], [3, "a"], [0, "b"], [1, "b"], [2, "c"]]
    >>> average_popularity_at_k([["a", "b"], ["c"]], X_train, average=False)
    array([3., 1.])
    """
    lists = _Lists(y_pred, k)
    average = _check_average(average)
    popularity = _popularity(X_train)
    return lists.per_list_mean(popularity.of(lists.ids), f"ARP@{k}", average)


def _long_tail(popularity, head_share):
    """Whether each item of ``popularity.counts`` is outside the short head."""
    counts = popularity.counts.to_numpy(dtype=np.float64)
    order = np.argsort(-counts, kind="stable")
    ahead = np.cumsum(counts[order]) - counts[order]
    # An item joins the head while the more popular items hold less than
    # head_share of the interactions; items tied with it compare by count, not
    # by order, so that ties at the boundary fall on the same side.
    threshold = counts[order][ahead < head_share * counts.sum()].min()
    return counts < threshold


def long_tail_share_at_k(
    y_pred: Any,
    X_train: Interactions,
    *,
    k: int = 10,
    head_share: float = 0.8,
    average: bool = True,
) -> float | Array:
    r"""Share of long-tail items in each list (APLT).

    The short head :math:`H` is the set of most popular training items that
    together hold ``head_share`` of the training interactions: sorted by
    decreasing number of training users :math:`\phi(i)`, an item is in
    :math:`H` if the items more popular than it hold less than
    ``head_share`` of :math:`\sum_i \phi(i)` (items tied with a head item are
    in the head too). Every other item, including items absent from the
    training data, is in the long tail. With :math:`L_u` the first ``k``
    items of the list of user :math:`u`:

    .. math::

        \mathrm{APLT@k}(u) = \frac{|L_u \setminus H|}{|L_u|}

    averaged over the users with a non-empty list. The average percentage of
    long-tail items of Abdollahpouri, Burke and Mobasher (*Controlling
    popularity bias in learning-to-rank recommendation*, RecSys 2017). It
    matches Elliot's ``APLT`` (whose short head holds 80% of the interactions)
    except at ties on the head's boundary, which Elliot breaks by order.
    RecBole's ``TailPercentage`` draws the tail differently: the least
    popular 10% of the items, or those with at most a given count.

    Parameters
    ----------
    y_pred : array-like of shape (n_users, n_ranked) or sequence of 1-D sequences
        Ranked recommendations of each user, best first; only the first ``k``
        count. Rows hold distinct, non-missing ids and may have different
        lengths.
    X_train : array-like or DataFrame of shape (n_interactions, n_columns >= 2)
        The training interactions: user ids in column 0, item ids in column
        1. Each (user, item) pair counts once.
    k : int, default=10
        Number of top-ranked items of each list to read.
    head_share : float, default=0.8
        The share of the training interactions held by the short head, in
        ``(0, 1]``.
    average : bool, default=True
        If True, return the mean over users, otherwise the per-user scores.

    Returns
    -------
    score : float or ndarray of shape (n_users,)
        In ``[0, 1]``. NaN for users with an empty list.

    Warns
    -----
    UndefinedMetricWarning
        If some lists are empty.

    Examples
    --------
    >>> from sklearn_rec.metrics import long_tail_share_at_k
    >>> X_train = [[0, "a"], [1, "a"], [2, "a"], [3, "a"], [0, "b"], [1, "b"], [2, "c"]]
    >>> long_tail_share_at_k([["a", "b"], ["c", "d"]], X_train, head_share=0.5)
    0.75
    """
    lists = _Lists(y_pred, k)
    head_share = check_real(head_share, "head_share", low=0, high=1, include_low=False)
    average = _check_average(average)
    popularity = _popularity(X_train)
    in_tail = _long_tail(popularity, head_share)
    positions = popularity.counts.index.get_indexer(lists.ids)
    tail = np.where(positions >= 0, in_tail[positions], True)
    return lists.per_list_mean(tail.astype(np.float64), f"Long-tail share@{k}", average)


def _exposure_counts(y_pred, catalogue, k):
    """The number of lists recommending each item of the catalogue (0 if none)."""
    lists = _Lists(y_pred, k)
    catalogue = _check_catalogue(catalogue)
    recommended, counts = lists.exposure()
    exposure = np.zeros(len(catalogue))
    exposure[_positions_in(catalogue, np.asarray(recommended), "catalogue")] = counts
    return exposure


def gini_index_at_k(y_pred: Any, catalogue: Any, *, k: int = 10) -> float:
    r"""Gini index of the exposure of the catalogue's items.

    With :math:`x_{(1)} \leq \dots \leq x_{(n)}` the number of lists that
    recommend each of the :math:`n` catalogue items among their first ``k``
    (0 for items never recommended), in increasing order:

    .. math::

        G@k = \frac{\sum_{j=1}^{n} (2j - n - 1) \, x_{(j)}}{n \sum_{j=1}^{n} x_{(j)}}

    Pooled over all lists. 0 when every item is recommended equally often,
    :math:`(n - 1) / n` when one item takes every recommendation; lower is
    more even. This is the Gini coefficient in its usual form (the area
    between the Lorenz curve and the diagonal, over the area under the
    diagonal), chosen because it is the textbook statistic that its name
    promises, with the sign readers expect (higher, more concentrated). It
    matches LensKit's ``ListGini``. The peers normalise it differently:

    - RecBole's ``GiniIndex`` has the same formula, but its :math:`n` counts
      the padding item id 0, one more than the catalogue;
    - Elliot's ``Gini`` (after RankSys, Vargas's thesis) divides by
      :math:`n - 1` instead of :math:`n`, so that full concentration gives 1,
      and reports the complement, :math:`1 - G \cdot n / (n - 1)`, a
      diversity where higher is more even;
    - LensKit's ``ExposureGini`` weights each position by a geometric rank
      discount before summing the exposure.

    Parameters
    ----------
    y_pred : array-like of shape (n_users, n_ranked) or sequence of 1-D sequences
        Ranked recommendations of each user, best first; only the first ``k``
        count. Rows hold distinct, non-missing ids and may have different
        lengths.
    catalogue : array-like of shape (n_items,)
        The distinct ids of the items that could be recommended, for example
        a fitted estimator's ``items_``. Every recommended id must be in it.
    k : int, default=10
        Number of top-ranked items of each list to read.

    Returns
    -------
    gini : float
        In ``[0, (n - 1) / n]``; NaN if no list recommends anything.

    Warns
    -----
    UndefinedMetricWarning
        If no list recommends anything.

    Examples
    --------
    >>> from sklearn_rec.metrics import gini_index_at_k
    >>> gini_index_at_k([[1, 2], [1, 3]], catalogue=[1, 2, 3, 4], k=2)
    0.375
    """
    exposure = np.sort(_exposure_counts(y_pred, catalogue, k))
    n, total = len(exposure), exposure.sum()
    if total == 0:
        warnings.warn(
            f"Gini index@{k} is undefined when no list recommends anything.",
            UndefinedMetricWarning,
            stacklevel=2,
        )
        return np.nan
    return float(np.arange(1 - n, n, 2) @ exposure / (n * total))


def exposure_entropy_at_k(y_pred: Any, *, k: int = 10) -> float:
    r"""Shannon entropy (in bits) of the exposure of the recommended items.

    With :math:`x_i` the number of lists that recommend item :math:`i` among
    their first ``k`` and :math:`p(i) = x_i / \sum_j x_j` its share of all
    recommendations:

    .. math::

        H@k = -\sum_{i : x_i > 0} p(i) \log_2 p(i)

    Pooled over all lists. 0 when every list holds the same single item; at
    most :math:`\log_2 n` for a catalogue of :math:`n` items, reached when
    every item is recommended equally often; higher is more even. The
    distributional coverage of Shani and Gunawardana (2011, eq. 21), as in
    Microsoft Recommenders' ``distributional_coverage``. RecBole's
    ``ShannonEntropy`` uses the natural log and divides the sum by the number
    of distinct recommended items.

    Parameters
    ----------
    y_pred : array-like of shape (n_users, n_ranked) or sequence of 1-D sequences
        Ranked recommendations of each user, best first; only the first ``k``
        count. Rows hold distinct, non-missing ids and may have different
        lengths.
    k : int, default=10
        Number of top-ranked items of each list to read.

    Returns
    -------
    entropy : float
        In bits; NaN if no list recommends anything.

    Warns
    -----
    UndefinedMetricWarning
        If no list recommends anything.

    Examples
    --------
    >>> from sklearn_rec.metrics import exposure_entropy_at_k
    >>> exposure_entropy_at_k([[1, 2], [1, 3]], k=2)
    1.5
    """
    _, counts = _Lists(y_pred, k).exposure()
    if len(counts) == 0:
        warnings.warn(
            f"Exposure entropy@{k} is undefined when no list recommends anything.",
            UndefinedMetricWarning,
            stacklevel=2,
        )
        return np.nan
    p = counts / counts.sum()
    return float(-(p @ np.log2(p)))


def _check_item_vectors(item_vectors):
    """``item_vectors`` as an index of ids and a float64 matrix of unit rows."""
    if not isinstance(item_vectors, pd.DataFrame):
        raise TypeError(
            "item_vectors must be a DataFrame with one row of numbers per item, indexed by item "
            f"id, got {type(item_vectors).__name__}."
        )
    if not item_vectors.index.is_unique:
        repeated = item_vectors.index[item_vectors.index.duplicated()][0]
        raise ValueError(f"item_vectors has more than one row for item {_show(repeated)!r}.")
    try:
        vectors = item_vectors.to_numpy(dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"item_vectors must hold numbers only: {exc}") from exc
    if vectors.shape[1] == 0:
        raise ValueError("item_vectors has no columns; expected at least one.")
    if not np.isfinite(vectors).all():
        raise ValueError("item_vectors must be finite; it holds NaN or infinite values.")
    return item_vectors.index, vectors


def intra_list_diversity_at_k(
    y_pred: Any, item_vectors: Any, *, k: int = 10, average: bool = True
) -> float | Array:
    r"""Intra-list diversity: one minus the mean cosine similarity of pairs in a list.

    With :math:`L_u` the first ``k`` items of the list of user :math:`u`,
    :math:`m = |L_u|` and :math:`v_i` the vector of item :math:`i`:

    .. math::

        \mathrm{ILD@k}(u) = 1 - \frac{2}{m (m - 1)} \sum_{i, j \in L_u, i < j}
        \frac{v_i \cdot v_j}{\lVert v_i \rVert \, \lVert v_j \rVert}

    averaged over the users whose list has at least two items. Cosine over
    raw vectors (not centred): with non-negative features such as genres it
    lies in ``[0, 1]``, with embeddings in ``[0, 2]``. Ziegler et al.
    (*Improving recommendation lists through topic diversification*, WWW
    2005) defined the intra-list similarity; this is one minus its mean, the
    ``diversity`` of Microsoft Recommenders with ``item_sim_measure=
    "item_feature_vector"``, and one minus LensKit's intra-list similarity.

    Parameters
    ----------
    y_pred : array-like of shape (n_users, n_ranked) or sequence of 1-D sequences
        Ranked recommendations of each user, best first; only the first ``k``
        count. Rows hold distinct, non-missing ids and may have different
        lengths.
    item_vectors : DataFrame of shape (n_items, n_dims)
        One row of numbers per item, indexed by item id: side features (one
        column per genre, say) or embeddings. Every recommended item needs a
        row, none of them all zeros.
    k : int, default=10
        Number of top-ranked items of each list to read.
    average : bool, default=True
        If True, return the mean over users, otherwise the per-user scores.

    Returns
    -------
    score : float or ndarray of shape (n_users,)
        NaN for users whose list has fewer than two items.

    Warns
    -----
    UndefinedMetricWarning
        If some lists have fewer than two items.

    Examples
    --------
    >>> import pandas as pd
    >>> from sklearn_rec.metrics import intra_list_diversity_at_k
    >>> genres = pd.DataFrame(
    ...     {"drama": [1, 1, 0], "comedy": [0, 1, 1]}, index=["a", "b", "c"]
    ... )
    >>> intra_list_diversity_at_k([["a", "c"], ["a", "b"]], genres, average=False)
    array([1.        , 0.29289322])
    """
    lists = _Lists(y_pred, k)
    average = _check_average(average)
    index, vectors = _check_item_vectors(item_vectors)
    rows = index.get_indexer(lists.ids)
    missing = rows < 0
    if missing.any():
        unknown = [_show(i) for i in pd.unique(lists.ids[missing])[:5]]
        raise ValueError(f"item_vectors has no row for recommended item(s) {unknown}.")
    vectors = vectors[rows]
    norms = np.linalg.norm(vectors, axis=1)
    if (norms == 0).any():
        raise ValueError(
            f"item_vectors has an all-zero row for item {_show(lists.ids[norms == 0][0])!r}: its "
            "cosine similarity is undefined."
        )
    # With unit vectors, the sum of the pairwise cosines of a list is
    # (|sum of its vectors|^2 - m) / 2: no m x m similarity matrix.
    sums = np.zeros((lists.n_users, vectors.shape[1]))
    np.add.at(sums, lists.users, vectors / norms[:, None])
    m = lists.lengths.astype(np.float64)
    defined = m >= 2
    scores = np.full(lists.n_users, np.nan)
    scores[defined] = 1.0 - ((sums**2).sum(axis=1) - m)[defined] / (m * (m - 1))[defined]
    return _average(scores, defined, f"ILD@{k}", average, "lists of fewer than 2 items")
