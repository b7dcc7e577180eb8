"""The three protocols: each holds its split and knows how to validate and evaluate a model.

``harness.run_protocol`` runs them all the same way.
"""

import importlib

import numpy as np
import pandas as pd
from _common import timed
from sklearn.model_selection import KFold

from sklearn_rec.metrics import (
    catalogue_coverage_at_k,
    hit_rate_at_k,
    map_at_k,
    ndcg_at_k,
    novelty_at_k,
    precision_at_k,
    recall_at_k,
)
from sklearn_rec.model_selection import LeaveLastOutSplit, UserHoldoutSplit

from . import N_NEGATIVES, SEED, K
from .adapters.ours import Ours
from .adapters.surprise_models import SurpriseModel
from .config import SVD_COMPARISON
from .data import interaction_matrix, relevant_items_by_user


class Ratings:
    """Rating prediction: 5-fold CV, tuned once on fold 0's training part."""

    name = "ratings"

    def __init__(self, data, ctx, tag):
        self.data, self.ctx, self.tag = data, ctx, tag
        self.scale = (float(data.ratings.min()), float(data.ratings.max()))
        self.folds = list(KFold(5, shuffle=True, random_state=SEED).split(data.frame))
        train0 = data.take(self.folds[0][0])
        inner_train, inner_val = next(KFold(5, shuffle=True, random_state=SEED).split(train0.frame))
        self.inner_train, self.inner_val = train0.take(inner_train), train0.take(inner_val)

    def validate(self, model):
        return -fit_predict_ratings(model, self.inner_train, self.inner_val, self.scale)[0]

    def evaluate(self, name, make, params):
        per_fold = [
            fit_predict_ratings(make(**params), self.data.take(tr), self.data.take(te), self.scale)
            for tr, te in self.folds
        ]
        rmse, mae, fit_s, predict_s = (np.array(v) for v in zip(*per_fold, strict=True))
        return {
            "rmse": float(rmse.mean()),
            "rmse_std": float(rmse.std()),
            "mae": float(mae.mean()),
            "mae_std": float(mae.std()),
            "fit_s": float(fit_s.mean()),
            "predict_s": float(predict_s.mean()),
            "rmse_per_fold": rmse.tolist(),
        }

    @staticmethod
    def validation_table(table):
        return [{**r, "score": -r["score"]} for r in table]

    @staticmethod
    def line(row):
        return f"RMSE {row['rmse']:.4f} MAE {row['mae']:.4f} fit {row['fit_s']:.1f}s/fold"

    def result(self, models, selected):
        comparison = None
        if not self.ctx.defaults and (selected("Surprise SVD") or selected("MF mse")):
            comparison = compare_svd(self.data, self.folds, self.scale, self.ctx, self.tag)
        return {
            "split": "KFold(5, shuffle=True, random_state=0) over all rows",
            "tuning": "once, on fold 0's training part: first split of KFold(5, shuffle=True, "
            "random_state=0) over it; lowest validation RMSE; chosen parameters reused on all "
            "folds",
            "scale": list(self.scale),
            "models": models,
            "svd_comparison": comparison,
        }


def rmse_mae(y_true, y_pred):
    error = y_pred - y_true
    return float(np.sqrt(np.mean(error**2))), float(np.mean(np.abs(error)))


def fit_predict_ratings(model, train, test, scale):
    model, fit_s = timed(model.fit, train, ratings=True)
    pred, predict_s = timed(model.predict_ratings, test.users, test.items)
    rmse, mae = rmse_mae(test.ratings, np.clip(pred, *scale))
    return rmse, mae, fit_s, predict_s


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


class TopN:
    """Top-10 over the whole catalogue on a per-user 20% holdout, every row a positive."""

    name = "topn"

    def __init__(self, data, ctx, tag):
        train, test = next(UserHoldoutSplit(test_size=0.2, random_state=SEED).split(data.frame))
        self.train, self.test = data.take(train), data.take(test)
        inner_train, inner_val = next(
            UserHoldoutSplit(test_size=0.2, random_state=SEED).split(self.train.frame)
        )
        self.inner_train, self.inner_val = self.train.take(inner_train), self.train.take(inner_val)
        self.catalogue = self.train.frame["item"].unique()
        self.n_items = len(self.catalogue)

    def validate(self, model):
        model.fit(self.inner_train)
        return topn_metrics(model, self.inner_val)[0]["ndcg"]

    def evaluate(self, name, make, params):
        model, fit_s = timed(make(**params).fit, self.train)
        metrics, recommended, recommend_s = topn_metrics(model, self.test)
        if isinstance(model, Ours):
            check_against_score(model, self.test, metrics["ndcg"], name)
        return {
            **metrics,
            "coverage": catalogue_coverage_at_k(recommended, self.catalogue, k=K),
            "novelty": novelty_at_k(recommended, self.train.X(), k=K),
            "fit_s": fit_s,
            "recommend_s": recommend_s,
        }

    @staticmethod
    def validation_table(table):
        return table

    @staticmethod
    def line(row):
        return (
            f"NDCG@10 {row['ndcg']:.4f} P@10 {row['precision']:.4f} R@10 {row['recall']:.4f} "
            f"cov {row['coverage']:.3f} nov {row['novelty']:.2f} fit {row['fit_s']:.1f}s "
            f"rec {row['recommend_s']:.2f}s"
        )

    def result(self, models, selected):
        return {
            "split": "UserHoldoutSplit(test_size=0.2, random_state=0); every interaction a "
            "positive; whole catalogue ranked, training items excluded",
            "tuning": "UserHoldoutSplit(test_size=0.2, random_state=0) inside the training part; "
            "highest validation NDCG@10",
            "n_train": len(self.train.frame),
            "n_test": len(self.test.frame),
            "n_test_users": int(self.test.frame["user"].nunique()),
            "n_items": self.n_items,
            "models": models,
        }


def topn_metrics(model, test):
    users, relevant = relevant_items_by_user(test)
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


def check_against_score(model, test, ndcg, name):
    """The harness's NDCG@10 must equal the estimator's own ``score``."""
    own = model.est.score(test.X())
    if not np.isclose(own, ndcg, rtol=0, atol=1e-9):
        print(f"  WARNING {name}: harness NDCG@10 {ndcg:.6f} != est.score {own:.6f}", flush=True)


class LeaveOneOut:
    """The NCF protocol: each user's latest item against 99 sampled negatives.

    Without timestamps the held-out item is a random one of the user's; a data
    set published with its split (``given_loo``) brings its own.
    """

    name = "loo"

    def __init__(self, data, ctx, tag):
        if data.given_loo is None:
            train, test = leave_one_out(data)
            self.negatives = sample_negatives(test.users, data, N_NEGATIVES, SEED)
        else:
            test_positions, self.negatives = data.given_loo
            train = data.take(np.setdiff1d(np.arange(len(data.frame)), test_positions))
            test = data.take(test_positions)
        self.given = data.given_loo is not None
        self.train, self.n_test_users = train, len(test.frame)
        self.users, self.targets = test.users, test.items
        # The splitters keep test items warm, so every item of the data is a
        # training item; a published split must be checked.
        candidates = np.concatenate([self.negatives.ravel(), self.targets])
        cold = np.setdiff1d(candidates, train.items)
        if len(cold):
            raise ValueError(f"{len(cold)} test items or negatives are not training items")
        self.inner_train, inner_val = leave_one_out(train)
        self.timestamps = train.timestamps
        self.val_users, self.val_targets = inner_val.users, inner_val.items
        # Validation negatives: outside the user's (outer) training interactions,
        # so that the test part plays no role in tuning.
        self.val_negatives = sample_negatives(self.val_users, train, N_NEGATIVES, SEED)

    def validate(self, model):
        model.fit(self.inner_train)
        return loo_metrics(model, self.val_users, self.val_targets, self.val_negatives)[0]["ndcg"]

    def evaluate(self, name, make, params):
        model, fit_s = timed(make(**params).fit, self.train)
        metrics, score_s = loo_metrics(model, self.users, self.targets, self.negatives)
        return {**metrics, "fit_s": fit_s, "score_s": score_s}

    @staticmethod
    def validation_table(table):
        return table

    @staticmethod
    def line(row):
        return f"HR@10 {row['hit_rate']:.4f} NDCG@10 {row['ndcg']:.4f} fit {row['fit_s']:.1f}s"

    def result(self, models, selected):
        if self.timestamps:
            splitter = "LeaveLastOutSplit"
            held_out = "latest interaction per user by timestamp, ties by row"
        else:
            splitter = f"UserHoldoutSplit(test_size=1, random_state={SEED})"
            held_out = "one random interaction per user: the data has no timestamps"
        split = (
            "the published split: one test item per user and its 99 negatives, shared by all "
            "models; the target loses ties"
            if self.given
            else f"{splitter} ({held_out}); {N_NEGATIVES} negatives per user drawn once (numpy "
            f"default_rng({SEED})) among the items the user never interacted with in the whole "
            "data set, shared by all models; the target loses ties"
        )
        return {
            "split": split,
            "tuning": f"{splitter} inside the training part, validation negatives drawn among "
            "the items outside the user's training interactions; highest validation NDCG@10",
            "n_train": len(self.train.frame),
            "n_test_users": self.n_test_users,
            "models": models,
        }


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


def leave_one_out(part):
    """The latest interaction of each user, or a random one where ``part`` has no times."""
    if part.timestamps:
        splitter, X = LeaveLastOutSplit(time_column="timestamp"), part.X(with_time=True)
    else:
        splitter, X = UserHoldoutSplit(test_size=1, random_state=SEED), part.X()
    train, test = next(splitter.split(X))
    return part.take(train), part.take(test)


PROTOCOLS = {protocol.name: protocol for protocol in (Ratings, TopN, LeaveOneOut)}
