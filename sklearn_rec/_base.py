"""RecommenderMixin: the public query API every recommender shares, torch-free.

The query API (``predict``, ``score_items``, ``recommend``,
``recommend_for_history``, ``similar_items``, ``score``), the unknown-id
policy and the scikit-learn tags live here; the id vocabularies are
:class:`~sklearn_rec._vocabulary.Vocabulary` objects and the seen pairs and
popularity come from :mod:`sklearn_rec._interactions`. A concrete estimator
implements the abstract hooks of :class:`RecommenderMixin`, which work on
codes, never on raw ids.
"""

from abc import ABC, abstractmethod
from typing import Any

import numpy as np
import pandas as pd
from sklearn.utils import ClassifierTags
from sklearn.utils._param_validation import StrOptions, validate_parameter_constraints
from sklearn.utils.validation import check_is_fitted

from ._explain import explanation_frame, fallback_explanation
from ._features import (
    FeatureEncoder,
    TransformedFeatures,
    check_feature_table,
    check_table_index,
)
from ._interactions import item_popularity, most_popular, popularity_scores
from ._typing import Array, Ids, Interactions, Target, TopN
from ._validation import check_candidates, check_ids, check_positive_int, check_query_rows
from ._vocabulary import UNKNOWN, Vocabulary, check_id_column
from .metrics._scorer import make_ranking_scorer

_FALLBACK_HINT = "Set handle_unknown='fallback' to score them with the documented fallback."
_HANDLE_UNKNOWN = {"handle_unknown": [StrOptions({"error", "fallback"})]}


def _unknown_error(name, ids, codes, hint, where="not seen during fit"):
    missing = np.unique(ids[codes == UNKNOWN])
    shown = ", ".join(map(repr, missing[:10].tolist()))
    more = f" and {len(missing) - 10} more" if len(missing) > 10 else ""
    return ValueError(f"Found {len(missing)} unknown {name} id(s) {where}: [{shown}]{more}. {hint}")


def _encoded(encoder):
    return encoder.vocabulary, encoder


def _given_vocabulary(given, param, name, ids):
    """The vocabulary of the ids listed in parameter ``param``; ``ids`` must be in it."""
    values = np.asarray(given, dtype=object) if isinstance(given, list | tuple) else given
    if np.ndim(values) != 1 or len(values) == 0:
        raise ValueError(
            f"{param} must be None or a non-empty 1-D array-like of {name} ids, got "
            f"{type(given).__name__} of shape {np.shape(values)}."
        )
    try:
        values = check_id_column(values, name)
    except (TypeError, ValueError) as error:
        raise type(error)(f"Invalid {param}: {error}") from error
    vocabulary = Vocabulary.from_ids(values)
    codes = vocabulary.encode(ids)
    if (codes == UNKNOWN).any():
        raise _unknown_error(
            name,
            ids,
            codes,
            f"{param} fixes the {name}s: list every {name} id there, or set {param}=None.",
            where=f"not in {param}",
        )
    return vocabulary


class RecommenderMixin(ABC):
    """Mixin for recommenders over ``(user, item)`` interactions.

    A subclass implements the abstract hooks below, and its ``fit`` calls
    ``_fit_vocabulary`` and sets ``seen_`` (a binary CSR matrix of the
    training pairs, or ``None`` with ``_item_rows``, the training rows per
    item). It has the parameter ``handle_unknown``, and may have
    ``user_ids``, ``item_ids``, ``user_features`` and ``item_features``.
    """

    # -- hooks of a concrete estimator (codes in, codes out) ---------------------

    @property
    @abstractmethod
    def _predicts_ratings(self):
        """Whether ``predict`` returns ratings; the fallback is then ``_fallback_ratings``."""

    @abstractmethod
    def _score_pairs(self, user_codes, item_codes):
        """Scores of known ``(user, item)`` code pairs, on the scale of ``predict``."""

    @abstractmethod
    def _topk_items(self, user_codes, candidates, k, exclude_seen):
        """The ``k`` best item codes of ``candidates`` (``None``: all) per user, and scores."""

    @abstractmethod
    def _topk_similar(self, item_codes, k):
        """The ``k`` item codes most similar to each item (itself left out), and scores."""

    @abstractmethod
    def _fold_in_topk(self, history_codes, ratings, candidates, k, exclude_seen):
        """The ``k`` best item codes for a new user with this history, and scores."""

    @abstractmethod
    def _fallback_ratings(self, user_codes, item_codes):
        """Ratings of rows with an unknown user or item (when ``_predicts_ratings``)."""

    @abstractmethod
    def _explain_pair(self, user_code, item_code):
        """The contributions to the score of a known pair (a ``_explain.Explanation``)."""

    # -- validation and vocabularies -------------------------------------------

    def _validate_X(self, X):
        """Check query rows ``X`` against ``fit``; return the id columns."""
        return check_query_rows(self, X)

    def _fit_vocabulary(self, users, items):
        """Build the vocabularies: the ids of ``X`` (or ``user_ids`` / ``item_ids``), then
        those known from features.

        Codes ``0 .. n_users_ - 1`` are the users of ``X`` (``users_``);
        codes from ``n_users_`` on the users found only in ``user_features``
        (``cold_users_``), which have features and no id embedding. Items
        alike.
        """
        params = self.get_params(deep=False)
        self._user_vocabulary, self._user_encoder = self._entity_vocabulary(
            "user",
            users,
            params.get("user_ids"),
            params.get("user_features"),
            params.get("user_encoder"),
        )
        self._item_vocabulary, self._item_encoder = self._entity_vocabulary(
            "item",
            items,
            params.get("item_ids"),
            params.get("item_features"),
            params.get("item_encoder"),
        )
        self.users_ = self._user_vocabulary.fitted_ids
        self.n_users_ = self._user_vocabulary.n_fitted
        self.cold_users_ = self._user_vocabulary.extra_ids
        self.items_ = self._item_vocabulary.fitted_ids
        self.n_items_ = self._item_vocabulary.n_fitted
        self.cold_items_ = self._item_vocabulary.extra_ids
        if "item_encoder" in params:  # the fitted clones of the estimator's encoders
            self.user_encoder_, self.item_encoder_ = (
                getattr(encoder, "transformer", None)
                for encoder in (self._user_encoder, self._item_encoder)
            )

    @staticmethod
    def _entity_vocabulary(entity, ids, given, features, transformer=None):
        """The vocabulary of users (or items) and the encoder of their feature table."""
        fitted = (
            Vocabulary.from_ids(ids)
            if given is None
            else _given_vocabulary(given, f"{entity}_ids", entity, ids)
        )
        name, param = f"{entity}_features", f"{entity}_encoder"
        if transformer is None:
            table = check_feature_table(features, name)
            return (
                (fitted, None) if table is None else _encoded(FeatureEncoder(table, name, fitted))
            )
        if not isinstance(features, pd.DataFrame):
            raise TypeError(
                f"{param} encodes {name}, which must then be a pandas DataFrame indexed by "
                f"{entity} id; got {type(features).__name__}."
            )
        check_table_index(features, name)
        return _encoded(TransformedFeatures(features, name, fitted, transformer, param))

    def _n_catalogue(self):
        """Items that can be recommended: those of ``X``, then those known from features."""
        return len(self._item_vocabulary)

    def _check_known(self, name, ids, codes, *, always=None):
        """Raise for unknown ids unless ``handle_unknown="fallback"``.

        ``always`` is the reason for raising whatever the policy, where no
        fallback applies; it ends the error message.
        """
        # Read at query time, after any set_params: checked here, not in fit only.
        validate_parameter_constraints(
            _HANDLE_UNKNOWN,
            {"handle_unknown": self.handle_unknown},
            caller_name=type(self).__name__,
        )
        if (always or self.handle_unknown == "error") and (codes == UNKNOWN).any():
            raise _unknown_error(name, ids, codes, always or _FALLBACK_HINT)

    def _score_ids(self, users, items):
        """Scores of raw ``(user, item)`` pairs under the unknown-id policy."""
        user_codes, item_codes = (
            self._user_vocabulary.encode(users),
            self._item_vocabulary.encode(items),
        )
        self._check_known("user", users, user_codes)
        self._check_known("item", items, item_codes)
        known = (user_codes != UNKNOWN) & (item_codes != UNKNOWN)
        if known.all():  # the common case: no masked copies
            return self._score_pairs(user_codes, item_codes).astype(np.float64)
        scores = np.empty(len(users))
        if known.any():
            scores[known] = self._score_pairs(user_codes[known], item_codes[known])
        scores[~known] = self._fallback_scores(user_codes[~known], item_codes[~known])
        return scores

    def _item_popularity(self):
        """Training users per item (rows, with ``store_seen=False``); 0 for items from features."""
        return item_popularity(self.seen_, self._item_rows, self._n_catalogue())

    def _check_seen_stored(self, what):
        """Raise if ``what`` needs the seen pairs and the model did not store them."""
        if self.seen_ is None:
            raise ValueError(
                f"{what} needs the (user, item) pairs seen in training, which this model did "
                "not store (store_seen=False). Pass exclude_seen=False (and exclude_items= to "
                "leave items out of every list), score with make_ranking_scorer(..., "
                "exclude_seen=False), or fit with store_seen=True."
            )

    def _fallback_scores(self, user_codes, item_codes):
        """Scores for rows with an unknown user or item.

        Ratings (``loss="mse"``) fall back to the rating baseline of the
        estimator; ranking losses to item popularity, scaled to ``[0, 1]``
        (``0`` for unknown items).
        """
        if self._predicts_ratings:
            return self._fallback_ratings(user_codes, item_codes)
        popularity = self._item_popularity()
        scores = np.zeros(len(item_codes))
        known = item_codes != UNKNOWN
        scores[known] = popularity_scores(popularity, item_codes[known])
        return scores

    # -- query API --------------------------------------------------------------

    def predict(self, X: Interactions) -> Array:
        """Score each ``(user, item)`` row of ``X``.

        Ratings for ``loss="mse"``, the probability of an interaction for
        ``"bce"``, and a ranking score for ``"bpr"``. Rows with an unknown
        user or item raise with ``handle_unknown="error"``; with
        ``"fallback"`` they get the documented fallback score.

        Parameters
        ----------
        X : array-like or DataFrame of shape (n_samples, n_columns)
            The columns seen in ``fit``: user ids first, item ids second.

        Returns
        -------
        y_pred : ndarray of shape (n_samples,)
        """
        check_is_fitted(self)
        return self._score_ids(*self._validate_X(X))

    def score_items(self, users: Ids, items: Any) -> Array:
        """Score given candidate items for each user.

        Parameters
        ----------
        users : array-like of shape (n_queries,)
            Raw user ids.
        items : array-like of shape (n_queries, n_candidates)
            Row ``j`` holds the raw item ids to score for ``users[j]``.

        Returns
        -------
        scores : ndarray of shape (n_queries, n_candidates)
            On the scale of :meth:`predict`, under the same unknown-id policy.
        """
        check_is_fitted(self)
        users, flat_items, shape = check_candidates(users, items)
        return self._score_ids(np.repeat(users, shape[1]), flat_items).reshape(shape)

    def recommend(
        self,
        users: Ids,
        n: int = 10,
        *,
        exclude_seen: bool = True,
        items: Ids | None = None,
        exclude_items: Ids | None = None,
        return_fallback: bool = False,
    ) -> TopN:
        """Recommend the top ``n`` items for each user.

        Parameters
        ----------
        users : array-like of shape (n_queries,) or scalar
            Raw user ids. Unknown users raise with ``handle_unknown="error"``
            and get the most popular items with ``handle_unknown="fallback"``.
        n : int, default=10
            The length of each list.
        exclude_seen : bool, default=True
            Leave out the items each user interacted with during ``fit``
            (``seen_``). A model fitted with ``store_seen=False`` has no
            ``seen_`` and raises a ``ValueError``: pass ``False``.
        items : array-like of shape (n_candidates,), default=None
            Rank only these raw item ids (all must be known); default: the
            whole catalogue.
        exclude_items : array-like, default=None
            Raw item ids never to recommend to anyone; unknown ids are ignored.
        return_fallback : bool, default=False
            Also return which rows are the fallback's.

        Returns
        -------
        item_ids : ndarray of shape (n_queries, min(n, n_candidates))
            Raw item ids, best first.
        scores : ndarray of shape (n_queries, min(n, n_candidates))
            Their scores, on the scale of :meth:`predict`. A user with fewer
            eligible items than the row length gets ``-inf`` scores at the end
            of the row; the ids there are not recommendations.
        fallback : ndarray of shape (n_queries,) of bool
            Only with ``return_fallback=True``: ``True`` for the rows of
            unknown users (``handle_unknown="fallback"``), which hold the
            most popular items with their popularity scaled to ``[0, 1]``,
            not the model's scores: do not compare them with the other rows.
        """
        check_is_fitted(self)
        users = check_ids(users, "users")
        n = check_positive_int(n, "n")
        for name, flag in (("exclude_seen", exclude_seen), ("return_fallback", return_fallback)):
            if not isinstance(flag, bool):
                raise TypeError(f"{name} must be a bool, got {flag!r}.")
        if exclude_seen:
            self._check_seen_stored("exclude_seen=True")
        user_codes = self._user_vocabulary.encode(users)
        self._check_known("user", users, user_codes)
        candidates = self._candidate_codes(items, exclude_items)
        width = min(n, self._n_catalogue() if candidates is None else len(candidates))

        codes = np.zeros((len(users), width), dtype=np.int64)
        scores = np.full((len(users), width), -np.inf)
        known = user_codes != UNKNOWN
        if known.any() and width:
            codes[known], scores[known] = self._topk_items(
                user_codes[known], candidates, width, exclude_seen
            )
        if not known.all() and width:
            codes[~known], scores[~known] = self._popular_items(candidates, width)
        if return_fallback:
            return self._item_vocabulary.ids[codes], scores, ~known
        return self._item_vocabulary.ids[codes], scores

    def recommend_for_history(
        self,
        history: Ids,
        n: int = 10,
        *,
        ratings: Target = None,
        exclude_seen: bool = True,
        items: Ids | None = None,
        exclude_items: Ids | None = None,
    ) -> TopN:
        """Recommend for a new user described only by the items they interacted with.

        The user is *folded in*: everything the model learned stays fixed,
        and a user representation is fitted to ``history`` alone by
        minimising the training loss of ``fit`` for that one user, plus a
        penalty (``fold_in_shrinkage`` where the estimator has it). The
        model is not changed and nothing is refitted, so answering costs
        about one pass over the catalogue per optimisation step. The
        objective for each loss is given in the estimator's Notes.

        Parameters
        ----------
        history : array-like of shape (n_interactions,)
            Raw ids of the items the user interacted with, all known from
            ``fit`` (from ``X`` or from ``item_features``): an unknown one
            raises a ``ValueError`` naming it, whatever ``handle_unknown``
            says, since it has no representation to fit the user against. A repeated item counts
            as often as it appears, as a repeated row does in ``fit``.
        n : int, default=10
            The length of the list.
        ratings : array-like of shape (n_interactions,), default=None
            The user's ratings of the ``history`` items: required for
            ``loss="mse"``, not accepted for the implicit losses (every
            history item is a positive).
        exclude_seen : bool, default=True
            Leave out the ``history`` items.
        items : array-like of shape (n_candidates,), default=None
            Rank only these raw item ids (all must be known); default: the
            whole catalogue.
        exclude_items : array-like, default=None
            Raw item ids never to recommend; unknown ids are ignored.

        Returns
        -------
        item_ids : ndarray of shape (1, min(n, n_candidates))
            Raw item ids, best first: one row, like :meth:`recommend` for
            one user.
        scores : ndarray of shape (1, min(n, n_candidates))
            Their scores, on the scale of :meth:`predict`; ``-inf`` pads the
            row where fewer items are eligible.

        Examples
        --------
        >>> from sklearn_rec import MatrixFactorization
        >>> from sklearn_rec.utils.estimator_checks import checkerboard
        >>> X, _ = checkerboard()  # user u likes the items of u's parity but u
        >>> mf = MatrixFactorization(n_factors=4, loss="bce", max_epochs=100, lr=0.05,
        ...                          random_state=0).fit(X)
        >>> history = X.item[X.user == 4]  # a newcomer who likes what user 4 likes
        >>> items, scores = mf.recommend_for_history(history, n=1)
        >>> items
        array([[4]])
        """
        check_is_fitted(self)
        history = check_ids(history, "history")
        if len(history) == 0:
            raise ValueError(
                "history must hold at least one item id of the new user, got an empty history."
            )
        n = check_positive_int(n, "n")
        if not isinstance(exclude_seen, bool):
            raise TypeError(f"exclude_seen must be a bool, got {exclude_seen!r}.")
        history_codes = self._item_vocabulary.encode(history)
        self._check_known(
            "item",
            history,
            history_codes,
            always="The items of a history must be known from fit to fold a user in.",
        )
        ratings = self._check_history_ratings(ratings, len(history))
        candidates = self._candidate_codes(items, exclude_items)
        width = min(n, self._n_catalogue() if candidates is None else len(candidates))
        if width == 0:
            empty = np.empty((1, 0))
            return self._item_vocabulary.ids[empty.astype(np.int64)], empty
        codes, scores = self._fold_in_topk(history_codes, ratings, candidates, width, exclude_seen)
        return self._item_vocabulary.ids[codes][np.newaxis], scores[np.newaxis]

    def _check_history_ratings(self, ratings, n_history):
        if not self._predicts_ratings:
            if ratings is not None:
                loss = self.get_params(deep=False).get("loss")
                model = type(self).__name__ if loss is None else f"loss={loss!r}"
                raise ValueError(
                    f"ratings must be None for {model}: every history item is a positive. "
                    "Ratings are read by loss='mse' only."
                )
            return None
        if ratings is None:
            raise ValueError(
                "ratings are required for loss='mse': the user is fitted to their ratings "
                "of the history items."
            )
        ratings = np.asarray(ratings, dtype=np.float64)
        if ratings.shape != (n_history,):
            raise ValueError(
                f"ratings must have one value per history item, shape ({n_history},); got "
                f"shape {ratings.shape}."
            )
        if not np.isfinite(ratings).all():
            raise ValueError("ratings must be finite, got NaN or inf.")
        return ratings

    def _candidate_codes(self, items, exclude_items):
        """Item codes to rank, or ``None`` for the whole catalogue."""
        candidates = None
        if items is not None:
            items = check_ids(items, "items")
            candidates = self._item_vocabulary.encode(items)
            self._check_known("item", items, candidates, always="Candidate items must be known.")
            candidates = np.unique(candidates)
        if exclude_items is not None:
            excluded = self._item_vocabulary.encode(check_ids(exclude_items, "exclude_items"))
            if candidates is None:
                candidates = np.arange(self._n_catalogue())
            candidates = np.setdiff1d(candidates, excluded[excluded != UNKNOWN])
        return candidates

    def _popular_items(self, candidates, width):
        if candidates is None:
            candidates = np.arange(self._n_catalogue())
        return most_popular(self._item_popularity(), candidates, width)

    def similar_items(self, items: Ids, n: int = 10) -> TopN:
        """The ``n`` items most similar to each given item.

        Similarity is the estimator's own (the cosine of the item embeddings
        for the factor models; see each estimator's Notes); the item itself
        is left out.

        Parameters
        ----------
        items : array-like of shape (n_queries,) or scalar
            Raw item ids, all known.
        n : int, default=10
            The length of each list.

        Returns
        -------
        item_ids : ndarray of shape (n_queries, ``min(n, n_items_ - 1)``)
        scores : ndarray of shape (n_queries, ``min(n, n_items_ - 1)``)
            Cosine similarities, best first.
        """
        check_is_fitted(self)
        items = check_ids(items, "items")
        n = check_positive_int(n, "n")
        codes = self._item_vocabulary.encode(items)
        self._check_known("item", items, codes, always="Only known items have embeddings.")
        width = min(n, self._n_catalogue() - 1)
        if width == 0:
            empty = np.empty((len(items), 0))
            return self._item_vocabulary.ids[empty.astype(np.int64)], empty
        top, scores = self._topk_similar(codes, width)
        return self._item_vocabulary.ids[top], scores

    def explain(self, users: Ids, items: Ids, n: int = 5) -> pd.DataFrame:
        """Why the model scores ``items`` as it does for ``users``: the largest contributions.

        A score is split into additive contributions, each of one *kind*:

        - ``"history"``: an item the user interacted with in training
          (``id_or_feature`` is its raw id);
        - ``"bias"``: what the score is without any history (the biases, or
          the score of a user with no history);
        - ``"item_feature"``: a side feature of the item (``"column=level"``
          or a numeric column's name);
        - ``"popularity"``: a score without a history term (popularity, the
          ranking fallback).

        Each estimator's Notes say which score is explained and how: exactly
        where the score is linear in the history (item-kNN, EASE,
        :class:`MatrixFactorization` with ``loss="mse"``), otherwise by
        integrated gradients (Captum: ``pip install "sklearn-rec[explain]"``),
        whose contributions add up to the score up to the reported
        ``completeness_error``. Items the user has already seen are explained
        like any other.

        Parameters
        ----------
        users : scalar or array-like of shape (n_pairs,)
            Raw user ids. Unknown users raise with ``handle_unknown="error"``
            and get the explanation of the fallback score (one
            ``"popularity"`` or ``"bias"`` row) with ``"fallback"``.
        items : scalar or array-like of shape (n_pairs,)
            Raw item ids, one per user (unknown ones as unknown users).
        n : int, default=5
            The most contributions shown per pair, largest magnitude first.

        Returns
        -------
        explanation : DataFrame
            Columns ``kind``, ``id_or_feature`` and ``contribution`` (on the
            raw scale of the model: logits for ``loss="bce"``), at most ``n``
            rows per pair, sorted by ``|contribution|``. Given arrays, the
            frame has ``pair`` (the position of the pair), ``user`` and
            ``item`` columns first. ``explanation.attrs`` holds the
            ``score`` explained (the sum of all its contributions, shown or
            not), the ``method`` (``"exact"`` or ``"integrated_gradients"``)
            and the ``completeness_error`` (``|sum of the contributions -
            score|``): a value each, or a list of one per pair.

        Examples
        --------
        >>> from sklearn_rec import ItemKNN
        >>> X = [[0, "a"], [0, "b"], [1, "a"], [1, "b"], [1, "c"], [2, "b"], [2, "c"]]
        >>> knn = ItemKNN(shrinkage=0.0).fit(X)
        >>> knn.explain(0, "c", n=2)
                kind id_or_feature  contribution
        0    history             b      0.816497
        1    history             a      0.500000
        >>> knn.explain(0, "c").attrs["method"]
        'exact'
        """
        check_is_fitted(self)
        single = np.ndim(users) == 0 and np.ndim(items) == 0
        users, items = check_ids(users, "users"), check_ids(items, "items")
        if len(users) != len(items):
            raise ValueError(
                f"users and items must be pairs of the same length, got {len(users)} users and "
                f"{len(items)} items."
            )
        n = check_positive_int(n, "n")
        user_codes = self._user_vocabulary.encode(users)
        item_codes = self._item_vocabulary.encode(items)
        self._check_known("user", users, user_codes)
        self._check_known("item", items, item_codes)
        explanations = [
            self._explain_pair(int(user), int(item))
            if user != UNKNOWN and item != UNKNOWN
            else fallback_explanation(self, user, item, raw_item)
            for user, item, raw_item in zip(user_codes, item_codes, items, strict=True)
        ]
        return explanation_frame(explanations, users, items, n, self._item_vocabulary.ids, single)

    def score(self, X: Interactions, y: Target = None) -> float:
        """NDCG@10 of the recommendations for the users of ``X``.

        Each row of ``X`` is a relevant item of its user (only rows with
        ``y > 0`` when ``y`` is given). For every user in ``X`` the whole
        catalogue is ranked, the items seen during ``fit`` left out, and the
        top 10 compared with the user's relevant items; the result is the mean
        over users (see :func:`sklearn_rec.metrics.ndcg_at_k`). It is the same
        for every loss and every ``positive_threshold``, so model selection
        without ``scoring=`` ranks; to count only high ratings as relevant,
        score with ``make_ranking_scorer("ndcg", k=10, positive_threshold=4)``. A model
        fitted with ``store_seen=False`` cannot leave seen items out and
        raises a ``ValueError``; score it with
        ``make_ranking_scorer("ndcg", k=10, exclude_seen=False)``.

        Parameters
        ----------
        X : array-like or DataFrame of shape (n_samples, n_columns >= 2)
            Test interactions: user ids, item ids, optional further columns.
        y : array-like of shape (n_samples,), default=None
            Optional relevance: rows with ``y <= 0`` are not relevant.

        Returns
        -------
        score : float
        """
        check_is_fitted(self)
        self._validate_X(X)
        return make_ranking_scorer("ndcg", k=10)(self, X, y)

    # -- scikit-learn protocol ----------------------------------------------------

    def __sklearn_is_fitted__(self):
        return hasattr(self, "seen_")

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.string = True
        tags.target_tags.required = self._predicts_ratings
        if not self._predicts_ratings:
            # Ranking losses take 0/1 labels (or no y): the tag that makes
            # scikit-learn's checks pass binary targets.
            tags.classifier_tags = ClassifierTags(multi_class=False)
        return tags
