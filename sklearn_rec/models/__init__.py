"""PyTorch recommenders on skorch."""

from ._mf import MatrixFactorization
from ._neural import NeuralRecommender

__all__ = ["MatrixFactorization", "NeuralRecommender"]
