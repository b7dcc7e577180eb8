"""Recommender estimators that are first-class scikit-learn citizens.

``MatrixFactorization`` and ``NeuralRecommender`` import PyTorch; the
baselines (``PopularityRecommender``, ``ItemKNN``, ``EASE``) and the
submodules ``metrics``, ``model_selection``, ``datasets`` and ``rerank`` do
not. Every
name is imported on first access, so PyTorch loads only when used.
"""

import importlib

__version__ = "0.1.0.dev0"

__all__ = [
    "EASE",
    "ItemKNN",
    "MatrixFactorization",
    "NeuralRecommender",
    "PopularityRecommender",
    "__version__",
    "show_versions",
]

_LAZY = {name: "models" for name in __all__ if name not in {"__version__", "show_versions"}}
_LAZY["show_versions"] = "_show_versions"
_SUBMODULES = {"cli", "datasets", "metrics", "model_selection", "models", "rerank", "utils"}


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
