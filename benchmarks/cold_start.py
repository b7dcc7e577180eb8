"""NDCG@10 on MovieLens 100K with and without side features, warm and cold.

Three splits of the ratings (every rating an interaction):

- warm: ``UserHoldoutSplit`` holds out 20% of each user's interactions;
- cold users: ``ColdStartSplit("user")`` holds out 20% of the users whole;
- cold items: ``ColdStartSplit("item")`` holds out 20% of the items whole.

Four recommenders: ``MatrixFactorization`` with user features (age, gender,
occupation) and item features (year, genres), the same without features
(``handle_unknown="fallback"``: popularity for unknown users, unknown items
never recommended), the most popular items, and LightFM (WARP loss) with
the same features plus identity features for the training ids, when
``lightfm`` is installed. Lists rank the whole
catalogue (held-out items included when the model knows them from their
features) minus the user's training items. For cold items, a second row
ranks only the held-out items, against a random order.

Run from the repository root::

    PYTHONPATH=. python benchmarks/cold_start.py
"""

import argparse

import numpy as np
import pandas as pd
import scipy.sparse as sp
from _common import limit_threads, timed

from sklearn_rec import MatrixFactorization, PopularityRecommender
from sklearn_rec._features import FeatureEncoder
from sklearn_rec._vocabulary import Vocabulary
from sklearn_rec.datasets import fetch_movielens
from sklearn_rec.metrics import ndcg_at_k
from sklearn_rec.model_selection import ColdStartSplit, UserHoldoutSplit


def feature_tables(movielens):
    users = movielens.users[["age", "gender", "occupation"]]
    movies = movielens.movies
    genres = movies["genres"].str.get_dummies("|").astype(float)
    items = pd.concat([movies[["year"]].astype(float), genres], axis=1)
    return users, items


def lightfm_features(table, name, training_ids):
    """LightFM's feature matrix: identity features of the training ids, then the features.

    The features are encoded as ``MatrixFactorization`` encodes them (one
    column per categorical level, standardised numbers, 0/1 indicators as
    they are); ids known only from the table have no identity feature.
    """
    encoder = FeatureEncoder(table, name, Vocabulary.from_ids(training_ids))
    n_rows, n_trained = len(encoder.vocabulary), encoder.vocabulary.n_fitted
    identity = sp.eye(n_rows, n_trained, format="csr")
    rows, columns = np.nonzero(encoder.codes >= 0)
    levels = sp.csr_matrix(
        (np.ones(len(rows)), (rows, encoder.codes[rows, columns])),
        shape=(n_rows, encoder.n_levels),
    )
    matrix = sp.hstack([identity, levels, sp.csr_matrix(encoder.values)], format="csr")
    return encoder.vocabulary.index, matrix


class LightFMLists:
    """LightFM with identity and side features, ranked as the other models are."""

    def __init__(self, train, user_table, item_table, n_factors, epochs, threads):
        from lightfm import LightFM

        self.users, user_matrix = lightfm_features(user_table, "user_features", train["user"])
        self.items, item_matrix = lightfm_features(item_table, "item_features", train["item"])
        rows = self.users.get_indexer(train["user"])
        columns = self.items.get_indexer(train["item"])
        interactions = sp.coo_matrix(
            (np.ones(len(rows), dtype=np.float32), (rows, columns)),
            shape=(len(self.users), len(self.items)),
        )
        self.seen = interactions.tocsr()
        model = LightFM(no_components=n_factors, loss="warp", random_state=0)
        model.fit(
            interactions,
            user_features=user_matrix,
            item_features=item_matrix,
            epochs=epochs,
            num_threads=threads,
        )
        _, self.user_vectors = model.get_user_representations(user_matrix)
        self.item_bias, self.item_vectors = model.get_item_representations(item_matrix)

    def recommend(self, users, n=10, items=None):
        rows = self.users.get_indexer(users)
        scores = self.user_vectors[rows] @ self.item_vectors.T + self.item_bias
        seen = self.seen[rows].nonzero()
        scores[seen] = -np.inf
        candidates = np.arange(len(self.items)) if items is None else self.items.get_indexer(items)
        scores = scores[:, candidates]
        top = np.argsort(-scores, axis=1, kind="stable")[:, :n]
        return self.items.to_numpy()[candidates[top]]


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--loss", default="bpr")
    parser.add_argument("--epochs", type=int, default=20)
    parser.add_argument("--n-factors", type=int, default=32)
    parser.add_argument("--threads", type=int, default=None)
    parser.add_argument("--data-home", default=None)
    args = parser.parse_args()
    limit_threads(args.threads)
    try:
        import lightfm  # noqa: F401
    except ImportError:
        print("lightfm is not installed: no LightFM column.")
        with_lightfm = False
    else:
        with_lightfm = True

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
        groups = test.groupby("user", sort=False)["item"]
        users, truth = np.asarray(list(groups.groups)), [items.to_numpy() for _, items in groups]
        (with_features, without), seconds = timed(
            lambda train=train: (
                MatrixFactorization(
                    **params, user_features=user_features, item_features=item_features
                ).fit(train),
                MatrixFactorization(**params).fit(train),
            )
        )
        row = {
            "split": name,
            "test users": len(users),
            "with features": ndcg_at_k(truth, with_features.recommend(users, n=10)[0]),
            "without features": ndcg_at_k(truth, without.recommend(users, n=10)[0]),
            "popularity": ndcg_at_k(
                truth,
                PopularityRecommender(handle_unknown="fallback")
                .fit(train)
                .recommend(users, n=10)[0],
            ),
        }
        print(f"{name}: fitted both models in {seconds:.0f} s", flush=True)
        if with_lightfm:
            reference, seconds = timed(
                LightFMLists,
                train,
                user_features,
                item_features,
                args.n_factors,
                args.epochs,
                args.threads or 1,
            )
            row["LightFM (features)"] = ndcg_at_k(truth, reference.recommend(users))
            print(f"{name}: fitted LightFM in {seconds:.0f} s", flush=True)
        rows.append(row)
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
            if with_lightfm:
                rows[-1]["LightFM (features)"] = ndcg_at_k(
                    truth, reference.recommend(users, items=held_out)
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
