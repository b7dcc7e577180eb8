"""Files of the command line: MovieLens's formats, compression, --sep and --header, the
formats written, and the split command.

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
from _cli import run

from sklearn_rec.cli import _io, main
from sklearn_rec.datasets import make_interactions
from sklearn_rec.model_selection import LeaveLastOutSplit, UserHoldoutSplit

TRAIN = ["--epochs", "2", "--random-state", "0", "--threads", "1", "--quiet"]
COLUMNS = ["user", "item", "rating", "timestamp"]


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


# -- split ---------------------------------------------------------------------------------


@pytest.fixture
def ratings_data(tmp_path):
    """A u.data file of ``interactions()``."""
    return write(interactions(), tmp_path / "u.data", "\t", header=False)


def read_back(path):
    """A table written by split, ids as text."""
    if path.suffix in (".parquet", ".pq"):
        return pd.read_parquet(path)
    sep = "\t" if ".tsv" in path.suffixes else ","
    return pd.read_csv(path, sep=sep, dtype={"user": str, "item": str})


def test_split_holds_out_part_of_each_users_interactions(ratings_data, tmp_path, capsys):
    train, test = tmp_path / "train.csv", tmp_path / "test.csv"
    argv = ["split", ratings_data, "--test-size", 0.25, "--random-state", 3]
    code, out, err = run([*argv, "-o", train, "--test-output", test], capsys)
    assert code == 0 and out == ""
    frame = interactions()
    expected_train, expected_test = next(
        UserHoldoutSplit(test_size=0.25, random_state=3).split(frame)
    )
    # Every column kept, ids as written, the rows in their order.
    pd.testing.assert_frame_equal(
        read_back(train), frame.iloc[expected_train].reset_index(drop=True)
    )
    pd.testing.assert_frame_equal(read_back(test), frame.iloc[expected_test].reset_index(drop=True))
    n_users = frame["user"].nunique()
    assert err == (
        f"Split {ratings_data}: {len(expected_train)} training interactions of {n_users} users to "
        f"{train}, {len(expected_test)} test interactions of "
        f"{frame.iloc[expected_test]['user'].nunique()} users to {test}.\n"
    )

    # The same seed gives the same files; another seed others.
    first = train.read_bytes(), test.read_bytes()
    assert run([*argv, "-o", train, "--test-output", test, "-q"], capsys) == (0, "", "")
    assert (train.read_bytes(), test.read_bytes()) == first
    argv[-1] = 4
    assert run([*argv, "-o", train, "--test-output", test, "-q"], capsys)[0] == 0
    assert train.read_bytes() != first[0]


def test_split_holds_out_the_latest_interactions(tmp_path, capsys):
    frame = interactions().rename(columns={"user": "uid", "timestamp": "when"})
    # Dates as text are times too.
    frame["when"] = pd.to_datetime(frame["when"], unit="s").dt.strftime("%Y-%m-%d %H:%M:%S")
    write(frame, tmp_path / "ratings.csv", ",", header=True)
    train, test = tmp_path / "train.tsv", tmp_path / "test.parquet"
    argv = ["split", tmp_path / "ratings.csv", "--method", "last", "--test-size", 2, "-q"]
    argv += ["--user-col", "uid", "--time-col", "when", "-o", train, "--test-output", test]
    code, out, err = run(argv, capsys)
    assert (code, out, err) == (0, "", "")
    X = frame[["uid", "item"]].assign(when=pd.to_datetime(frame["when"]))
    expected_train, expected_test = next(LeaveLastOutSplit(n_test=2, time_column="when").split(X))
    read = pd.read_csv(train, sep="\t", dtype={"uid": str, "item": str})
    pd.testing.assert_frame_equal(read, frame.iloc[expected_train].reset_index(drop=True))
    held_out = pd.read_parquet(test)
    assert held_out[["uid", "item"]].values.tolist() == (
        frame.iloc[expected_test][["uid", "item"]].values.tolist()
    )
    assert held_out.groupby("uid").size().max() == 2


@pytest.mark.parametrize(
    "names", [("train.csv.gz", "test.tsv.bz2"), ("train.pq", "test.csv.xz"), ("a.csv.zip", "b.tsv")]
)
def test_split_writes_the_format_of_each_extension(ratings_data, tmp_path, capsys, names):
    train, test = (tmp_path / name for name in names)
    argv = ["split", ratings_data, "--random-state", 0, "-o", train, "--test-output", test]
    assert run(argv, capsys)[0] == 0
    parts = pd.concat([read_back(train), read_back(test)])
    assert parts.columns.tolist() == COLUMNS
    assert sorted(parts.astype({"user": str, "item": str}).values.tolist()) == sorted(
        interactions().values.tolist()
    )
    if names[0].endswith(".zip"):
        assert zipfile.ZipFile(train).namelist() == ["a.csv"]
    # Parquet keeps the types of a Parquet input.
    frame = interactions().assign(user=lambda f: f["user"].astype(np.int64))
    frame.to_parquet(tmp_path / "in.parquet")
    argv = ["split", tmp_path / "in.parquet", "-o", tmp_path / "out.parquet", "--test-output"]
    assert run([*argv, tmp_path / "t.parquet", "-q"], capsys)[0] == 0
    assert pd.read_parquet(tmp_path / "out.parquet")["user"].dtype == np.int64


def test_split_writes_both_files_or_neither(ratings_data, tmp_path, monkeypatch, capsys):
    def no_parquet(*args, **kwargs):
        raise ImportError("no pyarrow")

    monkeypatch.setattr(pd.DataFrame, "to_parquet", no_parquet)
    train, test = tmp_path / "train.csv", tmp_path / "test.parquet"
    code, _, err = run(["split", ratings_data, "-o", train, "--test-output", test], capsys)
    assert code == 2
    assert err == (
        f"sklearn-rec split: error: {test}: writing Parquet needs pyarrow or fastparquet "
        "(pip install pyarrow).\n"
    )
    assert sorted(path.name for path in tmp_path.iterdir()) == ["u.data"]


# -- evaluate: test interactions seen in training --------------------------------------------


def test_evaluate_notes_test_interactions_seen_in_training(model_file, tmp_path, capsys):
    seen = interactions()  # the training data of model_file
    write(seen, tmp_path / "seen.csv", ",", header=True)
    code, out, err = run(["evaluate", model_file, tmp_path / "seen.csv"], capsys)
    assert code == 0 and "NDCG@10    0.000" in out
    assert err == (
        f"note: all {len(seen)} test interactions are in the model's training data, whose "
        "items are left out of the rankings; evaluate on held-out interactions (sklearn-rec "
        "split).\n"
    )
    # Most of them: still a note, with the count.
    users, items = seen["user"].unique(), seen["item"].unique()
    pairs = set(zip(seen["user"], seen["item"], strict=True))
    unseen = [(u, i) for u in users for i in items if (u, i) not in pairs][:100]
    mixed = pd.concat([seen, pd.DataFrame(unseen, columns=["user", "item"])])
    write(mixed[["user", "item"]], tmp_path / "mixed.csv", ",", header=True)
    code, _, err = run(["evaluate", model_file, tmp_path / "mixed.csv"], capsys)
    assert code == 0
    assert err.startswith(f"note: {len(seen)} of the {len(mixed)} test interactions are in")
    # Held-out interactions: no note.
    write(pd.DataFrame(unseen, columns=["user", "item"]), tmp_path / "new.csv", ",", True)
    code, out, err = run(["evaluate", model_file, tmp_path / "new.csv"], capsys)
    assert code == 0 and err == ""


# -- errors --------------------------------------------------------------------------------


def error_cases(tmp_path, model_file):
    """(argv, the one-line message or a fragment of it) for each error of files and split."""
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
    write(frame.drop(columns="timestamp"), tmp_path / "no_time.dat", "::", header=False)
    write(frame.assign(timestamp="soon"), tmp_path / "text_time.csv", ",", header=True)
    write(frame.assign(user=""), tmp_path / "no_user.csv", ",", header=True)
    model = tmp_path / "m.joblib"
    train, test = tmp_path / "train.csv", tmp_path / "test.csv"
    split = ["split", data, "-o", train, "--test-output", test]
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
        # split
        (
            [*split[:3], tmp_path / "train.xlsx", *split[4:]],
            f"{tmp_path / 'train.xlsx'}: cannot write a table of extension '.xlsx'; use one of "
            ".csv, .tsv, .parquet, .pq (.csv and .tsv may be compressed: .gz, .bz2, .xz, .zip).",
        ),
        ([*split[:3], tmp_path / "train.data", *split[4:]], "extension '.data'; use one of"),
        ([*split[:5], tmp_path / "t.parquet.gz"], "extension '.parquet.gz'; use one of"),
        ([*split[:3], data, *split[4:]], "the output file is the interactions file"),
        ([*split[:5], tmp_path / "." / "train.csv"], "--test-output is also the training file"),
        ([*split[:3], tmp_path / "no" / "train.csv", *split[4:]], "the folder"),
        ([*split, "--test-size", "0"], "argument --test-size: expected a fraction between 0 and"),
        ([*split, "--test-size", "1.5"], "expected a fraction between 0 and 1 or a count"),
        ([*split, "--method", "latest"], "argument --method: invalid choice: 'latest'"),
        (
            [*split, "--method", "last", "--test-size", "0.2"],
            "--test-size 0.2: --method last holds out each user's latest interactions, so it "
            "takes a count of them (an integer, such as 1), not a fraction.",
        ),
        (
            ["split", tmp_path / "no_time.dat", *split[2:], "--method", "last"],
            f"{tmp_path / 'no_time.dat'}: no column 'timestamp' (--time-col: --method last needs "
            "the time of each interaction); the columns are 'user', 'item', 'rating'.",
        ),
        (
            ["split", tmp_path / "text_time.csv", *split[2:], "--method", "last"],
            "text_time.csv: the time column 'timestamp' holds 'soon', which is neither a number "
            "nor a date.",
        ),
        (
            ["split", tmp_path / "no_user.csv", *split[2:]],
            "no_user.csv: The user ids contain NaN or None",
        ),
        (["split", csv, *split[2:], "--item-col", "movie"], "no column 'movie' (--item-col)"),
    ]


def test_errors_are_one_line_with_exit_code_2(tmp_path, model_file, capsys):
    for argv, message in error_cases(tmp_path, model_file):
        code, out, err = run(argv, capsys)
        assert code == 2, (argv, err)
        assert out == "", argv
        assert err.count("\n") == 1 and err.startswith("sklearn-rec"), err
        assert message in err, (message, err)
        assert not (tmp_path / "train.csv").exists() and not (tmp_path / "test.csv").exists()
