"""New users folded in from a few interactions, against ``fold_in_shrinkage``.

``ColdStartSplit("user")`` holds out a fifth of the users whole; each held-out
user's interactions are shuffled, the first ``--history`` (each length given)
are what the user is folded in from (``recommend_for_history``) and the rest
are scored, for the users with more interactions than that:
NDCG@10 for the ranking losses, against the most popular items the user has
not interacted with (``PopularityRecommender``); for ``loss="mse"`` the RMSE
of the folded-in ratings of the rest. One model is fitted per seed, and every
``fold_in_shrinkage`` is read from it at query time (no refit). Most rows of
the cold-start guide's table come from this script.

Run from the repository root::

    PYTHONPATH=. python benchmarks/fold_in.py --data 100k --loss bpr
    PYTHONPATH=. python benchmarks/fold_in.py --data 100k --model neural --shrinkage 0 20
"""

import argparse

import numpy as np
from _common import parse_seeds_and_threads, timed
from _movielens.data import PLANTED

from sklearn_rec import MatrixFactorization, NeuralRecommender, PopularityRecommender
from sklearn_rec.datasets import fetch_movielens, make_interactions
from sklearn_rec.metrics import ndcg_at_k
from sklearn_rec.model_selection import ColdStartSplit


def load(data):
    """``(X, y)``: the interactions and their ratings (None for planted data)."""
    if data == "planted":
        X, _ = make_interactions(**PLANTED)
        return X[["user", "item"]], None
    movielens = fetch_movielens(data)
    return movielens.data[["user", "item"]], movielens.target.to_numpy(dtype=np.float32)


def histories(X, y, test_index, size, seed):
    """Per held-out user with more than ``size`` interactions: history, rest, their ratings."""
    rng = np.random.default_rng(seed)
    items = X["item"].to_numpy()
    rows = []
    for positions in X.iloc[test_index].groupby("user").indices.values():
        order = rng.permutation(test_index[positions])
        if len(order) > size:
            ratings = (None, None) if y is None else (y[order[:size]], y[order[size:]])
            rows.append((items[order[:size]], items[order[size:]], *ratings))
    return rows


def fold_in_score(model, users, rating):
    """NDCG@10 of the folded-in lists, or the RMSE of the folded-in ratings of the rest."""
    if not rating:
        lists = [model.recommend_for_history(history, n=10)[0][0] for history, *_ in users]
        return ndcg_at_k([rest for _, rest, *_ in users], lists)
    errors = []
    for history, rest, history_ratings, rest_ratings in users:
        items, scores = model.recommend_for_history(
            history, ratings=history_ratings, items=rest, n=len(rest), exclude_seen=False
        )
        predicted = dict(zip(items[0], scores[0], strict=True))
        errors.append(np.array([predicted[item] for item in rest]) - rest_ratings)
    return float(np.sqrt(np.mean(np.concatenate(errors) ** 2)))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", default="100k", help="100k, latest-small or planted")
    parser.add_argument("--model", choices=["mf", "neural"], default="mf")
    parser.add_argument("--loss", default="bpr", help="the loss of MatrixFactorization")
    parser.add_argument("--history", type=int, nargs="+", default=[1, 5, 20])
    parser.add_argument("--shrinkage", type=float, nargs="+", default=[0, 5, 10, 20, 40])
    args = parse_seeds_and_threads(parser, threads=None)
    rating = args.model == "mf" and args.loss == "mse"

    X, y = load(args.data)
    keys = [*([] if rating else ["popularity"]), *args.shrinkage]
    results = {(key, size): [] for key in keys for size in args.history}
    for seed in args.seeds:
        train, test = next(ColdStartSplit("user", random_state=seed).split(X))
        if args.model == "neural":
            model = NeuralRecommender(random_state=seed)
        else:
            model = MatrixFactorization(loss=args.loss, random_state=seed)
        _, seconds = timed(model.fit, X.iloc[train], None if y is None or not rating else y[train])
        popularity = None if rating else PopularityRecommender().fit(X.iloc[train])
        for size in args.history:
            users = histories(X, y, test, size, seed)
            if popularity is not None:
                results["popularity", size].append(fold_in_score(popularity, users, rating))
            for shrinkage in args.shrinkage:
                model.set_params(fold_in_shrinkage=shrinkage)
                results[shrinkage, size].append(fold_in_score(model, users, rating))
            print(
                f"seed {seed}, history {size}: {len(users)} new users, fit {seconds:.0f} s: "
                + ", ".join(f"{key} {results[key, size][-1]:.4f}" for key in keys),
                flush=True,
            )
    metric = "RMSE" if rating else "NDCG@10"
    name = "NeuralRecommender()" if args.model == "neural" else f"MF loss={args.loss!r}"
    print(f"\n{args.data}, {name}, {metric} by history length, mean of seeds:")
    print(f"  {'':24s}" + "".join(f"{size:>8d}" for size in args.history))
    for key in keys:
        label = key if key == "popularity" else f"fold_in_shrinkage={key:g}"
        means = [np.mean(results[key, size]) for size in args.history]
        print(f"  {label:24s}" + "".join(f"{mean:8.4f}" for mean in means))


if __name__ == "__main__":
    main()
