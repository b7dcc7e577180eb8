"""cornac: BPR."""

import numpy as np

from .. import SEED
from ._dense import DenseScores


class CornacBPR(DenseScores):
    """cornac's BPR (with item bias); one thread, since a seed forces that in cornac."""

    library = "cornac"

    def __init__(self, ctx, **params):
        from cornac.models import BPR

        self.model = BPR(seed=SEED, verbose=False, **params)

    def fit(self, part):
        from cornac.data import Dataset

        seen = self._encode(part)
        coo = seen.tocoo()
        triples = list(zip(coo.row.tolist(), coo.col.tolist(), [1.0] * coo.nnz, strict=True))
        dataset = Dataset.from_uir(triples, seed=SEED)
        self.model.fit(dataset)
        users = np.array([dataset.uid_map[u] for u in range(seen.shape[0])])
        items = np.array([dataset.iid_map[i] for i in range(seen.shape[1])])
        self.user_factors = self.model.u_factors[users]
        self.item_factors = self.model.i_factors[items]
        self.item_bias = self.model.i_biases[items]
        return self

    def score_rows(self, codes):
        return self.user_factors[codes] @ self.item_factors.T + self.item_bias
