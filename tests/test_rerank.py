"""Two-stage recommendation: RecommenderFeatures and RerankingRecommender."""

import pickle

import numpy as np
import pandas as pd
import pytest
from sklearn.base import clone
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.exceptions import NotFittedError
from sklearn.model_selection import GridSearchCV
from sklearn.pipeline import make_pipeline
from sklearn.utils._param_validation import InvalidParameterError

from sklearn_rec import EASE, PopularityRecommender
from sklearn_rec.datasets import make_interactions
from sklearn_rec.metrics import make_beyond_accuracy_scorer, make_ranking_scorer
from sklearn_rec.model_selection import UserHoldoutSplit
from sklearn_rec.rerank import RecommenderFeatures, RerankingRecommender

SEEDS = [0, 1, 2, 3]


@pytest.fixture(scope="module")
def data():
    return make_interactions(n_users=80, n_items=60, n_interactions=1600, random_state=0)


def two_kinds(seed, n_users=120, n_items=60, per_user=15):
    """Users and items of two kinds; every user interacts with items of their kind only.

    Item popularity is the same for both kinds, so a popularity retriever is
    blind to the kinds: only the side features tell them apart.
    """
    rng = np.random.default_rng(seed)
    user_kind = rng.integers(2, size=n_users)
    item_kind = np.arange(n_items) % 2
    rows = [
        (user, item)
        for user in range(n_users)
        for item in rng.choice(np.flatnonzero(item_kind == user_kind[user]), per_user, False)
    ]
    X = pd.DataFrame(rows, columns=["user", "item"])
    users = pd.DataFrame({"kind": user_kind}, index=range(n_users))
    items = pd.DataFrame({"kind": item_kind}, index=range(n_items))
    return X, users, items


def good_and_bad_items(seed, n_users=120, n_items=60, per_user=20):
    """Items drawn uniformly; the first half always rated 5, the other half 1."""
    rng = np.random.default_rng(seed)
    rows = [(u, i) for u in range(n_users) for i in rng.choice(n_items, per_user, False)]
    X = pd.DataFrame(rows, columns=["user", "item"])
    y = np.where(X.item < n_items // 2, 5.0, 1.0)
    return X, y


# -- RecommenderFeatures --------------------------------------------------------


def test_features_are_the_score_the_counts_and_the_tables(data):
    X, y = data
    users = pd.DataFrame({"age": np.arange(80.0)}, index=range(80)).drop(index=[3])
    items = pd.DataFrame({"new": np.arange(60) % 2 == 0}, index=range(60))
    ease = EASE(l2=10.0, positive_threshold=1)  # every rating is an interaction
    features = RecommenderFeatures(
        ease, user_features=users, item_features=items, mean_targets=True
    ).fit(X, y)
    names = features.get_feature_names_out().tolist()
    assert names == [
        "score",
        "user_activity",
        "item_popularity",
        "user_mean_target",
        "item_mean_target",
        "user_age",
        "item_new",
    ]
    pairs = pd.DataFrame({"user": [0, 3, 1], "item": [5, 7, 0]})
    F = features.transform(pairs)
    assert F.shape == (3, features.n_features_out_)
    expected_scores = (
        EASE(l2=10.0).fit(X, (y > 0).astype(float)).score_items([0, 3, 1], [[5], [7], [0]])
    )
    np.testing.assert_allclose(F[:, 0], expected_scores.ravel())
    user_counts, item_counts = X.user.value_counts(), X.item.value_counts()
    np.testing.assert_allclose(F[:, 1], user_counts[[0, 3, 1]] / user_counts.mean())
    np.testing.assert_allclose(F[:, 2], item_counts[[5, 7, 0]] / item_counts.mean())
    means = pd.Series(y).groupby(X.user).mean()
    np.testing.assert_allclose(F[:, 3], means[[0, 3, 1]])
    np.testing.assert_array_equal(F[:, 5], [0.0, np.nan, 1.0])  # user 3 is not in the table
    np.testing.assert_array_equal(F[:, 6], [0.0, 0.0, 1.0])


def test_mean_targets_only_when_asked_and_given(data):
    X, y = data
    # By default y is never a feature: in a Pipeline it is the classifier's label.
    ease = EASE(l2=10.0, positive_threshold=1)
    for features in [RecommenderFeatures(ease).fit(X, y), RecommenderFeatures(EASE()).fit(X)]:
        assert features.get_feature_names_out().tolist() == [
            "score",
            "user_activity",
            "item_popularity",
        ]
    assert RecommenderFeatures(EASE(), mean_targets=True).fit(X).n_features_out_ == 3


def test_prefit_uses_the_fitted_recommender_and_fit_clones(data):
    X, _ = data
    fitted = EASE(l2=10.0).fit(X.iloc[:800])
    assert RecommenderFeatures(fitted, prefit=True).fit(X).recommender_ is fitted
    unfitted = EASE(l2=10.0)
    features = RecommenderFeatures(unfitted).fit(X)
    assert features.recommender_ is not unfitted and not hasattr(unfitted, "seen_")
    with pytest.raises(NotFittedError):
        RecommenderFeatures(EASE(), prefit=True).fit(X)


def test_features_feed_a_gradient_boosted_classifier_in_a_pipeline(data):
    X, _ = data
    rng = np.random.default_rng(0)
    pairs = X[["user", "item"]].to_numpy()
    negatives = np.column_stack([pairs[:, 0], rng.integers(60, size=len(pairs))])
    rows = np.vstack([pairs, negatives])
    labels = np.r_[np.ones(len(pairs)), np.zeros(len(pairs))]
    pipe = make_pipeline(
        RecommenderFeatures(PopularityRecommender()), HistGradientBoostingClassifier(max_iter=20)
    )
    proba = pipe.fit(rows, labels).predict_proba(rows[:5])
    assert proba.shape == (5, 2)
    pipe[0].set_output(transform="pandas")
    assert list(pipe[0].transform(rows[:2]).columns) == list(pipe[0].get_feature_names_out())


def test_features_bad_input(data):
    X, _ = data
    with pytest.raises(InvalidParameterError, match="'recommender' parameter"):
        RecommenderFeatures(HistGradientBoostingClassifier()).fit(X)
    text = pd.DataFrame({"occupation": ["a"] * 80}, index=range(80))
    with pytest.raises(TypeError, match=r"user_features must hold numeric .*\['occupation'\]"):
        RecommenderFeatures(EASE(), user_features=text).fit(X)
    repeated = pd.DataFrame({"year": [1.0, 2.0]}, index=[4, 4])
    with pytest.raises(ValueError, match=r"item_features has repeated ids: \[4\]; .* per id"):
        RecommenderFeatures(EASE(), item_features=repeated).fit(X)
    missing = pd.DataFrame({"year": [1.0, 2.0]}, index=[4.0, np.nan])
    with pytest.raises(ValueError, match="index of item_features contains NaN"):
        RecommenderFeatures(EASE(), item_features=missing).fit(X)
    with pytest.raises(NotFittedError):
        RecommenderFeatures(EASE()).transform(X)
    clash = pd.DataFrame({"activity": np.ones(80)}, index=range(80))
    with pytest.raises(ValueError, match=r"feature names \['user_activity'\] repeat"):
        RecommenderFeatures(EASE(), user_features=clash).fit(X)


# -- RerankingRecommender -------------------------------------------------------


@pytest.mark.parametrize("seed", SEEDS)
def test_side_features_let_the_ranker_see_what_the_retriever_cannot(seed):
    X, users, items = two_kinds(seed)
    train, test = next(UserHoldoutSplit(test_size=0.2, random_state=seed).split(X))
    retriever = PopularityRecommender().fit(X.iloc[train])
    reranked = RerankingRecommender(
        PopularityRecommender(),
        HistGradientBoostingClassifier(max_iter=30, random_state=0),
        n_candidates=60,
        user_features=users,
        item_features=items,
        random_state=seed,
    ).fit(X.iloc[train])
    # Every held-out item is of the user's kind: the reranked lists hold only those.
    recommended = reranked.recommend(X.user.unique(), n=10)[0]
    kinds = users.kind.to_numpy()[X.user.unique()]
    assert (items.kind.to_numpy()[recommended.astype(int)] == kinds[:, None]).mean() > 0.95
    assert reranked.score(X.iloc[test]) > 1.5 * retriever.score(X.iloc[test])


@pytest.mark.parametrize("seed", SEEDS)
def test_the_default_ranker_learns_which_items_are_liked_from_the_ratings(seed):
    # Every rated item counts for the retriever; the ranker learns from the
    # held-out ratings of 4 or more, and the items' mean ratings tell them.
    X, y = good_and_bad_items(seed)
    train, test = next(UserHoldoutSplit(test_size=0.2, random_state=seed).split(X))
    scoring = make_ranking_scorer("ndcg", k=10, positive_threshold=4)
    retriever = EASE(l2=10.0, positive_threshold=1)
    alone = clone(retriever).fit(X.iloc[train], y[train])
    reranked = RerankingRecommender(retriever, positive_threshold=4, random_state=seed)
    reranked.fit(X.iloc[train], y[train])
    # The retriever ranks liked and disliked items alike; the reranked lists
    # hold the liked ones only.
    every_user = X.user.unique()
    assert (alone.recommend(every_user, n=5)[0] < 30).mean() < 0.7
    assert (reranked.recommend(every_user, n=5)[0] < 30).mean() > 0.95
    assert scoring(reranked, X.iloc[test], y[test]) > 1.2 * scoring(alone, X.iloc[test], y[test])


def test_recommend_reorders_the_retrievers_candidates(data):
    X, _ = data
    model = RerankingRecommender(EASE(l2=10.0), n_candidates=15, random_state=0).fit(X)
    users = np.array([0, 1, 2])
    items, scores = model.recommend(users, n=5)
    candidates, _ = EASE(l2=10.0).fit(X).recommend(users, n=15)
    for row, pool in zip(items, candidates, strict=True):
        assert set(row) <= set(pool)
    assert (np.diff(scores, axis=1) <= 0).all()
    # The scores are the ranker's, as score_items and predict give them.
    np.testing.assert_allclose(model.score_items(users, items), scores, rtol=1e-6, atol=1e-9)
    pairs = pd.DataFrame({"user": np.repeat(users, 5), "item": items.ravel()})
    np.testing.assert_allclose(model.predict(pairs), scores.ravel(), rtol=1e-6, atol=1e-9)
    # A pair's score does not depend on what recommend is asked.
    for kwargs in [{"exclude_seen": False}, {"exclude_items": [items[0, 0]]}, {"items": items[0]}]:
        some, some_scores = model.recommend(users, n=5, **kwargs)
        listed = np.isfinite(some_scores)  # padding past a user's eligible items
        np.testing.assert_allclose(
            model.score_items(users, some)[listed], some_scores[listed], rtol=1e-6, atol=1e-9
        )
    # Nothing to rank gives empty rows, as the retriever does.
    assert model.recommend(users, n=5, items=[])[0].shape == (3, 0)
    assert model.score_items(users, np.empty((3, 0))).shape == (3, 0)
    # Lists longer than n_candidates come from as many candidates.
    assert model.recommend(users, n=20)[0].shape == (3, 20)
    # Seen items are left out; user 0 has 29 unseen items, so the 30th is padding.
    items, scores = model.recommend(0, n=30)
    assert np.isfinite(scores[0]).sum() == 60 - (X.user == 0).sum() == 29
    assert not set(items[0][np.isfinite(scores[0])]) & set(X.item[X.user == 0])


def test_fit_is_deterministic_and_the_estimator_composes(data):
    X, _ = data
    params = {"n_candidates": 20, "cv": 3, "random_state": 0}
    first = RerankingRecommender(EASE(l2=10.0), **params).fit(X)
    second = RerankingRecommender(EASE(l2=10.0), **params).fit(X)
    np.testing.assert_array_equal(first.recommend([0, 1], n=5)[0], second.recommend([0, 1], n=5)[0])
    restored = pickle.loads(pickle.dumps(first))
    np.testing.assert_array_equal(
        restored.recommend([0, 1], n=5)[1], first.recommend([0, 1], n=5)[1]
    )
    assert first.feature_names_.tolist()[-2:] == ["rank", "score_gap"]
    assert len(first.cold_items_) == 0
    coverage = make_beyond_accuracy_scorer("coverage", k=10)(first, X)
    assert 0 < coverage <= 1
    assert first.score(X) == make_ranking_scorer("ndcg", k=10)(first, X)
    search = GridSearchCV(
        RerankingRecommender(EASE(l2=10.0), cv=UserHoldoutSplit(0.2, random_state=0)),
        {"n_candidates": [10, 30]},
        scoring=make_ranking_scorer("recall", k=10),
        cv=UserHoldoutSplit(test_size=0.2, random_state=0),
    ).fit(X)
    assert np.isfinite(search.cv_results_["mean_test_score"]).all()


def test_reranking_bad_input(data):
    X, _ = data
    with pytest.raises(InvalidParameterError, match="'retriever' parameter"):
        RerankingRecommender(HistGradientBoostingClassifier()).fit(X)
    with pytest.raises(InvalidParameterError, match="'cv' parameter"):
        RerankingRecommender(EASE(), cv=1).fit(X)
    with pytest.raises(InvalidParameterError, match="'n_candidates' parameter"):
        RerankingRecommender(EASE(), n_candidates=0).fit(X)
    with pytest.raises(ValueError, match=r"positive_threshold=4 makes .* but y is None"):
        RerankingRecommender(EASE(), positive_threshold=4).fit(X)
    with pytest.raises(TypeError, match=r"scorers must be None or a list of \(name, recommender"):
        RerankingRecommender(EASE(), scorers=[EASE()]).fit(X)
    with pytest.raises(ValueError, match=r"feature names \['score_gap'\] repeat"):
        RerankingRecommender(EASE(), scorers=[("gap", EASE())]).fit(X)
    with pytest.raises(TypeError, match="n_candidates must be an int, got True"):
        RerankingRecommender(EASE(), n_candidates=True).fit(X)
    with pytest.raises(ValueError, match=r"names of scorers must be distinct, got \['a', 'a'\]"):
        RerankingRecommender(EASE(), scorers=[("a", EASE()), ("a", EASE())]).fit(X)
    with pytest.raises(NotFittedError):
        RerankingRecommender(EASE()).recommend([0])


def test_nothing_to_learn_ranks_by_the_retriever():
    # Each held-out item is the user's only unseen item, so every candidate
    # is a positive: the ranker has one class, and the retriever's order stays.
    tiny = pd.DataFrame({"user": [0, 0, 1, 1, 2, 2], "item": [0, 1, 0, 1, 0, 1]})
    with pytest.warns(UserWarning, match=r"every one is a held-out .*\(ranker_ is None\)"):
        model = RerankingRecommender(EASE(l2=1.0), cv=2, random_state=0).fit(tiny)
    assert model.ranker_ is None
    ease = EASE(l2=1.0).fit(tiny)
    X = pd.DataFrame({"user": [0, 1], "item": [1, 0]})
    np.testing.assert_array_equal(model.predict(X), ease.predict(X))
