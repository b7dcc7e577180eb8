"""Bad input gets a clear error that names the parameter and what was expected."""

import numpy as np
import pandas as pd
import pytest
from scipy import sparse

from sklearn_rec import MatrixFactorization, NeuralRecommender

X = pd.DataFrame({"user": [1, 1, 2, 2, 3], "item": [1, 2, 2, 3, 1]})
Y = np.array([4.0, 3.0, 5.0, 1.0, 2.0])
ESTIMATORS = [MatrixFactorization, NeuralRecommender]


@pytest.mark.parametrize("Estimator", ESTIMATORS)
@pytest.mark.parametrize(
    ("X_bad", "match"),
    [
        (np.array([1, 2, 3]), "Expected 2D array"),
        (np.array([[1], [2]]), r"1 feature\(s\).*minimum of 2 is required"),
        (X[["user"]], r"1 feature\(s\).*minimum of 2 is required"),
        (np.empty((0, 2)), r"0 sample\(s\)"),
        (X.iloc[:0], r"0 sample\(s\)"),
        (np.array([[1.0, np.nan], [2.0, 1.0]]), "item ids contain NaN"),
        (np.array([[np.inf, 1.0], [2.0, 1.0]]), "user ids contain NaN or inf"),
        (pd.DataFrame({"u": [1, None], "i": ["a", "b"]}), "user ids contain NaN"),
    ],
)
def test_bad_X(Estimator, X_bad, match):
    with pytest.raises(ValueError, match=match):
        Estimator(loss="bce").fit(X_bad)


@pytest.mark.parametrize("Estimator", ESTIMATORS)
def test_sparse_X(Estimator):
    with pytest.raises(TypeError, match="Sparse data was passed for X"):
        Estimator(loss="bce").fit(sparse.csr_matrix(np.ones((3, 2))))


@pytest.mark.parametrize("Estimator", ESTIMATORS)
@pytest.mark.parametrize(
    ("y_bad", "match"),
    [
        (np.array([1.0, np.nan, 2.0, 3.0, 4.0]), "Input y contains NaN"),
        (np.array([1.0, np.inf, 2.0, 3.0, 4.0]), "Input y contains infinity"),
        (np.array([1.0, 2.0]), "inconsistent numbers of samples: X has 5 rows, y has 2"),
        (np.array(["a", "b", "c", "d", "e"]), "y must be numeric"),
    ],
)
def test_bad_ratings(Estimator, y_bad, match):
    with pytest.raises(ValueError, match=match):
        Estimator(loss="mse").fit(X, y_bad)


@pytest.mark.parametrize("Estimator", ESTIMATORS)
def test_mse_requires_y(Estimator):
    with pytest.raises(ValueError, match=r"requires y to be passed.*loss='mse'"):
        Estimator(loss="mse").fit(X)


@pytest.mark.parametrize("Estimator", ESTIMATORS)
@pytest.mark.parametrize("loss", ["bce", "bpr"])
def test_non_binary_y_with_ranking_loss(Estimator, loss):
    with pytest.raises(ValueError, match=r"binary 0/1 labels.*got values \[1\. 2\. 3\. 4\. 5\.\]"):
        Estimator(loss=loss).fit(X, Y)


@pytest.mark.parametrize("Estimator", ESTIMATORS)
@pytest.mark.parametrize(
    ("params", "error", "match"),
    [
        (
            {"loss": "hinge"},
            ValueError,
            r"'loss' parameter of {} must be a str among \{{.*"
            r"'sampled_softmax'.*\}}\. Got 'hinge' instead",
        ),
        (
            {"loss": "bce", "n_negatives": -1},
            ValueError,
            r"'n_negatives' parameter of {} must be an int in the range \[0, inf\)(\.| or a str "
            r"among \{{'auto'\}}\.) Got -1",
        ),
        (
            {"loss": "bpr", "n_negatives": 0},
            ValueError,
            r"n_negatives must be >= 1 with loss='bpr'.*got 0",
        ),
        (
            {"loss": "bce", "n_negatives": 2.5},
            TypeError,
            r"'n_negatives' parameter of {} must be an int .*Got 2\.5 instead",
        ),
        (
            {"handle_unknown": "ignore"},
            ValueError,
            r"'handle_unknown' parameter of {} must be a str among .*Got 'ignore' instead",
        ),
        (
            {"negative_sampling": "popular"},
            ValueError,
            r"'negative_sampling' parameter of {} must be a str among .*Got 'popular'",
        ),
        (
            {"lr": -0.1},
            ValueError,
            r"'lr' parameter of {} must be a float in the range \(0(\.0)?, inf\)",
        ),
        (
            {"weight_decay": -1.0},
            ValueError,
            r"'weight_decay' parameter of {} must be a float in the range",
        ),
        (
            {"max_epochs": -1},
            ValueError,
            r"'max_epochs' parameter of {} must be an int in the range \[0, inf\)",
        ),
        (
            {"batch_size": 0},
            ValueError,
            r"'batch_size' parameter of {} must be an int in the range \[1, inf\)",
        ),
        (
            {"random_state": "seed"},
            ValueError,
            r"'random_state' parameter of {} must be .*Got 'seed'",
        ),
    ],
)
def test_bad_hyperparameters(Estimator, params, error, match):
    with pytest.raises(error, match=match.format(Estimator.__name__)):
        Estimator(**params).fit(X, Y)


@pytest.mark.parametrize(
    ("params", "error", "match"),
    [
        (
            {"embedding_dim": 0},
            ValueError,
            r"'embedding_dim' parameter .* range \[1, inf\)\. Got 0",
        ),
        ({"hidden_units": (8, 0)}, ValueError, "hidden_units must be a tuple of positive ints"),
        ({"hidden_units": 8}, ValueError, "hidden_units must be a tuple of positive ints"),
        ({"dropout": 1.0}, ValueError, r"'dropout' parameter .* range \[0\.0, 1\.0\)\. Got 1\.0"),
        ({"activation": "swish"}, ValueError, r"'activation' parameter .*Got 'swish' instead"),
        ({"architecture": "gmf"}, ValueError, r"'architecture' parameter .*Got 'gmf' instead"),
    ],
)
def test_bad_neural_hyperparameters(params, error, match):
    with pytest.raises(error, match=match):
        NeuralRecommender(loss="bce", **params).fit(X)


def test_bad_n_factors():
    with pytest.raises(
        ValueError, match=r"'n_factors' parameter .* range \[1, inf\)\. Got 0 instead"
    ):
        MatrixFactorization(n_factors=0).fit(X, Y)


def test_failed_fit_leaves_fitted_model_intact():
    est = MatrixFactorization(max_epochs=1, random_state=0).fit(X, Y)
    before = est.predict(X)
    with pytest.raises(ValueError):
        est.fit(X, np.full(5, np.nan))
    np.testing.assert_array_equal(est.predict(X), before)


def test_bad_query_arguments():
    est = MatrixFactorization(max_epochs=1, random_state=0).fit(X, Y)
    with pytest.raises(ValueError, match="n must be >= 1, got 0"):
        est.recommend([1], n=0)
    with pytest.raises(TypeError, match="n must be an int"):
        est.recommend([1], n=2.0)
    with pytest.raises(TypeError, match="exclude_seen must be a bool"):
        est.recommend([1], exclude_seen="yes")
    with pytest.raises(ValueError, match="users must be a 1-D collection"):
        est.recommend([[1, 2]])
    with pytest.raises(ValueError, match=r"unknown item id.*\[9\].*Only known items"):
        est.similar_items([9])


def test_failed_fit_keeps_the_fitted_columns():
    est = MatrixFactorization(max_epochs=1, random_state=0).fit(X, Y)
    with pytest.raises(ValueError, match="Input y contains NaN"):
        est.fit(X.assign(extra=1), np.full(5, np.nan))
    assert est.n_features_in_ == 2
    est.predict(X)
