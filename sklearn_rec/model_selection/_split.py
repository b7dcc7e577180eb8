"""Cross-validation splitters for interaction data (scikit-learn's protocol)."""

import numbers

import numpy as np
import pandas as pd
from sklearn.utils import check_random_state

from .._validation import check_interactions, check_positive_int


class UserHoldoutSplit:
    """Hold out a random part of each user's interactions.

    For every user, ``test_size`` of their interactions (a fraction, or a
    count) go to the test part, chosen at random, and the rest to training.
    The split is *warm*: every test user and item is also in the training
    part. A user with a single interaction stays wholly in training, at
    least one interaction of each user stays in training, and a test
    interaction whose item would be absent from training moves back to
    training.

    Follows scikit-learn's splitter protocol, so it can be passed as ``cv=``
    to :class:`~sklearn.model_selection.GridSearchCV` or
    :func:`~sklearn.model_selection.cross_validate`.

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

    def __init__(self, test_size=0.2, *, n_splits=1, random_state=None):
        self.test_size = test_size
        self.n_splits = n_splits
        self.random_state = random_state

    def get_n_splits(self, X=None, y=None, groups=None):
        """Number of splits: ``n_splits``."""
        return check_positive_int(self.n_splits, "n_splits")

    def split(self, X, y=None, groups=None):
        """Yield ``(train, test)`` row indices.

        Parameters
        ----------
        X : array-like or DataFrame of shape (n_samples, n_columns >= 2)
            Interactions: user ids in column 0, item ids in column 1.
        y, groups : ignored
            For compatibility with scikit-learn's splitters.

        Yields
        ------
        train, test : ndarray of int
        """
        users, items = check_interactions(X)
        test_size = self._check_test_size()
        rng = check_random_state(self.random_state)
        user_codes = pd.factorize(users)[0]
        item_codes = pd.factorize(items)[0]
        counts = np.bincount(user_codes)
        if isinstance(test_size, float):
            n_test = np.rint(test_size * counts).astype(np.int64)
        else:
            n_test = np.full(len(counts), test_size)
        n_test = np.minimum(n_test, counts - 1)
        for _ in range(self.get_n_splits()):
            order = rng.permutation(len(user_codes))
            # Rank of each row among its user's rows, in the random order.
            ranked = order[np.argsort(user_codes[order], kind="stable")]
            starts = np.cumsum(counts) - counts
            rank = np.empty(len(ranked), dtype=np.int64)
            rank[ranked] = np.arange(len(ranked)) - np.repeat(starts, counts)
            test = rank < n_test[user_codes]
            in_train = np.bincount(item_codes[~test], minlength=item_codes.max() + 1) > 0
            test &= in_train[item_codes]
            yield np.flatnonzero(~test), np.flatnonzero(test)

    def _check_test_size(self):
        size = self.test_size
        if isinstance(size, numbers.Integral) and not isinstance(size, bool):
            return check_positive_int(size, "test_size")
        if isinstance(size, numbers.Real) and 0 < size < 1:
            return float(size)
        raise ValueError(f"test_size must be a float in (0, 1) or an int >= 1, got {size!r}.")

    def __repr__(self):
        return (
            f"{type(self).__name__}(test_size={self.test_size!r}, "
            f"n_splits={self.n_splits!r}, random_state={self.random_state!r})"
        )
