"""PopularityRecommender, ItemKNN and EASE: the formulas, the query API, bad input."""

import numpy as np
import pandas as pd
import pytest
from sklearn.model_selection import GridSearchCV
from sklearn.utils._param_validation import InvalidParameterError

from sklearn_rec import EASE, ItemKNN, PopularityRecommender
from sklearn_rec.datasets import make_interactions
from sklearn_rec.model_selection import UserHoldoutSplit
from sklearn_rec.models import _baselines
from sklearn_rec.utils.estimator_checks import checkerboard, parametrize_with_recommender_checks

BASELINES = [PopularityRecommender(), ItemKNN(), ItemKNN(n_neighbors=3), EASE(l2=10.0)]


def expected_failed_checks(estimator):
    if not isinstance(estimator, PopularityRecommender):
        return {}
    reason = "popularity gives every user the same list: it cannot learn the checkerboard"
    return {"check_checkerboard_top1": reason, "check_fold_in_known_user": reason}


@parametrize_with_recommender_checks(BASELINES, expected_failed_checks=expected_failed_checks)
def test_recommender_checks(estimator, check):
    check(estimator)


@pytest.fixture(scope="module")
def data():
    X, _ = make_interactions(n_users=60, n_items=40, n_interactions=900, random_state=0)
    return X


def dense_positives(model, X):
    matrix = np.zeros((model.n_users_, model.n_items_))
    users = np.searchsorted(model.users_, X.iloc[:, 0])
    items = np.searchsorted(model.items_, X.iloc[:, 1])
    matrix[users, items] = 1.0
    return matrix


def test_ease_solves_its_constrained_ridge_regression(data):
    # Column j of B is the ridge regression of item j on every other item:
    # solved here column by column, independently of the closed form.
    l2 = 7.0
    model = EASE(l2=l2).fit(data)
    X = dense_positives(model, data)
    expected = np.zeros((model.n_items_, model.n_items_))
    for j in range(model.n_items_):
        others = np.delete(np.arange(model.n_items_), j)
        A = X[:, others]
        expected[others, j] = np.linalg.solve(A.T @ A + l2 * np.eye(len(others)), A.T @ X[:, j])
    np.testing.assert_allclose(model.coef_, expected, rtol=1e-4, atol=1e-5)
    assert model.coef_.dtype == np.float32
    np.testing.assert_allclose(
        model.predict(data),
        (X @ expected)[
            np.searchsorted(model.users_, data.user), np.searchsorted(model.items_, data.item)
        ],
        rtol=1e-4,
        atol=1e-5,
    )


@pytest.mark.parametrize("n_neighbors", [1, 5, 100])
def test_item_knn_keeps_the_shrunk_cosine_of_each_items_neighbours(data, n_neighbors):
    shrinkage = 3.0
    model = ItemKNN(n_neighbors=n_neighbors, shrinkage=shrinkage).fit(data)
    X = dense_positives(model, data)
    norms = np.sqrt(X.sum(axis=0))
    cosine = (X.T @ X) / (np.outer(norms, norms) + shrinkage)
    np.fill_diagonal(cosine, 0.0)
    similarity = model.similarity_.toarray()
    kept = similarity > 0
    # Each kept entry is the shrunk cosine, and each item keeps its
    # n_neighbors largest (as a multiset: equal cosines may tie at the cut).
    np.testing.assert_allclose(similarity[kept], cosine[kept], rtol=1e-6)
    for j in range(model.n_items_):
        largest = np.sort(cosine[:, j])[::-1][:n_neighbors]
        np.testing.assert_allclose(
            np.sort(similarity[:, j])[::-1][:n_neighbors], largest, rtol=1e-6, atol=1e-7
        )
        assert kept[:, j].sum() == (largest > 0).sum()
    expected = similarity
    scores = X @ expected
    users = np.searchsorted(model.users_, data.user)
    items = np.searchsorted(model.items_, data.item)
    np.testing.assert_allclose(model.predict(data), scores[users, items], rtol=1e-5, atol=1e-6)


def test_item_knn_blocks_do_not_change_the_model(data, monkeypatch):
    whole = ItemKNN(n_neighbors=4).fit(data).similarity_.toarray()
    monkeypatch.setattr(_baselines, "_SCORE_BUDGET", 3 * 40)  # three items a block
    np.testing.assert_array_equal(ItemKNN(n_neighbors=4).fit(data).similarity_.toarray(), whole)


@pytest.mark.parametrize("model", [ItemKNN(n_neighbors=5), EASE(l2=5.0), PopularityRecommender()])
def test_chunks_do_not_change_queries(data, model, monkeypatch):
    model.fit(data)
    users = np.unique(data.user)

    def queries():
        return [*model.recommend(users, n=5), model.predict(data), *model.similar_items([1, 2])]

    expected = queries()
    monkeypatch.setattr(_baselines, "_SCORE_BUDGET", 1)  # one row at a time
    for got, want in zip(queries(), expected, strict=True):
        np.testing.assert_array_equal(got, want)


def test_popularity_counts_users_with_a_positive():
    X = pd.DataFrame({"user": [0, 0, 1, 1, 2, 2, 2], "item": ["a", "a", "a", "b", "b", "c", "a"]})
    y = np.array([1, 1, 1, 0, 1, 1, 1])
    model = PopularityRecommender().fit(X, y)
    np.testing.assert_array_equal(model.popularity_, [3, 1, 1])  # b's 0 label is no positive
    np.testing.assert_allclose(model.predict(X[:4]), [1, 1, 1, 1 / 3])
    items, scores = model.recommend([0, 1], n=3)
    # User 1 saw b with label 0: seen, so not recommended.
    assert items[1].tolist()[:1] == ["c"] and np.isneginf(scores[1, 1:]).all()
    assert items[0].tolist()[:2] == ["b", "c"]


def test_popularity_is_the_fallback_of_the_other_estimators(data):
    reference = PopularityRecommender(handle_unknown="fallback").fit(data)
    for model in (ItemKNN(handle_unknown="fallback"), EASE(handle_unknown="fallback")):
        model.fit(data)
        for a, b in zip(model.recommend([-1], n=5), reference.recommend([-1], n=5), strict=True):
            np.testing.assert_array_equal(a, b)
        pairs = pd.DataFrame({"user": [-1, -1], "item": [data.item.iloc[0], -5]})
        np.testing.assert_array_equal(model.predict(pairs), reference.predict(pairs))


@pytest.mark.parametrize("model", [ItemKNN(n_neighbors=10), EASE(l2=20.0)])
def test_fold_in_is_exact_for_item_item_models(data, model):
    model.fit(data)
    for user in np.unique(data.user)[:10]:
        history = data.item[data.user == user]
        folded = model.recommend_for_history(history, n=8)
        trained = model.recommend([user], n=8)
        np.testing.assert_array_equal(folded[0], trained[0])
        np.testing.assert_allclose(folded[1], trained[1], rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("model", [ItemKNN(n_neighbors=10), EASE(l2=20.0)])
def test_similar_items_rank_the_item_item_weights(data, model):
    model.fit(data)
    weights = model.similarity_ if isinstance(model, ItemKNN) else model.coef_
    weights = weights.toarray() if hasattr(weights, "toarray") else weights
    items, scores = model.similar_items(model.items_[:3], n=5)
    for row, item_scores, code in zip(items, scores, range(3), strict=True):
        codes = np.searchsorted(model.items_, row)
        np.testing.assert_allclose(item_scores, weights[code, codes], rtol=1e-6)
        assert item_scores[0] == weights[code].max()


def test_grid_search_tunes_a_baseline(data):
    search = GridSearchCV(
        EASE(), {"l2": [1.0, 100.0]}, cv=UserHoldoutSplit(n_splits=2, random_state=0)
    )
    search.fit(data)
    assert search.best_params_["l2"] in (1.0, 100.0) and np.isfinite(search.best_score_)


@pytest.mark.parametrize(
    ("model", "message"),
    [
        (EASE(l2=0.0), r"The 'l2' parameter of EASE must be a float in the range \(0.0, inf\)"),
        (EASE(l2="big"), r"The 'l2' parameter of EASE must be a float"),
        (ItemKNN(n_neighbors=0), r"The 'n_neighbors' parameter of ItemKNN must be an int"),
        (ItemKNN(shrinkage=-1.0), r"The 'shrinkage' parameter of ItemKNN must be a float"),
        (
            PopularityRecommender(handle_unknown="drop"),
            r"The 'handle_unknown' parameter of PopularityRecommender must be a str among",
        ),
    ],
)
def test_bad_parameters_raise_before_fitting(data, model, message):
    with pytest.raises(InvalidParameterError, match=message):
        model.fit(data)
    assert not hasattr(model, "seen_")


def test_ratings_are_refused_with_the_labels_they_would_need(data):
    with pytest.raises(ValueError, match="y must hold binary 0/1 labels"):
        EASE().fit(data, np.full(len(data), 4.0))


def test_history_ratings_are_refused():
    X, _ = checkerboard()
    with pytest.raises(ValueError, match="ratings must be None for EASE"):
        EASE().fit(X).recommend_for_history([0, 2], ratings=[5, 4])
