"""Id vocabularies: raw user and item ids to 0-based indices and back.

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
            raise TypeError(
                f"The {name} ids mix types ({inferred}, e.g. ints and strings); "
                f"use one type per id column."
            )
        if inferred in _NUMERIC_KINDS:
            # Object columns of plain ints or floats become numeric arrays, so
            # that they match a vocabulary learned from a numeric column.
            values = pd.Series(values, copy=False).infer_objects().to_numpy()
    return values


def build_vocabulary(values):
    """Return the sorted unique ids of ``values`` as a :class:`pandas.Index`."""
    return pd.Index(pd.unique(values)).sort_values()


def encode(vocabulary, values):
    """Map raw ids to their positions in ``vocabulary``; ``-1`` for unknown ids."""
    return vocabulary.get_indexer(values).astype(np.int64, copy=False)
