"""The models of the benchmark: ours, ours at their defaults, and the reference models.

Change configurations here; the harness needs no change.
"""

from dataclasses import dataclass, field
from functools import partial

from sklearn_rec import (
    EASE,
    ItemKNN,
    MatrixFactorization,
    NeuralRecommender,
    PopularityRecommender,
)

from . import SEED
from .adapters.cornac_bpr import CornacBPR
from .adapters.global_mean import GlobalMean
from .adapters.implicit_models import ImplicitModel
from .adapters.lightfm_model import LightFMModel
from .adapters.ours import Baseline
from .adapters.surprise_models import SurpriseModel


@dataclass
class Spec:
    """How to build a model for one protocol and what to tune.

    ``factory(**params)`` builds the model for one candidate of ``grid`` (a
    dict of lists, expanded by ``sklearn.model_selection.ParameterGrid``).
    ``quick`` is the grid of ``--quick`` (default: the first candidate).
    ``tune=False``: the model is fitted as it is, with no validation fit.
    """

    factory: object
    grid: dict = field(default_factory=dict)
    quick: dict | None = None
    tune: bool = True


# =============================================================================
# OUR ESTIMATORS: configurations and grids per protocol. Edit here; the harness
# below needs no change. name -> {protocol: Spec(estimator factory, grid, quick)}
# =============================================================================
_MF = partial(MatrixFactorization, random_state=SEED)
_NCF = partial(NeuralRecommender, random_state=SEED)
_RANKING_MF_GRID = {"n_factors": [32, 128], "weight_decay": [0.001, 0.003, 0.01, 0.03]}
_RANKING_NCF_GRID = {"embedding_dim": [16, 64], "weight_decay": [0.0, 0.001, 0.01]}

OURS = {
    "MF mse": {
        "ratings": Spec(
            partial(_MF, loss="mse", handle_unknown="fallback"),
            {
                "n_factors": [32, 128],
                "weight_decay": [0.1, 0.15],
                "lr": [0.003, 0.01],
                "max_epochs": [20, 40],
            },
            quick={"max_epochs": [2]},
        ),
    },
    "NCF-MLP mse": {
        "ratings": Spec(
            partial(_NCF, loss="mse", handle_unknown="fallback"),
            {"embedding_dim": [16, 64], "weight_decay": [0.0, 0.01]},
            quick={"max_epochs": [2]},
        ),
    },
    "MF softmax": {
        "topn": Spec(
            partial(_MF, loss="softmax"),
            {"n_factors": [64, 128], "weight_decay": [0.05, 0.1]},
            quick={"max_epochs": [2]},
        ),
        "loo": Spec(
            partial(_MF, loss="softmax"),
            {"n_factors": [64, 128], "weight_decay": [0.05, 0.1]},
            quick={"max_epochs": [2]},
        ),
    },
    "NeuMF sampled softmax": {
        "topn": Spec(
            partial(_NCF, loss="sampled_softmax", architecture="neumf", n_negatives=20),
            {"embedding_dim": [16, 32], "weight_decay": [0.0, 0.01]},
            quick={"max_epochs": [1]},
        ),
        "loo": Spec(
            partial(_NCF, loss="sampled_softmax", architecture="neumf", n_negatives=20),
            {"embedding_dim": [16, 32], "weight_decay": [0.0, 0.01]},
            quick={"max_epochs": [1]},
        ),
    },
    "MF bpr": {
        "topn": Spec(partial(_MF, loss="bpr"), _RANKING_MF_GRID, quick={"max_epochs": [2]}),
        "loo": Spec(partial(_MF, loss="bpr"), _RANKING_MF_GRID, quick={"max_epochs": [2]}),
    },
    "MF bce": {
        "topn": Spec(partial(_MF, loss="bce"), _RANKING_MF_GRID, quick={"max_epochs": [2]}),
        "loo": Spec(partial(_MF, loss="bce"), _RANKING_MF_GRID, quick={"max_epochs": [2]}),
    },
    "NCF-MLP bce": {
        "topn": Spec(partial(_NCF, loss="bce"), _RANKING_NCF_GRID, quick={"max_epochs": [1]}),
        "loo": Spec(partial(_NCF, loss="bce"), _RANKING_NCF_GRID, quick={"max_epochs": [1]}),
    },
    "NeuMF bce": {
        "topn": Spec(
            partial(_NCF, loss="bce", architecture="neumf"),
            _RANKING_NCF_GRID,
            quick={"max_epochs": [1]},
        ),
        "loo": Spec(
            partial(_NCF, loss="bce", architecture="neumf"),
            _RANKING_NCF_GRID,
            quick={"max_epochs": [1]},
        ),
    },
}

# Our side of the Surprise SVD() comparison (ratings protocol): a setting chosen
# to fit faster than SVD's defaults (100 factors, 20 epochs of SGD).
SVD_COMPARISON = partial(
    _MF,
    loss="mse",
    handle_unknown="fallback",
    n_factors=32,
    max_epochs=10,
    batch_size=16384,
    lr=0.1,
)
# =============================================================================


# =============================================================================
# OUR ESTIMATORS AT THEIR DEFAULTS (--defaults): no grid, no validation fit;
# only random_state is set, and handle_unknown="fallback" for ratings (its
# folds hold users and items unseen in training, which the default rejects).
# =============================================================================
_RANKING_LOSSES = ("bce", "bpr", "softmax", "sampled_softmax")


def _at_defaults(factory, protocols):
    return {protocol: Spec(factory, tune=False) for protocol in protocols}


DEFAULTS = {
    "MatrixFactorization(handle_unknown='fallback')": _at_defaults(
        partial(MatrixFactorization, random_state=SEED, handle_unknown="fallback"), ("ratings",)
    ),
    **{
        f"MatrixFactorization(loss={loss!r})": _at_defaults(
            partial(MatrixFactorization, random_state=SEED, loss=loss), ("topn", "loo")
        )
        for loss in _RANKING_LOSSES
    },
    "NeuralRecommender()": _at_defaults(
        partial(NeuralRecommender, random_state=SEED), ("topn", "loo")
    ),
    # The classic NCF of He et al. (2017), the defaults before NeuMF with a sampled softmax.
    "NeuralRecommender(architecture='mlp', loss='bce', n_negatives=4)": _at_defaults(
        partial(
            NeuralRecommender, random_state=SEED, architecture="mlp", loss="bce", n_negatives=4
        ),
        ("topn", "loo"),
    ),
    "EASE()": _at_defaults(EASE, ("topn", "loo")),
    "ItemKNN()": _at_defaults(ItemKNN, ("topn", "loo")),
}
# =============================================================================


# =============================================================================
# REFERENCE MODELS: name -> (module that must import, {protocol: Spec}).
# The factory gets the run context first: Spec(partial(Adapter, ...), grid).
# =============================================================================
_SVD = partial(SurpriseModel, algorithm="SVD")
_ALS = partial(ImplicitModel, algorithm="ALS")
_IBPR = partial(ImplicitModel, algorithm="BPR")
_ALS_GRID = {"factors": [32, 64], "regularization": [0.01, 1.0], "alpha": [1.0, 5.0]}
_IBPR_GRID = {"factors": [64, 128], "learning_rate": [0.005, 0.01], "iterations": [50, 100]}
_WARP_GRID = {"loss": ["warp"], "no_components": [16, 32, 64], "epochs": [10, 20, 40]}
_CORNAC_GRID = {"k": [64, 128], "learning_rate": [0.01, 0.05], "max_iter": [200, 400]}
_EASE_GRID = {"l2": [50.0, 100.0, 250.0, 500.0, 1000.0]}
_KNN_GRID = {"n_neighbors": [50, 100, 200, 400], "shrinkage": [0.0, 10.0, 100.0]}

PEERS = {
    "Surprise SVD": (
        "surprise",
        {
            "ratings": Spec(
                _SVD,
                {"n_factors": [50, 100], "n_epochs": [20, 40], "reg_all": [0.02, 0.05]},
                quick={"n_epochs": [2]},
            )
        },
    ),
    "Surprise SVD++": (
        "surprise",
        {
            "ratings": Spec(
                partial(SurpriseModel, algorithm="SVDpp"),
                {"reg_all": [0.02, 0.05, 0.1], "cache_ratings": [True]},
                quick={"n_epochs": [1], "cache_ratings": [True]},
            )
        },
    ),
    "Surprise BaselineOnly": (
        "surprise",
        {
            "ratings": Spec(
                partial(SurpriseModel, algorithm="BaselineOnly"),
                {"reg_u": [5, 15, 25], "reg_i": [5, 10]},
            )
        },
    ),
    "Global mean": ("numpy", {"ratings": Spec(GlobalMean)}),
    "implicit ALS": (
        "implicit",
        {
            "topn": Spec(_ALS, _ALS_GRID, quick={"iterations": [2]}),
            "loo": Spec(_ALS, _ALS_GRID, quick={"iterations": [2]}),
        },
    ),
    "implicit BPR": (
        "implicit",
        {
            "topn": Spec(_IBPR, _IBPR_GRID, quick={"iterations": [2]}),
            "loo": Spec(_IBPR, _IBPR_GRID, quick={"iterations": [2]}),
        },
    ),
    "LightFM WARP": (
        "lightfm",
        {
            "topn": Spec(LightFMModel, _WARP_GRID, quick={"loss": ["warp"], "epochs": [2]}),
            "loo": Spec(LightFMModel, _WARP_GRID, quick={"loss": ["warp"], "epochs": [2]}),
        },
    ),
    "cornac BPR": (
        "cornac",
        {
            "topn": Spec(CornacBPR, _CORNAC_GRID, quick={"max_iter": [2]}),
            "loo": Spec(CornacBPR, _CORNAC_GRID, quick={"max_iter": [2]}),
        },
    ),
    # The package's own baselines: tuned here like the peers, at their
    # defaults in DEFAULTS.
    "EASE": (
        "numpy",
        {
            protocol: Spec(partial(Baseline, estimator=EASE), _EASE_GRID)
            for protocol in ("topn", "loo")
        },
    ),
    "ItemKNN": (
        "numpy",
        {
            protocol: Spec(partial(Baseline, estimator=ItemKNN), _KNN_GRID)
            for protocol in ("topn", "loo")
        },
    ),
    "Popularity": (
        "numpy",
        {
            protocol: Spec(partial(Baseline, estimator=PopularityRecommender))
            for protocol in ("topn", "loo")
        },
    ),
}
# =============================================================================
