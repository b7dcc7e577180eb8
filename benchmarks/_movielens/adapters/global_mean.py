"""The global mean rating: written in the harness."""

import numpy as np


class GlobalMean:
    """The mean training rating for every pair."""

    library = "harness"

    def __init__(self, ctx):
        pass

    def fit(self, part, ratings=True):
        self.mean = part.ratings.mean()
        return self

    def predict_ratings(self, users, items):
        return np.full(len(users), self.mean)
