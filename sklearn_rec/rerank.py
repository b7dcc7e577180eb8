"""Two-stage recommendation: a recommender's candidates, reranked by a second model.

:class:`RecommenderFeatures` turns ``(user, item)`` rows into features for
any scikit-learn model: the recommender's score, the user's activity and the
item's popularity in the training rows, their mean targets, and side-feature
columns. :class:`RerankingRecommender` is the two-stage pattern as one
estimator: a retriever proposes ``n_candidates`` items per user and a
classifier, trained on interactions the retriever did not see, reorders
them. Nothing here imports PyTorch.
"""

from __future__ import annotations

import warnings
from numbers import Integral, Real
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, TransformerMixin, clone
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.utils import _safe_indexing, check_random_state, get_tags
from sklearn.utils._param_validation import HasMethods, Interval
from sklearn.utils.validation import check_is_fitted, validate_data

from ._features import check_table_index
from ._typing import Array, Ids, Interactions, Target, TopN
from ._validation import (
    check_candidates,
    check_ids,
    check_interactions,
    check_positive_int,
    check_query_rows,
    check_target,
)
from .metrics._scorer import make_ranking_scorer
from .model_selection import UserKFold

if TYPE_CHECKING:
    from typing_extensions import Self

__all__ = ["RecommenderFeatures", "RerankingRecommender"]

_RECOMMENDER = HasMethods(["fit", "recommend", "score_items"])
_TABLE = [pd.DataFrame, None]
# The features of a candidate's place in its user's list.
_STANDING = ("rank", "score_gap")
# Pairs whose standing in their user's candidate list is computed at once
# (each holds a row of n_candidates floats).
_PAIR_CHUNK = 2**14


def _relative_counts(ids):
    """Rows per id divided by the mean over ids: 1.0 is an average id.

    Relative, so that counts from a part of the data and from all of it are
    on one scale (the reranker learns on the first, ranks with the second).
    """
    counts = pd.Series(ids).value_counts()
    return counts / counts.mean()


def _check_table(table, param, name):
    """A side-feature table as float64 columns named ``{name}_{column}``, or None."""
    if table is None:
        return None
    check_table_index(table, param)
    not_numeric = [
        column
        for column, dtype in table.dtypes.items()
        if not (pd.api.types.is_numeric_dtype(dtype) or pd.api.types.is_bool_dtype(dtype))
    ]
    if not_numeric:
        raise TypeError(
            f"{param} must hold numeric or boolean columns (encode the others first, for "
            f"example with pandas.get_dummies); got non-numeric columns {not_numeric}."
        )
    values = table.astype(np.float64)
    values.columns = [f"{name}_{column}" for column in table.columns]
    return values


def _ranker_scores(ranker, features):
    """The positive class's probability, the decision function, or the prediction.

    Without a ranker (``None``: it had a single class to learn from), the
    retriever's scores, the first column.
    """
    if ranker is None:
        return features[:, 0]
    if hasattr(ranker, "predict_proba"):
        return ranker.predict_proba(features)[:, -1]
    if hasattr(ranker, "decision_function"):
        return np.asarray(ranker.decision_function(features), dtype=np.float64)
    return np.asarray(ranker.predict(features), dtype=np.float64)


def _recommender_tags(tags, recommender):
    """``tags`` with the target and string-input tags of ``recommender``.

    What ``y`` may hold is the recommender's business: binary labels for a
    ranking loss, ratings for ``"mse"``.
    """
    inner = get_tags(recommender)
    tags.input_tags.string = inner.input_tags.string
    tags.target_tags.required = inner.target_tags.required
    tags.classifier_tags = inner.classifier_tags
    return tags


def _feature_names(scorers, tables, means, extra=()):
    """The names of the feature columns; repeated names are an error naming their source."""
    names = ["score", *(f"score_{name}" for name, _ in scorers), "user_activity"]
    names += ["item_popularity"]
    if means:
        names += ["user_mean_target", "item_mean_target"]
    for table in tables:
        names += [] if table is None else list(table.columns)
    names += list(extra)
    repeated = sorted({name for name in names if names.count(name) > 1})
    if repeated:
        raise ValueError(
            f"The feature names {repeated} repeat: the scorers' names make 'score_<name>', "
            "the columns of user_features and item_features 'user_<column>' and "
            "'item_<column>', beside the built-in features "
            f"{['score', 'user_activity', 'item_popularity', *extra]}. Rename the scorer or "
            "the column."
        )
    return np.asarray(names, dtype=object)


def _check_scorers(scorers):
    """``scorers`` as a list of ``(name, recommender)`` pairs with distinct names."""
    if scorers is None:
        return []
    pairs = list(scorers)
    for pair in pairs:
        if not (
            isinstance(pair, tuple)
            and len(pair) == 2
            and isinstance(pair[0], str)
            and all(callable(getattr(pair[1], method, None)) for method in ("fit", "score_items"))
        ):
            raise TypeError(
                "scorers must be None or a list of (name, recommender) pairs, a name a str "
                f"and a recommender an estimator with fit and score_items; got {pair!r}."
            )
    names = [name for name, _ in pairs]
    if len(set(names)) < len(names):
        raise ValueError(f"The names of scorers must be distinct, got {names}.")
    return pairs


def _standing(scores, lists, owner):
    """Where each score stands in its user's candidate list: rank and gap to the best.

    ``lists`` holds each user's candidate scores, best first (``NaN`` past
    the eligible items), ``owner`` the row of ``lists`` of each score. The
    rank counts the candidates scored above it; the gap is the best
    candidate's score minus it.
    """
    rank = np.empty(len(scores))
    for start in range(0, len(scores), _PAIR_CHUNK):
        part = slice(start, start + _PAIR_CHUNK)
        rank[part] = (lists[owner[part]] > scores[part, None]).sum(axis=1)
    return np.column_stack([rank, lists[owner, 0] - scores])


class RecommenderFeatures(TransformerMixin, BaseEstimator):
    """Features of ``(user, item)`` rows from a recommender, for a second-stage model.

    ``transform`` returns, for each row of ``X``, the columns

    - ``score``: the recommender's score of the pair (``score_items``, under
      its unknown-id policy);
    - ``score_{name}`` for each of ``scorers``: that recommender's score;
    - ``user_activity`` and ``item_popularity``: the user's and the item's
      number of rows in the data given to ``fit``, divided by the mean over
      users (items), so 1.0 is average and 0.0 unknown;
    - ``user_mean_target`` and ``item_mean_target``, with
      ``mean_targets=True`` and ``y`` given to ``fit``: the mean of ``y``
      over the user's (item's) rows, such as the mean rating; ``NaN`` for
      unknown ids;
    - the columns of ``user_features`` and ``item_features``, prefixed
      ``user_`` and ``item_``; ``NaN`` for ids missing from a table.

    In a :class:`~sklearn.pipeline.Pipeline` ending in a classifier, ``fit``
    fits a clone of the recommender on the rows the classifier learns from,
    so those rows get the scores of pairs the recommender has seen, higher
    than those of new rows. Learn the second stage from rows the
    recommender did not see (``prefit=True`` with a recommender fitted on
    other rows), as :class:`RerankingRecommender` does.

    Parameters
    ----------
    recommender : estimator
        A recommender of this package (or any estimator with ``fit``,
        ``recommend`` and ``score_items``).
    scorers : list of (str, estimator) tuples, default=None
        More recommenders whose scores are features, under their names: other
        models, or the same one on other settings (``EASE(positive_threshold=4)``
        beside an ``EASE`` of every rating).
    user_features, item_features : DataFrame, default=None
        Numeric or boolean columns indexed by user (item) id.
    mean_targets : bool, default=False
        Add the mean of ``y`` per user and per item. Only where ``y`` is not
        the second stage's label: in a Pipeline whose classifier learns from
        the same ``y``, a user or item with one row would have its own label
        as a feature. :class:`RerankingRecommender` takes the means from the
        rows its ranker does not learn from.
    prefit : bool, default=False
        Use ``recommender`` and ``scorers`` as they are fitted (``fit`` then
        only summarises the rows of ``X``); otherwise ``fit`` fits clones of
        them on ``X, y``.

    Attributes
    ----------
    recommender_ : estimator
        The fitted recommender that scores the rows.
    scorers_ : list of (str, estimator) tuples
        The fitted ``scorers``.
    n_features_out_ : int
        The number of columns ``transform`` returns.

    Examples
    --------
    >>> from sklearn_rec import EASE
    >>> from sklearn_rec.rerank import RecommenderFeatures
    >>> X = [[0, 0], [0, 1], [1, 1], [1, 2], [2, 0], [2, 2]]
    >>> features = RecommenderFeatures(EASE(l2=1.0)).fit(X)
    >>> features.get_feature_names_out().tolist()
    ['score', 'user_activity', 'item_popularity']
    >>> features.transform([[0, 2], [1, 0]]).shape
    (2, 3)
    """

    _parameter_constraints: dict = {
        "recommender": [_RECOMMENDER],
        "scorers": [list, None],
        "user_features": _TABLE,
        "item_features": _TABLE,
        "mean_targets": ["boolean"],
        "prefit": ["boolean"],
    }

    def __init__(
        self,
        recommender: Any,
        *,
        scorers: list[tuple[str, Any]] | None = None,
        user_features: pd.DataFrame | None = None,
        item_features: pd.DataFrame | None = None,
        mean_targets: bool = False,
        prefit: bool = False,
    ) -> None:
        self.recommender = recommender
        self.scorers = scorers
        self.user_features = user_features
        self.item_features = item_features
        self.mean_targets = mean_targets
        self.prefit = prefit

    def fit(self, X: Interactions, y: Target = None) -> Self:
        """Fit the recommender (unless ``prefit``) and summarise the rows of ``X``.

        Parameters
        ----------
        X : array-like or DataFrame of shape (n_samples, n_columns >= 2)
            Interactions: user ids, item ids, optional further columns.
        y : array-like of shape (n_samples,), default=None
            Passed to the recommender's ``fit``; with ``mean_targets``, its
            means per user and per item become features.

        Returns
        -------
        self : object
            The fitted transformer.
        """
        self._validate_params()
        users, items = check_interactions(X)
        target = check_target(y, len(users))
        validate_data(self, X, reset=True, skip_check_array=True)
        tables = (
            _check_table(self.user_features, "user_features", "user"),
            _check_table(self.item_features, "item_features", "item"),
        )
        scorers = _check_scorers(self.scorers)
        means = self.mean_targets and target is not None
        names = _feature_names(scorers, tables, means)
        if self.prefit:
            for recommender in [self.recommender] + [model for _, model in scorers]:
                check_is_fitted(recommender)
            self.recommender_, self.scorers_ = self.recommender, scorers
        else:
            self.recommender_ = clone(self.recommender).fit(X, y)
            self.scorers_ = [(name, clone(model).fit(X, y)) for name, model in scorers]
        self._counts = (_relative_counts(users), _relative_counts(items))
        self._means = (
            tuple(pd.Series(target).groupby(ids).mean() for ids in (users, items))
            if means
            else None
        )
        self._tables = tables
        self._names = names
        self.n_features_out_ = len(names)
        return self

    def transform(self, X: Interactions) -> Array:
        """The features of each ``(user, item)`` row of ``X``.

        Parameters
        ----------
        X : array-like or DataFrame of shape (n_samples, n_columns >= 2)
            User ids in column 0, item ids in column 1.

        Returns
        -------
        features : ndarray of shape (n_samples, n_features_out)
        """
        check_is_fitted(self)
        return self._features(*check_query_rows(self, X))

    def _features(self, users, items, scores=None):
        """The features of the pairs; ``scores``, when given, are the recommender's."""
        if scores is None:
            scores = self.recommender_.score_items(users, items[:, None])[:, 0]
        columns = [scores]
        columns += [model.score_items(users, items[:, None])[:, 0] for _, model in self.scorers_]
        columns += [
            counts.reindex(ids, fill_value=0.0).to_numpy(dtype=np.float64)
            for counts, ids in zip(self._counts, (users, items), strict=True)
        ]
        lookups = [*(self._means or (None, None)), *self._tables]
        columns += [
            values.reindex(ids).to_numpy(dtype=np.float64)
            for values, ids in zip(lookups, (users, items) * 2, strict=True)
            if values is not None
        ]
        return np.column_stack(columns)

    def get_feature_names_out(self, input_features: Any = None) -> Array:
        """The names of the columns of ``transform``.

        Parameters
        ----------
        input_features : ignored
            The columns are the same whatever the input's names.

        Returns
        -------
        names : ndarray of str objects
        """
        check_is_fitted(self)
        return self._names.copy()

    def __sklearn_tags__(self):
        return _recommender_tags(super().__sklearn_tags__(), self.recommender)


def _default_ranker():
    # Chosen by measurement on MovieLens 100K (see the Pipelines guide): a
    # gradient-boosted classifier learns which (user, item) pairs were held
    # out and ranks new pairs below the retriever; a linear model does not.
    return make_pipeline(
        SimpleImputer(strategy="median", keep_empty_features=True),
        StandardScaler(),
        LogisticRegression(max_iter=1000),
    )


class RerankingRecommender(BaseEstimator):
    """Two stages: a retriever's candidates, reordered by a classifier.

    ``fit`` splits each user's interactions with ``cv``. In every split a
    clone of ``retriever`` is fitted on the training part and proposes
    ``n_candidates`` unseen items to each user with held-out positives; a
    candidate among them is a positive, the others negatives. ``ranker``
    learns to tell them apart from the features of the pairs:
    :class:`RecommenderFeatures` of the clone (its score, activity,
    popularity, mean targets, side features) and where the pair stands in
    its user's list (``rank``, ``score_gap`` to the best candidate). Then
    ``retriever`` is fitted on all of ``X``, and ``recommend`` orders its
    ``max(n, n_candidates)`` best items by the ranker. A pair's ``rank`` and
    ``score_gap`` are measured against the user's ``n_candidates`` best
    unseen items, whatever ``recommend`` is asked, so ``recommend``,
    ``score_items`` and ``predict`` give a pair one score.

    The splits must be warm, every held-out user in the training part (as
    in this package's splitters): a user unknown to the clone gets the
    retriever's unknown-user answer (an error, or the fallback).

    Parameters
    ----------
    retriever : estimator
        The first stage: a recommender of this package (or any estimator
        with ``fit``, ``recommend`` and ``score_items``), fitted once per
        split of ``cv`` that holds out positives, then on all of ``X``, on
        ``X`` and ``y`` as given.
    ranker : classifier, default=None
        The second stage, fitted on the candidates' features with 0/1
        labels; it ranks by ``predict_proba`` (or ``decision_function``, or
        ``predict``). ``None``: a logistic regression on standardised
        features (missing values imputed by the median).
    n_candidates : int, default=100
        Items the retriever proposes per user.
    scorers : list of (str, estimator) tuples, default=None
        More recommenders whose scores of each candidate are features of the
        ranker (see :class:`RecommenderFeatures`); fitted as often as the
        retriever.
    cv : int or splitter, default=5
        How the ranker's positives are held out: an int is the number of
        folds of :class:`~sklearn_rec.model_selection.UserKFold` (each
        interaction held out at most once: a user's single interaction, and
        an item's only one outside a fold, stay in training); a splitter of
        this package
        (``UserHoldoutSplit(0.2)`` fits the retriever twice in all) or any
        object whose ``split(X)`` yields training and held-out indices.
    positive_threshold : float or None, default=None
        Which held-out rows the ranker learns as positives: those with
        ``y >= positive_threshold`` (for example the ratings of 4 and 5);
        ``None``: those with ``y > 0``, or every row when ``y`` is None.
    user_features, item_features : DataFrame, default=None
        Numeric or boolean side features indexed by id, for the ranker.
    random_state : int, RandomState instance or None, default=None
        Seeds the folds of an int ``cv``.

    Attributes
    ----------
    retriever_ : estimator
        The retriever fitted on all of ``X``.
    ranker_ : classifier or None
        The fitted second stage; ``None`` when the held-out candidates were
        all of one class (a warning says so), and the model then ranks by
        the retriever's scores.
    features_ : RecommenderFeatures
        The features of ``retriever_`` (and the fitted scorers) that
        ``recommend`` gives the ranker, with the standing of each pair.
    feature_names_ : ndarray of str objects
        The names of the ranker's features, in its columns' order.
    users_, items_, cold_items_, seen_ : ndarray, ndarray, ndarray, sparse matrix
        Those of ``retriever_``: the known ids and the training pairs.
    n_features_in_ : int
        Number of columns of ``X`` in ``fit``.

    See Also
    --------
    RecommenderFeatures : The features, as a transformer.

    Examples
    --------
    >>> from sklearn_rec import EASE
    >>> from sklearn_rec.datasets import make_interactions
    >>> from sklearn_rec.rerank import RerankingRecommender
    >>> X, _ = make_interactions(n_users=60, n_items=40, n_interactions=1200, random_state=0)
    >>> model = RerankingRecommender(EASE(l2=10.0), n_candidates=20, random_state=0).fit(X)
    >>> model.recommend([0, 1], n=5)[0].shape
    (2, 5)
    """

    _parameter_constraints: dict = {
        "retriever": [_RECOMMENDER],
        "ranker": [HasMethods(["fit"]), None],
        "n_candidates": [Interval(Integral, 1, None, closed="left")],
        "scorers": [list, None],
        "cv": [Interval(Integral, 2, None, closed="left"), HasMethods(["split"])],
        "positive_threshold": [Interval(Real, None, None, closed="neither"), None],
        "user_features": _TABLE,
        "item_features": _TABLE,
        "random_state": ["random_state"],
    }

    def __init__(
        self,
        retriever: Any,
        ranker: Any = None,
        *,
        n_candidates: int = 100,
        scorers: list[tuple[str, Any]] | None = None,
        cv: Any = 5,
        positive_threshold: float | None = None,
        user_features: pd.DataFrame | None = None,
        item_features: pd.DataFrame | None = None,
        random_state: int | np.random.RandomState | None = None,
    ) -> None:
        self.retriever = retriever
        self.ranker = ranker
        self.n_candidates = n_candidates
        self.scorers = scorers
        self.cv = cv
        self.positive_threshold = positive_threshold
        self.user_features = user_features
        self.item_features = item_features
        self.random_state = random_state

    def fit(self, X: Interactions, y: Target = None) -> Self:
        """Learn the ranker on held-out interactions, then fit the retriever on all of ``X``.

        Parameters
        ----------
        X : array-like or DataFrame of shape (n_samples, n_columns >= 2)
            Interactions: user ids, item ids, optional further columns.
        y : array-like of shape (n_samples,), default=None
            Passed to the retriever; with ``positive_threshold`` it must
            hold ratings.

        Returns
        -------
        self : object
            The fitted estimator.
        """
        self._validate_params()
        check_positive_int(self.n_candidates, "n_candidates")
        tables = (
            _check_table(self.user_features, "user_features", "user"),
            _check_table(self.item_features, "item_features", "item"),
        )
        _feature_names(_check_scorers(self.scorers), tables, y is not None, _STANDING)
        users, items = check_interactions(X)
        target = check_target(y, len(users))
        if target is None and self.positive_threshold is not None:
            raise ValueError(
                f"positive_threshold={self.positive_threshold!r} makes the held-out rows with "
                "y >= positive_threshold the ranker's positives, but y is None: pass the "
                "ratings as y, or set positive_threshold=None."
            )
        validate_data(self, X, reset=True, skip_check_array=True)
        if target is None:
            positive = np.ones(len(users), dtype=bool)
        elif self.positive_threshold is None:
            positive = target > 0
        else:
            positive = target >= self.positive_threshold
        cv = (
            UserKFold(int(self.cv), random_state=check_random_state(self.random_state))
            if isinstance(self.cv, Integral)
            else self.cv
        )
        blocks, label_blocks = [], []
        for train, held in cv.split(X):
            held = held[positive[held]]
            if len(held) == 0:
                continue
            features, retriever = self._features_of(train, X, y)
            held_users = pd.unique(users[held])
            candidates, scores = self._reference_lists(retriever, held_users)
            pair_features, pair_users, pair_items = self._candidate_features(
                features, held_users, candidates, scores, scores
            )
            pairs = pd.MultiIndex.from_arrays([pair_users, pair_items])
            label_blocks.append(pairs.isin(pd.MultiIndex.from_arrays([users[held], items[held]])))
            blocks.append(pair_features)
        labels = np.concatenate(label_blocks) if label_blocks else np.zeros(0, dtype=bool)
        if labels.all() or not labels.any():
            warnings.warn(
                f"Among the retriever's {self.n_candidates} candidates per user, "
                f"{'every one is' if len(labels) and labels.all() else 'none is'} a held-out "
                f"positive interaction (cv={self.cv!r}), so there is nothing for the ranker to "
                "learn: the model ranks by the retriever's scores (ranker_ is None). Pass "
                "users with more interactions, or change n_candidates.",
                UserWarning,
                stacklevel=2,
            )
            self.ranker_ = None
        else:
            ranker = _default_ranker() if self.ranker is None else clone(self.ranker)
            self.ranker_ = ranker.fit(np.vstack(blocks), labels)

        self.features_, self.retriever_ = self._features_of(None, X, y)
        self.feature_names_ = np.append(self.features_.get_feature_names_out(), _STANDING)
        self.users_ = self.retriever_.users_
        self.items_ = self.retriever_.items_
        self.cold_items_ = getattr(self.retriever_, "cold_items_", np.empty(0, dtype=object))
        self.seen_ = self.retriever_.seen_
        return self

    def _features_of(self, rows, X, y):
        """The features of clones of the retriever and scorers fitted on ``rows`` of ``X``
        (all: None), and the retriever."""
        if rows is not None:
            X, y = _safe_indexing(X, rows), None if y is None else _safe_indexing(y, rows)
        features = RecommenderFeatures(
            self.retriever,
            scorers=self.scorers,
            user_features=self.user_features,
            item_features=self.item_features,
            mean_targets=True,
        ).fit(X, y)
        return features, features.recommender_

    def _reference_lists(self, retriever, users):
        """Each user's ``n_candidates`` best items by ``retriever`` and their scores.

        The lists a pair's ``rank`` and ``score_gap`` are measured against, the
        same in ``fit`` and at query time: the items seen in training left out
        (when the retriever stores them).
        """
        return retriever.recommend(
            users, n=self.n_candidates, exclude_seen=retriever.seen_ is not None
        )

    def _candidate_features(self, features, users, candidates, scores, reference):
        """The ranker's features of the eligible candidates (finite scores), and their pairs.

        ``reference`` holds the scores of each user's reference list
        (``_reference_lists``).
        """
        rows, cols = np.nonzero(np.isfinite(scores))
        pair_users, pair_items, pair_scores = (
            users[rows],
            candidates[rows, cols],
            scores[rows, cols],
        )
        lists = np.where(np.isfinite(reference), reference, np.nan)
        matrix = np.column_stack(
            [
                features._features(pair_users, pair_items, pair_scores),
                _standing(pair_scores, lists, rows),
            ]
        )
        return matrix, pair_users, pair_items

    def _pair_features(self, users, items):
        """The ranker's features of any ``(user, item)`` pairs."""
        scores = self.retriever_.score_items(users, items[:, None])[:, 0]
        unique, owner = np.unique(users, return_inverse=True)
        _, lists = self._reference_lists(self.retriever_, unique)
        lists = np.where(np.isfinite(lists), lists, np.nan)
        return np.column_stack(
            [self.features_._features(users, items, scores), _standing(scores, lists, owner)]
        )

    def predict(self, X: Interactions) -> Array:
        """The ranker's score of each ``(user, item)`` row of ``X``.

        Parameters
        ----------
        X : array-like or DataFrame of shape (n_samples, n_columns >= 2)
            User ids in column 0, item ids in column 1.

        Returns
        -------
        y_pred : ndarray of shape (n_samples,)
            The positive class's probability for a classifier.
        """
        check_is_fitted(self)
        return _ranker_scores(self.ranker_, self._pair_features(*check_query_rows(self, X)))

    def score_items(self, users: Ids, items: Any) -> Array:
        """The ranker's scores of given candidate items for each user.

        Parameters
        ----------
        users : array-like of shape (n_queries,)
            Raw user ids.
        items : array-like of shape (n_queries, n_candidates)
            Row ``j`` holds the raw item ids to score for ``users[j]``.

        Returns
        -------
        scores : ndarray of shape (n_queries, n_candidates)
        """
        check_is_fitted(self)
        users, flat, shape = check_candidates(users, items)
        if not flat.size:
            return np.empty(shape)
        features = self._pair_features(np.repeat(users, shape[1]), flat)
        return _ranker_scores(self.ranker_, features).reshape(shape)

    def recommend(
        self,
        users: Ids,
        n: int = 10,
        *,
        exclude_seen: bool = True,
        items: Ids | None = None,
        exclude_items: Ids | None = None,
    ) -> TopN:
        """The top ``n`` of the retriever's candidates for each user, by the ranker.

        Parameters
        ----------
        users : array-like of shape (n_queries,) or scalar
            Raw user ids, under the retriever's unknown-id policy.
        n : int, default=10
            The length of each list.
        exclude_seen, items, exclude_items
            As in the retriever's ``recommend``, which proposes the
            ``max(n, n_candidates)`` candidates.

        Returns
        -------
        item_ids : ndarray of shape (n_queries, min(n, n_eligible))
            Raw item ids, best first.
        scores : ndarray of shape (n_queries, min(n, n_eligible))
            The ranker's scores; ``-inf`` past a user's eligible items.
        """
        check_is_fitted(self)
        users = check_ids(users, "users")
        n = check_positive_int(n, "n")
        candidates, retrieved = self.retriever_.recommend(
            users,
            n=max(n, self.n_candidates),
            exclude_seen=exclude_seen,
            items=items,
            exclude_items=exclude_items,
        )
        if candidates.shape[1] == 0:
            return candidates, retrieved
        default = (
            exclude_seen == (self.seen_ is not None) and items is None and exclude_items is None
        )
        reference = (
            retrieved[:, : self.n_candidates]
            if default
            else self._reference_lists(self.retriever_, users)[1]
        )
        scores = np.full(candidates.shape, -np.inf)
        features, _, _ = self._candidate_features(
            self.features_, users, candidates, retrieved, reference
        )
        if len(features):
            scores[np.isfinite(retrieved)] = _ranker_scores(self.ranker_, features)
        # Stable: ties keep the retriever's order.
        order = np.argsort(-scores, axis=1, kind="stable")[:, :n]
        return (
            np.take_along_axis(candidates, order, axis=1),
            np.take_along_axis(scores, order, axis=1),
        )

    def score(self, X: Interactions, y: Target = None) -> float:
        """NDCG@10 of the recommendations for the users of ``X``, as a recommender's ``score``.

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
        check_query_rows(self, X)
        return make_ranking_scorer("ndcg", k=10)(self, X, y)

    def __sklearn_is_fitted__(self):
        return hasattr(self, "ranker_")

    def __sklearn_tags__(self):
        tags = _recommender_tags(super().__sklearn_tags__(), self.retriever)
        tags.target_tags.required |= self.positive_threshold is not None
        return tags
