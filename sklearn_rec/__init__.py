"""Recommender estimators that are first-class scikit-learn citizens."""

from .models import MatrixFactorization, NeuralRecommender

__version__ = "0.1.0.dev0"

__all__ = ["MatrixFactorization", "NeuralRecommender", "__version__"]
