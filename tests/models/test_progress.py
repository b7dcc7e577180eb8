"""Progress output under ``verbose``: the epoch log, the bars, and long queries.

capsys's streams are not terminals, so the output is plain lines; the
terminal's table and bars are checked with ``is_terminal`` patched.
"""

import re

import pytest
from skorch.callbacks import ProgressBar

from sklearn_rec import MatrixFactorization, NeuralRecommender
from sklearn_rec.datasets import make_interactions
from sklearn_rec.models import _progress

ANSI = "\x1b["
ESTIMATORS = {
    "mf": lambda **params: MatrixFactorization(n_factors=4, loss="bpr", **params),
    "neural": lambda **params: NeuralRecommender(embedding_dim=4, hidden_units=(8,), **params),
}


pytestmark = pytest.mark.usefixtures("one_thread")


@pytest.fixture(scope="module")
def X():
    return make_interactions(n_users=30, n_items=20, n_interactions=300, random_state=0)[0]


@pytest.fixture
def terminal(monkeypatch):
    """Output as if stdout and stderr were terminals; bars from the first batch."""
    monkeypatch.setattr(_progress, "is_terminal", lambda stream: True)
    monkeypatch.setattr(_progress.EpochProgressBar, "delay", 0)


def _fit(name, X, **params):
    return ESTIMATORS[name](max_epochs=3, batch_size=64, random_state=0, **params).fit(X)


def _small_blocks(model):
    """Make the queries of the tiny model run in several blocks, as a large one does."""
    model._score_budget = 64
    model._predict_batch_size = 50
    model.set_params(batch_size=50)
    return model


@pytest.mark.parametrize("name", ESTIMATORS)
@pytest.mark.parametrize("early_stopping", [False, True])
def test_verbose_fit_writes_plain_epoch_lines(name, early_stopping, X, capsys):
    _fit(name, X, early_stopping=early_stopping, verbose=1)
    out, err = capsys.readouterr()
    lines = out.splitlines()
    assert [line.split()[:2] for line in lines[:3]] == [
        ["epoch", "1/3"],
        ["epoch", "2/3"],
        ["epoch", "3/3"],
    ]
    keys = ["train_loss", "validation_score", "dur"] if early_stopping else ["train_loss", "dur"]
    for line in lines[:3]:
        assert re.findall(r"(\w+)=", line) == keys
        assert re.search(r"dur=\d+\.\d\ds$", line)
    assert ANSI not in out + err  # no colour codes in a file or a pipe
    assert err == ""  # nor a bar


@pytest.mark.parametrize("name", ESTIMATORS)
def test_long_queries_report_progress_under_verbose_only(name, X, capsys):
    model = _small_blocks(_fit(name, X, early_stopping=True))
    users = X.user.unique()
    model.recommend(users, n=5)
    model.similar_items(X.item.unique())
    model.predict(X)
    model.score(X)
    assert capsys.readouterr() == ("", "")  # verbose=0: nothing

    model.set_params(verbose=1)
    model.recommend(users, n=5)
    out, err = capsys.readouterr()
    assert out == "" and ANSI not in err
    lines = err.splitlines()
    assert len(lines) > 1 and all(line.startswith("recommend: ") for line in lines)
    assert lines[-1].startswith(f"recommend: {len(users)}/{len(users)} users (100%) in ")
    assert "s left" in lines[0]

    model.score(X)  # ranks for every user of X
    assert capsys.readouterr().err.splitlines()[-1].startswith(f"recommend: {len(users)}/")

    model.predict(X)
    lines = capsys.readouterr().err.splitlines()
    assert lines[-1].startswith(f"predict: {len(X):,}/{len(X):,} pairs (100%)")

    model.similar_items(X.item.unique())
    assert capsys.readouterr().err.splitlines()[-1].startswith("similar_items: 20/20 items")

    # A single block has no progress to report.
    model.recommend(users[:1], n=5)
    model.predict(X[:10])
    assert capsys.readouterr() == ("", "")


def test_early_stopping_is_not_reported_as_queries(X, capsys):
    # The validation scoring of each epoch ranks in several blocks too.
    model = ESTIMATORS["mf"](max_epochs=2, early_stopping=True, verbose=1, random_state=0)
    model._score_budget = 64
    model.fit(X)
    out, err = capsys.readouterr()
    assert "recommend" not in out + err
    assert [line.split()[1] for line in out.splitlines()] == ["1/2", "2/2"]


def test_verbose_says_why_training_stopped(X, capsys):
    # No improvement counts: the second epoch is a miss, and training stops after it.
    params = {"early_stopping": True, "n_iter_no_change": 1, "tol": 1.0, "verbose": 1}
    model = ESTIMATORS["mf"](max_epochs=5, random_state=0, **params).fit(X)
    assert model.n_iter_ == 2
    last = capsys.readouterr().out.splitlines()[-1]
    assert last.startswith("Stopped early after epoch 2/5: validation_score has not improved")
    assert last.endswith(f"Kept the weights of epoch 1 (validation_score={model.best_score_:.4f}).")


def test_partial_fit_counts_on(X, capsys):
    model = _fit("mf", X, verbose=1)
    model.partial_fit(X)
    epochs = [line.split()[1] for line in capsys.readouterr().out.splitlines()]
    assert epochs == ["1/3", "2/3", "3/3", "4/6", "5/6", "6/6"]


def test_a_sink_gets_plain_lines_in_a_terminal_too(X, terminal):
    lines = []
    _fit("mf", X, verbose=1, callbacks__print_log__sink=lines.append)
    assert [line.split()[:2] for line in lines] == [["epoch", f"{k}/3"] for k in (1, 2, 3)]


def test_terminal_shows_the_table_and_bars(X, capsys, terminal):
    model = _small_blocks(_fit("neural", X, verbose=1))
    out, err = capsys.readouterr()
    lines = out.splitlines()
    assert lines[0].split() == ["epoch", "train_loss", "dur"]  # skorch's table
    assert [line.split()[0] for line in lines[2:]] == ["1/3", "2/3", "3/3"]
    # A bar over each epoch's batches (300 rows in batches of 64), titled by epoch.
    for epoch in (1, 2, 3):
        assert f"epoch {epoch}/3: " in err
    assert "/5 [" in err

    model.recommend(X.user.unique(), n=5)
    assert "recommend: 100%" in capsys.readouterr().err  # tqdm's bar


def test_no_second_bar_beside_a_progress_bar_callback(X, capsys, terminal):
    model = _fit("mf", X, verbose=1, callbacks=[ProgressBar()])
    err = capsys.readouterr().err
    assert "it/s" in err and "epoch 1/3" not in err  # skorch's bar only
    assert dict(model.callbacks_)["epoch_progress"].shown_ is False
