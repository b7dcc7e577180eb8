"""LightFM without side features."""

import numpy as np

from .. import SEED
from ._dense import DenseScores


class LightFMModel(DenseScores):
    """LightFM without side features (identity features), scores from its representations.

    ``user_embedding . item_embedding + user_bias + item_bias`` is what
    ``LightFM.predict`` computes without features; ``epochs`` is a fit parameter.
    """

    library = "lightfm"

    def __init__(self, ctx, epochs=20, **params):
        from lightfm import LightFM

        self.epochs = epochs
        self.threads = ctx.threads
        self.model = LightFM(random_state=SEED, **params)

    def fit(self, part):
        seen = self._encode(part)
        self.model.fit(seen.tocoo(), epochs=self.epochs, num_threads=self.threads)
        user_bias, user_emb = self.model.get_user_representations()
        item_bias, item_emb = self.model.get_item_representations()
        self.user_emb = np.hstack([user_emb, user_bias[:, None], np.ones((len(user_bias), 1))])
        self.item_emb = np.hstack([item_emb, np.ones((len(item_bias), 1)), item_bias[:, None]])
        return self

    def score_rows(self, codes):
        return self.user_emb[codes] @ self.item_emb.T
