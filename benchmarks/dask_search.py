"""Wall time of a GridSearchCV on MovieLens-100K: sequential against a local Dask cluster.

The search: ``MatrixFactorization(loss="bpr", max_epochs=10)`` over
``n_factors`` in ``{16, 32}`` with two ``UserHoldoutSplit`` splits (4 fits),
scored by NDCG@10. It runs once sequentially with one torch thread, then
twice on a ``LocalCluster`` of two one-thread worker processes: the first
search includes the workers' imports. The scores must be identical.

Usage::

    python benchmarks/dask_search.py                 # Dask's default allocator setting
    python benchmarks/dask_search.py --untrim        # MALLOC_TRIM_THRESHOLD_ unset
"""

import argparse

import dask
import joblib
import numpy as np
from _common import limit_threads, timed
from dask.distributed import Client, LocalCluster
from sklearn.model_selection import GridSearchCV

from sklearn_rec import MatrixFactorization
from sklearn_rec.datasets import fetch_movielens
from sklearn_rec.metrics import make_ranking_scorer
from sklearn_rec.model_selection import UserHoldoutSplit


def search():
    return GridSearchCV(
        MatrixFactorization(loss="bpr", max_epochs=10, random_state=0),
        {"n_factors": [16, 32]},
        cv=UserHoldoutSplit(n_splits=2, random_state=0),
        scoring=make_ranking_scorer("ndcg", k=10),
        n_jobs=-1,
        refit=False,
    )


def run_search(label, backend, X):
    """The search's mean test scores under a joblib backend; prints its wall time."""
    with joblib.parallel_config(backend=backend):
        search_cv, seconds = timed(search().fit, X)
    scores = search_cv.cv_results_["mean_test_score"]
    print(f"{label:<28} {seconds:6.1f} s   NDCG@10 {np.round(scores, 4)}")
    return scores


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--untrim", action="store_true", help="unset the nanny's MALLOC_TRIM_THRESHOLD_"
    )
    args = parser.parse_args()
    if args.untrim:
        dask.config.set({"distributed.nanny.pre-spawn-environ.MALLOC_TRIM_THRESHOLD_": None})
    X, _ = fetch_movielens("100k", return_X_y=True)
    limit_threads(1)
    expected = run_search("sequential, 1 thread", "sequential", X)
    with (
        LocalCluster(
            n_workers=2,
            processes=True,
            threads_per_worker=1,
            host="127.0.0.1",
            dashboard_address=None,
        ) as cluster,
        Client(cluster),
    ):
        for label in ("dask 2x1, first search", "dask 2x1, next search"):
            np.testing.assert_array_equal(run_search(label, "dask", X), expected)


if __name__ == "__main__":
    main()
