import itertools

import numpy as np
import pandas as pd
import pytest
from sklearn.exceptions import UndefinedMetricWarning

from sklearn_rec.metrics import (
    average_popularity_at_k,
    catalogue_coverage_at_k,
    exposure_entropy_at_k,
    gini_index_at_k,
    intra_list_diversity_at_k,
    long_tail_share_at_k,
    novelty_at_k,
)

# Training users per item: a 4 of 4, b 2, c 1, d 1 (repeated pair (0, b) counts once).
X_TRAIN = pd.DataFrame(
    {
        "user": [0, 1, 2, 3, 0, 0, 1, 2, 3],
        "item": ["a", "a", "a", "a", "b", "b", "b", "c", "d"],
    }
)
CATALOGUE = ["a", "b", "c", "d", "e"]


def test_catalogue_coverage_by_hand():
    y_pred = [["a", "b", "c"], ["a", "d"]]
    assert catalogue_coverage_at_k(y_pred, CATALOGUE, k=3) == pytest.approx(4 / 5)
    # At k=1 only the first items count: a twice.
    assert catalogue_coverage_at_k(y_pred, CATALOGUE, k=1) == pytest.approx(1 / 5)
    assert catalogue_coverage_at_k(np.array([[1, 2], [3, 4]]), range(8), k=2) == 0.5


def test_gini_index_by_hand():
    # Exposure a 2, b 1, c 1, d 0, e 0; sorted 0, 0, 1, 1, 2; n = 5, total 4:
    # (-4*0 - 2*0 + 0*1 + 2*1 + 4*2) / (5 * 4) = 10 / 20.
    y_pred = [["a", "b"], ["a", "c"]]
    assert gini_index_at_k(y_pred, CATALOGUE, k=2) == pytest.approx(0.5)
    # Equal exposure of every item: 0. One item for everyone: (n - 1) / n.
    assert gini_index_at_k([["a", "b", "c", "d", "e"]] * 3, CATALOGUE, k=5) == pytest.approx(0)
    assert gini_index_at_k([["c"]] * 4, CATALOGUE, k=1) == pytest.approx(4 / 5)


def test_gini_index_matches_the_lorenz_curve():
    rng = np.random.default_rng(0)
    catalogue = np.arange(30)
    y_pred = [rng.choice(catalogue, size=5, replace=False, p=None) for _ in range(40)]
    exposure = np.bincount(np.concatenate(y_pred), minlength=30)
    # 1 - 2 * (area under the Lorenz curve), by the trapezoidal rule.
    lorenz = np.concatenate([[0], np.cumsum(np.sort(exposure)) / exposure.sum()])
    area = ((lorenz[1:] + lorenz[:-1]) / 2).sum() / 30
    assert gini_index_at_k(y_pred, catalogue, k=5) == pytest.approx(1 - 2 * area)


def test_exposure_entropy_by_hand():
    # Shares a 1/2, b 1/4, c 1/4: 1/2 * 1 + 2 * (1/4 * 2) bits.
    assert exposure_entropy_at_k([["a", "b"], ["a", "c"]], k=2) == pytest.approx(1.5)
    assert exposure_entropy_at_k([["a", "b"], ["c", "d"]], k=2) == pytest.approx(2.0)
    assert exposure_entropy_at_k([["a", "b"], ["a", "c"]], k=1) == 0.0


def test_novelty_by_hand():
    # p(a) = 4/4, p(b) = 2/4, p(c) = p(d) = 1/4 over the 4 training users.
    y_pred = [["a", "b"], ["c", "d", "b"], ["b"]]
    per_user = novelty_at_k(y_pred, X_TRAIN, k=3, average=False)
    np.testing.assert_allclose(per_user, [(0 + 1) / 2, (2 + 2 + 1) / 3, 1])
    assert novelty_at_k(y_pred, X_TRAIN, k=3) == pytest.approx(np.mean([0.5, 5 / 3, 1]))
    np.testing.assert_allclose(novelty_at_k(y_pred, X_TRAIN, k=1, average=False), [0, 2, 1])


def test_novelty_differs_from_the_choice_model_by_a_constant():
    # The choice model (p(i) = rows of i / rows, over all recommendations
    # pooled) on lists of equal length: shifted by log2(rows / users).
    pairs = X_TRAIN.drop_duplicates()
    rows, users = len(pairs), pairs["user"].nunique()
    for y_pred in ([["a", "b"], ["c", "d"]], [["b", "c"], ["a", "c"], ["d", "a"]]):
        counts = pairs["item"].value_counts()
        choice = np.mean([-np.log2(counts[i] / rows) for row in y_pred for i in row])
        ours = novelty_at_k(y_pred, X_TRAIN, k=2)
        assert choice == pytest.approx(ours + np.log2(rows / users))


def test_average_popularity_by_hand():
    y_pred = [["a", "b"], ["c", "e"]]  # e has no training user: popularity 0
    np.testing.assert_allclose(
        average_popularity_at_k(y_pred, X_TRAIN, average=False), [(4 + 2) / 2, (1 + 0) / 2]
    )
    assert average_popularity_at_k(y_pred, X_TRAIN) == pytest.approx(1.75)


def test_long_tail_share_by_hand():
    # 8 distinct training pairs: a holds 4, b 2, c and d 1 each.
    # head_share=0.5: a alone holds 4 >= 4; the head is {a}.
    y_pred = [["a", "b"], ["c", "e", "a"], ["a"]]
    np.testing.assert_allclose(
        long_tail_share_at_k(y_pred, X_TRAIN, head_share=0.5, average=False), [1 / 2, 2 / 3, 0]
    )
    # head_share=0.8 (6.4 of 8): a and b (6) are not enough, c joins: the head is
    # {a, b, c} and d, tied with c, is in it too.
    np.testing.assert_allclose(long_tail_share_at_k(y_pred, X_TRAIN, average=False), [0, 1 / 3, 0])
    np.testing.assert_allclose(long_tail_share_at_k([["d", "e"]], X_TRAIN, average=False), [1 / 2])
    # head_share=1: every training item is in the head, only e is not.
    assert long_tail_share_at_k([["c", "e"]], X_TRAIN, head_share=1.0) == 0.5


def test_long_tail_ties_fall_on_the_same_side():
    X = pd.DataFrame({"user": [0, 1, 0, 1, 0], "item": ["x", "x", "y", "y", "z"]})
    # 30% of 5 interactions: x alone suffices, but y has as many users as x.
    assert long_tail_share_at_k([["y"], ["z"]], X, head_share=0.3, average=False).tolist() == [
        0,
        1,
    ]


def brute_force_ild(vectors, row):
    pairs = list(itertools.combinations(row, 2))
    cosines = [
        vectors.loc[i]
        @ vectors.loc[j]
        / np.linalg.norm(vectors.loc[i])
        / np.linalg.norm(vectors.loc[j])
        for i, j in pairs
    ]
    return 1 - np.mean(cosines)


def test_intra_list_diversity_by_hand():
    genres = pd.DataFrame({"drama": [1, 1, 0], "comedy": [0, 1, 1]}, index=["a", "b", "c"])
    # cos(a, c) = 0, cos(a, b) = cos(b, c) = 1 / sqrt(2).
    y_pred = [["a", "c"], ["a", "b"], ["a", "b", "c"]]
    expected = [1, 1 - 1 / np.sqrt(2), 1 - (0 + 2 / np.sqrt(2)) / 3]
    np.testing.assert_allclose(intra_list_diversity_at_k(y_pred, genres, average=False), expected)
    assert intra_list_diversity_at_k(y_pred, genres, k=2) == pytest.approx(
        np.mean([*expected[:2], 1 - 1 / np.sqrt(2)])
    )


def test_intra_list_diversity_matches_pairwise_cosines_on_embeddings():
    rng = np.random.default_rng(1)
    vectors = pd.DataFrame(rng.normal(size=(20, 4)), index=[f"i{j}" for j in range(20)])
    y_pred = [list(rng.choice(vectors.index, size=m, replace=False)) for m in (2, 5, 7, 10)]
    expected = [brute_force_ild(vectors, row) for row in y_pred]
    np.testing.assert_allclose(
        intra_list_diversity_at_k(y_pred, vectors, k=10, average=False), expected
    )
    # Opposite embeddings: cosine -1, diversity 2.
    opposite = pd.DataFrame([[1.0, 0.0], [-2.0, 0.0]], index=[0, 1])
    assert intra_list_diversity_at_k([[0, 1]], opposite) == pytest.approx(2.0)


def test_undefined_lists_are_nan_and_left_out():
    with pytest.warns(UndefinedMetricWarning, match="1 of 3 users"):
        scores = novelty_at_k([["a", "b"], [], ["c"]], X_TRAIN, average=False)
    np.testing.assert_allclose(scores, [0.5, np.nan, 2])
    with pytest.warns(UndefinedMetricWarning, match="excluded from the average"):
        assert novelty_at_k([["a", "b"], [], ["c"]], X_TRAIN) == pytest.approx(1.25)
    genres = pd.DataFrame({"g": [1.0, 2.0]}, index=["a", "b"])
    with pytest.warns(UndefinedMetricWarning, match="fewer than 2 items"):
        scores = intra_list_diversity_at_k([["a", "b"], ["a"]], genres, average=False)
    np.testing.assert_allclose(scores, [0, np.nan], atol=1e-12)
    with pytest.warns(UndefinedMetricWarning, match="no list recommends anything"):
        assert np.isnan(gini_index_at_k([[], []], CATALOGUE))
    with pytest.warns(UndefinedMetricWarning, match="no list recommends anything"):
        assert np.isnan(exposure_entropy_at_k([[]]))


def test_ids_of_several_types_stay_distinct():
    assert catalogue_coverage_at_k([[1], ["1"]], [1, "1", 2]) == pytest.approx(2 / 3)
    assert exposure_entropy_at_k([[1], ["1"]]) == pytest.approx(1.0)


GENRES = pd.DataFrame({"g": [1.0, 2.0, 3.0, 1.0, 1.0]}, index=CATALOGUE)
METRICS = {
    "coverage": lambda y, **kw: catalogue_coverage_at_k(y, CATALOGUE, **kw),
    "gini": lambda y, **kw: gini_index_at_k(y, CATALOGUE, **kw),
    "entropy": exposure_entropy_at_k,
    "novelty": lambda y, **kw: novelty_at_k(y, X_TRAIN, **kw),
    "arp": lambda y, **kw: average_popularity_at_k(y, X_TRAIN, **kw),
    "long_tail": lambda y, **kw: long_tail_share_at_k(y, X_TRAIN, **kw),
    "diversity": lambda y, **kw: intra_list_diversity_at_k(y, GENRES, **kw),
}


@pytest.mark.parametrize("metric", METRICS)
@pytest.mark.parametrize(
    ("y_pred", "match"),
    [
        ([["a", None]], r"y_pred has a missing id \(None\) at position 1 of row 0: padding"),
        ([["a", "b"], ["c", np.nan]], r"missing id \(nan\) at position 1 of row 1"),
        (np.array([[1.0, np.nan]]), r"missing id \(nan\) at position 1 of row 0"),
        ([["a", "b"], ["b", "c", "b"]], "y_pred recommends item 'b' more than once in row 1"),
        (np.array([[1, 2, 1]]), "y_pred recommends item 1 more than once in row 0"),
        ([], r"y_pred is empty \(0 users\)"),
        ("ab", "y_pred must be a 2-D array-like"),
    ],
)
def test_bad_lists(metric, y_pred, match):
    with pytest.raises(ValueError, match=match):
        METRICS[metric](y_pred)


@pytest.mark.parametrize("metric", METRICS)
@pytest.mark.parametrize(
    ("k", "error", "match"),
    [
        (0, ValueError, "k must be >= 1, got 0"),
        (-3, ValueError, "k must be >= 1, got -3"),
        (2.5, TypeError, "k must be an int, got 2.5"),
        (True, TypeError, "k must be an int, got True"),
    ],
)
def test_k_out_of_range(metric, k, error, match):
    with pytest.raises(error, match=match):
        METRICS[metric]([["a", "b"]], k=k)


def test_padding_past_k_is_not_read():
    assert catalogue_coverage_at_k([["a", "b", None, "a"]], CATALOGUE, k=2) == pytest.approx(0.4)


@pytest.mark.parametrize("function", [novelty_at_k, average_popularity_at_k, long_tail_share_at_k])
@pytest.mark.parametrize(
    ("X_train", "error", "match"),
    [
        (pd.DataFrame({"user": [], "item": []}), ValueError, r"X_train is empty \(0 interactions"),
        (np.empty((0, 2)), ValueError, r"X_train is empty \(0 interactions"),
        ([], ValueError, "Invalid X_train"),
        (pd.DataFrame({"user": [0, 1]}), ValueError, "Invalid X_train: .*minimum of 2"),
    ],
)
def test_bad_training_data(function, X_train, error, match):
    with pytest.raises(error, match=match):
        function([["a"]], X_train)


def test_novelty_needs_every_item_in_the_training_data():
    with pytest.raises(
        ValueError, match="recommends item 'e', which has no interaction in X_train"
    ):
        novelty_at_k([["a", "e"]], X_TRAIN)


@pytest.mark.parametrize("function", [catalogue_coverage_at_k, gini_index_at_k])
@pytest.mark.parametrize(
    ("catalogue", "match"),
    [
        (["a", "b"], r"y_pred has 1 item id\(s\) not in catalogue, e.g. \['c'\]"),
        ([], "catalogue is empty"),
        (["a", "b", "c", "a"], "catalogue must hold distinct item ids; 'a' is repeated"),
        (["a", None, "b", "c"], "catalogue has missing ids"),
        ("abc", "catalogue must be a 1-D array-like"),
        ([["a", "b", "c"]], "catalogue must be a 1-D array-like"),
    ],
)
def test_bad_catalogue(function, catalogue, match):
    with pytest.raises(ValueError, match=match):
        function([["a", "b"], ["c"]], catalogue)


@pytest.mark.parametrize(
    ("head_share", "error", "match"),
    [
        (0, ValueError, "head_share must be > 0, got 0"),
        (1.5, ValueError, "head_share must be <= 1, got 1.5"),
        ("0.8", TypeError, "head_share must be a real number"),
    ],
)
def test_bad_head_share(head_share, error, match):
    with pytest.raises(error, match=match):
        long_tail_share_at_k([["a"]], X_TRAIN, head_share=head_share)


@pytest.mark.parametrize(
    ("item_vectors", "error", "match"),
    [
        (np.ones((3, 2)), TypeError, "item_vectors must be a DataFrame"),
        (pd.DataFrame({"g": [1.0, 2.0]}, index=["a", "x"]), ValueError, r"no row for .*\['b'\]"),
        (
            pd.DataFrame({"g": [1.0, 0.0]}, index=["a", "b"]),
            ValueError,
            "all-zero row for item 'b'",
        ),
        (pd.DataFrame({"g": [1.0, np.nan]}, index=["a", "b"]), ValueError, "must be finite"),
        (pd.DataFrame({"g": ["x", "y"]}, index=["a", "b"]), ValueError, "must hold numbers"),
        (pd.DataFrame({"g": [1.0, 2.0]}, index=["a", "a"]), ValueError, "more than one row"),
        (pd.DataFrame(index=["a", "b"]), ValueError, "has no columns"),
    ],
)
def test_bad_item_vectors(item_vectors, error, match):
    with pytest.raises(error, match=match):
        intra_list_diversity_at_k([["a", "b"]], item_vectors)


@pytest.mark.parametrize("metric", ["novelty", "arp", "long_tail", "diversity"])
def test_average_must_be_a_bool(metric):
    with pytest.raises(TypeError, match="average must be a bool"):
        METRICS[metric]([["a", "b"]], average="no")
