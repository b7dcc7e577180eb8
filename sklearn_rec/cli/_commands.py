"""The commands of the command line, one function each: ``demo``, ``fit``, ``recommend``,
``evaluate``, ``split``, ``explain``.

Each takes the parsed arguments and returns the exit code; a problem with
what the user asked for raises a :class:`~._io.CommandError` (or the
estimator's own ``ValueError``), which :func:`~sklearn_rec.cli.main` reports
in one line.
"""

import ast
import json
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import torch
from sklearn.metrics import mean_absolute_error, root_mean_squared_error

from .. import MatrixFactorization, NeuralRecommender
from ..metrics import make_ranking_scorer
from ..model_selection import LeaveLastOutSplit, UserHoldoutSplit
from ..models._progress import EpochProgressBar
from . import _demo
from ._io import (
    CommandError,
    check_columns,
    check_output_folder,
    check_output_is_not_an_input,
    given_table_options,
    integer_ids,
    list_format,
    load_model,
    one_line,
    output_table_format,
    print_table,
    read_table,
    read_user_file,
    same_file,
    save_model,
    table_format,
    write_lists,
    write_tables,
)

MODELS = {"mf": MatrixFactorization, "neural": NeuralRecommender}
# Without ratings mse cannot train: each model's usual implicit-feedback loss.
RANKING_LOSS = {"mf": "bpr", "neural": "sampled_softmax"}
# Column label and metric name of the ranking metrics every command reports.
RANKING_METRICS = {"NDCG": "ndcg", "Recall": "recall", "HR": "hit_rate"}


# -- demo ----------------------------------------------------------------------------


def demo(args):
    """Tune, compare, show a user's films and plot; see ``sklearn-rec demo --help``."""
    start = time.perf_counter()
    Figure = _demo.figure_class()  # before the long steps, not after them
    movielens = _demo.load_movielens(args.data_home)
    folder = Path(args.output)
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise CommandError(f"{folder}: cannot create the folder: {exc.strerror or exc}.") from exc
    frame = movielens.frame
    X, y = frame[["user", "item"]], frame["rating"].to_numpy()
    train, test = next(UserHoldoutSplit(test_size=0.2, random_state=0).split(X))
    X_train, y_train, X_test, y_test = X.iloc[train], y[train], X.iloc[test], y[test]
    user = _demo.demo_user(X_test) if args.user is None else args.user
    if user not in set(X_train["user"]):
        raise CommandError(f"--user {user}: no such user in MovieLens-100K.")
    print(
        f"MovieLens-100K: {len(X):,} ratings of {X.user.nunique()} users on "
        f"{X.item.nunique():,} films; 20% of each user's ratings held out for testing "
        f"({len(test):,}).\n"
    )
    rows = [_demo.baseline_row(X_train, y_train, X_test, y_test)]
    searches = {}
    specs = _demo.searches()
    for step, (label, estimator, grid, uses_ratings) in enumerate(specs, start=1):
        if not args.quiet:
            print(f"[{step}/{len(specs)}] Tuning {label}", file=sys.stderr)
        search = _demo.tune(estimator, grid, uses_ratings, X_train, y_train)
        scores = _test_metrics(search.best_estimator_, X_test, y_test if uses_ratings else None, 10)
        rows.append({"model": label, **scores, "fit s": search.refit_time_})
        searches[label] = search

    columns = ["model", "RMSE", "NDCG@10", "Recall@10", "HR@10", "fit s"]
    print_table(columns, [[row.get(column) for column in columns] for row in rows])
    print("\nTuned by GridSearchCV on a per-user holdout of the training part (best of 2):")
    for label, search in searches.items():
        best = ", ".join(f"{key}={value!r}" for key, value in search.best_params_.items())
        print(f"  {label}: {best}")

    best_label = max(rows[1:], key=lambda row: row["NDCG@10"])["model"]
    _demo.print_user_films(
        searches[best_label].best_estimator_, best_label, user, movielens, train, test
    )
    paths = _demo.write_plots(Figure, folder, searches, rows)
    print(f"\nPlots: {', '.join(map(str, paths))}")
    print(f"Done in {time.perf_counter() - start:.0f} s.")
    return 0


# -- fit -----------------------------------------------------------------------------


def fit(args):
    """Train on an interactions file and save the model; see ``sklearn-rec fit --help``."""
    check_output_folder(args.output)
    check_output_is_not_an_input(args.output, {"interactions file": args.data})
    columns = {"--user-col": args.user_col, "--item-col": args.item_col}
    if args.rating_col:
        columns["--rating-col"] = args.rating_col
    model = _build_model(args)
    frame = read_table(args.data, [args.user_col, args.item_col], sep=args.sep, header=args.header)
    check_columns(frame, args.data, columns)
    X = frame[[args.user_col, args.item_col]]
    if args.int_ids:
        X = X.apply(
            lambda ids: integer_ids(ids, ids.name, args.data, "--int-ids"), result_type="expand"
        )
    y = frame[args.rating_col].to_numpy() if args.rating_col else None
    start = time.perf_counter()
    model.fit(X, y)
    seconds = time.perf_counter() - start
    # The progress bar and the epoch table were for this run, not part of the model.
    model.set_params(callbacks=None, verbose=0)
    if not args.keep_training_state:
        model.trim_for_prediction()
    save_model(model, args.output)
    size = Path(args.output).stat().st_size
    print(
        f"Trained {type(model).__name__}(loss={model.loss!r}) on {len(X):,} interactions "
        f"({model.n_users_:,} users, {model.n_items_:,} items) in {seconds:.1f} s; "
        f"saved to {args.output} ({size / 1e6:.2f} MB)."
    )
    return 0


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
    if "device" in params:
        _check_device(params["device"])
    params.setdefault("loss", "mse" if args.rating_col else RANKING_LOSS[args.model])
    # --verbose: the epoch log on stdout and, in a terminal, a bar over the
    # batches of each long epoch on stderr; without it, the bar alone.
    # --quiet: neither (with --verbose, only its traceback of an error).
    if args.verbose and not args.quiet:
        params.setdefault("verbose", 1)
    elif not args.quiet:
        params.setdefault("callbacks", [EpochProgressBar()])
    return estimator(**params)


def _check_device(name):
    """Raise a ``CommandError`` unless PyTorch can put a tensor on the device ``name``."""
    try:
        device = torch.device(name)
    except (RuntimeError, TypeError, ValueError) as exc:
        raise CommandError(
            f"--device {name}: not a PyTorch device ({one_line(exc)}). Use cpu, or cuda on "
            "a machine with an NVIDIA GPU."
        ) from exc
    try:
        torch.empty(0, device=device)
    # PyTorch built without CUDA asserts; a missing device or backend is a RuntimeError.
    except (AssertionError, RuntimeError) as exc:
        # PyTorch's first sentence says why; the rest lists its backends at length.
        reason = one_line(exc).split(". ")[0]
        raise CommandError(
            f"--device {name}: not available on this machine ({reason}). Use --device cpu."
        ) from exc


# -- recommend -----------------------------------------------------------------------


def recommend(args):
    """Write top-n lists of a saved model; see ``sklearn-rec recommend --help``."""
    check_output_is_not_an_input(
        args.output, {"model file": args.model, "users file": args.users_file}
    )
    output_format = list_format(args.format, args.output)  # before the work, not after
    given = given_table_options(args.sep, args.header)
    if given and not args.users_file:
        raise CommandError(f"{given} to --users-file, which is not given.")
    model = load_model(args.model)
    user_col = args.user_col or _model_columns(model)[0]
    ids = list(args.users)
    if args.users_file:
        ids += read_user_file(args.users_file, user_col, sep=args.sep, header=args.header)
    if not ids:
        raise CommandError("no users given: list user ids after the model, or pass --users-file.")
    users = pd.unique(_cast_ids(ids, model.users_, "user", None))
    if args.fallback:
        model.set_params(handle_unknown="fallback")
    else:
        hint = "Pass --fallback to recommend the most popular items to them."
        _check_known(model, "user", users, None, hint)
    items, scores, fallback = model.recommend(
        users, n=args.n, exclude_seen=not args.include_seen, return_fallback=True
    )
    # Without --fallback no list can be the fallback's: no column says so.
    write_lists(
        users, items, scores, output_format, args.output, fallback if args.fallback else None
    )
    return 0


# -- evaluate ------------------------------------------------------------------------


def evaluate(args):
    """Print test metrics of a saved model; see ``sklearn-rec evaluate --help``."""
    model = load_model(args.model)
    fit_user_col, fit_item_col = _model_columns(model)
    user_col, item_col = args.user_col or fit_user_col, args.item_col or fit_item_col
    columns = {"--user-col": user_col, "--item-col": item_col}
    if args.rating_col:
        columns["--rating-col"] = args.rating_col
    frame = read_table(args.data, [user_col, item_col], sep=args.sep, header=args.header)
    check_columns(frame, args.data, columns)
    users = _cast_ids(frame[user_col], model.users_, "user", args.data)
    items = _cast_ids(frame[item_col], model.items_, "item", args.data)
    if args.fallback:
        model.set_params(handle_unknown="fallback")
    else:
        hint = "Pass --fallback to score them with the model's fallback."
        _check_known(model, "user", users, args.data, hint)
        _check_known(model, "item", items, args.data, hint)
    # The column names of fit, so that scikit-learn's feature-name check passes.
    X = pd.DataFrame({fit_user_col: users, fit_item_col: items})
    y = frame[args.rating_col].to_numpy() if args.rating_col else None
    metrics = _test_metrics(model, X, y, args.k)
    n_users = int(pd.Series(users).nunique())
    if args.format == "json":
        print(json.dumps({**metrics, "users": n_users, "interactions": len(X)}, indent=2))
    else:
        print(f"{len(X):,} test interactions of {n_users:,} users")
        print_table(["metric", "value"], list(metrics.items()))
    n_seen = _n_seen_in_training(model, users, items)
    if n_seen >= len(X) / 2:
        share = "all" if n_seen == len(X) else f"{n_seen:,} of the"
        print(
            f"note: {share} {len(X):,} test interactions are in the model's training data, "
            "whose items are left out of the rankings; evaluate on held-out interactions "
            "(sklearn-rec split).",
            file=sys.stderr,
        )
    return 0


def _n_seen_in_training(model, users, items):
    """How many of the ``(user, item)`` pairs are in the model's training data (``seen_``).

    The ranking metrics leave those items out of the lists, so such a test
    pair can never count. (They need ``seen_``: a model fitted with
    ``store_seen=False`` fails before.)
    """
    seen = model.seen_
    user_codes = model._user_vocabulary.encode(users)
    item_codes = model._item_vocabulary.encode(items)
    # Unknown ids (-1, with --fallback) and ids known from features alone are in no pair.
    known = (user_codes >= 0) & (user_codes < seen.shape[0])
    known &= (item_codes >= 0) & (item_codes < seen.shape[1])
    return int(np.count_nonzero(seen[user_codes[known], item_codes[known]]))


# -- split ---------------------------------------------------------------------------


def split(args):
    """Split interactions into training and test files; see ``sklearn-rec split --help``."""
    outputs = [args.output, args.test_output]
    for output in outputs:  # before the work, not after
        check_output_folder(output)
        check_output_is_not_an_input(output, {"interactions file": args.data})
    if same_file(args.output, args.test_output):
        raise CommandError(
            f"{args.test_output}: --test-output is also the training file (-o); the two parts "
            "need two files."
        )
    layouts = [output_table_format(output) for output in outputs]
    splitter = _splitter(args)
    columns = {"--user-col": args.user_col, "--item-col": args.item_col}
    if args.method == "last":
        columns["--time-col: --method last needs the time of each interaction"] = args.time_col
    # Ids stay as written (007 is not 7); Parquet keeps its types.
    is_parquet = table_format(args.data, args.sep, args.header).is_parquet
    ids = [] if is_parquet else [args.user_col, args.item_col]
    frame = read_table(args.data, ids, sep=args.sep, header=args.header)
    check_columns(frame, args.data, columns)
    X = frame[[args.user_col, args.item_col]]
    if args.method == "last":
        X = X.assign(**{args.time_col: _times(frame[args.time_col], args.time_col, args.data)})
    try:
        train, test = next(splitter.split(X))
    except (TypeError, ValueError) as exc:  # such as a missing id or time
        raise CommandError(f"{args.data}: {one_line(exc)}") from exc
    parts = [frame.iloc[train], frame.iloc[test]]
    write_tables(list(zip(parts, outputs, layouts, strict=True)))
    if not args.quiet:
        summary = ", ".join(
            f"{len(part):,} {name} interactions of {part[args.user_col].nunique():,} users to "
            f"{output}"
            for name, part, output in zip(["training", "test"], parts, outputs, strict=True)
        )
        print(f"Split {args.data}: {summary}.", file=sys.stderr)
    return 0


def _splitter(args):
    """The splitter of ``--method``, with ``--test-size`` (a fraction or a count)."""
    if args.method == "holdout":
        test_size = 0.2 if args.test_size is None else args.test_size
        return UserHoldoutSplit(test_size=test_size, random_state=args.random_state)
    test_size = 1 if args.test_size is None else args.test_size
    if not isinstance(test_size, int):
        raise CommandError(
            f"--test-size {test_size}: --method last holds out each user's latest interactions, "
            "so it takes a count of them (an integer, such as 1), not a fraction."
        )
    return LeaveLastOutSplit(n_test=test_size, time_column=args.time_col)


def _times(values, column, source):
    """The time column as numbers or datetimes; text is read as dates (ISO 8601 and others)."""
    if pd.api.types.is_numeric_dtype(values) or pd.api.types.is_datetime64_any_dtype(values):
        return values
    times = pd.to_datetime(values, errors="coerce", format="mixed")
    bad = times.isna() & values.notna()
    if bad.any():
        raise CommandError(
            f"{source}: the time column {column!r} holds {values[bad].iloc[0]!r}, which is "
            "neither a number nor a date."
        )
    return times


# -- explain -------------------------------------------------------------------------


def explain(args):
    """Print the contributions to one score; see ``sklearn-rec explain --help``."""
    model = load_model(args.model)
    user = _cast_ids([args.user], model.users_, "user", None)
    item = _cast_ids([args.item], model.items_, "item", None)
    if args.fallback:
        model.set_params(handle_unknown="fallback")
    else:
        hint = "Pass --fallback to explain the model's fallback score instead."
        _check_known(model, "user", user, None, hint)
        _check_known(model, "item", item, None, hint)
    frame = model.explain(user[0], item[0], n=args.n)
    attrs = frame.attrs
    if args.format == "json":
        rows = [
            {
                "kind": row.kind,
                "id_or_feature": _json_value(row.id_or_feature),
                "contribution": row.contribution,
            }
            for row in frame.itertuples()
        ]
        summary = {key: attrs[key] for key in ("score", "method", "completeness_error")}
        print(
            json.dumps(
                {
                    "user": _json_value(user[0]),
                    "item": _json_value(item[0]),
                    **summary,
                    "contributions": rows,
                },
                indent=2,
            )
        )
        return 0
    print(
        f"Score of item {item[0]} for user {user[0]}: "
        f"{attrs['score']:.4f} "
        f"({attrs['method'].replace('_', ' ')}; completeness error "
        f"{attrs['completeness_error']:.2g})"
    )
    print_table(
        ["kind", "id or feature", "contribution"],
        [[row.kind, str(row.id_or_feature), row.contribution] for row in frame.itertuples()],
    )
    return 0


def _json_value(value):
    """A numpy scalar as the Python value JSON writes."""
    return value.item() if isinstance(value, np.generic) else value


def _test_metrics(model, X, y, k):
    """Ranking metrics at ``k``, plus RMSE and MAE for a rating model given ratings."""
    results = {
        f"{label}@{k}": make_ranking_scorer(metric, k=k)(model, X, y)
        for label, metric in RANKING_METRICS.items()
    }
    if model._predicts_ratings and y is not None:
        predictions = model.predict(X)
        results["RMSE"] = float(root_mean_squared_error(y, predictions))
        results["MAE"] = float(mean_absolute_error(y, predictions))
    return results


# -- ids -----------------------------------------------------------------------------


def _model_columns(model):
    """The user and item column names of the model's training data."""
    names = getattr(model, "feature_names_in_", None)
    return ("user", "item") if names is None else (str(names[0]), str(names[1]))


def _cast_ids(values, known, name, source):
    """Give ids read as text the type of the model's ids ``known``.

    ``source`` is the file the ids come from, or None for the command line.
    Integers are parsed exactly, in the range of the model's integer type;
    text stays as it was read (``007`` is not ``7``), as ``fit`` reads it.
    """
    series = pd.Series(np.asarray(values, dtype=object))
    dtype = np.asarray(known).dtype
    if dtype.kind in "iu":
        reason = f"the model's {name} ids are integers"
        return integer_ids(series, name, source, reason, dtype=dtype.type)
    if dtype.kind == "f":
        numbers = pd.to_numeric(series, errors="coerce")
        bad = numbers.isna()
        if bad.any():
            where = "" if source is None else f"{source}: "
            raise CommandError(
                f"{where}{name} id {series[bad].iloc[0]!r} is not valid: the model's "
                f"{name} ids are numbers."
            )
        return numbers.to_numpy(dtype=np.float64)
    if len(known) and isinstance(known[0], str):
        return series.astype(str).to_numpy(dtype=object)
    return series.to_numpy()


def _check_known(model, name, ids, source, hint):
    """Raise, by the model's own check, for the ids of ``ids`` that ``model`` does not know.

    Whatever the model's ``handle_unknown``: the command line falls back only
    with ``--fallback``, which ``hint`` names. ``source`` is the file the ids
    come from, or None for the command line.
    """
    vocabulary = model._user_vocabulary if name == "user" else model._item_vocabulary
    codes = vocabulary.encode(ids)
    try:
        model._check_known(name, ids, codes, always=hint)
    except ValueError as exc:
        if source is None:
            raise
        raise CommandError(f"{source}: {exc}") from exc
