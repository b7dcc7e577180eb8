"""Surprise (scikit-surprise): rating prediction."""

import numpy as np

from .. import SEED


class SurpriseModel:
    """A Surprise algorithm (``SVD``, ``SVDpp``, ``BaselineOnly``) on the raw ids."""

    library = "surprise"

    def __init__(self, ctx, algorithm, **params):
        import surprise

        if algorithm == "BaselineOnly":
            params = {"bsl_options": {"method": "als", **params}, "verbose": False}
        else:
            params.setdefault("random_state", SEED)
        self.algo = getattr(surprise, algorithm)(**params)

    def fit(self, part, ratings=True):
        import surprise

        scale = (part.ratings.min(), part.ratings.max())
        frame = part.frame[["user", "item", "rating"]]
        trainset = surprise.Dataset.load_from_df(
            frame, surprise.Reader(rating_scale=scale)
        ).build_full_trainset()
        self.algo.fit(trainset)
        return self

    def predict_ratings(self, users, items):
        predict = self.algo.predict
        return np.array(
            [predict(u, i).est for u, i in zip(users.tolist(), items.tolist(), strict=True)]
        )
