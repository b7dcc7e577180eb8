"""The data sets of the benchmark and the interactions of one side of a split."""

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
from scipy import sparse

from sklearn_rec.datasets import fetch_movielens, get_data_home, make_interactions

from . import N_NEGATIVES, SEED


@dataclass
class Part:
    """Interactions of one side of a split: raw ids, ratings, timestamps.

    ``timestamps=False``: the data has no times (its ``timestamp`` column is
    a placeholder), so leave-one-out holds out a random item per user.
    ``given_loo``, for a data set published with its leave-one-out split:
    ``(test_positions, negatives)``, the rows of ``frame`` that are test items
    and the sampled negatives of each, in the same order.
    """

    frame: pd.DataFrame  # columns user, item, timestamp, rating
    given_loo: tuple | None = None
    timestamps: bool = True

    @property
    def users(self):
        return self.frame["user"].to_numpy()

    @property
    def items(self):
        return self.frame["item"].to_numpy()

    @property
    def ratings(self):
        return self.frame["rating"].to_numpy(dtype=np.float64)

    def X(self, with_time=False):
        return self.frame[["user", "item", "timestamp"] if with_time else ["user", "item"]]

    def take(self, positions):
        return Part(self.frame.iloc[positions].reset_index(drop=True), timestamps=self.timestamps)


def interaction_matrix(users, items, user_index, item_index, dtype=np.float32):
    """Binary CSR matrix (users x items) of the pairs, codes from the two indexes."""
    rows, cols = user_index.get_indexer(users), item_index.get_indexer(items)
    matrix = sparse.csr_matrix(
        (np.ones(len(rows), dtype=dtype), (rows, cols)), shape=(len(user_index), len(item_index))
    )
    matrix.sum_duplicates()
    matrix.data[:] = 1
    matrix.sort_indices()
    return matrix


def relevant_items_by_user(part):
    """``(users, relevant)``: the distinct users in order of first appearance, their items."""
    groups = part.frame.groupby("user", sort=False)["item"]
    users = np.asarray(list(groups.groups))
    return users, [items.to_numpy() for _, items in groups]


def load_movielens(variant):
    X, y = fetch_movielens(variant, return_X_y=True)
    frame = X[["user", "item", "timestamp"]].assign(rating=y.to_numpy(dtype=np.float64))
    return Part(frame.reset_index(drop=True))


# Small planted data, every row a positive (implicit=True: y is all ones; the
# pairs do not depend on it).
PLANTED = {
    "n_users": 300,
    "n_items": 200,
    "n_interactions": 7000,
    "implicit": True,
    "random_state": SEED,
}


def load_planted():
    X, y = make_interactions(**PLANTED)
    frame = X[["user", "item"]].assign(timestamp=0, rating=np.asarray(y, dtype=np.float64))
    return Part(frame.reset_index(drop=True), timestamps=False)


def load_ml1m_without_timestamps():
    """MovieLens 1M from ``DATA_HOME/ml-1m-no-timestamps/ratings.dat`` (``user::item::rating``).

    A reconstruction of the ratings without their times, rows sorted by user
    and item; ``fetch_movielens("1m")`` reads the original 4-field file.
    """
    path = get_data_home() / "ml-1m-no-timestamps" / "ratings.dat"
    # "::" as the separator needs pandas' Python parser; ":" with the empty
    # fields skipped reads the same columns with the C parser.
    frame = pd.read_csv(path, sep=":", header=None, usecols=[0, 2, 4], dtype=np.int64)
    frame.columns = ["user", "item", "rating"]
    frame = frame.assign(timestamp=0)[["user", "item", "timestamp", "rating"]]
    frame["rating"] = frame["rating"].astype(np.float64)
    return Part(frame, timestamps=False)


# The leave-one-out split of MovieLens 1M published with NCF (He et al., WWW
# 2017, github.com/hexiangnan/neural_collaborative_filtering, folder Data/):
# tab-separated "user item rating timestamp" rows, 0-based ids, and one line
# per test user: "(user,item)" then its 99 negatives.
NCF_FILES = ("ml-1m.train.rating", "ml-1m.test.rating", "ml-1m.test.negative")


def load_ncf_1m(folder=None):
    """The NCF split of MovieLens 1M from ``folder`` (default: ``DATA_HOME/ncf-ml-1m``).

    The training and test rows make one frame (training rows first, in file
    order, so that ties in time break as in the file); the test rows and
    their negatives are the given leave-one-out split.
    """
    folder = get_data_home() / "ncf-ml-1m" if folder is None else Path(folder)
    missing = [name for name in NCF_FILES if not (folder / name).is_file()]
    if missing:
        raise FileNotFoundError(
            f"the NCF split needs {', '.join(NCF_FILES)} in {folder}; missing: {', '.join(missing)}"
        )
    columns = ["user", "item", "rating", "timestamp"]
    train, test = (
        pd.read_csv(folder / name, sep="\t", names=columns, dtype=np.int64)
        for name in NCF_FILES[:2]
    )
    lines = pd.read_csv(folder / NCF_FILES[2], sep="\t", header=None, dtype=str)
    pairs = lines[0].str.strip("()").str.split(",", expand=True).astype(np.int64)
    negatives = lines.iloc[:, 1:].to_numpy(dtype=np.int64)
    if (
        negatives.shape != (len(test), N_NEGATIVES)
        or not (
            (pairs[0].to_numpy() == test["user"].to_numpy())
            & (pairs[1].to_numpy() == test["item"].to_numpy())
        ).all()
    ):
        raise ValueError(
            f"{NCF_FILES[2]} must hold, line by line, the (user,item) pair of "
            f"{NCF_FILES[1]} and {N_NEGATIVES} negatives"
        )
    frame = pd.concat([train, test], ignore_index=True)[["user", "item", "timestamp", "rating"]]
    frame["rating"] = frame["rating"].astype(np.float64)
    return Part(frame, given_loo=(np.arange(len(train), len(frame)), negatives))


@dataclass(frozen=True)
class Dataset:
    """A data set of ``--datasets``: its loader, title and the protocols it supports."""

    load: object
    title: str
    protocols: tuple


DATASETS = {
    "100k": Dataset(lambda: load_movielens("100k"), "ml-100k", ("ratings", "topn", "loo")),
    "latest-small": Dataset(
        lambda: load_movielens("latest-small"), "ml-latest-small", ("ratings", "topn", "loo")
    ),
    "planted": Dataset(
        load_planted,
        "planted (make_interactions(" + ", ".join(f"{k}={v}" for k, v in PLANTED.items()) + "))",
        ("topn",),
    ),
    "1m": Dataset(
        load_ml1m_without_timestamps,
        "ml-1m (ratings without timestamps)",
        ("ratings", "topn", "loo"),
    ),
    "ncf-1m": Dataset(load_ncf_1m, "ml-1m, the NCF split (He et al. 2017)", ("loo",)),
}
