import pickle

import numpy as np
import pandas as pd
import pytest
from scipy import sparse

from sklearn_rec import MatrixFactorization
from sklearn_rec.metrics import make_ranking_scorer, ndcg_at_k, recall_at_k
from sklearn_rec.metrics._scorer import _sample_unseen
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


def test_positive_threshold_decides_relevance(model):
    X_test = pd.DataFrame({"user": [0, 0, 1, 2], "item": [0, 1, 1, 3]})
    ratings = [5, 2, 4, 3]
    scorer = make_ranking_scorer("recall", k=1, positive_threshold=4)
    # User 0's best unseen item is 0 (rated 5), user 1's is 1; user 2 likes nothing.
    assert scorer(model, X_test, ratings) == 1.0
    assert make_ranking_scorer("recall", k=1)(model, X_test, ratings) == pytest.approx(0.5)
    # Thresholds count the rows rated at least them: 1 and 2 of user 0 are relevant.
    low = make_ranking_scorer("recall", k=1, positive_threshold=2)
    assert low(model, X_test, ratings) == pytest.approx((0.5 + 1 + 0) / 3)
    with pytest.raises(ValueError, match=r"positive_threshold=4.0 counts .* y is None"):
        scorer(model, X_test)


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
        (("ndcg",), {"n_negatives": 0}, ValueError, "n_negatives must be >= 1"),
        (("ndcg",), {"random_state": "x"}, ValueError, "cannot be used to seed"),
        (("ndcg",), {"positive_threshold": "4"}, TypeError, "positive_threshold must be a real"),
        (("ndcg",), {"positive_threshold": np.nan}, ValueError, "positive_threshold must be fin"),
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


def sample_per_user(estimator, users, relevant, n_negatives, random_state):
    owner = np.repeat(np.arange(len(relevant)), [len(items) for items in relevant])
    targets = np.concatenate(relevant)
    return _sample_unseen(estimator, users, owner, targets, n_negatives, random_state)


class ScoreByItemId:
    """A stand-in recommender whose score of an item is minus its id."""

    def __init__(self, n_users=30, n_items=200, seed=0):
        rng = np.random.default_rng(seed)
        self.users_ = np.arange(n_users)
        self.items_ = np.arange(n_items)
        dense = rng.random((n_users, n_items)) < 0.2
        self.seen_ = sparse.csr_matrix(dense.astype(np.float32))

    def score_items(self, users, items):
        return -np.asarray(items, dtype=float)


def test_sampled_negatives_are_unseen_distinct_and_seeded():
    est = ScoreByItemId()
    relevant = [np.array([u, u + 1]) for u in range(30)]
    negatives = sample_per_user(est, np.arange(30), relevant, 50, 0)
    assert negatives.shape == (30, 50)
    seen = est.seen_.toarray().astype(bool)
    for u, row in enumerate(negatives):
        assert len(set(row)) == 50
        assert not seen[u, row].any()
        assert not set(row) & set(relevant[u])
    np.testing.assert_array_equal(negatives, sample_per_user(est, np.arange(30), relevant, 50, 0))
    assert not np.array_equal(negatives, sample_per_user(est, np.arange(30), relevant, 50, 1))


@pytest.mark.parametrize("metric", ["hit_rate", "ndcg"])
def test_sampled_protocol_against_hand_computed_ranks(metric):
    est = ScoreByItemId()
    X = pd.DataFrame({"user": [0, 0, 1, 2, 3], "item": [10, 150, 40, 199, 3]})
    scorer = make_ranking_scorer(metric, k=10, n_negatives=99, random_state=0)
    relevant = [np.array([10, 150]), np.array([40]), np.array([199]), np.array([3])]
    negatives = sample_per_user(est, np.arange(4), relevant, 99, 0)
    per_user = []
    for u, items in enumerate(relevant):
        values = []
        for target in items:
            # Higher score for lower ids; the target loses ties (there are none here).
            rank = int((negatives[u] < target).sum())
            if metric == "hit_rate":
                values.append(float(rank < 10))
            else:
                values.append(1 / np.log2(rank + 2) if rank < 10 else 0.0)
        per_user.append(np.mean(values))
    assert scorer(est, X) == pytest.approx(np.mean(per_user))


def test_sampled_protocol_target_loses_ties():
    class Constant(ScoreByItemId):
        def score_items(self, users, items):
            return np.zeros(np.shape(items))

    X = pd.DataFrame({"user": [0, 1], "item": [5, 6]})
    assert make_ranking_scorer("hit_rate", k=99, n_negatives=99, random_state=0)(Constant(), X) == 0
    assert (
        make_ranking_scorer("hit_rate", k=100, n_negatives=99, random_state=0)(Constant(), X) == 1
    )


def test_sampled_protocol_on_a_fitted_model(model):
    diagonal = pd.DataFrame({"user": range(12), "item": range(12)})
    # 6 opposite-parity items are unseen and not relevant: a perfect model ranks u first.
    scorer = make_ranking_scorer("hit_rate", k=1, n_negatives=6, random_state=0)
    assert scorer(model, diagonal) == 1.0
    with pytest.raises(ValueError, match="n_negatives=7 exceeds the 6 items"):
        make_ranking_scorer("hit_rate", n_negatives=7)(model, diagonal)


def test_score_items_matches_predict(model):
    items = np.array([[0, 2, 4], [1, 3, 5]])
    scores = model.score_items([0, 1], items)
    pairs = pd.DataFrame({"user": [0, 0, 0, 1, 1, 1], "item": items.ravel()})
    np.testing.assert_allclose(scores.ravel(), model.predict(pairs))
    with pytest.raises(ValueError, match="items must be 2-D with one row per user"):
        model.score_items([0], items)
