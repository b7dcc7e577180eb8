"""Recommender estimators that are first-class scikit-learn citizens.

The estimators import PyTorch; the submodules ``metrics``,
``model_selection`` and ``datasets`` do not, so they are imported only when
used, and ``MatrixFactorization`` and ``NeuralRecommender`` load PyTorch on
first access.
"""

import importlib

__version__ = "0.1.0.dev0"

__all__ = ["MatrixFactorization", "NeuralRecommender", "__version__"]

_LAZY = {"MatrixFactorization": "models", "NeuralRecommender": "models"}
_SUBMODULES = {"cli", "datasets", "metrics", "model_selection", "models", "utils"}


def __getattr__(name):
    if name in _LAZY:
        value = getattr(importlib.import_module(f".{_LAZY[name]}", __name__), name)
    elif name in _SUBMODULES:
        value = importlib.import_module(f".{name}", __name__)
    else:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    globals()[name] = value
    return value


def __dir__():
    return sorted(set(globals()) | set(__all__) | _SUBMODULES)
