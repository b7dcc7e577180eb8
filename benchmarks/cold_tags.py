"""Cold items of ml-latest-small ranked from their genres and their tags (TF-IDF).

``ColdStartSplit("item", test_size=0.2)`` holds out a fifth of the films
whole; ``MatrixFactorization(loss="bpr")`` learns from the rest with item
features encoded by ``item_encoder`` (genres as words, the users' tags by
TF-IDF, or both); each test user's held-out films are ranked among all the
held-out films (NDCG@10), against a random order and against the films
with the most tag applications first (ties in random order: the same list
for every user). The popularity of a cold film is unknown, so popularity
cannot rank them; how often a film was tagged is a stand-in for it.

Run from the repository root::

    PYTHONPATH=. python benchmarks/cold_tags.py --seeds 0 1 2
"""

import argparse

import numpy as np
import pandas as pd
from _common import parse_seeds_and_threads, timed
from sklearn.compose import ColumnTransformer
from sklearn.feature_extraction.text import CountVectorizer, TfidfVectorizer

from sklearn_rec import MatrixFactorization
from sklearn_rec.datasets import fetch_movielens
from sklearn_rec.metrics import ndcg_at_k
from sklearn_rec.model_selection import ColdStartSplit


def encoders():
    def genres():
        return "genres", CountVectorizer(tokenizer=str.split, lowercase=False, token_pattern=None)

    def tags():
        return "tags", TfidfVectorizer(min_df=2)

    def columns(*parts):
        parts = [(name, vectorizer, name) for name, vectorizer in parts]
        return ColumnTransformer(parts, sparse_threshold=1.0)

    return {
        "genres": columns(genres()),
        "tags": columns(tags()),
        "genres+tags": columns(genres(), tags()),
    }


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    args = parse_seeds_and_threads(parser)

    movielens = fetch_movielens("latest-small")
    X, movies = movielens.data[["user", "item"]], movielens.movies
    text = movielens.tags.groupby("item")["tag"].agg(" ".join)
    table = pd.DataFrame(
        {
            "genres": movies["genres"].str.replace("|", " "),
            "tags": text.reindex(movies.index).fillna(""),
        },
        index=movies.index,
    )
    for seed in args.seeds:
        train, test = next(ColdStartSplit("item", test_size=0.2, random_state=seed).split(X))
        X_test = X.iloc[test]
        cold, users = np.unique(X_test.item), np.unique(X_test.user)
        relevant = [group.item.to_numpy() for _, group in X_test.groupby("user")]
        rng = np.random.default_rng(seed)
        random = np.mean(
            [
                ndcg_at_k(relevant, [rng.permutation(cold)[:10] for _ in users], k=10)
                for _ in range(5)
            ]
        )
        tagged = np.isin(cold, text.index).mean()
        applications = movielens.tags["item"].value_counts().reindex(cold).fillna(0).to_numpy()
        most_tagged = np.mean(
            [
                ndcg_at_k(
                    relevant,
                    [cold[np.lexsort((rng.random(len(cold)), -applications))][:10]] * len(users),
                    k=10,
                )
                for _ in range(5)
            ]
        )
        row = [
            f"seed {seed}: {len(cold)} cold films ({tagged:.0%} tagged), random {random:.4f}, "
            f"most tagged first {most_tagged:.4f}"
        ]
        for name, encoder in encoders().items():
            model = MatrixFactorization(
                loss="bpr", item_features=table, item_encoder=encoder, random_state=seed
            )
            _, seconds = timed(model.fit, X.iloc[train])
            items, _ = model.recommend(users, n=10, items=cold)
            row.append(f"{name} {ndcg_at_k(relevant, list(items), k=10):.4f} ({seconds:.0f} s)")
        print(" | ".join(row), flush=True)


if __name__ == "__main__":
    main()
