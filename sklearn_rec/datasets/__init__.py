"""Datasets: MovieLens loaders and synthetic interaction generators."""

from ._base import get_data_home
from ._movielens import fetch_movielens
from ._samples_generator import make_interactions

__all__ = ["fetch_movielens", "get_data_home", "make_interactions"]
