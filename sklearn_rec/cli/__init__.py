"""Command line of sklearn-rec: ``sklearn-rec`` or ``python -m sklearn_rec``.

Commands:

- ``demo``: tune ``MatrixFactorization`` and ``NeuralRecommender`` on
  MovieLens-100K, compare them with a baseline, show one user's films and
  write plots (matplotlib: ``pip install "sklearn-rec[plot]"``);
- ``fit``: train a model on a file of interactions (CSV, TSV, Parquet or
  MovieLens's own formats) and save it;
- ``recommend``: top-n lists of a saved model for given users, as CSV, TSV,
  JSON or Parquet;
- ``evaluate``: ranking (and rating) metrics of a saved model on test
  interactions;
- ``split``: split a file of interactions into training and test files, by a
  per-user random holdout or each user's latest interactions;
- ``explain``: the contributions to a saved model's score of a user and an
  item (the user's history items, biases, item features).

A user error (a missing file or column, an unknown user, a bad parameter) is
reported as one line on stderr with exit code 2; ``--verbose`` adds the
traceback.
"""

import argparse
import sys
import traceback
from collections.abc import Sequence

import torch

from .. import __version__
from . import _commands
from ._io import (
    COMPRESSIONS,
    HEADERLESS_COLUMNS,
    LIST_FORMATS,
    TABLE_FORMATS,
    CommandError,
    one_line,
)

__all__ = ["main"]

EXIT_ERROR = 2
EXIT_INTERRUPTED = 130


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


def _test_size(text):
    """A fraction in (0, 1), such as 0.2, or a count >= 1, such as 3."""
    try:
        value = int(text)
    except ValueError:
        try:
            value = float(text)
        except ValueError:
            value = 0.0
    if (isinstance(value, int) and value < 1) or (isinstance(value, float) and not 0 < value < 1):
        raise argparse.ArgumentTypeError(
            f"expected a fraction between 0 and 1 or a count of at least 1, got {text!r}"
        )
    return value


def _separator(text):
    r"""A field separator of one or more characters; ``\t`` (as typed) or ``tab`` is a tab."""
    sep = "\t" if text in ("\\t", "tab") else text
    if not sep or any(character in sep for character in '\r\n"'):
        raise argparse.ArgumentTypeError(
            f"expected a field separator such as , or :: or \\t, got {text!r}"
        )
    return sep


_HEADERLESS = ", ".join(suffix for suffix, layout in TABLE_FORMATS.items() if not layout.header)
# What an interactions file may be, for the help.
_TABLE_FILES = (
    f"{', '.join(TABLE_FORMATS)} (.data, .base and .test: MovieLens 100K's u.data and its "
    f"splits; .dat: MovieLens 1M and 10M's ratings.dat); the text ones may be compressed "
    f"({', '.join(COMPRESSIONS)})"
)


def _add_table_options(parser, what):
    """--sep and --header/--no-header, the layout of the table file ``what``."""
    parser.add_argument(
        "--sep",
        type=_separator,
        metavar="SEP",
        help=f"field separator of {what}, such as ',' or '::' or '\\t' (a tab); default: from "
        "the extension. With --sep, a file of another extension is read as delimited text",
    )
    parser.add_argument(
        "--header",
        action=argparse.BooleanOptionalAction,
        help=f"whether the first row of {what} names its columns (default: yes, except for "
        f"{_HEADERLESS} files). Without a header the columns are "
        f"{', '.join(HEADERLESS_COLUMNS)}, then col4, col5, ...",
    )


def _build_parser():
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument(
        "-v", "--verbose", action="store_true", help="show the traceback of an error"
    )
    training = argparse.ArgumentParser(add_help=False, parents=[common])
    training.add_argument("-q", "--quiet", action="store_true", help="no progress output")
    training.add_argument(
        "--threads",
        type=_positive_int,
        metavar="N",
        help="CPU threads of PyTorch (default: 1 for demo, whose small models gain little "
        "from more and lose much when other work shares the cores; PyTorch's choice for fit)",
    )
    parser = _Parser(
        prog="sklearn-rec",
        description="Recommender estimators for scikit-learn: demo, fit, recommend, evaluate, "
        "split, explain.",
        epilog="Model files are pickles: load only files you trust.",
    )
    parser.add_argument("--version", action="version", version=f"sklearn-rec {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    _add_demo(commands, training)
    _add_fit(commands, training)
    _add_recommend(commands, common)
    _add_evaluate(commands, common)
    _add_split(commands, common)
    _add_explain(commands, common)
    return parser


def _add_demo(commands, training):
    demo = commands.add_parser(
        "demo",
        parents=[training],
        help="tune both estimators on MovieLens-100K and compare them",
        description="Tune MatrixFactorization (mse and bpr losses) and NeuralRecommender "
        "with GridSearchCV on MovieLens-100K, compare them with a popularity / global-mean "
        "baseline on a per-user holdout, show one user's films and write PNG plots. "
        "The data is read from --data-home (default: $SKLEARN_REC_DATA) or downloaded once. "
        'The plots need matplotlib: pip install "sklearn-rec[plot]".',
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
    demo.set_defaults(handler=_commands.demo, threads=1)


def _add_fit(commands, training):
    fit = commands.add_parser(
        "fit",
        parents=[training],
        help="train a model on an interactions file and save it",
        description="Train a model on a file of interactions, one per row (CSV, TSV, "
        "Parquet, or MovieLens's u.data or ratings.dat) and save it with joblib. Without "
        "--rating-col every row is a positive (implicit feedback).",
        epilog="In a terminal, a bar on stderr follows the batches of each epoch that runs "
        "for more than a second. --verbose also prints a line per epoch on stdout (epoch k/N, "
        "train_loss, validation_score under early stopping, dur in seconds): skorch's table "
        "in a terminal, plain lines in a file or a pipe. --quiet prints neither.",
    )
    fit.add_argument("data", help=f"interactions file: {_TABLE_FILES}")
    _add_table_options(fit, "the interactions file")
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
        "--int-ids",
        action="store_true",
        help="read the user and item ids as 64-bit integers (an id that is not one is an "
        "error); by default ids are text, so that 007 and 7 are two ids",
    )
    fit.add_argument(
        "--model",
        choices=sorted(_commands.MODELS),
        default="mf",
        help="mf: MatrixFactorization, neural: NeuralRecommender (default: %(default)s)",
    )
    fit.add_argument(
        "--loss",
        help="training loss (default: mse with --rating-col, else bpr for mf and sampled_softmax "
        "for neural)",
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
    fit.set_defaults(handler=_commands.fit)


def _add_recommend(commands, common):
    recommend = commands.add_parser(
        "recommend",
        parents=[common],
        help="top-n lists of a saved model",
        description="Print or write the top-n items of a saved model for the given users, "
        "best first, the items each user interacted with in training left out. A user with "
        "fewer eligible items than n gets a shorter list.",
    )
    recommend.add_argument("model", help="model file written by fit")
    recommend.add_argument("users", nargs="*", help="user ids")
    recommend.add_argument(
        "--users-file",
        metavar="FILE",
        help="more user ids: a .txt file with one per line, or a table file (.csv, .tsv, "
        ".parquet, ... as for fit) with a user column",
    )
    recommend.add_argument(
        "--user-col", metavar="COL", help="user column of --users-file (default: the model's)"
    )
    _add_table_options(recommend, "--users-file")
    recommend.add_argument(
        "-n", type=_positive_int, default=10, metavar="N", help="list length (default: 10)"
    )
    recommend.add_argument(
        "--format",
        choices=sorted(set(LIST_FORMATS.values())),
        help=f"default: from the extension of --output ({', '.join(LIST_FORMATS)}), csv on stdout",
    )
    recommend.add_argument("-o", "--output", metavar="FILE", help="file to write (default: stdout)")
    recommend.add_argument(
        "--include-seen", action="store_true", help="also recommend the items seen in training"
    )
    recommend.add_argument(
        "--fallback",
        action="store_true",
        help="recommend the most popular items to unknown users instead of failing; a "
        "fallback column (a key in JSON) marks their lists, whose scores are popularity, "
        "not the model's",
    )
    recommend.set_defaults(handler=_commands.recommend)


def _add_evaluate(commands, common):
    evaluate = commands.add_parser(
        "evaluate",
        parents=[common],
        help="metrics of a saved model on test interactions",
        description="NDCG, recall and hit rate at k of a saved model over the users of a "
        "test file (each row a relevant item; with --rating-col, rows rated 0 or less are "
        "not), the items seen in training left out; RMSE and MAE too for a model trained "
        "on ratings (loss mse) given --rating-col. A note on stderr says when half or more of "
        "the test interactions are in the training data, where they cannot count.",
    )
    evaluate.add_argument("model", help="model file written by fit")
    evaluate.add_argument("data", help=f"test interactions: {_TABLE_FILES}")
    _add_table_options(evaluate, "the test file")
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
    evaluate.set_defaults(handler=_commands.evaluate)


def _add_split(commands, common):
    split = commands.add_parser(
        "split",
        parents=[common],
        help="split interactions into a training and a test file",
        description="Split a file of interactions into a training and a test file for fit "
        "and evaluate, every column kept: by a random holdout of each user's interactions "
        "(--method holdout), or each user's latest ones by --time-col (--method last). Either "
        "way a user with a single interaction (or with no more than --test-size, for last) "
        "stays in training, and a test interaction whose item would be missing from training "
        "moves back there, so that the model knows every test user and item. The format of "
        "each output follows its extension.",
    )
    split.add_argument("data", help=f"interactions file: {_TABLE_FILES}")
    _add_table_options(split, "the interactions file")
    split.add_argument(
        "-o",
        "--train-output",
        dest="output",
        required=True,
        metavar="FILE",
        help="training file to write: .csv, .tsv (either may be compressed: .csv.gz, ...), "
        ".parquet or .pq",
    )
    split.add_argument(
        "--test-output", required=True, metavar="FILE", help="test file to write, as -o"
    )
    split.add_argument(
        "--method",
        choices=["holdout", "last"],
        default="holdout",
        help="holdout: a random part of each user's interactions (UserHoldoutSplit); last: "
        "each user's latest ones (LeaveLastOutSplit) (default: %(default)s)",
    )
    split.add_argument(
        "--test-size",
        type=_test_size,
        metavar="SIZE",
        help="the share (such as 0.2) or the count of each user's interactions to hold out "
        "(default: 0.2 for holdout, 1 for last, which takes counts only)",
    )
    split.add_argument(
        "--random-state",
        type=int,
        metavar="SEED",
        help="seed of the holdout, for a reproducible split",
    )
    split.add_argument(
        "--user-col", default="user", metavar="COL", help="user id column (default: %(default)s)"
    )
    split.add_argument(
        "--item-col", default="item", metavar="COL", help="item id column (default: %(default)s)"
    )
    split.add_argument(
        "--time-col",
        default="timestamp",
        metavar="COL",
        help="time column of --method last: numbers or dates (default: %(default)s)",
    )
    split.add_argument("-q", "--quiet", action="store_true", help="no summary on stderr")
    split.set_defaults(handler=_commands.split)


def _add_explain(commands, common):
    explain = commands.add_parser(
        "explain",
        parents=[common],
        help="why a saved model scores an item as it does for a user",
        description="Print the largest contributions to a saved model's score of ITEM for "
        "USER: the items of the user's training history, the biases and the item's "
        "features (see the estimators' explain method). Integrated gradients, for the "
        'models other than mf with loss mse, need Captum: pip install "sklearn-rec[explain]".',
    )
    explain.add_argument("model", help="model file written by fit")
    explain.add_argument("user", help="user id")
    explain.add_argument("item", help="item id")
    explain.add_argument(
        "-n", type=_positive_int, default=5, metavar="N", help="contributions shown (default: 5)"
    )
    explain.add_argument(
        "--format", choices=["table", "json"], default="table", help="default: %(default)s"
    )
    explain.add_argument(
        "--fallback",
        action="store_true",
        help="explain the fallback score of an unknown user or item instead of failing",
    )
    explain.set_defaults(handler=_commands.explain)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line.

    Parameters
    ----------
    argv : list of str, default=None
        The arguments after the program name; ``None`` reads ``sys.argv``.

    Returns
    -------
    exit_code : int
        0 on success, 2 for a usage error or an error in the input, 130 when
        interrupted (Ctrl-C), which leaves no output file half written.
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
        # Files are written whole or not at all: an interrupt leaves none half written.
        saved = "; no model was saved" if args.command == "fit" else ""
        print(f"sklearn-rec {args.command}: interrupted{saved}.", file=sys.stderr)
        return EXIT_INTERRUPTED
    except (CommandError, OSError, ValueError, TypeError) as exc:
        if args.verbose:
            traceback.print_exc()
        print(f"sklearn-rec {args.command}: error: {one_line(exc)}", file=sys.stderr)
        return EXIT_ERROR
    finally:
        # A caller in the same process (a notebook, a test) keeps its setting.
        torch.set_num_threads(threads)
