"""Seen pairs and item popularity: what a recommender keeps of its training rows.

Nothing here depends on a model: the seen ``(user, item)`` pairs as a binary
CSR matrix (``seen_``), the popularity of each item, which ranks the
unknown-id fallback, and what explanations read of the training histories
beyond ``seen_`` (mean ratings, positive pairs).
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


def mean_ratings(users, items, y, shape, previous=None):
    """Each pair's mean rating over the rows given, as float32 CSR of ``shape``.

    The pairs given replace their entries of ``previous`` (the means of
    earlier rows), so a pair given again takes its mean in the new rows. A
    mean of 0 may be left without an entry: readers take the pairs from
    ``seen_``.
    """
    pairs, row = np.unique(users.astype(np.int64) * shape[1] + items, return_inverse=True)
    mean = np.bincount(row, weights=y) / np.bincount(row)
    coordinates = (pairs // shape[1], pairs % shape[1])
    means = sparse.csr_matrix((mean.astype(np.float32), coordinates), shape=shape)
    if previous is not None:
        given = sparse.csr_matrix((np.ones(len(pairs)), coordinates), shape=shape)
        means = means + previous - previous.multiply(given)
    return sparse.csr_matrix(means, dtype=np.float32)


def add_positive_pairs(positive_pairs, seen, users, items, positive, shape):
    """The positive pairs with those of new rows added, or ``None`` while every row is positive.

    ``positive_pairs`` (binary CSR of ``shape``, or ``None``) holds the
    positives of the rows so far; ``None`` means they are exactly ``seen``
    (the pairs before the new rows, or ``None`` before any), which holds
    until a row is labelled 0. ``positive`` is the mask of the new rows'
    positives, or ``None`` when all are.
    """
    if positive_pairs is None:
        if positive is None or positive.all():
            return None
        positive_pairs = sparse.csr_matrix(shape, dtype=np.float32) if seen is None else seen
    if positive is not None:
        users, items = users[positive], items[positive]
    return add_interactions(positive_pairs, interaction_matrix(users, items, shape))


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
