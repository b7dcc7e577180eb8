"""Model selection on a cluster through joblib's Dask and Ray backends.

Each search runs on real worker processes, so estimators, splitters and
scorers travel to them by pickle, and the results must equal those of the
sequential run with the same ``random_state``.
"""

import importlib.util
import os
import pickle

import joblib
import numpy as np
import pytest
import torch
from sklearn.base import clone
from sklearn.model_selection import GridSearchCV

from sklearn_rec import MatrixFactorization
from sklearn_rec.datasets import fetch_movielens
from sklearn_rec.metrics import make_ranking_scorer
from sklearn_rec.model_selection import UserHoldoutSplit

try:
    from dask import distributed
except ImportError:
    # The test extra installs it, so CI must not skip these tests.
    if os.environ.get("CI"):
        raise
    pytest.skip(
        "dask.distributed is not installed (pip install -e '.[test]')", allow_module_level=True
    )

SCORING = {
    "ndcg": make_ranking_scorer("ndcg", k=10),
    "hit_rate": make_ranking_scorer("hit_rate", k=10, n_negatives=99, random_state=0),
}


@pytest.fixture(scope="module")
def ml100k_subset(movielens_home):
    """The interactions of the first 200 users of ml-100k (about 22,000 rows)."""
    X, _ = fetch_movielens("100k", data_home=movielens_home, return_X_y=True)
    return X[X["user"] <= 200].reset_index(drop=True)


def _search():
    return GridSearchCV(
        MatrixFactorization(loss="bpr", max_epochs=3, random_state=0),
        {"n_factors": [8, 16]},
        cv=UserHoldoutSplit(n_splits=2, random_state=0),
        scoring=SCORING,
        refit=False,
        n_jobs=-1,
        error_score="raise",
    )


@pytest.fixture(scope="module")
def sequential_results(ml100k_subset):
    # The workers train with one torch thread (see test_workers_train_with_one_thread);
    # so does the reference, as float sums may differ across thread counts.
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        with joblib.parallel_config(backend="sequential"):
            return _search().fit(ml100k_subset).cv_results_
    finally:
        torch.set_num_threads(threads)


def _assert_same_scores(results, expected):
    for name in SCORING:
        for key in [f"split0_test_{name}", f"split1_test_{name}", f"mean_test_{name}"]:
            np.testing.assert_allclose(results[key], expected[key], rtol=1e-6, err_msg=key)
    assert results["params"] == expected["params"]


@pytest.fixture(scope="module")
def dask_client():
    with (
        distributed.LocalCluster(
            n_workers=2,
            processes=True,
            threads_per_worker=1,
            host="127.0.0.1",
            dashboard_address=None,
        ) as cluster,
        distributed.Client(cluster) as client,
    ):
        yield client


def test_estimator_and_scorer_pickle(ml100k_subset):
    X = ml100k_subset
    est = pickle.loads(pickle.dumps(clone(_search().estimator)))
    est.fit(X)
    scorer = pickle.loads(pickle.dumps(SCORING["hit_rate"]))
    assert repr(scorer) == repr(SCORING["hit_rate"])
    assert scorer(est, X[:500]) == SCORING["hit_rate"](pickle.loads(pickle.dumps(est)), X[:500])


def test_workers_train_with_one_thread(dask_client):
    # Dask's nanny starts workers with OMP_NUM_THREADS=1, which torch reads:
    # each task uses one core, so n_workers * threads_per_worker bounds the load.
    threads = dask_client.run(torch.get_num_threads)
    assert list(threads.values()) == [1, 1]


def test_grid_search_on_dask_matches_sequential(dask_client, ml100k_subset, sequential_results):
    with distributed.get_task_stream(dask_client) as tasks:
        with joblib.parallel_config(backend="dask"):
            search = _search().fit(ml100k_subset)
    _assert_same_scores(search.cv_results_, sequential_results)
    # The fits ran on both workers, not in this process.
    assert len({task["worker"] for task in tasks.data}) == 2


@pytest.mark.skipif(
    importlib.util.find_spec("ray") is None,
    reason="ray is not installed (pip install 'sklearn-rec[ray]'); the Ray backend is untested",
)
def test_grid_search_on_ray_matches_sequential(ml100k_subset, sequential_results):
    import ray
    from ray.util.joblib import register_ray

    register_ray()
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
    try:
        with joblib.parallel_config(backend="ray"):
            search = _search().fit(ml100k_subset)
    finally:
        ray.shutdown()
    _assert_same_scores(search.cv_results_, sequential_results)
