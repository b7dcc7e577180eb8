import numpy as np
import pandas as pd
import pytest
from scipy import sparse

from sklearn_rec.datasets import make_interactions


def _top_decile_share(X, n_items):
    counts = np.sort(np.bincount(X["item"], minlength=n_items))[::-1]
    return counts[: n_items // 10].sum() / counts.sum()


def _fit_low_rank(X, y, n_users, n_items, rank, reg, n_iter=15):
    """Fit a ridge-regularised rank-``rank`` model of the ratings centred on their
    mean by alternating least squares; return its prediction function."""
    rng = np.random.RandomState(0)
    mean = y.mean()
    rows, cols = X["user"].to_numpy(), X["item"].to_numpy()
    observed = sparse.csr_matrix((np.ones(len(rows)), (rows, cols)), (n_users, n_items))
    ratings = sparse.csr_matrix((y - mean, (rows, cols)), (n_users, n_items))

    def solve(observed, ratings, other):
        outer = (other[:, :, None] * other[:, None, :]).reshape(len(other), -1)
        gram = (observed @ outer).reshape(-1, rank, rank) + reg * np.eye(rank)
        return np.linalg.solve(gram, (ratings @ other)[:, :, None])[:, :, 0]

    user_factors = 0.1 * rng.standard_normal((n_users, rank))
    item_factors = 0.1 * rng.standard_normal((n_items, rank))
    for _ in range(n_iter):
        user_factors = solve(observed, ratings, item_factors)
        item_factors = solve(observed.T.tocsr(), ratings.T.tocsr(), user_factors)

    def predict(X):
        return mean + (user_factors[X["user"]] * item_factors[X["item"]]).sum(axis=1)

    return predict


@pytest.mark.parametrize("timestamps", [False, True])
def test_output_format(timestamps):
    X, y = make_interactions(30, 40, 600, timestamps=timestamps, random_state=0)

    expected = ["user", "item", "timestamp"] if timestamps else ["user", "item"]
    assert isinstance(X, pd.DataFrame)
    assert list(X.columns) == expected
    assert (X.dtypes == np.int64).all()
    pd.testing.assert_index_equal(X.index, pd.RangeIndex(600))
    assert isinstance(y, np.ndarray)
    assert y.dtype == np.float64
    assert y.shape == (600,)
    assert X["user"].between(0, 29).all()
    assert X["item"].between(0, 39).all()


def test_pairs():
    X, _ = make_interactions(50, 60, 1500, random_state=0)

    assert len(X) == 1500
    assert not X.duplicated(["user", "item"]).any()
    assert set(X["user"]) == set(range(50))
    # Rows come in random order, not grouped by user.
    assert not X["user"].is_monotonic_increasing


@pytest.mark.parametrize(
    "n_users, n_items, n_interactions", [(20, 15, 20), (20, 15, 300), (1, 1, 1)]
)
def test_extreme_counts(n_users, n_items, n_interactions):
    X, _ = make_interactions(n_users, n_items, n_interactions, random_state=0)

    assert len(X) == n_interactions
    assert not X.duplicated(["user", "item"]).any()
    assert X["user"].nunique() == n_users


def test_explicit_ratings():
    _, y = make_interactions(random_state=0)
    assert np.array_equal(y, np.round(y))
    assert set(np.unique(y)) == {1, 2, 3, 4, 5}

    _, y = make_interactions(rating_range=(0, 10), random_state=0)
    assert np.array_equal(y, np.round(y))
    assert y.min() >= 0
    assert y.max() <= 10


def test_implicit_feedback_keeps_the_pairs():
    X_explicit, _ = make_interactions(random_state=0)
    X, y = make_interactions(implicit=True, random_state=0)

    assert np.array_equal(y, np.ones(len(X)))
    pd.testing.assert_frame_equal(X, X_explicit)


def test_timestamps():
    X, y = make_interactions(timestamps=True, random_state=0)
    X_plain, y_plain = make_interactions(random_state=0)

    pd.testing.assert_frame_equal(X[["user", "item"]], X_plain)
    assert np.array_equal(y, y_plain)
    start = pd.Timestamp("2015-01-01").timestamp()
    end = pd.Timestamp("2018-01-02").timestamp()
    assert X["timestamp"].between(start, end).all()
    # No two interactions of a user share a second, so each user's history is
    # a well-defined sequence.
    assert not X.duplicated(["user", "timestamp"]).any()


def test_random_state():
    X, y = make_interactions(timestamps=True, random_state=42)
    X_again, y_again = make_interactions(timestamps=True, random_state=42)
    rng = np.random.RandomState(42)
    X_rng, y_rng = make_interactions(timestamps=True, random_state=rng)
    X_other, _ = make_interactions(timestamps=True, random_state=43)

    pd.testing.assert_frame_equal(X, X_again)
    assert np.array_equal(y, y_again)
    pd.testing.assert_frame_equal(X, X_rng)
    assert np.array_equal(y, y_rng)
    assert not X.equals(X_other)


def test_popularity_skew():
    X_uniform, _ = make_interactions(500, 200, 5000, popularity_skew=0, random_state=0)
    X_skewed, _ = make_interactions(500, 200, 5000, popularity_skew=1.5, random_state=0)

    # About 0.13 and 0.65.
    assert _top_decile_share(X_uniform, 200) < 0.2
    assert _top_decile_share(X_skewed, 200) > 0.5


def test_selection_favours_liked_items():
    # Users mostly pick items they like, which raises the mean rating above
    # the middle of the scale (about 3.0 without selection, 3.6 with it).
    _, y_blind = make_interactions(300, 200, 6000, selection_strength=0, random_state=0)
    _, y_picky = make_interactions(300, 200, 6000, selection_strength=4, random_state=0)

    assert y_blind.mean() < 3.2
    assert y_picky.mean() > 3.35


@pytest.mark.parametrize("seed", [0, 1])
def test_planted_low_rank_structure(seed):
    X, y = make_interactions(300, 200, 30_000, n_factors=4, random_state=seed)
    test = np.random.RandomState(seed).random_sample(len(y)) < 0.2

    # Rank n_factors, plus two for the user and item biases.
    predict = _fit_low_rank(X[~test], y[~test], 300, 200, rank=6, reg=5.0)
    rmse = np.sqrt(np.mean((predict(X[test]) - y[test]) ** 2))

    # About 0.6 of the standard deviation; 0.85 or more when the ratings only
    # depend on the biases, 1.05 or more when they are shuffled.
    assert rmse < 0.72 * y[test].std()


@pytest.mark.parametrize(
    "params, error, match",
    [
        ({"n_users": 0}, ValueError, "n_users must be an int >= 1, got 0"),
        ({"n_users": 2.0}, TypeError, "n_users must be an int, got 2.0"),
        ({"n_items": -3}, ValueError, "n_items must be an int >= 1, got -3"),
        ({"n_items": True}, TypeError, "n_items must be an int, got True"),
        ({"n_interactions": 0}, ValueError, "n_interactions must be an int >= 1"),
        ({"n_interactions": "10"}, TypeError, "n_interactions must be an int"),
        (
            {"n_users": 10, "n_items": 5, "n_interactions": 51},
            ValueError,
            r"n_interactions must be between n_users and n_users \* n_items "
            r"\(here 10 and 50\).*got n_interactions=51",
        ),
        (
            {"n_users": 10, "n_items": 5, "n_interactions": 9},
            ValueError,
            "n_interactions must be between.*got n_interactions=9",
        ),
        ({"n_factors": 0}, ValueError, "n_factors must be an int >= 1, got 0"),
        ({"popularity_skew": -1.0}, ValueError, "popularity_skew must be .* >= 0"),
        ({"popularity_skew": np.inf}, ValueError, "popularity_skew must be a finite"),
        ({"popularity_skew": "high"}, TypeError, "popularity_skew must be a real"),
        (
            {"popularity_skew": 500.0},
            ValueError,
            "popularity_skew=500.0 is too large for n_items=300",
        ),
        ({"selection_strength": -0.1}, ValueError, "selection_strength must be"),
        ({"selection_strength": np.nan}, ValueError, "selection_strength must be"),
        ({"noise": -1}, ValueError, "noise must be a finite number >= 0, got -1"),
        ({"noise": None}, TypeError, "noise must be a real number, got None"),
        ({"implicit": 1}, TypeError, "implicit must be a bool, got 1"),
        ({"timestamps": "yes"}, TypeError, "timestamps must be a bool, got 'yes'"),
        ({"rating_range": (5, 1)}, ValueError, r"rating_range must be .*\(5, 1\)"),
        ({"rating_range": (1, 1)}, ValueError, "rating_range must be a pair"),
        ({"rating_range": (1.0, 5.0)}, ValueError, "rating_range must be a pair"),
        ({"rating_range": (1, 3, 5)}, ValueError, "rating_range must be a pair"),
        ({"rating_range": 5}, ValueError, "rating_range must be a pair"),
    ],
)
def test_invalid_parameters(params, error, match):
    with pytest.raises(error, match=match):
        make_interactions(**params)


def test_invalid_random_state():
    with pytest.raises(ValueError, match="'seed' cannot be used to seed"):
        make_interactions(random_state="seed")
