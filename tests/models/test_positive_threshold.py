"""positive_threshold: ratings turned into implicit feedback inside fit."""

import numpy as np
import pytest
from sklearn.base import clone
from sklearn.metrics import roc_auc_score
from sklearn.model_selection import GridSearchCV
from sklearn.utils._param_validation import InvalidParameterError

from sklearn_rec import EASE, ItemKNN, MatrixFactorization, NeuralRecommender, PopularityRecommender
from sklearn_rec.datasets import make_interactions
from sklearn_rec.metrics import make_ranking_scorer
from sklearn_rec.model_selection import UserHoldoutSplit


def ratings(seed=0):
    return make_interactions(n_users=60, n_items=50, n_interactions=1500, random_state=seed)


def mf(**params):
    return MatrixFactorization(
        **{"n_factors": 4, "max_epochs": 30, "batch_size": 128, "lr": 0.05, **params}
    )


ESTIMATORS = [
    mf(loss="bce", random_state=0),
    mf(loss="bpr", random_state=0),
    mf(loss="softmax", random_state=0),
    NeuralRecommender(embedding_dim=4, hidden_units=(8,), max_epochs=5, random_state=0),
]
BASELINES = [PopularityRecommender(), ItemKNN(n_neighbors=10), EASE(l2=10.0)]


@pytest.mark.parametrize("estimator", ESTIMATORS + BASELINES, ids=repr)
def test_threshold_trains_as_the_labels_it_makes(estimator):
    X, y = ratings()
    thresholded = clone(estimator).set_params(positive_threshold=4).fit(X, y)
    labelled = clone(estimator).fit(X, (y >= 4).astype(int))
    np.testing.assert_array_equal(thresholded.predict(X), labelled.predict(X))
    # Every row is an interaction, liked or not: all pairs are seen, none recommended back.
    assert thresholded.seen_.nnz == len(X.drop_duplicates(["user", "item"]))
    items, scores = thresholded.recommend([0], n=50)
    assert not set(items[0][np.isfinite(scores[0])]) & set(X.item[X.user == 0])


@pytest.mark.parametrize("loss", ["bce", "bpr"])
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_threshold_separates_liked_from_disliked_items(loss, seed):
    # Trained on every row alike, a model cannot tell a 1 from a 5; trained on
    # the rows rated 4 or 5 it ranks them above the others.
    X, y = ratings(seed)
    liked = y >= 4
    with_threshold = mf(loss=loss, positive_threshold=4, random_state=seed).fit(X, y)
    every_row = mf(loss=loss, random_state=seed).fit(X)
    auc = roc_auc_score(liked, with_threshold.predict(X))
    assert auc > 0.7
    assert auc > roc_auc_score(liked, every_row.predict(X)) + 0.15


def test_partial_fit_applies_the_threshold_to_each_chunk():
    X, y = ratings()
    half = len(X) // 2
    params = {"loss": "bce", "random_state": 0, "user_ids": X.user.unique()}
    params["item_ids"] = X.item.unique()
    streamed = mf(positive_threshold=3.5, **params).partial_fit(X[:half], y[:half])
    # A chunk rated 4 and 5 only: the range is checked by fit, not per chunk.
    top = y[half:] >= 4
    streamed.partial_fit(X[half:][top], y[half:][top])
    labels = (y >= 3.5).astype(int)
    expected = mf(**params).partial_fit(X[:half], labels[:half])
    expected.partial_fit(X[half:][top], labels[half:][top])
    np.testing.assert_array_equal(streamed.predict(X), expected.predict(X))


def test_early_stopping_validates_on_the_positives():
    X, y = ratings()
    model = mf(loss="bpr", positive_threshold=4, early_stopping=True, random_state=0).fit(X, y)
    assert np.isfinite(model.best_score_) and 0 < model.best_score_ <= 1


@pytest.mark.parametrize("estimator", [mf(loss="bpr"), *BASELINES], ids=repr)
def test_the_target_is_required(estimator):
    with_threshold = clone(estimator).set_params(positive_threshold=4)
    assert with_threshold.__sklearn_tags__().target_tags.required
    assert not estimator.__sklearn_tags__().target_tags.required
    X, _ = ratings()
    with pytest.raises(ValueError, match=r"y is None: positive_threshold=4 makes the rows"):
        with_threshold.fit(X)


@pytest.mark.parametrize(
    ("threshold", "match"),
    [
        (6, r"positive_threshold=6 is outside the range of the ratings y, \[1, 5\].* none of"),
        (0.5, r"positive_threshold=0.5 is outside .*\[1, 5\].* every one of"),
    ],
)
@pytest.mark.parametrize("estimator", [mf(loss="bce"), *BASELINES], ids=repr)
def test_threshold_outside_the_ratings(estimator, threshold, match):
    X, y = ratings()
    with pytest.raises(ValueError, match=match):
        clone(estimator).set_params(positive_threshold=threshold).fit(X, y)


def test_threshold_at_the_ends_of_the_ratings_is_valid():
    X, y = ratings()
    everything = mf(loss="bce", positive_threshold=1, random_state=0).fit(X, y)
    np.testing.assert_array_equal(
        everything.predict(X), mf(loss="bce", random_state=0).fit(X).predict(X)
    )
    mf(loss="bce", positive_threshold=5, random_state=0).fit(X, y)


def test_threshold_is_for_the_implicit_losses():
    X, y = ratings()
    with pytest.raises(ValueError, match=r"positive_threshold must be None with loss='mse'"):
        mf(loss="mse", positive_threshold=4).fit(X, y)


@pytest.mark.parametrize("estimator", [mf(loss="bce"), *BASELINES], ids=repr)
@pytest.mark.parametrize("value", ["4", np.nan, np.inf, [4]])
def test_threshold_type(estimator, value):
    X, y = ratings()
    with pytest.raises(InvalidParameterError, match="'positive_threshold' parameter"):
        clone(estimator).set_params(positive_threshold=value).fit(X, y)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_baseline_threshold_ranks_liked_items_higher(seed):
    # EASE learns from the liked rows only: the held-out liked items come up
    # more often than when every rating counts as a like.
    X, y = ratings(seed)
    cv = UserHoldoutSplit(test_size=0.2, random_state=seed)
    train, test = next(cv.split(X))
    scoring = make_ranking_scorer("recall", k=10, positive_threshold=4)
    liked = EASE(l2=10.0, positive_threshold=4).fit(X.iloc[train], y[train])
    every_row = EASE(l2=10.0).fit(X.iloc[train])
    assert scoring(liked, X.iloc[test], y[test]) > scoring(every_row, X.iloc[test], y[test])


def test_grid_search_tunes_the_threshold():
    X, y = ratings()
    cv = UserHoldoutSplit(test_size=0.2, random_state=0)
    # Relevance fixed by the scorer: every candidate is scored on the liked test items.
    scoring = make_ranking_scorer("ndcg", k=10, positive_threshold=4)
    thresholds = [1, 3, 4]
    search = GridSearchCV(
        mf(loss="bce", random_state=0), {"positive_threshold": thresholds}, scoring=scoring, cv=cv
    ).fit(X, y)
    scores = search.cv_results_["mean_test_score"]
    assert np.isfinite(scores).all() and len(set(scores)) == len(thresholds)
    assert search.best_estimator_.positive_threshold == search.best_params_["positive_threshold"]
    # Each candidate is the model trained on the labels its threshold makes of
    # the raw training rows.
    train, test = next(cv.split(X))
    for threshold, score in zip(thresholds, scores, strict=True):
        labels = (y[train] >= threshold).astype(int)
        model = mf(loss="bce", random_state=0).fit(X.iloc[train], labels)
        assert score == pytest.approx(scoring(model, X.iloc[test], y[test]), rel=1e-12)
