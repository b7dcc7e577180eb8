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
from sklearn_rec.datasets import _base, make_interactions

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
