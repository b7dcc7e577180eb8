"""Files and output of the command line: interaction tables, model files, tables and lists.

Every problem with a file is a :class:`CommandError`: one line on stderr and
exit code 2.
"""

import bz2
import gzip
import io
import json
import lzma
import re
import sys
import warnings
import zipfile
from contextlib import ExitStack
from pathlib import Path
from typing import NamedTuple

import joblib
import numpy as np
import pandas as pd
from sklearn.utils.validation import check_is_fitted
from skorch.exceptions import DeviceWarning

from .._base import RecommenderMixin
from .._files import replace_atomically


class CommandError(Exception):
    """A problem with what the user asked for: one line on stderr, exit code 2."""


def one_line(exc):
    """The message of ``exc`` on one line (its type when it has none)."""
    return " ".join(str(exc).split()) or type(exc).__name__


# -- reading -------------------------------------------------------------------------


class TableFormat(NamedTuple):
    """How a table file is laid out: its field separator, header row and compression."""

    sep: str | None  # None: Parquet
    header: bool = True  # whether the first row names the columns
    compression: str | None = None  # pandas' name of it

    @property
    def is_parquet(self):
        """Whether the file is Parquet, whose columns are stored with their names and types."""
        return self.sep is None


PARQUET = TableFormat(None)
# Table files by extension. .data is MovieLens 100K's u.data, .base and .test its
# splits (u1.base, u1.test, ...); .dat is MovieLens 1M and 10M's ratings.dat.
TABLE_FORMATS = {
    ".csv": TableFormat(","),
    ".tsv": TableFormat("\t"),
    ".data": TableFormat("\t", header=False),
    ".base": TableFormat("\t", header=False),
    ".test": TableFormat("\t", header=False),
    ".dat": TableFormat("::", header=False),
    ".parquet": PARQUET,
    ".pq": PARQUET,
}
# The compressions of text tables that pandas reads and writes, by extension.
COMPRESSIONS = {".gz": "gzip", ".bz2": "bz2", ".xz": "xz", ".zip": "zip"}
# The columns of a table without a header row, in order; any further ones are col4, col5, ...
HEADERLESS_COLUMNS = ("user", "item", "rating", "timestamp")
# A separator of several characters reads as this one, for pandas' C parser.
_UNIT_SEPARATOR = "\x1f"


def given_table_options(sep, header):
    """``"--sep applies"``, ``"--sep and --no-header apply"``, ...: the start of a message
    saying where the options that ``sep`` and ``header`` stand for apply; None without them.
    """
    given = [] if sep is None else ["--sep"]
    if header is not None:
        given.append("--header" if header else "--no-header")
    if given:
        return f"{' and '.join(given)} {'apply' if len(given) > 1 else 'applies'}"
    return None


def _extensions(path):
    """The format extension of ``path`` and its compression extension (or None), lower case."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix in COMPRESSIONS:
        return path.with_suffix("").suffix.lower(), suffix
    return suffix, None


def _shown(suffix, compressed):
    """An extension as an error message shows it."""
    return repr(suffix + (compressed or "")) if suffix or compressed else "(no extension)"


def table_format(path, sep=None, header=None):
    """The :class:`TableFormat` of the interactions file ``path``.

    From its extension, optionally followed by a compression one (``.gz``,
    ``.bz2``, ``.xz``, ``.zip``), with ``sep`` and ``header`` (``--sep``,
    ``--header``/``--no-header``) in place of the extension's where given.
    With ``sep``, a file of any other extension but Parquet's is delimited
    text.
    """
    suffix, compressed = _extensions(path)
    known = TABLE_FORMATS.get(suffix, None if sep is None else TableFormat(sep))
    if known is None or (known.is_parquet and compressed):
        raise CommandError(
            f"{path}: unsupported file type {_shown(suffix, compressed)}; expected one of "
            f"{', '.join(TABLE_FORMATS)} (the text ones may be compressed: "
            f"{', '.join(COMPRESSIONS)}), or pass --sep SEP to read another delimited text file."
        )
    if known.is_parquet:
        given = given_table_options(sep, header)
        if given:
            raise CommandError(
                f"{path}: {given} to delimited text files, not to Parquet, which "
                "stores its columns with their names."
            )
        return known
    return TableFormat(
        sep or known.sep,
        known.header if header is None else header,
        COMPRESSIONS.get(compressed),
    )


def read_table(path, text_columns=(), *, sep=None, header=None):
    """Read an interactions file: delimited text (CSV, TSV, MovieLens's) or Parquet.

    The format comes from the extension (see :func:`table_format`), with
    ``sep`` and ``header`` in place of the extension's where given. A file
    without a header row gets the columns of ``HEADERLESS_COLUMNS`` (user,
    item, rating, timestamp), in order, then ``col4``, ``col5``, ...
    ``text_columns`` are read as strings (from Parquet, their values written
    as text; missing values stay missing), so that ids such as ``007`` keep
    their leading zeros and large integers their digits until they are cast
    to the type of a model's ids.
    """
    path = Path(path)
    layout = table_format(path, sep, header)
    if not path.is_file():
        raise CommandError(f"{path}: no such file.")
    try:
        if layout.is_parquet:
            frame = pd.read_parquet(path)
        else:
            frame = _read_text(path, layout, dict.fromkeys(text_columns, str))
    except ImportError as exc:
        raise CommandError(
            f"{path}: reading Parquet needs pyarrow or fastparquet (pip install pyarrow)."
        ) from exc
    # pandas' parser errors are ValueErrors; a damaged archive raises one of the others.
    except (ValueError, OSError, EOFError, zipfile.BadZipFile, lzma.LZMAError) as exc:
        raise CommandError(f"{path}: cannot read the file: {one_line(exc)}") from exc
    if frame.empty:
        raise CommandError(f"{path}: the file has no rows.")
    if layout.is_parquet:
        for column in text_columns:
            if column in frame.columns:
                values = frame[column]
                frame[column] = values.astype(str).where(values.notna(), None)
    return frame


def _read_text(path, layout, dtype):
    """Read the delimited text file ``path`` of ``layout``, the columns of ``dtype`` typed."""
    source, options = path, {"sep": layout.sep, "compression": layout.compression}
    if len(layout.sep) > 1:
        source, options = _one_character_separator(path, layout)
    if not layout.header:
        first_row = pd.read_csv(source, header=None, nrows=1, dtype=str, **options)
        if hasattr(source, "seek"):
            source.seek(0)
        n_columns = first_row.shape[1]
        names = [*HEADERLESS_COLUMNS, *(f"col{i}" for i in range(4, n_columns))][:n_columns]
        options.update(header=None, names=names)
    return pd.read_csv(source, dtype=dtype, **options)


def _one_character_separator(path, layout):
    """The file's text and ``read_csv`` options that split it on ``layout.sep``.

    pandas splits on a separator of several characters, such as MovieLens's
    ``::``, with its Python engine only, about ten times slower than its C
    parser; so the separator is replaced by one character that text files do
    not hold, for the C parser. A file that holds it is left to the Python
    engine.
    """
    if layout.compression == "zip":
        with zipfile.ZipFile(path) as archive:
            names = archive.namelist()
            if len(names) != 1:
                raise CommandError(f"{path}: expected one file in the archive, found {len(names)}.")
            data = archive.read(names[0])
    else:
        opener = {None: open, "gzip": gzip.open, "bz2": bz2.open, "xz": lzma.open}
        with opener[layout.compression](path, "rb") as file:
            data = file.read()
    if _UNIT_SEPARATOR.encode() in data:
        return path, {
            "sep": re.escape(layout.sep),
            "engine": "python",
            "compression": layout.compression,
        }
    data = data.replace(layout.sep.encode(), _UNIT_SEPARATOR.encode())
    return io.BytesIO(data), {"sep": _UNIT_SEPARATOR, "compression": None}


def check_columns(frame, path, columns):
    """Raise unless ``frame`` has every column of ``columns`` (``{option: column}``)."""
    for option, column in columns.items():
        if column not in frame.columns:
            present = ", ".join(map(repr, frame.columns[:20]))
            raise CommandError(
                f"{path}: no column {column!r} ({option}); the columns are {present}."
                f"{_layout_hint(frame.columns)}"
            )


def _layout_hint(columns):
    """Why a table may lack a column: a wrong separator, or a header row that is data."""
    if len(columns) == 1:
        return " One column only: is the separator right (--sep)?"
    # Column names that are numbers most likely come from the first row of a file without
    # a header row.
    if pd.to_numeric(pd.Series(columns.astype(str)), errors="coerce").notna().any():
        return " The first row looks like data: pass --no-header if the file has no header row."
    return ""


def read_user_file(path, column, *, sep=None, header=None):
    """User ids from a text file (one per line) or the ``column`` of a table file.

    ``sep`` and ``header`` are those of :func:`read_table`; a ``.txt`` file
    has neither.
    """
    path = Path(path)
    if path.suffix.lower() == ".txt":
        given = given_table_options(sep, header)
        if given:
            raise CommandError(
                f"{path}: a .txt file holds one user id per line; {given} to tables "
                "such as .csv files."
            )
        try:
            lines = path.read_text(encoding="utf-8").splitlines()
        except (OSError, UnicodeDecodeError) as exc:
            raise CommandError(f"{path}: cannot read the file: {one_line(exc)}") from exc
        return [line.strip() for line in lines if line.strip()]
    frame = read_table(path, text_columns=[column], sep=sep, header=header)
    if column not in frame.columns and frame.shape[1] == 1:
        column = frame.columns[0]
    check_columns(frame, path, {"--user-col": column})
    return frame[column].tolist()


def integer_ids(values, name, source, reason, dtype=np.int64):
    """Ids read as text, as integers of ``dtype``; a ``CommandError`` names the first bad one.

    Each value must be an integer written in decimal digits within the range
    of ``dtype``: nothing is rounded, wrapped or merged silently. ``source``
    is the file the ids come from, or None for the command line; ``reason``
    says why integers are expected.
    """
    text = pd.Series(np.asarray(values, dtype=object)).astype(str).str.strip()
    limits = np.iinfo(dtype)
    bad = ~text.str.fullmatch(r"[+-]?[0-9]+")
    numbers = text.where(~bad, "0").map(int)  # Python ints: exact at any size
    bad |= (numbers < int(limits.min)) | (numbers > int(limits.max))
    if bad.any():
        value = np.asarray(values, dtype=object)[bad.to_numpy()][0]
        where = "" if source is None else f"{source}: "
        expected = f"an integer from {limits.min} to {limits.max}"
        raise CommandError(f"{where}{name} id {value!r} is not {expected} ({reason}).")
    return numbers.to_numpy(dtype=dtype)


# -- model files ---------------------------------------------------------------------


def save_model(model, path):
    """Write ``model`` to ``path`` with joblib, replacing any file there only once written."""
    try:
        with replace_atomically(path) as temporary:
            # zlib level 3: about 2.5 times smaller for MovieLens-100K, quick to load.
            joblib.dump(model, temporary, compress=3)
    except OSError as exc:
        raise CommandError(f"{path}: cannot write the model: {exc.strerror or exc}.") from exc


def load_model(path):
    """Load a fitted recommender saved by ``fit`` (or by ``joblib.dump``/``pickle``)."""
    path = Path(path)
    if not path.is_file():
        raise CommandError(f"{path}: no such model file.")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            model = joblib.load(path)
        except Exception as exc:  # whatever unpickling raises, the file is no model
            raise CommandError(f"{path}: not a model file: {one_line(exc)}") from exc
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


# -- output --------------------------------------------------------------------------


def check_output_is_not_an_input(output, inputs):
    """Raise if the file ``output`` is one of ``inputs`` (``{description: path}``).

    Writing the output would replace that input (the data, say, with the model).
    """
    if output is None:
        return
    for description, path in inputs.items():
        if path is not None and same_file(output, path):
            raise CommandError(
                f"{output}: the output file is the {description} ({path}); writing it would "
                "replace that input. Choose another output file."
            )


def same_file(first, second):
    """Whether the paths ``first`` and ``second`` name one file (through links too)."""
    first, second = Path(first), Path(second)
    return first.resolve() == second.resolve() or (
        first.exists() and second.exists() and first.samefile(second)
    )


def check_output_folder(output):
    """Raise unless the folder of the file ``output`` exists: before the work, not after."""
    folder = Path(output).parent
    if not folder.is_dir():
        raise CommandError(f"{output}: the folder {folder} does not exist.")


def output_table_format(path):
    """The :class:`TableFormat` of the table file ``path`` to write, from its extension.

    CSV and TSV files get a header row, and may be compressed; Parquet is
    written by pandas (pyarrow or fastparquet).
    """
    suffix, compressed = _extensions(path)
    layout = TABLE_FORMATS.get(suffix)
    if layout is None or not layout.header or (layout.is_parquet and compressed):
        written = [suffix for suffix, layout in TABLE_FORMATS.items() if layout.header]
        raise CommandError(
            f"{path}: cannot write a table of extension {_shown(suffix, compressed)}; use one "
            f"of {', '.join(written)} (.csv and .tsv may be compressed: "
            f"{', '.join(COMPRESSIONS)})."
        )
    return layout._replace(compression=COMPRESSIONS.get(compressed))


def write_tables(tables):
    """Write each ``(frame, path, layout)`` of ``tables``: every file whole, or none of them.

    Each frame goes to a temporary file beside its path, without its index,
    and the temporary files are renamed into place once all are written.
    """
    path = None
    try:
        with ExitStack() as stack:
            for frame, path, layout in tables:
                temporary = stack.enter_context(replace_atomically(path))
                if layout.is_parquet:
                    frame.to_parquet(temporary, index=False)
                else:
                    # Told, not inferred: the temporary file's name ends in .tmp.
                    compression = layout.compression
                    if compression == "zip":  # the file in the archive is named after the path
                        compression = {"method": "zip", "archive_name": Path(path).stem}
                    frame.to_csv(temporary, sep=layout.sep, index=False, compression=compression)
    except ImportError as exc:
        raise CommandError(
            f"{path}: writing Parquet needs pyarrow or fastparquet (pip install pyarrow)."
        ) from exc
    except OSError as exc:
        raise CommandError(f"{path}: cannot write the file: {exc.strerror or exc}.") from exc


def write_text(text, output):
    """Write ``text`` to the file ``output`` (whole or not at all), or to stdout when it is None."""
    if output is None:
        sys.stdout.write(text)
        return
    try:
        with replace_atomically(output) as temporary:
            temporary.write_text(text, encoding="utf-8")
    except OSError as exc:
        raise CommandError(f"{output}: cannot write the file: {exc.strerror or exc}.") from exc


# Output formats of the lists, by file extension.
LIST_FORMATS = {
    ".csv": "csv",
    ".tsv": "tsv",
    ".json": "json",
    ".parquet": "parquet",
    ".pq": "parquet",
}


def list_format(requested, output):
    """The format of the lists: ``requested`` (``--format``) or the extension of ``output``."""
    suffix = None if output is None else Path(output).suffix.lower()
    implied = LIST_FORMATS.get(suffix)
    if requested and implied and requested != implied:
        raise CommandError(
            f"{output}: --format {requested} contradicts the extension {suffix}, which means "
            f"{implied}. Change one of them."
        )
    chosen = requested or implied or ("csv" if output is None else None)
    if chosen is None:
        raise CommandError(
            f"{output}: unknown output extension {suffix or '(none)'!r}; use one of "
            f"{', '.join(LIST_FORMATS)} or pass --format."
        )
    if chosen == "parquet" and output is None:
        raise CommandError("--format parquet writes a binary file: name it with -o FILE.")
    return chosen


def write_lists(users, items, scores, output_format, output, fallback=None):
    """Write recommendation lists to ``output`` (stdout when None), whole or not at all.

    CSV, TSV and Parquet have one ``user, rank, item, score`` row per
    recommended item; JSON one object per user. The ``-inf`` that pads the
    rows of users with fewer eligible items than ``n`` is left out: those are
    no items. ``fallback`` (one bool per user, or None) adds a ``fallback``
    column (a key in JSON), true where the list is the popularity fallback's.
    """
    keep = np.isfinite(scores)
    if output_format == "json":
        lists = [
            {"user": user, "items": row[ok].tolist(), "scores": row_scores[ok].tolist()}
            for user, row, row_scores, ok in zip(users.tolist(), items, scores, keep, strict=True)
        ]
        if fallback is not None:
            for entry, fell_back in zip(lists, fallback.tolist(), strict=True):
                entry["fallback"] = fell_back
        # One user per line: readable, and still one JSON document.
        write_text("[\n" + ",\n".join(json.dumps(entry) for entry in lists) + "\n]\n", output)
        return
    rows, ranks = np.nonzero(keep)
    frame = pd.DataFrame(
        {"user": users[rows], "rank": ranks + 1, "item": items[keep], "score": scores[keep]}
    )
    if fallback is not None:
        frame["fallback"] = fallback[rows]
    if output_format == "parquet":
        write_tables([(frame, output, PARQUET)])
    else:
        write_text(frame.to_csv(sep=TABLE_FORMATS[f".{output_format}"].sep, index=False), output)


def print_table(header, rows):
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
