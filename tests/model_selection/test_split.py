import numpy as np
import pandas as pd
import pytest

from sklearn_rec.model_selection import UserHoldoutSplit


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
