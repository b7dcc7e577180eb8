"""Saving, loading and showing fitted estimators.

pickle and joblib round trips, ``trim_for_prediction`` (what serving keeps),
loading a model fitted on a GPU where there is none, and what a notebook
shows: scikit-learn's HTML representation, skorch's epoch table and progress
bar.
"""

import copy
import io
import pickle

import joblib
import numpy as np
import pytest
import torch
from sklearn.base import clone
from sklearn.exceptions import NotFittedError
from sklearn.utils import estimator_html_repr
from skorch.callbacks import ProgressBar
from skorch.exceptions import DeviceWarning, SkorchTrainingImpossibleError

from sklearn_rec import MatrixFactorization, NeuralRecommender
from sklearn_rec.models import _progress

SMALL = {"max_epochs": 3, "random_state": 0}


pytestmark = pytest.mark.usefixtures("one_thread")


@pytest.fixture(scope="module", params=["mf-mse", "neumf-bce"])
def fitted(request, ratings, implicit):
    """A fitted model, X and y (tests that change the model change a copy)."""
    if request.param == "mf-mse":
        X, y = ratings
        return MatrixFactorization(n_factors=4, **SMALL).fit(X, y), X, y
    model = NeuralRecommender(
        embedding_dim=4, hidden_units=(8,), architecture="neumf", batch_size=1024, **SMALL
    )
    return model.fit(implicit), implicit, None


def outputs(model, X):
    """Everything serving asks of a model, for exact comparison."""
    items, scores = model.recommend(model.users_[:10], n=5)
    similar, similarity = model.similar_items(model.items_[:5], n=3)
    return {
        "predict": model.predict(X[:50]),
        "recommend": (items, scores),
        "similar_items": (similar, similarity),
        "score": model.score(X),
    }


def assert_same_outputs(model, expected, X):
    for name, value in outputs(model, X).items():
        np.testing.assert_array_equal(value, expected[name], err_msg=name)


def dump(model, library):
    if library == "pickle":
        return pickle.dumps(model)
    buffer = io.BytesIO()
    joblib.dump(model, buffer)
    return buffer.getvalue()


def load(data, library):
    return pickle.loads(data) if library == "pickle" else joblib.load(io.BytesIO(data))


@pytest.mark.parametrize("library", ["pickle", "joblib"])
def test_round_trip_keeps_scores_and_fitted_state(fitted, library):
    model, X, y = fitted
    restored = load(dump(model, library), library)
    assert_same_outputs(restored, outputs(model, X), X)
    np.testing.assert_array_equal(restored.users_, model.users_)
    np.testing.assert_array_equal(restored.items_, model.items_)
    assert (restored.seen_ != model.seen_).nnz == 0
    assert restored.get_params(deep=False).keys() == model.get_params(deep=False).keys()
    # Training state survives too: partial_fit continues where fit stopped.
    assert len(restored.partial_fit(X, y).history_) == 2 * SMALL["max_epochs"]


def test_trim_for_prediction_keeps_what_serving_needs(fitted):
    model, X, _ = fitted
    history = model.history_
    trimmed = copy.deepcopy(model)
    assert trimmed.trim_for_prediction() is trimmed
    assert trimmed.optimizer_ is None and trimmed.criterion_ is None
    assert len(trimmed.history_) == 0 and trimmed.callbacks_ == []
    assert len(history) == SMALL["max_epochs"]  # an earlier reference keeps its data
    # Parameters are untouched, unlike skorch's own trimming: clone still works.
    assert trimmed.get_params(deep=False) == model.get_params(deep=False)
    assert clone(trimmed).get_params(deep=False) == model.get_params(deep=False)

    expected = outputs(model, X)
    assert_same_outputs(trimmed, expected, X)
    assert_same_outputs(load(dump(trimmed, "pickle"), "pickle"), expected, X)
    assert len(pickle.dumps(trimmed)) < 0.9 * len(pickle.dumps(model))


def test_trimmed_model_refuses_partial_fit_but_refits(fitted):
    model, X, y = fitted
    trimmed = copy.deepcopy(model).trim_for_prediction()
    seen = trimmed.seen_.copy()
    with pytest.raises(SkorchTrainingImpossibleError, match=r"trimmed for prediction.*Call fit"):
        trimmed.partial_fit(X, y)
    assert (trimmed.seen_ != seen).nnz == 0  # the failed call changed nothing
    trimmed.fit(X, y)
    assert len(trimmed.history_) == SMALL["max_epochs"]
    trimmed.partial_fit(X, y)  # a refitted model trains on
    assert len(trimmed.history_) == 2 * SMALL["max_epochs"]


def test_trim_for_prediction_requires_a_fitted_model():
    with pytest.raises(NotFittedError):
        MatrixFactorization().trim_for_prediction()


@pytest.mark.parametrize("library", ["pickle", "joblib"])
def test_model_fitted_on_cuda_loads_without_a_gpu(fitted, library, monkeypatch):
    """A pickle that asks for CUDA loads on the CPU, with its own state intact.

    Covered: the file format of a model fitted with ``device="cuda"``. Its
    tensors are pickled as storages tagged with their device (``cuda:0``,
    forced here by ``torch.serialization.location_tag``) and its ``device``
    is ``"cuda"``. Where ``torch.cuda.is_available()`` is False (forced too,
    so that the test means the same on a machine with a GPU), skorch's
    ``NeuralNet.__setstate__`` loads the tensors with
    ``map_location="cpu"`` and sets ``device`` to ``"cpu"`` with a
    DeviceWarning. The recommender's own state (vocabularies, ``seen_``,
    the rating mean) holds no tensors and loads as it is.

    Not covered: tensors that were on a GPU for real, such as optimizer
    state written by CUDA kernels, and training or scoring on a GPU;
    ``benchmarks/cuda_check.py`` checks those on a machine with CUDA.
    """
    model, X, _ = fitted
    expected = outputs(model, X)
    on_gpu = copy.deepcopy(model)
    on_gpu.device = "cuda"
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    with monkeypatch.context() as patch:
        patch.setattr(torch.serialization, "location_tag", lambda storage: "cuda:0")
        tensors = on_gpu.__getstate__()["__cuda_dependent_attributes__"]
        saved = dump(on_gpu, library)
    # The tensors really ask for CUDA: unpickled without a map_location, they fail.
    with pytest.raises(RuntimeError, match="CUDA"):
        pickle.loads(tensors)

    with pytest.warns(DeviceWarning):
        restored = load(saved, library)
    assert torch.device(restored.device).type == "cpu"
    assert all(p.device.type == "cpu" for p in restored.module_.parameters())
    assert_same_outputs(restored, expected, X)


# -- notebooks -------------------------------------------------------------------------


@pytest.mark.parametrize("estimator", [MatrixFactorization, NeuralRecommender])
def test_html_representation(estimator, implicit):
    model = estimator(loss="bpr", max_epochs=1, optimizer__weight_decay=1e-4)
    html = estimator_html_repr(model)
    assert estimator.__name__ in html and "Not fitted" in html
    assert "optimizer__weight_decay" in html  # routed parameters are shown too
    assert "Not fitted" in model._repr_html_()  # what Jupyter calls
    assert "text/html" in model._repr_mimebundle_()

    fitted_html = estimator_html_repr(model.fit(implicit))
    assert estimator.__name__ in fitted_html and "Not fitted" not in fitted_html


@pytest.mark.parametrize(
    ("early_stopping", "header"),
    [
        (False, ["epoch", "train_loss", "dur"]),
        (True, ["epoch", "train_loss", "validation_score", "dur"]),
    ],
)
def test_verbose_prints_the_epoch_table(implicit, capsys, monkeypatch, early_stopping, header):
    # In a terminal; elsewhere the rows are plain lines (tests/models/test_progress.py).
    monkeypatch.setattr(_progress, "is_terminal", lambda stream: True)
    model = MatrixFactorization(loss="bpr", max_epochs=2, early_stopping=early_stopping, verbose=1)
    model.fit(implicit)
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].split() == header
    assert [line.split()[0] for line in lines[2:4]] == ["1/2", "2/2"]

    MatrixFactorization(loss="bpr", max_epochs=2).fit(implicit)
    assert capsys.readouterr().out == ""


def test_progress_bar_callback(implicit, capsys):
    model = NeuralRecommender(max_epochs=2, batch_size=1000, callbacks=[ProgressBar()])
    model.fit(implicit)
    # One bar per epoch on stderr, over the batches of positive rows.
    assert f"/{-(-len(implicit) // 1000)}" in capsys.readouterr().err
    restored = load(dump(model, "pickle"), "pickle")  # the bar itself is not pickled
    np.testing.assert_array_equal(restored.predict(implicit[:5]), model.predict(implicit[:5]))
