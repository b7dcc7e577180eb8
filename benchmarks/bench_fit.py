"""Training throughput of the estimators against a minimal hand-written PyTorch loop.

For each configuration the script trains, on the same synthetic interactions:

- the estimator (``MatrixFactorization``, and ``NeuralRecommender`` with ``--all``), and
- a minimal PyTorch loop training the *same module class* with the same
  hyperparameters: batch size, Adam (fused) and its learning rate, loss object,
  ``weight_decay`` penalty on the embeddings of the batch, and uniform negative
  sampling with ``torch.randint`` (the estimators use ``negative_sampling="uniform"``).
  The loop works on ids encoded beforehand as int64 tensors, draws one
  ``torch.randperm`` per epoch and slices batches out of it.

Each side trains one warm-up epoch, then ``--epochs`` timed epochs. The
estimator's warm-up epoch is ``fit`` and each timed epoch a ``partial_fit``
of one epoch, and the two sides alternate epoch by epoch, so that a change in
the load of the machine hits both alike. The figure reported is interactions
per second over the median timed epoch. For the estimator the epoch time is
skorch's ``history_[:, "dur"]``: the batch loop with skorch's per-batch
callbacks, history recording and loss ``.item()``, without the one-off set-up
(validation, vocabularies, encoding, ``seen_``, initialisation). That set-up
is reported apart: ``fit s`` is the wall time of the first ``fit`` (set-up and
the warm-up epoch), ``setup s`` the part of it outside the epoch.

``ratio`` is hand-written throughput / estimator throughput: how many times
slower an estimator epoch is than the minimal loop. 1.00 means no overhead.
It is the median, over the timed epochs, of the estimator's epoch time over
the hand-written epoch that follows it, which cancels slow drifts in the load
of the machine better than the ratio of the two medians.

The two losses are the mean batch loss of the last epoch of each side; they
should be close (not equal: the random streams differ), which checks that both
sides do the same work.

Threads follow torch's setting (``torch.get_num_threads()``) unless
``--threads`` is given. Seeds are fixed, so runs repeat up to timing noise.

Usage::

    python benchmarks/bench_fit.py                 # MF with mse, bce and bpr
    python benchmarks/bench_fit.py --all --json results.json
"""

import argparse
import json
import statistics
from dataclasses import dataclass, field

import numpy as np
import skorch
import torch
from _common import limit_threads, metadata, timed

from sklearn_rec import MatrixFactorization, NeuralRecommender
from sklearn_rec.datasets import make_interactions
from sklearn_rec.models._losses import LOSSES

SEED = 0
BATCH_SIZE = 1024
N_NEGATIVES = 4


@dataclass(frozen=True)
class Config:
    """One estimator configuration; the hand-written loop mirrors it."""

    name: str
    estimator: type
    loss: str
    lr: float
    weight_decay: float
    model: dict = field(default_factory=dict)
    bias_param: str = "global_bias"

    @property
    def n_negatives(self):
        return 0 if self.loss == "mse" else N_NEGATIVES


# The estimators' default learning rates and weight decays, passed explicitly to both sides.
MF = {"n_factors": 32}
NCF = {"embedding_dim": 16, "hidden_units": (32, 16)}
CONFIGS = [
    Config("MF mse", MatrixFactorization, "mse", 0.01, 0.1, MF),
    Config("MF bce", MatrixFactorization, "bce", 0.01, 0.01, MF),
    Config("MF bpr", MatrixFactorization, "bpr", 0.01, 0.01, MF),
]
EXTRA_CONFIGS = [
    Config("NCF bce", NeuralRecommender, "bce", 1e-3, 0.0, NCF, "output_bias"),
]


def make_data(n_interactions):
    """Interactions (50 per user, 200 per item on average) and their ratings."""
    n_users = max(1, n_interactions // 50)
    n_items = max(1000, n_interactions // 200)
    return make_interactions(n_users, n_items, n_interactions, random_state=SEED)


def encode(X, y):
    """Codes of the users and items (sorted vocabularies, as in ``fit``) and targets."""
    users, user_codes = np.unique(X.iloc[:, 0].to_numpy(), return_inverse=True)
    items, item_codes = np.unique(X.iloc[:, 1].to_numpy(), return_inverse=True)
    data = {
        "user": torch.as_tensor(user_codes, dtype=torch.long),
        "item": torch.as_tensor(item_codes, dtype=torch.long),
        "y": torch.as_tensor(y, dtype=torch.float32),
    }
    return data, len(users), len(items)


def make_estimator(config):
    return config.estimator(
        **config.model,
        loss=config.loss,
        n_negatives=config.n_negatives,
        negative_sampling="uniform",
        weight_decay=config.weight_decay,
        lr=config.lr,
        batch_size=BATCH_SIZE,
        max_epochs=1,
        early_stopping=False,
        random_state=SEED,
    )


class HandLoop:
    """The minimal PyTorch training loop for ``config``."""

    def __init__(self, config, data, n_users, n_items):
        torch.manual_seed(SEED)
        bias = float(data["y"].double().mean()) if config.loss == "mse" else 0.0
        module_class = config.estimator.module
        self.module = module_class(n_users, n_items, **config.model, **{config.bias_param: bias})
        self.module.train()
        # Fused, as the estimators' default Adam is.
        self.optimizer = torch.optim.Adam(self.module.parameters(), lr=config.lr, fused=True)
        self.criterion = LOSSES[config.loss].criterion()
        self.config, self.data, self.n_items = config, data, n_items
        self.target = None if config.loss == "mse" else self._ranking_target()

    def _ranking_target(self):
        """The target of a full batch (shorter batches slice it)."""
        if self.config.loss == "bpr":
            return torch.ones(BATCH_SIZE)
        target = torch.zeros(BATCH_SIZE, 1 + self.config.n_negatives)
        target[:, 0] = 1.0
        return target

    def epoch(self):
        """Train one epoch; return its duration in seconds and its mean batch loss."""
        mean_loss, seconds = timed(self._train_epoch)
        return seconds, mean_loss

    def _train_epoch(self):
        user_all, item_all = self.data["user"], self.data["item"]
        n = len(user_all)
        order = torch.randperm(n)
        total = torch.zeros(())
        for begin in range(0, n, BATCH_SIZE):
            index = order[begin : begin + BATCH_SIZE]
            user, item = user_all[index], item_all[index]
            if self.target is None:
                target = self.data["y"][index]
            else:
                negatives = torch.randint(self.n_items, (len(index), self.config.n_negatives))
                item = torch.cat([item[:, None], negatives], dim=1)
                target = self.target[: len(index)]
            loss = self.criterion(self.module(user, item), target)
            if self.config.weight_decay:
                loss = loss + self.config.weight_decay * self.module.penalty(user, item).mean()
            self.optimizer.zero_grad()
            loss.backward()
            self.optimizer.step()
            total += loss.detach() * len(index)
        return total.item() / n


def benchmark(config, X, y, encoded, epochs):
    """Alternate estimator and hand-written epochs; return one row of results."""
    y = y if config.loss == "mse" else None
    est = make_estimator(config)
    _, fit_seconds = timed(est.fit, X, y)
    hand = HandLoop(config, *encoded)
    hand.epoch()
    hand_seconds = []
    for _ in range(epochs):
        est.partial_fit(X, y)
        seconds, hand_loss = hand.epoch()
        hand_seconds.append(seconds)
    est_seconds = est.history_[1:, "dur"]
    est_epoch, hand_epoch = statistics.median(est_seconds), statistics.median(hand_seconds)
    ratios = [e / h for e, h in zip(est_seconds, hand_seconds, strict=True)]
    return {
        "config": config.name,
        "estimator_per_s": len(X) / est_epoch,
        "hand_per_s": len(X) / hand_epoch,
        "ratio": statistics.median(ratios),
        "estimator_loss": est.history_[-1, "train_loss"],
        "hand_loss": hand_loss,
        "fit_s": fit_seconds,
        "setup_s": fit_seconds - est.history_[0, "dur"],
        "estimator_epoch_s": est_seconds,
        "hand_epoch_s": hand_seconds,
    }


ROW = "{:<8} {:>12} {:>12} {:>6} {:>9} {:>9} {:>6} {:>7}"


def print_header():
    columns = ("config", "est. int/s", "hand int/s", "ratio", "est. loss", "hand loss")
    print(ROW.format(*columns, "fit s", "setup s"))
    print("-" * 76)


def print_row(r):
    print(
        ROW.format(
            r["config"],
            f"{r['estimator_per_s']:,.0f}",
            f"{r['hand_per_s']:,.0f}",
            f"{r['ratio']:.2f}",
            f"{r['estimator_loss']:.4f}",
            f"{r['hand_loss']:.4f}",
            f"{r['fit_s']:.1f}",
            f"{r['setup_s']:.1f}",
        ),
        flush=True,
    )


def warm_up_torch():
    """Pay torch's one-off lazy imports (the first optimizer imports ``torch._dynamo``)."""
    torch.optim.Adam([torch.zeros(1, requires_grad=True)])


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--n-interactions", type=int, default=1_000_000, help="size of the synthetic data"
    )
    parser.add_argument("--epochs", type=int, default=3, help="timed epochs after one warm-up")
    parser.add_argument(
        "--threads", type=int, help="torch and BLAS threads (default: the libraries')"
    )
    parser.add_argument("--all", action="store_true", help="also benchmark NeuralRecommender")
    parser.add_argument("--json", metavar="PATH", help="write the results as JSON")
    args = parser.parse_args()
    if args.epochs < 1 or args.n_interactions < 1:
        parser.error("--epochs and --n-interactions must be positive")
    return args


def main():
    args = parse_args()
    limit_threads(args.threads)
    warm_up_torch()
    X, y = make_data(args.n_interactions)
    encoded = encode(X, y)
    setting = {
        "n_interactions": len(X),
        "n_users": encoded[1],
        "n_items": encoded[2],
        "batch_size": BATCH_SIZE,
        "epochs": args.epochs,
        "threads": torch.get_num_threads(),
        "torch": torch.__version__,
        "skorch": skorch.__version__,
    }
    print(", ".join(f"{k}={v}" for k, v in setting.items()))
    print_header()
    results = []
    for config in CONFIGS + (EXTRA_CONFIGS if args.all else []):
        results.append(benchmark(config, X, y, encoded, args.epochs))
        print_row(results[-1])
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"setting": setting, "meta": metadata(), "results": results}, f, indent=2)


if __name__ == "__main__":
    main()
