"""Seeded data shared by the tests."""

import pytest

from sklearn_rec.datasets import make_interactions


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
