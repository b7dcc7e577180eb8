"""Top-k ranking metrics for recommendation lists with binary relevance.

Every metric takes the same inputs:

- ``y_true``, one iterable of relevant item ids per user;
- ``y_pred``, one ranked recommendation list per user, best first, either as
  a 2-D array-like or as a sequence of 1-D sequences of different lengths.

Each metric is first computed per user from a boolean hit matrix whose entry
``(u, i)`` says whether the ``i``-th recommended item of user ``u`` is
relevant, then averaged over the users that have at least one relevant item.
"""

import warnings
from collections.abc import Iterable, Set, Sized
from typing import Any

import numpy as np
import pandas as pd
from sklearn.exceptions import UndefinedMetricWarning

from .._typing import Array
from .._validation import check_positive_int

__all__ = [
    "hit_rate_at_k",
    "map_at_k",
    "mrr_at_k",
    "ndcg_at_k",
    "precision_at_k",
    "recall_at_k",
]


def _check_average(average):
    if not isinstance(average, bool | np.bool_):
        raise TypeError(
            f"average must be a bool, got {average!r} of type {type(average).__name__}."
        )
    return bool(average)


def _as_id_array(row, name, index, *, ordered):
    """Convert one user's ids to a 1-D ndarray."""
    if isinstance(row, str | bytes) or not isinstance(row, Iterable):
        raise ValueError(
            f"Each entry of {name} must be a 1-D sequence of item ids; entry {index} is {row!r}."
        )
    if isinstance(row, Set):
        if ordered:
            raise ValueError(
                f"Each entry of {name} must be an ordered 1-D sequence of item "
                f"ids, best first; entry {index} is a {type(row).__name__}."
            )
        row = list(row)
    elif not isinstance(row, Sized):
        row = list(row)
    if isinstance(row, np.ndarray):
        ids = row
    else:
        ids = np.asarray(row)
        if ids.dtype.kind in "US":
            # NumPy turns [1, "1"] into two equal strings; objects keep ids
            # of different types distinct.
            ids = np.asarray(row, dtype=object)
    if ids.ndim != 1:
        raise ValueError(
            f"Each entry of {name} must be a 1-D sequence of item ids; entry "
            f"{index} has {ids.ndim} dimension(s) (shape {ids.shape})."
        )
    return ids


def _as_rows(y, name, *, ordered):
    """Return ``y`` as a 2-D ndarray, or as a list of 1-D ndarrays if ragged."""
    if hasattr(y, "__array__"):  # ndarray, DataFrame, Series
        array = np.asarray(y)
        if array.ndim == 2:
            rows = array
        elif array.ndim == 1 and array.dtype == object:
            rows = list(array)
        else:
            raise ValueError(
                f"{name} must be a 2-D array-like of shape (n_users, n_items) or "
                f"a sequence of n_users 1-D sequences, got an array of shape "
                f"{array.shape} and dtype {array.dtype}."
            )
    elif isinstance(y, str | bytes) or not isinstance(y, Iterable):
        raise ValueError(
            f"{name} must be a 2-D array-like of shape (n_users, n_items) or a "
            f"sequence of n_users 1-D sequences, got {y!r}."
        )
    else:
        rows = list(y)
    if len(rows) == 0:
        raise ValueError(f"{name} is empty (0 users); expected at least one user.")
    if isinstance(rows, list):
        rows = [_as_id_array(row, name, index, ordered=ordered) for index, row in enumerate(rows)]
    return rows


def _concat_ids(arrays):
    """Concatenate 1-D id arrays without changing which ids compare equal."""
    arrays = [array for array in arrays if array.size] or [np.empty(0, dtype=object)]
    if len({array.dtype.kind for array in arrays}) > 1:
        # Mixing e.g. ints and strings would make NumPy coerce 1 to "1".
        arrays = [array.astype(object) for array in arrays]
    return np.concatenate(arrays)


def _flatten(rows, width=None):
    """Flatten the first ``width`` ids of every row.

    Returns the ids, and the user index and 0-based position of each id.
    """
    if isinstance(rows, np.ndarray):
        n_users, n_cols = rows.shape
        width = n_cols if width is None else min(width, n_cols)
        ids = rows[:, :width].ravel()
        users = np.repeat(np.arange(n_users), width)
        positions = np.tile(np.arange(width), n_users)
        return ids, users, positions
    rows = [row[:width] for row in rows]
    lengths = np.array([len(row) for row in rows], dtype=np.int64)
    starts = np.cumsum(lengths) - lengths
    users = np.repeat(np.arange(len(rows)), lengths)
    positions = np.arange(lengths.sum()) - np.repeat(starts, lengths)
    return _concat_ids(rows), users, positions


def _hit_matrix(y_true, y_pred, k):
    """Compute the boolean hit matrix and the number of relevant items per user.

    Returns
    -------
    hits : ndarray of shape (n_users, min(k, n_ranked)), dtype bool
        ``hits[u, i]`` is True if the ``i``-th (0-based) recommended item of
        user ``u`` is relevant and not a repeat of an earlier item of the
        same row. ``n_ranked`` is the length of the longest row of ``y_pred``;
        positions beyond it can never be hits, so they are not stored.
    n_relevant : ndarray of shape (n_users,), dtype int64
        The number of distinct relevant items of each user.
    """
    true_rows = _as_rows(y_true, "y_true", ordered=False)
    pred_rows = _as_rows(y_pred, "y_pred", ordered=True)
    if len(true_rows) != len(pred_rows):
        raise ValueError(
            f"y_true and y_pred must have the same number of users, got "
            f"len(y_true)={len(true_rows)} and len(y_pred)={len(pred_rows)}."
        )
    n_users = len(true_rows)
    true_ids, true_users, _ = _flatten(true_rows)
    pred_ids, pred_users, pred_positions = _flatten(pred_rows, k)
    width = int(pred_positions.max(initial=-1)) + 1

    # A single factorization gives ids a shared integer code, so that
    # (user, item) pairs become int64 keys; missing ids (None, NaN) get -1.
    codes, uniques = pd.factorize(_concat_ids([true_ids, pred_ids]))
    n_codes = max(len(uniques), 1)
    true_codes, pred_codes = codes[: len(true_ids)], codes[len(true_ids) :]
    known = true_codes >= 0
    true_keys = pd.unique(true_users[known] * n_codes + true_codes[known])
    pred_keys = np.where(pred_codes >= 0, pred_users * n_codes + pred_codes, -1)

    # np.unique reports the first index of each key and rows are laid out in
    # rank order, so a repeated recommendation only counts at its first rank.
    _, first = np.unique(pred_keys, return_index=True)
    is_hit = np.zeros(len(pred_keys), dtype=bool)
    is_hit[first] = True
    is_hit &= pd.Series(pred_keys).isin(true_keys).to_numpy()

    hits = np.zeros((n_users, width), dtype=bool)
    hits[pred_users[is_hit], pred_positions[is_hit]] = True
    n_relevant = np.bincount(true_keys // n_codes, minlength=n_users)
    return hits, n_relevant


def _score(y_true, y_pred, k, average, metric, name):
    """Apply ``metric(hits, n_relevant, k)`` to users with relevant items.

    Users without relevant items get NaN and are left out of the average.
    """
    k = check_positive_int(k, "k")
    average = _check_average(average)
    hits, n_relevant = _hit_matrix(y_true, y_pred, k)
    defined = n_relevant > 0
    scores = np.full(len(n_relevant), np.nan)
    n_undefined = int(np.count_nonzero(~defined))
    if n_undefined < len(scores):
        scores[defined] = metric(hits[defined], n_relevant[defined], k)
    if n_undefined:
        warnings.warn(
            f"{name}@{k} is undefined for users without relevant items in y_true; "
            f"{n_undefined} of {len(n_relevant)} users have none and are "
            f"{'excluded from the average' if average else 'set to NaN'}.",
            UndefinedMetricWarning,
            stacklevel=3,
        )
    if not average:
        return scores
    return float(scores[defined].mean()) if n_undefined < len(scores) else np.nan


def _discounts(n):
    return 1.0 / np.log2(np.arange(2, n + 2))


def _ndcg(hits, n_relevant, k):
    dcg = hits @ _discounts(hits.shape[1])
    n_ideal = np.minimum(n_relevant, k)
    ideal_dcg = np.cumsum(_discounts(n_ideal.max()))[n_ideal - 1]
    return dcg / ideal_dcg


def _precision(hits, n_relevant, k):
    return hits.sum(axis=1) / k


def _recall(hits, n_relevant, k):
    return hits.sum(axis=1) / n_relevant


def _average_precision(hits, n_relevant, k):
    precision_at_i = np.cumsum(hits, axis=1) / np.arange(1, hits.shape[1] + 1)
    return (hits * precision_at_i).sum(axis=1) / np.minimum(n_relevant, k)


def _reciprocal_rank(hits, n_relevant, k):
    # 1 / rank decreases with the rank, so its maximum over hits is taken at
    # the first hit.
    return (hits / np.arange(1, hits.shape[1] + 1)).max(axis=1, initial=0.0)


def _hit_rate(hits, n_relevant, k):
    return hits.any(axis=1).astype(np.float64)


def ndcg_at_k(y_true: Any, y_pred: Any, *, k: int = 10, average: bool = True) -> float | Array:
    r"""Normalized discounted cumulative gain at rank k, binary relevance.

    With :math:`h_{u,i} = 1` if the :math:`i`-th recommended item of user
    :math:`u` is relevant (0 otherwise) and :math:`R_u` the number of distinct
    relevant items of :math:`u`:

    .. math::

        \mathrm{NDCG@k}(u) = \frac{\sum_{i=1}^{k} h_{u,i} / \log_2(i + 1)}
        {\sum_{i=1}^{\min(R_u, k)} 1 / \log_2(i + 1)}

    The score is the mean of :math:`\mathrm{NDCG@k}(u)` over the users with
    :math:`R_u \geq 1`.

    Parameters
    ----------
    y_true : sequence of length n_users
        Entry ``u`` is an iterable (list, set, tuple, 1-D ndarray, Series) of
        the relevant item ids of user ``u``. Ids are hashable values such as
        ints or strings; None and NaN are ignored.
    y_pred : array-like of shape (n_users, n_ranked) or sequence of 1-D sequences
        Ranked recommendations of each user, best first. Rows may have
        different lengths. Only the first ``k`` entries of a row count; a
        repeated id counts only at its first rank; None and NaN never count as
        hits.
    k : int, default=10
        Number of top-ranked items to evaluate.
    average : bool, default=True
        If True, return the mean over users with at least one relevant item,
        otherwise the per-user scores.

    Returns
    -------
    score : float or ndarray of shape (n_users,)
        The average NDCG@k, or NaN if no user has a relevant item. If
        ``average=False``, the float64 per-user scores, NaN for users without
        relevant items.

    Warns
    -----
    UndefinedMetricWarning
        If some users have no relevant items.

    Examples
    --------
    >>> from sklearn_rec.metrics import ndcg_at_k
    >>> y_true = [[1, 3], ["b"]]
    >>> y_pred = [[3, 2, 1], ["a", "c"]]
    >>> ndcg_at_k(y_true, y_pred, k=2, average=False)
    array([0.61314719, 0.        ])
    >>> round(ndcg_at_k(y_true, y_pred, k=2), 4)
    0.3066
    """
    return _score(y_true, y_pred, k, average, _ndcg, "NDCG")


def precision_at_k(y_true: Any, y_pred: Any, *, k: int = 10, average: bool = True) -> float | Array:
    r"""Precision at rank k: the fraction of the top k recommendations that hit.

    With :math:`h_{u,i} = 1` if the :math:`i`-th recommended item of user
    :math:`u` is relevant (0 otherwise):

    .. math::

        \mathrm{P@k}(u) = \frac{1}{k} \sum_{i=1}^{k} h_{u,i}

    The denominator is always ``k``, also for rows shorter than ``k``. The
    score is the mean of :math:`\mathrm{P@k}(u)` over the users with at least
    one relevant item.

    Parameters
    ----------
    y_true : sequence of length n_users
        Entry ``u`` is an iterable (list, set, tuple, 1-D ndarray, Series) of
        the relevant item ids of user ``u``. Ids are hashable values such as
        ints or strings; None and NaN are ignored.
    y_pred : array-like of shape (n_users, n_ranked) or sequence of 1-D sequences
        Ranked recommendations of each user, best first. Rows may have
        different lengths. Only the first ``k`` entries of a row count; a
        repeated id counts only at its first rank; None and NaN never count as
        hits.
    k : int, default=10
        Number of top-ranked items to evaluate.
    average : bool, default=True
        If True, return the mean over users with at least one relevant item,
        otherwise the per-user scores.

    Returns
    -------
    score : float or ndarray of shape (n_users,)
        The average precision@k, or NaN if no user has a relevant item. If
        ``average=False``, the float64 per-user scores, NaN for users without
        relevant items.

    Warns
    -----
    UndefinedMetricWarning
        If some users have no relevant items.

    Examples
    --------
    >>> from sklearn_rec.metrics import precision_at_k
    >>> y_true = [[1, 3], ["b"]]
    >>> y_pred = [[3, 2, 1], ["b"]]
    >>> precision_at_k(y_true, y_pred, k=2, average=False)
    array([0.5, 0.5])
    >>> precision_at_k(y_true, y_pred, k=3)
    0.5
    """
    return _score(y_true, y_pred, k, average, _precision, "Precision")


def recall_at_k(y_true: Any, y_pred: Any, *, k: int = 10, average: bool = True) -> float | Array:
    r"""Recall at rank k: the fraction of relevant items in the top k.

    With :math:`h_{u,i} = 1` if the :math:`i`-th recommended item of user
    :math:`u` is relevant (0 otherwise) and :math:`R_u` the number of distinct
    relevant items of :math:`u`:

    .. math::

        \mathrm{R@k}(u) = \frac{1}{R_u} \sum_{i=1}^{k} h_{u,i}

    The score is the mean of :math:`\mathrm{R@k}(u)` over the users with
    :math:`R_u \geq 1`.

    Parameters
    ----------
    y_true : sequence of length n_users
        Entry ``u`` is an iterable (list, set, tuple, 1-D ndarray, Series) of
        the relevant item ids of user ``u``. Ids are hashable values such as
        ints or strings; None and NaN are ignored.
    y_pred : array-like of shape (n_users, n_ranked) or sequence of 1-D sequences
        Ranked recommendations of each user, best first. Rows may have
        different lengths. Only the first ``k`` entries of a row count; a
        repeated id counts only at its first rank; None and NaN never count as
        hits.
    k : int, default=10
        Number of top-ranked items to evaluate.
    average : bool, default=True
        If True, return the mean over users with at least one relevant item,
        otherwise the per-user scores.

    Returns
    -------
    score : float or ndarray of shape (n_users,)
        The average recall@k, or NaN if no user has a relevant item. If
        ``average=False``, the float64 per-user scores, NaN for users without
        relevant items.

    Warns
    -----
    UndefinedMetricWarning
        If some users have no relevant items.

    Examples
    --------
    >>> from sklearn_rec.metrics import recall_at_k
    >>> y_true = [[1, 3], ["b"]]
    >>> y_pred = [[3, 2, 1], ["a", "c"]]
    >>> recall_at_k(y_true, y_pred, k=2, average=False)
    array([0.5, 0. ])
    >>> recall_at_k(y_true, y_pred, k=3)
    0.5
    """
    return _score(y_true, y_pred, k, average, _recall, "Recall")


def map_at_k(y_true: Any, y_pred: Any, *, k: int = 10, average: bool = True) -> float | Array:
    r"""Mean average precision at rank k.

    With :math:`h_{u,i} = 1` if the :math:`i`-th recommended item of user
    :math:`u` is relevant (0 otherwise), :math:`R_u` the number of distinct
    relevant items of :math:`u` and :math:`\mathrm{P@i}(u)` the precision at
    rank :math:`i`:

    .. math::

        \mathrm{AP@k}(u) = \frac{1}{\min(R_u, k)}
        \sum_{i=1}^{k} h_{u,i} \, \mathrm{P@i}(u)

    The score is the mean of :math:`\mathrm{AP@k}(u)` over the users with
    :math:`R_u \geq 1`.

    Parameters
    ----------
    y_true : sequence of length n_users
        Entry ``u`` is an iterable (list, set, tuple, 1-D ndarray, Series) of
        the relevant item ids of user ``u``. Ids are hashable values such as
        ints or strings; None and NaN are ignored.
    y_pred : array-like of shape (n_users, n_ranked) or sequence of 1-D sequences
        Ranked recommendations of each user, best first. Rows may have
        different lengths. Only the first ``k`` entries of a row count; a
        repeated id counts only at its first rank; None and NaN never count as
        hits.
    k : int, default=10
        Number of top-ranked items to evaluate.
    average : bool, default=True
        If True, return the mean over users with at least one relevant item,
        otherwise the per-user scores.

    Returns
    -------
    score : float or ndarray of shape (n_users,)
        The MAP@k, or NaN if no user has a relevant item. If
        ``average=False``, the float64 per-user AP@k, NaN for users without
        relevant items.

    Warns
    -----
    UndefinedMetricWarning
        If some users have no relevant items.

    Examples
    --------
    >>> from sklearn_rec.metrics import map_at_k
    >>> y_true = [[1, 3], ["b"]]
    >>> y_pred = [[3, 2, 1], ["a", "b"]]
    >>> map_at_k(y_true, y_pred, k=3, average=False)
    array([0.83333333, 0.5       ])
    >>> round(map_at_k(y_true, y_pred, k=3), 4)
    0.6667
    """
    return _score(y_true, y_pred, k, average, _average_precision, "MAP")


def mrr_at_k(y_true: Any, y_pred: Any, *, k: int = 10, average: bool = True) -> float | Array:
    r"""Mean reciprocal rank at rank k.

    With :math:`r_u` the rank (1-based) of the first relevant item in the
    recommendations of user :math:`u`:

    .. math::

        \mathrm{RR@k}(u) = \begin{cases} 1 / r_u & \text{if } r_u \leq k \\
        0 & \text{otherwise} \end{cases}

    The score is the mean of :math:`\mathrm{RR@k}(u)` over the users with at
    least one relevant item.

    Parameters
    ----------
    y_true : sequence of length n_users
        Entry ``u`` is an iterable (list, set, tuple, 1-D ndarray, Series) of
        the relevant item ids of user ``u``. Ids are hashable values such as
        ints or strings; None and NaN are ignored.
    y_pred : array-like of shape (n_users, n_ranked) or sequence of 1-D sequences
        Ranked recommendations of each user, best first. Rows may have
        different lengths. Only the first ``k`` entries of a row count; a
        repeated id counts only at its first rank; None and NaN never count as
        hits.
    k : int, default=10
        Number of top-ranked items to evaluate.
    average : bool, default=True
        If True, return the mean over users with at least one relevant item,
        otherwise the per-user scores.

    Returns
    -------
    score : float or ndarray of shape (n_users,)
        The MRR@k, or NaN if no user has a relevant item. If
        ``average=False``, the float64 per-user reciprocal ranks, NaN for users
        without relevant items.

    Warns
    -----
    UndefinedMetricWarning
        If some users have no relevant items.

    Examples
    --------
    >>> from sklearn_rec.metrics import mrr_at_k
    >>> y_true = [[1, 3], ["b"]]
    >>> y_pred = [[2, 3, 1], ["a", "c", "b"]]
    >>> mrr_at_k(y_true, y_pred, k=2, average=False)
    array([0.5, 0. ])
    >>> mrr_at_k(y_true, y_pred, k=2)
    0.25
    """
    return _score(y_true, y_pred, k, average, _reciprocal_rank, "MRR")


def hit_rate_at_k(y_true: Any, y_pred: Any, *, k: int = 10, average: bool = True) -> float | Array:
    r"""Hit rate at rank k: whether any of the top k recommendations hits.

    With :math:`h_{u,i} = 1` if the :math:`i`-th recommended item of user
    :math:`u` is relevant (0 otherwise):

    .. math::

        \mathrm{HR@k}(u) = \max_{i \leq k} h_{u,i}

    The score is the mean of :math:`\mathrm{HR@k}(u)` over the users with at
    least one relevant item, i.e. the fraction of those users with a hit.

    Parameters
    ----------
    y_true : sequence of length n_users
        Entry ``u`` is an iterable (list, set, tuple, 1-D ndarray, Series) of
        the relevant item ids of user ``u``. Ids are hashable values such as
        ints or strings; None and NaN are ignored.
    y_pred : array-like of shape (n_users, n_ranked) or sequence of 1-D sequences
        Ranked recommendations of each user, best first. Rows may have
        different lengths. Only the first ``k`` entries of a row count; a
        repeated id counts only at its first rank; None and NaN never count as
        hits.
    k : int, default=10
        Number of top-ranked items to evaluate.
    average : bool, default=True
        If True, return the mean over users with at least one relevant item,
        otherwise the per-user scores.

    Returns
    -------
    score : float or ndarray of shape (n_users,)
        The hit rate@k, or NaN if no user has a relevant item. If
        ``average=False``, the float64 per-user indicators (0.0 or 1.0), NaN
        for users without relevant items.

    Warns
    -----
    UndefinedMetricWarning
        If some users have no relevant items.

    Examples
    --------
    >>> from sklearn_rec.metrics import hit_rate_at_k
    >>> y_true = [[1, 3], ["b"]]
    >>> y_pred = [[2, 3, 1], ["a", "c", "b"]]
    >>> hit_rate_at_k(y_true, y_pred, k=2, average=False)
    array([1., 0.])
    >>> hit_rate_at_k(y_true, y_pred, k=3)
    1.0
    """
    return _score(y_true, y_pred, k, average, _hit_rate, "Hit rate")
