"""Recommender estimators: PyTorch models on skorch, and baselines without torch.

``PopularityRecommender``, ``ItemKNN`` and ``EASE`` need numpy and scipy
only; ``MatrixFactorization`` and ``NeuralRecommender`` import PyTorch, on
first access.
"""

import importlib

__all__ = [
    "EASE",
    "ItemKNN",
    "MatrixFactorization",
    "NeuralRecommender",
    "PopularityRecommender",
]

_MODULES = {
    "EASE": "_baselines",
    "ItemKNN": "_baselines",
    "PopularityRecommender": "_baselines",
    "MatrixFactorization": "_mf",
    "NeuralRecommender": "_neural",
}


def __getattr__(name):
    if name not in _MODULES:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f".{_MODULES[name]}", __name__), name)
    globals()[name] = value
    return value


def __dir__():
    return sorted(set(globals()) | set(__all__))
