"""Baselines on the same API: popularity, item-kNN and EASE (numpy and scipy, no torch).

Each scores a user by their training history alone: a row ``x_u`` of the
binary user-item matrix of positives. Popularity ignores it; item-kNN and
EASE are *item-item* models, ``scores(u) = x_u W`` with a learned item-item
matrix ``W`` of zero diagonal. The same formula folds a new user in exactly
(``recommend_for_history``) and gives each item's neighbours
(``similar_items``: the scores of a history of that one item).
"""

from __future__ import annotations

from abc import abstractmethod
from numbers import Integral, Real
from typing import TYPE_CHECKING

import numpy as np
from scipy import sparse
from scipy.linalg import lapack
from sklearn.base import BaseEstimator
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.validation import validate_data

from .._base import RecommenderMixin
from .._docs import fill_doc
from .._explain import Explanation
from .._interactions import interaction_matrix, item_popularity, popularity_scores
from .._validation import (
    check_interactions,
    check_target,
    missing_ratings_error,
    threshold_labels,
)

if TYPE_CHECKING:
    from typing_extensions import Self
from .._typing import Interactions, Target

__all__ = ["EASE", "ItemKNN", "PopularityRecommender"]

# Scores held at once while ranking (floats): bounds the memory of recommend,
# score and similar_items whatever the number of users queried.
_SCORE_BUDGET = 2**24


def _top_k(scores, k):
    """Column indices of the ``k`` best scores of each row, best first, and the scores.

    Ties are broken by the lower column, so lists do not depend on the order
    of a partial sort.
    """
    if k < scores.shape[1]:
        part = np.argpartition(-scores, k - 1, axis=1)[:, :k]
    else:
        part = np.broadcast_to(np.arange(scores.shape[1]), scores.shape)
    part_scores = np.take_along_axis(scores, part, axis=1)
    order = np.lexsort((part, -part_scores), axis=1)
    top = np.take_along_axis(part, order, axis=1)
    return top, np.take_along_axis(scores, top, axis=1)


class _HistoryRecommender(RecommenderMixin, BaseEstimator):
    """A recommender whose scores for a user are a function of their history row.

    A subclass implements ``_fit_scores(positives)``, which learns from the
    binary user-item matrix of training positives, and ``_history_scores(H)``,
    the scores of the whole catalogue for each row of a history matrix ``H``.
    """

    _parameter_constraints = {
        "positive_threshold": [Interval(Real, None, None, closed="neither"), None],
        "handle_unknown": [StrOptions({"error", "fallback"})],
    }
    _predicts_ratings = False

    def fit(self, X: Interactions, y: Target = None) -> Self:
        """Fit the model to implicit feedback.

        Parameters
        ----------
        X : array-like or DataFrame of shape (n_samples, n_columns >= 2)
            One interaction per row: user ids in column 0, item ids in column
            1 (any hashable ids), optional further columns. A repeated pair
            counts once.
        y : array-like of shape (n_samples,), default=None
            Optional 0/1 labels, or ratings with ``positive_threshold``;
            ``None`` makes every row a positive. Rows labelled 0 (rated
            below the threshold) are not learned from, but count as seen
            (``seen_``).

        Returns
        -------
        self : object
            The fitted estimator.
        """
        self._validate_params()
        users, items = check_interactions(X)
        if self.positive_threshold is None:
            y = check_target(y, len(users), binary=True)
        elif y is None:
            raise missing_ratings_error(type(self).__name__, self.positive_threshold)
        else:
            y = threshold_labels(y, len(users), self.positive_threshold, check_range=True)
        validate_data(self, X, reset=True, skip_check_array=True)
        self._fit_vocabulary(users, items)
        user_codes = self._user_vocabulary.encode(users)
        item_codes = self._item_vocabulary.encode(items)
        shape = (self.n_users_, self.n_items_)
        self.seen_ = interaction_matrix(user_codes, item_codes, shape)
        self._item_rows = None
        positive = None if y is None else y > 0
        self._positives = (
            self.seen_
            if positive is None or positive.all()
            else interaction_matrix(user_codes[positive], item_codes[positive], shape)
        )
        self._fit_scores(self._positives)
        return self

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.target_tags.required |= self.positive_threshold is not None
        return tags

    @abstractmethod
    def _fit_scores(self, positives):
        """Learn from the binary CSR matrix of training positives (users x items)."""

    @abstractmethod
    def _history_scores(self, histories):
        """Scores of every item (dense, float) for each row of ``histories`` (CSR)."""

    # -- hooks of RecommenderMixin ---------------------------------------------

    def _chunks(self, n_rows):
        step = max(1, _SCORE_BUDGET // max(1, self.n_items_))
        return (slice(start, start + step) for start in range(0, n_rows, step))

    def _score_pairs(self, user_codes, item_codes):
        users, inverse = np.unique(user_codes, return_inverse=True)
        order = np.argsort(inverse, kind="stable")
        bounds = np.searchsorted(inverse[order], np.arange(len(users) + 1))
        scores = np.empty(len(user_codes))
        for block in self._chunks(len(users)):
            rows = self._history_scores(self._positives[users[block]])
            pairs = order[bounds[block.start] : bounds[min(block.stop, len(users))]]
            scores[pairs] = rows[inverse[pairs] - block.start, item_codes[pairs]]
        return scores

    def _ranked(self, histories, seen, candidates, k):
        """Top ``k`` item codes (of ``candidates``) for each history row, ``seen`` masked."""
        scores = self._history_scores(histories).astype(np.float64)
        if seen is not None:
            rows, columns = seen.nonzero()
            scores[rows, columns] = -np.inf
        if candidates is None:
            return _top_k(scores, k)
        top, best = _top_k(scores[:, candidates], k)
        return candidates[top], best

    def _topk_items(self, user_codes, candidates, k, exclude_seen):
        codes = np.empty((len(user_codes), k), dtype=np.int64)
        scores = np.empty((len(user_codes), k))
        for block in self._chunks(len(user_codes)):
            users = user_codes[block]
            seen = self.seen_[users] if exclude_seen else None
            codes[block], scores[block] = self._ranked(self._positives[users], seen, candidates, k)
        return codes, scores

    def _topk_similar(self, item_codes, k):
        codes = np.empty((len(item_codes), k), dtype=np.int64)
        scores = np.empty((len(item_codes), k))
        for block in self._chunks(len(item_codes)):
            one_hot = self._one_hot(item_codes[block])
            codes[block], scores[block] = self._ranked(one_hot, one_hot, None, k)
        return codes, scores

    def _fold_in_topk(self, history_codes, ratings, candidates, k, exclude_seen):
        history = self._one_hot(history_codes).max(axis=0).tocsr()
        codes, scores = self._ranked(history, history if exclude_seen else None, candidates, k)
        return codes[0], scores[0]

    def _one_hot(self, item_codes):
        """One history row per item code: a CSR matrix with a single 1 in each row."""
        rows = np.arange(len(item_codes))
        ones = np.ones(len(item_codes), dtype=np.float32)
        return sparse.csr_matrix((ones, (rows, item_codes)), shape=(len(item_codes), self.n_items_))

    def _fallback_ratings(self, user_codes, item_codes):
        raise NotImplementedError(f"{type(self).__name__} does not predict ratings.")


@fill_doc
class PopularityRecommender(_HistoryRecommender):
    """Recommend the items most users interacted with.

    Scores an item by the number of distinct training users who interacted
    with it, scaled to ``[0, 1]`` by the most popular item; every user gets
    the same list, less the items they have seen. It is the baseline every
    recommender should beat, and the fallback of the other estimators for
    unknown users (``handle_unknown="fallback"``).

    Parameters
    ----------
    {{positive_threshold_baseline}}
    {{handle_unknown_ranking}}

    Attributes
    ----------
    {{users_}}
    {{items_}}
    {{n_users_}}
    popularity_ : ndarray of shape (n_items,)
        Training users with a positive interaction per item, in the order of
        ``items_``.
    seen_ : scipy.sparse.csr_matrix of shape (``n_users_``, ``n_items_``)
        1 where the user interacted with the item in the training data.
    {{n_features_in_}}

    See Also
    --------
    ItemKNN, EASE : Personalised baselines on the same API.

    Notes
    -----
    ``similar_items`` returns the most popular other items for every item:
    the model knows no similarity between items.
    ``explain`` gives one ``"popularity"`` row: the score has no history term.

    Examples
    --------
    >>> from sklearn_rec import PopularityRecommender
    >>> X = [[0, "a"], [1, "a"], [1, "b"], [2, "c"], [2, "a"], [3, "b"]]
    >>> model = PopularityRecommender().fit(X)
    >>> model.popularity_
    array([3., 2., 1.])
    >>> model.recommend([0, 3], n=2)[0]
    array([['b', 'c'],
           ['a', 'c']], dtype=object)
    """

    def __init__(
        self, *, positive_threshold: float | None = None, handle_unknown: str = "error"
    ) -> None:
        self.positive_threshold = positive_threshold
        self.handle_unknown = handle_unknown

    def _fit_scores(self, positives):
        self.popularity_ = item_popularity(positives, None, self.n_items_)

    def _history_scores(self, histories):
        scores = popularity_scores(self.popularity_, np.arange(self.n_items_))
        return np.broadcast_to(scores, (histories.shape[0], self.n_items_)).copy()

    def _explain_pair(self, user_code, item_code):
        score = float(popularity_scores(self.popularity_, np.array([item_code]))[0])
        item = self._item_vocabulary.ids[item_code]
        return Explanation.exact(["popularity"], [item], [score], score)


class _ItemItemRecommender(_HistoryRecommender):
    """``scores(u) = x_u W`` with an item-item matrix ``W`` (``_item_weights``)."""

    def _fit_scores(self, positives):
        self._item_weights = self._fit_item_weights(positives)

    @abstractmethod
    def _fit_item_weights(self, positives):
        """The item-item matrix ``W`` (dense ndarray or CSR), zero on its diagonal."""

    def _history_scores(self, histories):
        scores = histories @ self._item_weights
        return scores.toarray() if sparse.issparse(scores) else scores

    def _explain_pair(self, user_code, item_code):
        # score(u, j) = sum_h x_uh W[h, j]: item h contributes W[h, j], exactly.
        history = self._positives[user_code].indices
        weights = self._item_weights[history, item_code]
        contributions = np.asarray(
            weights.toarray() if sparse.issparse(weights) else weights, dtype=np.float64
        ).ravel()
        score = float(self._score_pairs(np.array([user_code]), np.array([item_code]))[0])
        return Explanation.exact(["history"] * len(history), history, contributions, score)


@fill_doc
class ItemKNN(_ItemItemRecommender):
    """Item-based k-nearest-neighbours on implicit feedback.

    Two items are similar when the same users interacted with both: the
    similarity of items ``i`` and ``j`` is the shrunk cosine of their columns
    in the binary user-item matrix ``X``,

    ``s_ij = |U_i & U_j| / (sqrt(|U_i| |U_j|) + shrinkage)``,

    and each item ``j`` keeps its ``n_neighbors`` most similar items. A user
    ``u`` with history ``I_u`` scores ``j`` by the summed similarity of the
    history items among ``j``'s neighbours, ``sum_{i in I_u & N(j)} s_ij``
    (Sarwar et al. 2001; Deshpande and Karypis 2004).

    Parameters
    ----------
    n_neighbors : int, default=100
        Neighbours kept per item. Fewer give sparser, faster and more
        specific models; more approach the unpruned similarity.
    shrinkage : float, default=10.0
        Added to the denominator of the cosine: it shrinks the similarity of
        items with few users in common, whose cosine is noisy.
    {{positive_threshold_baseline}}
    {{handle_unknown_ranking}}

    Attributes
    ----------
    similarity_ : scipy.sparse.csr_matrix of shape (n_items, n_items)
        ``similarity_[i, j] = s_ij`` for ``i`` among the neighbours of ``j``,
        0 elsewhere (and on the diagonal).
    users_, items_, n_users_, n_items_, seen_, n_features_in_
        As in :class:`PopularityRecommender`.

    See Also
    --------
    EASE : The item-item model learned by regression instead.

    Notes
    -----
    ``fit`` computes the similarities a block of items at a time, so that its
    memory beyond the model is bounded (about ``2**24`` floats) whatever the
    catalogue size; the model holds at most ``n_neighbors * n_items_``
    similarities. ``similar_items`` ranks by ``s_ij``; ``recommend_for_history``
    scores a new user by the same sum as a training user, exactly.
    ``explain`` is exact: history item ``i`` contributes ``s_ij`` to the score
    of ``j``.

    Examples
    --------
    >>> from sklearn_rec import ItemKNN
    >>> from sklearn_rec.utils.estimator_checks import checkerboard
    >>> X, _ = checkerboard()  # user u likes the items of u's parity but u
    >>> knn = ItemKNN().fit(X)
    >>> knn.recommend([3, 4], n=1)[0]
    array([[3],
           [4]])
    """

    _parameter_constraints = {
        **_HistoryRecommender._parameter_constraints,
        "n_neighbors": [Interval(Integral, 1, None, closed="left")],
        "shrinkage": [Interval(Real, 0, None, closed="left")],
    }

    def __init__(
        self,
        n_neighbors: int = 100,
        *,
        shrinkage: float = 10.0,
        positive_threshold: float | None = None,
        handle_unknown: str = "error",
    ) -> None:
        self.n_neighbors = n_neighbors
        self.shrinkage = shrinkage
        self.positive_threshold = positive_threshold
        self.handle_unknown = handle_unknown

    def _fit_item_weights(self, positives):
        by_item = positives.T.tocsr()
        norms = np.sqrt(np.asarray(by_item.sum(axis=1)).ravel())
        n_items = len(norms)
        k = min(self.n_neighbors, n_items - 1)
        targets, neighbours, values = [], [], []
        for block in self._chunks(n_items if k else 0):
            # Column j of the similarity for the items j of this block: its k
            # largest entries are j's neighbours.
            columns = np.arange(n_items)[block]
            common = (by_item[columns] @ by_item.T).toarray()
            similarity = common / (np.outer(norms[columns], norms) + self.shrinkage + 1e-12)
            similarity[np.arange(len(columns)), columns] = 0.0
            top, best = _top_k(similarity, k)
            keep = best > 0
            targets.append(columns[np.nonzero(keep)[0]])
            neighbours.append(top[keep])
            values.append(best[keep])
        coordinates = (np.concatenate(neighbours), np.concatenate(targets)) if targets else ([], [])
        data = np.concatenate(values) if values else []
        self.similarity_ = sparse.csr_matrix(
            (np.asarray(data, dtype=np.float32), coordinates), shape=(n_items, n_items)
        )
        return self.similarity_


@fill_doc
class EASE(_ItemItemRecommender):
    """EASE: a linear item-item model learned in closed form (Steck 2019).

    Learns the item-item matrix ``B`` that best reconstructs the binary
    user-item matrix ``X`` from itself, ``min_B ||X - X B||^2 + l2 ||B||^2``
    under the constraint ``diag(B) = 0`` (an item may not predict itself).
    With ``P = (X^T X + l2 I)^-1`` the solution is ``B = I - P diag(1 / diag(P))``.
    A user ``u`` scores item ``j`` by ``(x_u B)_j``.

    One of the strongest top-n recommenders on MovieLens at a fraction of the
    cost of a neural model (``benchmarks/README.md``), it has one parameter.

    Parameters
    ----------
    l2 : float, default=500.0
        The L2 penalty ``lambda`` on ``B``. Larger values shrink the weights
        toward 0 and favour popular items less; Steck's paper reports
        best values in the hundreds on MovieLens-20M, Netflix and MSD.
    {{positive_threshold_baseline}}
    {{handle_unknown_ranking}}

    Attributes
    ----------
    coef_ : ndarray of shape (n_items, n_items)
        ``B`` (float32), zero on the diagonal.
    users_, items_, n_users_, n_items_, seen_, n_features_in_
        As in :class:`PopularityRecommender`.

    See Also
    --------
    ItemKNN : An item-item model from co-occurrence similarities.

    Notes
    -----
    ``fit`` inverts an ``n_items_ x n_items_`` matrix through a Cholesky
    factorisation in float64: time grows as ``n_items_ ** 3`` and memory as
    ``n_items_ ** 2`` (about 0.8 GB at 10,000 items), so EASE suits
    catalogues up to some tens of thousands of items. ``similar_items`` ranks
    item ``i``'s row of ``B`` (how much an interaction with ``i`` raises each
    item's score); ``recommend_for_history`` scores a new user by
    ``x B``, exactly as a training user.
    ``explain`` is exact: history item ``h`` contributes ``B[h, j]`` to the
    score of ``j``.

    References
    ----------
    H. Steck. Embarrassingly Shallow Autoencoders for Sparse Data. WWW 2019.

    Examples
    --------
    >>> from sklearn_rec import EASE
    >>> from sklearn_rec.utils.estimator_checks import checkerboard
    >>> X, _ = checkerboard()  # user u likes the items of u's parity but u
    >>> ease = EASE(l2=10.0).fit(X)
    >>> ease.recommend([3, 4], n=1)[0]
    array([[3],
           [4]])
    """

    _parameter_constraints = {
        **_HistoryRecommender._parameter_constraints,
        "l2": [Interval(Real, 0, None, closed="neither")],
    }

    def __init__(
        self,
        l2: float = 500.0,
        *,
        positive_threshold: float | None = None,
        handle_unknown: str = "error",
    ) -> None:
        self.l2 = l2
        self.positive_threshold = positive_threshold
        self.handle_unknown = handle_unknown

    def _fit_item_weights(self, positives):
        gram = (positives.T @ positives).toarray().astype(np.float64)
        gram[np.diag_indices_from(gram)] += self.l2
        # l2 > 0 makes the Gram matrix positive definite: Cholesky cannot fail.
        factor, _ = lapack.dpotrf(gram, lower=False, overwrite_a=True)
        inverse, _ = lapack.dpotri(factor, lower=False, overwrite_c=True)
        inverse = np.triu(inverse) + np.triu(inverse, 1).T  # potri fills one triangle
        weights = inverse / -np.diag(inverse)
        np.fill_diagonal(weights, 0.0)
        self.coef_ = weights.astype(np.float32)
        return self.coef_
