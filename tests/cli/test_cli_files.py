"""Files of the command line: MovieLens's formats, compression, --sep and --header, the
formats written.

The files are tiny synthetic ones in MovieLens's layouts, written by the tests.
"""

import bz2
import gzip
import io
import lzma
import zipfile

import joblib
import numpy as np
import pandas as pd
import pytest

from sklearn_rec.cli import _io, main
from sklearn_rec.datasets import make_interactions
from sklearn_rec.model_selection import UserHoldoutSplit

TRAIN = ["--epochs", "2", "--random-state", "0", "--threads", "1", "--quiet"]
COLUMNS = ["user", "item", "rating", "timestamp"]


def run(argv, capsys):
    """Run the command line; return its exit code, stdout and stderr."""
    code = main([str(arg) for arg in argv])
    out, err = capsys.readouterr()
    return code, out, err


def interactions(n_users=30, n_items=20, n_interactions=400, random_state=0):
    """Ratings with a timestamp, the ids as text with leading zeros (``"007"``)."""
    X, y = make_interactions(
        n_users=n_users,
        n_items=n_items,
        n_interactions=n_interactions,
        timestamps=True,
        random_state=random_state,
    )
    return pd.DataFrame(
        {
            "user": X["user"].map("{:03d}".format),
            "item": X["item"].map("i{:02d}".format),
            "rating": y.astype(np.int64),
            "timestamp": X["timestamp"].to_numpy(np.int64),
        }
    )


def text(frame, sep, header):
    """``frame`` as delimited text, ``sep`` between the fields (of any length)."""
    lines = [sep.join(frame.columns)] if header else []
    lines += [sep.join(map(str, row)) for row in frame.itertuples(index=False)]
    return "\n".join(lines) + "\n"


COMPRESSORS = {
    "": lambda data, name: data,
    ".gz": lambda data, name: gzip.compress(data),
    ".bz2": lambda data, name: bz2.compress(data),
    ".xz": lambda data, name: lzma.compress(data),
    ".zip": lambda data, name: _zip({name: data}),
}


def _zip(files):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, data in files.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def write(frame, path, sep, header):
    """Write ``frame`` to ``path`` as delimited text, compressed as its extension says."""
    compression = path.suffix if path.suffix in COMPRESSORS else ""
    data = text(frame, sep, header).encode()
    path.write_bytes(COMPRESSORS[compression](data, path.stem))
    return path


@pytest.fixture(scope="module")
def model_file(tmp_path_factory):
    """A model fitted by the command line on ``interactions()``."""
    folder = tmp_path_factory.mktemp("model")
    write(interactions(), folder / "ratings.csv", ",", header=True)
    argv = ["fit", folder / "ratings.csv", "-o", folder / "m.joblib", "--rating-col", "rating"]
    assert main([str(arg) for arg in [*argv, *TRAIN]]) == 0
    return folder / "m.joblib"


# -- reading -----------------------------------------------------------------------------

# name: separator and header row, as MovieLens (or the extension) lays the file out
LAYOUTS = {
    "u.data": ("\t", False),
    "u1.base": ("\t", False),
    "u1.test": ("\t", False),
    "ratings.dat": ("::", False),
    "ratings.csv": (",", True),
    "ratings.tsv": ("\t", True),
}


@pytest.mark.parametrize("compression", ["", ".gz", ".bz2", ".xz", ".zip"])
@pytest.mark.parametrize("name", LAYOUTS)
def test_tables_are_read_by_extension(tmp_path, name, compression):
    frame = interactions()
    path = write(frame, tmp_path / f"{name}{compression}", *LAYOUTS[name])
    read = _io.read_table(path, text_columns=["user", "item"])
    assert read.columns.tolist() == COLUMNS  # from the header, or in MovieLens's order
    assert read["user"].tolist() == frame["user"].tolist()  # text: "007" stays "007"
    assert read["item"].tolist() == frame["item"].tolist()
    np.testing.assert_array_equal(read["rating"], frame["rating"])
    np.testing.assert_array_equal(read["timestamp"], frame["timestamp"])


def test_a_headerless_file_names_its_columns_in_movielens_order(tmp_path):
    frame = interactions().head(5)
    write(frame[["user", "item", "rating"]], tmp_path / "three.dat", "::", header=False)
    assert _io.read_table(tmp_path / "three.dat").columns.tolist() == ["user", "item", "rating"]
    wide = frame.assign(genre="drama", source="web")
    write(wide, tmp_path / "wide.data", "\t", header=False)
    read = _io.read_table(tmp_path / "wide.data", text_columns=["col5"])
    assert read.columns.tolist() == [*COLUMNS, "col4", "col5"]
    assert read["col5"].tolist() == ["web"] * 5


def test_a_double_colon_file_keeps_single_colons_in_its_fields(tmp_path):
    # MovieLens's ids hold no ":", but text ids may: only "::" separates.
    frame = pd.DataFrame({"user": ["a:b", "c"], "item": ["x", ":i:2"], "rating": [5, 4]})
    write(frame, tmp_path / "ratings.dat", "::", header=False)
    read = _io.read_table(tmp_path / "ratings.dat", text_columns=["user", "item"])
    assert read["user"].tolist() == ["a:b", "c"] and read["item"].tolist() == ["x", ":i:2"]
    # A field holding the character the separator is read as goes the slow, exact way.
    frame.loc[0, "user"] = "a\x1fb"
    write(frame, tmp_path / "odd.dat.gz", "::", header=False)
    read = _io.read_table(tmp_path / "odd.dat.gz", text_columns=["user", "item"])
    assert read["user"].tolist() == ["a\x1fb", "c"] and read["item"].tolist() == ["x", ":i:2"]


@pytest.mark.parametrize(
    ("name", "sep", "header", "options"),
    [
        ("ratings.txt", ",", True, ["--sep", ","]),  # another extension, with --sep
        ("ml-1m.test.rating", "\t", False, ["--sep", "\\t", "--no-header"]),  # \t as typed
        ("ratings.rating.gz", "\t", False, ["--sep", "tab", "--no-header"]),
        ("ratings.csv", ";", True, ["--sep", ";"]),  # in place of the extension's
        ("ratings.csv", "||", True, ["--sep", "||"]),  # of several characters
        ("ratings.csv", ",", False, ["--no-header"]),
        ("ratings.data", "\t", True, ["--header"]),
    ],
)
def test_sep_and_header_options(tmp_path, capsys, name, sep, header, options):
    frame = interactions()
    write(frame, tmp_path / name, sep, header)
    model = tmp_path / "model.joblib"
    argv = ["fit", tmp_path / name, "-o", model, "--rating-col", "rating", *options, *TRAIN]
    code, _, err = run(argv, capsys)
    assert code == 0, err
    assert sorted(joblib.load(model).users_) == sorted(frame["user"].unique())  # text ids


def test_fit_recommend_evaluate_on_movielens_files(tmp_path, capsys):
    frame = interactions()
    train, test = next(UserHoldoutSplit(random_state=0).split(frame))
    write(frame.iloc[train], tmp_path / "u1.base", "\t", header=False)
    write(frame.iloc[test], tmp_path / "ratings.dat.gz", "::", header=False)
    write(frame.iloc[test][["user"]].drop_duplicates(), tmp_path / "users.csv", ",", False)
    model = tmp_path / "model.joblib"
    argv = ["fit", tmp_path / "u1.base", "-o", model, "--rating-col", "rating", *TRAIN]
    assert run(argv, capsys)[0] == 0
    assert "007" in joblib.load(model).users_  # read as text, as from a CSV file
    argv = ["evaluate", model, tmp_path / "ratings.dat.gz", "--rating-col", "rating"]
    code, out, err = run([*argv, "--format", "json"], capsys)
    assert code == 0, err
    assert json_value(out, "interactions") == len(test)
    # A headerless users file keeps its first user, which a header row would take.
    argv = ["recommend", model, "--users-file", tmp_path / "users.csv", "--no-header", "-n", 1]
    code, out, _ = run(argv, capsys)
    assert code == 0
    users = pd.read_csv(io.StringIO(out), dtype=str)["user"]
    assert users.tolist() == frame.iloc[test]["user"].drop_duplicates().tolist()

    # --int-ids reads the ids of any format as integers.
    numbers = frame.assign(item=frame["item"].str[1:])  # "i07" -> "07"
    write(numbers, tmp_path / "u.data", "\t", header=False)
    argv = ["fit", tmp_path / "u.data", "-o", model, "--int-ids", *TRAIN]
    assert run(argv, capsys)[0] == 0
    fitted = joblib.load(model)
    assert fitted.users_.dtype == fitted.items_.dtype == np.int64
    assert 7 in fitted.users_


def json_value(out, key):
    return pd.read_json(io.StringIO(out), typ="series")[key]


# -- writing -------------------------------------------------------------------------------


def test_lists_are_written_as_tsv(model_file, tmp_path, capsys):
    argv = ["recommend", model_file, "007", "-n", 2, "--include-seen"]
    code, out, _ = run([*argv, "--format", "tsv"], capsys)
    assert code == 0
    assert out.splitlines()[0] == "user\trank\titem\tscore"
    assert run([*argv, "-o", tmp_path / "lists.tsv"], capsys)[0] == 0
    lists = pd.read_csv(tmp_path / "lists.tsv", sep="\t", dtype={"user": str})
    assert lists["user"].tolist() == ["007", "007"]


# -- errors --------------------------------------------------------------------------------


def error_cases(tmp_path, model_file):
    """(argv, the one-line message or a fragment of it) for each error of the files."""
    frame = interactions()
    data = write(frame, tmp_path / "u.data", "\t", header=False)
    csv = write(frame, tmp_path / "ratings.csv", ",", header=True)
    frame.to_parquet(tmp_path / "ratings.parquet")
    (tmp_path / "ratings.parquet.gz").write_bytes(b"")
    (tmp_path / "notes.xlsx").write_text("")
    (tmp_path / "users.txt").write_text("007\n")
    (tmp_path / "bad.csv.gz").write_bytes(b"not gzip")
    (tmp_path / "two.csv.zip").write_bytes(_zip({"a.csv": b"user,item\n1,2\n", "b.csv": b""}))
    (tmp_path / "two.dat.zip").write_bytes(_zip({"a.dat": b"1::2\n", "b.dat": b""}))
    model = tmp_path / "m.joblib"
    formats = ".csv, .tsv, .data, .base, .test, .dat, .parquet, .pq"
    first_row = ", ".join(repr(str(value)) for value in frame.iloc[0])
    return [
        (
            ["fit", tmp_path / "notes.xlsx", "-o", model],
            f"{tmp_path / 'notes.xlsx'}: unsupported file type '.xlsx'; expected one of "
            f"{formats} (the text ones may be compressed: .gz, .bz2, .xz, .zip), or pass "
            "--sep SEP to read another delimited text file.",
        ),
        (["fit", tmp_path / "ratings.parquet.gz", "-o", model], "type '.parquet.gz'; expected"),
        (
            ["fit", tmp_path / "ratings.parquet", "-o", model, "--sep", ","],
            f"{tmp_path / 'ratings.parquet'}: --sep applies to delimited text files, not to "
            "Parquet, which stores its columns with their names.",
        ),
        (
            ["evaluate", model_file, tmp_path / "ratings.parquet", "--no-header", "--sep", ";"],
            "--sep and --no-header apply to delimited text files, not to Parquet",
        ),
        (["fit", csv, "-o", model, "--sep", ""], "argument --sep: expected a field separator"),
        (
            ["fit", data, "-o", model, "--header"],
            f"no column 'user' (--user-col); the columns are {first_row}. The first row "
            "looks like data: pass --no-header if the file has no header row.",
        ),
        (
            ["fit", data, "-o", model, "--sep", ","],
            "no column 'item' (--item-col); the columns are 'user'. One column only: is the "
            "separator right (--sep)?",
        ),
        (["fit", tmp_path / "bad.csv.gz", "-o", model], "bad.csv.gz: cannot read the file"),
        (["fit", tmp_path / "two.csv.zip", "-o", model], "two.csv.zip: cannot read the file"),
        (
            ["fit", tmp_path / "two.dat.zip", "-o", model],
            f"{tmp_path / 'two.dat.zip'}: expected one file in the archive, found 2.",
        ),
        (
            ["recommend", model_file, "007", "--no-header"],
            "--no-header applies to --users-file, which is not given.",
        ),
        (
            ["recommend", model_file, "--users-file", tmp_path / "users.txt", "--sep", ","],
            "users.txt: a .txt file holds one user id per line; --sep applies to tables",
        ),
    ]


def test_errors_are_one_line_with_exit_code_2(tmp_path, model_file, capsys):
    for argv, message in error_cases(tmp_path, model_file):
        code, out, err = run(argv, capsys)
        assert code == 2, (argv, err)
        assert out == "", argv
        assert err.count("\n") == 1 and err.startswith("sklearn-rec"), err
        assert message in err, (message, err)
