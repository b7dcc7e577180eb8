"""Data-parallel training: batches sharded by rank, gradients averaged by DDP."""

import json
import os
import socket
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch

from sklearn_rec import MatrixFactorization
from sklearn_rec.models._data import InteractionDataset, InteractionIterator

SCRIPT = Path(__file__).resolve().parents[1] / "scripts" / "data_parallel_fit.py"


def test_shards_are_disjoint_equal_and_cover_the_batches():
    dataset = InteractionDataset(np.arange(103), np.arange(103))
    shares = []
    for rank in range(2):
        torch.manual_seed(0)  # every process draws the same permutation
        iterator = InteractionIterator(dataset, 10, shuffle=True, num_replicas=2, rank=rank)
        shares.append([X["user"] for X, _ in iterator])
        assert len(iterator) == len(shares[-1]) == 6
    torch.manual_seed(0)
    single = [X["user"] for X, _ in InteractionIterator(dataset, 20, shuffle=True)]
    for step, (a, b) in enumerate(zip(*shares, strict=True)):
        # Step k of the replicas together is step k of one process with the
        # global batch size (but the last row, left over by the split in two).
        assert set(a.tolist()).isdisjoint(b.tolist())
        assert set(a.tolist()) | set(b.tolist()) <= set(single[step].tolist())
    assert sum(len(a) + len(b) for a, b in zip(*shares, strict=True)) == 102


@pytest.mark.parametrize(
    "params, error, message",
    [
        ({"iterator_train__num_replicas": 0}, ValueError, "num_replicas must be >= 1, got 0"),
        ({"iterator_train__num_replicas": 1.5}, TypeError, "num_replicas must be an int"),
        (
            {"iterator_train__num_replicas": 2, "iterator_train__rank": 2},
            ValueError,
            r"iterator_train__rank must be < iterator_train__num_replicas=2, got 2",
        ),
    ],
)
def test_invalid_shard_parameters(params, error, message):
    with pytest.raises(error, match=message):
        MatrixFactorization(max_epochs=1, **params).fit([[0, 0], [1, 1]], [1.0, 2.0])


def test_each_rank_draws_its_own_negatives_over_the_same_permutation():
    X = [[user, item] for user in range(30) for item in range(user % 5, 60, 5)]

    def first_epoch(num_replicas, rank):
        model = MatrixFactorization(
            loss="bpr",
            negative_sampling="uniform",
            max_epochs=0,
            batch_size=16,
            iterator_train__num_replicas=num_replicas,
            iterator_train__rank=rank,
        ).fit(X)
        torch.manual_seed(0)  # as every process seeds from random_state
        return list(model.get_iterator(model.get_dataset(X), training=True))

    def positives(share):
        return {
            pair
            for batch, _ in share
            for pair in zip(batch["user"].tolist(), batch["item"][:, 0].tolist(), strict=True)
        }

    shares = [first_epoch(2, rank) for rank in (0, 1)]
    # The same permutation (disjoint positives), different negatives.
    assert positives(shares[0]).isdisjoint(positives(shares[1]))
    assert len(positives(shares[0])) == len(X) // 2
    negatives = [torch.cat([batch["item"][:, 1:] for batch, _ in share]) for share in shares]
    assert (negatives[0] == negatives[1]).double().mean() < 0.1

    # One process keeps torch's global RNG: the negatives it always drew.
    single = first_epoch(1, 0)
    dataset = MatrixFactorization(loss="bpr", max_epochs=0).fit(X).get_dataset(X)
    torch.manual_seed(0)
    order = torch.randperm(len(dataset))
    for start, (batch, _) in zip(range(0, len(dataset), 16), single, strict=True):
        expected = torch.randint(60, (len(order[start : start + 16]), 4))
        assert torch.equal(batch["item"][:, 0], dataset.item[order[start : start + 16]])
        assert torch.equal(batch["item"][:, 1:], expected)


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _run(command, out, movielens_home, loss="mse"):
    env = {
        **os.environ,
        "SKLEARN_REC_DATA": str(movielens_home),
        "OMP_NUM_THREADS": "1",
    }
    subprocess.run([*command, str(SCRIPT), str(out), loss], check=True, env=env, timeout=300)
    return json.loads(out.read_text())


needs_gloo = pytest.mark.skipif(
    not torch.distributed.is_available() or not torch.distributed.is_gloo_available(),
    reason="this PyTorch build has no torch.distributed gloo backend",
)


def _single_and_parallel(movielens_home, tmp_path, loss):
    """Results of the script in one process, then in two under torchrun."""
    single = _run([sys.executable], tmp_path / "single.json", movielens_home, loss)
    torchrun = [
        sys.executable,
        "-m",
        "torch.distributed.run",
        "--nproc_per_node=2",
        "--master_addr=127.0.0.1",
        f"--master_port={_free_port()}",
    ]
    parallel = _run(torchrun, tmp_path / "parallel.json", movielens_home, loss)
    assert (single["world"], parallel["world"]) == (1, 2)
    assert parallel["replicas_equal"]
    assert parallel["batches_per_epoch"] == single["batches_per_epoch"]
    return single, parallel


@needs_gloo
def test_two_processes_train_like_one(movielens_home, tmp_path):
    single, parallel = _single_and_parallel(movielens_home, tmp_path, "mse")
    # Two shares of a global batch with averaged gradients make the step of
    # one process on the whole batch: the same model up to rounding.
    np.testing.assert_allclose(parallel["quality"], single["quality"], rtol=1e-4)
    assert single["quality"] < 1.0


@needs_gloo
def test_replicas_draw_their_own_negatives(movielens_home, tmp_path):
    single, parallel = _single_and_parallel(movielens_home, tmp_path, "bpr")
    # Alike only by chance: about one draw in n_items.
    assert parallel["negatives_alike"] < 0.01
    # Other negatives than one process draws, so not the same model, but as
    # good: NDCG@10 was 0.354 in one process and 0.350 in two, and 0.340 to
    # 0.354 in one process over random_state 1 to 5.
    assert abs(parallel["quality"] - single["quality"]) < 0.03, (single, parallel)
    assert single["quality"] > 0.3
