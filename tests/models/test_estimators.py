"""Recommender behaviour of the estimators (checks beyond scikit-learn's)."""

import pickle

import numpy as np
import pandas as pd
import pytest
import torch
from sklearn.exceptions import NotFittedError
from skorch.callbacks import Callback

from sklearn_rec import MatrixFactorization, NeuralRecommender
from sklearn_rec.utils.estimator_checks import (
    checkerboard,
    parametrize_with_recommender_checks,
)

FAST = {"max_epochs": 150, "batch_size": 64, "random_state": 0}
LOSSES = ("mse", "bce", "bpr", "softmax", "sampled_softmax")
# The default penalty of a full softmax (0.1, for real catalogues) holds the
# 20-item checkerboard's loss far above its floor.
MF_PARAMS = {"softmax": {"weight_decay": 0.01}}
ESTIMATORS = (
    [
        MatrixFactorization(n_factors=4, loss=loss, **FAST, **MF_PARAMS.get(loss, {}))
        for loss in LOSSES
    ]
    + [
        NeuralRecommender(embedding_dim=4, hidden_units=(8,), loss=loss, lr=0.01, **FAST)
        for loss in LOSSES
    ]
    + [
        NeuralRecommender(
            embedding_dim=4, hidden_units=(8,), architecture="neumf", dropout=0.2, lr=0.01, **FAST
        ),
        MatrixFactorization(n_factors=4, loss="bpr", sparse=True, **FAST),
        NeuralRecommender(
            embedding_dim=4, hidden_units=(8,), loss="bpr", lr=0.01, sparse=True, **FAST
        ),
    ]
)


@parametrize_with_recommender_checks(ESTIMATORS)
def test_recommender_checks(estimator, check):
    check(estimator)


@pytest.mark.parametrize("estimator", ESTIMATORS, ids=repr)
def test_chunking_does_not_change_results(estimator):
    X, y = checkerboard(ratings=estimator.loss == "mse")
    model = pickle.loads(pickle.dumps(estimator)).fit(X, y)
    expected = model.recommend(np.arange(20), n=5)
    model._score_budget = 7  # one user per chunk
    result = model.recommend(np.arange(20), n=5)
    np.testing.assert_array_equal(result[0], expected[0])
    # float32 sums of another order: a few units in the last place of the largest score.
    atol = 1e-6 * np.abs(expected[1]).max()
    np.testing.assert_allclose(result[1], expected[1], rtol=1e-5, atol=atol)


def test_matrix_factorization_rating_fallback():
    X, y = checkerboard(ratings=True)
    model = MatrixFactorization(n_factors=4, handle_unknown="fallback", **FAST).fit(X, y)
    mu, user_bias, item_bias = (t.detach().numpy() for t in model.module_.rating_baseline())
    pairs = pd.DataFrame({"user": [0, 99, 99], "item": [55, 3, 55]})
    np.testing.assert_allclose(
        model.predict(pairs), [mu + user_bias[0], mu + item_bias[3], mu], rtol=1e-5
    )


def test_neural_rating_fallback_is_the_mean():
    X, y = checkerboard(ratings=True)
    model = NeuralRecommender(loss="mse", handle_unknown="fallback", max_epochs=1).fit(X, y)
    np.testing.assert_allclose(model.predict(pd.DataFrame({"user": [99], "item": [0]})), y.mean())


@pytest.mark.parametrize("loss", ["bce", "bpr"])
def test_ranking_fallback_is_popularity(loss):
    X, _ = checkerboard()
    model = MatrixFactorization(loss=loss, handle_unknown="fallback", max_epochs=1).fit(X)
    scores = model.predict(pd.DataFrame({"user": [99, 99, 0], "item": [0, 55, 55]}))
    np.testing.assert_allclose(scores, [1.0, 0.0, 0.0])


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
    with pytest.raises(ValueError, match=r"unknown user id.*\['new'\].*refit to add"):
        est.partial_fit(pd.DataFrame({"user": ["new"], "item": [1]}))


def test_partial_fit_on_ratings_improves_the_new_pairs_and_needs_y():
    X, y = checkerboard(10, ratings=True)
    first = (X.user + X.item) % 3 != 0
    est = MatrixFactorization(n_factors=4, max_epochs=5, lr=0.05, random_state=0)
    est.fit(X[first], y[first])
    new_X, new_y = X[~first], y[~first]
    new_X = new_X[new_X.user.isin(est.users_) & new_X.item.isin(est.items_)]
    new_y = y[new_X.index]
    error_before = np.mean((est.predict(new_X) - new_y) ** 2)
    seen_before = est.seen_.copy()
    with pytest.raises(ValueError, match=r"requires y to be passed.*loss='mse'"):
        est.partial_fit(new_X)
    assert (est.seen_ != seen_before).nnz == 0 and len(est.history_) == 5
    est.partial_fit(new_X, new_y)
    assert est.seen_.nnz == seen_before.nnz + len(new_X)
    assert np.mean((est.predict(new_X) - new_y) ** 2) < error_before


def test_binary_labels_with_bce():
    X, _ = checkerboard(10)
    y = np.ones(len(X))
    y[::3] = 0
    est = MatrixFactorization(loss="bce", max_epochs=2, random_state=0).fit(X, y)
    assert ((est.predict(X) >= 0) & (est.predict(X) <= 1)).all()


@pytest.mark.parametrize("Estimator", [MatrixFactorization, NeuralRecommender])
def test_bce_without_negatives_learns_the_given_labels(Estimator):
    # n_negatives=0: plain binary cross-entropy on the labels of y, here
    # every pair of a 10 x 10 grid labelled by whether the parities match.
    users, items = np.divmod(np.arange(100), 10)
    X = pd.DataFrame({"user": users, "item": items})
    y = (users % 2 == items % 2).astype(float)
    est = Estimator(loss="bce", n_negatives=0, lr=0.05, max_epochs=60, batch_size=32)
    est.set_params(random_state=0).fit(X, y)
    assert est.history_[-1, "train_loss"] < 0.5 * est.history_[0, "train_loss"]
    assert np.mean((est.predict(X) > 0.5) == y) > 0.9


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


@pytest.mark.parametrize("n_items", [2559, 2560, 2561, 7000])
def test_recommend_matches_brute_force_on_wide_catalogues(n_items):
    # From 4 * n * 64 items on, recommend selects in two stages (block
    # maxima, then their columns); the lists must equal a full sort.
    rng = np.random.default_rng(0)
    X = pd.DataFrame(
        {
            "user": np.repeat(np.arange(30), 40),
            "item": np.concatenate([rng.choice(n_items, 40, replace=False) for _ in range(30)]),
        }
    )
    est = MatrixFactorization(
        n_factors=8, loss="bpr", max_epochs=0, item_ids=np.arange(n_items), random_state=0
    ).fit(X)
    module = est.module_
    with torch.no_grad():
        module.user_bias.weight.normal_(generator=torch.Generator().manual_seed(1))
        module.item_bias.weight.normal_(generator=torch.Generator().manual_seed(2))
        users = torch.arange(est.n_users_)
        scores = (module.score_matrix(users).T + module.user_offset(users)).T.double().numpy()
    scores[est.seen_.nonzero()] = -np.inf
    expected = np.argsort(-scores, axis=1, kind="stable")[:, :10]
    got, got_scores = est.recommend(est.users_, n=10)
    np.testing.assert_array_equal(got, expected)
    np.testing.assert_allclose(got_scores, np.take_along_axis(scores, expected, 1), rtol=1e-5)


def test_queries_for_no_ids_return_empty_lists():
    X, _ = checkerboard(10)
    est = MatrixFactorization(loss="bpr", max_epochs=1, random_state=0).fit(X)
    for items, scores in (est.recommend([], n=3), est.similar_items([], n=3)):
        assert items.shape == scores.shape == (0, 3)


def test_topk_rows_equals_torch_topk():
    from sklearn_rec.models._topk import topk_rows

    g = torch.Generator().manual_seed(0)
    for n_columns in (5, 2559, 2560, 2561, 9000):
        for k in (1, 3, 10):
            scores = torch.randn(40, n_columns, generator=g)
            scores[scores < -1.5] = -torch.inf
            scores[:4] = -torch.inf  # nothing eligible
            scores[4:8, :-3] = -torch.inf  # fewer than k eligible
            scores[8:12] = scores[8:12].round()  # ties
            k = min(k, n_columns)
            best, index = topk_rows(scores, k)
            expected, _ = torch.topk(scores, k, dim=1)
            torch.testing.assert_close(best, expected)
            torch.testing.assert_close(scores.gather(1, index), best)
            assert ((index >= 0) & (index < n_columns)).all()
            for row, finite in zip(index, torch.isfinite(best), strict=True):
                assert len(set(row[finite].tolist())) == int(finite.sum())


class _NegativesPerRow(Callback):
    """Records the number of items of each training row (1 + the negatives)."""

    def initialize(self):
        self.widths = set()
        return self

    def on_batch_begin(self, net, batch=None, training=False, **kwargs):
        if training:
            item = batch[0]["item"]
            self.widths.add(1 if item.dim() == 1 else item.shape[1])


@pytest.mark.parametrize(
    ("params", "width"),
    [
        ({}, 51),  # the default: sampled_softmax, 50 negatives
        ({"loss": "bce"}, 5),
        ({"loss": "bpr"}, 5),
        ({"loss": "sampled_softmax", "n_negatives": 7}, 8),
        ({"loss": "bce", "n_negatives": 7}, 8),
    ],
)
def test_ncf_n_negatives_auto_follows_the_loss(params, width):
    X, _ = checkerboard()
    record = _NegativesPerRow()
    NeuralRecommender(max_epochs=1, callbacks=[record], random_state=0, **params).fit(X)
    assert record.widths == {width}


def test_mf_n_negatives_auto_is_refused():
    X, _ = checkerboard()
    with pytest.raises(ValueError, match="n_negatives"):
        MatrixFactorization(loss="sampled_softmax", n_negatives="auto").fit(X)
