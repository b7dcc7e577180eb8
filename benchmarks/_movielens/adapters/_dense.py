"""The NumPy top-10 and candidate scoring shared by the models that give a score row per user."""

import numpy as np
import pandas as pd

from .. import K
from ..data import interaction_matrix


def top_k(score_rows, seen, user_codes, k=K, chunk=1024):
    """Top ``k`` item codes per user from dense score rows, seen items left out.

    ``score_rows(codes)`` returns a ``(len(codes), n_items)`` array.
    """
    out = np.empty((len(user_codes), k), dtype=np.int64)
    for start in range(0, len(user_codes), chunk):
        block = user_codes[start : start + chunk]
        scores = np.array(score_rows(block), dtype=np.float64)
        sub = seen[block]
        scores[np.repeat(np.arange(len(block)), np.diff(sub.indptr)), sub.indices] = -np.inf
        part = np.argpartition(-scores, k - 1, axis=1)[:, :k]
        order = np.argsort(-np.take_along_axis(scores, part, axis=1), axis=1, kind="stable")
        out[start : start + len(block)] = np.take_along_axis(part, order, axis=1)
    return out


class DenseScores:
    """Shared ``recommend_top10`` / ``score_pairs`` from a score row per user.

    Subclasses set ``user_index``, ``item_index``, ``seen`` (CSR over the
    codes) in ``fit`` and define ``score_rows(user_codes)``.
    """

    def recommend_top10(self, users):
        codes = self.user_index.get_indexer(users)
        return self.item_index.to_numpy()[top_k(self.score_rows, self.seen, codes)]

    def score_pairs(self, users, items):
        user_codes = self.user_index.get_indexer(users)
        item_codes = self.item_index.get_indexer(items.ravel()).reshape(items.shape)
        scores = np.empty(items.shape)
        for start in range(0, len(users), 1024):
            rows = self.score_rows(user_codes[start : start + 1024])
            scores[start : start + 1024] = np.take_along_axis(
                np.asarray(rows), item_codes[start : start + 1024], axis=1
            )
        return scores

    def _encode(self, part):
        self.user_index = pd.Index(np.unique(part.users))
        self.item_index = pd.Index(np.unique(part.items))
        self.seen = interaction_matrix(part.users, part.items, self.user_index, self.item_index)
        return self.seen
