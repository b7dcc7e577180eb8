"""
Ranking metrics at every cut-off on MovieLens 100K
==================================================

Matrix factorization, EASE and a popularity baseline are compared on MovieLens 100K by
NDCG@k, recall@k and hit rate@k for every cut-off ``k`` from 1 to 20. The
evaluation protocol is a per-user holdout: 20% of each user's ratings are
held out, every rating counts as an interaction (implicit feedback), and each
model ranks the whole catalogue, the items a user rated in training left out.

The data is read from the folder named by the environment variable
``SKLEARN_REC_DATA`` when it holds ``ml-100k/``; otherwise
:func:`~sklearn_rec.datasets.fetch_movielens` downloads it once into the data
folder (see :func:`~sklearn_rec.datasets.get_data_home`).
"""

# %%
# Data and split
# --------------
# The ratings themselves are ignored: every ``(user, item)`` row is a
# positive. :class:`~sklearn_rec.model_selection.UserHoldoutSplit` keeps every
# test user and item in the training part.
import matplotlib.pyplot as plt
import numpy as np

from sklearn_rec import EASE, MatrixFactorization, PopularityRecommender
from sklearn_rec.datasets import fetch_movielens
from sklearn_rec.metrics import hit_rate_at_k, ndcg_at_k, recall_at_k
from sklearn_rec.model_selection import UserHoldoutSplit

X, _ = fetch_movielens("100k", return_X_y=True)
X = X[["user", "item"]]
train, test = next(UserHoldoutSplit(test_size=0.2, random_state=0).split(X))
X_train, X_test = X.iloc[train], X.iloc[test]

relevant = X_test.groupby("user")["item"].agg(list)
users = relevant.index.to_numpy()
print(f"{len(X_train):,} training and {len(X_test):,} test interactions, {len(users)} test users")

# %%
# Models
# ------
# Matrix factorization with the BPR loss, EASE (a linear item-item model
# solved in closed form) and the most popular training items the user has not
# seen: three estimators behind the same ``recommend``.
K = 20
models = {
    "MF (bpr)": MatrixFactorization(n_factors=32, loss="bpr", max_epochs=15, random_state=0),
    "EASE": EASE(),
    "Popularity": PopularityRecommender(),
}
lists = {}
for name, model in models.items():
    model.fit(X_train)
    lists[name], _ = model.recommend(users, n=K)

# %%
# Metrics at each cut-off
# -----------------------
# The lists have length 20; ``metric(relevant, lists, k=k)`` reads their
# first ``k`` items.
metrics = {"NDCG@k": ndcg_at_k, "Recall@k": recall_at_k, "Hit rate@k": hit_rate_at_k}
ks = np.arange(1, K + 1)
fig, axes = plt.subplots(1, 3, figsize=(11, 3.6), layout="constrained")
for ax, (title, metric) in zip(axes, metrics.items(), strict=True):
    for name, ranked in lists.items():
        ax.plot(ks, [metric(relevant, ranked, k=k) for k in ks], marker=".", label=name)
    ax.set(title=title, xlabel="k", xticks=[1, 5, 10, 15, 20])
    ax.grid(alpha=0.3)
axes[0].legend()

for name, ranked in lists.items():
    print(f"{name:12s} NDCG@10 = {ndcg_at_k(relevant, ranked, k=10):.3f}")

# %%
# Recall and hit rate can only grow with ``k``; NDCG need not. The
# personalised models stay above popularity at every cut-off, but popularity
# is a strong baseline on MovieLens: always report it.
plt.show()
