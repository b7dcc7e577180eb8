"""Seeded data and settings shared by the tests."""

import os
from pathlib import Path

import pytest
import torch

from sklearn_rec.datasets import make_interactions

REPO_ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def one_thread():
    """Torch on one thread for a module: tiny models only contend on a busy machine."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


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


@pytest.fixture(scope="session")
def movielens_home():
    """The folder that holds the extracted ml-100k and ml-latest-small."""
    home = Path(os.environ.get("SKLEARN_REC_DATA") or REPO_ROOT.parent / "shared" / "data")
    expected = [home / "ml-100k" / "u.data", home / "ml-latest-small" / "ratings.csv"]
    missing = [str(path) for path in expected if not path.is_file()]
    if missing:
        message = (
            f"MovieLens files not found: {', '.join(missing)}. Set SKLEARN_REC_DATA to the "
            "folder that holds ml-100k/ and ml-latest-small/."
        )
        if os.environ.get("CI"):
            pytest.fail(f"!!! {message} The MovieLens tests cannot run in CI without them.")
        pytest.skip(message)
    return home
