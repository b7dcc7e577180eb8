"""
Why this film? Explaining a recommendation
==========================================

:meth:`~sklearn_rec.EASE.explain` splits a score into the contributions of
the films the user watched. :class:`~sklearn_rec.EASE` scores film ``j`` for
user ``u`` as ``sum_h B[h, j]`` over the films ``h`` of ``u``'s history, so
the contribution of each film is exact and they add up to the score.

The data is read from the folder named by the environment variable
``SKLEARN_REC_DATA`` when it holds ``ml-100k/``; otherwise
:func:`~sklearn_rec.datasets.fetch_movielens` downloads it once into the data
folder (see :func:`~sklearn_rec.datasets.get_data_home`).
"""

# %%
# Fit EASE and recommend
# ----------------------
# Every rating counts as an interaction. EASE fits in well under a second on
# MovieLens 100K.
import matplotlib.pyplot as plt

from sklearn_rec import EASE
from sklearn_rec.datasets import fetch_movielens

movielens = fetch_movielens("100k")
X = movielens.data[["user", "item"]]
titles = movielens.movies["title"]
ease = EASE(l2=500.0).fit(X)

user = 1
items, scores = ease.recommend(user, n=3)
for item, score in zip(items[0], scores[0], strict=True):
    print(f"{score:.3f}  {titles[item]}")

# %%
# Why the first film?
# -------------------
# The five films of the user's history that raise its score the most (or
# lower it: a contribution may be negative). ``attrs`` holds the score
# explained, which the contributions add up to.
top = items[0, 0]
why = ease.explain(user, top, n=5)
why["title"] = titles[why.id_or_feature].to_numpy()
print(f"Why {titles[top]}?")
print(why[["title", "contribution"]].to_string(index=False))
everything = ease.explain(user, top, n=int((X.user == user).sum()))
print(
    f"score {why.attrs['score']:.4f} = sum of {len(everything)} contributions "
    f"{everything.contribution.sum():.4f} ({why.attrs['method']})"
)

# %%
# A picture of it
# ---------------
# The largest contributions of the history to each of the three recommended
# films: a few films of the user's history carry most of each score.
explained = ease.explain([user] * 3, items[0], n=5)
fig, axes = plt.subplots(1, 3, figsize=(12, 3.5), layout="constrained", sharex=True)
for ax, (pair, rows) in zip(axes, explained.groupby("pair"), strict=True):
    ax.barh(titles[rows.id_or_feature].str.slice(0, 28)[::-1], rows.contribution[::-1])
    ax.set_title(titles[items[0, pair]][:32], fontsize="medium")
    ax.set_xlabel("contribution to the score")
fig.suptitle(f"Why EASE recommends these films to user {user}")
plt.show()
