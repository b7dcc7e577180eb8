"""The module protocol: a training step's penalty from the rows its scores gathered."""

import numpy as np
import pandas as pd
import pytest
import torch
from skorch import NeuralNet

from sklearn_rec import MatrixFactorization, NeuralRecommender
from sklearn_rec.datasets import make_interactions

X, RATINGS = make_interactions(60, 40, 900, random_state=0)
ITEM_FEATURES = pd.DataFrame(
    {"group": pd.Categorical(np.arange(40) % 3), "size": np.arange(40) / 40.0}, index=range(40)
)
SMALL = {"max_epochs": 3, "batch_size": 128, "random_state": 0}
MODELS = {
    "mf": MatrixFactorization(n_factors=4, **SMALL),
    "mf features": MatrixFactorization(n_factors=4, item_features=ITEM_FEATURES, **SMALL),
    "ncf": NeuralRecommender(embedding_dim=4, hidden_units=(8,), architecture="mlp", **SMALL),
    "neumf": NeuralRecommender(embedding_dim=4, hidden_units=(8, 4), **SMALL),
    "neumf features": NeuralRecommender(
        embedding_dim=4, hidden_units=(8,), item_features=ITEM_FEATURES, **SMALL
    ),
}


def _trained_module(name):
    model = MODELS[name]
    return model.set_params(loss="bpr").fit(X).module_


@pytest.mark.parametrize("name", MODELS)
@pytest.mark.parametrize("shape", [(32,), (32, 5)], ids=["pairs", "negatives"])
def test_forward_penalty_is_the_penalty_of_the_scored_rows(name, shape):
    module = _trained_module(name)
    generator = torch.Generator().manual_seed(0)
    user = torch.randint(60, (32,), generator=generator)
    item = torch.randint(40, shape, generator=generator)

    scores, penalty = module(user, item, penalty=True)
    torch.testing.assert_close(scores, module(user, item), rtol=0, atol=0)
    torch.testing.assert_close(penalty, module.penalty(user, item))
    assert penalty.shape == (32,)

    # The gradients of the objective are those of the penalty computed apart.
    def gradients(objective):
        module.zero_grad()
        objective().backward()
        return {n: p.grad.clone() for n, p in module.named_parameters() if p.grad is not None}

    fused = gradients(lambda: sum(module(user, item, penalty=True)[i].sum() for i in (0, 1)))
    apart = gradients(lambda: module(user, item).sum() + module.penalty(user, item).sum())
    assert fused.keys() == apart.keys()
    for name_ in fused:
        torch.testing.assert_close(fused[name_], apart[name_], rtol=1e-5, atol=1e-6)


def test_penalty_is_the_squared_norm_of_the_rows_an_example_reads():
    module = _trained_module("mf")
    user, item = torch.tensor([3, 7]), torch.tensor([[1, 2, 5], [0, 0, 9]])
    p, b_u = module.user_factors.weight[user], module.user_bias.weight[user, 0]
    q, b_i = module.item_factors.weight[item], module.item_bias.weight[item, 0]
    expected = (p**2).sum(1) + b_u**2 + ((q**2).sum(2) + b_i**2).sum(1)
    torch.testing.assert_close(module.penalty(user, item), expected)
    # A full softmax: every item, its norm averaged over the catalogue.
    items = (module.item_factors.weight**2).sum(1) + module.item_bias.weight[:, 0] ** 2
    torch.testing.assert_close(module.penalty(user), (p**2).sum(1) + b_u**2 + items.mean())
    neumf = _trained_module("neumf")
    u, i = neumf.user_embedding.weight[user], neumf.item_embedding.weight[item]
    g, h = neumf.user_gmf.weight[user], neumf.item_gmf.weight[item]
    expected = (u**2).sum(1) + (g**2).sum(1) + ((i**2).sum(2) + (h**2).sum(2)).sum(1)
    torch.testing.assert_close(neumf.penalty(user, item), expected)


class _PenaltyApart:
    """Mixin: skorch's own training step: the loss computes the penalty apart (a second gather)."""

    def train_step_single(self, batch, **fit_params):
        return NeuralNet.train_step_single(self, batch, **fit_params)


class _MFApart(_PenaltyApart, MatrixFactorization):
    pass


class _NeuralApart(_PenaltyApart, NeuralRecommender):
    pass


def _scores(model, loss):
    """``predict`` on X, less each user's mean score where the loss cannot see it.

    bpr and the softmax compare a user's items only: a shift of all of a
    user's scores has no gradient, and Adam turns the rounding noise of a
    zero gradient into steps of the size of the learning rate, so such a
    shift drifts apart between two runs that differ in rounding alone.
    """
    scores = model.predict(X)
    if loss in ("bpr", "sampled_softmax"):
        scores = scores - pd.Series(scores).groupby(X.iloc[:, 0].to_numpy()).transform("mean")
    return np.asarray(scores)


@pytest.mark.parametrize("loss", ["mse", "bce", "bpr", "sampled_softmax"])
@pytest.mark.parametrize(
    ("estimator", "apart"),
    [(MODELS["mf"], _MFApart), (MODELS["neumf features"], _NeuralApart)],
    ids=["mf", "neumf"],
)
def test_training_with_the_forward_penalty_is_the_same_objective(estimator, apart, loss):
    params = {**estimator.get_params(), "loss": loss, "weight_decay": 0.05}
    y = RATINGS if loss == "mse" else None
    fused = type(estimator)(**params).fit(X, y)
    separate = apart(**params).fit(X, y)
    # The training loss of every epoch (a weight decay 10% off moves it by 1e-3).
    np.testing.assert_allclose(
        fused.history_[:, "train_loss"], separate.history_[:, "train_loss"], rtol=1e-5
    )
    # Rounding apart, the two runs take the same steps. Scores stay within
    # 1e-3: Adam amplifies the rounding noise of parameters that a loss
    # barely sees (3e-4 measured for NeuMF with bpr, below 3e-7 elsewhere).
    np.testing.assert_allclose(_scores(fused, loss), _scores(separate, loss), atol=1e-3)
    # ... and the fused path is the one a training step takes.
    assert _penalty_requests(fused, y) == [True]
    assert _penalty_requests(separate, y) == [False]


def _penalty_requests(model, y):
    """The ``penalty`` argument of each module call in one training step."""
    calls = []

    def record(module, args, kwargs):
        calls.append(kwargs.get("penalty", False))

    batch = next(iter(model.get_iterator(model.get_dataset(X, y), training=True)))
    handle = model.module_.register_forward_pre_hook(record, with_kwargs=True)
    try:
        step = model.train_step_single(batch)
    finally:
        handle.remove()
    assert torch.is_tensor(step["y_pred"])  # callbacks see the scores
    return calls
