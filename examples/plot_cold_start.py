"""
Recommendations for a brand-new user
====================================

A user who joins after the model was trained has no embedding.
:meth:`~sklearn_rec.MatrixFactorization.recommend_for_history` *folds them
in*: with the trained model frozen, it fits a user vector to the few movies
they liked, by minimising the training loss for that one user, and ranks the
catalogue with it. Nothing is refitted, so it answers in milliseconds.

The data is read from the folder named by the environment variable
``SKLEARN_REC_DATA`` when it holds ``ml-100k/``; otherwise
:func:`~sklearn_rec.datasets.fetch_movielens` downloads it once into the data
folder (see :func:`~sklearn_rec.datasets.get_data_home`).
"""

# %%
# Train without some users
# ------------------------
# 100 users are held out whole, as brand-new users would be. The model learns
# from the others' ratings, each one an interaction.
import matplotlib.pyplot as plt
import numpy as np

from sklearn_rec import MatrixFactorization, PopularityRecommender
from sklearn_rec.datasets import fetch_movielens
from sklearn_rec.metrics import ndcg_at_k
from sklearn_rec.model_selection import ColdStartSplit

movielens = fetch_movielens("100k")
X = movielens.data[["user", "item"]]
train, test = next(ColdStartSplit("user", test_size=100, random_state=0).split(X))
mf = MatrixFactorization(n_factors=32, loss="bpr", max_epochs=15, random_state=0)
mf.fit(X.iloc[train])
titles = movielens.movies["title"]

# %%
# Three liked films
# -----------------
# A newcomer says they liked the original Star Wars trilogy.
liked = titles.index[titles.str.match(r"Star Wars|Empire Strikes Back|Return of the Jedi")]
items, scores = mf.recommend_for_history(liked, n=8)
print("Liked:", "; ".join(titles[liked]))
for item, score in zip(items[0], scores[0], strict=True):
    print(f"  {score:6.2f}  {titles[item]}")

# %%
# How much history is enough?
# ---------------------------
# Each held-out user's ratings are shuffled; the first ``k`` are the history
# the user is folded in from, and the rest are the relevant items. NDCG@10 of
# the lists is compared with the most popular movies the user has not rated,
# which is all a model without fold-in could offer.
rng = np.random.default_rng(0)
held_out = X.iloc[test].groupby("user")["item"].apply(lambda s: rng.permutation(s.to_numpy()))
held_out = held_out[held_out.map(len) > 40]
popularity = PopularityRecommender().fit(X.iloc[train])

sizes = [1, 3, 10, 30]
fold_in, popular = [], []
for k in sizes:
    truth, lists, popular_lists = [], [], []
    for items in held_out:
        history, relevant = items[:k], items[k:]
        truth.append(relevant)
        lists.append(mf.recommend_for_history(history, n=10)[0][0])
        popular_lists.append(popularity.recommend_for_history(history, n=10)[0][0])
    fold_in.append(ndcg_at_k(truth, lists, k=10))
    popular.append(ndcg_at_k(truth, popular_lists, k=10))
    print(f"k={k:2d}: fold-in NDCG@10 {fold_in[-1]:.3f}, popularity {popular[-1]:.3f}")

fig, ax = plt.subplots(figsize=(5, 3.5))
ax.plot(sizes, fold_in, "o-", label="fold-in (recommend_for_history)")
ax.plot(sizes, popular, "s--", label="most popular")
ax.set(
    xscale="log",
    xticks=sizes,
    xticklabels=sizes,
    xlabel="items in the new user's history",
    ylabel="NDCG@10 on their other items",
    title=f"{len(held_out)} MovieLens users unseen in training",
)
ax.legend()
fig.tight_layout()
plt.show()
