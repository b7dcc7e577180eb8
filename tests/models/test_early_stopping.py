"""Early stopping on a per-user holdout of the training interactions."""

import numpy as np
import pytest

from sklearn_rec import MatrixFactorization, NeuralRecommender
from sklearn_rec.datasets import make_interactions
from sklearn_rec.utils.estimator_checks import checkerboard


def _distinct_pairs(X):
    return len(X[["user", "item"]].drop_duplicates())


@pytest.mark.parametrize("loss", ["bpr", "softmax"])
def test_validation_scores_and_best_epoch(implicit, loss):
    model = MatrixFactorization(
        loss=loss, max_epochs=8, early_stopping=True, n_iter_no_change=8, random_state=0
    ).fit(implicit)
    assert model.n_iter_ == 8 == len(model.validation_scores_)
    assert model.best_score_ == max(model.validation_scores_)
    assert 0 < model.best_score_ <= 1
    # The held-out pairs join seen_ after training: every pair of X is seen.
    assert model.seen_.nnz == _distinct_pairs(implicit)


def test_the_best_epochs_weights_are_restored(implicit):
    def fit(max_epochs):
        return MatrixFactorization(
            loss="bpr",
            lr=0.05,
            max_epochs=max_epochs,
            early_stopping=True,
            n_iter_no_change=max_epochs,
            tol=0.0,
            random_state=0,
        ).fit(implicit)

    long = fit(12)
    best_epoch = int(np.argmax(long.validation_scores_)) + 1
    assert best_epoch < 12, long.validation_scores_  # lr=0.05 overfits: the test has a point
    short = fit(best_epoch)
    np.testing.assert_array_equal(short.validation_scores_, long.validation_scores_[:best_epoch])
    np.testing.assert_allclose(short.predict(implicit[:50]), long.predict(implicit[:50]))


def test_training_stops_after_n_iter_no_change(implicit):
    # No improvement can exceed tol=1: every epoch after the first is a miss.
    model = MatrixFactorization(
        loss="bpr", max_epochs=10, early_stopping=True, n_iter_no_change=2, tol=1.0
    ).fit(implicit)
    assert model.n_iter_ == 3
    assert len(model.history_) == 3
    assert model.best_score_ == model.validation_scores_[0]


def test_ratings_are_scored_by_minus_the_rmse(ratings):
    X, y = ratings
    model = MatrixFactorization(max_epochs=5, early_stopping=True, random_state=0).fit(X, y)
    assert all(score < 0 for score in model.validation_scores_)
    assert -1.5 < model.best_score_ < -0.5


def test_without_early_stopping(implicit):
    model = MatrixFactorization(loss="bpr", max_epochs=3, early_stopping=False).fit(implicit)
    assert model.n_iter_ == 3
    assert model.best_score_ is None and model.validation_scores_ is None
    assert model.seen_.nnz == _distinct_pairs(implicit)


def test_auto_depends_on_the_number_of_rows():
    small, _ = make_interactions(n_users=50, n_items=40, n_interactions=1500, random_state=0)
    large, _ = make_interactions(n_users=50, n_items=40, n_interactions=2000, random_state=0)
    for X, expected in ((small, None), (large, 2)):
        model = MatrixFactorization(loss="bpr", max_epochs=2, early_stopping="auto").fit(X)
        validated = None if model.validation_scores_ is None else len(model.validation_scores_)
        assert validated == expected


def test_early_stopping_is_deterministic(implicit):
    def scores():
        model = NeuralRecommender(max_epochs=4, early_stopping=True, random_state=3)
        return model.fit(implicit).validation_scores_

    assert scores() == scores()


def test_partial_fit_never_stops_early(implicit):
    model = MatrixFactorization(
        loss="bpr", max_epochs=3, early_stopping=True, n_iter_no_change=1, tol=1.0
    ).fit(implicit)
    assert model.n_iter_ == 2
    model.partial_fit(implicit)
    assert model.n_iter_ == 5


def test_partial_fit_on_an_unfitted_model_does_not_stop_early(implicit):
    model = NeuralRecommender(max_epochs=3, early_stopping=True, n_iter_no_change=1, tol=1.0)
    model.partial_fit(implicit)
    assert model.n_iter_ == 3 and model.validation_scores_ is None
    # fit, afterwards, stops early again.
    assert model.fit(implicit).validation_scores_ is not None


@pytest.mark.parametrize(
    ("params", "match"),
    [
        ({"early_stopping": "yes"}, r"'early_stopping' parameter .*Got 'yes' instead"),
        ({"validation_fraction": 1.0}, r"'validation_fraction' parameter .* range \(0\.0, 1\.0\)"),
        ({"validation_fraction": 0}, r"'validation_fraction' parameter .*Got 0 instead"),
        ({"n_iter_no_change": 0}, r"'n_iter_no_change' parameter .* range \[1, inf\)"),
        ({"tol": -1.0}, r"'tol' parameter .* range \[0(\.0)?, inf\)\. Got -1\.0"),
        ({"batch_size": "big"}, r"'batch_size' parameter .*Got 'big' instead"),
    ],
)
def test_invalid_parameters(implicit, params, match):
    with pytest.raises((ValueError, TypeError), match=match):
        NeuralRecommender(max_epochs=1, **params).fit(implicit)


@pytest.mark.parametrize("seed", range(8))
@pytest.mark.parametrize(
    "params",
    [{}, {"architecture": "mlp", "loss": "bce", "n_negatives": 4}],
    ids=["defaults", "classic-ncf"],
)
def test_ncf_learns_the_checkerboard(params, seed):
    # User u likes the items of u's parity; item u is withheld. NeuralRecommender
    # at its defaults (NeuMF, sampled softmax) and the classic NCF (MLP, bce, 4
    # negatives) with the other defaults rank it first for every user.
    X, _ = checkerboard()
    users = np.sort(X.user.unique())
    items, _ = NeuralRecommender(random_state=seed, **params).fit(X).recommend(users, n=1)
    assert (items[:, 0] == users).mean() >= 0.95
