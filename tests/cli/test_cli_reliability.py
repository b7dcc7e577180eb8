"""Reliability of the command line: interrupts, files written whole, ids, formats, devices.

Each test keeps one case of a reliability review as a regression test; the
estimators' cases are in ``tests/test_reliability.py``.
"""

import io
import json
import logging
import re
import signal
import socket
import subprocess
import sys

import joblib
import numpy as np
import pandas as pd
import pooch
import pytest
import torch
from _cli import run
from skorch.callbacks import Callback

from sklearn_rec import MatrixFactorization
from sklearn_rec.cli import _commands, _demo, _io, main
from sklearn_rec.datasets import make_interactions

TRAIN = ["--epochs", "3", "--random-state", "0", "--threads", "1"]


@pytest.fixture(scope="module")
def ratings_csv(tmp_path_factory):
    X, y = make_interactions(n_users=30, n_items=20, n_interactions=500, random_state=0)
    path = tmp_path_factory.mktemp("data") / "ratings.csv"
    X.assign(rating=y).to_csv(path, index=False)
    return path


class _CtrlC(Callback):
    """Sends SIGINT, as Ctrl-C does, at the end of the second epoch."""

    def on_epoch_end(self, net, **kwargs):
        if len(net.history) == 2:
            signal.raise_signal(signal.SIGINT)


def _folder_listing(folder):
    return sorted(path.name for path in folder.iterdir())


# -- 1. Ctrl-C during fit -----------------------------------------------------------------


def test_ctrl_c_during_fit_saves_nothing_and_exits_130(ratings_csv, tmp_path, monkeypatch, capsys):
    output = tmp_path / "model.joblib"
    output.write_bytes(b"the previous model")
    # The progress bar is the callback the command line always adds: it sends the Ctrl-C.
    monkeypatch.setattr(_commands, "EpochProgressBar", _CtrlC)
    code, out, err = run(
        ["fit", ratings_csv, "-o", output, "--rating-col", "rating", *TRAIN], capsys
    )
    assert code == 130
    assert err.strip() == "sklearn-rec fit: interrupted; no model was saved."
    assert "saved to" not in out
    assert output.read_bytes() == b"the previous model"
    assert _folder_listing(tmp_path) == ["model.joblib"]


# -- 2. files replaced whole ----------------------------------------------------------------


def test_ctrl_c_while_saving_keeps_the_old_model(ratings_csv, tmp_path, monkeypatch, capsys):
    output = tmp_path / "model.joblib"
    output.write_bytes(b"the previous model")

    def dump_then_interrupt(model, path, **kwargs):
        with open(path, "wb") as f:
            f.write(b"half a model")
        raise KeyboardInterrupt

    monkeypatch.setattr(_io.joblib, "dump", dump_then_interrupt)
    argv = ["fit", ratings_csv, "-o", output, "--rating-col", "rating", "--quiet", *TRAIN]
    code, _, _ = run(argv, capsys)
    assert code == 130
    assert output.read_bytes() == b"the previous model"
    assert _folder_listing(tmp_path) == ["model.joblib"]


def test_lists_are_replaced_whole(ratings_csv, tmp_path, monkeypatch, capsys):
    model = tmp_path / "model.joblib"
    argv = ["fit", ratings_csv, "-o", model, "--rating-col", "rating", "--quiet", *TRAIN]
    assert run(argv, capsys)[0] == 0
    lists = tmp_path / "lists.csv"
    lists.write_text("old lists\n")

    write_text = _io.Path.write_text

    def interrupted(path, text, encoding=None):
        write_text(path, text[:10], encoding=encoding)
        raise KeyboardInterrupt

    monkeypatch.setattr(_io.Path, "write_text", interrupted)
    assert run(["recommend", model, "1", "-o", lists], capsys)[0] == 130
    monkeypatch.undo()
    assert lists.read_text() == "old lists\n"
    assert _folder_listing(tmp_path) == ["lists.csv", "model.joblib"]
    assert run(["recommend", model, "1", "-o", lists], capsys)[0] == 0
    assert lists.read_text().startswith("user,rank,item,score\n1,1,")


# -- 3. an output that is an input --------------------------------------------------------


def test_an_output_that_is_an_input_is_refused(ratings_csv, tmp_path, capsys):
    data = tmp_path / "data.csv"
    data.write_bytes(ratings_csv.read_bytes())
    argv = ["fit", data, "-o", tmp_path / "." / "data.csv", "--rating-col", "rating", *TRAIN]
    code, _, err = run(argv, capsys)
    assert code == 2
    assert "the output file is the interactions file" in err
    assert data.read_bytes() == ratings_csv.read_bytes()
    (tmp_path / "link.csv").symlink_to(data)
    argv[3] = tmp_path / "link.csv"
    assert run(argv, capsys)[0] == 2
    assert data.read_bytes() == ratings_csv.read_bytes()

    model = tmp_path / "model.joblib"
    argv = ["fit", data, "-o", model, "--rating-col", "rating", "--quiet", *TRAIN]
    assert run(argv, capsys)[0] == 0
    saved = model.read_bytes()
    code, _, err = run(["recommend", model, "1", "-o", model], capsys)
    assert code == 2
    assert "the output file is the model file" in err
    users = tmp_path / "users.txt"
    users.write_text("1\n2\n")
    code, _, err = run(["recommend", model, "--users-file", users, "-o", users], capsys)
    assert code == 2
    assert "the output file is the users file" in err
    assert model.read_bytes() == saved
    assert users.read_text() == "1\n2\n"


# -- 4. ids: text unless asked for integers, the same path at fit and at query -------------


def _id_files(tmp_path, users, items):
    """A training file of ratings and a test file of one row per user, ids as given (text)."""
    X, y = make_interactions(n_users=30, n_items=20, n_interactions=500, random_state=0)
    frame = pd.DataFrame(
        {"user": np.asarray(users)[X.user], "item": np.asarray(items)[X.item], "rating": y}
    )
    frame.to_csv(tmp_path / "train.csv", index=False)
    frame.groupby("user").head(1).to_csv(tmp_path / "test.csv", index=False)
    return frame


def _fit(tmp_path, capsys, *extra):
    model = tmp_path / "model.joblib"
    argv = ["fit", tmp_path / "train.csv", "-o", model, "--rating-col", "rating", "--quiet"]
    code, _, err = run([*argv, *TRAIN, *extra], capsys)
    assert code == 0, err
    return model


def test_ids_that_differ_in_leading_zeros_stay_apart(tmp_path, capsys):
    users = [f"{u:05d}" for u in range(30)]
    users[1] = "0"  # "00000" and "0" are two users
    frame = _id_files(tmp_path, users, [f"i{i:03d}" for i in range(20)])
    model = _fit(tmp_path, capsys)
    assert sorted(joblib.load(model).users_) == sorted(users)
    code, out, _ = run(["recommend", model, "00000", "0", "-n", "2"], capsys)
    assert code == 0
    lists = pd.read_csv(io.StringIO(out), dtype=str)
    assert lists.user.tolist() == ["00000", "00000", "0", "0"]
    code, out, _ = run(["evaluate", model, tmp_path / "test.csv", "--format", "json"], capsys)
    assert code == 0
    assert json.loads(out)["users"] == frame.user.nunique() == 30


@pytest.mark.parametrize("first_item", [2**63 + 5, 10**22], ids=["above int64", "23 digits"])
def test_ids_beyond_int64_round_trip(tmp_path, capsys, first_item):
    items = [str(first_item + i) for i in range(20)]
    _id_files(tmp_path, [str(u) for u in range(30)], items)
    model = _fit(tmp_path, capsys)
    assert sorted(joblib.load(model).items_) == sorted(items)
    code, out, _ = run(["recommend", model, "0", "-n", "3"], capsys)
    assert code == 0
    assert set(pd.read_csv(io.StringIO(out), dtype=str).item) <= set(items)
    code, out, err = run(["evaluate", model, tmp_path / "test.csv"], capsys)
    assert code == 0, err
    # With --int-ids such an id is an error that names it, never a wrapped number.
    argv = ["fit", tmp_path / "train.csv", "-o", tmp_path / "i.joblib", "--int-ids"]
    code, _, err = run(argv, capsys)
    assert code == 2
    assert re.search(r"item id '\d{19,}' is not an integer from -9223372036854775808 to", err)
    assert not (tmp_path / "i.joblib").exists()


def test_int_ids_are_integers_at_fit_and_at_query(tmp_path, capsys):
    _id_files(tmp_path, [f"{u:03d}" for u in range(30)], [str(i) for i in range(20)])
    model = _fit(tmp_path, capsys, "--int-ids")
    fitted = joblib.load(model)
    assert fitted.users_.dtype == np.int64 and fitted.users_.tolist() == list(range(30))
    code, out, _ = run(["recommend", model, "007", "7", "-n", "2"], capsys)
    assert code == 0
    assert pd.read_csv(io.StringIO(out)).user.tolist() == [7, 7]  # one user, asked twice
    code, _, err = run(["recommend", model, "7.0"], capsys)
    assert code == 2
    assert "user id '7.0' is not an integer" in err and "the model's user ids are integers" in err
    assert run(["evaluate", model, tmp_path / "test.csv"], capsys)[0] == 0


def test_a_python_model_with_uint64_ids_is_served(tmp_path, capsys):
    X, y = make_interactions(n_users=30, n_items=20, n_interactions=500, random_state=0)
    X = X.assign(item=X["item"].astype(np.uint64) + np.uint64(2**63))
    model = MatrixFactorization(max_epochs=2, random_state=0).fit(X, y)
    joblib.dump(model, tmp_path / "model.joblib")
    X.assign(rating=y).to_csv(tmp_path / "test.csv", index=False)
    code, out, err = run(["evaluate", tmp_path / "model.joblib", tmp_path / "test.csv"], capsys)
    assert code == 0, err
    code, out, _ = run(["recommend", tmp_path / "model.joblib", "0", "--include-seen"], capsys)
    assert code == 0
    assert set(pd.read_csv(io.StringIO(out), dtype=str).item) <= set(map(str, model.items_))


# -- 9. the format of the lists follows the extension ---------------------------------------


@pytest.fixture(scope="module")
def model_file(ratings_csv, tmp_path_factory):
    path = tmp_path_factory.mktemp("model") / "model.joblib"
    argv = ["fit", ratings_csv, "-o", path, "--rating-col", "rating", "--quiet", *TRAIN]
    assert main([str(arg) for arg in argv]) == 0
    return path


@pytest.mark.parametrize("suffix", [".parquet", ".pq", ".csv", ".json"])
def test_lists_are_written_in_the_format_of_the_extension(model_file, tmp_path, capsys, suffix):
    output = tmp_path / f"lists{suffix}"
    argv = ["recommend", model_file, "1", "2", "-n", "3", "--include-seen", "-o", output]
    code, out, _ = run(argv, capsys)
    assert code == 0 and out == ""
    if suffix in (".parquet", ".pq"):
        lists = pd.read_parquet(output)
    elif suffix == ".csv":
        lists = pd.read_csv(output, dtype={"user": str, "item": str})
    else:
        lists = pd.DataFrame(
            [(e["user"], item) for e in json.loads(output.read_text()) for item in e["items"]],
            columns=["user", "item"],
        )
    assert lists["user"].tolist() == ["1"] * 3 + ["2"] * 3
    assert len(lists["item"]) == 6


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["-o", "lists.xlsx"], "unknown output extension '.xlsx'; use one of .csv, .tsv, .json"),
        (["-o", "lists.parquet", "--format", "csv"], "--format csv contradicts the extension"),
        (["--format", "parquet"], "--format parquet writes a binary file: name it with -o FILE"),
    ],
)
def test_an_output_format_that_cannot_be_honoured_is_an_error(
    model_file, tmp_path, capsys, argv, message
):
    argv = [arg if not arg.startswith("lists") else tmp_path / arg for arg in argv]
    code, out, err = run(["recommend", model_file, "1", *argv], capsys)
    assert code == 2 and out == ""
    assert message in err
    assert list(tmp_path.iterdir()) == []


def test_an_unknown_extension_with_a_format_is_written(model_file, tmp_path, capsys):
    output = tmp_path / "lists.txt"
    assert run(["recommend", model_file, "1", "-o", output, "--format", "csv"], capsys)[0] == 0
    assert output.read_text().startswith("user,rank,item,score\n")


# -- 10. a device this machine does not have ------------------------------------------------


def _unavailable_devices():
    devices = ["tpu", "cuda:99"]
    if not torch.cuda.is_available():
        devices.append("cuda")
    if not torch.backends.mps.is_available():
        devices.append("mps")
    return devices


@pytest.mark.parametrize("device", _unavailable_devices())
def test_a_device_that_is_not_there_is_one_line_and_exit_2(ratings_csv, tmp_path, capsys, device):
    output = tmp_path / "model.joblib"
    for option in (["--device", device], ["--param", f"device={device}"]):
        argv = ["fit", ratings_csv, "-o", output, "--quiet", *TRAIN, *option]
        code, out, err = run(argv, capsys)
        assert code == 2 and out == ""
        assert err.count("\n") == 1
        assert err.startswith(f"sklearn-rec fit: error: --device {device}: not ")
        assert "Use" in err
    assert not output.exists()


# -- 14. fallback lists are flagged ----------------------------------------------------------


@pytest.mark.parametrize("suffix", [".csv", ".json"])
def test_fallback_lists_are_flagged(model_file, tmp_path, capsys, suffix):
    output = tmp_path / f"lists{suffix}"
    argv = ["recommend", model_file, "1", "unknown", "-n", "2", "--fallback", "-o", output]
    assert run(argv, capsys)[0] == 0
    if suffix == ".csv":
        lists = pd.read_csv(output, dtype={"user": str})
        assert list(lists.columns) == ["user", "rank", "item", "score", "fallback"]
        assert lists.groupby("user").fallback.all().to_dict() == {"1": False, "unknown": True}
    else:
        lists = json.loads(output.read_text())
        assert [(entry["user"], entry["fallback"]) for entry in lists] == [
            ("1", False),
            ("unknown", True),
        ]
    # Without --fallback no list is the fallback's, and no column says so.
    assert run(["recommend", model_file, "1", "-o", tmp_path / "plain.csv"], capsys)[0] == 0
    assert pd.read_csv(tmp_path / "plain.csv").columns.tolist() == ["user", "rank", "item", "score"]


# -- 15. an offline demo fails in one line ---------------------------------------------------


_OFFLINE_DEMO = """
import sys
from sklearn_rec.cli import main
from sklearn_rec.datasets import _base, _movielens
remote = _movielens.ARCHIVES["100k"]
_movielens.ARCHIVES["100k"] = remote._replace(url=sys.argv[1])
_base.time.sleep = lambda seconds: None
sys.exit(main(["demo", "--data-home", sys.argv[2], "-o", sys.argv[3]]))
"""


def test_an_offline_demo_is_one_line_after_its_retries(tmp_path):
    with socket.socket() as sock:  # a port nothing listens on
        sock.bind(("127.0.0.1", 0))
        url = f"http://127.0.0.1:{sock.getsockname()[1]}/ml-100k.zip"
    # A process of its own: pooch's log handler holds the stderr it started with.
    argv = [sys.executable, "-c", _OFFLINE_DEMO, url, str(tmp_path), str(tmp_path / "plots")]
    result = subprocess.run(argv, capture_output=True, text=True, timeout=120, check=False)
    assert result.returncode == 2 and result.stdout == ""
    assert result.stderr.count("\n") == 1, result.stderr
    assert result.stderr.startswith("sklearn-rec demo: error: MovieLens-100K is not in")


def test_the_download_log_shows_when_the_download_works(capsys):
    with _demo._download_log_on_success():
        pooch.get_logger().info("Downloading data from 'x'")
        logging.getLogger("sklearn_rec.datasets._base").warning("retrying in 1 s")
        assert capsys.readouterr().err == ""  # held until the download is done
    assert capsys.readouterr().err == "Downloading data from 'x'\nretrying in 1 s\n"
