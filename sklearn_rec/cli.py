"""Command-line entry point: ``sklearn-rec`` or ``python -m sklearn_rec``."""

import argparse
import sys
import time

import numpy as np

from . import MatrixFactorization, NeuralRecommender, __version__
from .datasets import make_interactions
from .metrics import hit_rate_at_k, make_ranking_scorer, ndcg_at_k, recall_at_k
from .metrics._scorer import relevant_items_by_user
from .model_selection import UserHoldoutSplit

RANKING = {name: make_ranking_scorer(name, k=10) for name in ("ndcg", "recall", "hit_rate")}


def _popularity_lists(X_train, users, k):
    """Top-k most popular training items per user, the user's own items excluded."""
    popular = X_train.iloc[:, 1].value_counts().index.to_numpy()
    seen = X_train.groupby(X_train.columns[0])[X_train.columns[1]].apply(set)
    return [[i for i in popular if i not in seen[u]][:k] for u in users]


def demo(out=None):
    """Fit both estimators on synthetic interactions and report test metrics."""
    out = sys.stdout if out is None else out
    X, y = make_interactions(
        n_users=600,
        n_items=400,
        n_interactions=30_000,
        n_factors=8,
        popularity_skew=0.3,
        selection_strength=8.0,
        noise=0.3,
        random_state=0,
    )
    train, test = next(UserHoldoutSplit(test_size=0.2, random_state=0).split(X))
    X_train, y_train, X_test, y_test = X.iloc[train], y[train], X.iloc[test], y[test]
    print(
        f"Synthetic interactions: {len(X):,} rows, {X.user.nunique()} users, "
        f"{X.item.nunique()} items; per-user 20% holdout ({len(test):,} test rows).\n",
        file=out,
    )
    models = {
        "MatrixFactorization(loss='mse')": (
            MatrixFactorization(n_factors=8, weight_decay=0.05, random_state=0),
            y_train,
        ),
        "MatrixFactorization(loss='bpr')": (
            MatrixFactorization(n_factors=16, loss="bpr", random_state=0),
            None,
        ),
        "NeuralRecommender(neumf, bce)": (
            NeuralRecommender(architecture="neumf", random_state=0),
            None,
        ),
    }
    rows = [_baseline_row(X_train, y_train, X_test, y_test)]
    for name, (model, target) in models.items():
        start = time.perf_counter()
        model.fit(X_train, target)
        seconds = time.perf_counter() - start
        rmse = (
            np.sqrt(np.mean((model.predict(X_test) - y_test) ** 2)) if target is not None else None
        )
        scores = {metric: scorer(model, X_test) for metric, scorer in RANKING.items()}
        rows.append((name, rmse, scores, seconds))
    _print_table(rows, out)

    user = X_test.user.iloc[0]
    items, scores = models["NeuralRecommender(neumf, bce)"][0].recommend([user], n=10)
    liked = X_test.item[X_test.user == user].tolist()
    print(f"\nTop 10 for user {user} (NeuralRecommender); * = in the user's test items:", file=out)
    for rank, (item, score) in enumerate(zip(items[0], scores[0], strict=True), start=1):
        mark = "*" if item in liked else " "
        print(f"  {rank:2d}. item {item:<4} score {score:.3f} {mark}", file=out)


def _baseline_row(X_train, y_train, X_test, y_test):
    users, truth = relevant_items_by_user(X_test)
    ranked = _popularity_lists(X_train, users, 10)
    scores = {
        "ndcg": ndcg_at_k(truth, ranked, k=10),
        "recall": recall_at_k(truth, ranked, k=10),
        "hit_rate": hit_rate_at_k(truth, ranked, k=10),
    }
    rmse = np.sqrt(np.mean((y_test - y_train.mean()) ** 2))
    return "Baseline (global mean / popularity)", rmse, scores, 0.0


def _print_table(rows, out):
    header = f"{'model':<36} {'RMSE':>6} {'NDCG@10':>8} {'Recall@10':>10} {'HR@10':>6} {'fit s':>6}"
    print(header, file=out)
    print("-" * len(header), file=out)
    for name, rmse, scores, seconds in rows:
        rmse_text = "" if rmse is None else f"{rmse:.3f}"
        print(
            f"{name:<36} {rmse_text:>6} {scores['ndcg']:>8.3f} {scores['recall']:>10.3f} "
            f"{scores['hit_rate']:>6.3f} {seconds:>6.1f}",
            file=out,
        )


def main(argv=None):
    """Run the command line; returns the exit code."""
    parser = argparse.ArgumentParser(prog="sklearn-rec", description=__doc__)
    parser.add_argument("--version", action="version", version=f"sklearn-rec {__version__}")
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("demo", help="fit both estimators on synthetic data and print metrics")
    args = parser.parse_args(argv)
    if args.command == "demo":
        demo()
    return 0
