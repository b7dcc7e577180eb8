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

ROOT = Path(__file__).resolve().parents[1]
SCRIPT = ROOT / "tests" / "scripts" / "data_parallel_fit.py"


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


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _run(command, out, movielens_home):
    env = {
        **os.environ,
        "SKLEARN_REC_DATA": str(movielens_home),
        "OMP_NUM_THREADS": "1",
        "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]),
    }
    subprocess.run([*command, str(SCRIPT), str(out)], check=True, env=env, timeout=300)
    return json.loads(out.read_text())


@pytest.mark.skipif(
    not torch.distributed.is_available() or not torch.distributed.is_gloo_available(),
    reason="this PyTorch build has no torch.distributed gloo backend",
)
def test_two_processes_train_like_one(movielens_home, tmp_path):
    single = _run([sys.executable], tmp_path / "single.json", movielens_home)
    torchrun = [
        sys.executable,
        "-m",
        "torch.distributed.run",
        "--nproc_per_node=2",
        "--master_addr=127.0.0.1",
        f"--master_port={_free_port()}",
    ]
    parallel = _run(torchrun, tmp_path / "parallel.json", movielens_home)
    assert (single["world"], parallel["world"]) == (1, 2)
    assert parallel["replicas_equal"]
    assert parallel["batches_per_epoch"] == single["batches_per_epoch"]
    # Two shares of a global batch with averaged gradients make the step of
    # one process on the whole batch: the same model up to rounding.
    np.testing.assert_allclose(parallel["rmse"], single["rmse"], rtol=1e-4)
    assert single["rmse"] < 1.0
