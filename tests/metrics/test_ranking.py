import warnings

import numpy as np
import pandas as pd
import pytest
from sklearn.exceptions import UndefinedMetricWarning
from sklearn.metrics import ndcg_score

from sklearn_rec.metrics import (
    hit_rate_at_k,
    map_at_k,
    mrr_at_k,
    ndcg_at_k,
    precision_at_k,
    recall_at_k,
)

METRICS = [
    hit_rate_at_k,
    map_at_k,
    mrr_at_k,
    ndcg_at_k,
    precision_at_k,
    recall_at_k,
]

# Ragged rows, a row shorter than k, a repeated recommendation (1 in row 0,
# "b" in row 2) and string ids next to int ids.
Y_TRUE = [[1, 2, 3], [4], ["a", "b"], [7, 8]]
Y_PRED = [[1, 9, 2, 1], [5, 4], ["b", "b", "c", "a"], [9]]


def _dcg(*ranks):
    return sum(1 / np.log2(rank + 1) for rank in ranks)


# Per-user values for Y_TRUE / Y_PRED. Hits within k=3 are at ranks
# {1, 3}, {2}, {1} and {}; with k=10 user 2 also hits "a" at rank 4.
EXPECTED = {
    3: {
        precision_at_k: [2 / 3, 1 / 3, 1 / 3, 0],
        recall_at_k: [2 / 3, 1 / 1, 1 / 2, 0],
        ndcg_at_k: [_dcg(1, 3) / _dcg(1, 2, 3), _dcg(2) / _dcg(1), 1 / _dcg(1, 2), 0],
        map_at_k: [(1 / 1 + 2 / 3) / 3, (1 / 2) / 1, (1 / 1) / 2, 0],
        mrr_at_k: [1 / 1, 1 / 2, 1 / 1, 0],
        hit_rate_at_k: [1, 1, 1, 0],
    },
    10: {
        precision_at_k: [2 / 10, 1 / 10, 2 / 10, 0],
        recall_at_k: [2 / 3, 1 / 1, 2 / 2, 0],
        ndcg_at_k: [
            _dcg(1, 3) / _dcg(1, 2, 3),
            _dcg(2) / _dcg(1),
            _dcg(1, 4) / _dcg(1, 2),
            0,
        ],
        map_at_k: [(1 / 1 + 2 / 3) / 3, (1 / 2) / 1, (1 / 1 + 2 / 4) / 2, 0],
        mrr_at_k: [1 / 1, 1 / 2, 1 / 1, 0],
        hit_rate_at_k: [1, 1, 1, 0],
    },
}


@pytest.mark.parametrize("k", [3, 10])
@pytest.mark.parametrize("metric", METRICS)
def test_hand_computed_values(metric, k):
    expected = EXPECTED[k][metric]
    per_user = metric(Y_TRUE, Y_PRED, k=k, average=False)
    assert per_user.dtype == np.float64
    assert per_user.shape == (4,)
    np.testing.assert_allclose(per_user, expected)

    score = metric(Y_TRUE, Y_PRED, k=k)
    assert isinstance(score, float)
    np.testing.assert_allclose(score, np.mean(expected))


@pytest.mark.parametrize("metric", METRICS)
def test_k_beyond_every_row(metric):
    # No row reaches rank 5, so any larger k only changes the precision
    # denominator and the ideal DCG / AP normalisation, which depend on R_u.
    y_true = [[1, 2, 3, 4, 5, 6]]
    y_pred = [[1, 7, 2]]
    expected = {
        precision_at_k: 2 / 1_000_000,
        recall_at_k: 2 / 6,
        ndcg_at_k: _dcg(1, 3) / _dcg(1, 2, 3, 4, 5, 6),
        map_at_k: (1 / 1 + 2 / 3) / 6,
        mrr_at_k: 1.0,
        hit_rate_at_k: 1.0,
    }[metric]
    np.testing.assert_allclose(metric(y_true, y_pred, k=1_000_000), expected)


@pytest.mark.parametrize("metric", METRICS)
def test_input_containers_agree(metric):
    y_true = [[1, 3], [2], [5, 6, 7]]
    y_pred = np.array([[3, 1, 4], [4, 5, 2], [7, 7, 6]])
    expected = metric(y_true, y_pred, k=2, average=False)
    containers = [
        (y_true, y_pred.tolist()),
        (y_true, list(y_pred)),
        (y_true, pd.DataFrame(y_pred)),
        (y_true, tuple(tuple(row) for row in y_pred)),
        (y_true, [pd.Series(row) for row in y_pred]),
        ([set(row) for row in y_true], y_pred),
        ([frozenset(row) for row in y_true], y_pred),
        ([np.array(row) for row in y_true], y_pred),
        ([pd.Series(row) for row in y_true], y_pred),
        (pd.Series([np.array(row) for row in y_true]), y_pred),
        ([iter(row) for row in y_true], y_pred),
    ]
    for true, pred in containers:
        np.testing.assert_allclose(metric(true, pred, k=2, average=False), expected)


def test_ids_of_different_types_are_different_items():
    y_true = [[1], ["1"], [1.5]]
    y_pred = [["1"], [1], ["1.5", 1.5]]
    np.testing.assert_allclose(hit_rate_at_k(y_true, y_pred, k=2, average=False), [0, 0, 1])


def test_missing_values_never_hit():
    # None and NaN are not item ids: they neither hit nor count as relevant.
    y_true = [[1, None], [2, np.nan], [3]]
    y_pred = [[None, 1], [np.nan, 2], [np.nan, np.nan]]
    np.testing.assert_allclose(
        precision_at_k(y_true, y_pred, k=2, average=False), [1 / 2, 1 / 2, 0]
    )
    np.testing.assert_allclose(recall_at_k(y_true, y_pred, k=2, average=False), [1, 1, 0])
    padded = np.array([[1.0, np.nan, np.nan], [np.nan, 2.0, np.nan]])
    np.testing.assert_allclose(mrr_at_k([[1], [2]], padded, k=3, average=False), [1, 1 / 2])


def test_empty_rows():
    y_true = [[1], [2]]
    y_pred = [[], [2]]
    np.testing.assert_allclose(ndcg_at_k(y_true, y_pred, k=5, average=False), [0, 1])
    np.testing.assert_allclose(mrr_at_k(y_true, np.empty((2, 0)), k=5, average=False), [0, 0])


@pytest.mark.parametrize("seed", range(5))
@pytest.mark.parametrize("k", [1, 3, 5, 20])
def test_ndcg_matches_sklearn(seed, k):
    rng = np.random.default_rng(seed)
    relevance = rng.random((40, 15)) < 0.3
    relevance = relevance[relevance.any(axis=1)]
    scores = rng.random(relevance.shape)
    y_true = [np.flatnonzero(row) for row in relevance]
    y_pred = np.argsort(-scores, axis=1)
    np.testing.assert_allclose(
        ndcg_at_k(y_true, y_pred, k=k),
        ndcg_score(relevance.astype(int), scores, k=k),
    )


def _brute_force(y_true, y_pred, k):
    """Per-user precision, recall, hit rate, AP and RR with Python sets."""
    rows = []
    for true, pred in zip(y_true, y_pred, strict=True):
        relevant = set(true)
        seen = set()
        hit_ranks = []
        for rank, item in enumerate(pred[:k], start=1):
            if item in relevant and item not in seen:
                hit_ranks.append(rank)
            seen.add(item)
        n_hits = len(hit_ranks)
        rows.append(
            {
                precision_at_k: n_hits / k,
                recall_at_k: n_hits / len(relevant),
                hit_rate_at_k: float(n_hits > 0),
                map_at_k: sum((j + 1) / rank for j, rank in enumerate(hit_ranks))
                / min(len(relevant), k),
                mrr_at_k: 1 / hit_ranks[0] if hit_ranks else 0.0,
            }
        )
    return rows


@pytest.mark.parametrize("seed", range(5))
@pytest.mark.parametrize("k", [1, 4, 12])
@pytest.mark.parametrize("as_strings", [False, True])
def test_against_brute_force(seed, k, as_strings):
    rng = np.random.default_rng(seed)
    n_items = 12
    # Small catalogue and ragged rows drawn with replacement, so that hits,
    # repeats and rows shorter than k all occur.
    y_true = [rng.choice(n_items, size=rng.integers(1, 6)).tolist() for _ in range(50)]
    y_pred = [rng.choice(n_items, size=rng.integers(0, 10)).tolist() for _ in range(50)]
    if as_strings:
        y_true = [[f"item{i}" for i in row] for row in y_true]
        y_pred = [[f"item{i}" for i in row] for row in y_pred]
    reference = _brute_force(y_true, y_pred, k)
    for metric in reference[0]:
        expected = [row[metric] for row in reference]
        per_user = metric(y_true, y_pred, k=k, average=False)
        np.testing.assert_allclose(per_user, expected, err_msg=metric.__name__)
        np.testing.assert_allclose(metric(y_true, y_pred, k=k), np.mean(expected))


@pytest.mark.parametrize("metric", METRICS)
def test_users_without_relevant_items(metric):
    y_true = [[1], [], set(), [None]]
    y_pred = [[1], [1], [2], [None]]
    with pytest.warns(UndefinedMetricWarning, match="3 of 4 users") as record:
        score = metric(y_true, y_pred, k=1)
    assert score == 1.0
    assert record[0].filename == __file__

    with pytest.warns(UndefinedMetricWarning, match="3 of 4 users"):
        per_user = metric(y_true, y_pred, k=1, average=False)
    np.testing.assert_array_equal(per_user, [1, np.nan, np.nan, np.nan])


@pytest.mark.parametrize("metric", METRICS)
def test_no_user_has_relevant_items(metric):
    with pytest.warns(UndefinedMetricWarning, match="2 of 2 users"):
        assert np.isnan(metric([[], []], [[1], [2]], k=1))
    with pytest.warns(UndefinedMetricWarning, match="2 of 2 users"):
        per_user = metric([[], []], [[1], [2]], k=1, average=False)
    assert per_user.dtype == np.float64
    assert np.isnan(per_user).all()


@pytest.mark.parametrize("metric", METRICS)
def test_no_warning_when_every_user_has_relevant_items(metric):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        metric([[1], [2]], [[1], [3]], k=np.int64(2))


@pytest.mark.parametrize("metric", METRICS)
@pytest.mark.parametrize(
    "k, error",
    [(0, ValueError), (-3, ValueError), (2.0, TypeError), (True, TypeError)],
)
def test_invalid_k(metric, k, error):
    with pytest.raises(error, match=rf"k must .*{k!r}"):
        metric([[1]], [[1]], k=k)


@pytest.mark.parametrize("metric", METRICS)
@pytest.mark.parametrize("average", [1, "yes", None])
def test_invalid_average(metric, average):
    with pytest.raises(TypeError, match=rf"average must be a bool, got {average!r}"):
        metric([[1]], [[1]], average=average)


@pytest.mark.parametrize("metric", METRICS)
def test_length_mismatch(metric):
    with pytest.raises(ValueError, match=r"len\(y_true\)=2 and len\(y_pred\)=3"):
        metric([[1], [2]], [[1], [2], [3]])
    with pytest.raises(ValueError, match=r"len\(y_true\)=1 and len\(y_pred\)=2"):
        metric([[1]], np.ones((2, 3)))


@pytest.mark.parametrize("metric", METRICS)
@pytest.mark.parametrize(
    "y_true, y_pred, name",
    [
        ([], [[1]], "y_true"),
        ([[1]], [], "y_pred"),
        ([[1]], np.empty((0, 3)), "y_pred"),
    ],
)
def test_no_users(metric, y_true, y_pred, name):
    with pytest.raises(ValueError, match=f"{name} is empty"):
        metric(y_true, y_pred)


@pytest.mark.parametrize("metric", METRICS)
@pytest.mark.parametrize(
    "y_pred",
    [
        np.ones((2, 2, 2)),
        [[[1, 2]], [[3, 4]]],
        5,
        "ab",
        np.array([1, 2]),
        [1, 2],
    ],
    ids=["3d-array", "3d-list", "scalar", "string", "1d-array", "flat-list"],
)
def test_invalid_y_pred_shape(metric, y_pred):
    with pytest.raises(ValueError, match="y_pred"):
        metric([[1], [2]], y_pred)


@pytest.mark.parametrize("metric", METRICS)
def test_unordered_y_pred_rows(metric):
    with pytest.raises(ValueError, match="y_pred must be an ordered"):
        metric([[1]], [{1, 2}])


@pytest.mark.parametrize("metric", METRICS)
@pytest.mark.parametrize("y_true", [[1, 2], ["a", "b"], 3, np.ones((1, 2, 2))])
def test_invalid_y_true(metric, y_true):
    with pytest.raises(ValueError, match="y_true"):
        metric(y_true, [[1], [2]])
