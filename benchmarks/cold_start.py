"""NDCG@10 on MovieLens 100K with and without side features, warm and cold.

Three splits of the ratings (every rating an interaction):

- warm: ``UserHoldoutSplit`` holds out 20% of each user's interactions;
- cold users: ``ColdStartSplit("user")`` holds out 20% of the users whole;
- cold items: ``ColdStartSplit("item")`` holds out 20% of the items whole.

Three recommenders: ``MatrixFactorization`` with user features (age, gender,
occupation) and item features (year, genres), the same without features
(``handle_unknown="fallback"``: popularity for unknown users, unknown items
never recommended), and the most popular items. Lists rank the whole
catalogue (held-out items included when the model knows them from their
features) minus the user's training items. For cold items, a second row
ranks only the held-out items, against a random order.

Run from the repository root::

    PYTHONPATH=. python benchmarks/cold_start.py
"""

import argparse
import time

import numpy as np
import pandas as pd

from sklearn_rec import MatrixFactorization
from sklearn_rec.datasets import fetch_movielens
from sklearn_rec.metrics import ndcg_at_k
from sklearn_rec.metrics._scorer import relevant_items_by_user
from sklearn_rec.model_selection import ColdStartSplit, UserHoldoutSplit


def feature_tables(movielens):
    users = movielens.users[["age", "gender", "occupation"]]
    movies = movielens.movies
    genres = movies["genres"].str.get_dummies("|").astype(float)
    items = pd.concat([movies[["year"]].astype(float), genres], axis=1)
    return users, items


def popular_lists(train, users, n, candidates=None):
    counts = train["item"].value_counts()
    ranked = counts.index.to_numpy() if candidates is None else np.asarray(candidates)
    seen = train.groupby("user")["item"].agg(set)
    lists = []
    for user in users:
        excluded = seen.get(user, set())
        lists.append([item for item in ranked if item not in excluded][:n])
    return lists


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--loss", default="bpr")
    parser.add_argument("--epochs", type=int, default=20)
    parser.add_argument("--n-factors", type=int, default=32)
    parser.add_argument("--data-home", default=None)
    args = parser.parse_args()

    movielens = fetch_movielens("100k", data_home=args.data_home)
    X = movielens.data[["user", "item"]]
    user_features, item_features = feature_tables(movielens)
    params = {
        "n_factors": args.n_factors,
        "loss": args.loss,
        "max_epochs": args.epochs,
        "handle_unknown": "fallback",
        "random_state": 0,
    }
    splits = {
        "warm (UserHoldoutSplit)": UserHoldoutSplit(test_size=0.2, random_state=0),
        "cold users (ColdStartSplit user)": ColdStartSplit("user", random_state=0),
        "cold items (ColdStartSplit item)": ColdStartSplit("item", random_state=0),
    }
    rows = []
    for name, splitter in splits.items():
        train_index, test_index = next(splitter.split(X))
        train, test = X.iloc[train_index], X.iloc[test_index]
        users, truth = relevant_items_by_user(test)
        start = time.perf_counter()
        with_features = MatrixFactorization(
            **params, user_features=user_features, item_features=item_features
        ).fit(train)
        without = MatrixFactorization(**params).fit(train)
        seconds = time.perf_counter() - start
        row = {
            "split": name,
            "test users": len(users),
            "with features": ndcg_at_k(truth, with_features.recommend(users, n=10)[0]),
            "without features": ndcg_at_k(truth, without.recommend(users, n=10)[0]),
            "popularity": ndcg_at_k(truth, popular_lists(train, users, 10)),
        }
        rows.append(row)
        print(f"{name}: fitted both models in {seconds:.0f} s", flush=True)
        if "item" in name:
            held_out = np.unique(test["item"])
            rng = np.random.default_rng(0)
            random_lists = [rng.permutation(held_out)[:10] for _ in users]
            rows.append(
                {
                    "split": "cold items, ranked among held-out items",
                    "test users": len(users),
                    "with features": ndcg_at_k(
                        truth, with_features.recommend(users, n=10, items=held_out)[0]
                    ),
                    "without features": np.nan,
                    "popularity": np.nan,
                    "random order": ndcg_at_k(truth, random_lists),
                }
            )
    table = pd.DataFrame(rows).set_index("split")
    table["test users"] = table["test users"].astype(str)
    print(
        f"\nNDCG@10, MatrixFactorization(loss={args.loss!r}, n_factors={args.n_factors}, "
        f"max_epochs={args.epochs})"
    )
    if _has_tabulate():
        cells = table.astype(object).where(table.notna(), None)
        print(cells.to_markdown(floatfmt=".3f", missingval=""))
    else:
        print(table.round(3))


def _has_tabulate():
    try:
        import tabulate  # noqa: F401
    except ImportError:
        return False
    return True


if __name__ == "__main__":
    main()
