import numpy as np
import pandas as pd
import pytest
from sklearn.model_selection import GridSearchCV, cross_validate

from sklearn_rec import MatrixFactorization
from sklearn_rec.datasets import make_interactions
from sklearn_rec.model_selection import (
    ColdStartSplit,
    LeaveLastOutSplit,
    TemporalSplit,
    UserHoldoutSplit,
    UserKFold,
)


def test_fraction_per_user_and_warm(implicit):
    X = implicit
    train, test = next(UserHoldoutSplit(test_size=0.25, random_state=0).split(X))
    assert len(np.intersect1d(train, test)) == 0
    assert len(train) + len(test) == len(X)
    assert set(X.user.iloc[test]) <= set(X.user.iloc[train])
    assert set(X.item.iloc[test]) <= set(X.item.iloc[train])
    counts = X.user.value_counts()
    held = X.user.iloc[test].value_counts().reindex(counts.index, fill_value=0)
    # At most round(0.25 n_u) per user; fewer only where an item moved back.
    assert (held <= np.rint(0.25 * counts)).all()
    assert held.sum() >= 0.9 * np.minimum(np.rint(0.25 * counts), counts - 1).sum()


def test_count_and_small_users():
    X = pd.DataFrame({"user": [1, 2, 2, 3, 3, 3] * 2, "item": list(range(6)) * 2})
    X["user"] = X["user"] + 10 * (np.arange(12) >= 6)
    for seed in range(5):
        _, test = next(UserHoldoutSplit(test_size=1, random_state=seed).split(X))
        per_user = X.user.iloc[test].value_counts()
        assert (per_user <= 1).all()
        assert not {1, 11} & set(per_user.index)  # single-interaction users stay in train


def test_deterministic_and_repeated(implicit):
    cv = UserHoldoutSplit(n_splits=3, random_state=0)
    first = [test for _, test in cv.split(implicit)]
    second = [test for _, test in cv.split(implicit)]
    assert cv.get_n_splits() == 3 and len(first) == 3
    for a, b in zip(first, second, strict=True):
        np.testing.assert_array_equal(a, b)
    assert not np.array_equal(first[0], first[1])


@pytest.mark.parametrize("test_size", [0.0, 1.0, -1, 1.5, "half", True])
def test_bad_test_size(test_size, implicit):
    with pytest.raises(ValueError, match="test_size must be"):
        next(UserHoldoutSplit(test_size=test_size).split(implicit))


def test_bad_n_splits():
    with pytest.raises(ValueError, match="n_splits must be >= 1"):
        UserHoldoutSplit(n_splits=0).get_n_splits()


@pytest.fixture(scope="module")
def timed():
    X, y = make_interactions(
        n_users=60, n_items=40, n_interactions=900, timestamps=True, random_state=0
    )
    return X, y


def _assert_disjoint(train, test, n_rows):
    assert len(np.intersect1d(train, test)) == 0
    assert np.all(np.diff(train) > 0) and np.all(np.diff(test) > 0)
    assert train.min() >= 0 and max(train.max(), test.max(initial=0)) < n_rows


def _assert_warm(X, train, test):
    assert set(X.user.iloc[test]) <= set(X.user.iloc[train])
    assert set(X.item.iloc[test]) <= set(X.item.iloc[train])


def _tests(cv, X):
    return [test for _, test in cv.split(X)]


# UserKFold


def test_user_kfold_covers_rows_once_and_is_warm(implicit):
    X = implicit
    splits = list(UserKFold(n_splits=4, random_state=0).split(X))
    assert len(splits) == 4
    for train, test in splits:
        _assert_disjoint(train, test, len(X))
        assert len(train) + len(test) == len(X)
        _assert_warm(X, train, test)
    times_in_test = np.bincount(np.concatenate([test for _, test in splits]), minlength=len(X))
    assert times_in_test.max() == 1
    # Only rows moved back by the warm-item rule are in no test fold.
    single = X.user.map(X.user.value_counts()).to_numpy() == 1
    assert (times_in_test[~single] == 1).mean() > 0.95


def test_user_kfold_fold_sizes_per_user():
    # One item for all rows, so that no test row moves back to training.
    X = pd.DataFrame({"user": np.repeat([1, 2, 3], [7, 10, 3]), "item": 0})
    folds = list(UserKFold(n_splits=3, random_state=0).split(X))
    per_user = np.array([X.user.iloc[test].value_counts().reindex([1, 2, 3]) for _, test in folds])
    assert (per_user.max(axis=0) - per_user.min(axis=0) <= 1).all()
    np.testing.assert_array_equal(per_user.sum(axis=0), [7, 10, 3])


def test_user_kfold_small_users():
    # User 1 keeps the one item in training, so no test row moves back.
    X = pd.DataFrame({"user": [1, 2, 2, 3, 3, 3], "item": 0})
    for seed in range(5):
        folds = _tests(UserKFold(n_splits=4, random_state=seed), X)
        users = [X.user.iloc[test].tolist() for test in folds]
        assert not any(1 in u for u in users)  # a single interaction never leaves training
        # Fewer interactions than folds: one test row in as many folds as rows.
        assert sorted(u.count(2) for u in users) == [0, 0, 1, 1]
        assert sorted(u.count(3) for u in users) == [0, 1, 1, 1]


def test_user_kfold_item_only_in_one_fold_moves_back():
    X = pd.DataFrame({"user": [0, 0, 1, 1], "item": ["a", "b", "a", "only"]})
    for train, test in UserKFold(n_splits=2, random_state=0).split(X):
        assert 3 in train and 3 not in test


def test_user_kfold_deterministic(implicit):
    first = _tests(UserKFold(3, random_state=0), implicit)
    again = _tests(UserKFold(3, random_state=0), implicit)
    other = _tests(UserKFold(3, random_state=1), implicit)
    for a, b in zip(first, again, strict=True):
        np.testing.assert_array_equal(a, b)
    assert not np.array_equal(first[0], other[0])


@pytest.mark.parametrize(
    ("n_splits", "error", "match"),
    [(1, ValueError, "n_splits must be >= 2, got 1"), (2.0, TypeError, "n_splits must be an int")],
)
def test_user_kfold_bad_n_splits(n_splits, error, match, implicit):
    with pytest.raises(error, match=match):
        UserKFold(n_splits).get_n_splits()
    with pytest.raises(error, match=match):
        next(UserKFold(n_splits).split(implicit))


# LeaveLastOutSplit


def test_leave_last_out_holds_out_latest_per_user(timed):
    X, _ = timed
    cv = LeaveLastOutSplit(n_test=2)
    assert cv.get_n_splits() == 1
    (train, test), *rest = cv.split(X)
    assert not rest
    _assert_disjoint(train, test, len(X))
    assert len(train) + len(test) == len(X)
    _assert_warm(X, train, test)
    counts = X.user.value_counts()
    held = X.user.iloc[test].value_counts().reindex(counts.index, fill_value=0)
    assert (held <= 2).all() and (held[counts <= 2] == 0).all()
    assert held.sum() >= 0.9 * 2 * (counts > 2).sum()
    # Every test row is later than every training row of its user.
    last_train = X.iloc[train].groupby("user").timestamp.max()
    test_rows = X.iloc[test]
    assert (test_rows.timestamp.to_numpy() > last_train[test_rows.user].to_numpy()).all()


def test_leave_last_out_ties_small_users_and_cold_items():
    X = pd.DataFrame(
        {
            "user": ["u", "u", "u", "v", "w", "w"],
            "item": [1, 2, 3, 3, 2, 9],
            "timestamp": [5, 7, 7, 1, 2, 3],
        }
    )
    train, test = next(LeaveLastOutSplit().split(X))
    # u: rows 1 and 2 tie, the later row is the more recent; v has one row
    # (and keeps item 3 in training); w's latest item 9 is in no training row,
    # so it moves back.
    np.testing.assert_array_equal(test, [2])
    np.testing.assert_array_equal(train, [0, 1, 3, 4, 5])


def test_leave_last_out_time_column_by_name_and_position(timed):
    X, _ = timed
    expected = next(LeaveLastOutSplit().split(X))
    renamed = X.rename(columns={"timestamp": "t"})
    for X_, column in [(renamed, "t"), (X, 2), (X.to_numpy(), 2)]:
        for a, b in zip(
            next(LeaveLastOutSplit(time_column=column).split(X_)), expected, strict=True
        ):
            np.testing.assert_array_equal(a, b)
    as_datetime = X.assign(timestamp=pd.to_datetime(X.timestamp, unit="s", utc=True))
    for a, b in zip(next(LeaveLastOutSplit().split(as_datetime)), expected, strict=True):
        np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize(
    ("params", "data", "error", "match"),
    [
        ({"n_test": 0}, "frame", ValueError, "n_test must be >= 1, got 0"),
        ({"n_test": 1.5}, "frame", TypeError, "n_test must be an int"),
        ({"time_column": "time"}, "frame", ValueError, "time_column='time' is not a column"),
        ({"time_column": "timestamp"}, "array", ValueError, "time_column='timestamp' is a col"),
        ({"time_column": 1}, "frame", ValueError, r"time_column=1 is not .* int in \[2, 2\]"),
        ({"time_column": 3}, "array", ValueError, "time_column=3 is not the position"),
        ({"time_column": 2.0}, "frame", TypeError, "time_column must be a column name"),
        ({}, "nan", ValueError, "time column 'timestamp' has 1 missing value"),
        ({}, "strings", TypeError, "time column 'timestamp' must hold numbers or datetimes"),
    ],
)
def test_leave_last_out_errors(params, data, error, match, timed):
    X = timed[0].head(20).copy()
    if data == "array":
        X = X.to_numpy()
    elif data == "nan":
        X["timestamp"] = X.timestamp.astype(float)
        X.loc[3, "timestamp"] = np.nan
    elif data == "strings":
        X["timestamp"] = X.timestamp.astype(str)
    with pytest.raises(error, match=match):
        next(LeaveLastOutSplit(**params).split(X))


# TemporalSplit


def test_temporal_split_by_size_is_warm_and_in_time_order(timed):
    X, _ = timed
    cv = TemporalSplit(test_size=0.25)
    assert cv.get_n_splits() == 1
    train, test = next(cv.split(X))
    _assert_disjoint(train, test, len(X))
    _assert_warm(X, train, test)
    cutoff = np.sort(X.timestamp)[len(X) - round(0.25 * len(X))]
    np.testing.assert_array_equal(train, np.flatnonzero(X.timestamp < cutoff))
    # Rows after the cut-off of new users or items are dropped, not trained on.
    later = X[X.timestamp >= cutoff]
    warm = later.user.isin(X.user.iloc[train]) & later.item.isin(X.item.iloc[train])
    np.testing.assert_array_equal(test, np.flatnonzero(X.index.isin(later.index[warm])))
    assert 0 < len(test) < len(later)


def test_temporal_split_cutoff_ties_and_default():
    X = pd.DataFrame({"user": [0, 1, 0, 1, 0], "item": [0, 1, 1, 0, 2], "t": [1, 2, 3, 3, 4]})
    # The latest 40% start at time 3, shared by two rows: both go to test.
    train, test = next(TemporalSplit(test_size=0.4, time_column="t").split(X))
    np.testing.assert_array_equal(train, [0, 1])
    np.testing.assert_array_equal(test, [2, 3])  # row 4 has the new item 2
    for cv in [TemporalSplit(3, time_column="t"), TemporalSplit(2.5, time_column=2)]:
        np.testing.assert_array_equal(next(cv.split(X))[1], [2, 3])
    many = pd.DataFrame({"user": 0, "item": 0, "timestamp": np.arange(10)})
    assert len(next(TemporalSplit().split(many))[1]) == 2  # test_size=0.2 by default
    assert len(next(TemporalSplit(test_size=3).split(many))[1]) == 3


def test_temporal_split_datetime_cutoff(timed):
    X, _ = timed
    seconds = np.sort(X.timestamp)[600]
    expected = next(TemporalSplit(seconds).split(X))
    as_datetime = X.assign(timestamp=pd.to_datetime(X.timestamp, unit="s"))
    as_utc = X.assign(timestamp=pd.to_datetime(X.timestamp, unit="s", utc=True))
    cutoff = pd.Timestamp(seconds, unit="s")
    for X_, value in [
        (as_datetime, cutoff),
        (as_datetime, str(cutoff)),
        (as_datetime, cutoff.to_pydatetime()),
        (as_utc, cutoff),
        (as_utc, cutoff.tz_localize("UTC").tz_convert("Europe/Paris")),
    ]:
        for a, b in zip(next(TemporalSplit(value).split(X_)), expected, strict=True):
            np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize(
    ("params", "datetimes", "error", "match"),
    [
        ({"cutoff": 5, "test_size": 0.2}, False, ValueError, "either cutoff or test_size"),
        ({"test_size": 1.0}, False, ValueError, "test_size must be a float in"),
        ({"test_size": 20}, False, ValueError, "test_size must leave at least one of the 20"),
        ({"test_size": 0.01}, False, ValueError, "it puts 0 in the test part"),
        ({"cutoff": 0}, False, ValueError, "cut-off 0 is at or before the earliest"),
        ({"cutoff": 2e9}, False, ValueError, "leaves the test part empty"),
        ({"cutoff": "2016"}, False, TypeError, "cutoff must be a number"),
        ({"cutoff": float("nan")}, False, ValueError, "cutoff must not be NaN"),
        ({"cutoff": 5}, True, TypeError, "cutoff must be datetime-like"),
        ({"cutoff": "soon"}, True, ValueError, "cutoff must be datetime-like"),
        ({"time_column": "when"}, False, ValueError, "time_column='when' is not a column"),
    ],
)
def test_temporal_split_errors(params, datetimes, error, match, timed):
    X = timed[0].head(20)
    if datetimes:
        X = X.assign(timestamp=pd.to_datetime(X.timestamp, unit="s"))
    with pytest.raises(error, match=match):
        next(TemporalSplit(**params).split(X))


# ColdStartSplit


@pytest.mark.parametrize(("entity", "other"), [("user", "item"), ("item", "user")])
def test_cold_start_holds_out_whole_entities(entity, other, implicit):
    X = implicit
    n_entities = X[entity].nunique()
    splits = list(ColdStartSplit(entity, test_size=0.25, n_splits=3, random_state=0).split(X))
    assert len(splits) == 3
    for train, test in splits:
        _assert_disjoint(train, test, len(X))
        held = set(X[entity]) - set(X[entity].iloc[train])
        assert len(held) == round(0.25 * n_entities)
        assert set(X[entity].iloc[test]) <= held
        assert set(X[other].iloc[test]) <= set(X[other].iloc[train])
        # All rows of held-out entities are test rows, except those dropped.
        held_rows = np.flatnonzero(X[entity].isin(held))
        dropped = np.setdiff1d(held_rows, test)
        assert not X[other].iloc[dropped].isin(X[other].iloc[train]).any()
        assert len(train) + len(held_rows) == len(X)


def test_cold_start_count_drop_and_determinism():
    X = pd.DataFrame({"user": ["a", "a", "b", "b", "c"], "item": [1, 2, 1, 3, 2]})
    for seed in range(6):
        train, test = next(ColdStartSplit("item", test_size=1, random_state=seed).split(X))
        held = set(X.item) - set(X.item.iloc[train])
        assert len(held) == 1
        if held == {3}:  # user b keeps item 1 in training
            np.testing.assert_array_equal(test, [3])
    cv = ColdStartSplit(n_splits=4, random_state=0)
    first, again = _tests(cv, X), _tests(cv, X)
    for a, b in zip(first, again, strict=True):
        np.testing.assert_array_equal(a, b)
    assert len({tuple(t) for t in _tests(ColdStartSplit(n_splits=6, random_state=1), X)}) > 1


@pytest.mark.parametrize(
    ("params", "error", "match"),
    [
        ({"entity": "session"}, ValueError, r"entity must be one of \['item', 'user'\]"),
        ({"test_size": 0}, ValueError, "test_size must be >= 1, got 0"),
        ({"test_size": 1.5}, ValueError, "test_size must be a float in"),
        ({"test_size": 3}, ValueError, "at least one of the 3 users"),
        ({"test_size": 0.1}, ValueError, "it puts 0 in the test part"),
        ({"n_splits": 0}, ValueError, "n_splits must be >= 1"),
    ],
)
def test_cold_start_errors(params, error, match):
    X = pd.DataFrame({"user": [0, 0, 1, 2], "item": [0, 1, 0, 1]})
    with pytest.raises(error, match=match):
        next(ColdStartSplit(**params).split(X))


# All splitters


def _all_splitters(time_column="timestamp"):
    return [
        UserHoldoutSplit(random_state=0),
        UserKFold(n_splits=3, random_state=0),
        LeaveLastOutSplit(time_column=time_column),
        TemporalSplit(time_column=time_column),
        ColdStartSplit(random_state=0),
    ]


@pytest.mark.parametrize("cv", _all_splitters(), ids=repr)
def test_cross_validate_and_grid_search(cv, timed):
    X, y = timed
    # Cold-start test users are unknown to the model by design.
    handle_unknown = "fallback" if isinstance(cv, ColdStartSplit) else "error"
    result = cross_validate(
        MatrixFactorization(max_epochs=1, handle_unknown=handle_unknown),
        X,
        y,
        cv=cv,
        scoring="neg_root_mean_squared_error",
        error_score="raise",
    )
    assert len(result["test_score"]) == cv.get_n_splits()
    assert np.isfinite(result["test_score"]).all()
    search = GridSearchCV(
        MatrixFactorization(max_epochs=1, handle_unknown=handle_unknown),
        {"n_factors": [2, 4]},
        cv=cv,
        scoring="neg_root_mean_squared_error",
        error_score="raise",
    ).fit(X, y)
    assert np.isfinite(search.cv_results_["mean_test_score"]).all()


@pytest.mark.parametrize("index", range(len(_all_splitters())))
def test_string_ids_arrays_and_lists(index, timed):
    X, _ = timed
    expected = list(_all_splitters()[index].split(X))
    named = X.assign(user="u" + X.user.astype(str), item="i" + X.item.astype(str))
    for X_, time_column in [
        (named, "timestamp"),
        (named.to_numpy(), 2),
        (named.to_numpy().tolist(), 2),
    ]:
        splits = _all_splitters(time_column)[index].split(X_)
        for (train, test), (train_, test_) in zip(splits, expected, strict=True):
            np.testing.assert_array_equal(train, train_)
            np.testing.assert_array_equal(test, test_)


def test_repr():
    assert repr(UserKFold(3)) == "UserKFold(n_splits=3, random_state=None)"
    assert repr(LeaveLastOutSplit()) == "LeaveLastOutSplit(n_test=1, time_column='timestamp')"
    assert (
        repr(TemporalSplit(test_size=0.1))
        == "TemporalSplit(cutoff=None, test_size=0.1, time_column='timestamp')"
    )
    assert (
        repr(ColdStartSplit("item", n_splits=2))
        == "ColdStartSplit(entity='item', test_size=0.2, n_splits=2, random_state=None)"
    )
    assert (
        repr(UserHoldoutSplit()) == "UserHoldoutSplit(test_size=0.2, n_splits=1, random_state=None)"
    )


def test_scale_one_million_rows():
    X, _ = make_interactions(
        n_users=20_000, n_items=5_000, n_interactions=1_000_000, timestamps=True, random_state=0
    )
    for cv in [LeaveLastOutSplit(), UserKFold(n_splits=5, random_state=0)]:
        for train, test in cv.split(X):
            assert len(train) + len(test) == len(X)
