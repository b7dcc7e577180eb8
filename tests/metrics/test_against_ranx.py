"""The ranking metrics agree with ranx, an independent implementation."""

import numpy as np
import pytest
from ranx import Qrels, Run, evaluate

from sklearn_rec.metrics import (
    hit_rate_at_k,
    map_at_k,
    mrr_at_k,
    ndcg_at_k,
    precision_at_k,
    recall_at_k,
)

OURS = {
    "ndcg": ndcg_at_k,
    "precision": precision_at_k,
    "recall": recall_at_k,
    "mrr": mrr_at_k,
    "hit_rate": hit_rate_at_k,
    "map": map_at_k,
}


def random_lists(seed, n_users=40, n_items=60, length=25):
    rng = np.random.default_rng(seed)
    truth = [rng.choice(n_items, size=rng.integers(1, 15), replace=False) for _ in range(n_users)]
    ranked = [rng.permutation(n_items)[:length] for _ in range(n_users)]
    return truth, ranked


@pytest.mark.parametrize("seed", [0, 1, 2])
@pytest.mark.parametrize("k", [1, 5, 10, 20])
@pytest.mark.parametrize("metric", ["ndcg", "precision", "recall", "mrr", "hit_rate"])
def test_metric_matches_ranx(metric, k, seed):
    truth, ranked = random_lists(seed)
    qrels = Qrels({f"u{u}": {f"i{i}": 1 for i in items} for u, items in enumerate(truth)})
    run = Run(
        {
            f"u{u}": {f"i{i}": float(len(row) - r) for r, i in enumerate(row)}
            for u, row in enumerate(ranked)
        }
    )
    expected = evaluate(qrels, run, f"{metric}@{k}")
    assert OURS[metric](truth, ranked, k=k) == pytest.approx(expected, rel=1e-9)


@pytest.mark.parametrize("k", [1, 5, 10, 20])
def test_map_matches_ranx_when_no_user_has_more_than_k_relevant_items(k):
    # ranx divides AP@k by the number of relevant items R_u, map_at_k by
    # min(R_u, k): the two agree when R_u <= k for every user.
    rng = np.random.default_rng(0)
    truth = [rng.choice(60, size=rng.integers(1, k + 1), replace=False) for _ in range(40)]
    ranked = [rng.permutation(60)[:25] for _ in range(40)]
    qrels = Qrels({f"u{u}": {f"i{i}": 1 for i in items} for u, items in enumerate(truth)})
    run = Run(
        {
            f"u{u}": {f"i{i}": float(25 - r) for r, i in enumerate(row)}
            for u, row in enumerate(ranked)
        }
    )
    assert map_at_k(truth, ranked, k=k) == pytest.approx(evaluate(qrels, run, f"map@{k}"))
