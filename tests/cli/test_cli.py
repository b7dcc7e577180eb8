"""The command line: demo, fit, recommend, evaluate, and its errors."""

import io
import json
import os
import re
import subprocess
import sys

import joblib
import numpy as np
import pandas as pd
import pytest
import torch
from _cli import run
from matplotlib.image import imread

from sklearn_rec import MatrixFactorization
from sklearn_rec.cli import main
from sklearn_rec.datasets import make_interactions
from sklearn_rec.model_selection import UserHoldoutSplit
from sklearn_rec.models import _progress

# One thread: the data is tiny, and extra threads only contend on a busy machine.
TRAIN = ["--epochs", "2", "--random-state", "0", "--threads", "1", "--quiet"]
COLUMNS = ["--user-col", "uid", "--item-col", "iid"]


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    """Train and test interactions with ratings, as CSV files, and the train frame."""
    folder = tmp_path_factory.mktemp("interactions")
    X, y = make_interactions(n_users=30, n_items=20, n_interactions=500, random_state=0)
    frame = X.rename(columns={"user": "uid", "item": "iid"}).assign(stars=y)
    train, test = next(UserHoldoutSplit(random_state=0).split(frame))
    frame.iloc[train].to_csv(folder / "train.csv", index=False)
    frame.iloc[test].to_csv(folder / "test.csv", index=False)
    return {
        "train.csv": folder / "train.csv",
        "test.csv": folder / "test.csv",
        "frame": frame.iloc[train],
    }


@pytest.fixture(scope="module")
def model_path(files, tmp_path_factory):
    """A MatrixFactorization (loss mse) saved by ``fit``."""
    path = tmp_path_factory.mktemp("model") / "mf.joblib"
    argv = ["fit", files["train.csv"], "-o", path, *COLUMNS, "--rating-col", "stars", *TRAIN]
    assert main([str(arg) for arg in argv]) == 0
    return path


# -- demo ------------------------------------------------------------------------------


def test_demo(movielens_home, tmp_path, capsys):
    output = tmp_path / "plots"
    argv = ["demo", "--data-home", movielens_home, "-o", output]
    code, out, err = run(argv, capsys)
    assert code == 0
    assert "Tuning NeuralRecommender" in err  # the progress bar

    lines = out.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("model "))
    header = lines[start].split()
    assert header[1:] == ["RMSE", "NDCG@10", "Recall@10", "HR@10", "fit", "s"]
    rows = {}
    for line in lines[start + 2 : start + 6]:
        name, *values = line.rsplit(maxsplit=5)
        rows[name] = [None if value == "-" else float(value) for value in values]
    assert list(rows) == [
        "Baseline (popularity / global mean)",
        "MatrixFactorization(loss='mse')",
        "MatrixFactorization(loss='bpr')",
        "NeuralRecommender(neumf)",
    ]
    baseline, mse, bpr, neural = rows.values()
    assert mse[0] < baseline[0]  # RMSE, for the rating model only
    assert bpr[0] is None and neural[0] is None
    for row in rows.values():
        assert all(0 <= value <= 1 for value in row[1:4])
    # The point of the demo: a tuned ranking model beats popularity.
    assert max(bpr[1], neural[1]) > baseline[1]

    first = next(i for i, line in enumerate(lines) if line.startswith("User ")) + 1
    for rank, line in enumerate(lines[first : first + 10], start=1):
        assert line.startswith(f"  {rank:2d}. ")
        assert re.search(r"\(\d{4}\)", line)  # film titles with their year, not ids

    for name in ("learning_curves.png", "comparison.png"):
        path = output / name
        assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
        image = imread(path)
        assert image.ndim == 3 and min(image.shape[:2]) > 100


def test_demo_without_data_says_where_to_put_it(tmp_path, monkeypatch, capsys):
    def offline(remote, data_home, **kwargs):
        raise OSError(f"Could not download {remote.url} (2 attempts): no network")

    monkeypatch.setattr("sklearn_rec.datasets._movielens.fetch_archive", offline)
    monkeypatch.setenv("SKLEARN_REC_DATA", str(tmp_path))
    code, out, err = run(["demo", "-o", tmp_path / "plots"], capsys)
    assert code == 2 and out == ""
    assert err.count("\n") == 1 and "Traceback" not in err
    assert "SKLEARN_REC_DATA" in err and str(tmp_path) in err
    assert not (tmp_path / "plots").exists()

    code, _, err = run(["demo", "-o", tmp_path / "plots", "--verbose"], capsys)
    assert code == 2
    assert "Traceback" in err and "no network" in err
    assert err.splitlines()[-1].startswith("sklearn-rec demo: error: MovieLens-100K")


def test_demo_without_matplotlib_says_how_to_install_it(model_path, tmp_path, monkeypatch, capsys):
    monkeypatch.setitem(sys.modules, "matplotlib", None)  # as if it were not installed
    # An empty data folder: the message comes before the data is read.
    argv = ["demo", "--data-home", tmp_path, "-o", tmp_path / "plots"]
    code, out, err = run(argv, capsys)
    assert code == 2 and out == ""
    assert err == (
        "sklearn-rec demo: error: the demo's plots need matplotlib, which is not installed: "
        'pip install "sklearn-rec[plot]"\n'
    )
    assert not (tmp_path / "plots").exists()
    # The other commands do not need it.
    code, out, _ = run(["recommend", model_path, 0, "-n", 2], capsys)
    assert code == 0 and len(pd.read_csv(io.StringIO(out))) == 2


def test_import_leaves_matplotlib_unloaded():
    code = "import sys, sklearn_rec.cli; print('matplotlib' in sys.modules)"
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert result.stdout == "False\n"


# -- fit, recommend, evaluate ------------------------------------------------------------


@pytest.mark.parametrize("suffix", [".csv", ".parquet"])
def test_fit_recommend_evaluate(files, tmp_path, suffix, capsys):
    train, test = files["train.csv"], files["test.csv"]
    if suffix == ".parquet":  # needs pyarrow or fastparquet
        train, test = tmp_path / "train.parquet", tmp_path / "test.parquet"
        pd.read_csv(files["train.csv"]).to_parquet(train)
        pd.read_csv(files["test.csv"]).to_parquet(test)
    model_file = tmp_path / "model.joblib"
    argv = ["fit", train, "-o", model_file, *COLUMNS, "--rating-col", "stars"]
    code, out, err = run([*argv, *TRAIN, "--param", "n_factors=3"], capsys)
    assert code == 0 and "Trained MatrixFactorization(loss='mse')" in out
    assert err == ""  # --quiet: no progress bar
    model = joblib.load(model_file)
    assert model.n_factors == 3 and list(model.feature_names_in_) == ["uid", "iid"]

    code, out, _ = run(["recommend", model_file, 0, 1, 2, "-n", 4], capsys)
    assert code == 0
    lists = pd.read_csv(io.StringIO(out), dtype={"user": str, "item": str})
    assert list(lists.columns) == ["user", "rank", "item", "score"]
    # The same as the Python API, where the ids are text as the command line read them.
    items, scores = model.recommend(["0", "1", "2"], n=4)
    np.testing.assert_array_equal(lists["item"].to_numpy().reshape(3, 4), items)
    np.testing.assert_allclose(lists["score"].to_numpy().reshape(3, 4), scores)
    recommended = set(zip(lists.user, lists.item, strict=True))
    frame = files["frame"].astype({"uid": str, "iid": str})
    seen = set(zip(frame.uid, frame.iid, strict=True))
    assert not recommended & seen

    code, out, _ = run(["evaluate", model_file, test, "--rating-col", "stars"], capsys)
    assert code == 0
    metrics = {line.split()[0]: float(line.split()[1]) for line in out.splitlines()[3:]}
    assert list(metrics) == ["NDCG@10", "Recall@10", "HR@10", "RMSE", "MAE"]
    assert 0 < metrics["MAE"] <= metrics["RMSE"]


def test_recommend_json_file_and_users_files(model_path, files, tmp_path, capsys):
    (tmp_path / "users.txt").write_text("3\n\n4\n")
    pd.DataFrame({"uid": [5, 3]}).to_csv(tmp_path / "users.csv", index=False)
    output = tmp_path / "lists.json"
    for users_file in ("users.txt", "users.csv"):
        argv = ["recommend", model_path, 1, "--users-file", tmp_path / users_file, "-o", output]
        code, out, _ = run(argv, capsys)
        assert code == 0 and out == ""
        lists = json.loads(output.read_text())
        expected = ["1", "3", "4"] if users_file == "users.txt" else ["1", "5", "3"]
        assert [entry["user"] for entry in lists] == expected  # text ids, as read by fit
        # At most 10: a user may have fewer items left that they have not seen.
        assert all(0 < len(entry["items"]) == len(entry["scores"]) <= 10 for entry in lists)


def test_implicit_neural_model_with_string_ids(tmp_path, capsys):
    X, _ = make_interactions(n_users=25, n_items=15, n_interactions=300, random_state=1)
    X = X.assign(user="u" + X.user.astype(str), item="i" + X.item.astype(str))
    X.to_csv(tmp_path / "train.tsv", sep="\t", index=False)
    model_file = tmp_path / "ncf.joblib"
    argv = ["fit", tmp_path / "train.tsv", "-o", model_file, "--model", "neural"]
    code, out, _ = run([*argv, "--param", "hidden_units=(8,)", *TRAIN], capsys)
    assert code == 0 and "NeuralRecommender(loss='sampled_softmax')" in out

    code, out, _ = run(["recommend", model_file, "u1", "-n", 3, "--format", "json"], capsys)
    assert code == 0
    [entry] = json.loads(out)
    assert entry["user"] == "u1" and all(item.startswith("i") for item in entry["items"])

    code, out, _ = run(["evaluate", model_file, tmp_path / "train.tsv", "--format", "json"], capsys)
    assert code == 0
    results = json.loads(out)
    assert list(results) == ["NDCG@10", "Recall@10", "HR@10", "users", "interactions"]
    assert results["interactions"] == len(X)


def test_fit_keeps_training_state_only_when_asked(files, tmp_path, capsys):
    trimmed, full = tmp_path / "trimmed.joblib", tmp_path / "full.joblib"
    for path, extra in ((trimmed, []), (full, ["--keep-training-state"])):
        argv = ["fit", files["train.csv"], "-o", path, *COLUMNS, "--loss", "bpr", *TRAIN, *extra]
        assert run(argv, capsys)[0] == 0
    assert joblib.load(trimmed).optimizer_ is None
    model = joblib.load(full)
    assert len(model.history_) == 2
    # The command line reads ids as text.
    assert len(model.partial_fit(files["frame"][["uid", "iid"]].astype(str)).history_) == 4
    assert trimmed.stat().st_size < full.stat().st_size


def test_fit_verbose_progress_and_threads(files, tmp_path, capsys):
    threads = torch.get_num_threads()
    argv = ["fit", files["train.csv"], "-o", tmp_path / "m.joblib", *COLUMNS, "--epochs", 2]
    code, out, err = run([*argv, "--verbose", "--threads", 1], capsys)
    assert code == 0
    # Not a terminal: a plain line per epoch, no colour codes and no bar.
    lines = out.splitlines()
    assert [line.split()[:2] for line in lines[:2]] == [["epoch", "1/2"], ["epoch", "2/2"]]
    assert "train_loss=" in lines[0] and lines[2].startswith("Trained MatrixFactorization")
    assert "\x1b[" not in out + err and err == ""
    model = joblib.load(tmp_path / "m.joblib")
    assert model.callbacks is None and model.verbose == 0  # for the run, not the model
    assert torch.get_num_threads() == threads  # restored for the caller


@pytest.mark.parametrize(
    ("flags", "table", "bar"),
    [([], False, True), (["--verbose"], True, True), (["--quiet"], False, False)],
)
def test_fit_progress_in_a_terminal(files, tmp_path, capsys, monkeypatch, flags, table, bar):
    monkeypatch.setattr(_progress, "is_terminal", lambda stream: True)
    monkeypatch.setattr(_progress.EpochProgressBar, "delay", 0)
    argv = ["fit", files["train.csv"], "-o", tmp_path / "m.joblib", *COLUMNS, "--epochs", 2]
    # NeuralRecommender's batch_size="auto": the bar counts the batches the net makes.
    code, out, err = run([*argv, "--model", "neural", "--threads", 1, *flags], capsys)
    assert code == 0
    assert (out.split()[:2] == ["epoch", "train_loss"]) is table  # skorch's table
    assert ("epoch 1/2: " in err and "epoch 2/2: " in err and "batch/s" in err) is bar


def test_fallback_for_unknown_ids(model_path, tmp_path, capsys):
    code, out, _ = run(["recommend", model_path, 999, "--fallback", "-n", 3], capsys)
    assert code == 0
    assert len(pd.read_csv(io.StringIO(out))) == 3  # the most popular items

    pd.DataFrame({"uid": [0, 999], "iid": [1, 2]}).to_csv(tmp_path / "t.csv", index=False)
    code, out, _ = run(["evaluate", model_path, tmp_path / "t.csv", "--fallback"], capsys)
    assert code == 0 and "NDCG@10" in out


def test_items_known_from_features_are_known(tmp_path, capsys):
    X, _ = make_interactions(n_users=20, n_items=10, n_interactions=150, random_state=0)
    # Items 10 and 11 have features and no interactions: the model can rank them.
    features = pd.DataFrame({"genre": ["a", "b"] * 6}, index=range(12))
    model = MatrixFactorization(loss="bpr", max_epochs=2, random_state=0, item_features=features)
    joblib.dump(model.fit(X), tmp_path / "cold.joblib")
    pd.DataFrame({"user": [0, 1], "item": [11, 12]}).to_csv(tmp_path / "t.csv", index=False)
    code, _, err = run(["evaluate", tmp_path / "cold.joblib", tmp_path / "t.csv"], capsys)
    assert code == 2
    assert "Found 1 unknown item id(s) not seen during fit: [12]" in err  # 11 is not unknown

    pd.DataFrame({"user": [0, 1], "item": [11, 3]}).to_csv(tmp_path / "t.csv", index=False)
    code, out, _ = run(["evaluate", tmp_path / "cold.joblib", tmp_path / "t.csv"], capsys)
    assert code == 0 and "2 test interactions of 2 users" in out


def test_model_trained_on_a_gpu_is_served_on_the_cpu(model_path, tmp_path, monkeypatch, capsys):
    # As in tests/test_persistence.py: a file whose tensors ask for CUDA.
    model = joblib.load(model_path)
    model.device = "cuda"
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    with monkeypatch.context() as patch:
        patch.setattr(torch.serialization, "location_tag", lambda storage: "cuda:0")
        joblib.dump(model, tmp_path / "gpu.joblib")
    code, out, err = run(["recommend", tmp_path / "gpu.joblib", 0, "-n", 2], capsys)
    assert code == 0 and len(pd.read_csv(io.StringIO(out))) == 2
    assert err.splitlines() == [
        f"note: {tmp_path / 'gpu.joblib'} was trained on a GPU; without CUDA here it runs on "
        "the CPU."
    ]


def test_explain(model_path, files, capsys):
    model = joblib.load(model_path)
    # The CLI reads ids as text unless --int-ids.
    user, item = str(files["frame"].uid.iloc[0]), str(files["frame"].iid.iloc[0])
    expected = model.explain(user, item, n=3)
    code, out, _ = run(["explain", model_path, user, item, "-n", 3], capsys)
    assert code == 0
    lines = out.splitlines()
    assert lines[0].startswith(f"Score of item {item} for user {user}: ")
    assert "(exact; completeness error" in lines[0]
    assert lines[1].split() == ["kind", "id", "or", "feature", "contribution"]
    assert [line.split()[0] for line in lines[3:]] == expected.kind.tolist()

    code, out, _ = run(["explain", model_path, user, item, "--format", "json"], capsys)
    assert code == 0
    result = json.loads(out)
    assert result["user"] == user and result["method"] == "exact"
    assert result["score"] == pytest.approx(expected.attrs["score"])
    assert len(result["contributions"]) == 5
    assert result["contributions"][0]["contribution"] == pytest.approx(
        expected.contribution.iloc[0]
    )


def test_explain_falls_back_only_when_asked(model_path, capsys):
    code, _, err = run(["explain", model_path, 999, 1], capsys)
    assert code == 2 and "['999']" in err and "--fallback" in err
    code, out, _ = run(["explain", model_path, 999, 1, "--fallback"], capsys)
    assert code == 0
    assert out.splitlines()[3].split()[0] == "bias"


# -- errors ----------------------------------------------------------------------------


def error_cases(files, model_path, tmp_path):
    """(argv, a fragment of the one-line message) for each kind of user error."""
    train = files["train.csv"]
    (tmp_path / "bad.csv").write_text('uid,iid\n1,2\n3,"4\n')
    (tmp_path / "empty.csv").write_text("uid,iid\n")
    (tmp_path / "notes.xlsx").write_text("")
    joblib.dump({"not": "a model"}, tmp_path / "dict.joblib")
    pd.DataFrame({"uid": [0], "iid": [77]}).to_csv(tmp_path / "new_item.csv", index=False)
    fit = ["fit", train, "-o", tmp_path / "m.joblib", *COLUMNS, "--quiet"]
    return [
        (["fit", tmp_path / "none.csv", "-o", tmp_path / "m.joblib"], "none.csv: no such file"),
        (["fit", tmp_path / "notes.xlsx", "-o", tmp_path / "m"], "unsupported file type '.xlsx'"),
        (["fit", tmp_path / "bad.csv", "-o", tmp_path / "m"], "bad.csv: cannot read the file"),
        (["fit", tmp_path / "empty.csv", "-o", tmp_path / "m", *COLUMNS], "has no rows"),
        (["fit", train, "-o", tmp_path / "m.joblib"], "no column 'user' (--user-col)"),
        ([*fit, "--rating-col", "rating"], "no column 'rating' (--rating-col)"),
        ([*fit, "--param", "n_factors=0"], "'n_factors' parameter of MatrixFactorization must be"),
        ([*fit, "--param", "n_factor=8"], "has no parameter 'n_factor'"),
        ([*fit, "--param", "n_factors"], "--param expects key=value"),
        ([*fit, "--epochs", "2", "--param", "max_epochs=3"], "max_epochs is given twice"),
        ([*fit, "--rating-col", "stars", "--loss", "bce"], "binary 0/1 labels"),
        ([*fit, "--loss", "hinge"], "'loss' parameter of MatrixFactorization must be a str among"),
        (
            ["fit", train, "-o", tmp_path / "no" / "m.joblib"],
            "no" + os.sep + "m.joblib: the folder",
        ),
        (["recommend", tmp_path / "none.joblib", 1], "no such model file"),
        (["recommend", train, 1], "not a model file"),
        (["recommend", tmp_path / "dict.joblib", 1], "holds a dict, not an sklearn-rec model"),
        (["recommend", model_path], "no users given"),
        (
            ["recommend", model_path, 1, 999],
            "Found 1 unknown user id(s) not seen during fit: ['999']",
        ),
        (["recommend", model_path, "abc"], "unknown user id(s) not seen during fit: ['abc']"),
        (["recommend", model_path, 1, "-n", "0"], "expected a positive integer"),
        (["recommend", model_path, 1, "--users-file", tmp_path / "none.csv"], "no such file"),
        (["evaluate", model_path, train, "--user-col", "user"], "no column 'user'"),
        (["evaluate", model_path, tmp_path / "bad.csv"], "cannot read the file"),
        (
            ["evaluate", model_path, tmp_path / "new_item.csv"],
            "new_item.csv: Found 1 unknown item id(s)",
        ),
        (["explain", model_path, 1, "abc"], "unknown item id(s) not seen during fit: ['abc']"),
        (["explain", model_path, 1, 1, "-n", "0"], "expected a positive integer"),
        (["frobnicate"], "invalid choice: 'frobnicate'"),
    ]


def test_errors_are_one_line_with_exit_code_2(files, model_path, tmp_path, capsys):
    for argv, fragment in error_cases(files, model_path, tmp_path):
        code, out, err = run(argv, capsys)
        assert code == 2, argv
        assert out == "", argv
        assert err.count("\n") == 1 and err.startswith("sklearn-rec"), err
        assert fragment in err, (fragment, err)


def test_verbose_adds_the_traceback(model_path, capsys):
    code, _, err = run(["recommend", model_path, 999, "--verbose"], capsys)
    assert code == 2
    assert err.startswith("Traceback (most recent call last):")
    assert err.splitlines()[-1].startswith("sklearn-rec recommend: error: Found 1 unknown user id")
    assert err.endswith("Pass --fallback to recommend the most popular items to them.\n")


def test_help_and_version_return_0(capsys):
    assert main(["--version"]) == 0
    assert capsys.readouterr().out.startswith("sklearn-rec ")
    assert main(["evaluate", "--help"]) == 0
    assert "--rating-col" in capsys.readouterr().out


def test_python_m_sklearn_rec(tmp_path):
    result = subprocess.run(
        [sys.executable, "-m", "sklearn_rec", "recommend", tmp_path / "none.joblib", "1"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 2
    assert (
        result.stderr
        == f"sklearn-rec recommend: error: {tmp_path / 'none.joblib'}: no such model file.\n"
    )
