"""Train MatrixFactorization on ml-100k, data-parallel when launched by torchrun.

Run by tests/test_data_parallel.py as ``torchrun --nproc_per_node 2
data_parallel_fit.py OUT.json`` and as a plain single process. Process 0
writes the test RMSE, the batches per epoch and whether the replicas ended
with equal weights.
"""

import gc
import json
import os
import sys

import torch
import torch.distributed as dist
from sklearn.metrics import root_mean_squared_error
from torch.nn.parallel import DistributedDataParallel

from sklearn_rec import MatrixFactorization
from sklearn_rec.datasets import fetch_movielens

GLOBAL_BATCH = 1024


class DataParallelMatrixFactorization(MatrixFactorization):
    """MatrixFactorization whose module is wrapped in DDP while it trains."""

    def on_train_begin(self, net, X=None, y=None, **kwargs):
        super().on_train_begin(net, X=X, y=y, **kwargs)
        # Wrapping broadcasts process 0's weights; DDP then averages the
        # gradients of every backward pass over the processes.
        self.module_ = DistributedDataParallel(self.module_)

    def on_train_end(self, net, X=None, y=None, **kwargs):
        self.module_ = self.module_.module
        super().on_train_end(net, X=X, y=y, **kwargs)


def main(out):
    torch.set_num_threads(1)
    distributed = "WORLD_SIZE" in os.environ
    if distributed:
        dist.init_process_group("gloo")
    world = dist.get_world_size() if distributed else 1
    rank = dist.get_rank() if distributed else 0

    X, y = fetch_movielens("100k", data_home=os.environ["SKLEARN_REC_DATA"], return_X_y=True)
    data = X[["user", "item"]].assign(rating=y).sample(frac=1.0, random_state=0)
    train, test = data.iloc[:80_000], data.iloc[80_000:]
    estimator = DataParallelMatrixFactorization if distributed else MatrixFactorization
    model = estimator(
        n_factors=16,
        max_epochs=10,
        # Each process takes its share of a global batch: the number of steps
        # and the rows each averaged gradient covers do not depend on world.
        batch_size=GLOBAL_BATCH // world,
        user_ids=sorted(data["user"].unique()),
        item_ids=sorted(data["item"].unique()),
        random_state=0,
        iterator_train__num_replicas=world,
        iterator_train__rank=rank,
    )
    model.fit(train[["user", "item"]], train["rating"])
    rmse = root_mean_squared_error(test["rating"], model.predict(test[["user", "item"]]))
    weights = model.module_.user_factors.weight.detach()
    replicas_equal = True
    if distributed:
        gathered = [torch.empty_like(weights) for _ in range(world)]
        dist.all_gather(gathered, weights)
        replicas_equal = all(torch.equal(w, gathered[0]) for w in gathered)
        # The discarded DDP wrapper holds gloo threads: free it, and let both
        # processes get here, before the process group goes away.
        gc.collect()
        dist.barrier()
        dist.destroy_process_group()
    if rank == 0:
        result = {
            "world": world,
            "rmse": rmse,
            "batches_per_epoch": len(model.history_[-1, "batches"]),
            "replicas_equal": replicas_equal,
        }
        with open(out, "w") as f:
            json.dump(result, f)


if __name__ == "__main__":
    main(sys.argv[1])
