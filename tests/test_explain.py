"""explain: contributions that add up to the score, fidelity, the frame, and bad input."""

import sys

import numpy as np
import pandas as pd
import pytest
import torch

from sklearn_rec import (
    EASE,
    ItemKNN,
    MatrixFactorization,
    NeuralRecommender,
    PopularityRecommender,
)
from sklearn_rec.datasets import make_interactions

SEEDS = [0, 1, 2]


def _data(seed, n_users=60, n_items=50):
    X, y = make_interactions(
        n_users=n_users, n_items=n_items, n_interactions=1500, n_factors=3, random_state=seed
    )
    return X, y


def _implicit(seed):
    X, y = _data(seed)
    return X[y >= 4].reset_index(drop=True)


def _mean_ratings(X, y, user):
    """The user's training history and mean rating per item, as explain reads them."""
    mine = X.user.to_numpy() == user
    means = pd.Series(y[mine]).groupby(X.item.to_numpy()[mine]).mean()
    return np.array(means.index), np.array(means)


def _pairs(users, items):
    return pd.DataFrame({"user": users, "item": items})


def _all(model, users, items):
    """Every contribution (n large enough for all of them)."""
    return model.explain(users, items, n=10_000)


# -- exact explanations ------------------------------------------------------------------


@pytest.mark.parametrize("model", [ItemKNN(n_neighbors=20), EASE(l2=10.0)], ids=repr)
def test_item_item_contributions_are_the_history_weights(model):
    X = _implicit(0)
    model.fit(X)
    users, items = np.array([0, 3, 7, 11]), np.array([5, 9, 2, 40])
    frame = _all(model, users, items)
    predicted = model.predict(_pairs(users, items))
    sums = frame.groupby("pair").contribution.sum().to_numpy()
    np.testing.assert_allclose(sums, predicted, atol=1e-5)
    np.testing.assert_allclose(frame.attrs["score"], predicted, atol=1e-6)
    assert frame.attrs["method"] == ["exact"] * 4
    assert max(frame.attrs["completeness_error"]) < 1e-5
    # One row per history item of each user, each contributing W[h, j].
    weights = model.similarity_.toarray() if isinstance(model, ItemKNN) else model.coef_
    first = frame[frame.pair == 0]
    assert set(first.kind) == {"history"}
    assert sorted(first.id_or_feature) == sorted(X.item[X.user == 0].unique())
    codes = np.searchsorted(model.items_, first.id_or_feature.to_numpy(dtype=np.int64))
    np.testing.assert_allclose(first.contribution, weights[codes, 5], atol=1e-7)


def test_popularity_has_no_history_term():
    X = _implicit(0)
    model = PopularityRecommender().fit(X)
    frame = model.explain(0, 5)
    assert frame.kind.tolist() == ["popularity"]
    assert frame.id_or_feature.tolist() == [5]
    assert frame.contribution[0] == pytest.approx(model.predict(_pairs([0], [5]))[0])
    assert frame.attrs["score"] == pytest.approx(frame.contribution[0])


@pytest.mark.parametrize("seed", SEEDS)
def test_mf_ratings_explains_the_folded_in_score_exactly(seed):
    X, y = _data(seed)
    mf = MatrixFactorization(n_factors=4, max_epochs=5, random_state=seed).fit(X, y)
    for user, item in [(0, 5), (4, 17), (9, 30)]:
        frame = _all(mf, user, item)
        history, ratings = _mean_ratings(X, y, user)
        _, folded = mf.recommend_for_history(
            history, ratings=ratings, items=[item], n=1, exclude_seen=False
        )
        assert frame.attrs["method"] == "exact"
        assert frame.attrs["score"] == pytest.approx(folded[0, 0], abs=1e-5)
        assert frame.contribution.sum() == pytest.approx(frame.attrs["score"], abs=1e-4)
        assert frame.attrs["completeness_error"] < 1e-4
        assert (frame.kind == "bias").sum() == 1
        assert sorted(frame.id_or_feature[frame.kind == "history"]) == sorted(history)


def test_mf_ratings_item_features_add_up_and_are_named():
    X, y = _data(0)
    genres = pd.DataFrame(
        {"genre": np.where(np.arange(50) % 2, "odd", "even"), "year": np.arange(50.0)},
        index=np.arange(50),
    )
    mf = MatrixFactorization(n_factors=4, max_epochs=5, item_features=genres, random_state=0).fit(
        X, y
    )
    frame = _all(mf, 0, 5)
    features = frame[frame.kind == "item_feature"]
    assert sorted(features.id_or_feature) == ["genre=odd", "year"]
    assert frame.contribution.sum() == pytest.approx(frame.attrs["score"], abs=1e-4)
    history, ratings = _mean_ratings(X, y, 0)
    _, folded = mf.recommend_for_history(
        history, ratings=ratings, items=[5], n=1, exclude_seen=False
    )
    assert frame.attrs["score"] == pytest.approx(folded[0, 0], abs=1e-5)


def test_partial_fit_adds_to_the_ratings_explained():
    X, y = _data(0)
    ids = {"user_ids": np.unique(X.user), "item_ids": np.unique(X.item)}
    mf = MatrixFactorization(n_factors=4, max_epochs=2, random_state=0, **ids)
    half = len(X) // 2
    mf.partial_fit(X[:half], y[:half]).partial_fit(X[half:], y[half:])
    frame = _all(mf, 0, 5)
    history, ratings = _mean_ratings(X, y, 0)
    assert sorted(frame.id_or_feature[frame.kind == "history"]) == sorted(history)
    _, folded = mf.recommend_for_history(
        history, ratings=ratings, items=[5], n=1, exclude_seen=False
    )
    assert frame.attrs["score"] == pytest.approx(folded[0, 0], abs=1e-5)


# -- attributions ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "model",
    [
        MatrixFactorization(n_factors=4, loss="bpr", max_epochs=5, random_state=0),
        MatrixFactorization(n_factors=4, loss="bce", max_epochs=5, random_state=0),
        # The classic NCF with a smooth activation: the fold-in's gradients in
        # the history weights are then those of the implicit-function theorem
        # (see the Notes).
        NeuralRecommender(
            embedding_dim=4,
            hidden_units=(8,),
            activation="tanh",
            architecture="mlp",
            loss="bce",
            n_negatives=4,
            max_epochs=3,
            random_state=0,
        ),
    ],
    ids=lambda m: f"{type(m).__name__}-{m.loss}",
)
def test_attribution_is_complete_and_explains_the_folded_in_score(model):
    X = _implicit(0)
    model.fit(X)
    frame = _all(model, [0, 4], [5, 17])
    assert frame.attrs["method"] == ["integrated_gradients"] * 2
    for pair, (user, item) in enumerate([(0, 5), (4, 17)]):
        rows = frame[frame.pair == pair]
        score = frame.attrs["score"][pair]
        assert rows.contribution.sum() == pytest.approx(score, abs=1e-3)
        assert frame.attrs["completeness_error"][pair] == pytest.approx(
            abs(rows.contribution.sum() - score)
        )
        history = X.item[X.user == user].unique()
        assert sorted(rows.id_or_feature[rows.kind == "history"]) == sorted(history)
        # The score explained is recommend_for_history's, before the link (sigmoid for bce).
        _, linked = model.recommend_for_history(history, items=[item], n=1, exclude_seen=False)
        assert float(model._loss.link(torch.tensor(score))) == pytest.approx(linked[0, 0], abs=1e-4)


def test_attribution_of_item_features():
    X = _implicit(0)
    genres = pd.DataFrame({"genre": np.where(np.arange(50) % 2, "odd", "even")})
    model = MatrixFactorization(
        n_factors=4, loss="bpr", max_epochs=5, item_features=genres, random_state=0
    ).fit(X)
    frame = _all(model, 0, 5)
    assert frame.id_or_feature[frame.kind == "item_feature"].tolist() == ["genre=odd"]
    assert frame.attrs["completeness_error"] < 1e-3


def test_attribution_needs_captum(monkeypatch):
    model = MatrixFactorization(n_factors=4, loss="bpr", max_epochs=1, random_state=0)
    model.fit(_implicit(0))
    monkeypatch.setitem(sys.modules, "captum", None)
    monkeypatch.setitem(sys.modules, "captum.attr", None)
    with pytest.raises(ImportError, match=r"sklearn-rec\[explain\]"):
        model.explain(0, 5)
    # Exact explanations do not need it.
    X, y = _data(0)
    mse = MatrixFactorization(n_factors=4, max_epochs=1, random_state=0).fit(X, y)
    assert mse.explain(0, 5).attrs["method"] == "exact"


# -- fidelity ------------------------------------------------------------------------------


def _folded_score(model, history, item, ratings=None):
    _, scores = model.recommend_for_history(
        history, ratings=ratings, items=[item], n=1, exclude_seen=False
    )
    return scores[0, 0]


@pytest.mark.parametrize(
    "make",
    [
        lambda seed: EASE(l2=10.0),
        lambda seed: MatrixFactorization(n_factors=4, max_epochs=10, random_state=seed),
        lambda seed: MatrixFactorization(n_factors=4, loss="bpr", max_epochs=10, random_state=seed),
    ],
    ids=["EASE", "MF-mse", "MF-bpr"],
)
def test_removing_the_top_item_lowers_the_score_more_than_a_random_one(make):
    top_drops, random_drops = [], []
    for seed in SEEDS:
        X, y = _data(seed)
        model = make(seed)
        if model._predicts_ratings:
            model.fit(X, y)
        else:
            X, y = X[y >= 4], y[y >= 4]
            model.fit(X)
        rng = np.random.default_rng(seed)
        for user in range(0, 30, 3):
            history, ratings = _mean_ratings(X, y, user)
            if not model._predicts_ratings:
                ratings = None
            if len(history) < 3:
                continue
            item = model.recommend(user, n=1)[0][0, 0]
            frame = _all(model, user, item)
            contributions = frame[frame.kind == "history"]
            top = contributions.id_or_feature[contributions.contribution.idxmax()]
            full = _folded_score(model, history, item, ratings)

            def without(removed, history=history, ratings=ratings, item=item, model=model):
                keep = history != removed
                kept = None if ratings is None else ratings[keep]
                return _folded_score(model, history[keep], item, kept)

            top_drops.append(full - without(top))
            random_drops.append(full - without(rng.choice(history)))
    assert np.mean(top_drops) > np.mean(random_drops)


# -- the frame -----------------------------------------------------------------------------


def test_frame_columns_order_and_length():
    model = EASE(l2=10.0).fit(_implicit(0))
    frame = model.explain(0, 5, n=3)
    assert frame.columns.tolist() == ["kind", "id_or_feature", "contribution"]
    assert len(frame) == 3
    magnitudes = frame.contribution.abs().to_numpy()
    assert (np.diff(magnitudes) <= 0).all()
    everything = _all(model, 0, 5)
    np.testing.assert_array_equal(frame.contribution, everything.contribution[:3])
    assert isinstance(frame.attrs["score"], float)


def test_batch_form_has_a_pair_column_and_matches_single_calls():
    model = ItemKNN(n_neighbors=20).fit(_implicit(0))
    users, items = [0, 3, 0], [5, 9, 9]
    frame = model.explain(users, items, n=2)
    assert frame.columns.tolist() == [
        "pair",
        "user",
        "item",
        "kind",
        "id_or_feature",
        "contribution",
    ]
    assert frame.pair.tolist() == [0, 0, 1, 1, 2, 2]
    assert frame.user.tolist() == [0, 0, 3, 3, 0, 0]
    for pair, (user, item) in enumerate(zip(users, items, strict=True)):
        single = model.explain(user, item, n=2)
        rows = frame[frame.pair == pair].reset_index(drop=True)
        pd.testing.assert_frame_equal(rows[single.columns], single)
        assert frame.attrs["score"][pair] == single.attrs["score"]
    # A user with fewer history items than n shows them all.
    assert len(model.explain(0, 5, n=1000)) == (model.seen_[0].nnz)


def test_a_seen_item_is_explained():
    X = _implicit(0)
    model = EASE(l2=10.0).fit(X)
    seen = X.item[X.user == 0].iloc[0]
    frame = _all(model, 0, seen)
    # EASE's diagonal is 0: the item does not explain itself.
    assert frame.contribution[frame.id_or_feature == seen].tolist() == [0.0]


# -- bad input -----------------------------------------------------------------------------


def test_unknown_ids_follow_handle_unknown():
    X = _implicit(0)
    model = EASE(l2=10.0).fit(X)
    with pytest.raises(ValueError, match=r"unknown user id.*\[999\]"):
        model.explain(999, 5)
    with pytest.raises(ValueError, match=r"unknown item id.*\['nope'\]"):
        model.explain(0, "nope")
    model.set_params(handle_unknown="fallback")
    frame = model.explain([999, 0], [5, 5])
    fallback = frame[frame.pair == 0]
    assert fallback.kind.tolist() == ["popularity"]
    assert fallback.contribution.iloc[0] == pytest.approx(
        model.predict(_pairs([999], [5]))[0], abs=1e-12
    )
    assert set(frame.kind[frame.pair == 1]) == {"history"}


def test_unknown_user_of_a_rating_model_falls_back_to_the_biases():
    X, y = _data(0)
    mf = MatrixFactorization(n_factors=4, max_epochs=1, handle_unknown="fallback").fit(X, y)
    frame = mf.explain(999, 5)
    assert frame.kind.tolist() == ["bias"]
    assert frame.contribution[0] == pytest.approx(mf.predict(_pairs([999], [5]))[0])


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"n": 0}, ValueError, "n must be >= 1, got 0"),
        ({"n": 2.5}, TypeError, "n must be an int"),
        ({"users": [0, 1], "items": [5]}, ValueError, "2 users and 1 items"),
        ({"users": [[0]], "items": [[5]]}, ValueError, "users must be a 1-D"),
    ],
)
def test_bad_arguments(kwargs, error, match):
    model = EASE(l2=10.0).fit(_implicit(0))
    arguments = {"users": 0, "items": 5, **kwargs}
    with pytest.raises(error, match=match):
        model.explain(**arguments)


def test_explain_needs_the_training_histories():
    X, y = _data(0)
    mf = MatrixFactorization(n_factors=4, max_epochs=1, store_seen=False).fit(X, y)
    with pytest.raises(ValueError, match="store_seen=False"):
        mf.explain(0, 5)


def test_a_user_known_from_features_alone_has_no_history():
    X, y = _data(0)
    users = pd.DataFrame({"group": ["a", "b"] * 30 + ["a"]}, index=[*range(60), "new"])
    mf = MatrixFactorization(n_factors=4, max_epochs=1, user_features=users).fit(X, y)
    with pytest.raises(ValueError, match="'new' is known from user_features alone"):
        mf.explain("new", 5)


def test_rows_labelled_0_are_not_history():
    X = _implicit(0)
    labels = np.ones(len(X))
    labels[X.index[X.user == 0][:3]] = 0
    model = MatrixFactorization(n_factors=4, loss="bce", n_negatives=0, max_epochs=1)
    model.fit(X, labels)
    frame = _all(model, 0, 5)
    history = sorted(X.item[(X.user == 0) & (labels == 1)])
    assert sorted(frame.id_or_feature[frame.kind == "history"]) == history
    with pytest.raises(ValueError, match="no positive interaction"):
        labels[X.index[X.user == 1]] = 0
        model.fit(X, labels).explain(1, 5)
