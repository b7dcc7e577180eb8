"""
New films recommended from their tags
=====================================

A film added to the catalogue has no ratings, so a model of ids alone knows
nothing of it, and popularity cannot rank it either. What it does have is a
description: here, the words MovieLens users tagged it with and its genres.
Passing them through ``item_encoder`` (any scikit-learn transformer; here a
TF-IDF of the tags beside the genres as words) gives every film a
representation built from its text, so a film is recommended from the first
day, and its own embedding takes over as interactions arrive.

MovieLens's tags are themselves applied by users, and the films tagged most
are the ones watched most, so here they carry some popularity that a
catalogue's own descriptions (editorial keywords, synopses) would not. They
stand in for such text; the cold-start guide (:ref:`cold-start`) measures how
much of the tags' lead ordering by tag count alone gives.

The data is read from the folder named by the environment variable
``SKLEARN_REC_DATA`` when it holds ``ml-latest-small/``; otherwise
:func:`~sklearn_rec.datasets.fetch_movielens` downloads it once into the data
folder (see :func:`~sklearn_rec.datasets.get_data_home`).
"""

# %%
# Films as text
# -------------
# One row per film: its genres as words and every tag users gave it, joined.
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from sklearn.compose import ColumnTransformer
from sklearn.feature_extraction.text import CountVectorizer, TfidfVectorizer

from sklearn_rec import MatrixFactorization
from sklearn_rec.datasets import fetch_movielens
from sklearn_rec.metrics import ndcg_at_k
from sklearn_rec.model_selection import ColdStartSplit

movielens = fetch_movielens("latest-small")
X, movies = movielens.data[["user", "item"]], movielens.movies
text = pd.DataFrame(
    {
        "genres": movies["genres"].str.replace("|", " "),
        "tags": movielens.tags.groupby("item")["tag"].agg(" ".join),
    }
).fillna("")
encoder = ColumnTransformer(
    [
        ("genres", CountVectorizer(tokenizer=str.split, token_pattern=None), "genres"),
        ("tags", TfidfVectorizer(min_df=2), "tags"),
    ],
    sparse_threshold=1.0,  # keep the output sparse: one embedding per word
)
print(text.loc[movies.index[movies["title"].str.startswith("Inception")]].T)

# %%
# New films, then their first interactions
# ----------------------------------------
# A fifth of the films are held out whole, as new films would be. Half of
# their interactions, drawn at random, are what the lists are scored on. To
# follow the films as they gather interactions, a share of the other half is
# put back into training: on average ``k`` per new film (a popular film gets
# more, as it would). Each test user's new films are ranked among all the new
# films they have not interacted with in training; the test is the same for
# every ``k``.
train_index, held_out = next(ColdStartSplit("item", test_size=0.2, random_state=0).split(X))
new_films = np.unique(X.item.iloc[held_out])
rng = np.random.default_rng(0)
held_out = rng.permutation(held_out)
test = X.iloc[held_out[: len(held_out) // 2]]
relevant = test.groupby("user")["item"].agg(list)
arrivals = held_out[len(held_out) // 2 :]
print(f"{len(new_films)} new films; {len(test)} interactions to score, {len(arrivals)} to reveal")


def most_interactions_first(train):
    """The new films with the most known interactions first (ties at random)."""
    counts = train["item"].value_counts().reindex(new_films, fill_value=0).to_numpy()
    order = new_films[np.lexsort((rng.random(len(new_films)), -counts))]
    seen = train.groupby("user")["item"].agg(set)
    return [
        [film for film in order if film not in seen.get(user, ())][:10] for user in relevant.index
    ]


params = {"loss": "bpr", "max_epochs": 10, "random_state": 0}
models = {
    "tags and genres (item_encoder)": MatrixFactorization(
        item_features=text, item_encoder=encoder, **params
    ),
    "ids only": MatrixFactorization(item_ids=movies.index, **params),
}
known_counts = [0, 1, 4]
assert max(known_counts) * len(new_films) <= len(arrivals)
curves = {name: [] for name in [*models, "most interactions"]}
for k in known_counts:
    train = X.iloc[np.concatenate([train_index, arrivals[: k * len(new_films)]])]
    for name, model in models.items():
        lists, _ = model.fit(train).recommend(relevant.index, n=10, items=new_films)
        curves[name].append(ndcg_at_k(list(relevant), list(lists)))
    curves["most interactions"].append(ndcg_at_k(list(relevant), most_interactions_first(train)))
    print(f"k={k}: " + ", ".join(f"{name} {curve[-1]:.3f}" for name, curve in curves.items()))

# %%
# Text first, ids as interactions arrive
# --------------------------------------
# With no interaction at all, the tags rank the new films many times better
# than the other two, which can only guess. Once the films have a first
# interaction or so, the ids-only model does better: it was given every film
# up front (``item_ids``), so it samples the films nobody has interacted with
# yet as negatives, and having no interaction yet says a film is less popular.
# The text model knows the new films from their features alone, which are
# never negatives. A few interactions later each film's own embedding has
# taken over and the text model is ahead again: tags matter most in a film's
# first days, and cost nothing after.
fig, ax = plt.subplots(figsize=(5.5, 3.5))
for (name, curve), marker in zip(curves.items(), "osd", strict=True):
    ax.plot(known_counts, curve, marker=marker, label=name)
ax.set(
    xscale="symlog",
    xticks=known_counts,
    xticklabels=known_counts,
    xlabel="known interactions per new film (mean)",
    ylabel="NDCG@10 among the new films",
)
ax.legend()
fig.tight_layout()
plt.show()

# %%
# The same model tunes like any estimator: ``item_encoder__tags__max_features``
# or ``item_encoder__tags__min_df`` are parameters of ``GridSearchCV``.
