"""Recommender behaviour of the estimators (checks beyond scikit-learn's)."""

import pickle

import numpy as np
import pandas as pd
import pytest
import torch
from conftest import checkerboard
from sklearn.base import clone
from sklearn.exceptions import NotFittedError

from sklearn_rec import MatrixFactorization, NeuralRecommender

FAST = {"max_epochs": 150, "batch_size": 64, "random_state": 0}


def make(name, loss, **params):
    if name == "mf":
        return MatrixFactorization(n_factors=4, loss=loss, **{**FAST, **params})
    return NeuralRecommender(
        embedding_dim=4, hidden_units=(8,), loss=loss, lr=0.01, **{**FAST, **params}
    )


ALL = [(name, loss) for name in ("mf", "ncf") for loss in ("mse", "bce", "bpr")]


@pytest.fixture(scope="module", params=ALL, ids=lambda p: "-".join(p))
def fitted(request):
    name, loss = request.param
    X, y = checkerboard(20, ratings=loss == "mse")
    return make(name, loss).fit(X, y), X, y


def test_checkerboard_top1_is_the_withheld_diagonal(fitted):
    est, _, _ = fitted
    items, scores = est.recommend(np.arange(20), n=1)
    np.testing.assert_array_equal(items[:, 0], np.arange(20))
    assert np.isfinite(scores).all()


def test_recommend_shapes_and_order(fitted):
    est, _, _ = fitted
    items, scores = est.recommend([3, 4], n=5)
    assert items.shape == scores.shape == (2, 5)
    assert (np.diff(scores, axis=1) <= 0).all()
    # A scalar is one query: still 2-D.
    items, scores = est.recommend(3, n=5)
    assert items.shape == (1, 5)


def test_recommend_scores_match_predict(fitted):
    est, _, _ = fitted
    items, scores = est.recommend([5], n=4)
    pairs = pd.DataFrame({"user": [5] * 4, "item": items[0]})
    np.testing.assert_allclose(est.predict(pairs), scores[0], rtol=1e-5, atol=1e-6)


def test_batch_equals_single_user(fitted):
    est, _, _ = fitted
    users = np.arange(20)
    batch_items, batch_scores = est.recommend(users, n=6)
    for u in users:
        items, scores = est.recommend([u], n=6)
        np.testing.assert_array_equal(items[0], batch_items[u])
        np.testing.assert_allclose(scores[0], batch_scores[u], rtol=1e-5, atol=1e-7)


def test_chunking_does_not_change_results(fitted):
    est, _, _ = fitted
    expected = est.recommend(np.arange(20), n=5)
    small = pickle.loads(pickle.dumps(est))
    small._score_budget = 7  # one user per chunk
    result = small.recommend(np.arange(20), n=5)
    np.testing.assert_array_equal(result[0], expected[0])
    np.testing.assert_allclose(result[1], expected[1], rtol=1e-5, atol=1e-7)


def test_exclude_seen(fitted):
    est, X, _ = fitted
    seen = set(X.loc[X.user == 2, "item"])
    items, _ = est.recommend([2], n=20)
    finite = np.isfinite(est.recommend([2], n=20)[1][0])
    assert not seen & set(items[0][finite])
    items, scores = est.recommend([2], n=20, exclude_seen=False)
    assert np.isfinite(scores).all()
    assert seen <= set(items[0])


def test_n_above_catalogue_size(fitted):
    est, X, _ = fitted
    items, scores = est.recommend([0, 1], n=1000)
    assert items.shape == (2, 20)
    n_seen = X.groupby("user").size().loc[[0, 1]].to_numpy()
    np.testing.assert_array_equal(np.isfinite(scores).sum(axis=1), 20 - n_seen)
    for row, finite in zip(items, np.isfinite(scores), strict=True):
        assert len(set(row[finite])) == finite.sum()


def test_candidate_items_and_exclusions(fitted):
    est, _, _ = fitted
    items, _ = est.recommend([0], n=3, exclude_seen=False, items=[1, 3, 5, 7])
    assert set(items[0]) <= {1, 3, 5, 7}
    items, _ = est.recommend([0], n=20, exclude_seen=False, exclude_items=[0, 2, 99])
    assert items.shape == (1, 18)
    assert not {0, 2} & set(items[0])
    items, _ = est.recommend([0], n=5, items=[0, 1, 2], exclude_items=[1])
    assert set(items[0]) == {0, 2}
    with pytest.raises(ValueError, match=r"unknown item id.*\[99\]"):
        est.recommend([0], items=[1, 99])


def test_similar_items(fitted):
    est, _, _ = fitted
    items, scores = est.similar_items([4, 5], n=3)
    assert items.shape == scores.shape == (2, 3)
    assert 4 not in items[0] and 5 not in items[1]
    assert (np.abs(scores) <= 1 + 1e-5).all()
    assert est.similar_items([4], n=100)[0].shape == (1, 19)


def test_unknown_ids_error_names_them(fitted):
    est, _, _ = fitted
    with pytest.raises(ValueError, match=r"unknown user id.*\[77, 99\]"):
        est.recommend([1, 99, 77])
    with pytest.raises(ValueError, match=r"unknown item id.*\[55\]"):
        est.predict(pd.DataFrame({"user": [1, 2], "item": [55, 3]}))


def test_unknown_ids_fallback(fitted):
    est, X, y = fitted
    est = clone(est).set_params(handle_unknown="fallback").fit(X, y)
    popularity = X["item"].value_counts()
    items, _ = est.recommend([0, 99], n=3)
    top = popularity.sort_values(ascending=False, kind="stable")
    assert set(items[1]) <= set(top.index[top >= top.iloc[2]])
    np.testing.assert_array_equal(items[0], est.recommend([0], n=3)[0][0])
    known = est.predict(X[:2])
    pred = est.predict(pd.DataFrame({"user": [0, 0, 99], "item": [X.item[0], 55, 55]}))
    assert pred[0] == pytest.approx(known[0])
    if est.loss == "mse" and isinstance(est, MatrixFactorization):
        mu, user_bias, _ = (t.detach().numpy() for t in est.module_.rating_baseline())
        assert pred[1] == pytest.approx(mu + user_bias[0], rel=1e-5)
        assert pred[2] == pytest.approx(mu, rel=1e-5)
    elif est.loss == "mse":
        assert pred[2] == pytest.approx(y.mean())
    else:
        assert pred[1] == pred[2] == 0


def test_pickle_round_trip(fitted):
    est, X, _ = fitted
    restored = pickle.loads(pickle.dumps(est))
    np.testing.assert_array_equal(restored.predict(X), est.predict(X))
    for a, b in zip(restored.recommend([1, 2]), est.recommend([1, 2]), strict=True):
        np.testing.assert_array_equal(a, b)


def test_loss_falls_during_training(fitted):
    est, _, _ = fitted
    losses = est.history_[:, "train_loss"]
    assert len(losses) == FAST["max_epochs"]
    assert losses[-1] < 0.5 * losses[0]


@pytest.mark.parametrize(("name", "loss"), ALL)
def test_same_random_state_same_model(name, loss):
    X, y = checkerboard(12, ratings=loss == "mse")
    a = (
        make(name, loss, max_epochs=3, dropout=0.2)
        if name == "ncf"
        else make(name, loss, max_epochs=3)
    )
    a.fit(X, y)
    b = clone(a).fit(X, y)
    c = clone(a).set_params(random_state=1).fit(X, y)
    for (key, wa), wb in zip(
        a.module_.state_dict().items(), b.module_.state_dict().values(), strict=True
    ):
        assert torch.equal(wa, wb), key
    np.testing.assert_array_equal(a.predict(X), b.predict(X))
    np.testing.assert_array_equal(a.recommend([0, 1])[0], b.recommend([0, 1])[0])
    assert not np.array_equal(a.predict(X), c.predict(X))


def test_fit_leaves_torch_global_rng_alone():
    X, _ = checkerboard(8)
    torch.manual_seed(123)
    expected = torch.rand(3)
    torch.manual_seed(123)
    NeuralRecommender(max_epochs=1, random_state=0).fit(X)
    assert torch.equal(torch.rand(3), expected)


def test_string_ids_and_extra_columns():
    X, y = checkerboard(10, ratings=True)
    X = pd.DataFrame(
        {
            "user": "u" + X.user.astype(str),
            "item": "film-" + X.item.astype(str),
            "timestamp": np.arange(len(X)),
        }
    )
    est = MatrixFactorization(n_factors=4, max_epochs=50, random_state=0).fit(X, y)
    assert est.users_[0] == "u0" and est.n_features_in_ == 3
    np.testing.assert_array_equal(est.feature_names_in_, ["user", "item", "timestamp"])
    items, _ = est.recommend(["u1", "u7"], n=2)
    assert items.shape == (2, 2) and str(items[0, 0]).startswith("film-")
    with (
        pytest.warns(UserWarning, match="feature names"),
        pytest.raises(ValueError, match="X has 2 features"),
    ):
        est.predict(X[["user", "item"]].to_numpy())


def test_row_order_does_not_change_vocabulary():
    X, y = checkerboard(8, ratings=True)
    est = MatrixFactorization(max_epochs=1).fit(X, y)
    shuffled = MatrixFactorization(max_epochs=1).fit(X[::-1], y[::-1])
    np.testing.assert_array_equal(est.users_, shuffled.users_)
    np.testing.assert_array_equal(est.items_, shuffled.items_)


def test_list_input_keeps_id_types():
    est = NeuralRecommender(max_epochs=1, random_state=0).fit([["a", 1], ["b", 2], ["a", 2]])
    assert list(est.items_) == [1, 2]
    assert est.recommend("b", n=1, exclude_seen=False)[0].dtype.kind == "i"


def test_mixed_id_types_are_a_type_error():
    with pytest.raises(TypeError, match="user ids mix types"):
        NeuralRecommender().fit(pd.DataFrame({"u": [1, "a"], "i": [1, 2]}))


def test_partial_fit_continues_and_updates_seen():
    X, _ = checkerboard(10)
    first = X.sample(frac=0.7, random_state=0)
    rest = X.drop(first.index)
    rest = rest[rest.user.isin(first.user) & rest.item.isin(first.item)]
    est = MatrixFactorization(loss="bce", max_epochs=2, random_state=0).fit(first)
    before = est.module_.item_factors.weight.detach().clone()
    n_seen = est.seen_.nnz
    est.partial_fit(rest)
    assert len(rest) > 5 and est.seen_.nnz == n_seen + len(rest)
    assert len(est.history_) == 4
    assert not torch.equal(before, est.module_.item_factors.weight)
    with pytest.raises(ValueError, match=r"unknown user id.*\['new'\]"):
        est.partial_fit(pd.DataFrame({"user": ["new"], "item": [1]}))


def test_binary_labels_with_bce():
    X, _ = checkerboard(10)
    y = np.ones(len(X))
    y[::3] = 0
    est = MatrixFactorization(loss="bce", max_epochs=2, random_state=0).fit(X, y)
    assert ((est.predict(X) >= 0) & (est.predict(X) <= 1)).all()


def test_unfitted_queries_raise_not_fitted():
    est = NeuralRecommender()
    for call in (
        lambda: est.predict([[1, 2]]),
        lambda: est.recommend([1]),
        lambda: est.score([[1, 2]]),
    ):
        with pytest.raises(NotFittedError):
            call()


def test_no_predict_proba():
    assert not hasattr(NeuralRecommender(), "predict_proba")
