"""Top-10 ``recommend`` for every user, seen items excluded, against implicit and plain PyTorch.

The model has the shape of one trained on MovieLens 25M: 64 factors, 160,000
users, 60,000 items and about 150 seen items per user (about 24M seen pairs,
drawn with a popularity skew). The factors are random float32 matrices, the
same for every method; nothing is trained. Three methods rank the whole
catalogue for every user by the dot product, leave out the seen items and keep
the top 10:

- ``ours``: ``MatrixFactorization(n_factors=64)`` fitted with ``max_epochs=0``
  on the seen pairs (which builds the vocabularies, ``seen_`` and the module),
  its factor tables overwritten with the random matrices and its biases zeroed,
  so that its ranking is the plain dot product. Timed:
  ``est.recommend(est.users_, n=10)``.
- ``implicit``: ``implicit.cpu.als.AlternatingLeastSquares(factors=64)`` with
  ``user_factors`` / ``item_factors`` set to the same matrices. Timed:
  ``model.recommend(np.arange(n_users), seen, N=10, filter_already_liked_items=True)``.
- ``implicit-default``: the same call with implicit's BLAS left at
  ``--threads`` threads, as a user gets it without following implicit's advice
  (it warns and asks for a single-threaded BLAS): each of its OpenMP threads
  then starts BLAS threads of its own.
- ``torch``: a plain loop in this script over chunks of 1,000 users: one
  matmul, the seen items set to ``-inf``, ``torch.topk``.

Each method runs in a fresh subprocess (this script with ``--method``), which
builds the same data from a fixed seed. Before the timed call the process's
peak-RSS counter is reset (``/proc/self/clear_refs``), so ``peak MiB`` is the
peak resident memory during the call and ``before MiB`` the resident memory
just before it (data, model, interpreter). ``ratio`` is the method's time over
implicit's, measured in the same run.

Every method uses ``--threads`` threads (default 2): ``torch.set_num_threads``
and a ``threadpoolctl`` limit on BLAS and OpenMP; implicit gets ``num_threads``
for its OpenMP loop and, as it recommends, a single-threaded BLAS inside it
(faster than a 2-thread BLAS there: 1.3 s against 1.7 s for 20,000 users).

The lists are checked against implicit's: per user the item sets must be equal,
except where the 10th and 11th best scores of the user (recomputed in float64
over the unseen items) are equal within 1e-5, and no list may hold a seen item.

With ``--budgets`` the estimator's private ``_score_budget`` (floats of scores
held at once, default ``2**25``) is varied on the fitted instance, in one more
subprocess, to find the fastest chunk size.

Usage::

    python benchmarks/bench_recommend.py
    python benchmarks/bench_recommend.py --budgets 23,25,27 --json results.json
"""

import argparse
import json
import os
import subprocess
import sys
import tempfile

import numpy as np
import pandas as pd
import torch
from _common import limit_threads, metadata, timed
from _memory import reset_peak, resident_mib
from scipy import sparse
from threadpoolctl import threadpool_limits

from sklearn_rec import MatrixFactorization

SEED = 0
N = 10
TIE_TOL = 1e-5
TORCH_CHUNK = 1000
METHODS = ("implicit", "implicit-default", "ours", "torch")


def make_seen(n_users, n_items, seen_per_user, rng):
    """Binary float32 CSR of seen items, popularity-skewed, every user and item present."""
    counts = np.maximum(1, rng.geometric(1 / seen_per_user, size=n_users))
    popularity = 1.0 / (np.arange(n_items) + 100.0) ** 0.8
    popularity = popularity[rng.permutation(n_items)]
    cdf = np.cumsum(popularity)
    users = np.repeat(np.arange(n_users), counts)
    items = np.searchsorted(cdf, rng.random(len(users)) * cdf[-1])
    # One pair per item, so that every item is in the vocabulary of ``fit``.
    users = np.concatenate([users, rng.integers(n_users, size=n_items)])
    items = np.concatenate([items, np.arange(n_items)])
    pairs = np.unique(users.astype(np.int64) * n_items + items)
    indptr = np.zeros(n_users + 1, dtype=np.int64)
    np.cumsum(np.bincount(pairs // n_items, minlength=n_users), out=indptr[1:])
    indices = (pairs % n_items).astype(np.int32)
    data = np.ones(len(indices), dtype=np.float32)
    return sparse.csr_matrix((data, indices, indptr), shape=(n_users, n_items))


def make_data(args):
    rng = np.random.default_rng(SEED)
    seen = make_seen(args.n_users, args.n_items, args.seen_per_user, rng)
    user_factors = (rng.standard_normal((args.n_users, args.factors)) * 0.1).astype(np.float32)
    item_factors = (rng.standard_normal((args.n_items, args.factors)) * 0.1).astype(np.float32)
    return seen, user_factors, item_factors


# -- the methods (each returns a function that computes the top-N item codes) --------


def fit_ours(seen, user_factors, item_factors):
    users = np.repeat(np.arange(seen.shape[0]), np.diff(seen.indptr))
    X = pd.DataFrame({"user": users, "item": seen.indices.astype(np.int64)})
    est = MatrixFactorization(
        n_factors=user_factors.shape[1], loss="bpr", max_epochs=0, random_state=SEED
    )
    est.fit(X)
    assert (est.users_ == np.arange(seen.shape[0])).all()
    assert (est.items_ == np.arange(seen.shape[1])).all()
    assert est.seen_.nnz == seen.nnz
    module = est.module_
    with torch.no_grad():
        module.user_factors.weight.copy_(torch.from_numpy(user_factors))
        module.item_factors.weight.copy_(torch.from_numpy(item_factors))
        module.user_bias.weight.zero_()
        module.item_bias.weight.zero_()
        module.global_bias.zero_()
    return est


def setup_ours(seen, user_factors, item_factors, threads):
    est = fit_ours(seen, user_factors, item_factors)
    return lambda: est.recommend(est.users_, n=N)[0]


def setup_implicit(seen, user_factors, item_factors, threads, blas_threads=1):
    from implicit.cpu.als import AlternatingLeastSquares

    with threadpool_limits(limits=blas_threads, user_api="blas"):
        model = AlternatingLeastSquares(
            factors=user_factors.shape[1], num_threads=threads, random_state=SEED
        )
    model.user_factors, model.item_factors = user_factors, item_factors
    userids = np.arange(seen.shape[0])

    def run():
        # implicit's advice: its OpenMP threads each call a single-threaded BLAS.
        with threadpool_limits(limits=blas_threads, user_api="blas"):
            return model.recommend(userids, seen, N=N, filter_already_liked_items=True)[0]

    return run


def setup_torch(seen, user_factors, item_factors, threads):
    users_t, items_t = torch.from_numpy(user_factors), torch.from_numpy(item_factors)

    @torch.no_grad()
    def run():
        top = np.empty((len(user_factors), N), dtype=np.int64)
        for start in range(0, len(user_factors), TORCH_CHUNK):
            block = seen[start : start + TORCH_CHUNK]
            scores = users_t[start : start + TORCH_CHUNK] @ items_t.T
            rows = np.repeat(np.arange(block.shape[0]), np.diff(block.indptr))
            scores[
                torch.from_numpy(rows), torch.from_numpy(block.indices.astype(np.int64))
            ] = -torch.inf
            top[start : start + block.shape[0]] = torch.topk(scores, N, dim=1).indices.numpy()
        return top

    return run


def setup_implicit_default(seen, user_factors, item_factors, threads):
    return setup_implicit(seen, user_factors, item_factors, threads, blas_threads=threads)


SETUPS = {
    "ours": setup_ours,
    "implicit": setup_implicit,
    "implicit-default": setup_implicit_default,
    "torch": setup_torch,
}


# -- measuring in a subprocess ---------------------------------------------------------


def measured(run):
    """Run once; return the result, seconds, RSS before and peak RSS during the call."""
    before = resident_mib("VmRSS")
    reset_peak()
    result, seconds = timed(run)
    return result, {"seconds": seconds, "before_mib": before, "peak_mib": resident_mib("VmHWM")}


def child(args):
    """``--method`` mode: build the data, run one method, write its results to ``--out``."""
    limit_threads(args.threads)
    seen, user_factors, item_factors = make_data(args)
    if args.method == "sweep":
        est = fit_ours(seen, user_factors, item_factors)
        rows = []
        for exponent in args.budgets:
            est._score_budget = 2**exponent
            _, row = measured(lambda: est.recommend(est.users_, n=N))
            rows.append({"budget": f"2**{exponent}", **row})
        result = {"sweep": rows}
    else:
        run = SETUPS[args.method](seen, user_factors, item_factors, args.threads)
        top, result = measured(run)
        np.save(os.path.join(args.out, f"{args.method}.npy"), np.asarray(top, dtype=np.int64))
    with open(os.path.join(args.out, f"{args.method}.json"), "w") as f:
        json.dump(result, f)


def run_child(args, method, out):
    flags = ["--n-users", args.n_users, "--n-items", args.n_items, "--factors", args.factors]
    flags += ["--seen-per-user", args.seen_per_user, "--threads", args.threads]
    flags += ["--budgets", ",".join(map(str, args.budgets))] if args.budgets else []
    command = [sys.executable, __file__, *map(str, flags), "--method", method, "--out", out]
    subprocess.run(command, check=True)
    with open(os.path.join(out, f"{method}.json")) as f:
        return json.load(f)


# -- the check -------------------------------------------------------------------------


def check_lists(top, reference, seen, user_factors, item_factors):
    """Users whose item set differs from the reference's; how many of them are not ties."""
    top_sorted, ref_sorted = np.sort(top, axis=1), np.sort(reference, axis=1)
    differ = np.flatnonzero((top_sorted != ref_sorted).any(axis=1))
    not_ties = 0
    for user in differ:
        scores = item_factors.astype(np.float64) @ user_factors[user].astype(np.float64)
        scores[seen.indices[seen.indptr[user] : seen.indptr[user + 1]]] = -np.inf
        tenth, eleventh = np.sort(scores)[::-1][N - 1 : N + 1]
        not_ties += tenth - eleventh > TIE_TOL
    rows = np.repeat(np.arange(len(top)), N)
    seen_hits = int(np.asarray(seen[rows, top.ravel()]).sum())
    return len(differ), int(not_ties), seen_hits


ROW = "{:<16} {:>9} {:>7} {:>11} {:>10} {:>12}"


def parse_budgets(text):
    return [int(x) for x in text.split(",")] if text else []


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n-users", type=int, default=160_000)
    parser.add_argument("--n-items", type=int, default=60_000)
    parser.add_argument("--factors", type=int, default=64)
    parser.add_argument("--seen-per-user", type=int, default=150, help="mean seen items per user")
    parser.add_argument("--threads", type=int, default=2, help="threads of every method")
    parser.add_argument(
        "--budgets",
        type=parse_budgets,
        default=[],
        help="comma-separated exponents e of _score_budget = 2**e to sweep, e.g. 23,25,27",
    )
    parser.add_argument("--method", choices=(*METHODS, "sweep"), help=argparse.SUPPRESS)
    parser.add_argument("--out", help=argparse.SUPPRESS)
    parser.add_argument("--json", metavar="PATH", help="write the results as JSON")
    return parser.parse_args()


def main():
    args = parse_args()
    if args.method:
        child(args)
        return
    limit_threads(args.threads)
    seen, user_factors, item_factors = make_data(args)
    setting = {
        "n_users": args.n_users,
        "n_items": args.n_items,
        "factors": args.factors,
        "seen_pairs": seen.nnz,
        "threads": args.threads,
        "torch": torch.__version__,
    }
    print(", ".join(f"{k}={v}" for k, v in setting.items()), flush=True)
    results = {}
    with tempfile.TemporaryDirectory() as out:
        for method in METHODS:
            results[method] = run_child(args, method, out)
            results[method].update(
                zip(
                    ("differ", "not_ties", "seen_hits"),
                    check_lists(
                        np.load(os.path.join(out, f"{method}.npy")),
                        np.load(os.path.join(out, "implicit.npy")),
                        seen,
                        user_factors,
                        item_factors,
                    ),
                    strict=True,
                )
            )
        sweep = run_child(args, "sweep", out)["sweep"] if args.budgets else []
    reference = results["implicit"]["seconds"]
    print(ROW.format("method", "seconds", "ratio", "before MiB", "peak MiB", "differ/ties"))
    print("-" * 70)
    for method, r in results.items():
        r["ratio"] = r["seconds"] / reference
        checked = f"{r['differ']}/{r['differ'] - r['not_ties']}"
        cells = (f"{r['seconds']:.2f}", f"{r['ratio']:.2f}", f"{r['before_mib']:,.0f}")
        print(ROW.format(method, *cells, f"{r['peak_mib']:,.0f}", checked))
    bad = {m: r for m, r in results.items() if r["not_ties"] or r["seen_hits"]}
    print(
        "lists: identical to implicit's up to ties"
        if not bad
        else f"lists: MISMATCH in {sorted(bad)} (not ties or seen items recommended)"
    )
    if sweep:
        print()
        print(ROW.format("budget", "seconds", "ratio", "before MiB", "peak MiB", ""))
        print("-" * 70)
        for r in sweep:
            r["ratio"] = r["seconds"] / reference
            cells = (f"{r['seconds']:.2f}", f"{r['ratio']:.2f}", f"{r['before_mib']:,.0f}")
            print(ROW.format(r["budget"], *cells, f"{r['peak_mib']:,.0f}", ""))
        print(f"fastest: _score_budget = {min(sweep, key=lambda r: r['seconds'])['budget']}")
    if args.json:
        with open(args.json, "w") as f:
            json.dump(
                {"setting": setting, "meta": metadata(), "results": results, "sweep": sweep},
                f,
                indent=2,
            )


if __name__ == "__main__":
    main()
