"""Command line of sklearn-rec: ``sklearn-rec`` or ``python -m sklearn_rec``.

Commands:

- ``demo``: tune ``MatrixFactorization`` and ``NeuralRecommender`` on
  MovieLens-100K, compare them with a baseline, show one user's films and
  write plots;
- ``fit``: train a model on a CSV or Parquet file of interactions and save it;
- ``recommend``: top-n lists of a saved model for given users, as CSV or JSON;
- ``evaluate``: ranking (and rating) metrics of a saved model on test
  interactions.

A user error (a missing file or column, an unknown user, a bad parameter) is
reported as one line on stderr with exit code 2; ``--verbose`` adds the
traceback.
"""

import argparse
import ast
import json
import sys
import time
import traceback
import warnings
from itertools import islice
from pathlib import Path

import joblib
import numpy as np
import pandas as pd
import torch
from sklearn.model_selection import GridSearchCV
from sklearn.utils.validation import check_is_fitted
from skorch.callbacks import ProgressBar
from skorch.exceptions import DeviceWarning
from tqdm import tqdm

from . import MatrixFactorization, NeuralRecommender, __version__
from ._base import RecommenderMixin
from .datasets import fetch_movielens, get_data_home
from .metrics import hit_rate_at_k, make_ranking_scorer, ndcg_at_k, recall_at_k
from .metrics._scorer import relevant_items_by_user
from .model_selection import UserHoldoutSplit

EXIT_ERROR = 2
EXIT_INTERRUPTED = 130

MODELS = {"mf": MatrixFactorization, "neural": NeuralRecommender}
# Without ratings mse cannot train: each model's usual implicit-feedback loss.
RANKING_LOSS = {"mf": "bpr", "neural": "bce"}
# Column label and metric name of the ranking metrics every command reports.
RANKING_METRICS = {"NDCG": "ndcg", "Recall": "recall", "HR": "hit_rate"}
TABLE_SUFFIXES = {".csv": ",", ".tsv": "\t", ".parquet": None, ".pq": None}


class CommandError(Exception):
    """A problem with what the user asked for: one line on stderr, exit code 2."""


def _one_line(exc):
    """The message of ``exc`` on one line (its type when it has none)."""
    return " ".join(str(exc).split()) or type(exc).__name__


# -- files ---------------------------------------------------------------------------


def _read_table(path, text_columns=()):
    """Read a CSV (``.csv``), TSV (``.tsv``) or Parquet (``.parquet``, ``.pq``) file.

    CSV and TSV files need a header row. ``text_columns`` are read as strings,
    so that ids such as ``007`` keep their leading zeros until they are cast
    to the type of a model's ids.
    """
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in TABLE_SUFFIXES:
        raise CommandError(
            f"{path}: unsupported file type {suffix or '(no extension)'!r}; expected one of "
            f"{', '.join(TABLE_SUFFIXES)}."
        )
    if not path.is_file():
        raise CommandError(f"{path}: no such file.")
    try:
        if TABLE_SUFFIXES[suffix] is None:
            frame = pd.read_parquet(path)
        else:
            dtype = dict.fromkeys(text_columns, str)
            frame = pd.read_csv(path, sep=TABLE_SUFFIXES[suffix], dtype=dtype)
    except ImportError as exc:
        raise CommandError(
            f"{path}: reading Parquet needs pyarrow or fastparquet (pip install pyarrow)."
        ) from exc
    except (ValueError, OSError) as exc:  # pandas' parser errors are ValueErrors
        raise CommandError(f"{path}: cannot read the file: {_one_line(exc)}") from exc
    if frame.empty:
        raise CommandError(f"{path}: the file has no rows.")
    return frame


def _check_columns(frame, path, columns):
    """Raise unless ``frame`` has every column of ``columns`` (``{option: column}``)."""
    for option, column in columns.items():
        if column not in frame.columns:
            present = ", ".join(map(repr, frame.columns[:20]))
            raise CommandError(
                f"{path}: no column {column!r} ({option}); the columns are {present}."
            )


def _write_text(text, output):
    """Write ``text`` to the file ``output``, or to stdout when it is None."""
    if output is None:
        sys.stdout.write(text)
        return
    try:
        Path(output).write_text(text, encoding="utf-8")
    except OSError as exc:
        raise CommandError(f"{output}: cannot write the file: {exc.strerror or exc}.") from exc


def _save_model(model, path):
    try:
        # zlib level 3: about 2.5 times smaller for MovieLens-100K, quick to load.
        joblib.dump(model, path, compress=3)
    except OSError as exc:
        raise CommandError(f"{path}: cannot write the model: {exc.strerror or exc}.") from exc


def _load_model(path):
    """Load a fitted recommender saved by ``fit`` (or by ``joblib.dump``/``pickle``)."""
    path = Path(path)
    if not path.is_file():
        raise CommandError(f"{path}: no such model file.")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            model = joblib.load(path)
        except Exception as exc:  # whatever unpickling raises, the file is no model
            raise CommandError(f"{path}: not a model file: {_one_line(exc)}") from exc
    moved_to_cpu = False
    for warning in caught:
        if issubclass(warning.category, DeviceWarning):
            moved_to_cpu = True  # skorch warns twice, at length; one line says it
        else:
            warnings.warn_explicit(
                warning.message, warning.category, warning.filename, warning.lineno
            )
    if moved_to_cpu:
        print(
            f"note: {path} was trained on a GPU; without CUDA here it runs on the CPU.",
            file=sys.stderr,
        )
    if not isinstance(model, RecommenderMixin):
        raise CommandError(f"{path}: holds a {type(model).__name__}, not an sklearn-rec model.")
    check_is_fitted(model)
    return model


# -- ids -----------------------------------------------------------------------------


def _cast_ids(values, known, name, source):
    """Give ids (read as text, say) the type of the model's ids ``known``.

    ``source`` is the file the ids come from, or None for the command line.
    """
    series = pd.Series(np.asarray(values, dtype=object))
    kind = np.asarray(known).dtype.kind
    if kind in "iuf":
        numbers = pd.to_numeric(series, errors="coerce")
        bad = numbers.isna()
        if kind in "iu":
            bad |= numbers % 1 != 0
        if bad.any():
            expected = "integers" if kind in "iu" else "numbers"
            where = "" if source is None else f"{source}: "
            raise CommandError(
                f"{where}{name} id {series[bad].iloc[0]!r} is not valid: the model's "
                f"{name} ids are {expected}."
            )
        return numbers.to_numpy(dtype=np.int64 if kind in "iu" else np.float64)
    if len(known) and isinstance(known[0], str):
        return series.astype(str).to_numpy(dtype=object)
    return series.to_numpy()


def _check_known(ids, known, name, source, hint):
    """Raise naming the ids of ``ids`` that are not in ``known``.

    ``source`` is the file the ids come from, or None for the command line.
    """
    unknown = pd.unique(ids[pd.Index(known).get_indexer(ids) < 0])
    if len(unknown):
        shown = ", ".join(map(str, unknown[:5])) + (
            f" and {len(unknown) - 5} more" if len(unknown) > 5 else ""
        )
        where = "" if source is None else f"{source}: "
        raise CommandError(
            f"{where}{len(unknown)} {name} id(s) unknown to the model: {shown}. {hint}"
        )


def _model_columns(model):
    """The user and item column names of the model's training data."""
    names = getattr(model, "feature_names_in_", None)
    return ("user", "item") if names is None else (str(names[0]), str(names[1]))


# -- fit -----------------------------------------------------------------------------


def _parse_param(text):
    """``"key=value"`` -> ``(key, value)``; the value as a Python literal where it is one."""
    key, sep, value = text.partition("=")
    key = key.strip()
    if not sep or not key.isidentifier():
        raise CommandError(f"--param expects key=value, got {text!r}.")
    try:
        return key, ast.literal_eval(value.strip())
    except (ValueError, SyntaxError):
        return key, value.strip()  # a plain word, such as a loss name


def _build_model(args):
    """The estimator that ``fit`` trains, from the options and ``--param`` pairs."""
    estimator = MODELS[args.model]
    params = {}
    for text in args.param:
        key, value = _parse_param(text)
        if "__" not in key and key not in estimator().get_params():
            raise CommandError(
                f"--param {key}: {estimator.__name__} has no parameter {key!r}; see "
                f"help({estimator.__name__}) for its parameters."
            )
        params[key] = value
    options = {
        "loss": args.loss,
        "max_epochs": args.epochs,
        "lr": args.lr,
        "batch_size": args.batch_size,
        "random_state": args.random_state,
        "device": args.device,
    }
    for key, value in options.items():
        if value is None:
            continue
        if key in params:
            raise CommandError(f"{key} is given twice: by its own option and by --param.")
        params[key] = value
    params.setdefault("loss", "mse" if args.rating_col else RANKING_LOSS[args.model])
    if args.verbose:
        params.setdefault("verbose", 1)
    if not args.quiet:
        params.setdefault("callbacks", [ProgressBar()])
    return estimator(**params)


def _fit(args):
    """Train on an interactions file and save the model; see ``sklearn-rec fit --help``."""
    folder = Path(args.output).parent
    if not folder.is_dir():  # before training, not after
        raise CommandError(f"{args.output}: the folder {folder} does not exist.")
    columns = {"--user-col": args.user_col, "--item-col": args.item_col}
    if args.rating_col:
        columns["--rating-col"] = args.rating_col
    model = _build_model(args)
    frame = _read_table(args.data)
    _check_columns(frame, args.data, columns)
    X = frame[[args.user_col, args.item_col]]
    y = frame[args.rating_col].to_numpy() if args.rating_col else None
    start = time.perf_counter()
    model.fit(X, y)
    seconds = time.perf_counter() - start
    # The progress bar and the epoch table were for this run, not part of the model.
    model.set_params(callbacks=None, verbose=0)
    if not args.keep_training_state:
        model.trim_for_prediction()
    _save_model(model, args.output)
    size = Path(args.output).stat().st_size
    print(
        f"Trained {type(model).__name__}(loss={model.loss!r}) on {len(X):,} interactions "
        f"({model.n_users_:,} users, {model.n_items_:,} items) in {seconds:.1f} s; "
        f"saved to {args.output} ({size / 1e6:.2f} MB)."
    )
    return 0


# -- recommend -----------------------------------------------------------------------


def _read_user_file(path, column):
    """User ids from a text file (one per line) or a CSV/TSV/Parquet file's ``column``."""
    path = Path(path)
    if path.suffix.lower() == ".txt":
        try:
            lines = path.read_text(encoding="utf-8").splitlines()
        except (OSError, UnicodeDecodeError) as exc:
            raise CommandError(f"{path}: cannot read the file: {_one_line(exc)}") from exc
        return [line.strip() for line in lines if line.strip()]
    frame = _read_table(path, text_columns=[column])
    if column not in frame.columns and frame.shape[1] == 1:
        column = frame.columns[0]
    _check_columns(frame, path, {"--user-col": column})
    return frame[column].tolist()


def _recommend(args):
    """Write top-n lists of a saved model; see ``sklearn-rec recommend --help``."""
    model = _load_model(args.model)
    user_col = args.user_col or _model_columns(model)[0]
    ids = list(args.users)
    if args.users_file:
        ids += _read_user_file(args.users_file, user_col)
    if not ids:
        raise CommandError("no users given: list user ids after the model, or pass --users-file.")
    users = pd.unique(_cast_ids(ids, model.users_, "user", None))
    if args.fallback:
        model.set_params(handle_unknown="fallback")
    else:
        hint = "Pass --fallback to recommend the most popular items to them."
        _check_known(users, model.users_, "user", None, hint)
    items, scores = model.recommend(users, n=args.n, exclude_seen=not args.include_seen)
    output_format = args.format or ("json" if str(args.output).endswith(".json") else "csv")
    _write_text(_format_lists(users, items, scores, output_format), args.output)
    return 0


def _format_lists(users, items, scores, output_format):
    """Recommendation lists as CSV (``user,rank,item,score`` rows) or as JSON."""
    # -inf pads the rows of users with fewer eligible items than n: no items.
    keep = np.isfinite(scores)
    if output_format == "json":
        lists = [
            {"user": user, "items": row[ok].tolist(), "scores": row_scores[ok].tolist()}
            for user, row, row_scores, ok in zip(users.tolist(), items, scores, keep, strict=True)
        ]
        # One user per line: readable, and still one JSON document.
        return "[\n" + ",\n".join(json.dumps(entry) for entry in lists) + "\n]\n"
    rows, ranks = np.nonzero(keep)
    frame = pd.DataFrame(
        {"user": users[rows], "rank": ranks + 1, "item": items[keep], "score": scores[keep]}
    )
    return frame.to_csv(index=False)


# -- evaluate ------------------------------------------------------------------------


def _evaluate(args):
    """Print test metrics of a saved model; see ``sklearn-rec evaluate --help``."""
    model = _load_model(args.model)
    fit_user_col, fit_item_col = _model_columns(model)
    user_col, item_col = args.user_col or fit_user_col, args.item_col or fit_item_col
    columns = {"--user-col": user_col, "--item-col": item_col}
    if args.rating_col:
        columns["--rating-col"] = args.rating_col
    frame = _read_table(args.data, text_columns=[user_col, item_col])
    _check_columns(frame, args.data, columns)
    users = _cast_ids(frame[user_col], model.users_, "user", args.data)
    items = _cast_ids(frame[item_col], model.items_, "item", args.data)
    if args.fallback:
        model.set_params(handle_unknown="fallback")
    else:
        hint = "Pass --fallback to score them with the model's fallback."
        _check_known(users, model.users_, "user", args.data, hint)
        _check_known(items, model.items_, "item", args.data, hint)
    # The column names of fit, so that scikit-learn's feature-name check passes.
    X = pd.DataFrame({fit_user_col: users, fit_item_col: items})
    y = frame[args.rating_col].to_numpy() if args.rating_col else None
    metrics = _test_metrics(model, X, y, args.k)
    n_users = int(pd.Series(users).nunique())
    if args.format == "json":
        print(json.dumps({**metrics, "users": n_users, "interactions": len(X)}, indent=2))
    else:
        print(f"{len(X):,} test interactions of {n_users:,} users")
        _print_table(["metric", "value"], list(metrics.items()))
    return 0


def _test_metrics(model, X, y, k):
    """Ranking metrics at ``k``, plus RMSE and MAE for a rating model given ratings."""
    results = {
        f"{label}@{k}": make_ranking_scorer(metric, k=k)(model, X, y)
        for label, metric in RANKING_METRICS.items()
    }
    if model.loss == "mse" and y is not None:
        errors = model.predict(X) - np.asarray(y, dtype=np.float64)
        results["RMSE"] = float(np.sqrt(np.mean(errors**2)))
        results["MAE"] = float(np.mean(np.abs(errors)))
    return results


def _print_table(header, rows):
    """Print ``rows`` under ``header`` in aligned columns; floats get 3 decimals."""
    cells = [
        [
            "-" if value is None else f"{value:.3f}" if isinstance(value, float) else str(value)
            for value in row
        ]
        for row in rows
    ]
    widths = [max(len(str(h)), *(len(row[i]) for row in cells)) for i, h in enumerate(header)]

    def line(values):
        first = f"{values[0]:<{widths[0]}}"
        rest = (f"{value:>{width}}" for value, width in zip(values[1:], widths[1:], strict=True))
        return "  ".join([first, *rest]).rstrip()

    print(line(header))
    print("  ".join("-" * width for width in widths))
    for row in cells:
        print(line(row))


# -- demo ----------------------------------------------------------------------------


def _demo_searches():
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


def _load_movielens(data_home):
    try:
        return fetch_movielens("100k", data_home=data_home, n_retries=1)
    except FileNotFoundError:
        raise  # its message names the folder and the missing files
    except OSError as exc:
        raise CommandError(
            f"MovieLens-100K is not in {get_data_home(data_home)} and could not be downloaded; "
            "set SKLEARN_REC_DATA (or pass --data-home) to the folder that holds the extracted "
            "ml-100k/, or run once with network access (--verbose shows the cause)."
        ) from exc


def _popularity_lists(X_train, users, k):
    """The ``k`` most popular training items of each user's unseen items."""
    popular = X_train.iloc[:, 1].value_counts().index.to_numpy()
    seen = X_train.groupby(X_train.columns[0])[X_train.columns[1]].agg(set)
    return [list(islice((i for i in popular if i not in seen[u]), k)) for u in users]


def _baseline_row(X_train, y_train, X_test, y_test):
    users, truth = relevant_items_by_user(X_test)
    ranked = _popularity_lists(X_train, users, 10)
    return {
        "model": "Baseline (popularity / global mean)",
        "RMSE": float(np.sqrt(np.mean((y_test - y_train.mean()) ** 2))),
        "NDCG@10": ndcg_at_k(truth, ranked, k=10),
        "Recall@10": recall_at_k(truth, ranked, k=10),
        "HR@10": hit_rate_at_k(truth, ranked, k=10),
        "fit s": None,
    }


def _tune(estimator, grid, uses_ratings, X_train, y_train):
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


def _demo(args):
    """Tune, compare, show a user's films and plot; see ``sklearn-rec demo --help``."""
    start = time.perf_counter()
    movielens = _load_movielens(args.data_home)
    folder = Path(args.output)
    try:  # before the long steps, not after them
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise CommandError(f"{folder}: cannot create the folder: {exc.strerror or exc}.") from exc
    frame = movielens.frame
    X, y = frame[["user", "item"]], frame["rating"].to_numpy()
    train, test = next(UserHoldoutSplit(test_size=0.2, random_state=0).split(X))
    X_train, y_train, X_test, y_test = X.iloc[train], y[train], X.iloc[test], y[test]
    user = _demo_user(X_test) if args.user is None else args.user
    if user not in set(X_train["user"]):
        raise CommandError(f"--user {user}: no such user in MovieLens-100K.")
    print(
        f"MovieLens-100K: {len(X):,} ratings of {X.user.nunique()} users on "
        f"{X.item.nunique():,} films; 20% of each user's ratings held out for testing "
        f"({len(test):,}).\n"
    )
    rows = [_baseline_row(X_train, y_train, X_test, y_test)]
    searches = {}
    specs = _demo_searches()
    with _progress(len(specs), args.quiet) as progress:
        for label, estimator, grid, uses_ratings in specs:
            progress.set_description(f"Tuning {label}")
            search = _tune(estimator, grid, uses_ratings, X_train, y_train)
            scores = _test_metrics(
                search.best_estimator_, X_test, y_test if uses_ratings else None, 10
            )
            rows.append({"model": label, **scores, "fit s": search.refit_time_})
            searches[label] = search
            progress.update()

    columns = ["model", "RMSE", "NDCG@10", "Recall@10", "HR@10", "fit s"]
    _print_table(columns, [[row.get(column) for column in columns] for row in rows])
    print("\nTuned by GridSearchCV on a per-user holdout of the training part (best of 2):")
    for label, search in searches.items():
        best = ", ".join(f"{key}={value!r}" for key, value in search.best_params_.items())
        print(f"  {label}: {best}")

    best_label = max(rows[1:], key=lambda row: row["NDCG@10"])["model"]
    _print_user_films(
        searches[best_label].best_estimator_, best_label, user, movielens, train, test
    )
    paths = _write_plots(folder, searches, rows)
    print(f"\nPlots: {', '.join(map(str, paths))}")
    print(f"Done in {time.perf_counter() - start:.0f} s.")
    return 0


def _progress(total, quiet):
    """A progress bar on stderr over the long steps; none with ``--quiet``."""
    return tqdm(total=total, disable=quiet, file=sys.stderr, leave=False, unit="model")


def _demo_user(X_test):
    """The user with the most held-out ratings (the smallest id of a tie)."""
    return int(X_test["user"].value_counts().sort_index().idxmax())


def _print_user_films(model, label, user, movielens, train_rows, test_rows):
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


def _write_plots(folder, searches, rows):
    """Learning curves and the metric comparison, as PNG files in ``folder``."""
    # The object-oriented API renders through Agg without selecting a global
    # backend, so a notebook or application that calls main keeps its own.
    from matplotlib.figure import Figure

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
            figure.savefig(path, dpi=100)
        except OSError as exc:
            raise CommandError(f"{path}: cannot write the plot: {exc.strerror or exc}.") from exc
    return paths


# -- command line --------------------------------------------------------------------


class _Parser(argparse.ArgumentParser):
    """An argument parser whose usage errors fit on one line."""

    def error(self, message):
        self.exit(EXIT_ERROR, f"{self.prog}: error: {message} (see {self.prog} --help)\n")


def _positive_int(text):
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {text!r}")
    return value


def _build_parser():
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument(
        "-v", "--verbose", action="store_true", help="show the traceback of an error"
    )
    training = argparse.ArgumentParser(add_help=False, parents=[common])
    training.add_argument("-q", "--quiet", action="store_true", help="no progress bars")
    training.add_argument(
        "--threads",
        type=_positive_int,
        metavar="N",
        help="CPU threads of PyTorch (default: 1 for demo, whose small models gain little "
        "from more and lose much when other work shares the cores; PyTorch's choice for fit)",
    )
    parser = _Parser(
        prog="sklearn-rec",
        description="Recommender estimators for scikit-learn: demo, fit, recommend, evaluate.",
        epilog="Model files are pickles: load only files you trust.",
    )
    parser.add_argument("--version", action="version", version=f"sklearn-rec {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    _add_demo(commands, training)
    _add_fit(commands, training)
    _add_recommend(commands, common)
    _add_evaluate(commands, common)
    return parser


def _add_demo(commands, training):
    demo = commands.add_parser(
        "demo",
        parents=[training],
        help="tune both estimators on MovieLens-100K and compare them",
        description="Tune MatrixFactorization (mse and bpr losses) and NeuralRecommender "
        "with GridSearchCV on MovieLens-100K, compare them with a popularity / global-mean "
        "baseline on a per-user holdout, show one user's films and write PNG plots. "
        "The data is read from --data-home (default: $SKLEARN_REC_DATA) or downloaded once.",
    )
    demo.add_argument(
        "-o",
        "--output",
        default="sklearn-rec-demo",
        metavar="DIR",
        help="folder for the plots (default: %(default)s)",
    )
    demo.add_argument(
        "--data-home", metavar="DIR", help="folder that holds ml-100k/ (default: SKLEARN_REC_DATA)"
    )
    demo.add_argument("--user", type=int, metavar="ID", help="the user whose films are shown")
    demo.set_defaults(handler=_demo, threads=1)


def _add_fit(commands, training):
    fit = commands.add_parser(
        "fit",
        parents=[training],
        help="train a model on an interactions file and save it",
        description="Train a model on a CSV, TSV or Parquet file of interactions (one per "
        "row, with a header) and save it with joblib. Without --rating-col every row is a "
        "positive (implicit feedback).",
        epilog="--verbose also prints skorch's table of losses per epoch.",
    )
    fit.add_argument("data", help="interactions file: .csv, .tsv, .parquet or .pq")
    fit.add_argument(
        "-o", "--output", required=True, metavar="FILE", help="model file to write (.joblib)"
    )
    fit.add_argument(
        "--user-col", default="user", metavar="COL", help="user id column (default: %(default)s)"
    )
    fit.add_argument(
        "--item-col", default="item", metavar="COL", help="item id column (default: %(default)s)"
    )
    fit.add_argument(
        "--rating-col", metavar="COL", help="rating (or 0/1 label) column; default: none"
    )
    fit.add_argument(
        "--model",
        choices=sorted(MODELS),
        default="mf",
        help="mf: MatrixFactorization, neural: NeuralRecommender (default: %(default)s)",
    )
    fit.add_argument(
        "--loss",
        help="training loss (default: mse with --rating-col, else bpr for mf and bce for neural)",
    )
    fit.add_argument("--epochs", type=_positive_int, metavar="N", help="max_epochs")
    fit.add_argument("--lr", type=float, help="learning rate")
    fit.add_argument("--batch-size", type=_positive_int, metavar="N", help="rows per batch")
    fit.add_argument(
        "--random-state", type=int, metavar="SEED", help="seed, for reproducible training"
    )
    fit.add_argument("--device", help="torch device, such as cpu or cuda (default: cpu)")
    fit.add_argument(
        "--param",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="any other parameter of the estimator, e.g. n_factors=64 or "
        "hidden_units=(64,32) or optimizer__weight_decay=1e-5; repeatable",
    )
    fit.add_argument(
        "--keep-training-state",
        action="store_true",
        help="also save the optimizer state and history, so that partial_fit can continue "
        "training (a larger file)",
    )
    fit.set_defaults(handler=_fit)


def _add_recommend(commands, common):
    recommend = commands.add_parser(
        "recommend",
        parents=[common],
        help="top-n lists of a saved model",
        description="Print or write the top-n items of a saved model for the given users, "
        "best first, the items each user interacted with in training left out.",
    )
    recommend.add_argument("model", help="model file written by fit")
    recommend.add_argument("users", nargs="*", help="user ids")
    recommend.add_argument(
        "--users-file",
        metavar="FILE",
        help="more user ids: a .txt file with one per line, or a .csv/.tsv/.parquet file "
        "with a user column",
    )
    recommend.add_argument(
        "--user-col", metavar="COL", help="user column of --users-file (default: the model's)"
    )
    recommend.add_argument(
        "-n", type=_positive_int, default=10, metavar="N", help="list length (default: 10)"
    )
    recommend.add_argument(
        "--format", choices=["csv", "json"], help="default: json for a .json --output, else csv"
    )
    recommend.add_argument("-o", "--output", metavar="FILE", help="file to write (default: stdout)")
    recommend.add_argument(
        "--include-seen", action="store_true", help="also recommend the items seen in training"
    )
    recommend.add_argument(
        "--fallback",
        action="store_true",
        help="recommend the most popular items to unknown users instead of failing",
    )
    recommend.set_defaults(handler=_recommend)


def _add_evaluate(commands, common):
    evaluate = commands.add_parser(
        "evaluate",
        parents=[common],
        help="metrics of a saved model on test interactions",
        description="NDCG, recall and hit rate at k of a saved model over the users of a "
        "test file (each row a relevant item; with --rating-col, rows rated 0 or less are "
        "not), the items seen in training left out; RMSE and MAE too for a model trained "
        "on ratings (loss mse) given --rating-col.",
    )
    evaluate.add_argument("model", help="model file written by fit")
    evaluate.add_argument("data", help="test interactions: .csv, .tsv, .parquet or .pq")
    evaluate.add_argument("--user-col", metavar="COL", help="user id column (default: the model's)")
    evaluate.add_argument("--item-col", metavar="COL", help="item id column (default: the model's)")
    evaluate.add_argument("--rating-col", metavar="COL", help="rating column (default: none)")
    evaluate.add_argument(
        "-k",
        type=_positive_int,
        default=10,
        metavar="K",
        help="cut-off of the ranking metrics (default: 10)",
    )
    evaluate.add_argument(
        "--format", choices=["table", "json"], default="table", help="default: %(default)s"
    )
    evaluate.add_argument(
        "--fallback",
        action="store_true",
        help="score unknown users and items with the model's fallback instead of failing",
    )
    evaluate.set_defaults(handler=_evaluate)


def main(argv=None):
    """Run the command line.

    Parameters
    ----------
    argv : list of str, default=None
        The arguments after the program name; ``None`` reads ``sys.argv``.

    Returns
    -------
    exit_code : int
        0 on success, 2 for a usage error or an error in the input.
    """
    parser = _build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # --help, --version and usage errors
        if exc.code is None or isinstance(exc.code, int):
            return exc.code or 0
        return EXIT_ERROR
    threads = torch.get_num_threads()
    try:
        if getattr(args, "threads", None):
            torch.set_num_threads(args.threads)
        return args.handler(args)
    except KeyboardInterrupt:
        print("sklearn-rec: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
    except (CommandError, OSError, ValueError, TypeError) as exc:
        if args.verbose:
            traceback.print_exc()
        print(f"sklearn-rec {args.command}: error: {_one_line(exc)}", file=sys.stderr)
        return EXIT_ERROR
    finally:
        # A caller in the same process (a notebook, a test) keeps its setting.
        torch.set_num_threads(threads)
