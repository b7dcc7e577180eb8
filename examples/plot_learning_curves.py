"""
Learning curves and early stopping
==================================

skorch records the mean training loss of every epoch in ``history_``. A
small callback adds a score on held-out interactions to the same history, so
that the two can be plotted side by side, and skorch's
:class:`~skorch.callbacks.EarlyStopping` can stop on it.

The model is :class:`~sklearn_rec.MatrixFactorization` on the ratings of
MovieLens 100K (``loss="mse"``) with three values of ``weight_decay``; the
validation score is the RMSE on a per-user holdout of 20% of the ratings.

The data is read from the folder named by the environment variable
``SKLEARN_REC_DATA`` when it holds ``ml-100k/``; otherwise
:func:`~sklearn_rec.datasets.fetch_movielens` downloads it once into the data
folder (see :func:`~sklearn_rec.datasets.get_data_home`).
"""

# %%
# A callback that scores a holdout after every epoch
# --------------------------------------------------
# The estimators train on all the rows they are given (``train_split`` is
# ``None``), so skorch records no ``valid_loss``. The callback below records
# ``scoring(net, X, y)`` under ``name`` at the end of every epoch instead;
# any scikit-learn scorer, or a ranking scorer from
# :func:`~sklearn_rec.metrics.make_ranking_scorer`, fits that signature.
import matplotlib.pyplot as plt
from sklearn.metrics import root_mean_squared_error
from skorch.callbacks import Callback, EarlyStopping

from sklearn_rec import MatrixFactorization
from sklearn_rec.datasets import fetch_movielens
from sklearn_rec.model_selection import UserHoldoutSplit


class HoldoutScoring(Callback):
    """Record ``scoring(net, X, y)`` in the history after every epoch."""

    def __init__(self, scoring, X, y=None, name="valid_score"):
        self.scoring = scoring
        self.X = X
        self.y = y
        self.name = name

    def on_epoch_end(self, net, **kwargs):
        net.history.record(self.name, self.scoring(net, self.X, self.y))


def rmse(net, X, y):
    return root_mean_squared_error(y, net.predict(X))


# %%
# Training and validation curves
# ------------------------------
X, y = fetch_movielens("100k", return_X_y=True)
X = X[["user", "item"]]
train, valid = next(UserHoldoutSplit(test_size=0.2, random_state=0).split(X))
X_train, y_train = X.iloc[train], y.iloc[train]
X_valid, y_valid = X.iloc[valid], y.iloc[valid]

fig, (ax_train, ax_valid) = plt.subplots(1, 2, figsize=(10, 3.8), layout="constrained")
for weight_decay in [0.01, 0.05, 0.2]:
    mf = MatrixFactorization(
        n_factors=32,
        weight_decay=weight_decay,
        max_epochs=20,
        random_state=0,
        callbacks=[HoldoutScoring(rmse, X_valid, y_valid, name="valid_rmse")],
    ).fit(X_train, y_train)
    epochs = mf.history_[:, "epoch"]
    label = f"weight_decay={weight_decay}"
    ax_train.plot(epochs, mf.history_[:, "train_loss"], marker=".", label=label)
    ax_valid.plot(epochs, mf.history_[:, "valid_rmse"], marker=".", label=label)
    best = min(mf.history_[:, "valid_rmse"])
    print(f"{label}: final train loss {mf.history_[-1, 'train_loss']:.3f}, best RMSE {best:.3f}")

ax_valid.legend()
ax_train.set(title="Training loss (MSE + penalty)", xlabel="epoch")
ax_valid.set(title="Validation RMSE", xlabel="epoch")
for ax in (ax_train, ax_valid):
    ax.set_xticks([1, 5, 10, 15, 20])
    ax.grid(alpha=0.3)

# %%
# The smallest penalty fits the training ratings best and the held-out ones
# worst: its validation RMSE turns up after two epochs. With the middle one,
# the validation RMSE is lowest after a few epochs and then creeps up.
#
# Early stopping
# --------------
# :class:`~skorch.callbacks.EarlyStopping` monitors any key of the history.
# It must come after the callback that records the key; ``load_best=True``
# restores the weights of the best epoch at the end of training.
mf = MatrixFactorization(
    n_factors=32,
    weight_decay=0.05,
    max_epochs=50,
    random_state=0,
    callbacks=[
        HoldoutScoring(rmse, X_valid, y_valid, name="valid_rmse"),
        EarlyStopping(monitor="valid_rmse", patience=3, load_best=True),
    ],
).fit(X_train, y_train)
print(
    f"stopped after {len(mf.history_)} epochs; "
    f"restored RMSE {rmse(mf, X_valid, y_valid):.3f} "
    f"(best epoch {min(mf.history_[:, 'valid_rmse']):.3f})"
)
plt.show()
