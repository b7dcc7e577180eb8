"""Train MatrixFactorization on ml-100k, data-parallel when launched by torchrun.

Run by tests/models/test_data_parallel.py as ``torchrun --nproc_per_node 2
data_parallel_fit.py OUT.json [LOSS]`` and as a plain single process. Process 0
writes the test RMSE (``loss="mse"``, the default) or NDCG@10 (the ranking
losses), the batches per epoch, whether the replicas ended with equal weights
and, for the sampled losses, the fraction of the negatives of the first batch
that both replicas drew alike.
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
# Fewer epochs for the ranking losses, whose every row carries 4 negatives.
EPOCHS = {"mse": 10, "bpr": 3}


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

    def on_batch_begin(self, net, batch=None, training=False, **kwargs):
        super().on_batch_begin(net, batch=batch, training=training, **kwargs)
        items = batch[0]["item"]
        if training and items.dim() == 2 and not hasattr(self, "first_negatives_"):
            self.first_negatives_ = items[:, 1:].clone()


def main(out, loss="mse"):
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
        loss=loss,
        max_epochs=EPOCHS[loss],
        # Each process takes its share of a global batch: the number of steps
        # and the rows each averaged gradient covers do not depend on world.
        batch_size=GLOBAL_BATCH // world,
        user_ids=sorted(data["user"].unique()),
        item_ids=sorted(data["item"].unique()),
        random_state=0,
        iterator_train__num_replicas=world,
        iterator_train__rank=rank,
    )
    if loss == "mse":
        model.fit(train[["user", "item"]], train["rating"])
        quality = root_mean_squared_error(test["rating"], model.predict(test[["user", "item"]]))
    else:
        model.fit(train[["user", "item"]])
        quality = model.score(test[["user", "item"]])
    weights = model.module_.user_factors.weight.detach()
    replicas_equal = True
    negatives_alike = None
    if distributed:
        gathered = [torch.empty_like(weights) for _ in range(world)]
        dist.all_gather(gathered, weights)
        replicas_equal = all(torch.equal(w, gathered[0]) for w in gathered)
        if loss != "mse":
            negatives = model.first_negatives_
            gathered = [torch.empty_like(negatives) for _ in range(world)]
            dist.all_gather(gathered, negatives)
            negatives_alike = (gathered[0] == gathered[1]).double().mean().item()
        # The discarded DDP wrapper holds gloo threads: free it, and let both
        # processes get here, before the process group goes away.
        gc.collect()
        dist.barrier()
        dist.destroy_process_group()
    if rank == 0:
        result = {
            "world": world,
            "quality": quality,
            "batches_per_epoch": len(model.history_[-1, "batches"]),
            "replicas_equal": replicas_equal,
            "negatives_alike": negatives_alike,
        }
        with open(out, "w") as f:
            json.dump(result, f)


if __name__ == "__main__":
    main(*sys.argv[1:])
