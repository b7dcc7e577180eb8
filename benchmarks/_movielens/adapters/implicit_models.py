"""implicit: ALS and BPR on the CPU."""

from threadpoolctl import threadpool_limits

from .. import SEED, K
from ._dense import DenseScores


class ImplicitModel(DenseScores):
    """implicit's CPU ``AlternatingLeastSquares`` / ``BayesianPersonalizedRanking``.

    implicit >= 0.5 takes a users x items matrix. Its OpenMP loop gets
    ``threads`` threads and, as implicit recommends, a single-threaded BLAS.
    Top-10 lists come from implicit's own ``recommend`` (seen items filtered).
    """

    library = "implicit"

    def __init__(self, ctx, algorithm, **params):
        from implicit.cpu.als import AlternatingLeastSquares
        from implicit.cpu.bpr import BayesianPersonalizedRanking

        cls = {"ALS": AlternatingLeastSquares, "BPR": BayesianPersonalizedRanking}[algorithm]
        with threadpool_limits(limits=1, user_api="blas"):
            self.model = cls(num_threads=ctx.threads, random_state=SEED, **params)

    def fit(self, part):
        seen = self._encode(part)
        with threadpool_limits(limits=1, user_api="blas"):
            self.model.fit(seen, show_progress=False)
        return self

    def recommend_top10(self, users):
        codes = self.user_index.get_indexer(users)
        with threadpool_limits(limits=1, user_api="blas"):
            top, _ = self.model.recommend(
                codes, self.seen[codes], N=K, filter_already_liked_items=True
            )
        return self.item_index.to_numpy()[top]

    def score_rows(self, codes):
        return self.model.user_factors[codes] @ self.model.item_factors.T
