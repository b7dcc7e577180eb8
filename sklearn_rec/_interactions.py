"""Seen pairs and item popularity: what a recommender keeps of its training rows.

Nothing here depends on a model: the seen ``(user, item)`` pairs as a binary
CSR matrix (``seen_``), and the popularity of each item, which ranks the
unknown-id fallback.
"""

import numpy as np
from scipy import sparse


def interaction_matrix(user_codes, item_codes, shape):
    """Binary CSR matrix (float32) with a 1 at each distinct ``(user, item)`` pair."""
    # int32 coordinates give int32 indices (8 bytes a pair instead of 12
    # with the float32 data), and building on bool data keeps the
    # conversion's copies small: its peak is at 25M rows 350 MB, not 480.
    index = np.int32 if max(shape) <= np.iinfo(np.int32).max else np.int64
    coordinates = (user_codes.astype(index, copy=False), item_codes.astype(index, copy=False))
    ones = np.ones(len(user_codes), dtype=bool)
    matrix = sparse.csr_matrix((ones, coordinates), shape=shape)
    del coordinates, ones
    matrix.sum_duplicates()
    return matrix.astype(np.float32)


def add_interactions(seen, new):
    """``seen`` with the pairs of ``new`` added (both binary CSR of one shape)."""
    # Added in place of rebuilding from coordinates, which would hold two
    # int64 arrays per seen pair: seen_ grows with the data streamed.
    merged = seen + new
    merged.data[:] = 1
    return merged


def item_popularity(seen, item_rows, n_catalogue):
    """Training users per item, from ``seen`` (or training rows per item, ``item_rows``,
    when no seen pairs are kept); 0 for the items past them (known from features)."""
    popularity = np.zeros(n_catalogue)
    if seen is None:
        popularity[: len(item_rows)] = item_rows
    else:
        popularity[: seen.shape[1]] = np.asarray(seen.sum(axis=0)).ravel()
    return popularity


def popularity_scores(popularity, codes):
    """The popularity of the items ``codes``, scaled to [0, 1] by the most popular item."""
    return popularity[codes] / max(popularity.max(), 1.0)


def most_popular(popularity, candidates, k):
    """The ``k`` most popular of ``candidates`` (codes) and their ``popularity_scores``."""
    order = np.argsort(-popularity[candidates], kind="stable")[:k]
    top = candidates[order]
    return top, popularity_scores(popularity, top)
