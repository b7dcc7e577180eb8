"""Reliability: interrupts, non-finite training, parameters changed after fit, bad input.

Each test keeps one case of a reliability review as a regression test: what
was lost or silently wrong before, and the error or behaviour expected now.
The command line's cases are in ``tests/cli/test_cli_reliability.py``.
"""

import copy
import signal
import zipfile

import numpy as np
import pandas as pd
import pytest
import torch
from sklearn.utils._param_validation import InvalidParameterError
from skorch.callbacks import Callback, EarlyStopping

from sklearn_rec import MatrixFactorization, NeuralRecommender
from sklearn_rec._files import replace_atomically
from sklearn_rec.datasets import _base, _movielens, fetch_movielens, make_interactions

SMALL = {"random_state": 0, "batch_size": 64}


@pytest.fixture(scope="module")
def data():
    return make_interactions(n_users=30, n_items=20, n_interactions=500, random_state=0)


class _CtrlC(Callback):
    """Sends the process SIGINT, as Ctrl-C does, at the end of epoch ``epoch``."""

    def __init__(self, epoch):
        self.epoch = epoch

    def on_epoch_end(self, net, **kwargs):
        if len(net.history) == self.epoch:
            signal.raise_signal(signal.SIGINT)


class _RaiseKeyboardInterrupt(Callback):
    """Ends training the way skorch's callbacks do, by raising KeyboardInterrupt."""

    def on_epoch_end(self, net, **kwargs):
        if len(net.history) == 2:
            raise KeyboardInterrupt


# -- 1. an interrupted fit --------------------------------------------------------------


@pytest.mark.parametrize("estimator", [MatrixFactorization, NeuralRecommender])
def test_ctrl_c_during_fit_raises_and_keeps_the_epochs_trained(data, estimator):
    X, y = data
    model = estimator(loss="mse", max_epochs=10, callbacks=[_CtrlC(3)], **SMALL)
    handler = signal.getsignal(signal.SIGINT)
    with pytest.raises(KeyboardInterrupt, match=r"fit was interrupted.* 3 epoch\(s\)"):
        model.fit(X, y)
    assert signal.getsignal(signal.SIGINT) is handler
    assert model.n_iter_ == 3


def test_ctrl_c_during_partial_fit_raises(data):
    X, y = data
    model = MatrixFactorization(max_epochs=2, **SMALL).fit(X, y)
    model.set_params(max_epochs=5, callbacks=[_CtrlC(4)])
    with pytest.raises(KeyboardInterrupt, match="partial_fit was interrupted"):
        model.partial_fit(X, y)
    assert model.n_iter_ == 4


def test_a_callback_that_raises_keyboard_interrupt_stops_training_normally(data):
    # skorch's convention for a callback that ends training: not a user's Ctrl-C.
    X, y = data
    model = MatrixFactorization(max_epochs=10, callbacks=[_RaiseKeyboardInterrupt()], **SMALL)
    assert model.fit(X, y).n_iter_ == 2


def test_early_stopping_is_not_an_interrupt(data):
    X, y = data
    stopping = EarlyStopping(monitor="train_loss", patience=1, threshold=10.0)
    model = MatrixFactorization(max_epochs=10, callbacks=[stopping], **SMALL).fit(X, y)
    assert model.n_iter_ == 2
    model = MatrixFactorization(
        max_epochs=10, early_stopping=True, n_iter_no_change=1, tol=1.0, **SMALL
    ).fit(X, y)
    assert model.n_iter_ == 2


# -- 2. files written whole or not at all -------------------------------------------------


def test_an_interrupted_write_leaves_the_old_file(tmp_path):
    path = tmp_path / "model.joblib"
    path.write_bytes(b"old")
    path.chmod(0o640)
    with pytest.raises(KeyboardInterrupt), replace_atomically(path) as temporary:
        temporary.write_bytes(b"half a mod")
        raise KeyboardInterrupt
    assert path.read_bytes() == b"old"
    assert [p.name for p in tmp_path.iterdir()] == ["model.joblib"]
    with replace_atomically(path) as temporary:
        assert temporary.parent == tmp_path
        temporary.write_bytes(b"new")
    assert path.read_bytes() == b"new"
    assert path.stat().st_mode & 0o777 == 0o640
    assert [p.name for p in tmp_path.iterdir()] == ["model.joblib"]


def test_an_interrupted_download_leaves_nothing_in_data_home(tmp_path, monkeypatch):
    archive = tmp_path / "source" / "data.zip"
    archive.parent.mkdir()
    with zipfile.ZipFile(archive, "w") as zf:
        zf.writestr("data/ratings.csv", "1,2,3\n" * 100)
        zf.writestr("data/movies.csv", "2,x\n")
    extractall = zipfile.ZipFile.extractall

    def interrupted(self, path):
        extractall(self, path)  # everything on disk, then Ctrl-C before it is moved in
        raise KeyboardInterrupt

    monkeypatch.setattr(_base, "_download", lambda remote, folder, **kwargs: archive)
    monkeypatch.setattr(zipfile.ZipFile, "extractall", interrupted)
    home = tmp_path / "home"
    remote = _base.RemoteFileMetadata("data.zip", "https://example.invalid/data.zip", "sha256:0")
    with pytest.raises(KeyboardInterrupt):
        _base.fetch_archive(remote, home)
    assert list(home.iterdir()) == []


# -- 5. parameters changed after fit ------------------------------------------------------


@pytest.fixture(scope="module")
def fitted(data):
    X, y = data
    return MatrixFactorization(max_epochs=2, **SMALL).fit(X, y)


def test_handle_unknown_is_validated_where_it_is_used(fitted, data):
    X, _ = data
    model = copy.deepcopy(fitted).set_params(handle_unknown="erorr")
    unknown = pd.DataFrame({"user": [999], "item": [1]})
    message = r"'handle_unknown' parameter of MatrixFactorization must be a str among"
    for query in (
        lambda: model.predict(unknown),
        lambda: model.predict(X[:3]),  # even where no id is unknown
        lambda: model.recommend([999]),
        lambda: model.score_items([0], [[1, 2]]),
    ):
        with pytest.raises(InvalidParameterError, match=message):
            query()
    model.set_params(handle_unknown="fallback")
    assert np.isfinite(model.predict(unknown)).all()


@pytest.mark.parametrize(
    ("param", "value"),
    [("negative_sampling", "unseeen"), ("n_negatives", -1), ("loss", "hinge")],
)
def test_parameters_read_by_queries_are_validated(data, param, value):
    X, _ = data
    model = MatrixFactorization(loss="bpr", max_epochs=2, **SMALL).fit(X)
    model.set_params(**{param: value})
    with pytest.raises(InvalidParameterError, match=f"'{param}' parameter of MatrixFactorization"):
        model.recommend_for_history(X.item[:3].to_numpy())


# -- 6. a training that diverges ---------------------------------------------------------


@pytest.mark.parametrize("estimator", [MatrixFactorization, NeuralRecommender])
def test_a_rating_beyond_float32_stops_training_and_names_y(data, estimator):
    X, y = data
    y = y.copy()
    y[0] = 1e39  # inf in float32
    with pytest.raises(ValueError, match=r"diverged: the training loss became inf in epoch 1"):
        estimator(loss="mse", max_epochs=2, **SMALL).fit(X, y)
    with pytest.raises(
        ValueError,
        match=r"lr=0.01\), or bring y to a smaller scale \(its values span 1 to 1e\+39\)",
    ):
        estimator(loss="mse", max_epochs=2, **SMALL).fit(X, y)


@pytest.mark.parametrize("seed", range(3))
def test_a_learning_rate_that_diverges_stops_training(data, seed):
    X, y = data
    model = MatrixFactorization(lr=1e30, max_epochs=5, random_state=seed, batch_size=64)
    with pytest.raises(
        ValueError, match=r"MatrixFactorization diverged: .* lower the learning rate \(lr=1e\+30\)"
    ):
        model.fit(X, y)


def test_non_finite_weights_stop_training(data):
    X, y = data

    class PoisonTheLastStep(Callback):
        """Makes one weight NaN after the last batch of epoch 2, where no loss shows it."""

        def on_batch_end(self, net, **kwargs):
            if len(net.history) == 2 and len(net.history[-1]["batches"]) == 8:
                with torch.no_grad():
                    net.module_.item_factors.weight[0, 0] = float("nan")

    model = MatrixFactorization(max_epochs=5, callbacks=[PoisonTheLastStep()], **SMALL)
    match = r"the parameter item_factors.weight holds NaN or inf in epoch 2"
    with pytest.raises(ValueError, match=match):
        model.fit(X, y)


# -- 7. a damaged local copy of MovieLens --------------------------------------------------


def _tiny_100k(home, monkeypatch):
    """Files in the layout of ml-100k (3 users, 2 movies, 5 ratings) and their counts."""
    folder = home / "ml-100k"
    folder.mkdir(parents=True)
    ratings = ["1\t1\t5\t881250949", "1\t2\t3\t881250950", "2\t1\t4\t881250951"]
    ratings += ["3\t2\t1\t881250952", "3\t1\t2\t881250953"]
    (folder / "u.data").write_text("\n".join(ratings) + "\n")
    flags = "|".join(["0"] * 18)
    (folder / "u.item").write_text(
        f"1|Toy Story (1995)|01-Jan-1995||http://x|{flags}|1\n"
        f"2|GoldenEye (1995)|01-Jan-1995||http://y|1|{flags}\n",
        encoding="latin-1",
    )
    (folder / "u.user").write_text(
        "1|24|M|technician|85711\n2|53|F|other|94043\n3|23|M|writer|32067\n"
    )
    contents = _movielens.CONTENTS["100k"]._replace(
        ratings=5, users=3, items=2, movies=2, user_rows=3
    )
    monkeypatch.setitem(_movielens.CONTENTS, "100k", contents)
    return folder


def _fetch_100k(home):
    return fetch_movielens("100k", data_home=home, download_if_missing=False)


def test_an_intact_copy_loads(tmp_path, monkeypatch):
    _tiny_100k(tmp_path, monkeypatch)
    bunch = _fetch_100k(tmp_path)
    assert bunch.frame.shape == (5, 4) and len(bunch.users) == 3


@pytest.mark.parametrize(
    ("damage", "file", "problem"),
    [
        (lambda f: _cut(f / "u.data", lines=3), "u.data", "holds 3 ratings, not the 5 published"),
        (lambda f: _cut(f / "u.user", lines=2), "u.user", "holds 2 users, not the 3 published"),
        (lambda f: _cut(f / "u.item", lines=1), "u.item", "holds 1 movies, not the 2 published"),
        (
            lambda f: _replace(f / "u.data", "3\t1\t2", "3\t1\t9"),
            "u.data",
            "rating 9 .* not on the scale 1 to 5",
        ),
        (
            lambda f: _append(f / "u.data", "2\t2\t4\t881250954\n"),
            "u.data",
            "holds 6 ratings, not the 5 published",
        ),
        (lambda f: _cut_bytes(f / "u.data", 20), "u.data", "cannot be read"),
        (lambda f: (f / "u.data").write_text(""), "u.data", "cannot be read .*No columns to parse"),
        (lambda f: (f / "u.user").write_text(""), "u.user", "holds 0 users, not the 3 published"),
        (lambda f: (f / "u.data").write_bytes(b"\x00\xff\xfe" * 50), "u.data", "cannot be read"),
    ],
    ids=[
        "truncated ratings",
        "truncated users",
        "truncated movies",
        "rating of 9",
        "extra rating",
        "cut mid-line",
        "empty ratings file",
        "empty user file",
        "binary",
    ],
)
def test_a_damaged_copy_is_an_error_naming_the_file_and_the_fix(
    tmp_path, monkeypatch, damage, file, problem
):
    folder = _tiny_100k(tmp_path, monkeypatch)
    damage(folder)
    with pytest.raises(OSError, match=rf"{folder / file}: {problem}") as error:
        _fetch_100k(tmp_path)
    assert f"delete the folder {folder}, and fetch_movielens downloads ml-100k.zip" in str(
        error.value
    )


def _cut(path, lines):
    path.write_text(
        "".join(path.read_text(encoding="latin-1").splitlines(keepends=True)[:lines]),
        encoding="latin-1",
    )


def _cut_bytes(path, size):
    path.write_bytes(path.read_bytes()[:size])


def _replace(path, old, new):
    path.write_text(path.read_text().replace(old, new))


def _append(path, text):
    with open(path, "a") as f:
        f.write(text)


def test_a_damaged_csv_copy_is_an_error_naming_the_file(tmp_path, monkeypatch):
    _tiny_latest_small(tmp_path, monkeypatch, None, ratings="1,1,4.5,964982703\n1,2,7.5,9\n")
    with pytest.raises(
        OSError,
        match=r"ratings.csv: rating 7.5 \(rating 2 of the file\) is not on the scale 0.5 to 5 "
        r"in steps of 0.5",
    ):
        fetch_movielens("latest-small", data_home=tmp_path, download_if_missing=False)


def _tiny_latest_small(home, monkeypatch, tags, ratings="1,1,4.5,964982703\n1,2,3.0,9\n"):
    """Files in the layout of ml-latest-small: 2 ratings of user 1, 2 movies, ``tags``."""
    folder = home / "ml-latest-small"
    folder.mkdir()
    (folder / "ratings.csv").write_text("userId,movieId,rating,timestamp\n" + ratings)
    (folder / "movies.csv").write_text(
        "movieId,title,genres\n1,Toy Story (1995),Comedy\n2,Heat (1995),Drama\n"
    )
    if tags is not None:
        (folder / "tags.csv").write_text("userId,movieId,tag,timestamp\n" + tags)
    contents = _movielens.CONTENTS["latest-small"]._replace(
        ratings=2, users=1, items=2, movies=2, tags=2
    )
    monkeypatch.setitem(_movielens.CONTENTS, "latest-small", contents)
    return folder


def test_tags_are_read_as_written(tmp_path, monkeypatch):
    _tiny_latest_small(tmp_path, monkeypatch, '1,1,NA,964982705\n1,2,"dark, funny",964982706\n')
    tags = fetch_movielens("latest-small", data_home=tmp_path, download_if_missing=False).tags
    assert tags["tag"].tolist() == ["NA", "dark, funny"]


def test_a_copy_without_tags_loads_without_them(tmp_path, monkeypatch):
    _tiny_latest_small(tmp_path, monkeypatch, None)
    bunch = fetch_movielens("latest-small", data_home=tmp_path, download_if_missing=False)
    assert bunch.tags is None and len(bunch.frame) == 2


def test_a_truncated_tag_file_is_an_error_naming_it(tmp_path, monkeypatch):
    folder = _tiny_latest_small(tmp_path, monkeypatch, "1,1,funny,964982705\n")
    with pytest.raises(
        OSError, match=rf"{folder / 'tags.csv'}: holds 1 tag applications, not the 2 published"
    ):
        fetch_movielens("latest-small", data_home=tmp_path, download_if_missing=False)


# -- 8. settings that cannot train ---------------------------------------------------------


@pytest.mark.parametrize("loss", ["bce", "bpr", "softmax", "sampled_softmax"])
@pytest.mark.parametrize("estimator", [MatrixFactorization, NeuralRecommender])
def test_labels_without_a_positive_are_refused(data, estimator, loss):
    X, _ = data
    with pytest.raises(ValueError, match=rf"y holds no positive label .* loss='{loss}'"):
        estimator(loss=loss, max_epochs=1, **SMALL).fit(X, np.zeros(len(X)))


def test_a_learning_rate_of_zero_is_refused(data):
    with pytest.raises(InvalidParameterError, match=r"'lr' parameter .* range \(0.0, inf\)"):
        MatrixFactorization(lr=0, max_epochs=1).fit(*data)


def test_bce_without_negatives_needs_labels_of_both_kinds(data):
    X, _ = data
    model = MatrixFactorization(loss="bce", n_negatives=0, max_epochs=1, **SMALL)
    with pytest.raises(ValueError, match=r"n_negatives=0 .* y=None makes every row a positive"):
        model.fit(X)
    with pytest.raises(ValueError, match=r"n_negatives=0 .* y holds only 1s"):
        model.fit(X, np.ones(len(X)))
    labels = (np.arange(len(X)) % 2).astype(float)
    assert model.fit(X, labels).n_iter_ == 1  # plain binary cross-entropy on the labels


# -- 11. errors that name what is wrong ----------------------------------------------------


@pytest.mark.parametrize(
    ("table", "error", "message"),
    [
        (
            pd.DataFrame([[1, 2, 3]] * 30, columns=["age", "age", "zip"]),
            ValueError,
            r"user_features has repeated column names: \['age'\]",
        ),
        (
            pd.DataFrame({"zip": [10115, "SW1A"] * 15}),
            TypeError,
            r"Column 'zip' of user_features mixes types \(int, str\)",
        ),
    ],
    ids=["repeated column", "ints and strings"],
)
def test_a_bad_feature_table_is_an_error_naming_the_column(data, table, error, message):
    with pytest.raises(error, match=message):
        MatrixFactorization(max_epochs=1, user_features=table, **SMALL).fit(*data)


@pytest.mark.parametrize(
    ("ids", "message"),
    [
        ([(1, 2), (3, 4)], r"user ids hold values of type tuple; ids must be scalars"),
        ([1, "a"], r"user ids mix types \(int, str\)"),
    ],
)
def test_ids_of_the_wrong_kind_are_named(ids, message):
    X = pd.DataFrame({"user": pd.Series(ids, dtype=object), "item": [1, 2]})
    with pytest.raises(TypeError, match=message):
        MatrixFactorization(max_epochs=1).fit(X, [1.0, 2.0])


@pytest.mark.parametrize(
    ("param", "value", "message"),
    [
        ("optimizer", "adam", r"'optimizer' parameter .* must be a callable. Got 'adam'"),
        ("callbacks", "x", r"'callbacks' parameter .* must be an instance of 'list' or None"),
    ],
)
def test_an_optimizer_or_callbacks_of_the_wrong_type_is_named(data, param, value, message):
    with pytest.raises(InvalidParameterError, match=message):
        MatrixFactorization(max_epochs=1, **{param: value}).fit(*data)


# -- 14. fallback rows flagged; ratings within the training range ---------------------------


def test_recommend_flags_the_fallback_rows(data):
    X, y = data
    model = MatrixFactorization(max_epochs=2, handle_unknown="fallback", **SMALL).fit(X, y)
    items, scores, fallback = model.recommend([0, 999, 1], n=3, return_fallback=True)
    assert fallback.tolist() == [False, True, False]
    assert items.shape == scores.shape == (3, 3)
    plain_items, plain_scores = model.recommend([0, 999, 1], n=3)
    np.testing.assert_array_equal(items, plain_items)
    np.testing.assert_array_equal(scores, plain_scores)
    with pytest.raises(TypeError, match="return_fallback must be a bool, got 1"):
        model.recommend([0], return_fallback=1)


@pytest.mark.parametrize("seed", range(3))
@pytest.mark.parametrize("estimator", [MatrixFactorization, NeuralRecommender])
def test_ratings_are_clipped_to_the_training_range(data, estimator, seed):
    X, y = data
    # A learning rate that overshoots the 1-5 scale on some pairs.
    model = estimator(loss="mse", lr=0.05, max_epochs=30, random_state=seed).fit(X, y)
    users = np.repeat(np.arange(30), 20)
    pairs = pd.DataFrame({"user": users, "item": np.tile(np.arange(20), 30)})
    raw = model.set_params(clip_ratings=False).predict(pairs)
    assert raw.min() < y.min() or raw.max() > y.max()  # the test has a point
    clipped = model.set_params(clip_ratings=True).predict(pairs)
    np.testing.assert_allclose(clipped, np.clip(raw, y.min(), y.max()), rtol=1e-6)
    np.testing.assert_allclose(model.score_items([0], [np.arange(20)])[0], clipped[:20], rtol=1e-6)
    items, scores = model.recommend(np.arange(30), n=20, exclude_seen=False)
    assert scores.min() >= y.min() and scores.max() <= y.max()
    raw_items, _ = model.set_params(clip_ratings=False).recommend(
        np.arange(30), n=20, exclude_seen=False
    )
    np.testing.assert_array_equal(items, raw_items)  # ranked by the raw scores all the same
    _, history_scores = model.set_params(clip_ratings=True).recommend_for_history(
        [1, 2], ratings=[5.0, 5.0], n=20
    )
    finite = history_scores[np.isfinite(history_scores)]
    assert finite.min() >= y.min() and finite.max() <= y.max()


def test_unknown_pairs_fall_back_to_ratings_in_the_training_range(data):
    X, y = data
    model = MatrixFactorization(max_epochs=2, handle_unknown="fallback", **SMALL).fit(X, y + 10)
    scores = model.predict(pd.DataFrame({"user": [999, 0], "item": [0, 999]}))
    assert (scores >= 11).all() and (scores <= 15).all()
    with pytest.raises(InvalidParameterError, match="'clip_ratings' parameter"):
        model.set_params(clip_ratings="yes").predict(X[:2])


# -- inputs that already got a clear error, kept as they are ---------------------------------


def _frame(users, items):
    return pd.DataFrame({"user": pd.Series(users, dtype=object), "item": items})


@pytest.mark.parametrize(
    ("call", "error", "message"),
    [
        (
            lambda m, X, y: m.fit(_frame([1, np.nan], [1, 2]), [1.0, 2.0]),
            ValueError,
            "user ids contain NaN",
        ),
        (
            lambda m, X, y: m.fit(_frame([1, 2], [1, None]), [1.0, 2.0]),
            ValueError,
            "item ids contain NaN",
        ),
        (lambda m, X, y: m.fit(X[["user"]], y), ValueError, "minimum of 2 is required"),
        (lambda m, X, y: m.fit(X, y[:-1]), ValueError, "inconsistent numbers of samples"),
        (
            lambda m, X, y: m.fit(X, np.where(np.arange(len(y)) == 0, np.inf, y)),
            ValueError,
            "Input y contains infinity",
        ),
        (
            lambda m, X, y: m.fit(X, y).predict(_frame([999], [1])),
            ValueError,
            r"unknown user id\(s\) not seen during fit: \[999\]",
        ),
        (lambda m, X, y: m.fit(X, y).recommend([0], n=0), ValueError, "n must be >= 1"),
        (
            lambda m, X, y: m.fit(X, y).recommend([0], exclude_seen="no"),
            TypeError,
            "exclude_seen must be a bool",
        ),
        (
            lambda m, X, y: m.fit(X, y).similar_items([999]),
            ValueError,
            "Only known items have embeddings",
        ),
    ],
    ids=[
        "NaN user",
        "None item",
        "one column",
        "short y",
        "inf in y",
        "unknown user",
        "n=0",
        "exclude_seen",
        "unknown item",
    ],
)
def test_bad_input_gets_a_clear_error(data, call, error, message):
    X, y = data
    with pytest.raises(error, match=message):
        call(MatrixFactorization(max_epochs=1, **SMALL), X, y)
