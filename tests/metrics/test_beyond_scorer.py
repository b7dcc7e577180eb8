import pickle

import numpy as np
import pandas as pd
import pytest
from sklearn.base import clone
from sklearn.model_selection import GridSearchCV, KFold

from sklearn_rec import MatrixFactorization
from sklearn_rec.metrics import (
    average_popularity_at_k,
    catalogue_coverage_at_k,
    exposure_entropy_at_k,
    gini_index_at_k,
    intra_list_diversity_at_k,
    long_tail_share_at_k,
    make_beyond_accuracy_scorer,
    make_ranking_scorer,
    novelty_at_k,
)
from sklearn_rec.utils.estimator_checks import checkerboard

N = 12
X_TRAIN, _ = checkerboard(N)
# One-hot parity: the taste of every checkerboard user.
PARITY = pd.DataFrame({"even": np.arange(N) % 2 == 0, "odd": np.arange(N) % 2 == 1}).astype(float)


def make_model(**params):
    defaults = {"n_factors": 4, "loss": "bpr", "max_epochs": 100, "batch_size": 32}
    return MatrixFactorization(random_state=0, **{**defaults, **params})


@pytest.fixture(scope="module")
def model():
    return make_model().fit(X_TRAIN)


def embeddings(estimator):
    factors = estimator.module_.item_factors.weight.detach().cpu().numpy()
    return pd.DataFrame(factors[: len(estimator.items_)], index=estimator.items_)


X_TEST = pd.DataFrame({"user": [0, 0, 3, 4, 7, 10], "item": [0, 3, 3, 4, 7, 1]})
EXPECTED = {
    "coverage": lambda lists, model: catalogue_coverage_at_k(lists, model.items_, k=3),
    "novelty": lambda lists, model: novelty_at_k(lists, X_TRAIN, k=3),
    "arp": lambda lists, model: -average_popularity_at_k(lists, X_TRAIN, k=3),
    "long_tail": lambda lists, model: long_tail_share_at_k(lists, X_TRAIN, k=3),
    "gini": lambda lists, model: -gini_index_at_k(lists, model.items_, k=3),
    "entropy": lambda lists, model: exposure_entropy_at_k(lists, k=3),
}


@pytest.mark.parametrize("metric", EXPECTED)
def test_scorer_measures_the_recommended_lists(model, metric):
    lists, _ = model.recommend([0, 3, 4, 7, 10], n=3)
    expected = EXPECTED[metric](lists, model)
    assert make_beyond_accuracy_scorer(metric, k=3)(model, X_TEST) == pytest.approx(expected)


def test_item_popularity_comes_from_the_training_split():
    half = X_TRAIN[X_TRAIN["user"] < 6]
    model = make_model().fit(half)
    users = pd.DataFrame({"user": [0, 1, 2], "item": [0, 1, 2]})
    lists, _ = model.recommend([0, 1, 2], n=4)
    own = make_beyond_accuracy_scorer("novelty", k=4)(model, users)
    assert own == pytest.approx(novelty_at_k(lists, half, k=4))
    fixed = make_beyond_accuracy_scorer("novelty", k=4, X_train=X_TRAIN)(model, users)
    assert fixed == pytest.approx(novelty_at_k(lists, X_TRAIN, k=4))
    assert not np.isclose(own, fixed)


def test_greater_is_better_false_negates(model):
    gini = make_beyond_accuracy_scorer("gini", k=3)
    raw = make_beyond_accuracy_scorer("gini", k=3, greater_is_better=True)
    assert raw(model, X_TEST) > 0
    assert gini(model, X_TEST) == -raw(model, X_TEST)
    assert (
        repr(raw)
        == "make_beyond_accuracy_scorer('gini', k=3, exclude_seen=True, greater_is_better=True)"
    )


def test_diversity_over_side_features(model):
    # Each user's unseen items: the withheld own item first, then those of the
    # other parity; with seen items, all 6 of the user's parity come first.
    users = pd.DataFrame({"user": range(N), "item": range(N)})
    unseen = make_beyond_accuracy_scorer("diversity", k=3, item_vectors=PARITY)
    assert unseen(model, users) == pytest.approx(2 / 3)
    with_seen = make_beyond_accuracy_scorer(
        "diversity", k=6, exclude_seen=False, item_vectors=PARITY
    )
    assert with_seen(model, users) == pytest.approx(0.0)


def test_diversity_over_embeddings_of_the_fitted_estimator(model):
    lists, _ = model.recommend([0, 3, 4, 7, 10], n=4)
    expected = intra_list_diversity_at_k(lists, embeddings(model), k=4)
    scorer = make_beyond_accuracy_scorer("diversity", k=4, item_vectors=embeddings)
    assert scorer(model, X_TEST) == pytest.approx(expected)


def test_popularity_needs_seen_pairs_or_X_train():
    model = make_model(store_seen=False, negative_sampling="uniform").fit(X_TRAIN)
    scorer = make_beyond_accuracy_scorer("arp", k=3, exclude_seen=False)
    with pytest.raises(
        ValueError, match=r"store_seen=False\). Fit with store_seen=True, or pass X_train="
    ):
        scorer(model, X_TEST)
    fixed = make_beyond_accuracy_scorer("arp", k=3, exclude_seen=False, X_train=X_TRAIN)
    lists, _ = model.recommend([0, 3, 4, 7, 10], n=3, exclude_seen=False)
    assert fixed(model, X_TEST) == pytest.approx(-average_popularity_at_k(lists, X_TRAIN, k=3))


def test_scorer_pickles_with_its_reference():
    scorer = make_beyond_accuracy_scorer("long_tail", X_train=X_TRAIN, head_share=0.5)
    restored = pickle.loads(pickle.dumps(scorer))
    assert repr(restored) == (
        "make_beyond_accuracy_scorer('long_tail', k=10, exclude_seen=True, X_train=..., "
        "head_share=0.5)"
    )


@pytest.mark.parametrize(
    ("args", "kwargs", "error", "match"),
    [
        (("ndcg",), {}, ValueError, "metric must be one of"),
        (("novelty",), {"k": 0}, ValueError, "k must be >= 1, got 0"),
        (("novelty",), {"k": 1.5}, TypeError, "k must be an int"),
        (("novelty",), {"exclude_seen": 1}, TypeError, "exclude_seen must be a bool"),
        (("coverage",), {"X_train": X_TRAIN}, ValueError, "X_train is only used by"),
        (("novelty",), {"X_train": X_TRAIN.iloc[:0]}, ValueError, "X_train is empty"),
        (("diversity",), {}, ValueError, "metric='diversity' needs item_vectors"),
        (("diversity",), {"item_vectors": np.ones((3, 2))}, TypeError, "item_vectors must be a"),
        (("novelty",), {"item_vectors": PARITY}, ValueError, "item_vectors is only used by"),
        (("long_tail",), {"head_share": 0.0}, ValueError, "head_share must be > 0"),
        (("gini",), {"greater_is_better": "no"}, TypeError, "greater_is_better must be a bool"),
    ],
)
def test_bad_arguments(args, kwargs, error, match):
    with pytest.raises(error, match=match):
        make_beyond_accuracy_scorer(*args, **kwargs)


def test_multi_metric_grid_search_beside_ndcg():
    scoring = {
        "ndcg": make_ranking_scorer("ndcg", k=5),
        "coverage": make_beyond_accuracy_scorer("coverage", k=5),
        "novelty": make_beyond_accuracy_scorer("novelty", k=5),
        "gini": make_beyond_accuracy_scorer("gini", k=5),
        "diversity": make_beyond_accuracy_scorer("diversity", k=5, item_vectors=embeddings),
    }
    splits = list(KFold(3, shuffle=True, random_state=0).split(X_TRAIN))
    search = GridSearchCV(
        make_model(max_epochs=20),
        {"n_factors": [2, 4]},
        cv=splits,
        scoring=scoring,
        refit="ndcg",
        error_score="raise",
    ).fit(X_TRAIN)
    results = search.cv_results_
    assert search.best_index_ == np.argmax(results["mean_test_ndcg"])
    assert ((results["mean_test_coverage"] > 0) & (results["mean_test_coverage"] <= 1)).all()
    assert (results["mean_test_gini"] <= 0).all()
    # Each entry is the metric of the model fitted on that split's training part.
    train, test = splits[1]
    fitted = clone(search.estimator).set_params(n_factors=4).fit(X_TRAIN.iloc[train])
    users = X_TRAIN.iloc[test]["user"].unique()
    lists, _ = fitted.recommend(users, n=5)
    index = list(results["param_n_factors"]).index(4)
    assert results["split1_test_novelty"][index] == pytest.approx(
        novelty_at_k(lists, X_TRAIN.iloc[train], k=5)
    )
    assert results["split1_test_gini"][index] == pytest.approx(
        -gini_index_at_k(lists, fitted.items_, k=5)
    )
    assert results["split1_test_diversity"][index] == pytest.approx(
        intra_list_diversity_at_k(lists, embeddings(fitted), k=5)
    )
