"""Training chunk by chunk over a vocabulary given up front (``user_ids``, ``item_ids``)."""

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import root_mean_squared_error

from sklearn_rec import MatrixFactorization, NeuralRecommender
from sklearn_rec.datasets import fetch_movielens

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
