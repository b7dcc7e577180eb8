"""scikit-learn's estimator contract over every public estimator."""

import inspect

import pytest
from sklearn.utils.estimator_checks import check_param_validation, parametrize_with_checks

from sklearn_rec import EASE, ItemKNN, MatrixFactorization, NeuralRecommender, PopularityRecommender
from sklearn_rec.datasets import make_interactions
from sklearn_rec.rerank import RecommenderFeatures, RerankingRecommender

# scikit-learn's checks predict for rows of random ids never seen in fit: the
# cold-start case, which handle_unknown="fallback" answers (and the default
# "error" refuses by design; see test_estimators.py).
SMALL = {"max_epochs": 2, "handle_unknown": "fallback"}
ESTIMATORS = [
    MatrixFactorization(n_factors=4, **SMALL),
    MatrixFactorization(n_factors=4, loss="bpr", **SMALL),
    MatrixFactorization(n_factors=4, loss="softmax", **SMALL),
    NeuralRecommender(embedding_dim=4, hidden_units=(8,), loss="mse", **SMALL),
    NeuralRecommender(embedding_dim=4, hidden_units=(8,), architecture="neumf", **SMALL),
    NeuralRecommender(embedding_dim=4, hidden_units=(8,), loss="sampled_softmax", **SMALL),
    PopularityRecommender(handle_unknown="fallback"),
    ItemKNN(n_neighbors=5, handle_unknown="fallback"),
    EASE(handle_unknown="fallback"),
    RecommenderFeatures(EASE(handle_unknown="fallback")),
    RerankingRecommender(EASE(handle_unknown="fallback"), n_candidates=5, cv=2, random_state=0),
]


def expected_failed_checks(estimator):
    if estimator.get_params().get("loss") == "mse":
        return {}
    return {
        "check_estimators_dtypes": (
            "passes labels {1, 2}; ranking losses take 0/1 labels (or no y) and "
            "reject other values instead of guessing which one is positive"
        ),
    }


# An expected failure that passes fails the run (scikit-learn >= 1.8; before, it
# is reported as XPASS).
STRICT = (
    {"xfail_strict": True}
    if "xfail_strict" in inspect.signature(parametrize_with_checks).parameters
    else {}
)


@parametrize_with_checks(ESTIMATORS, expected_failed_checks=expected_failed_checks, **STRICT)
def test_sklearn_compatible_estimator(estimator, check):
    check(estimator)


@pytest.mark.parametrize("estimator", ESTIMATORS, ids=repr)
def test_parameters_are_validated_before_fitting(estimator):
    # scikit-learn's own check: every declared constraint rejects a value of
    # the wrong type or range, in fit and partial_fit, with InvalidParameterError.
    X, y = make_interactions(n_users=20, n_items=15, n_interactions=150, random_state=0)
    y = y if estimator.get_params().get("loss") == "mse" else None
    check_param_validation(type(estimator).__name__, estimator)
    estimator.fit(X, y)  # the valid parameters still fit
