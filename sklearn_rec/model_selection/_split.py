"""Cross-validation splitters for interaction data (scikit-learn's protocol).

Every splitter takes ``X`` with user ids in column 0 and item ids in column 1,
ignores ``y`` and ``groups``, and yields ``(train, test)`` arrays of row
positions, so that it can be passed as ``cv=`` to
:class:`~sklearn.model_selection.GridSearchCV` or
:func:`~sklearn.model_selection.cross_validate`.
"""

import inspect
import numbers
from abc import ABC, abstractmethod
from collections.abc import Iterator
from typing import Any

import numpy as np
import pandas as pd
from sklearn.utils import check_random_state

from .._typing import Array, Interactions, Target
from .._validation import check_interactions, check_option, check_positive_int


class _BaseSplitter(ABC):
    """Splitter protocol on top of ``_iter_masks``, which yields boolean masks.

    The train and test masks are separate, rather than one the complement of
    the other, because some splitters drop rows from both parts.
    """

    @abstractmethod
    def _iter_masks(self, X: Interactions) -> Iterator[tuple[Array, Array]]:
        """Yield ``(train, test)`` boolean masks over the rows of ``X``."""

    def split(
        self, X: Interactions, y: Target = None, groups: Any = None
    ) -> Iterator[tuple[Array, Array]]:
        """Yield ``(train, test)`` row indices.

        Parameters
        ----------
        X : array-like or DataFrame of shape (n_samples, n_columns >= 2)
            Interactions: user ids in column 0, item ids in column 1, further
            columns (such as a time column) after them.
        y, groups : ignored
            For compatibility with scikit-learn's splitters.

        Yields
        ------
        train, test : ndarray of int
            Positions of the training and test rows.
        """
        for train, test in self._iter_masks(X):
            yield np.flatnonzero(train), np.flatnonzero(test)

    def get_n_splits(self, X: Any = None, y: Any = None, groups: Any = None) -> int:
        """Number of splits: 1."""
        return 1

    def __repr__(self):
        names = list(inspect.signature(type(self).__init__).parameters)[1:]
        params = ", ".join(f"{name}={getattr(self, name)!r}" for name in names)
        return f"{type(self).__name__}({params})"


class UserHoldoutSplit(_BaseSplitter):
    """Hold out a random part of each user's interactions.

    For every user, ``test_size`` of their interactions (a fraction, or a
    count) go to the test part, chosen at random, and the rest to training.
    The split is *warm*: every test user and item is also in the training
    part. A user with a single interaction stays wholly in training, at
    least one interaction of each user stays in training, and a test
    interaction whose item would be absent from training moves back to
    training.

    Parameters
    ----------
    test_size : float in (0, 1) or int >= 1, default=0.2
        Fraction of each user's interactions to hold out (rounded to the
        nearest count), or the count.
    n_splits : int, default=1
        Number of independent random splits.
    random_state : int, RandomState instance or None, default=None
        Seeds the choice of test interactions.

    Examples
    --------
    >>> from sklearn_rec.datasets import make_interactions
    >>> from sklearn_rec.model_selection import UserHoldoutSplit
    >>> X, _ = make_interactions(n_users=50, n_items=30, n_interactions=600, random_state=0)
    >>> train, test = next(UserHoldoutSplit(test_size=0.2, random_state=0).split(X))
    >>> len(train) + len(test) == len(X)
    True
    >>> set(X.user[test]) <= set(X.user[train]) and set(X.item[test]) <= set(X.item[train])
    True
    """

    def __init__(
        self,
        test_size: float = 0.2,
        *,
        n_splits: int = 1,
        random_state: int | np.random.RandomState | None = None,
    ) -> None:
        self.test_size = test_size
        self.n_splits = n_splits
        self.random_state = random_state

    def get_n_splits(self, X: Any = None, y: Any = None, groups: Any = None) -> int:
        """Number of splits: ``n_splits``."""
        return check_positive_int(self.n_splits, "n_splits")

    def _iter_masks(self, X):
        users, items = _factorize(X)
        test_size = _check_test_size(self.test_size)
        rng = check_random_state(self.random_state)
        counts = np.bincount(users)
        n_test = np.minimum(_resolve_size(test_size, counts), counts - 1)
        for _ in range(self.get_n_splits()):
            rank = _rank_within_user(users, rng.permutation(len(users)))
            test = _keep_items_warm(rank < n_test[users], items)
            yield ~test, test


class UserKFold(_BaseSplitter):
    """K-fold cross-validation within each user's interactions.

    Each user's interactions are shuffled and dealt round robin into
    ``n_splits`` folds, starting from a random fold, so that the fold sizes
    of a user differ by at most one; fold ``f`` is the test part of split
    ``f`` and the rest of the interactions its training part. Every
    interaction is in the test part of exactly one split, except:

    - the interactions of a user with a single interaction, which stay in
      training in every split (a test part without a training part would
      leave the user unknown to the model);
    - a test interaction whose item has no other interaction outside its
      fold, which moves back to training in that split, so that every test
      item is also in training.

    A user with ``2 <= n < n_splits`` interactions has one test interaction
    in ``n`` of the splits and none in the others. Any other user has
    ``floor(n / n_splits)`` or ``ceil(n / n_splits)`` test interactions in
    each split, before the item rule, and so keeps at least one interaction
    in training in every split.

    Parameters
    ----------
    n_splits : int >= 2, default=5
        Number of folds.
    random_state : int, RandomState instance or None, default=None
        Seeds the shuffling of each user's interactions.

    Examples
    --------
    >>> from sklearn_rec.datasets import make_interactions
    >>> from sklearn_rec.model_selection import UserKFold
    >>> X, _ = make_interactions(n_users=50, n_items=30, n_interactions=600, random_state=0)
    >>> cv = UserKFold(n_splits=3, random_state=0)
    >>> cv
    UserKFold(n_splits=3, random_state=0)
    >>> folds = list(cv.split(X))
    >>> len(folds)
    3
    >>> train, test = folds[0]
    >>> set(X.user[test]) <= set(X.user[train]) and set(X.item[test]) <= set(X.item[train])
    True
    """

    def __init__(
        self, n_splits: int = 5, *, random_state: int | np.random.RandomState | None = None
    ) -> None:
        self.n_splits = n_splits
        self.random_state = random_state

    def get_n_splits(self, X: Any = None, y: Any = None, groups: Any = None) -> int:
        """Number of splits: ``n_splits``."""
        return check_positive_int(self.n_splits, "n_splits", minimum=2)

    def _iter_masks(self, X):
        users, items = _factorize(X)
        n_splits = self.get_n_splits()
        rng = check_random_state(self.random_state)
        rank = _rank_within_user(users, rng.permutation(len(users)))
        # A random first fold per user spreads the remainders of the users
        # over all folds instead of piling them into the first ones.
        first_fold = rng.randint(n_splits, size=users.max() + 1)
        fold = (rank + first_fold[users]) % n_splits
        fold[np.bincount(users)[users] == 1] = -1
        for f in range(n_splits):
            test = _keep_items_warm(fold == f, items)
            yield ~test, test


class LeaveLastOutSplit(_BaseSplitter):
    """Hold out each user's most recent interactions.

    For every user, the ``n_test`` most recent interactions by
    ``time_column`` are the test part and the others the training part; with
    the default ``n_test=1`` this is the leave-one-out protocol of neural
    collaborative filtering. There is a single split.

    - Interactions at the same time are ordered by row: the later row counts
      as the more recent.
    - A user with ``n_test`` interactions or fewer stays wholly in training.
    - A test interaction whose item would be absent from training moves back
      to training, so that every test user and item is also in training.

    Parameters
    ----------
    n_test : int >= 1, default=1
        Number of most recent interactions of each user to hold out.
    time_column : str or int, default="timestamp"
        The column of ``X`` holding the times: a column name (``X`` a
        DataFrame), or a position ``>= 2`` (an int is always a position).
        Times are numbers or datetimes, without missing values.

    Examples
    --------
    >>> import pandas as pd
    >>> from sklearn_rec.model_selection import LeaveLastOutSplit
    >>> X = pd.DataFrame({
    ...     "user": [1, 1, 1, 2, 2, 3],
    ...     "item": ["a", "b", "c", "b", "a", "a"],
    ...     "timestamp": [30, 10, 20, 5, 7, 1],
    ... })
    >>> train, test = next(LeaveLastOutSplit().split(X))
    >>> train, test
    (array([1, 2, 3, 5]), array([0, 4]))
    """

    def __init__(self, n_test: int = 1, *, time_column: str = "timestamp") -> None:
        self.n_test = n_test
        self.time_column = time_column

    def _iter_masks(self, X):
        users, items = _factorize(X)
        times = _check_times(X, self.time_column)
        n_test = check_positive_int(self.n_test, "n_test")
        # Stable ascending order, reversed: the most recent row first, and
        # among rows at the same time the later row first.
        recency = _rank_within_user(users, np.argsort(times, kind="stable")[::-1])
        test = (recency < n_test) & (np.bincount(users)[users] > n_test)
        test = _keep_items_warm(test, items)
        yield ~test, test


class TemporalSplit(_BaseSplitter):
    """Split all interactions at one point in time.

    The training part is every interaction strictly before the cut-off; the
    test part is every interaction at or after it whose user and item both
    occur in the training part. Test interactions of new users or items are
    dropped, in neither part: moving them to training would train on the
    future. There is a single split.

    The cut-off is ``cutoff`` when given; otherwise it is set by
    ``test_size`` (0.2 when neither is given): the time of the earliest of
    the latest ``test_size`` rows. Rows at that same time all go to the test
    side, so it can hold a few more rows than asked for.

    Parameters
    ----------
    cutoff : number, datetime-like or None, default=None
        Time at which the test part starts, compared with the time column:
        a number for a numeric column; a :class:`pandas.Timestamp` or
        anything it accepts (a ``datetime``, a ``"YYYY-MM-DD"`` string) for
        a datetime column. Datetimes with a time zone are compared in UTC.
        Exclusive with ``test_size``.
    test_size : float in (0, 1), int >= 1 or None, default=None
        Fraction of the rows (rounded to the nearest count), or count of
        rows, after the cut-off. Exclusive with ``cutoff``.
    time_column : str or int, default="timestamp"
        The column of ``X`` holding the times: a column name (``X`` a
        DataFrame), or a position ``>= 2`` (an int is always a position).
        Times are numbers or datetimes, without missing values.

    Examples
    --------
    >>> import pandas as pd
    >>> from sklearn_rec.model_selection import TemporalSplit
    >>> X = pd.DataFrame({
    ...     "user": [1, 2, 1, 2, 3, 1],
    ...     "item": ["a", "b", "b", "a", "a", "c"],
    ...     "timestamp": [1, 2, 3, 4, 5, 6],
    ... })
    >>> next(TemporalSplit(cutoff=4).split(X))
    (array([0, 1, 2]), array([3]))
    >>> next(TemporalSplit(test_size=0.5).split(X))
    (array([0, 1, 2]), array([3]))
    """

    def __init__(
        self, cutoff: Any = None, *, test_size: float | None = None, time_column: str = "timestamp"
    ) -> None:
        self.cutoff = cutoff
        self.test_size = test_size
        self.time_column = time_column

    def _iter_masks(self, X):
        users, items = _factorize(X)
        times = _check_times(X, self.time_column)
        if self.cutoff is None:
            cutoff = self._cutoff_from_size(times)
        elif self.test_size is None:
            cutoff = _check_cutoff(self.cutoff, times)
        else:
            raise ValueError(
                f"Pass either cutoff or test_size, not both; got cutoff={self.cutoff!r} "
                f"and test_size={self.test_size!r}."
            )
        train = times < cutoff
        if not train.any():
            raise ValueError(_empty_side_message(cutoff, "at or before the earliest", "training"))
        if train.all():
            raise ValueError(_empty_side_message(cutoff, "after the latest", "test"))
        test = ~train & _in_part(users, train) & _in_part(items, train)
        yield train, test

    def _cutoff_from_size(self, times):
        test_size = _check_test_size(0.2 if self.test_size is None else self.test_size)
        n_test = _resolve_size(test_size, len(times))
        _check_count_in_range(n_test, len(times), "rows")
        return np.partition(times, len(times) - n_test)[len(times) - n_test]


class ColdStartSplit(_BaseSplitter):
    """Hold out whole users or whole items.

    A random ``test_size`` of the distinct users (``entity="user"``) or items
    (``entity="item"``) is drawn, every interaction of theirs is a test
    interaction, and all other interactions are training interactions. The
    model has seen none of the held-out entities, which is how cold-start
    recommendation is evaluated. A test interaction whose *other* entity
    (its item for ``entity="user"``, its user for ``entity="item"``) has no
    training interaction is dropped, in neither part: the model would know
    neither of its ids, so its score would measure the fallback alone. Like
    :class:`~sklearn.model_selection.ShuffleSplit`, the ``n_splits`` splits
    are independent draws, so their test parts may overlap.

    Parameters
    ----------
    entity : {"user", "item"}, default="user"
        What to hold out whole.
    test_size : float in (0, 1) or int >= 1, default=0.2
        Fraction of the distinct entities to hold out (rounded to the nearest
        count), or their count. At least one entity must fall on each side.
    n_splits : int, default=1
        Number of independent random splits.
    random_state : int, RandomState instance or None, default=None
        Seeds the choice of held-out entities.

    Examples
    --------
    >>> from sklearn_rec.datasets import make_interactions
    >>> from sklearn_rec.model_selection import ColdStartSplit
    >>> X, _ = make_interactions(n_users=50, n_items=30, n_interactions=600, random_state=0)
    >>> train, test = next(ColdStartSplit("user", test_size=0.2, random_state=0).split(X))
    >>> X.user[test].nunique(), len(set(X.user[test]) & set(X.user[train]))
    (10, 0)
    """

    def __init__(
        self,
        entity: str = "user",
        test_size: float = 0.2,
        *,
        n_splits: int = 1,
        random_state: int | np.random.RandomState | None = None,
    ) -> None:
        self.entity = entity
        self.test_size = test_size
        self.n_splits = n_splits
        self.random_state = random_state

    def get_n_splits(self, X: Any = None, y: Any = None, groups: Any = None) -> int:
        """Number of splits: ``n_splits``."""
        return check_positive_int(self.n_splits, "n_splits")

    def _iter_masks(self, X):
        users, items = _factorize(X)
        entity = check_option(self.entity, "entity", {"user", "item"})
        held, other = (users, items) if entity == "user" else (items, users)
        n_entities = held.max() + 1
        n_test = _resolve_size(_check_test_size(self.test_size), n_entities)
        _check_count_in_range(n_test, n_entities, f"{entity}s")
        rng = check_random_state(self.random_state)
        for _ in range(self.get_n_splits()):
            is_test = np.zeros(n_entities, dtype=bool)
            is_test[rng.permutation(n_entities)[:n_test]] = True
            test = is_test[held]
            yield ~test, test & _in_part(other, ~test)


def _factorize(X):
    """Validate ``X`` and return its user and item ids as 0-based codes."""
    users, items = check_interactions(X)
    return pd.factorize(users)[0], pd.factorize(items)[0]


def _rank_within_user(users, order):
    """Rank of each row among its user's rows when the rows are taken in ``order``.

    ``users`` holds 0-based codes, ``order`` is a permutation of the rows.
    """
    counts = np.bincount(users)
    # Stable, so that rows of one user keep their relative place in ``order``.
    ranked = order[np.argsort(users[order], kind="stable")]
    rank = np.empty(len(ranked), dtype=np.int64)
    rank[ranked] = np.arange(len(ranked)) - np.repeat(np.cumsum(counts) - counts, counts)
    return rank


def _in_part(codes, part):
    """Whether the id of each row (0-based ``codes``) occurs among the rows of ``part``."""
    return (np.bincount(codes[part], minlength=codes.max() + 1) > 0)[codes]


def _keep_items_warm(test, items):
    """Move back to training the test rows whose item would have no training row."""
    return test & _in_part(items, ~test)


def _check_test_size(test_size):
    if isinstance(test_size, numbers.Integral) and not isinstance(test_size, bool):
        return check_positive_int(test_size, "test_size")
    if isinstance(test_size, numbers.Real) and 0 < test_size < 1:
        return float(test_size)
    raise ValueError(f"test_size must be a float in (0, 1) or an int >= 1, got {test_size!r}.")


def _resolve_size(test_size, total):
    """Count of test elements out of ``total`` (an int or an array of ints)."""
    if isinstance(test_size, float):
        return np.rint(test_size * np.asarray(total)).astype(np.int64)
    return np.full_like(total, test_size)


def _check_count_in_range(n_test, total, what):
    if not 0 < n_test < total:
        raise ValueError(
            f"test_size must leave at least one of the {total} {what} on each side of "
            f"the split, but it puts {n_test} in the test part."
        )


def _empty_side_message(cutoff, where, part):
    return (
        f"The cut-off {cutoff} is {where} time, which leaves the {part} part empty; "
        "choose cutoff or test_size so that rows fall on both sides."
    )


def _check_times(X, time_column):
    """Return the time column of ``X`` as a numeric or datetime64 ndarray."""
    if isinstance(time_column, str):
        if not hasattr(X, "columns"):
            raise ValueError(
                f"time_column={time_column!r} is a column name, but X has no column "
                "names; pass the position of the time column as an int."
            )
        if time_column not in X.columns:
            raise ValueError(
                f"time_column={time_column!r} is not a column of X; its columns are "
                f"{list(X.columns)}."
            )
        times = X[time_column]
    elif isinstance(time_column, numbers.Integral) and not isinstance(time_column, bool):
        if not hasattr(X, "iloc"):
            X = np.asarray(X, dtype=None if hasattr(X, "dtype") else object)
        n_columns = X.shape[1]
        if not 2 <= time_column < n_columns:
            raise ValueError(
                f"time_column={time_column!r} is not the position of a column after the "
                f"user and item ids: X has {n_columns} columns, so expected an int in "
                f"[2, {n_columns - 1}]."
            )
        times = X.iloc[:, time_column] if hasattr(X, "iloc") else X[:, time_column]
    else:
        raise TypeError(
            "time_column must be a column name (str) or a column position (int), "
            f"got {time_column!r}."
        )
    times = pd.Series(times, copy=False).infer_objects()
    if isinstance(times.dtype, pd.DatetimeTZDtype):
        times = times.dt.tz_convert(None)
    is_numeric = pd.api.types.is_numeric_dtype(times) and not pd.api.types.is_bool_dtype(times)
    if not (is_numeric or pd.api.types.is_datetime64_dtype(times)):
        raise TypeError(
            f"The time column {time_column!r} must hold numbers or datetimes, got "
            f"dtype {times.dtype}."
        )
    n_missing = int(times.isna().sum())
    if n_missing:
        raise ValueError(
            f"The time column {time_column!r} has {n_missing} missing value(s) (NaN or "
            "NaT); every interaction needs a time."
        )
    return times.to_numpy()


def _check_cutoff(cutoff, times):
    """Return ``cutoff`` in a form comparable with ``times``."""
    is_number = isinstance(cutoff, numbers.Real) and not isinstance(cutoff, bool)
    if times.dtype.kind == "M":
        message = (
            "cutoff must be datetime-like (a pandas Timestamp, a datetime or a date "
            f"string), since the time column holds datetimes; got {cutoff!r}."
        )
        # pandas reads a number as nanoseconds since 1970, rarely what was meant.
        if is_number:
            raise TypeError(message)
        try:
            timestamp = pd.Timestamp(cutoff)
        except (TypeError, ValueError) as exc:
            raise ValueError(message) from exc
        if timestamp is pd.NaT:
            raise ValueError(message)
        if timestamp.tz is not None:
            timestamp = timestamp.tz_convert(None)
        return timestamp.to_datetime64()
    if not is_number:
        raise TypeError(
            f"cutoff must be a number, since the time column holds numbers; got {cutoff!r}."
        )
    if np.isnan(cutoff):
        raise ValueError(f"cutoff must not be NaN, got {cutoff!r}.")
    return cutoff
