"""Seeded data shared by the tests."""

import numpy as np
import pandas as pd
import pytest

from sklearn_rec.datasets import make_interactions


def checkerboard(n=20, *, ratings=False):
    """User u likes the items of u's parity; the diagonal (u, u) is withheld.

    For ratings, liked pairs are rated 5 and half of the other pairs 1, so
    that the unrated items of user u are item u and items it would dislike.
    """
    users, items = np.meshgrid(np.arange(n), np.arange(n), indexing="ij")
    users, items = users.ravel(), items.ravel()
    liked = (users % 2 == items % 2) & (users != items)
    if not ratings:
        return pd.DataFrame({"user": users[liked], "item": items[liked]}), None
    disliked = (users % 2 != items % 2) & ((users + items) % 4 == 1)
    keep = liked | disliked
    X = pd.DataFrame({"user": users[keep], "item": items[keep]})
    return X, np.where(liked[keep], 5.0, 1.0)


@pytest.fixture(scope="session")
def ratings():
    """Explicit ratings with planted low-rank structure."""
    return make_interactions(
        n_users=120, n_items=100, n_interactions=6000, n_factors=4, random_state=0
    )


@pytest.fixture(scope="session")
def implicit():
    """Implicit feedback with planted low-rank structure."""
    X, _ = make_interactions(
        n_users=120,
        n_items=100,
        n_interactions=6000,
        n_factors=4,
        implicit=True,
        random_state=1,
    )
    return X
