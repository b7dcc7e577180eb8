"""Id vocabularies: raw user and item ids to 0-based codes and back.

The mapping is sorted so that it does not depend on the order of the rows, and
encoding is vectorised through :meth:`pandas.Index.get_indexer`. Unknown ids
encode to ``-1``; what to do about them is the caller's decision.
"""

import numpy as np
import pandas as pd

UNKNOWN = -1

# ``infer_dtype`` results that mean one column holds ids of several types.
_MIXED_KINDS = {"mixed", "mixed-integer", "mixed-integer-float"}
_NUMERIC_KINDS = {"integer", "floating", "boolean"}


def check_id_column(values, name):
    """Validate one column of raw ids and return it as a 1-D ndarray.

    Parameters
    ----------
    values : array-like of shape (n,)
        Raw ids: any hashable values of one type (ints, strings, ...).
    name : str
        What the ids are, for error messages (``"user"``, ``"item"``).

    Returns
    -------
    values : ndarray of shape (n,)
    """
    values = np.asarray(values)
    if values.ndim != 1:
        raise ValueError(f"{name} ids must be 1-D, got an array of shape {values.shape}.")
    kind = values.dtype.kind
    if kind == "c":
        raise ValueError(f"Complex data not supported: {name} ids are complex.")
    if kind == "f" and not np.isfinite(values).all():
        raise ValueError(f"The {name} ids contain NaN or inf; ids must be finite values.")
    if kind == "O":
        if pd.isna(values).any():
            raise ValueError(f"The {name} ids contain NaN or None; every row needs an id.")
        inferred = pd.api.types.infer_dtype(values, skipna=False)
        if inferred in _MIXED_KINDS:
            types = sorted({type(value).__name__ for value in values})
            if any(not pd.api.types.is_scalar(value) for value in values):
                raise TypeError(
                    f"The {name} ids hold values of type {', '.join(types)}; ids must be "
                    "scalars such as ints or strings: join a composite key into one string."
                )
            raise TypeError(
                f"The {name} ids mix types ({', '.join(types)}); use one type per id "
                "column, e.g. convert it with .astype(str)."
            )
        if inferred in _NUMERIC_KINDS:
            # Object columns of plain ints or floats become numeric arrays, so
            # that they match a vocabulary learned from a numeric column.
            values = pd.Series(values, copy=False).infer_objects().to_numpy()
    return values


class Vocabulary:
    """The ids of one kind of entity (users or items) and their codes.

    Codes ``0 .. n_fitted - 1`` are the ids of the training interactions,
    sorted; codes from ``n_fitted`` on are ids known from elsewhere (a feature
    table), sorted too. Unknown ids encode to ``UNKNOWN``.

    Parameters
    ----------
    index : pandas.Index
        Every id, in code order.
    n_fitted : int, default=None
        How many of them come from the training interactions; default: all.
    """

    def __init__(self, index, n_fitted=None):
        self.index = index
        self.n_fitted = len(index) if n_fitted is None else n_fitted

    @classmethod
    def from_ids(cls, values):
        """The vocabulary of the distinct ``values``, sorted."""
        return cls(pd.Index(pd.unique(values)).sort_values())

    def extended(self, other):
        """This vocabulary followed by the ids of ``other`` (a vocabulary of new ids)."""
        return Vocabulary(self.index.append(other.index), self.n_fitted)

    def encode(self, values):
        """Map raw ids to their codes; ``UNKNOWN`` for ids not in the vocabulary."""
        return self.index.get_indexer(values).astype(np.int64, copy=False)

    def __len__(self):
        return len(self.index)

    @property
    def ids(self):
        """Every id, in code order (an ndarray: ``ids[codes]`` decodes)."""
        return self.index.to_numpy()

    @property
    def fitted_ids(self):
        """The ids of the training interactions."""
        return self.ids[: self.n_fitted]

    @property
    def extra_ids(self):
        """The ids known from elsewhere than the training interactions."""
        return self.ids[self.n_fitted :]
