"""An estimator of this package, through its public API."""

import pandas as pd

from .. import K


class Ours:
    """An estimator of this package, used through its public API."""

    library = "sklearn_rec"

    def __init__(self, estimator, ctx):
        self.est = estimator

    def fit(self, part, ratings=False):
        self.est.fit(part.X(), part.ratings if ratings else None)
        return self

    def predict_ratings(self, users, items):
        return self.est.predict(pd.DataFrame({"user": users, "item": items}))

    def recommend_top10(self, users):
        return self.est.recommend(users, n=K)[0]

    def score_pairs(self, users, items):
        return self.est.score_items(users, items)


class Baseline(Ours):
    """A baseline of this package tuned like a peer: ``Baseline(ctx, estimator=EASE, **params)``."""

    def __init__(self, ctx, *, estimator, **params):
        super().__init__(estimator(**params), ctx)
