"""Input validation shared by the estimators, the scorers and the splitters."""

import numbers
from typing import Any

import numpy as np
import pandas as pd
from scipy import sparse
from sklearn.utils import check_array, column_or_1d
from sklearn.utils.validation import _num_samples, assert_all_finite, validate_data

from ._typing import Array
from ._vocabulary import check_id_column


def check_interactions(X: Any) -> tuple[Array, Array]:
    """Validate ``X`` and return its user and item id columns.

    ``X`` holds one interaction per row: column 0 the user id, column 1 the
    item id, optional further columns after them.

    Parameters
    ----------
    X : array-like or DataFrame of shape (n_samples, n_columns >= 2)

    Returns
    -------
    users, items : ndarray of shape (n_samples,)
    """
    if sparse.issparse(X):
        raise TypeError(
            "Sparse data was passed for X, but dense data is required: X holds "
            "one (user, item) pair per row, not an interaction matrix."
        )
    if not hasattr(X, "iloc"):
        if not hasattr(X, "dtype"):
            # A list of rows mixing ids of several types would become an array
            # of strings; going through object keeps each id as it is.
            X = np.asarray(X, dtype=object)
        X = check_array(
            X,
            dtype=None,
            ensure_all_finite=False,
            ensure_min_features=2,
            input_name="X",
        )
        return check_id_column(X[:, 0], "user"), check_id_column(X[:, 1], "item")
    if X.ndim != 2:
        raise ValueError(f"Expected a 2-D X, got a {X.ndim}-D object.")
    n_samples, n_features = X.shape
    if n_samples == 0:
        raise ValueError(
            "Found array with 0 sample(s) (shape=(0, "
            f"{n_features})) while a minimum of 1 is required."
        )
    if n_features < 2:
        raise ValueError(
            f"Found array with {n_features} feature(s) (shape={X.shape}) while a "
            "minimum of 2 is required: X needs a user id column and an item id column."
        )
    return (
        check_id_column(X.iloc[:, 0].to_numpy(), "user"),
        check_id_column(X.iloc[:, 1].to_numpy(), "item"),
    )


def check_query_rows(estimator: Any, X: Any) -> tuple[Array, Array]:
    """The user and item columns of query rows ``X``, checked against ``estimator``'s ``fit``.

    The number of columns and their names must be those seen in ``fit``
    (``n_features_in_``, ``feature_names_in_``).
    """
    ndim = X.ndim if hasattr(X, "ndim") else np.asarray(X, dtype=object).ndim
    if ndim == 2:
        # First, so that a wrong number of columns gets scikit-learn's message.
        validate_data(estimator, X, reset=False, skip_check_array=True)
    return check_interactions(X)


def check_target(y: Any, n_samples: int, *, binary: bool = False) -> Array | None:
    """Validate ``y`` (ratings, weights or labels) and return it as float64.

    Parameters
    ----------
    y : array-like of shape (n_samples,) or None
    n_samples : int
        The number of rows of ``X``.
    binary : bool, default=False
        Whether ``y`` must hold 0/1 labels.

    Returns
    -------
    y : ndarray of shape (n_samples,) or None
    """
    if y is None:
        return None
    if _num_samples(y) != n_samples:
        raise ValueError(
            "Found input variables with inconsistent numbers of samples: "
            f"X has {n_samples} rows, y has {_num_samples(y)}."
        )
    y = column_or_1d(y, warn=True)
    try:
        y = np.asarray(y, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"y must be numeric, got values of dtype {y.dtype}.") from exc
    assert_all_finite(y, input_name="y")
    if binary and not np.isin(y, (0.0, 1.0)).all():
        values = np.unique(y)
        raise ValueError(
            "y must hold binary 0/1 labels for this loss (or be None for implicit "
            f"feedback, where every row is a positive); got values {values[:6]}"
            + (" ..." if len(values) > 6 else ".")
        )
    return y


def threshold_labels(y: Any, n_samples: int, threshold: float, *, check_range: bool) -> Array:
    """Ratings ``y`` as the 0/1 labels ``y >= threshold`` (``positive_threshold``).

    ``check_range`` (in ``fit``) rejects a threshold outside the ratings,
    which would make every row a positive, or none.
    """
    y = check_target(y, n_samples)
    low, high = y.min(), y.max()
    if check_range and not low <= threshold <= high:
        raise ValueError(
            f"positive_threshold={threshold!r} is outside the range of the ratings y, "
            f"[{low:g}, {high:g}]: rows with y >= positive_threshold are the positives, so "
            f"{'none' if threshold > high else 'every one'} of them would be. Pick a "
            "threshold within the ratings, or None when y holds 0/1 labels."
        )
    return (y >= threshold).astype(np.float64)


def missing_ratings_error(owner: str, threshold: float) -> ValueError:
    """The error for ``positive_threshold`` without ``y``."""
    return ValueError(
        f"{owner} requires y to be passed, but the target y is None: "
        f"positive_threshold={threshold!r} makes the rows with ratings "
        "y >= positive_threshold the positives. Pass the ratings as y, or set "
        "positive_threshold=None to make every row a positive."
    )


def check_ids(values: Any, name: str) -> Array:
    """Validate a 1-D collection of query ids (a scalar counts as one id)."""
    if np.ndim(values) == 0:
        values = [values]
    if isinstance(values, pd.Series | pd.Index):
        values = values.to_numpy()
    elif not hasattr(values, "dtype"):
        values = np.asarray(values, dtype=object)
    if values.ndim != 1:
        raise ValueError(f"{name} must be a 1-D collection of ids, got shape {np.shape(values)}.")
    return check_id_column(values, name)


def check_candidates(users: Any, items: Any) -> tuple[Array, Array, tuple[int, int]]:
    """Validate the queries of ``score_items``: a user per row of candidate items.

    Returns the users, the items flattened row by row and the items' shape.
    """
    users = check_ids(users, "users")
    items = np.asarray(items) if hasattr(items, "dtype") else np.asarray(items, dtype=object)
    if items.ndim != 2 or len(items) != len(users):
        raise ValueError(
            f"items must be 2-D with one row per user ({len(users)} rows), got shape {items.shape}."
        )
    return users, check_ids(items.ravel(), "items"), items.shape


def check_positive_int(value: Any, name: str, *, minimum: int = 1) -> int:
    """Check that ``value`` is an int (not a bool) of at least ``minimum``."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{name} must be an int, got {value!r} of type {type(value).__name__}.")
    if value < minimum:
        raise ValueError(f"{name} must be >= {minimum}, got {value!r}.")
    return int(value)


def check_option(value, name, options):
    """Check that ``value`` is one of ``options``."""
    if not isinstance(value, str) or value not in options:
        raise ValueError(f"{name} must be one of {sorted(options)}, got {value!r}.")
    return value


def check_real(value, name, *, low=None, high=None, include_low=True, include_high=True):
    """Check that ``value`` is a real number in ``[low, high]``."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be a real number, got {value!r}.")
    if not np.isfinite(value):
        raise ValueError(f"{name} must be finite, got {value!r}.")
    if low is not None and (value < low or (not include_low and value == low)):
        bound = ">=" if include_low else ">"
        raise ValueError(f"{name} must be {bound} {low}, got {value!r}.")
    if high is not None and (value > high or (not include_high and value == high)):
        bound = "<=" if include_high else "<"
        raise ValueError(f"{name} must be {bound} {high}, got {value!r}.")
    return float(value)
