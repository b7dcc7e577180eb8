"""Training chunk by chunk over a vocabulary given up front (``user_ids``, ``item_ids``)."""

import numpy as np
import pandas as pd
import pytest
import torch
from sklearn.metrics import root_mean_squared_error

from sklearn_rec import MatrixFactorization, NeuralRecommender
from sklearn_rec.datasets import fetch_movielens
from sklearn_rec.metrics import make_ranking_scorer

pa = pytest.importorskip("pyarrow", reason="the test extra installs pyarrow")
ds = pytest.importorskip("pyarrow.dataset")
pq = pytest.importorskip("pyarrow.parquet")

EPOCHS = 8


@pytest.fixture(scope="module")
def ml100k_split(movielens_home):
    """ml-100k ratings in random order: 80,000 training rows, 20,000 test rows."""
    X, y = fetch_movielens("100k", data_home=movielens_home, return_X_y=True)
    data = X[["user", "item"]].assign(rating=y).sample(frac=1.0, random_state=0)
    return data.iloc[:80_000].reset_index(drop=True), data.iloc[80_000:].reset_index(drop=True)


def _model(data):
    return MatrixFactorization(
        n_factors=16,
        max_epochs=1,
        user_ids=np.unique(data["user"]),
        item_ids=np.unique(data["item"]),
        random_state=0,
    )


def test_partial_fit_over_parquet_chunks_matches_fit(ml100k_split, tmp_path):
    train, test = ml100k_split
    path = tmp_path / "ratings.parquet"
    pq.write_table(pa.Table.from_pandas(train, preserve_index=False), path, row_group_size=10_000)
    vocabulary = pd.concat([train, test])

    streamed = _model(vocabulary)
    dataset = ds.dataset(path, format="parquet")
    for _ in range(EPOCHS):
        for batch in dataset.to_batches(batch_size=10_000):
            chunk = batch.to_pandas()
            streamed.partial_fit(chunk[["user", "item"]], chunk["rating"])
    assert len(streamed.history_) == EPOCHS * 8
    assert (streamed.n_users_, streamed.n_items_) == (943, 1682)
    assert streamed.seen_.nnz == len(train)

    full = _model(vocabulary).set_params(max_epochs=EPOCHS)
    full.fit(train[["user", "item"]], train["rating"])
    rmse = {
        name: root_mean_squared_error(test["rating"], model.predict(test[["user", "item"]]))
        for name, model in (("streamed", streamed), ("full", full))
    }
    assert rmse["streamed"] < 1.05 * rmse["full"], rmse
    assert rmse["full"] < 1.0, rmse


def test_first_chunk_builds_the_whole_vocabulary():
    users, items = ["a", "b", "c"], [10, 20, 30, 40]
    model = NeuralRecommender(max_epochs=1, user_ids=users, item_ids=items, random_state=0)
    model.partial_fit([["a", 10], ["b", 20]])
    assert model.users_.tolist() == users and model.items_.tolist() == items
    assert model.module_.user_embedding.num_embeddings == 3
    model.partial_fit([["c", 40]])
    assert model.seen_.nnz == 3
    items_c, _ = model.recommend(["c"], n=3)
    assert 40 not in items_c


@pytest.mark.parametrize(
    "chunk, message",
    [
        ([["z", 10]], r"unknown user id\(s\) not in user_ids: \['z'\]"),
        ([["a", 99]], r"unknown item id\(s\) not in item_ids: \[99\]"),
    ],
)
def test_ids_outside_the_vocabulary_error(chunk, message):
    model = MatrixFactorization(max_epochs=1, loss="bpr", user_ids=["a", "b"], item_ids=[10, 20])
    with pytest.raises(ValueError, match=message):
        model.partial_fit(chunk)  # first call: fit
    model.partial_fit([["a", 10]])
    with pytest.raises(ValueError, match=message):
        model.partial_fit(chunk)


@pytest.mark.parametrize(
    "params, error, message",
    [
        ({"user_ids": []}, ValueError, "user_ids must be None or a non-empty 1-D array-like"),
        ({"item_ids": "abc"}, ValueError, "item_ids must be None or a non-empty 1-D"),
        ({"item_ids": [[1, 2]]}, ValueError, r"got list of shape \(1, 2\)"),
        ({"user_ids": [1, "a"]}, TypeError, "Invalid user_ids: The user ids mix types"),
        ({"user_ids": [1.0, np.nan]}, ValueError, "Invalid user_ids: .* NaN"),
    ],
)
def test_invalid_vocabulary_parameters(params, error, message):
    with pytest.raises(error, match=message):
        MatrixFactorization(max_epochs=1, loss="bpr", **params).fit([[1, 1], [2, 2]])


def _chunks(X, n_chunks=3):
    return np.array_split(np.arange(len(X)), n_chunks)


def _streamed(implicit, **params):
    """A model trained by partial_fit on ``implicit`` in three chunks."""
    model = MatrixFactorization(
        n_factors=4,
        loss="bpr",
        max_epochs=1,
        user_ids=np.unique(implicit["user"]),
        item_ids=np.unique(implicit["item"]),
        random_state=0,
        **params,
    )
    for rows in _chunks(implicit):
        model.partial_fit(implicit.iloc[rows])
    return model


def test_store_seen_false_keeps_no_pairs_and_trains_alike(implicit):
    kept = _streamed(implicit, negative_sampling="uniform")
    dropped = _streamed(implicit, negative_sampling="uniform", store_seen=False)
    assert dropped.seen_ is None and kept.seen_.nnz == len(implicit)
    # Uniform negatives do not read the pairs: the same model either way.
    for name, weight in kept.module_.state_dict().items():
        assert torch.equal(weight, dropped.module_.state_dict()[name]), name
    items, _ = kept.recommend([0, 1], n=5, exclude_seen=False)
    assert (dropped.recommend([0, 1], n=5, exclude_seen=False)[0] == items).all()


def test_popularity_fallback_counts_rows_without_seen_pairs():
    X = pd.DataFrame({"user": [0, 0, 1, 1, 2, 2, 2], "item": [5, 6, 5, 7, 5, 6, 6]})
    model = MatrixFactorization(
        loss="bpr",
        negative_sampling="uniform",
        max_epochs=1,
        handle_unknown="fallback",
        store_seen=False,
        user_ids=[0, 1, 2],
        item_ids=[5, 6, 7],
        random_state=0,
    )
    model.partial_fit(X.iloc[:4])
    model.partial_fit(X.iloc[4:])
    # Rows per item, the repeated (2, 6) counted twice: 5 -> 3, 6 -> 3, 7 -> 1.
    items, scores = model.recommend(["new"], n=3, exclude_seen=False)
    assert items.tolist() == [[5, 6, 7]]
    np.testing.assert_allclose(scores, [[1.0, 1.0, 1 / 3]])
    unknown = pd.DataFrame({"user": ["new", "new"], "item": [7, 6]})
    np.testing.assert_allclose(model.predict(unknown), [1 / 3, 1.0])


@pytest.mark.parametrize(
    "query",
    [
        lambda model, X: model.recommend([0, 1], n=3),
        lambda model, X: model.score(X),
        lambda model, X: make_ranking_scorer("ndcg", n_negatives=5, random_state=0)(model, X),
    ],
    ids=["recommend", "score", "sampled-scorer"],
)
def test_what_needs_seen_pairs_raises_without_them(implicit, query):
    model = _streamed(implicit, negative_sampling="uniform", store_seen=False)
    with pytest.raises(ValueError, match=r"store_seen=False"):
        query(model, implicit)


def test_queries_that_leave_seen_pairs_alone_work_without_them(implicit):
    model = _streamed(implicit, negative_sampling="uniform", store_seen=False)
    items, _ = model.recommend([0, 1], n=3, exclude_seen=False, exclude_items=[0])
    assert items.shape == (2, 3) and 0 not in items
    assert 0 <= make_ranking_scorer("ndcg", exclude_seen=False)(model, implicit) <= 1


@pytest.mark.parametrize(
    "params, error, message",
    [
        ({"store_seen": "no"}, TypeError, r"'store_seen' parameter .*bool.*Got 'no' instead"),
        ({"store_seen": 0}, TypeError, r"'store_seen' parameter .*bool.*Got 0 instead"),
        (
            {"store_seen": False, "loss": "bpr"},
            ValueError,
            r'negative_sampling="unseen" .* store_seen=False .* negative_sampling="uniform"',
        ),
    ],
)
def test_invalid_store_seen(params, error, message):
    for estimator in (MatrixFactorization, NeuralRecommender):
        with pytest.raises(error, match=message):
            estimator(max_epochs=1, **params).fit([[1, 1], [2, 2]], [1.0, 1.0])


def test_store_seen_false_needs_no_uniform_sampling_without_negatives():
    for params in ({"loss": "mse"}, {"loss": "softmax"}):
        model = NeuralRecommender(max_epochs=1, store_seen=False, **params)
        assert model.fit([[1, 1], [2, 2]], [1.0, 1.0]).seen_ is None


def test_partial_fit_cannot_change_store_seen(implicit):
    model = _streamed(implicit, negative_sampling="uniform")
    with pytest.raises(ValueError, match="store_seen=False differs from the fitted model"):
        model.set_params(store_seen=False).partial_fit(implicit.iloc[:10])
    model = _streamed(implicit, negative_sampling="uniform", store_seen=False)
    with pytest.raises(ValueError, match="store_seen=True differs from the fitted model"):
        model.set_params(store_seen=True).partial_fit(implicit.iloc[:10])
