"""Sparse gradients for the embedding tables (``sparse=True``)."""

import pickle

import numpy as np
import pytest
import torch

from sklearn_rec import MatrixFactorization, NeuralRecommender
from sklearn_rec.datasets import make_interactions

X, Y = make_interactions(n_users=120, n_items=150, n_interactions=3000, random_state=0)
SMALL = {"max_epochs": 3, "batch_size": 256, "random_state": 0}
ESTIMATORS = [
    MatrixFactorization(n_factors=8, **SMALL),
    NeuralRecommender(embedding_dim=8, hidden_units=(16,), architecture="neumf", **SMALL),
]


def _y(est):
    return Y if est.loss == "mse" else None


@pytest.mark.parametrize("est", ESTIMATORS, ids=lambda e: type(e).__name__)
@pytest.mark.parametrize("loss", ["mse", "bpr", "sampled_softmax"])
def test_sparse_trains_like_dense(est, loss):
    dense = est.set_params(loss=loss).fit(X, _y(est))
    sparse = pickle.loads(pickle.dumps(est)).set_params(sparse=True).fit(X, _y(est))
    assert sparse.optimizer_.param_groups  # the dense parameters keep their optimizer
    tables = {id(p) for p in sparse.sparse_optimizer_.param_groups[0]["params"]}
    embeddings = [m for m in sparse.module_.modules() if isinstance(m, torch.nn.Embedding)]
    assert tables == {id(m.weight) for m in embeddings}
    dense_params = {id(p) for g in sparse.optimizer_.param_groups for p in g["params"]}
    assert not dense_params & tables
    # Lazy Adam follows dense Adam closely over a few epochs.
    first, last = sparse.history_[0, "train_loss"], sparse.history_[-1, "train_loss"]
    assert last < first
    assert last == pytest.approx(dense.history_[-1, "train_loss"], rel=0.05)


def test_sparse_step_leaves_untouched_rows():
    rows = X[X["user"] == X["user"].iloc[0]]
    for sparse in (True, False):
        est = MatrixFactorization(n_factors=8, loss="mse", sparse=sparse, **SMALL).fit(X, Y)
        before = est.module_.user_factors.weight.detach().clone()
        est.partial_fit(rows, Y[rows.index])
        moved = (est.module_.user_factors.weight.detach() != before).any(1)
        # One user's rows: SparseAdam moves that user only; dense Adam's
        # momentum moves every user.
        assert moved.sum().item() == (1 if sparse else est.n_users_)


def test_sparse_round_trip_and_refit_dense():
    est = MatrixFactorization(n_factors=8, loss="bpr", sparse=True, **SMALL).fit(X)
    loaded = pickle.loads(pickle.dumps(est))
    assert loaded._optimizers == ["sparse_optimizer", "optimizer"]
    loaded.partial_fit(X)
    assert len(loaded.history_) == 2 * SMALL["max_epochs"]  # partial_fit runs max_epochs
    np.testing.assert_array_equal(loaded.recommend([1, 2])[0].shape, (2, 10))
    est.set_params(sparse=False).fit(X)
    assert est._optimizers == ["optimizer"]
    assert not hasattr(est, "sparse_optimizer_")
    assert not any(m.sparse for m in est.module_.modules() if isinstance(m, torch.nn.Embedding))


def test_sparse_params_are_validated():
    with pytest.raises(TypeError, match=r"'sparse' parameter of \w+ must be an instance of 'bool'"):
        MatrixFactorization(sparse="yes").fit(X, Y)
    with pytest.raises(ValueError, match='sparse=True does not work with loss="softmax"'):
        NeuralRecommender(loss="softmax", sparse=True).fit(X)
