"""Training throughput of the estimators against the best plain PyTorch loop.

For each configuration the script trains, on the same synthetic interactions:

- the estimator (``MatrixFactorization`` with each loss, and
  ``NeuralRecommender`` with ``--all``), and
- a plain PyTorch loop with the same objective and hyperparameters: the same
  module class and initialisation scheme (its own seed), batch size, Adam (fused)
  and its learning rate, the loss written with ``torch.nn.functional``, the
  ``weight_decay`` penalty on the embeddings of the batch, and uniform
  negative sampling with ``torch.randint`` (the estimators use
  ``negative_sampling="uniform"``). The loop is written out in this file, not
  the estimator's code path: it gathers each embedding row of a batch once,
  computes the scores and the penalty from those rows, works on ids encoded
  beforehand as int64 tensors, draws one ``torch.randperm`` per epoch and
  slices batches out of it.

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

``ratio`` is plain-loop throughput / estimator throughput: how many times
slower an estimator epoch is than the plain loop. 1.00 means no overhead.
It is the median, over the timed epochs, of the estimator's epoch time over
the plain loop's epoch that follows it, which cancels slow drifts in the load
of the machine better than the ratio of the two medians.

The two losses are the mean batch loss of the last epoch of each side; they
should be close (not equal: the random streams differ), which checks that both
sides do the same work.

Threads follow torch's setting (``torch.get_num_threads()``) unless
``--threads`` is given. Seeds are fixed, so runs repeat up to timing noise.

Usage::

    python benchmarks/bench_fit.py                 # MatrixFactorization, every loss
    python benchmarks/bench_fit.py --all --json results.json
    python benchmarks/bench_fit.py --all --configs "mse,ssm" --n-interactions 5000000
"""

import argparse
import json
import math
import statistics
from dataclasses import dataclass, field

import numpy as np
import skorch
import torch
import torch.nn.functional as F
from _common import limit_threads, metadata, timed

from sklearn_rec import MatrixFactorization, NeuralRecommender
from sklearn_rec.datasets import make_interactions

SEED = 0
BATCH_SIZE = 1024


@dataclass(frozen=True)
class Config:
    """One estimator configuration; the plain loop mirrors it."""

    name: str
    estimator: type
    loss: str
    lr: float
    weight_decay: float
    n_negatives: int
    model: dict = field(default_factory=dict)


# The estimators' defaults (learning rate, weight decay by loss, negatives),
# passed explicitly to both sides.
MF = {"n_factors": 32}
NEUMF = {"embedding_dim": 16, "hidden_units": (32, 16), "architecture": "neumf"}
NCF = {"embedding_dim": 16, "hidden_units": (32, 16), "architecture": "mlp"}
CONFIGS = [
    Config("MF mse", MatrixFactorization, "mse", 0.01, 0.1, 0, MF),
    Config("MF bce", MatrixFactorization, "bce", 0.01, 0.01, 4, MF),
    Config("MF bpr", MatrixFactorization, "bpr", 0.01, 0.01, 4, MF),
    Config("MF softmax", MatrixFactorization, "softmax", 0.01, 0.1, 0, MF),
    Config("MF ssm", MatrixFactorization, "sampled_softmax", 0.01, 0.01, 4, MF),
]
EXTRA_CONFIGS = [
    Config("NeuMF ssm", NeuralRecommender, "sampled_softmax", 0.01, 0.01, 50, NEUMF),
    Config("NeuMF bce", NeuralRecommender, "bce", 0.01, 0.01, 4, NEUMF),
    Config("NCF bce", NeuralRecommender, "bce", 0.01, 0.01, 4, NCF),
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


def sq_norm(rows):
    return rows.pow(2).sum(-1)


def mf_scores(m, user, item):
    """Scores and per-example squared norms of a biased MF, one gather per table.

    ``item=None``: every item (the full softmax), whose norms are averaged.
    """
    p, b_u = m.user_factors(user), m.user_bias(user).squeeze(-1)
    users = sq_norm(p) + b_u.pow(2)
    if item is None:
        q, b_i = m.item_factors.weight, m.item_bias.weight.squeeze(-1)
        # The user's bias and the global bias shift a row: the softmax ignores them.
        return torch.addmm(b_i, p, q.T), users + (sq_norm(q) + b_i.pow(2)).mean()
    q, b_i = m.item_factors(item), m.item_bias(item).squeeze(-1)
    items = sq_norm(q) + b_i.pow(2)
    if item.dim() == 2:
        p, b_u, items = p.unsqueeze(1), b_u.unsqueeze(1), items.sum(1)
    return (p * q).sum(-1) + b_u + b_i + m.global_bias, users + items


def ncf_scores(m, user, item):
    """Scores and per-example squared norms of NCF / NeuMF, one gather per table."""
    p, q = m.user_embedding(user), m.item_embedding(item)
    norms = sq_norm(p) + sq_norm(q).sum(1)
    hidden = m.mlp(torch.cat([p.unsqueeze(1).expand_as(q), q], dim=-1))
    if m.neumf:
        g, h = m.user_gmf(user), m.item_gmf(item)
        norms = norms + sq_norm(g) + sq_norm(h).sum(1)
        hidden = torch.cat([hidden, g.unsqueeze(1) * h], dim=-1)
    return m.output(hidden).squeeze(-1), norms


def plain_loss(loss, scores, target, log_rate):
    """The loss of a batch; column 0 of ``scores`` holds the observed items.

    ``log_rate`` is ``log(K / n_items)``, the sampled softmax's logQ
    correction of uniform draws.
    """
    if loss == "mse":
        return F.mse_loss(scores, target)
    if loss == "bce":
        return F.binary_cross_entropy_with_logits(scores, target)
    if loss == "bpr":
        return -F.logsigmoid(scores[:, :1] - scores[:, 1:]).mean()
    if loss == "sampled_softmax":
        scores = torch.cat([scores[:, :1], scores[:, 1:] - log_rate], dim=1)
    return F.cross_entropy(scores, target)  # target: the observed items' columns


class PlainLoop:
    """The plain PyTorch training loop for ``config``."""

    def __init__(self, config, data, n_users, n_items):
        torch.manual_seed(SEED)
        mf = config.estimator is MatrixFactorization
        # The estimator's module class, initialised by its own scheme.
        bias = float(data["y"].double().mean()) if config.loss == "mse" else 0.0
        bias_param = "global_bias" if mf else "output_bias"
        module_class = config.estimator.module
        self.module = module_class(n_users, n_items, **config.model, **{bias_param: bias})
        self.module.train()
        self.scores = mf_scores if mf else ncf_scores
        # Fused, as the estimators' default Adam is.
        self.optimizer = torch.optim.Adam(self.module.parameters(), lr=config.lr, fused=True)
        self.config, self.data, self.n_items = config, data, n_items
        self.log_rate = math.log(max(config.n_negatives, 1) / n_items)
        bce_target = torch.zeros(BATCH_SIZE, 1 + config.n_negatives)
        bce_target[:, 0] = 1.0
        self.bce_target = bce_target

    def epoch(self):
        """Train one epoch; return its duration in seconds and its mean batch loss."""
        mean_loss, seconds = timed(self._train_epoch)
        return seconds, mean_loss

    def _batch(self, index):
        """The items to score and the target of the rows ``index``."""
        item, loss = self.data["item"][index], self.config.loss
        if loss == "mse":
            return item, self.data["y"][index]
        if loss == "softmax":
            return None, item
        negatives = torch.randint(self.n_items, (len(index), self.config.n_negatives))
        item = torch.cat([item[:, None], negatives], dim=1)
        if loss == "bce":
            return item, self.bce_target[: len(index)]
        return item, item.new_zeros(len(index))  # the observed item is column 0

    def _train_epoch(self):
        user_all, n = self.data["user"], len(self.data["user"])
        order = torch.randperm(n)
        total = torch.zeros(())
        for begin in range(0, n, BATCH_SIZE):
            index = order[begin : begin + BATCH_SIZE]
            item, target = self._batch(index)
            scores, norms = self.scores(self.module, user_all[index], item)
            loss = plain_loss(self.config.loss, scores, target, self.log_rate)
            loss = loss + self.config.weight_decay * norms.mean()
            self.optimizer.zero_grad()
            loss.backward()
            self.optimizer.step()
            total += loss.detach() * len(index)
        return total.item() / n


def benchmark(config, X, y, encoded, epochs):
    """Alternate estimator and plain-loop epochs; return one row of results."""
    y = y if config.loss == "mse" else None
    est = make_estimator(config)
    _, fit_seconds = timed(est.fit, X, y)
    plain = PlainLoop(config, *encoded)
    plain.epoch()
    plain_seconds = []
    for _ in range(epochs):
        est.partial_fit(X, y)
        seconds, plain_loss = plain.epoch()
        plain_seconds.append(seconds)
    est_seconds = est.history_[1:, "dur"]
    est_epoch, plain_epoch = statistics.median(est_seconds), statistics.median(plain_seconds)
    ratios = [e / h for e, h in zip(est_seconds, plain_seconds, strict=True)]
    return {
        "config": config.name,
        "estimator_per_s": len(X) / est_epoch,
        "plain_per_s": len(X) / plain_epoch,
        "ratio": statistics.median(ratios),
        "estimator_loss": est.history_[-1, "train_loss"],
        "plain_loss": plain_loss,
        "fit_s": fit_seconds,
        "setup_s": fit_seconds - est.history_[0, "dur"],
        "estimator_epoch_s": est_seconds,
        "plain_epoch_s": plain_seconds,
    }


ROW = "{:<10} {:>12} {:>12} {:>6} {:>9} {:>9} {:>6} {:>7}"


def print_header():
    columns = ("config", "est. int/s", "plain int/s", "ratio", "est. loss", "plain loss")
    print(ROW.format(*columns, "fit s", "setup s"))
    print("-" * 78)


def print_row(r):
    print(
        ROW.format(
            r["config"],
            f"{r['estimator_per_s']:,.0f}",
            f"{r['plain_per_s']:,.0f}",
            f"{r['ratio']:.2f}",
            f"{r['estimator_loss']:.4f}",
            f"{r['plain_loss']:.4f}",
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
    parser.add_argument(
        "--configs",
        help="comma-separated, case-insensitive substrings of config names (default: all)",
    )
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
    configs = CONFIGS + (EXTRA_CONFIGS if args.all else [])
    if args.configs:
        wanted = [part.strip().lower() for part in args.configs.split(",")]
        configs = [c for c in configs if any(w in c.name.lower() for w in wanted)]
    for config in configs:
        results.append(benchmark(config, X, y, encoded, args.epochs))
        print_row(results[-1])
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"setting": setting, "meta": metadata(), "results": results}, f, indent=2)


if __name__ == "__main__":
    main()
