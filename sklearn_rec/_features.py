"""Side features of users and items: validation and encoding, torch-free.

A feature table is a :class:`pandas.DataFrame` indexed by raw user (or item)
ids, one column per feature. Columns of numbers are numeric features;
columns of strings, categories or booleans are categorical. The encoder
turns a table into two arrays aligned with an extended vocabulary (the
training ids, then the ids known only from the table): level codes, ``-1``
for a level without an embedding, and standardised numbers (0/1 indicator
columns as they are), ``0`` for a missing value.
"""

import numpy as np
import pandas as pd
from scipy import sparse
from sklearn.base import clone

from ._vocabulary import _MIXED_KINDS, Vocabulary


def _kind(column, name, values):
    dtype = values.dtype
    if isinstance(dtype, pd.CategoricalDtype) or pd.api.types.is_bool_dtype(dtype):
        return "categorical"
    if pd.api.types.is_numeric_dtype(dtype) and not pd.api.types.is_complex_dtype(dtype):
        return "numeric"
    if pd.api.types.is_string_dtype(dtype) or pd.api.types.is_object_dtype(dtype):
        try:
            pd.unique(values.dropna())
        except TypeError as exc:
            raise TypeError(
                f"Column {column!r} of {name} holds unhashable values (such as lists); a "
                "categorical feature takes one level per row: spread multi-valued features "
                "over 0/1 columns."
            ) from exc
        if pd.api.types.infer_dtype(values, skipna=True) in _MIXED_KINDS:
            types = sorted({type(value).__name__ for value in values.dropna()})
            raise TypeError(
                f"Column {column!r} of {name} mixes types ({', '.join(types)}); a feature "
                "column holds numbers, or levels of one type: convert it, e.g. with "
                f"{name}[{column!r}].astype(str)."
            )
        return "categorical"
    raise TypeError(
        f"Column {column!r} of {name} has dtype {dtype}; features must be numeric (int, "
        "float) or categorical (str, category, bool)."
    )


def check_table_index(table, name):
    """A feature table's index must hold each id once, without NaN."""
    if table.index.hasnans:
        raise ValueError(f"The index of {name} contains NaN; every row needs an id.")
    if not table.index.is_unique:
        duplicated = table.index[table.index.duplicated()].unique()[:10].tolist()
        raise ValueError(
            f"The index of {name} has repeated ids: {duplicated}; it must hold one row per id."
        )


def check_feature_table(table, name):
    """Validate a feature table; return it, or ``None`` for no features."""
    if table is None:
        return None
    if not isinstance(table, pd.DataFrame):
        raise TypeError(
            f"{name} must be None or a pandas DataFrame indexed by id, got {type(table).__name__}."
        )
    if table.shape[1] == 0:
        raise ValueError(f"{name} has no columns; pass None for no features.")
    check_table_index(table, name)
    if not table.columns.is_unique:
        repeated = table.columns[table.columns.duplicated()].unique()[:10].tolist()
        raise ValueError(
            f"{name} has repeated column names: {repeated}; each feature needs a column name "
            "of its own."
        )
    for column in table.columns:
        values = table[column]
        if _kind(column, name, values) == "numeric":
            numbers = values.to_numpy(dtype=np.float64, na_value=np.nan)
            if np.isinf(numbers).any():
                raise ValueError(f"Column {column!r} of {name} contains inf.")
    return table


def _extended_vocabulary(table, name, vocabulary):
    """The training ids, then the ids found only in ``table``."""
    in_training = vocabulary.encode(table.index) >= 0
    if not in_training.any():
        raise ValueError(
            f"None of the ids of {name} is an id of X (index dtype {table.index.dtype}, "
            f"ids dtype {vocabulary.index.dtype}): the table must be indexed by the ids of X."
        )
    return vocabulary.extended(Vocabulary.from_ids(table.index[~in_training]))


class FeatureEncoder:
    """Encode one feature table against the training vocabulary.

    Parameters
    ----------
    table : DataFrame
        A table validated by :func:`check_feature_table`.
    name : str
        The parameter it came from, for error messages.
    vocabulary : Vocabulary
        The training ids.

    Attributes
    ----------
    vocabulary : Vocabulary
        The training ids, then the ids found only in the table.
    level_names : list of str
        ``"column=level"`` for each level code, in the order of the codes.
    """

    # A table encoded here has no bag of weighted features (see TransformedFeatures).
    bag = None

    def __init__(self, table, name, vocabulary):
        self.vocabulary = _extended_vocabulary(table, name, vocabulary)
        rows = table.reindex(self.vocabulary.index)
        training_rows = rows.iloc[: len(vocabulary)]
        self.categorical = [c for c in table.columns if _kind(c, name, table[c]) == "categorical"]
        self.numeric = [c for c in table.columns if c not in self.categorical]

        # Levels get embeddings only if a training id has them: a level seen
        # only on cold ids would keep its random initial embedding.
        codes, offset, self.level_names = [], 0, []
        for column in self.categorical:
            levels = Vocabulary.from_ids(training_rows[column].dropna().to_numpy(dtype=object))
            column_codes = levels.encode(rows[column].to_numpy(dtype=object))
            codes.append(np.where(column_codes >= 0, column_codes + offset, -1))
            offset += len(levels)
            self.level_names += [f"{column}={level}" for level in levels.ids]
        self.n_levels = offset
        self.codes = np.stack(codes, axis=1) if codes else np.empty((len(rows), 0), np.int64)

        # Standardised with the statistics of the training ids, so that one
        # learning rate suits ages and years alike; a missing value becomes
        # the mean, 0. Indicator columns (only 0 and 1) stay as they are: a
        # rare indicator would otherwise become large (a genre of 2 movies in
        # 1682, about 29) and dominate its rows.
        numeric = rows[self.numeric].astype(np.float64)
        training = numeric.iloc[: len(vocabulary)]
        indicator = (training.isin([0.0, 1.0]) | training.isna()).all()
        mean = training.mean().fillna(0.0).where(~indicator, 0.0)
        std = training.std(ddof=0).fillna(0.0)
        std = std.where((std > 0) & ~indicator, 1.0)
        self.values = ((numeric - mean) / std).fillna(0.0).to_numpy(dtype=np.float32)


class TransformedFeatures:
    """A feature table encoded by a scikit-learn transformer (``user_encoder``, ``item_encoder``).

    The transformer is cloned, fitted on the rows of the training ids (as the
    built-in encoding takes its statistics from them) and transforms every
    row of the table. Dense output becomes numeric features (a linear map to
    the embedding); sparse output stays sparse, as a bag of weighted
    features (an embedding per output column, summed with the row's
    values). Ids of the vocabulary missing from the table get no features.

    It offers what a :class:`FeatureEncoder` does: ``vocabulary``, empty
    ``codes``, ``n_levels`` and ``level_names``, ``values`` and their names
    ``numeric``, and ``bag`` (CSR, or None) with ``bag_names``.
    """

    categorical: list = []
    level_names: list = []
    n_levels = 0

    def __init__(self, table, name, vocabulary, transformer, param):
        self.vocabulary = _extended_vocabulary(table, name, vocabulary)
        present = self.vocabulary.encode(table.index)  # every row of the table has a code
        order = np.argsort(present)
        rows, codes = table.iloc[order], present[order]
        training = codes < len(vocabulary)
        self.transformer = clone(transformer)
        self.transformer.fit(rows.iloc[training])
        output = self.transformer.transform(rows)
        n_rows = len(self.vocabulary)
        if np.ndim(output) != 2 or output.shape[0] != len(rows):
            raise ValueError(
                f"{param} must transform the {len(rows)} rows of {name} into a 2-D array of "
                f"{len(rows)} rows, got shape {np.shape(output)}."
            )
        try:
            names = [str(n) for n in self.transformer.get_feature_names_out()]
        except (AttributeError, ValueError, TypeError):
            names = []
        if len(names) != output.shape[1]:
            names = [f"{param}__{j}" for j in range(output.shape[1])]
        self.codes = np.empty((n_rows, 0), dtype=np.int64)
        if sparse.issparse(output):
            matrix = sparse.csr_matrix(output, dtype=np.float32)
            _check_finite(matrix.data, param, name)
            # Rows in vocabulary order; ids without a row of the table stay empty.
            expand = sparse.csr_matrix(
                (np.ones(len(codes), dtype=np.float32), (codes, np.arange(len(codes)))),
                shape=(n_rows, len(codes)),
            )
            self.bag = (expand @ matrix).tocsr()
            self.bag.sort_indices()
            self.bag_names = names
            self.values = np.empty((n_rows, 0), dtype=np.float32)
            self.numeric = []
        else:
            dense = np.asarray(output, dtype=np.float32)
            _check_finite(dense, param, name)
            self.values = np.zeros((n_rows, dense.shape[1]), dtype=np.float32)
            self.values[codes] = dense
            self.numeric = names
            self.bag, self.bag_names = None, []


def _check_finite(values, param, name):
    if not np.isfinite(values).all():
        raise ValueError(
            f"{param} transformed {name} into values that are not finite (NaN or inf); "
            "features must be finite numbers: impute or drop the missing values first."
        )
