"""Quality on MovieLens against reference libraries, under identical splits and tuning.

Three protocols, each run on every data set of ``--datasets``:

1. ``ratings``: rating prediction, 5-fold cross-validation with
   ``KFold(5, shuffle=True, random_state=0)`` over all rows; RMSE and MAE.
   Every model's predictions are clipped to the rating scale of the data
   (Surprise clips by default; the others get the same treatment). A separate
   comparison runs Surprise's ``SVD()`` with its default settings against one
   fast ``MatrixFactorization(loss="mse")`` setting (``SVD_COMPARISON``) on the
   same folds: RMSE and fit seconds of both.
2. ``topn``: top-10 recommendation over the whole catalogue.
   ``UserHoldoutSplit(test_size=0.2, random_state=0)`` holds out a random 20%
   of each user's interactions; every interaction is a positive (ratings are
   ignored); every model ranks all training items for each test user, the
   user's training items left out. NDCG@10, Precision@10, Recall@10, MAP@10,
   HR@10 from ``sklearn_rec.metrics`` for every model, and catalogue coverage
   (distinct items in all top-10 lists over the number of items).
3. ``loo``: the leave-one-out protocol of NCF (He et al., WWW 2017). Each
   user's latest interaction (``LeaveLastOutSplit`` on the timestamps) is the
   test item, ranked against 99 items the user never interacted with in the
   whole data set, drawn once with a fixed seed and shared by every model.
   The target comes last among the 100 candidates and the ranking is a stable
   sort, so the target loses ties. HR@10 and NDCG@10 from ``sklearn_rec.metrics``.

Tuning is the same for every model: each candidate of the model's grid is
fitted on an inner training part and scored on a validation part, both carved
out of the outer *training* part by the same protocol (the first split of
``KFold(5, shuffle=True, random_state=0)`` for ``ratings``, a
``UserHoldoutSplit(0.2, random_state=0)`` for ``topn``, ``LeaveLastOutSplit``
with 99 validation negatives drawn among the items outside the user's training
interactions for ``loo``). The test part is never looked at. The best candidate
(lowest RMSE; highest NDCG@10 for ``topn`` and ``loo``) is refitted on the
whole training part and evaluated once. For ``ratings`` tuning happens once,
on fold 0's training part, and the chosen parameters are reused on all five
folds.

Our estimators and their grids are set in ``OURS`` below, the reference
models in ``PEERS``; change the configurations there, not in the harness.
Reference libraries are optional: a model whose library does not import is
skipped with the reason printed. EASE (Steck, WWW 2019) and popularity are
written here.

Threads: ``--threads`` (default 2) for torch (``torch.set_num_threads``),
BLAS and LAPACK (``threadpoolctl``), implicit's and LightFM's OpenMP loops.
implicit's and LightFM's multi-threaded SGD (BPR, WARP) are Hogwild and not
bit-for-bit repeatable with more than one thread. cornac's BPR runs on one
thread whatever ``--threads`` is, since a seed forces that. Surprise is single
threaded. Fit and recommend seconds are wall times (``time.perf_counter``)
and need an idle machine to compare across libraries.

Usage::

    python benchmarks/movielens.py --quick                       # smoke run, minutes
    python benchmarks/movielens.py --datasets 100k --protocols topn --models EASE,MF
    python benchmarks/movielens.py --datasets 100k,latest-small  # the full benchmark

The data is read with ``sklearn_rec.datasets.fetch_movielens`` (set
``SKLEARN_REC_DATA`` to a folder holding the extracted archives). Results go to
``--out`` with the suffixes ``.md`` and ``.json``.
"""

import argparse
import importlib
import importlib.metadata
import json
import os
import platform
import subprocess
import sys
import time
import traceback
from dataclasses import dataclass, field
from functools import partial

import numpy as np
import pandas as pd
import torch
from scipy import sparse
from scipy.linalg import lapack
from sklearn.model_selection import KFold, ParameterGrid
from threadpoolctl import threadpool_limits

import sklearn_rec
from sklearn_rec import MatrixFactorization, NeuralRecommender
from sklearn_rec.datasets import fetch_movielens
from sklearn_rec.metrics import (
    hit_rate_at_k,
    map_at_k,
    ndcg_at_k,
    precision_at_k,
    recall_at_k,
)
from sklearn_rec.metrics._scorer import relevant_items_by_user
from sklearn_rec.model_selection import LeaveLastOutSplit, UserHoldoutSplit

SEED = 0
K = 10
N_NEGATIVES = 99
PROTOCOLS = ("ratings", "topn", "loo")
DATASETS = ("100k", "latest-small")


@dataclass
class Spec:
    """How to build a model for one protocol and what to tune.

    ``factory(**params)`` builds the model for one candidate of ``grid`` (a
    dict of lists, expanded by ``sklearn.model_selection.ParameterGrid``).
    ``quick`` is the grid of ``--quick`` (default: the first candidate).
    """

    factory: object
    grid: dict = field(default_factory=dict)
    quick: dict | None = None


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


# -- the data of one split ------------------------------------------------------


@dataclass
class Part:
    """Interactions of one side of a split: raw ids, ratings, timestamps."""

    frame: pd.DataFrame  # columns user, item, timestamp, rating

    @property
    def users(self):
        return self.frame["user"].to_numpy()

    @property
    def items(self):
        return self.frame["item"].to_numpy()

    @property
    def ratings(self):
        return self.frame["rating"].to_numpy(dtype=np.float64)

    def X(self, with_time=False):
        return self.frame[["user", "item", "timestamp"] if with_time else ["user", "item"]]

    def take(self, positions):
        return Part(self.frame.iloc[positions].reset_index(drop=True))


def interaction_matrix(users, items, user_index, item_index, dtype=np.float32):
    """Binary CSR matrix (users x items) of the pairs, codes from the two indexes."""
    rows, cols = user_index.get_indexer(users), item_index.get_indexer(items)
    matrix = sparse.csr_matrix(
        (np.ones(len(rows), dtype=dtype), (rows, cols)), shape=(len(user_index), len(item_index))
    )
    matrix.sum_duplicates()
    matrix.data[:] = 1
    matrix.sort_indices()
    return matrix


def top_k(score_rows, seen, user_codes, k=K, chunk=1024):
    """Top ``k`` item codes per user from dense score rows, seen items left out.

    ``score_rows(codes)`` returns a ``(len(codes), n_items)`` array.
    """
    out = np.empty((len(user_codes), k), dtype=np.int64)
    for start in range(0, len(user_codes), chunk):
        block = user_codes[start : start + chunk]
        scores = np.array(score_rows(block), dtype=np.float64)
        sub = seen[block]
        scores[np.repeat(np.arange(len(block)), np.diff(sub.indptr)), sub.indices] = -np.inf
        part = np.argpartition(-scores, k - 1, axis=1)[:, :k]
        order = np.argsort(-np.take_along_axis(scores, part, axis=1), axis=1, kind="stable")
        out[start : start + len(block)] = np.take_along_axis(part, order, axis=1)
    return out


# -- adapters: one per library, the same methods for every model ------------------
#
# fit(part) -> self; predict_ratings(users, items) -> (n,);
# recommend_top10(users) -> (n_users, 10) raw item ids, training items left out;
# score_pairs(users, items) -> scores of the (n_users, n_candidates) raw items.


class Ours:
    """An estimator of this package, used through its public API."""

    library = "sklearn_rec"

    def __init__(self, estimator, ctx):
        self.est = estimator

    def fit(self, part, ratings=False):
        self.est.fit(part.X(), part.ratings if ratings else None)
        return self

    def predict_ratings(self, users, items):
        return self.est.predict(pd.DataFrame({"user": users, "item": items}))

    def recommend_top10(self, users):
        return self.est.recommend(users, n=K)[0]

    def score_pairs(self, users, items):
        return self.est.score_items(users, items)


class DenseScores:
    """Shared ``recommend_top10`` / ``score_pairs`` from a score row per user.

    Subclasses set ``user_index``, ``item_index``, ``seen`` (CSR over the
    codes) in ``fit`` and define ``score_rows(user_codes)``.
    """

    def recommend_top10(self, users):
        codes = self.user_index.get_indexer(users)
        return self.item_index.to_numpy()[top_k(self.score_rows, self.seen, codes)]

    def score_pairs(self, users, items):
        user_codes = self.user_index.get_indexer(users)
        item_codes = self.item_index.get_indexer(items.ravel()).reshape(items.shape)
        scores = np.empty(items.shape)
        for start in range(0, len(users), 1024):
            rows = self.score_rows(user_codes[start : start + 1024])
            scores[start : start + 1024] = np.take_along_axis(
                np.asarray(rows), item_codes[start : start + 1024], axis=1
            )
        return scores

    def _encode(self, part):
        self.user_index = pd.Index(np.unique(part.users))
        self.item_index = pd.Index(np.unique(part.items))
        self.seen = interaction_matrix(part.users, part.items, self.user_index, self.item_index)
        return self.seen


class Popularity(DenseScores):
    """Items ranked by their number of training users."""

    library = "harness"

    def __init__(self, ctx):
        pass

    def fit(self, part):
        seen = self._encode(part)
        self.counts = np.asarray(seen.sum(axis=0), dtype=np.float64).ravel()
        return self

    def score_rows(self, codes):
        return np.broadcast_to(self.counts, (len(codes), len(self.counts)))


class EASE(DenseScores):
    """EASE^R (Steck, WWW 2019): closed-form item-item model with a zero diagonal.

    ``P = (X^T X + l2 I)^-1``, ``B = I - P / diag(P)`` (so ``B_jj = 0`` and
    ``B_ij = -P_ij / P_jj``), scores ``X_u B``. ``P`` comes from a Cholesky
    factorisation (LAPACK ``potrf`` / ``potri``) in float64.
    """

    library = "harness"

    def __init__(self, ctx, l2=500.0):
        self.l2 = l2

    def fit(self, part):
        seen = self._encode(part)
        gram = (seen.T @ seen).toarray().astype(np.float64)
        gram[np.diag_indices_from(gram)] += self.l2
        factor, info = lapack.dpotrf(gram, lower=False, overwrite_a=True)
        if info:
            raise np.linalg.LinAlgError(f"potrf failed with info={info}")
        inverse, info = lapack.dpotri(factor, lower=False, overwrite_c=True)
        if info:
            raise np.linalg.LinAlgError(f"potri failed with info={info}")
        inverse = np.triu(inverse) + np.triu(inverse, 1).T  # potri fills one triangle
        self.B = inverse / -np.diag(inverse)
        np.fill_diagonal(self.B, 0.0)
        return self

    def score_rows(self, codes):
        return self.seen[codes] @ self.B


class GlobalMean:
    """The mean training rating for every pair."""

    library = "harness"

    def __init__(self, ctx):
        pass

    def fit(self, part, ratings=True):
        self.mean = part.ratings.mean()
        return self

    def predict_ratings(self, users, items):
        return np.full(len(users), self.mean)


class SurpriseModel:
    """A Surprise algorithm (``SVD``, ``SVDpp``, ``BaselineOnly``) on the raw ids."""

    library = "surprise"

    def __init__(self, ctx, algorithm, **params):
        import surprise

        if algorithm == "BaselineOnly":
            params = {"bsl_options": {"method": "als", **params}, "verbose": False}
        else:
            params.setdefault("random_state", SEED)
        self.algo = getattr(surprise, algorithm)(**params)

    def fit(self, part, ratings=True):
        import surprise

        scale = (part.ratings.min(), part.ratings.max())
        frame = part.frame[["user", "item", "rating"]]
        trainset = surprise.Dataset.load_from_df(
            frame, surprise.Reader(rating_scale=scale)
        ).build_full_trainset()
        self.algo.fit(trainset)
        return self

    def predict_ratings(self, users, items):
        predict = self.algo.predict
        return np.array(
            [predict(u, i).est for u, i in zip(users.tolist(), items.tolist(), strict=True)]
        )


class ImplicitModel(DenseScores):
    """implicit's CPU ``AlternatingLeastSquares`` / ``BayesianPersonalizedRanking``.

    implicit >= 0.5 takes a users x items matrix. Its OpenMP loop gets
    ``threads`` threads and, as implicit recommends, a single-threaded BLAS.
    Top-10 lists come from implicit's own ``recommend`` (seen items filtered).
    """

    library = "implicit"

    def __init__(self, ctx, algorithm, **params):
        from implicit.cpu.als import AlternatingLeastSquares
        from implicit.cpu.bpr import BayesianPersonalizedRanking

        cls = {"ALS": AlternatingLeastSquares, "BPR": BayesianPersonalizedRanking}[algorithm]
        with threadpool_limits(limits=1, user_api="blas"):
            self.model = cls(num_threads=ctx.threads, random_state=SEED, **params)

    def fit(self, part):
        seen = self._encode(part)
        with threadpool_limits(limits=1, user_api="blas"):
            self.model.fit(seen, show_progress=False)
        return self

    def recommend_top10(self, users):
        codes = self.user_index.get_indexer(users)
        with threadpool_limits(limits=1, user_api="blas"):
            top, _ = self.model.recommend(
                codes, self.seen[codes], N=K, filter_already_liked_items=True
            )
        return self.item_index.to_numpy()[top]

    def score_rows(self, codes):
        return self.model.user_factors[codes] @ self.model.item_factors.T


class LightFMModel(DenseScores):
    """LightFM without side features (identity features), scores from its representations.

    ``user_embedding . item_embedding + user_bias + item_bias`` is what
    ``LightFM.predict`` computes without features; ``epochs`` is a fit parameter.
    """

    library = "lightfm"

    def __init__(self, ctx, epochs=20, **params):
        from lightfm import LightFM

        self.epochs = epochs
        self.threads = ctx.threads
        self.model = LightFM(random_state=SEED, **params)

    def fit(self, part):
        seen = self._encode(part)
        self.model.fit(seen.tocoo(), epochs=self.epochs, num_threads=self.threads)
        user_bias, user_emb = self.model.get_user_representations()
        item_bias, item_emb = self.model.get_item_representations()
        self.user_emb = np.hstack([user_emb, user_bias[:, None], np.ones((len(user_bias), 1))])
        self.item_emb = np.hstack([item_emb, np.ones((len(item_bias), 1)), item_bias[:, None]])
        return self

    def score_rows(self, codes):
        return self.user_emb[codes] @ self.item_emb.T


class CornacBPR(DenseScores):
    """cornac's BPR (with item bias); one thread, since a seed forces that in cornac."""

    library = "cornac"

    def __init__(self, ctx, **params):
        from cornac.models import BPR

        self.model = BPR(seed=SEED, verbose=False, **params)

    def fit(self, part):
        from cornac.data import Dataset

        seen = self._encode(part)
        coo = seen.tocoo()
        triples = list(zip(coo.row.tolist(), coo.col.tolist(), [1.0] * coo.nnz, strict=True))
        dataset = Dataset.from_uir(triples, seed=SEED)
        self.model.fit(dataset)
        users = np.array([dataset.uid_map[u] for u in range(seen.shape[0])])
        items = np.array([dataset.iid_map[i] for i in range(seen.shape[1])])
        self.user_factors = self.model.u_factors[users]
        self.item_factors = self.model.i_factors[items]
        self.item_bias = self.model.i_biases[items]
        return self

    def score_rows(self, codes):
        return self.user_factors[codes] @ self.item_factors.T + self.item_bias


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
    "EASE": ("numpy", {"topn": Spec(EASE, _EASE_GRID), "loo": Spec(EASE, _EASE_GRID)}),
    "Popularity": ("numpy", {"topn": Spec(Popularity), "loo": Spec(Popularity)}),
}
# =============================================================================


@dataclass
class Context:
    threads: int
    quick: bool


def models_for(protocol, selected, ctx):
    """``[(name, library, spec, make)]`` for a protocol; prints skipped models.

    ``make(**params)`` returns an adapter.
    """
    found = []
    for name, protocols in OURS.items():
        if protocol in protocols and selected(name):
            spec = protocols[protocol]
            found.append((name, "sklearn_rec", spec, _ours_maker(spec, ctx)))
    for name, (module, protocols) in PEERS.items():
        if protocol not in protocols or not selected(name):
            continue
        try:
            importlib.import_module(module)
        except ImportError as exc:
            print(f"  skipped {name}: cannot import {module} ({exc})", flush=True)
            SKIPPED[name] = f"cannot import {module}: {exc}"
            continue
        spec = protocols[protocol]
        library = getattr(spec.factory, "func", spec.factory).library
        found.append((name, library, spec, partial(spec.factory, ctx)))
    return found


def _ours_maker(spec, ctx):
    def make(**params):
        return Ours(spec.factory(**params), ctx)

    return make


def candidates(spec, quick):
    grid = spec.quick if quick and spec.quick is not None else spec.grid
    expanded = list(ParameterGrid(grid)) if grid else [{}]
    return expanded[:1] if quick and spec.quick is None else expanded


def timed(function, *args, **kwargs):
    start = time.perf_counter()
    result = function(*args, **kwargs)
    return result, time.perf_counter() - start


def fmt_params(params):
    return ", ".join(f"{k}={v}" for k, v in params.items()) or "-"


def tune(name, make, spec, ctx, evaluate, prefix):
    """Fit every candidate on the inner split; return the best and the table.

    ``evaluate(model) -> float`` fits and scores one candidate (higher is better).
    """
    table = []
    started = time.perf_counter()
    grid = candidates(spec, ctx.quick)
    for params in grid:
        value = evaluate(make(**params))
        table.append({"params": params, "score": value})
        if len(grid) > 1:
            print(f"    {prefix} {name} [{fmt_params(params)}]: {value:.4f}", flush=True)
    best = max(table, key=lambda row: row["score"])
    return best["params"], table, time.perf_counter() - started


# -- protocol 1: ratings ----------------------------------------------------------


def rmse_mae(y_true, y_pred):
    error = y_pred - y_true
    return float(np.sqrt(np.mean(error**2))), float(np.mean(np.abs(error)))


def fit_predict_ratings(model, train, test, scale):
    model, fit_s = timed(model.fit, train, ratings=True)
    pred, predict_s = timed(model.predict_ratings, test.users, test.items)
    rmse, mae = rmse_mae(test.ratings, np.clip(pred, *scale))
    return rmse, mae, fit_s, predict_s


def run_ratings(data, selected, ctx, tag):
    scale = (float(data.ratings.min()), float(data.ratings.max()))
    folds = list(KFold(5, shuffle=True, random_state=SEED).split(data.frame))
    train0 = data.take(folds[0][0])
    inner_train, inner_val = next(KFold(5, shuffle=True, random_state=SEED).split(train0.frame))
    inner_train, inner_val = train0.take(inner_train), train0.take(inner_val)
    results = []
    for name, library, spec, make in models_for("ratings", selected, ctx):
        try:

            def evaluate(model):
                return -fit_predict_ratings(model, inner_train, inner_val, scale)[0]

            params, table, tune_s = tune(name, make, spec, ctx, evaluate, tag)
            per_fold = [
                fit_predict_ratings(make(**params), data.take(tr), data.take(te), scale)
                for tr, te in folds
            ]
            rmse, mae, fit_s, predict_s = (np.array(v) for v in zip(*per_fold, strict=True))
            row = {
                "model": name,
                "library": library,
                "rmse": float(rmse.mean()),
                "rmse_std": float(rmse.std()),
                "mae": float(mae.mean()),
                "mae_std": float(mae.std()),
                "fit_s": float(fit_s.mean()),
                "predict_s": float(predict_s.mean()),
                "rmse_per_fold": rmse.tolist(),
                "params": params,
                "grid": spec_grid(spec, ctx),
                "validation": [{**r, "score": -r["score"]} for r in table],
                "tune_s": tune_s,
            }
            print(
                f"  {tag} {name}: RMSE {row['rmse']:.4f} MAE {row['mae']:.4f} "
                f"fit {row['fit_s']:.1f}s/fold  [{fmt_params(params)}] (tuned in {tune_s:.0f}s)",
                flush=True,
            )
        except Exception as exc:  # a failing model must not end a long run
            row = failed(name, library, exc, tag)
        results.append(row)
    comparison = None
    if selected("Surprise SVD") or selected("MF mse"):
        comparison = compare_svd(data, folds, scale, ctx, tag)
    return {
        "split": "KFold(5, shuffle=True, random_state=0) over all rows",
        "tuning": "once, on fold 0's training part: first split of KFold(5, shuffle=True, "
        "random_state=0) over it; lowest validation RMSE; chosen parameters reused on all folds",
        "scale": list(scale),
        "models": results,
        "svd_comparison": comparison,
    }


def compare_svd(data, folds, scale, ctx, tag):
    """Surprise ``SVD()`` with default settings against ``SVD_COMPARISON``, fold by fold."""
    try:
        importlib.import_module("surprise")
    except ImportError as exc:
        print(f"  skipped the SVD comparison: cannot import surprise ({exc})", flush=True)
        return {"skipped": str(exc)}
    sides = {
        "Surprise SVD()": lambda: SurpriseModel(ctx, "SVD"),
        "MF mse (fast)": lambda: Ours(SVD_COMPARISON(), ctx),
    }
    runs = {side: [] for side in sides}
    for tr, te in folds[: 1 if ctx.quick else None]:
        train, test = data.take(tr), data.take(te)
        for side, make in sides.items():  # alternate, so that load changes hit both
            runs[side].append(fit_predict_ratings(make(), train, test, scale))
    out = {"ours_params": {k: str(v) for k, v in SVD_COMPARISON.keywords.items()}}
    for side, per_fold in runs.items():
        rmse, mae, fit_s, _ = (np.array(v) for v in zip(*per_fold, strict=True))
        out[side] = {
            "rmse": float(rmse.mean()),
            "mae": float(mae.mean()),
            "fit_s": float(fit_s.mean()),
            "fit_s_per_fold": fit_s.tolist(),
            "rmse_per_fold": rmse.tolist(),
        }
    svd, ours = out["Surprise SVD()"], out["MF mse (fast)"]
    out["fit_ratio"] = ours["fit_s"] / svd["fit_s"]
    out["rmse_ratio"] = ours["rmse"] / svd["rmse"]
    print(
        f"  {tag} SVD() vs MF mse (fast): RMSE {svd['rmse']:.4f} vs {ours['rmse']:.4f}, "
        f"fit {svd['fit_s']:.2f}s vs {ours['fit_s']:.2f}s (ratio {out['fit_ratio']:.2f})",
        flush=True,
    )
    return out


# -- protocol 2: top-10 over the whole catalogue -------------------------------------


def topn_metrics(model, test):
    users, relevant = relevant_items_by_user(test.X())
    recommended, recommend_s = timed(model.recommend_top10, users)
    recommended = np.asarray(recommended)
    metrics = {
        "ndcg": ndcg_at_k(relevant, recommended, k=K),
        "precision": precision_at_k(relevant, recommended, k=K),
        "recall": recall_at_k(relevant, recommended, k=K),
        "map": map_at_k(relevant, recommended, k=K),
        "hit_rate": hit_rate_at_k(relevant, recommended, k=K),
    }
    return metrics, recommended, recommend_s


def run_topn(data, selected, ctx, tag):
    train, test = next(UserHoldoutSplit(test_size=0.2, random_state=SEED).split(data.frame))
    train, test = data.take(train), data.take(test)
    inner_train, inner_val = next(
        UserHoldoutSplit(test_size=0.2, random_state=SEED).split(train.frame)
    )
    inner_train, inner_val = train.take(inner_train), train.take(inner_val)
    n_items = train.frame["item"].nunique()
    results = []
    for name, library, spec, make in models_for("topn", selected, ctx):
        try:

            def evaluate(model):
                model.fit(inner_train)
                return topn_metrics(model, inner_val)[0]["ndcg"]

            params, table, tune_s = tune(name, make, spec, ctx, evaluate, tag)
            model, fit_s = timed(make(**params).fit, train)
            metrics, recommended, recommend_s = topn_metrics(model, test)
            if isinstance(model, Ours):
                check_against_score(model, test, metrics["ndcg"], name)
            row = {
                "model": name,
                "library": library,
                **metrics,
                "coverage": len(np.unique(recommended)) / n_items,
                "fit_s": fit_s,
                "recommend_s": recommend_s,
                "params": params,
                "grid": spec_grid(spec, ctx),
                "validation": table,
                "tune_s": tune_s,
            }
            print(
                f"  {tag} {name}: NDCG@10 {row['ndcg']:.4f} P@10 {row['precision']:.4f} "
                f"R@10 {row['recall']:.4f} cov {row['coverage']:.3f} fit {fit_s:.1f}s "
                f"rec {recommend_s:.2f}s  [{fmt_params(params)}] (tuned in {tune_s:.0f}s)",
                flush=True,
            )
        except Exception as exc:
            row = failed(name, library, exc, tag)
        results.append(row)
    return {
        "split": "UserHoldoutSplit(test_size=0.2, random_state=0); every interaction a "
        "positive; whole catalogue ranked, training items excluded",
        "tuning": "UserHoldoutSplit(test_size=0.2, random_state=0) inside the training part; "
        "highest validation NDCG@10",
        "n_train": len(train.frame),
        "n_test": len(test.frame),
        "n_test_users": int(test.frame["user"].nunique()),
        "n_items": n_items,
        "models": results,
    }


def check_against_score(model, test, ndcg, name):
    """The harness's NDCG@10 must equal the estimator's own ``score``."""
    own = model.est.score(test.X())
    if not np.isclose(own, ndcg, rtol=0, atol=1e-9):
        print(f"  WARNING {name}: harness NDCG@10 {ndcg:.6f} != est.score {own:.6f}", flush=True)


# -- protocol 3: leave-one-out against 99 sampled negatives --------------------------


def sample_negatives(users, interacted, n_negatives, seed):
    """``n_negatives`` distinct items per user among those outside ``interacted``.

    ``interacted`` is a :class:`Part`: every item of it is in the catalogue,
    and its pairs are the excluded ones. Uniform without replacement: the
    smallest random keys over the allowed items.
    """
    item_index = pd.Index(np.unique(interacted.items))
    user_index = pd.Index(users)
    keep = user_index.get_indexer(interacted.users) >= 0
    matrix = interaction_matrix(
        interacted.users[keep], interacted.items[keep], user_index, item_index
    )
    keys = np.random.default_rng(seed).random((len(users), len(item_index)))
    keys[np.repeat(np.arange(len(users)), np.diff(matrix.indptr)), matrix.indices] = np.inf
    negatives = np.argpartition(keys, n_negatives - 1, axis=1)[:, :n_negatives]
    assert np.isfinite(np.take_along_axis(keys, negatives, axis=1)).all()
    return item_index.to_numpy()[negatives]


def loo_metrics(model, users, targets, negatives):
    # The target comes last and the sort is stable: the target loses ties.
    candidates = np.concatenate([negatives, targets[:, None]], axis=1)
    scores, score_s = timed(model.score_pairs, users, candidates)
    order = np.argsort(-np.asarray(scores, dtype=np.float64), axis=1, kind="stable")
    ranked = np.take_along_axis(candidates, order, axis=1)
    truth = targets[:, None]
    return {
        "hit_rate": hit_rate_at_k(truth, ranked, k=K),
        "ndcg": ndcg_at_k(truth, ranked, k=K),
    }, score_s


def leave_last_out(part):
    train, test = next(LeaveLastOutSplit(time_column="timestamp").split(part.X(with_time=True)))
    return part.take(train), part.take(test)


def run_loo(data, selected, ctx, tag):
    train, test = leave_last_out(data)
    users, targets = test.users, test.items
    negatives = sample_negatives(users, data, N_NEGATIVES, SEED)
    # The split keeps test items warm, so every item of the data is a training item.
    assert np.isin(negatives, train.items).all()
    inner_train, inner_val = leave_last_out(train)
    # Validation negatives: outside the user's (outer) training interactions,
    # so that the test part plays no role in tuning.
    val_negatives = sample_negatives(inner_val.users, train, N_NEGATIVES, SEED)
    results = []
    for name, library, spec, make in models_for("loo", selected, ctx):
        try:

            def evaluate(model):
                model.fit(inner_train)
                return loo_metrics(model, inner_val.users, inner_val.items, val_negatives)[0][
                    "ndcg"
                ]

            params, table, tune_s = tune(name, make, spec, ctx, evaluate, tag)
            model, fit_s = timed(make(**params).fit, train)
            metrics, score_s = loo_metrics(model, users, targets, negatives)
            row = {
                "model": name,
                "library": library,
                **metrics,
                "fit_s": fit_s,
                "score_s": score_s,
                "params": params,
                "grid": spec_grid(spec, ctx),
                "validation": table,
                "tune_s": tune_s,
            }
            print(
                f"  {tag} {name}: HR@10 {row['hit_rate']:.4f} NDCG@10 {row['ndcg']:.4f} "
                f"fit {fit_s:.1f}s  [{fmt_params(params)}] (tuned in {tune_s:.0f}s)",
                flush=True,
            )
        except Exception as exc:
            row = failed(name, library, exc, tag)
        results.append(row)
    return {
        "split": "LeaveLastOutSplit (latest interaction per user by timestamp, ties by row); "
        f"{N_NEGATIVES} negatives per user drawn once (numpy default_rng({SEED})) among the "
        "items the user never interacted with in the whole data set, shared by all models; "
        "the target loses ties",
        "tuning": "LeaveLastOutSplit inside the training part, validation negatives drawn "
        "among the items outside the user's training interactions; highest validation NDCG@10",
        "n_train": len(train.frame),
        "n_test_users": len(test.frame),
        "models": results,
    }


# -- running and reporting ---------------------------------------------------------------


SKIPPED = {}
RUNNERS = {"ratings": run_ratings, "topn": run_topn, "loo": run_loo}


def spec_grid(spec, ctx):
    """The grid that was searched, JSON-ready."""
    if ctx.quick and spec.quick is None:
        grid = {k: [v] for k, v in candidates(spec, quick=True)[0].items()}
    else:
        grid = spec.quick if ctx.quick else spec.grid
    return {k: [repr(v) if isinstance(v, tuple) else v for v in vs] for k, vs in grid.items()}


def failed(name, library, exc, tag):
    print(f"  {tag} {name}: FAILED {type(exc).__name__}: {exc}", flush=True)
    traceback.print_exc()
    return {"model": name, "library": library, "error": f"{type(exc).__name__}: {exc}"}


def load(variant):
    X, y = fetch_movielens(variant, return_X_y=True)
    frame = X[["user", "item", "timestamp"]].assign(rating=y.to_numpy(dtype=np.float64))
    return Part(frame.reset_index(drop=True))


def versions():
    names = [
        "numpy",
        "scipy",
        "pandas",
        "scikit-learn",
        "torch",
        "skorch",
        "threadpoolctl",
        "scikit-surprise",
        "implicit",
        "lightfm",
        "cornac",
    ]
    found = {"python": platform.python_version(), "sklearn_rec": sklearn_rec.__version__}
    for name in names:
        try:
            found[name] = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            found[name] = None
    return found


def git_commit():
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    try:
        commit = subprocess.run(
            ["git", "-C", root, "rev-parse", "HEAD"], capture_output=True, text=True, check=True
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "-C", root, "status", "--porcelain", "--untracked-files=no"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return None
    return commit + ("-dirty" if dirty else "")


def cell(value, digits=4):
    return "" if value is None else f"{value:.{digits}f}"


def markdown(report):
    meta = report["meta"]
    lines = [
        "# MovieLens benchmark",
        "",
        f"Command: `{meta['command']}`",
        "",
        f"Threads: {meta['threads']}; machine: {meta['machine']}; commit: {meta['commit']}; "
        f"wall time: {meta['wall_s'] / 60:.1f} min{'; QUICK RUN' if meta['quick'] else ''}.",
        "",
        "Versions: " + ", ".join(f"{k} {v}" for k, v in meta["versions"].items() if v) + ".",
        "",
    ]
    if report["skipped"]:
        lines += ["Skipped: " + "; ".join(f"{k} ({v})" for k, v in report["skipped"].items()), ""]
    for variant, dataset in report["datasets"].items():
        lines += [
            f"## ml-{variant}: {dataset['n_users']:,} users, {dataset['n_items']:,} items, "
            f"{dataset['n_ratings']:,} ratings",
            "",
        ]
        protocols = dataset["protocols"]
        if "ratings" in protocols:
            lines += ratings_markdown(protocols["ratings"])
        if "topn" in protocols:
            lines += topn_markdown(protocols["topn"])
        if "loo" in protocols:
            lines += loo_markdown(protocols["loo"])
    return "\n".join(lines) + "\n"


def table(header, rows):
    out = ["| " + " | ".join(header) + " |"]
    out.append("|" + "|".join("---" if i < 2 else "---:" for i in range(len(header))) + "|")
    out += ["| " + " | ".join(row) + " |" for row in rows]
    return [*out, ""]


def grid_edges(params, grid):
    """Numeric parameters of 3 or more values chosen at the smallest or largest of them."""
    edges = []
    for name, values in grid.items():
        numbers = [v for v in values if isinstance(v, int | float) and not isinstance(v, bool)]
        if len(numbers) > 2 and params.get(name) in (min(numbers), max(numbers)):
            edges.append(name)
    return edges


def choices_markdown(models):
    rows = [
        [
            r["model"],
            f"`{fmt_params(r['params'])}`",
            ", ".join(grid_edges(r["params"], r["grid"])) or "-",
            f"`{json.dumps(r['grid'])}`",
        ]
        for r in models
        if "error" not in r
    ]
    out = [
        "Chosen parameters (`at edge`: a parameter with 3 or more values in the grid chosen at "
        "its smallest or largest; fixed settings are in `OURS` / `PEERS`):",
        "",
        "| model | chosen | at edge | grid |",
        "|---|---|---|---|",
    ]
    return out + ["| " + " | ".join(row) + " |" for row in rows] + [""]


def errors_markdown(models):
    errors = [f"- {r['model']}: failed, {r['error']}" for r in models if "error" in r]
    return [*errors, ""] if errors else []


def ratings_markdown(result):
    lines = [
        "### Ratings: 5-fold CV",
        "",
        f"Split: {result['split']}. Tuning: {result['tuning']}. Predictions clipped to "
        f"{result['scale']}. Mean (std) over the folds; fit and predict seconds per fold.",
        "",
    ]
    rows = [
        [
            r["model"],
            r["library"],
            f"{r['rmse']:.4f} ({r['rmse_std']:.4f})",
            f"{r['mae']:.4f} ({r['mae_std']:.4f})",
            cell(r["fit_s"], 2),
            cell(r["predict_s"], 2),
        ]
        for r in sorted((r for r in result["models"] if "error" not in r), key=lambda r: r["rmse"])
    ]
    lines += table(["model", "library", "RMSE", "MAE", "fit s", "predict s"], rows)
    lines += errors_markdown(result["models"]) + choices_markdown(result["models"])
    comparison = result.get("svd_comparison")
    if comparison and "skipped" not in comparison:
        svd, ours = comparison["Surprise SVD()"], comparison["MF mse (fast)"]
        params = ", ".join(f"{k}={v}" for k, v in comparison["ours_params"].items())
        lines += [
            "Surprise `SVD()` (default settings) against `MatrixFactorization("
            f"{params})` on the same folds (fit seconds: mean per fold; ratio: ours / SVD):",
            "",
        ]
        lines += table(
            ["model", "setting", "RMSE", "MAE", "fit s"],
            [
                [
                    "Surprise SVD()",
                    "defaults",
                    cell(svd["rmse"]),
                    cell(svd["mae"]),
                    cell(svd["fit_s"], 2),
                ],
                [
                    "MatrixFactorization",
                    "mse, fast",
                    cell(ours["rmse"]),
                    cell(ours["mae"]),
                    cell(ours["fit_s"], 2),
                ],
                [
                    "ratio",
                    "ours / SVD",
                    cell(comparison["rmse_ratio"], 3),
                    "",
                    cell(comparison["fit_ratio"], 2),
                ],
            ],
        )
    return lines


def topn_markdown(result):
    lines = [
        "### Top-10, whole catalogue",
        "",
        f"Split: {result['split']} ({result['n_train']:,} training and {result['n_test']:,} "
        f"test interactions, {result['n_test_users']:,} test users, {result['n_items']:,} "
        f"items). Tuning: {result['tuning']}. `rec s`: top-10 lists for all test users.",
        "",
    ]
    rows = [
        [
            r["model"],
            r["library"],
            cell(r["ndcg"]),
            cell(r["precision"]),
            cell(r["recall"]),
            cell(r["map"]),
            cell(r["hit_rate"]),
            cell(r["coverage"], 3),
            cell(r["fit_s"], 1),
            cell(r["recommend_s"], 2),
        ]
        for r in sorted((r for r in result["models"] if "error" not in r), key=lambda r: -r["ndcg"])
    ]
    lines += table(
        [
            "model",
            "library",
            "NDCG@10",
            "P@10",
            "R@10",
            "MAP@10",
            "HR@10",
            "coverage",
            "fit s",
            "rec s",
        ],
        rows,
    )
    return lines + errors_markdown(result["models"]) + choices_markdown(result["models"])


def loo_markdown(result):
    lines = [
        "### Leave-one-out, 99 sampled negatives (NCF protocol)",
        "",
        f"Split: {result['split']} ({result['n_test_users']:,} test users). Tuning: "
        f"{result['tuning']}. `score s`: scoring the 100 candidates of every test user.",
        "",
    ]
    rows = [
        [
            r["model"],
            r["library"],
            cell(r["hit_rate"]),
            cell(r["ndcg"]),
            cell(r["fit_s"], 1),
            cell(r["score_s"], 2),
        ]
        for r in sorted(
            (r for r in result["models"] if "error" not in r), key=lambda r: -r["hit_rate"]
        )
    ]
    lines += table(["model", "library", "HR@10", "NDCG@10", "fit s", "score s"], rows)
    return lines + errors_markdown(result["models"]) + choices_markdown(result["models"])


def parse_list(text, allowed=None):
    values = [v.strip() for v in text.split(",") if v.strip()]
    if allowed is not None:
        unknown = sorted(set(values) - set(allowed))
        if unknown:
            raise SystemExit(f"unknown value(s) {unknown}; expected some of {list(allowed)}")
    return values


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--datasets", default=",".join(DATASETS), help="comma-separated")
    parser.add_argument("--protocols", default=",".join(PROTOCOLS), help="comma-separated")
    parser.add_argument(
        "--models",
        default=None,
        help="comma-separated, case-insensitive substrings of model names (default: all)",
    )
    parser.add_argument("--quick", action="store_true", help="tiny grids: a smoke run")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument(
        "--render",
        metavar="JSON",
        help="only rewrite OUT.md from the results in JSON (no run)",
    )
    parser.add_argument(
        "--out",
        default=os.path.join(os.path.dirname(os.path.abspath(__file__)), "results", "movielens"),
        help="output path without suffix: writes OUT.md and OUT.json",
    )
    return parser.parse_args()


def main():
    args = parse_args()
    if args.render:
        with open(args.render) as f:
            report = json.load(f)
        with open(args.out + ".md", "w") as f:
            f.write(markdown(report))
        print(f"wrote {args.out}.md")
        return
    datasets = parse_list(args.datasets, DATASETS)
    protocols = parse_list(args.protocols, PROTOCOLS)
    patterns = [p.lower() for p in parse_list(args.models)] if args.models else None

    def selected(name):
        return patterns is None or any(p in name.lower() for p in patterns)

    ctx = Context(threads=args.threads, quick=args.quick)
    torch.set_num_threads(args.threads)
    threadpool_limits(limits=args.threads)
    started = time.perf_counter()
    report = {
        "meta": {
            "command": "python benchmarks/movielens.py " + " ".join(sys.argv[1:]),
            "threads": args.threads,
            "quick": args.quick,
            "machine": f"{platform.machine()}, {os.cpu_count()} cores",
            "commit": git_commit(),
            "started": time.strftime("%Y-%m-%d %H:%M:%S"),
            "versions": versions(),
            "seed": SEED,
        },
        "datasets": {},
        "skipped": SKIPPED,
    }
    for variant in datasets:
        data = load(variant)
        entry = {
            "n_users": int(data.frame["user"].nunique()),
            "n_items": int(data.frame["item"].nunique()),
            "n_ratings": len(data.frame),
            "protocols": {},
        }
        report["datasets"][variant] = entry
        for protocol in protocols:
            tag = f"[{variant} {protocol}]"
            print(f"{tag} started", flush=True)
            entry["protocols"][protocol], seconds = timed(
                RUNNERS[protocol], data, selected, ctx, tag
            )
            entry["protocols"][protocol]["wall_s"] = seconds
            print(f"{tag} done in {seconds / 60:.1f} min", flush=True)
    report["meta"]["wall_s"] = time.perf_counter() - started
    os.makedirs(os.path.dirname(os.path.abspath(args.out)), exist_ok=True)
    with open(args.out + ".json", "w") as f:
        json.dump(report, f, indent=1, default=str)
    with open(args.out + ".md", "w") as f:
        f.write(markdown(report))
    print(f"wrote {args.out}.md and {args.out}.json ({report['meta']['wall_s'] / 60:.1f} min)")


if __name__ == "__main__":
    main()
