"""NDCG@10 on MovieLens 100K of EASE alone and reranked by RerankingRecommender.

Per-user random 80/20 splits (``UserHoldoutSplit``, one per seed). Two
definitions of relevance:

- every test interaction is relevant: EASE of every rating against the
  reranked EASE (default ranker, with and without the users' and films' side
  features, and with a ``HistGradientBoostingClassifier`` ranker);
- the test ratings of 4 and 5 are relevant: EASE of every rating, EASE of
  the ratings of 4 and 5 (``positive_threshold=4``), and EASE of every rating
  reranked by a ranker that learns the ratings of 4 and 5, without and with
  the second EASE as a ``scorers`` feature.

Run from the repository root::

    PYTHONPATH=. python benchmarks/two_stage.py --seeds 0 1 2
"""

import argparse

import pandas as pd
from _common import parse_seeds_and_threads, timed
from sklearn.ensemble import HistGradientBoostingClassifier

from sklearn_rec import EASE
from sklearn_rec.datasets import fetch_movielens
from sklearn_rec.metrics import make_ranking_scorer
from sklearn_rec.model_selection import UserHoldoutSplit
from sklearn_rec.rerank import RerankingRecommender


def side_features(movielens):
    people, films = movielens.users, movielens.movies
    users = pd.concat(
        [
            people[["age"]],
            (people.gender == "F").rename("female"),
            pd.get_dummies(people.occupation, prefix="occupation"),
        ],
        axis=1,
    )
    items = pd.concat(
        [films[["year"]].astype("float64"), films.genres.str.get_dummies("|")], axis=1
    )
    return {"user_features": users, "item_features": items}


def models(seed, side):
    every, liked = EASE(positive_threshold=1), EASE(positive_threshold=4)
    return {
        "every interaction relevant": {
            "EASE": EASE(),
            "reranked": RerankingRecommender(EASE(), random_state=seed),
            "reranked, side features": RerankingRecommender(EASE(), random_state=seed, **side),
            "reranked by HistGradientBoosting, side features": RerankingRecommender(
                EASE(), HistGradientBoostingClassifier(random_state=0), random_state=seed, **side
            ),
        },
        "ratings of 4 and 5 relevant": {
            "EASE, every rating": every,
            "EASE, ratings >= 4": liked,
            "reranked": RerankingRecommender(every, positive_threshold=4, random_state=seed),
            "reranked, side features": RerankingRecommender(
                every, positive_threshold=4, random_state=seed, **side
            ),
            "reranked, scorers=[EASE >= 4]": RerankingRecommender(
                every, scorers=[("liked", liked)], positive_threshold=4, random_state=seed
            ),
        },
    }


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    args = parse_seeds_and_threads(parser)

    movielens = fetch_movielens("100k")
    X, ratings = movielens.data[["user", "item"]], movielens.target.to_numpy()
    side = side_features(movielens)
    scorers = {
        "every interaction relevant": make_ranking_scorer("ndcg", k=10),
        "ratings of 4 and 5 relevant": make_ranking_scorer("ndcg", k=10, positive_threshold=4),
    }
    rows = []
    for seed in args.seeds:
        train, test = next(UserHoldoutSplit(test_size=0.2, random_state=seed).split(X))
        for relevance, candidates in models(seed, side).items():
            y = None if relevance.startswith("every") else ratings[train]
            for name, model in candidates.items():
                _, seconds = timed(model.fit, X.iloc[train], y)
                score = scorers[relevance](model, X.iloc[test], ratings[test])
                rows.append((relevance, name, seed, score, seconds))
                print(f"seed {seed} | {relevance} | {name}: {score:.4f} ({seconds:.1f} s)")
    table = pd.DataFrame(rows, columns=["relevance", "model", "seed", "ndcg@10", "fit (s)"])
    rows_in_order = pd.MultiIndex.from_frame(table[["relevance", "model"]].drop_duplicates())
    summary = table.pivot_table(index=["relevance", "model"], columns="seed", values="ndcg@10")
    summary["fit (s), mean"] = table.groupby(["relevance", "model"])["fit (s)"].mean()
    summary = summary.reindex(rows_in_order)
    print(summary.round(4).to_markdown())


if __name__ == "__main__":
    main()
