"""
A map of item embeddings coloured by genre
==========================================

:class:`~sklearn_rec.MatrixFactorization` learns one factor vector per item.
Mapped to two dimensions with t-SNE, the vectors of MovieLens 100K movies
show groups of one genre, although the model never saw a genre: only who
rated what.

The data is read from the folder named by the environment variable
``SKLEARN_REC_DATA`` when it holds ``ml-100k/``; otherwise
:func:`~sklearn_rec.datasets.fetch_movielens` downloads it once into the data
folder (see :func:`~sklearn_rec.datasets.get_data_home`).
"""

# %%
# Fit on all interactions
# -----------------------
# Every rating counts as an interaction, and the BPR loss learns to rank the
# movies each user rated above sampled movies they did not rate.
import matplotlib.pyplot as plt
import numpy as np
from sklearn.manifold import TSNE

from sklearn_rec import MatrixFactorization
from sklearn_rec.datasets import fetch_movielens

movielens = fetch_movielens("100k")
X = movielens.data[["user", "item"]]
mf = MatrixFactorization(n_factors=32, loss="bpr", max_epochs=15, random_state=0).fit(X)

# %%
# Item vectors
# ------------
# Row ``i`` of the item factor table belongs to the raw item id
# ``mf.items_[i]``. Movies with few ratings get few updates and their vectors
# say little, so only those with at least 50 ratings are kept. t-SNE
# uses the cosine distance, the similarity that
# :meth:`~sklearn_rec.MatrixFactorization.similar_items` ranks by.
factors = mf.module_.item_factors.weight.detach().numpy()
n_ratings = np.asarray(mf.seen_.sum(axis=0)).ravel()
keep = n_ratings >= 50
items, factors = mf.items_[keep], factors[keep]
coords = TSNE(n_components=2, metric="cosine", init="pca", random_state=0).fit_transform(factors)
print(f"{keep.sum()} of {mf.n_items_} movies have at least 50 ratings")

# %%
# Genres
# ------
# A movie can have several genres. Each is coloured by the first of a few
# well-separated genres it has, and shown in grey if it has none of them.
genres = movielens.movies.loc[items, "genres"].str.split("|")
palette = {
    "Children's": "tab:green",
    "Horror": "tab:red",
    "Film-Noir": "tab:brown",
    "Romance": "tab:pink",
    "Sci-Fi": "tab:blue",
}
label = np.array([next((g for g in palette if g in gs), "other") for gs in genres])

fig, ax = plt.subplots(figsize=(7, 5.5), layout="constrained")
other = label == "other"
ax.scatter(*coords[other].T, s=8, c="lightgrey", label="other")
for genre, colour in palette.items():
    mask = label == genre
    ax.scatter(*coords[mask].T, s=14, c=colour, label=f"{genre} ({mask.sum()})")
ax.legend(loc="best", fontsize="small")
ax.set(xticks=[], yticks=[])
ax.set_title("MatrixFactorization(loss='bpr') item factors, MovieLens 100K")

# %%
# Most children's films gather in one tight group, and so do many horror
# films; romances and science fiction spread over larger areas. t-SNE keeps
# neighbourhoods, not the distances between groups.
#
# The nearest neighbours of a movie in the factor space, by cosine
# similarity, come from :meth:`~sklearn_rec.MatrixFactorization.similar_items`:
titles = movielens.movies["title"]
query = 1  # Toy Story (1995)
neighbours, _ = mf.similar_items([query], n=5)
print(f"Most similar to {titles[query]}:")
for item in neighbours[0]:
    print("  ", titles[item])
plt.show()
