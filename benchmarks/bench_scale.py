"""One training epoch at MovieLens-25M scale: time, throughput and peak memory.

Synthetic interactions of the shape of MovieLens 25M: 25M rows, 160,000
users, 60,000 items, item popularity skewed (a power law), every id present,
ratings uniform on 1-5 (used by ``loss="mse"`` only). ``X`` is a DataFrame of
two int64 columns and ``y`` a float32 array.

For each loss, ``MatrixFactorization(n_factors=64, max_epochs=1)`` is fitted
in fresh processes with dense gradients (``sparse=False``: fused Adam over
every row of the tables at every step) and with sparse ones (``sparse=True``:
``SparseAdam`` on the rows of the batch). Both are fitted on the first
``--compare-rows`` rows (default 1M; the tables, hence the cost of a step,
are the same as at 25M), and the sparse one on all ``--rows`` (a dense epoch
at 25M takes about 12 minutes). Reported per fit:

- ``fit s``: the wall time of ``fit`` (validation, vocabularies, encoding,
  ``seen_``, initialisation and the epoch);
- ``epoch s``: the epoch alone (skorch's ``history_[-1, "dur"]``) and the
  interactions per second over it;
- ``peak MiB``: the peak resident memory of the process during ``fit`` (the
  peak counter is reset after the data is made, so the generator's
  temporaries do not count; the interpreter and its libraries, about 370 MiB,
  do), and ``limit MiB``: three times the input arrays plus the model (its
  parameters and the optimizer's two moment tables), the bound the peak must
  stay under.

``dense/sparse`` is the dense epoch time over the sparse one at
``--compare-rows``, measured in the same run.

Usage::

    python benchmarks/bench_scale.py                      # mse and bpr
    python benchmarks/bench_scale.py --rows 2e6 --losses bpr
"""

import argparse
import json
import subprocess
import sys

import numpy as np
from _common import limit_threads, metadata, timed
from _memory import reset_peak, resident_mib

SEED = 0


def make_data(n_rows, n_users, n_items):
    """``(X, y)``: popularity-skewed interactions in which every user and item appears."""
    import pandas as pd

    if n_rows < max(n_users, n_items):
        raise ValueError(f"rows must be at least n_users and n_items, got {n_rows:,}.")
    rng = np.random.default_rng(SEED)
    popularity = 1.0 / (np.arange(n_items) + 10.0)
    cdf = np.cumsum(popularity[rng.permutation(n_items)])
    items = np.searchsorted(cdf, rng.random(n_rows) * cdf[-1]).astype(np.int64)
    users = rng.integers(n_users, size=n_rows)
    users[:n_users] = np.arange(n_users)
    items[:n_items] = np.arange(n_items)
    y = rng.integers(1, 6, size=n_rows).astype(np.float32)
    return pd.DataFrame({"user": users, "item": items}), y


def child(args):
    """Fit one configuration; print its measurements as JSON."""
    from sklearn_rec import MatrixFactorization

    limit_threads(args.threads)
    libraries = resident_mib("VmRSS")
    X, y = make_data(args.rows, args.n_users, args.n_items)
    reset_peak()  # the data's temporaries do not count
    # The arrays fit is given: y only for the ratings loss.
    input_bytes = sum(X[c].to_numpy().nbytes for c in X) + (y.nbytes if args.loss == "mse" else 0)
    est = MatrixFactorization(
        n_factors=args.factors,
        loss=args.loss,
        max_epochs=1,
        batch_size=args.batch_size,
        sparse=args.sparse,
        random_state=SEED,
    )
    _, fit_seconds = timed(est.fit, X, y if args.loss == "mse" else None)
    parameter_bytes = sum(p.numel() * p.element_size() for p in est.module_.parameters())
    model_bytes = 3 * parameter_bytes  # the parameters and Adam's two moments
    epoch = est.history_[-1, "dur"]
    result = {
        "rows": args.rows,
        "loss": args.loss,
        "sparse": args.sparse,
        "fit_s": fit_seconds,
        "epoch_s": epoch,
        "rows_per_s": args.rows / epoch,
        "train_loss": est.history_[-1, "train_loss"],
        "peak_mib": resident_mib("VmHWM"),
        "libraries_mib": libraries,
        "input_mib": input_bytes / 2**20,
        "model_mib": model_bytes / 2**20,
    }
    result["limit_mib"] = 3 * (result["input_mib"] + result["model_mib"])
    print(json.dumps(result))


def run_child(args, loss, sparse, rows):
    flags = {
        "--rows": rows,
        "--n-users": args.n_users,
        "--n-items": args.n_items,
        "--factors": args.factors,
        "--batch-size": args.batch_size,
        "--threads": args.threads,
        "--loss": loss,
    }
    command = [sys.executable, __file__, "--child", *(str(x) for kv in flags.items() for x in kv)]
    command += ["--sparse"] if sparse else []
    out = subprocess.run(command, check=True, stdout=subprocess.PIPE, text=True).stdout
    return json.loads(out.strip().splitlines()[-1])


ROW = "{:>11} {:<5} {:<7} {:>8} {:>8} {:>11} {:>10} {:>10} {:>10} {:>13}"


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=lambda s: int(float(s)), default=25_000_000)
    parser.add_argument("--compare-rows", type=lambda s: int(float(s)), default=1_000_000)
    parser.add_argument("--n-users", type=int, default=160_000)
    parser.add_argument("--n-items", type=int, default=60_000)
    parser.add_argument("--factors", type=int, default=64)
    parser.add_argument("--batch-size", type=int, default=1024)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--losses", default="mse,bpr", help="comma-separated")
    parser.add_argument("--json", metavar="PATH", help="also write the results as JSON")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--loss", help=argparse.SUPPRESS)
    parser.add_argument("--sparse", action="store_true", help=argparse.SUPPRESS)
    return parser.parse_args()


def main():
    args = parse_args()
    if args.child:
        child(args)
        return
    print(
        f"rows={args.rows:,}, n_users={args.n_users:,}, n_items={args.n_items:,}, "
        f"factors={args.factors}, batch_size={args.batch_size}, threads={args.threads}",
        flush=True,
    )
    print(
        ROW.format(
            *("rows", "loss", "grads", "fit s", "epoch s", "rows/s"),
            *("peak MiB", "limit MiB", "train loss", ""),
        )
    )
    print("-" * 100)
    results = []
    for loss in args.losses.split(","):
        runs = [
            run_child(args, loss, False, args.compare_rows),
            run_child(args, loss, True, args.compare_rows),
            run_child(args, loss, True, args.rows),
        ]
        for r in runs:
            cells = (f"{r['fit_s']:.1f}", f"{r['epoch_s']:.1f}", f"{r['rows_per_s']:,.0f}")
            print(
                ROW.format(
                    f"{r['rows']:,}",
                    loss,
                    "sparse" if r["sparse"] else "dense",
                    *cells,
                    f"{r['peak_mib']:,.0f}",
                    f"{r['limit_mib']:,.0f}",
                    f"{r['train_loss']:.4f}",
                    "",
                ),
                flush=True,
            )
        ratio = runs[0]["epoch_s"] / runs[1]["epoch_s"]
        print(f"{loss}: dense/sparse epoch time = {ratio:.1f}", flush=True)
        results += runs
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"setting": vars(args), "meta": metadata(), "results": results}, f, indent=2)


if __name__ == "__main__":
    main()
