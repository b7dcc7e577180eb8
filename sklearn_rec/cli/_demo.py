"""The pieces of ``sklearn-rec demo``: MovieLens-100K, the tuned models, the baseline and plots.

matplotlib is an optional dependency (``pip install "sklearn-rec[plot]"``):
it is imported when the demo starts, never by ``import sklearn_rec.cli``.
"""

import logging
import sys
from contextlib import contextmanager

import numpy as np
import pooch
from sklearn.metrics import root_mean_squared_error
from sklearn.model_selection import GridSearchCV

from .. import MatrixFactorization, NeuralRecommender, PopularityRecommender
from .._files import replace_atomically
from ..datasets import fetch_movielens, get_data_home
from ..metrics import hit_rate_at_k, ndcg_at_k, recall_at_k
from ..metrics._scorer import relevant_items_by_user
from ..model_selection import UserHoldoutSplit
from ._io import CommandError

PLOT_EXTRA = 'pip install "sklearn-rec[plot]"'


def figure_class():
    """matplotlib's ``Figure``, or a ``CommandError`` that says how to install it."""
    try:
        # The object-oriented API renders through Agg without selecting a global
        # backend, so a notebook or application that calls main keeps its own.
        import matplotlib.figure
    except ImportError as exc:
        raise CommandError(
            f"the demo's plots need matplotlib, which is not installed: {PLOT_EXTRA}"
        ) from exc
    return matplotlib.figure.Figure


def searches():
    """(label, estimator, parameter grid, trains on ratings) of each tuned model.

    Few epochs and two candidates each keep the demo to about a minute on two
    CPU cores.
    """
    return [
        (
            "MatrixFactorization(loss='mse')",
            MatrixFactorization(max_epochs=10, random_state=0),
            {"weight_decay": [0.03, 0.1]},
            True,
        ),
        (
            "MatrixFactorization(loss='bpr')",
            MatrixFactorization(loss="bpr", max_epochs=10, random_state=0),
            {"n_factors": [32, 64]},
            False,
        ),
        (
            "NeuralRecommender(neumf)",
            NeuralRecommender(
                architecture="neumf", lr=0.005, batch_size=1024, max_epochs=10, random_state=0
            ),
            {"embedding_dim": [16, 32]},
            False,
        ),
    ]


@contextmanager
def _download_log_on_success():
    """Hold the download's log lines and print them only if it succeeds.

    pooch logs each attempt and the loader each retry: worth seeing while a
    download works, noise above a failure, which is reported in one line.
    """
    records = []

    class Holder(logging.Handler):
        def emit(self, record):
            records.append(record)

    # pooch's logger is its own Logger object, outside logging's registry.
    loggers = [pooch.get_logger(), logging.getLogger("sklearn_rec.datasets")]
    saved = [(logger.handlers, logger.propagate) for logger in loggers]
    for logger in loggers:
        logger.handlers, logger.propagate = [Holder()], False
    try:
        yield
    finally:
        for logger, (handlers, propagate) in zip(loggers, saved, strict=True):
            logger.handlers, logger.propagate = handlers, propagate
    for record in records:
        print(record.getMessage(), file=sys.stderr)


def load_movielens(data_home):
    """MovieLens-100K from ``data_home``, downloaded once when it is not there."""
    try:
        with _download_log_on_success():
            return fetch_movielens("100k", data_home=data_home, n_retries=1)
    except FileNotFoundError:
        raise  # its message names the folder and the missing files
    except OSError as exc:
        raise CommandError(
            f"MovieLens-100K is not in {get_data_home(data_home)} and could not be downloaded; "
            "set SKLEARN_REC_DATA (or pass --data-home) to the folder that holds the extracted "
            "ml-100k/, or run once with network access (--verbose shows the cause)."
        ) from exc


def demo_user(X_test):
    """The user with the most held-out ratings (the smallest id of a tie)."""
    return int(X_test["user"].value_counts().sort_index().idxmax())


def baseline_row(X_train, y_train, X_test, y_test):
    """The baseline's row of the results: popularity lists, the global mean rating."""
    users, truth = relevant_items_by_user(X_test)
    ranked = PopularityRecommender().fit(X_train).recommend(users, n=10)[0]
    return {
        "model": "Baseline (popularity / global mean)",
        "RMSE": float(root_mean_squared_error(y_test, np.full(len(y_test), y_train.mean()))),
        "NDCG@10": ndcg_at_k(truth, ranked, k=10),
        "Recall@10": recall_at_k(truth, ranked, k=10),
        "HR@10": hit_rate_at_k(truth, ranked, k=10),
        "fit s": None,
    }


def tune(estimator, grid, uses_ratings, X_train, y_train):
    """Grid search on a per-user holdout of the training part, refit on all of it."""
    search = GridSearchCV(
        estimator,
        grid,
        cv=UserHoldoutSplit(test_size=0.2, random_state=1),
        # Rating models are tuned on what they are for; ranking ones on NDCG@10.
        scoring="neg_root_mean_squared_error" if uses_ratings else None,
        error_score="raise",
    )
    return search.fit(X_train, y_train if uses_ratings else None)


def print_user_films(model, label, user, movielens, train_rows, test_rows):
    """Side by side: films the user rated 4+ in training, and the model's top 10."""
    frame, titles = movielens.frame, movielens.movies["title"]
    train, test = frame.iloc[train_rows], frame.iloc[test_rows]
    mine = train[(train["user"] == user) & (train["rating"] >= 4)]
    liked = mine.sort_values(["rating", "item"], ascending=[False, True])
    held_out = set(test.loc[test["user"] == user, "item"])
    items, _ = model.recommend([user], n=10)
    left = [f"{titles[row.item][:38]} ({row.rating:.0f})" for row in liked.head(10).itertuples()]
    right = [f"{titles[i][:38]}{' *' if i in held_out else ''}" for i in items[0]]
    print(
        f"\nUser {user}: films rated 4 or 5 in training | top 10 of {label} "
        "(* = a held-out film the user rated)"
    )
    for rank in range(max(len(left), len(right))):
        a = f"{rank + 1:2d}. {left[rank]}" if rank < len(left) else ""
        b = f"{rank + 1:2d}. {right[rank]}" if rank < len(right) else ""
        print(f"  {a:<48} {b}".rstrip())


def write_plots(Figure, folder, searches, rows):
    """Learning curves and the metric comparison, as PNG files in ``folder``.

    ``Figure`` is matplotlib's, from :func:`figure_class`.
    """
    curves = Figure(figsize=(4 * len(searches), 3.5), layout="constrained")
    for ax, (label, search) in zip(
        curves.subplots(1, len(searches)), searches.items(), strict=True
    ):
        model = search.best_estimator_
        losses = model.history_[:, "train_loss"]
        ax.plot(range(1, len(losses) + 1), losses, marker="o")
        ax.set(title=label, xlabel="epoch", ylabel=f"train loss ({model.loss})")
        ax.title.set_fontsize("medium")

    comparison = Figure(figsize=(12, 4.5), layout="constrained")
    ranking_ax, rating_ax = comparison.subplots(1, 2, width_ratios=[3, 1])
    metrics = ["NDCG@10", "Recall@10", "HR@10"]
    width = 0.8 / len(rows)
    for i, row in enumerate(rows):
        positions = np.arange(len(metrics)) + (i - (len(rows) - 1) / 2) * width
        ranking_ax.bar(positions, [row[m] for m in metrics], width, label=row["model"])
    ranking_ax.set(
        xticks=range(len(metrics)), xticklabels=metrics, title="Ranking (higher is better)"
    )
    ranking_ax.legend(fontsize="small")
    rated = [row for row in rows if row.get("RMSE") is not None]
    rating_ax.bar(range(len(rated)), [row["RMSE"] for row in rated], color="gray")
    rating_ax.set_xticks(range(len(rated)), [row["model"].split("(")[0] for row in rated])
    rating_ax.set(title="RMSE (lower is better)")

    paths = [folder / "learning_curves.png", folder / "comparison.png"]
    for figure, path in zip((curves, comparison), paths, strict=True):
        try:
            with replace_atomically(path) as temporary:
                figure.savefig(temporary, dpi=100, format="png")
        except OSError as exc:
            raise CommandError(f"{path}: cannot write the plot: {exc.strerror or exc}.") from exc
    return paths
