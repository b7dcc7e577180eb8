"""
Tuning a recommender with GridSearchCV
======================================

A recommender is an ordinary scikit-learn estimator: ``GridSearchCV`` tunes
it with a recommender-aware splitter (a per-user holdout) and ranking
scorers, and refits the best candidate for ``recommend``.

The data is synthetic (:func:`~sklearn_rec.datasets.make_interactions`), so
the example needs no download.
"""

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from sklearn.model_selection import GridSearchCV

from sklearn_rec import MatrixFactorization
from sklearn_rec.datasets import make_interactions
from sklearn_rec.metrics import make_ranking_scorer
from sklearn_rec.model_selection import UserHoldoutSplit

X, _ = make_interactions(
    n_users=300,
    n_items=200,
    n_interactions=9_000,
    implicit=True,
    popularity_skew=0.5,
    selection_strength=6.0,
    random_state=0,
)
search = GridSearchCV(
    MatrixFactorization(loss="bpr", random_state=0),
    {"n_factors": [4, 8, 32], "weight_decay": [0.001, 0.01, 0.1]},
    cv=UserHoldoutSplit(n_splits=2, random_state=0),
    scoring={
        "ndcg": make_ranking_scorer("ndcg", k=10),
        "recall": make_ranking_scorer("recall", k=10),
    },
    refit="ndcg",
).fit(X)

results = pd.DataFrame(search.cv_results_)
columns = ["param_n_factors", "param_weight_decay", "mean_test_ndcg", "mean_test_recall"]
print(results[columns].sort_values("mean_test_ndcg", ascending=False).to_string(index=False))
print("best:", search.best_params_)

items, scores = search.best_estimator_.recommend([0, 1], n=5)
print(items)

# %%
# The mean test NDCG@10 of every candidate as a heat map: too little
# regularisation costs more than too few factors here.
table = results.pivot(
    index="param_n_factors", columns="param_weight_decay", values="mean_test_ndcg"
)
fig, ax = plt.subplots(figsize=(5.5, 4), layout="constrained")
values = table.to_numpy()
image = ax.imshow(values, cmap="viridis")
ax.set(
    xticks=range(table.shape[1]),
    xticklabels=table.columns,
    yticks=range(table.shape[0]),
    yticklabels=table.index,
    xlabel="weight_decay",
    ylabel="n_factors",
    title="Mean test NDCG@10",
)
middle = (values.min() + values.max()) / 2
for (row, col), value in np.ndenumerate(values):
    colour = "black" if value > middle else "white"
    ax.text(col, row, f"{value:.3f}", ha="center", va="center", color=colour)
fig.colorbar(image, ax=ax)
plt.show()
