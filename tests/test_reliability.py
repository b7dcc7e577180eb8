"""Reliability: interrupts, non-finite training, parameters changed after fit, bad input.

Each test keeps one case of a reliability review as a regression test: what
was lost or silently wrong before, and the error or behaviour expected now.
The command line's cases are in ``tests/cli/test_cli_reliability.py``.
"""

import signal

import pytest
from skorch.callbacks import Callback, EarlyStopping

from sklearn_rec import MatrixFactorization, NeuralRecommender
from sklearn_rec.datasets import make_interactions

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
