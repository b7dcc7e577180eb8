"""Side features of users and items, and cold start from them."""

import pickle

import numpy as np
import pandas as pd
import pytest
import torch
from sklearn.base import clone
from sklearn.compose import ColumnTransformer
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.model_selection import GridSearchCV, cross_validate
from sklearn.preprocessing import FunctionTransformer
from sklearn.utils._param_validation import InvalidParameterError

from sklearn_rec import MatrixFactorization, NeuralRecommender
from sklearn_rec.model_selection import ColdStartSplit
from sklearn_rec.utils.estimator_checks import checkerboard

N_COLD = 4  # ids 20-23 exist only in the feature tables
IDS = np.arange(20 + N_COLD)
PARITY = np.where(IDS % 2, "odd", "even")
USER_FEATURES = pd.DataFrame({"parity": PARITY, "size": IDS * 1.0}, index=IDS)
ITEM_FEATURES = pd.DataFrame({"parity": pd.Categorical(PARITY)}, index=IDS)
FAST = {"max_epochs": 60, "random_state": 0}


FEATURES = {"user_features": USER_FEATURES, "item_features": ITEM_FEATURES}


def _mf(**params):
    return MatrixFactorization(
        **{"n_factors": 4, "loss": "bce", "lr": 0.05, **FAST, **FEATURES, **params}
    )


def _neural(**params):
    return NeuralRecommender(
        **{"embedding_dim": 4, "hidden_units": (8,), "lr": 0.02, **FAST, **FEATURES, **params}
    )


@pytest.fixture(scope="module", params=["mf", "neural"])
def fitted(request):
    X, _ = checkerboard()
    return (_mf() if request.param == "mf" else _neural()).fit(X)


def test_cold_ids_are_known_from_the_tables(fitted):
    np.testing.assert_array_equal(fitted.cold_users_, [20, 21, 22, 23])
    np.testing.assert_array_equal(fitted.cold_items_, [20, 21, 22, 23])
    assert fitted.n_users_ == fitted.n_items_ == 20
    np.testing.assert_array_equal(fitted.users_, np.arange(20))


def test_cold_users_get_items_of_their_parity(fitted):
    items, scores = fitted.recommend([20, 21, 22, 23], n=5, items=np.arange(20))
    assert np.isfinite(scores).all()
    assert (items % 2 == np.array([[0], [1], [0], [1]])).all()


def test_cold_items_rank_by_their_features(fitted):
    pairs = pd.DataFrame({"user": [0, 0, 1, 1], "item": [22, 23, 22, 23]})
    even_user, odd_user = fitted.predict(pairs).reshape(2, 2)
    assert even_user[0] > even_user[1] and odd_user[1] > odd_user[0]
    items, _ = fitted.recommend([0], n=24)
    assert set(items[0]) >= {20, 21, 22, 23}  # the cold items are in the catalogue
    cold_pairs = pd.DataFrame({"user": [20, 20], "item": [22, 23]})
    np.testing.assert_allclose(
        fitted.score_items([20], [[22, 23]])[0], fitted.predict(cold_pairs), rtol=1e-6
    )


def test_fold_in_over_cold_items(fitted):
    items, scores = fitted.recommend_for_history([21, 23, 1], n=3, items=np.arange(20))
    assert np.isfinite(scores).all() and (items % 2 == 1).all()


def test_cold_users_have_seen_nothing(fitted):
    items, scores = fitted.recommend([21], n=24)
    assert np.isfinite(scores).all() and items.shape == (1, 24)


def test_without_features_nothing_is_cold():
    X, _ = checkerboard()
    model = MatrixFactorization(n_factors=4, loss="bce", **FAST).fit(X)
    assert model.cold_users_.size == model.cold_items_.size == 0


def test_ids_in_neither_follow_handle_unknown():
    X, _ = checkerboard()
    model = _mf().fit(X)
    with pytest.raises(ValueError, match=r"unknown user id.*\[99\]"):
        model.recommend([20, 99])
    with pytest.raises(ValueError, match=r"unknown item id.*\[77\]"):
        model.predict(pd.DataFrame({"user": [20], "item": [77]}))
    model.set_params(handle_unknown="fallback")
    assert np.isfinite(model.recommend([20, 99], n=3)[1]).all()


def test_unseen_levels_and_missing_values_contribute_nothing():
    X, _ = checkerboard()
    features = USER_FEATURES.copy()
    features.loc[20, "parity"] = "neither"  # only a cold user has it: no embedding
    features.loc[20, "size"] = np.nan
    model = _mf(user_features=features).fit(X)
    code = torch.as_tensor(model._user_vocabulary.encode(np.array([20])))
    vector = model.module_.user_factors(code)
    np.testing.assert_array_equal(vector.detach().numpy(), 0.0)


def test_training_on_cold_ids_needs_a_refit():
    X, _ = checkerboard()
    model = _mf().fit(X)
    with pytest.raises(ValueError, match=r"unknown user id.*\[20\].*refit"):
        model.partial_fit(pd.DataFrame({"user": [20], "item": [0]}))


def test_clone_search_and_cross_validation_need_no_glue():
    X, _ = checkerboard()
    X = pd.concat([X, pd.DataFrame({"user": [20, 21, 22, 23], "item": [2, 3, 4, 5]})])
    model = _mf(max_epochs=5)
    clone(model).fit(X)
    scores = cross_validate(model, X, cv=ColdStartSplit("user", test_size=4, random_state=0))
    assert np.isfinite(scores["test_score"]).all()
    search = GridSearchCV(model, {"n_factors": [2, 4]}, cv=ColdStartSplit("item", n_splits=2))
    search.fit(X)
    assert search.best_estimator_.user_features is not None


def test_pickle_round_trip_with_features(fitted):
    restored = pickle.loads(pickle.dumps(fitted))
    for a, b in zip(restored.recommend([0, 21]), fitted.recommend([0, 21]), strict=True):
        np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize(
    ("table", "error", "message"),
    [
        ([[1, 2]], TypeError, "user_features must be None or a pandas DataFrame"),
        (pd.DataFrame(index=IDS), ValueError, "user_features has no columns"),
        (
            pd.DataFrame({"a": [1, 2]}, index=[3, 3]),
            ValueError,
            r"index of user_features has repeated ids: \[3\]",
        ),
        (
            pd.DataFrame({"when": pd.to_datetime(["2020-01-01"] * 24)}, index=IDS),
            TypeError,
            "Column 'when' of user_features has dtype datetime64",
        ),
        (
            pd.DataFrame({"tags": [["a", "b"]] * 24}, index=IDS),
            TypeError,
            "Column 'tags' of user_features holds unhashable values",
        ),
        (
            pd.DataFrame({"age": [np.inf] * 24}, index=IDS),
            ValueError,
            "Column 'age' of user_features contains inf",
        ),
        (
            pd.DataFrame({"age": 1.0}, index=IDS.astype(str)),
            ValueError,
            "None of the ids of user_features is an id of X",
        ),
    ],
)
def test_bad_feature_tables(table, error, message):
    X, _ = checkerboard()
    with pytest.raises(error, match=message):
        MatrixFactorization(loss="bce", max_epochs=1, user_features=table).fit(X)


def test_movielens_tables_work_as_they_are(movielens_home):
    from sklearn_rec.datasets import fetch_movielens

    movielens = fetch_movielens("100k", data_home=movielens_home)
    X = movielens.data[["user", "item"]]
    users = movielens.users[["age", "gender", "occupation"]]  # int, category, category
    genres = movielens.movies["genres"].str.get_dummies("|").astype(float)
    items = pd.concat([movielens.movies[["year"]], genres], axis=1)  # Int64 with a missing year
    train, test = next(ColdStartSplit("user", test_size=50, random_state=0).split(X))
    model = MatrixFactorization(
        n_factors=8, loss="bpr", max_epochs=1, user_features=users, item_features=items
    ).fit(X.iloc[train])
    assert len(model.cold_users_) == 50 and model._user_encoder.n_levels == 2 + 21
    assert 0 <= model.score(X.iloc[test]) <= 1


def test_indicator_columns_are_not_standardised():
    from sklearn_rec._features import FeatureEncoder
    from sklearn_rec._vocabulary import Vocabulary

    rare = np.zeros(len(IDS))
    rare[[3, 21]] = 1.0
    table = pd.DataFrame({"rare": rare, "size": IDS * 1.0}, index=IDS)
    table.loc[4, "rare"] = np.nan
    encoder = FeatureEncoder(table, "item_features", Vocabulary.from_ids(np.arange(20)))
    # A 0/1 column keeps its values (a missing one is 0); standardising it
    # would turn the one training row that has it into more than 4.
    np.testing.assert_array_equal(encoder.values[:, 0], rare)
    size = encoder.values[:20, 1]
    np.testing.assert_allclose([size.mean(), size.std()], [0.0, 1.0], atol=1e-6)


@pytest.mark.parametrize("make", [_mf, _neural])
def test_feature_scale_multiplies_the_feature_part(make):
    X, _ = checkerboard()
    cold = torch.as_tensor([20, 21])  # the first cold users: features alone
    vectors = {}
    for scale in (1.0, 0.25):
        model = make(feature_scale=scale, max_epochs=0).fit(X)
        table = model.module_.user_factors if make is _mf else model.module_.user_embedding
        vectors[scale] = table(cold).detach()
    assert vectors[1.0].abs().sum() > 0
    torch.testing.assert_close(vectors[0.25], 0.25 * vectors[1.0])


@pytest.mark.parametrize("value", [0, 0.0, -1.0, np.inf])
def test_feature_scale_must_be_positive(value):
    X, _ = checkerboard()
    expected = r"'feature_scale' parameter of MatrixFactorization must be a float in the range"
    with pytest.raises(ValueError, match=rf"{expected} \(0\.0, inf\)\. Got {value!r} instead"):
        _mf(feature_scale=value).fit(X)
    with pytest.raises(TypeError, match=rf"{expected} .*Got '1' instead"):
        _mf(feature_scale="1").fit(X)


# -- any scikit-learn transformer as the encoder -------------------------------------------

TEXT = pd.DataFrame({"tags": np.where(IDS % 2, "odd strange", "even plain")}, index=IDS)


def _tfidf(**params):
    # sparse_threshold=1.0: the ColumnTransformer keeps TfidfVectorizer's sparse output.
    return ColumnTransformer([("tfidf", TfidfVectorizer(**params), "tags")], sparse_threshold=1.0)


def _embeddings(table):
    """Precomputed vectors, as a text model would give: one column per dimension."""
    return np.column_stack([table["tags"].str.startswith("odd"), np.ones(len(table))]) * 1.0


ENCODED = {"item_features": TEXT, "user_features": None}


@pytest.fixture(
    scope="module",
    params=[
        (model, output, seed)
        for model, output in [("mf", "sparse"), ("neural", "sparse"), ("mf", "dense")]
        for seed in (0, 1, 2)
    ],
    ids=lambda param: "-".join(map(str, param)),
)
def encoded(request):
    model, output, seed = request.param
    encoder = _tfidf() if output == "sparse" else FunctionTransformer(_embeddings)
    make = _mf if model == "mf" else _neural
    X, _ = checkerboard()
    return make(item_encoder=encoder, random_state=seed, **ENCODED).fit(X), output


def test_an_encoder_serves_cold_items_from_their_text(encoded):
    fitted, output = encoded
    np.testing.assert_array_equal(fitted.cold_items_, [20, 21, 22, 23])
    assert (fitted._item_encoder.bag is not None) == (output == "sparse")
    pairs = pd.DataFrame({"user": [0, 0, 1, 1], "item": [22, 23, 22, 23]})
    even_user, odd_user = fitted.predict(pairs).reshape(2, 2)
    assert even_user[0] > even_user[1] and odd_user[1] > odd_user[0]
    items, scores = fitted.recommend_for_history([21, 23, 1], n=3, items=np.arange(20))
    assert np.isfinite(scores).all() and (items % 2 == 1).all()
    restored = pickle.loads(pickle.dumps(fitted))
    np.testing.assert_array_equal(restored.predict(pairs), fitted.predict(pairs))


def test_the_sparse_encoding_is_explained_by_its_columns():
    X, _ = checkerboard()
    fitted = _mf(item_encoder=_tfidf(), **ENCODED).fit(X)
    why = fitted.explain(0, 22, n=10)
    assert {"tfidf__even", "tfidf__plain"} <= set(why.id_or_feature)
    assert why.attrs["completeness_error"] < 1e-3


def test_the_encoder_is_fitted_on_the_training_ids_and_tuned_by_search():
    X, _ = checkerboard()
    # A word only cold items have gets no column: the encoder learns from the ids of X.
    text = TEXT.copy()
    text.loc[22, "tags"] = "even plain unheard"
    model = _mf(item_encoder=_tfidf(), item_features=text, user_features=None, max_epochs=2)
    assert "tfidf__unheard" not in model.fit(X)._item_encoder.bag_names
    search = GridSearchCV(
        model, {"item_encoder__tfidf__max_features": [1, None]}, cv=ColdStartSplit("item")
    ).fit(X)
    widths = {
        params["item_encoder__tfidf__max_features"]: score
        for params, score in zip(
            search.cv_results_["params"], search.cv_results_["mean_test_score"], strict=True
        )
    }
    assert set(widths) == {1, None} and np.isfinite(list(widths.values())).all()
    best = search.best_estimator_
    expected = 1 if search.best_params_["item_encoder__tfidf__max_features"] == 1 else 4
    assert best._item_encoder.bag.shape[1] == expected
    # The search's candidates were clones: the model's own encoder is untouched.
    assert model.item_encoder.transformers[0][1].max_features is None


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_a_user_encoder_serves_cold_users(seed):
    X, _ = checkerboard()
    model = _mf(user_features=TEXT, user_encoder=_tfidf(), item_features=None, random_state=seed)
    items, scores = model.fit(X).recommend([20, 21, 22, 23], n=5)
    assert np.isfinite(scores).all()
    assert (items % 2 == np.array([[0], [1], [0], [1]])).all()


@pytest.mark.parametrize("loss", ["bpr", "sampled_softmax"])
def test_sparse_gradients_reach_the_bag(loss):
    X, _ = checkerboard()
    model = _mf(loss=loss, sparse=True, item_encoder=_tfidf(), **ENCODED, max_epochs=2).fit(X)
    assert model.item_encoder_.transformers_[0][1].vocabulary_  # the fitted clone
    assert model.item_encoder is not model.item_encoder_
    assert np.isfinite(model.predict(X.head(3))).all()


def test_a_model_pickled_before_bags_existed_still_predicts():
    X, _ = checkerboard()
    model = _mf(max_epochs=2).fit(X)
    for table in model.module_.item_tables():
        del table.bag  # as a FeatureEmbedding unpickled from an older release
    assert np.isfinite(model.predict(X.head(3))).all()
    assert len(model.explain(0, 3)) > 0


def test_partial_fit_with_an_encoder():
    X, _ = checkerboard()
    model = _mf(item_encoder=_tfidf(), **ENCODED, max_epochs=2).fit(X)
    before = model.predict(X.head(3))
    model.partial_fit(X.head(40))
    assert not np.allclose(model.predict(X.head(3)), before)


@pytest.mark.parametrize(
    ("params", "error", "message"),
    [
        (
            {"item_encoder": TfidfVectorizer(), "item_features": None},
            TypeError,
            r"item_encoder encodes item_features, which must then be a pandas DataFrame",
        ),
        ({"item_encoder": "tfidf"}, InvalidParameterError, r"'item_encoder' parameter"),
        (
            {"item_encoder": FunctionTransformer(lambda t: np.full((len(t), 2), np.nan))},
            ValueError,
            r"item_encoder transformed item_features into values that are not finite",
        ),
        (
            {"item_encoder": FunctionTransformer(lambda t: np.ones((3, 2)))},
            ValueError,
            r"item_encoder must transform the 24 rows of item_features into a 2-D array "
            r"of 24 rows, got shape \(3, 2\)",
        ),
        (
            {"item_features": pd.concat([TEXT, TEXT.iloc[[4]]])},
            ValueError,
            r"The index of item_features has repeated ids: \[4\]",
        ),
    ],
    ids=["no table", "not a transformer", "NaN", "rows", "repeated ids"],
)
def test_bad_encoders(params, error, message):
    X, _ = checkerboard()
    model = _mf(**{**ENCODED, **params}, max_epochs=1)
    with pytest.raises(error, match=message):
        model.fit(X)


def test_nested_parameters_need_an_encoder():
    with pytest.raises(ValueError, match=r"\['tfidf__max_features'\] of item_encoder .* is None"):
        _mf().set_params(item_encoder__tfidf__max_features=2)
