"""Recommenders behind a preprocessing step: the ranking scorers through a Pipeline."""

import numpy as np
import pandas as pd
import pytest
from sklearn.base import clone
from sklearn.compose import ColumnTransformer
from sklearn.exceptions import NotFittedError
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GridSearchCV, cross_validate
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import FunctionTransformer

from sklearn_rec import EASE, ItemKNN, MatrixFactorization, NeuralRecommender, PopularityRecommender
from sklearn_rec.datasets import make_interactions
from sklearn_rec.metrics import make_beyond_accuracy_scorer, make_ranking_scorer
from sklearn_rec.model_selection import UserHoldoutSplit, UserKFold

METRICS = ["ndcg", "precision", "recall", "map", "mrr", "hit_rate"]


@pytest.fixture(scope="module")
def raw():
    """A raw table: the id columns under other names, among columns the model must not see."""
    X, _ = make_interactions(
        n_users=40, n_items=60, n_interactions=600, implicit=True, random_state=0
    )
    table = X.rename(columns={"user": "customer_id", "item": "product_id"})
    return table.assign(store=np.arange(len(table)) % 3, basket_value=1.5)


def pick_ids():
    """Pick the id columns of the raw table and name them ``user`` and ``item``."""
    return ColumnTransformer(
        [("user", "passthrough", ["customer_id"]), ("item", "passthrough", ["product_id"])],
        verbose_feature_names_out="{transformer_name}",
    ).set_output(transform="pandas")


def recommender(**params):
    return MatrixFactorization(
        **{"n_factors": 4, "loss": "bpr", "max_epochs": 3, "batch_size": 64, "random_state": 0}
        | params
    )


@pytest.fixture(scope="module")
def split(raw):
    train, test = next(UserHoldoutSplit(test_size=0.3, random_state=0).split(raw))
    return raw.iloc[train], raw.iloc[test]


@pytest.fixture(scope="module")
def fitted(split):
    train, _ = split
    return Pipeline([("ids", pick_ids()), ("mf", recommender())]).fit(train)


def test_the_step_renames_the_id_columns(raw):
    assert list(pick_ids().fit_transform(raw).columns) == ["user", "item"]


@pytest.mark.parametrize("metric", METRICS)
@pytest.mark.parametrize("n_negatives", [None, 5])
def test_scorer_on_pipeline_equals_scorer_on_bare_estimator(split, fitted, metric, n_negatives):
    train, test = split
    scorer = make_ranking_scorer(metric, k=5, n_negatives=n_negatives, random_state=0)
    bare = recommender().fit(pick_ids().fit_transform(train))
    expected = scorer(bare, pick_ids().fit(train).transform(test))
    assert np.isfinite(expected) and expected > 0
    assert scorer(fitted, test) == pytest.approx(expected, rel=1e-12)
    assert scorer(fitted["mf"], fitted[:-1].transform(test)) == pytest.approx(expected, rel=1e-12)


def item_embeddings(mf):
    factors = mf.module_.item_factors.weight.detach().numpy()
    return pd.DataFrame(factors[: len(mf.items_)], index=mf.items_)


@pytest.mark.parametrize(
    "metric", ["coverage", "novelty", "arp", "long_tail", "gini", "entropy", "diversity"]
)
def test_beyond_accuracy_scorer_on_pipeline_equals_bare_estimator(split, fitted, metric):
    train, test = split
    vectors = {"item_vectors": item_embeddings} if metric == "diversity" else {}
    scorer = make_beyond_accuracy_scorer(metric, k=20, **vectors)
    bare = recommender().fit(pick_ids().fit_transform(train))
    expected = scorer(bare, pick_ids().fit(train).transform(test))
    assert np.isfinite(expected) and expected != 0
    assert scorer(fitted, test) == pytest.approx(expected, rel=1e-12)


@pytest.mark.parametrize(
    "estimator",
    [
        PopularityRecommender(),
        ItemKNN(n_neighbors=10),
        EASE(),
        NeuralRecommender(embedding_dim=4, hidden_units=(8,), max_epochs=2, random_state=0),
    ],
    ids=lambda estimator: type(estimator).__name__,
)
def test_every_recommender_is_scored_through_pipeline(split, estimator):
    train, test = split
    pipe = Pipeline([("ids", pick_ids()), ("rec", clone(estimator))]).fit(train)
    bare = clone(estimator).fit(pick_ids().fit_transform(train))
    rows = pick_ids().fit(train).transform(test)
    for scorer in (
        make_ranking_scorer("ndcg", k=10),
        make_ranking_scorer("hit_rate", k=5, n_negatives=5, random_state=0),
        make_beyond_accuracy_scorer("coverage", k=10),
    ):
        expected = scorer(bare, rows)
        assert np.isfinite(expected) and expected > 0
        assert scorer(pipe, test) == pytest.approx(expected, rel=1e-12)


def test_score_and_scorer_agree_through_pipeline(split, fitted):
    _, test = split
    assert make_ranking_scorer("ndcg", k=10)(fitted, test) == pytest.approx(fitted.score(test))


def test_nested_pipeline_and_passthrough_steps(split, fitted):
    _, test = split
    nested = Pipeline(
        [
            ("outer", "passthrough"),
            ("inner", Pipeline([("ids", fitted["ids"]), ("none", None), ("mf", fitted["mf"])])),
        ]
    )
    scorer = make_ranking_scorer("recall", k=10)
    assert scorer(nested, test) == pytest.approx(scorer(fitted, test))


def test_grid_search_over_pipeline_matches_bare_estimator(raw):
    grid = {"n_factors": [2, 4], "lr": [0.01, 0.05]}
    scoring = make_ranking_scorer("recall", k=10)
    cv = UserKFold(n_splits=3, random_state=0)
    # The default error_score: a failing scorer would show up as NaN, not as an error.
    search = GridSearchCV(
        Pipeline([("ids", pick_ids()), ("mf", recommender())]),
        {f"mf__{name}": values for name, values in grid.items()},
        scoring=scoring,
        cv=cv,
    ).fit(raw)
    bare = GridSearchCV(recommender(), grid, scoring=scoring, cv=cv).fit(
        pick_ids().fit_transform(raw)
    )
    scores = search.cv_results_["mean_test_score"]
    assert np.isfinite(scores).all() and (scores > 0).all()
    np.testing.assert_allclose(scores, bare.cv_results_["mean_test_score"], rtol=1e-12)
    assert search.best_params_["mf__n_factors"] == bare.best_params_["n_factors"]
    assert np.isfinite(search.best_score_)
    items, _ = search.best_estimator_["mf"].recommend([0, 1], n=5)
    assert items.shape == (2, 5)


def test_grid_search_multi_metric_refit_through_pipeline(raw, split):
    scoring = {name: make_ranking_scorer(name, k=10) for name in ("ndcg", "recall", "hit_rate")}
    search = GridSearchCV(
        Pipeline([("ids", pick_ids()), ("mf", recommender())]),
        {"mf__n_factors": [2, 4]},
        scoring=scoring,
        refit="ndcg",
        cv=UserKFold(n_splits=2, random_state=0),
    ).fit(raw)
    for name in scoring:
        scores = search.cv_results_[f"mean_test_{name}"]
        assert np.isfinite(scores).all() and ((scores > 0) & (scores <= 1)).all()
    assert search.best_index_ == np.argmax(search.cv_results_["mean_test_ndcg"])
    # refit: the whole pipeline, refitted on every row, is the searched one.
    best = search.best_estimator_
    assert (
        isinstance(best, Pipeline) and best["mf"].n_factors == search.best_params_["mf__n_factors"]
    )
    assert best["mf"].seen_.nnz == len(raw.drop_duplicates(["customer_id", "product_id"]))
    _, test = split
    assert search.score(test) == pytest.approx(scoring["ndcg"](best, test))


def test_cross_validate_multi_metric_matches_bare_estimator(raw):
    scoring = {
        "ndcg": make_ranking_scorer("ndcg", k=10),
        "hit_rate_sampled": make_ranking_scorer("hit_rate", k=5, n_negatives=5, random_state=0),
    }
    cv = UserKFold(n_splits=3, random_state=1)
    piped = cross_validate(
        Pipeline([("ids", pick_ids()), ("mf", recommender())]), raw, scoring=scoring, cv=cv
    )
    bare = cross_validate(recommender(), pick_ids().fit_transform(raw), scoring=scoring, cv=cv)
    for name in scoring:
        assert np.isfinite(piped[f"test_{name}"]).all()
        assert (piped[f"test_{name}"] > 0).all()
        np.testing.assert_allclose(piped[f"test_{name}"], bare[f"test_{name}"], rtol=1e-12)


def test_pipeline_ending_in_a_non_recommender_is_an_error(split):
    train, test = split
    pipe = Pipeline([("ids", pick_ids()), ("clf", LogisticRegression())]).fit(
        train, np.arange(len(train)) % 2
    )
    for scorer in (make_ranking_scorer("ndcg"), make_ranking_scorer("ndcg", n_negatives=3)):
        with pytest.raises(TypeError, match=r"last step 'clf' is LogisticRegression\(\)"):
            scorer(pipe, test)
    nested = Pipeline([("outer", Pipeline([("ids", pick_ids()), ("end", "passthrough")]))])
    with pytest.raises(TypeError, match=r"last step 'outer__end' is 'passthrough'"):
        make_ranking_scorer("recall")(nested, test)
    with pytest.raises(TypeError, match=r"with a recommend method.*last step 'clf'"):
        make_beyond_accuracy_scorer("coverage")(pipe, test)


def test_non_recommender_is_an_error(split):
    _, test = split
    with pytest.raises(TypeError, match=r"with a recommend method.*got LogisticRegression\(\)"):
        make_ranking_scorer("ndcg")(LogisticRegression(), test)
    with pytest.raises(TypeError, match=r"with a score_items method"):
        make_ranking_scorer("ndcg", n_negatives=3)(FunctionTransformer(), test)


def test_grid_search_with_a_non_recommender_step_raises_with_the_name(split):
    train, _ = split
    search = GridSearchCV(
        Pipeline([("ids", pick_ids()), ("clf", LogisticRegression())]),
        {"clf__C": [1.0]},
        scoring=make_ranking_scorer("ndcg"),
        cv=2,
        error_score="raise",
    )
    with pytest.raises(TypeError, match="last step 'clf'"):
        search.fit(train, np.arange(len(train)) % 2)


def test_unfitted_pipeline_is_an_error(split):
    _, test = split
    pipe = Pipeline([("ids", pick_ids()), ("mf", recommender())])
    with pytest.raises(NotFittedError, match="ColumnTransformer instance is not fitted"):
        make_ranking_scorer("ndcg")(pipe, test)


def test_grid_search_tunes_the_threshold_through_pipeline():
    X, y = make_interactions(n_users=40, n_items=60, n_interactions=800, random_state=0)
    raw = X.rename(columns={"user": "customer_id", "item": "product_id"}).assign(store=1)
    scoring = {
        "ndcg": make_ranking_scorer("ndcg", k=10, positive_threshold=4),
        "recall": make_ranking_scorer("recall", k=10, positive_threshold=4),
    }
    cv = UserKFold(n_splits=2, random_state=0)
    model = recommender(loss="bce")
    search = GridSearchCV(
        Pipeline([("ids", pick_ids()), ("mf", model)]),
        {"mf__positive_threshold": [2, 4]},
        scoring=scoring,
        refit="ndcg",
        cv=cv,
    ).fit(raw, y)
    bare = GridSearchCV(
        model, {"positive_threshold": [2, 4]}, scoring=scoring, refit="ndcg", cv=cv
    ).fit(pick_ids().fit_transform(raw), y)
    for name in scoring:
        scores = search.cv_results_[f"mean_test_{name}"]
        assert np.isfinite(scores).all() and (scores > 0).all()
        np.testing.assert_allclose(scores, bare.cv_results_[f"mean_test_{name}"], rtol=1e-12)
    assert (
        search.best_estimator_["mf"].positive_threshold
        == (search.best_params_["mf__positive_threshold"])
    )
