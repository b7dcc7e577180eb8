"""The estimators learn planted structure and MovieLens better than the baselines."""

import numpy as np
import pytest

from sklearn_rec import MatrixFactorization, NeuralRecommender
from sklearn_rec.datasets import fetch_movielens, make_interactions
from sklearn_rec.metrics import ndcg_at_k
from sklearn_rec.model_selection import UserHoldoutSplit


@pytest.fixture(scope="module")
def split():
    X, y = make_interactions(
        n_users=300,
        n_items=150,
        n_interactions=12_000,
        n_factors=4,
        popularity_skew=0.3,
        selection_strength=8.0,
        noise=0.3,
        random_state=0,
    )
    train, test = next(UserHoldoutSplit(random_state=0).split(X))
    return X.iloc[train], y[train], X.iloc[test], y[test]


def popularity_ndcg(X_train, X_test):
    popularity = X_train.item.value_counts().index
    seen = X_train.groupby("user").item.apply(set)
    truth = X_test.groupby("user").item.apply(list)
    ranked = [[i for i in popularity if i not in seen[u]][:10] for u in truth.index]
    return ndcg_at_k(list(truth), ranked, k=10)


@pytest.mark.parametrize(
    "estimator",
    [
        MatrixFactorization(n_factors=4, loss="bpr", random_state=0),
        NeuralRecommender(random_state=0),
    ],
    ids=["mf-bpr", "ncf-bce"],
)
def test_ranking_beats_popularity(split, estimator):
    X_train, _, X_test, _ = split
    baseline = popularity_ndcg(X_train, X_test)
    ndcg = estimator.fit(X_train).score(X_test)
    assert ndcg > 1.25 * baseline, (ndcg, baseline)


@pytest.mark.parametrize(
    "estimator",
    [
        MatrixFactorization(n_factors=4, random_state=0),
        NeuralRecommender(embedding_dim=8, loss="mse", lr=0.01, random_state=0),
    ],
    ids=["mf-mse", "ncf-mse"],
)
def test_ratings_beat_global_mean(split, estimator):
    X_train, y_train, X_test, y_test = split
    baseline = np.sqrt(np.mean((y_test - y_train.mean()) ** 2))
    rmse = np.sqrt(np.mean((estimator.fit(X_train, y_train).predict(X_test) - y_test) ** 2))
    assert rmse < 0.92 * baseline, (rmse, baseline)


@pytest.fixture(scope="module")
def movielens_slice(movielens_home):
    """The first 300 users of MovieLens-100K, split by a per-user 20% holdout."""
    X = fetch_movielens("100k", data_home=movielens_home).frame
    X = X.loc[X.user <= 300, ["user", "item"]]
    train, test = next(UserHoldoutSplit(random_state=0).split(X))
    return X.iloc[train], X.iloc[test]


# Each margin sits 5-15% under what the estimator scores (popularity:
# NDCG@10 0.210; MF softmax 0.401, MF BPR 0.361, NeuMF sampled softmax 0.310,
# NCF-MLP BCE 0.244).
@pytest.mark.parametrize(
    ("estimator", "margin"),
    [
        (MatrixFactorization(loss="softmax", random_state=0), 1.6),
        (MatrixFactorization(loss="bpr", random_state=0), 1.45),
        (
            NeuralRecommender(
                architecture="neumf", loss="sampled_softmax", n_negatives=20, random_state=0
            ),
            1.25,
        ),
        (NeuralRecommender(random_state=0), 1.1),
    ],
    ids=["mf-softmax", "mf-bpr", "neumf-sampled-softmax", "ncf-bce"],
)
def test_movielens_ranking_margin_over_popularity(movielens_slice, estimator, margin):
    X_train, X_test = movielens_slice
    baseline = popularity_ndcg(X_train, X_test)
    ndcg = estimator.fit(X_train).score(X_test)
    assert ndcg > margin * baseline, (ndcg, baseline)
