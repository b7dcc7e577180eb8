"""The estimators inside scikit-learn's model selection tools."""

import pickle

import numpy as np
import pytest
import torch
from scipy.stats import loguniform
from sklearn.base import clone
from sklearn.model_selection import GridSearchCV, RandomizedSearchCV, cross_validate
from sklearn.pipeline import Pipeline

from sklearn_rec import MatrixFactorization, NeuralRecommender
from sklearn_rec.metrics import make_ranking_scorer


@pytest.mark.parametrize(
    "estimator", [MatrixFactorization(max_epochs=1), NeuralRecommender(max_epochs=1)], ids=repr
)
def test_metadata_routing_of_every_method(estimator):
    # skorch >= 1.4 declares partial_fit's ``classes`` UNUSED for routing: a
    # partial_fit without that parameter broke routing (GridSearchCV without
    # scoring, on scikit-learn 1.6 and 1.7).
    routing = estimator.get_metadata_routing()  # raised ValueError
    assert not _requested(routing._serialize())  # no method requests metadata
    estimator.partial_fit(*_tiny(), classes=None)  # accepted and ignored, as in skorch


def _requested(serialized):
    """The metadata a serialized routing requests (True or an alias), at any depth."""
    if isinstance(serialized, dict):
        return [name for value in serialized.values() for name in _requested(value)]
    return [serialized] if serialized is True or isinstance(serialized, str) else []


def _tiny():
    users, items = np.divmod(np.arange(60), 6)
    return np.column_stack([users, items]), np.ones(60)


def test_grid_search_default_scoring_is_ndcg(implicit):
    search = GridSearchCV(
        NeuralRecommender(max_epochs=2, random_state=0),
        {"embedding_dim": [4, 8], "lr": [1e-3, 1e-2]},
        cv=3,
        error_score="raise",
    ).fit(implicit)
    assert search.cv_results_["mean_test_score"].shape == (4,)
    assert np.isfinite(search.cv_results_["mean_test_score"]).all()
    assert search.best_estimator_.embedding_dim == search.best_params_["embedding_dim"]
    items, _ = search.best_estimator_.recommend([0, 1], n=10)
    assert items.shape == (2, 10)


def test_grid_search_multi_metric_refit(implicit):
    scoring = {
        "ndcg": make_ranking_scorer("ndcg", k=10),
        "recall": make_ranking_scorer("recall", k=10),
        "hit_rate": make_ranking_scorer("hit_rate", k=10),
    }
    search = GridSearchCV(
        MatrixFactorization(loss="bpr", max_epochs=2, random_state=0),
        {"n_factors": [4, 8]},
        cv=3,
        scoring=scoring,
        refit="ndcg",
        error_score="raise",
    ).fit(implicit)
    for name in scoring:
        scores = search.cv_results_[f"mean_test_{name}"]
        assert ((scores >= 0) & (scores <= 1)).all()
    assert (search.cv_results_["mean_test_hit_rate"] >= search.cv_results_["mean_test_ndcg"]).all()
    assert search.best_index_ == np.argmax(search.cv_results_["mean_test_ndcg"])


def test_randomized_search_over_routed_optimizer_params(ratings):
    X, y = ratings
    search = RandomizedSearchCV(
        MatrixFactorization(max_epochs=2, optimizer=torch.optim.SGD, random_state=0),
        {"lr": loguniform(1e-3, 1e-1), "optimizer__momentum": [0.0, 0.9]},
        n_iter=3,
        cv=2,
        scoring="neg_root_mean_squared_error",
        random_state=0,
        error_score="raise",
    ).fit(X, y)
    assert search.best_estimator_.optimizer_.param_groups[0]["momentum"] in (0.0, 0.9)
    assert len(search.cv_results_["params"]) == 3


def test_cross_validate_pipeline_rmse(ratings):
    X, y = ratings
    pipe = Pipeline([("rec", MatrixFactorization(n_factors=4, max_epochs=5, random_state=0))])
    result = cross_validate(pipe, X, y, cv=3, scoring="neg_root_mean_squared_error")
    rmse = -result["test_score"]
    assert rmse.shape == (3,)
    assert (rmse < y.std() * 1.5).all()


def test_clone_keeps_routed_params():
    est = MatrixFactorization(n_factors=3, optimizer__momentum=0.5, module__init_std=0.2)
    copy = clone(est)
    assert copy.get_params()["optimizer__momentum"] == 0.5
    assert copy.get_params()["module__init_std"] == 0.2
    assert "history_" not in copy.get_params() and "_params_to_validate" not in copy.get_params()
    assert (
        repr(copy)
        == "MatrixFactorization(module__init_std=0.2, n_factors=3, optimizer__momentum=0.5)"
    )


def test_set_params_top_level_and_routed(ratings):
    X, y = ratings
    est = MatrixFactorization(max_epochs=1, optimizer=torch.optim.SGD, random_state=0).fit(X, y)
    est.set_params(lr=0.05, optimizer__momentum=0.9)
    assert est.optimizer_.param_groups[0]["lr"] == 0.05
    assert est.optimizer_.param_groups[0]["momentum"] == 0.9
    est.set_params(n_factors=6).fit(X, y)
    assert est.module_.user_factors.weight.shape[1] == 6
    est.set_params(module__init_std=0.5)
    assert est.get_params()["module__init_std"] == 0.5


def test_pickle_unfitted_and_fitted(implicit):
    est = NeuralRecommender(max_epochs=1, random_state=0, optimizer__betas=(0.8, 0.9))
    restored = pickle.loads(pickle.dumps(est))
    assert restored.get_params(deep=False) == est.get_params(deep=False)
    fitted = pickle.loads(pickle.dumps(restored.fit(implicit)))
    np.testing.assert_array_equal(fitted.predict(implicit), restored.predict(implicit))


def test_unexpected_routed_param_is_reported_at_fit(implicit):
    with pytest.raises(ValueError, match="optimizer_momentum, did you mean optimizer__momentum"):
        NeuralRecommender(max_epochs=1, optimizer_momentum=0.9).fit(implicit)


def test_adam_is_fused_unless_told_otherwise(ratings):
    X, y = ratings
    assert MatrixFactorization(max_epochs=1).fit(X, y).optimizer_.defaults["fused"] is True
    est = MatrixFactorization(max_epochs=1, optimizer__fused=False).fit(X, y)
    assert est.optimizer_.defaults["fused"] is False
    est = MatrixFactorization(max_epochs=1, optimizer=torch.optim.SGD).fit(X, y)
    assert not est.optimizer_.defaults.get("fused")
