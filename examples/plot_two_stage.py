"""
Retrieve, then rerank: a second-stage model over a recommender's candidates
===========================================================================

Production recommenders work in two stages: a fast model proposes a few
hundred candidates per user, and a classifier reorders them with features
the first model does not use. :class:`~sklearn_rec.rerank.RerankingRecommender`
is that pattern as one estimator: in each fold of the training data, a clone
of the retriever learns from the rest and proposes candidates, the
candidates the user interacted with in the fold are the positives, and the
ranker learns from :class:`~sklearn_rec.rerank.RecommenderFeatures` of the
pairs (the retriever's score and the candidate's place in the list, user
activity, item popularity, mean ratings, side features).

On MovieLens 100K, :class:`~sklearn_rec.EASE` retrieves, and the users' age,
gender and occupation and the films' year and genres are the side features.

The data is read from the folder named by the environment variable
``SKLEARN_REC_DATA`` when it holds ``ml-100k/``; otherwise
:func:`~sklearn_rec.datasets.fetch_movielens` downloads it once into the data
folder (see :func:`~sklearn_rec.datasets.get_data_home`).
"""

# %%
# Data, side features and a split
# --------------------------------
# Side features are numeric columns indexed by id: categories become
# indicator columns.
import matplotlib.pyplot as plt
import pandas as pd
from sklearn.ensemble import HistGradientBoostingClassifier

from sklearn_rec import EASE
from sklearn_rec.datasets import fetch_movielens
from sklearn_rec.metrics import make_ranking_scorer
from sklearn_rec.model_selection import UserHoldoutSplit
from sklearn_rec.rerank import RerankingRecommender

movielens = fetch_movielens("100k")
X, ratings = movielens.data[["user", "item"]], movielens.target.to_numpy()
people, films = movielens.users, movielens.movies
user_features = pd.concat(
    [
        people[["age"]],
        (people.gender == "F").rename("female"),
        pd.get_dummies(people.occupation, prefix="occupation"),
    ],
    axis=1,
)
item_features = pd.concat(
    [films[["year"]].astype("float64"), films.genres.str.get_dummies("|")], axis=1
)
train, test = next(UserHoldoutSplit(test_size=0.2, random_state=0).split(X))
X_train, X_test = X.iloc[train], X.iloc[test]
y_train, y_test = ratings[train], ratings[test]
side = {"user_features": user_features, "item_features": item_features}

# %%
# Every rating is an interaction
# ------------------------------
# The test interactions are the relevant items. The default ranker is a
# logistic regression on standardised features; a gradient-boosted
# classifier learns the training users' held-out items too well and ranks
# new ones worse than the retriever alone.
ndcg = make_ranking_scorer("ndcg", k=10)
implicit = {
    "EASE": EASE(),
    "EASE, reranked,\nside features": RerankingRecommender(EASE(), random_state=0, **side),
    "EASE, reranked by\nHistGradientBoosting": RerankingRecommender(
        EASE(), HistGradientBoostingClassifier(random_state=0), random_state=0, **side
    ),
}
implicit_scores = {}
for name, model in implicit.items():
    implicit_scores[name] = ndcg(model.fit(X_train), X_test)
    print(f"{name.replace(chr(10), ' '):56s} NDCG@10 {implicit_scores[name]:.4f}")

# %%
# Ratings of 4 and 5 are what a user wants
# ----------------------------------------
# Now only the test ratings of 4 and 5 are relevant. EASE learns from
# interactions, not from how they were rated: with ``positive_threshold=4``
# it learns from the liked films only. The reranker keeps every interaction
# for retrieval, learns from the held-out ratings of 4 and 5
# (``positive_threshold=4``), and has the films' and users' mean ratings
# among its features; with ``scorers``, the score of the EASE of liked films
# too.
liked = make_ranking_scorer("ndcg", k=10, positive_threshold=4)
explicit = {
    "EASE, every rating": EASE(positive_threshold=1),
    "EASE, ratings >= 4": EASE(positive_threshold=4),
    "EASE, every rating,\nreranked": RerankingRecommender(
        EASE(positive_threshold=1), positive_threshold=4, random_state=0
    ),
    "EASE, every rating, reranked\nwith EASE >= 4 as a feature": RerankingRecommender(
        EASE(positive_threshold=1),
        scorers=[("liked", EASE(positive_threshold=4))],
        positive_threshold=4,
        random_state=0,
    ),
}
explicit_scores = {}
for name, model in explicit.items():
    explicit_scores[name] = liked(model.fit(X_train, y_train), X_test, y_test)
    print(f"{name.replace(chr(10), ' '):56s} NDCG@10 of liked films {explicit_scores[name]:.4f}")

# %%
# What the ranker learnt
# ----------------------
# The logistic regression's weights on standardised features: how much one
# standard deviation of each feature moves a candidate up or down.
reranker = explicit["EASE, every rating, reranked\nwith EASE >= 4 as a feature"]
weights = pd.Series(reranker.ranker_[-1].coef_[0], index=reranker.feature_names_)
print(weights.reindex(weights.abs().sort_values(ascending=False).index).head(8).round(3))

# %%
# The two tables side by side
# ---------------------------
fig, axes = plt.subplots(1, 2, figsize=(12, 4), layout="constrained")
for ax, scores, title in [
    (axes[0], implicit_scores, "every test interaction is relevant"),
    (axes[1], explicit_scores, "test ratings of 4 and 5 are relevant"),
]:
    ax.barh(list(scores)[::-1], list(scores.values())[::-1], color="tab:blue")
    ax.set_xlim(min(scores.values()) * 0.9, max(scores.values()) * 1.02)
    ax.set_xlabel("NDCG@10")
    ax.set_title(title, fontsize="medium")
fig.suptitle("MovieLens 100K: EASE alone and reranked")
plt.show()
