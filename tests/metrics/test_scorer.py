import pickle

import numpy as np
import pandas as pd
import pytest

from sklearn_rec import MatrixFactorization
from sklearn_rec.metrics import make_ranking_scorer, ndcg_at_k, recall_at_k
from sklearn_rec.utils.estimator_checks import checkerboard


@pytest.fixture(scope="module")
def model():
    X, _ = checkerboard(12)
    return MatrixFactorization(
        n_factors=4, loss="bpr", max_epochs=100, batch_size=32, random_state=0
    ).fit(X)


def test_scorer_matches_recommend_and_metric(model):
    X_test = pd.DataFrame({"user": [0, 0, 1, 5], "item": [0, 3, 1, 7]})
    items, _ = model.recommend([0, 1, 5], n=3)
    expected = recall_at_k([[0, 3], [1], [7]], items, k=3)
    assert make_ranking_scorer("recall", k=3)(model, X_test) == pytest.approx(expected)
    # The diagonal is each user's best unseen item: perfect hit rate.
    diagonal = pd.DataFrame({"user": range(12), "item": range(12)})
    assert make_ranking_scorer("hit_rate", k=1)(model, diagonal) == 1.0
    assert model.score(diagonal) == pytest.approx(1.0)


def test_score_is_ndcg_at_10(model):
    X_test = pd.DataFrame({"user": [0, 1, 1, 2], "item": [1, 1, 3, 2]})
    items, scores = model.recommend([0, 1, 2], n=10)
    # 7 unseen items per user: the last 3 positions are padding.
    assert np.isinf(scores[:, 7:]).all() and np.isfinite(scores[:, :7]).all()
    expected = ndcg_at_k([[1], [1, 3], [2]], items[:, :7], k=10)
    assert model.score(X_test) == pytest.approx(expected)


def test_rows_with_non_positive_y_are_not_relevant(model):
    X_test = pd.DataFrame({"user": [0, 0, 1], "item": [0, 1, 1]})
    scorer = make_ranking_scorer("recall", k=1)
    assert scorer(model, X_test, y=[1, 0, 1]) == 1.0
    assert scorer(model, X_test) == pytest.approx(0.75)


def test_padding_positions_never_count(model):
    # Users see 5 of 12 items: k=12 leaves 7 eligible items and 5 padded ones.
    X_test = pd.DataFrame({"user": [0], "item": [2]})  # seen in training
    assert make_ranking_scorer("hit_rate", k=12)(model, X_test) == 0.0
    assert make_ranking_scorer("hit_rate", k=12, exclude_seen=False)(model, X_test) == 1.0


def test_callable_metric_and_pickle(model):
    X_test = pd.DataFrame({"user": [3], "item": [3]})
    scorer = pickle.loads(pickle.dumps(make_ranking_scorer(ndcg_at_k, k=5)))
    assert scorer(model, X_test) == pytest.approx(1.0)
    assert repr(scorer) == "make_ranking_scorer('ndcg_at_k', k=5, exclude_seen=True)"


@pytest.mark.parametrize(
    ("args", "kwargs", "error", "match"),
    [
        (("auc",), {}, ValueError, "metric must be one of"),
        (("ndcg",), {"k": 0}, ValueError, "k must be >= 1"),
        (("ndcg",), {"exclude_seen": 1}, TypeError, "exclude_seen must be a bool"),
    ],
)
def test_bad_arguments(args, kwargs, error, match):
    with pytest.raises(error, match=match):
        make_ranking_scorer(*args, **kwargs)


def test_unknown_test_users_follow_the_estimator_policy(model):
    X_test = pd.DataFrame({"user": [0, 99], "item": [0, 1]})
    with pytest.raises(ValueError, match=r"unknown user id.*\[99\]"):
        model.score(X_test)
    fallback = pickle.loads(pickle.dumps(model)).set_params(handle_unknown="fallback")
    assert 0 <= fallback.score(X_test) <= 1
    assert np.isfinite(fallback.score(X_test))
