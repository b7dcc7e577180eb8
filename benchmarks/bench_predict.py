"""Throughput of id encoding and of ``predict`` on string ids, against plain pandas and torch.

Two measurements on ``--n-rows`` rows (default 10M) of raw *string* ids
(``"u123456"``, ``"i12345"``) drawn uniformly from a vocabulary of
``--n-users`` users (default 160,000) and ``--n-items`` items (60,000):

(a) Encoding the user column, in millions of ids per second:

    - ``encode``: ``sklearn_rec._vocabulary.Vocabulary.encode`` against the vocabulary of
      ``Vocabulary.from_ids`` (built once from the 160,000 ids; its time is
      printed apart);
    - ``check + encode``: the whole path of a query column,
      ``check_id_column`` (the NaN and mixed-type checks) then ``encode``;
    - reference: ``pandas.Index.get_indexer`` on the same sorted vocabulary.

(b) ``MatrixFactorization(n_factors=64, loss="bpr").predict`` on a DataFrame of
    (user, item) string ids, in millions of pairs per second. The estimator is
    fitted with ``max_epochs=0`` on the vocabularies (one row per id), which
    builds the model without training. The reference is a plain torch batched
    dot product ``(P[u] * Q[i]).sum(1) + b_u[u] + b_i[i] + mu`` over index
    tensors encoded beforehand, in batches of the estimator's prediction batch
    size, with the estimator's own weights; its output must equal ``predict``'s.

``ratio`` is the reference's time over the package's: how many times slower
the package is (1.00: no overhead). Each timing is the best of ``--repeats``
runs. ``--profile`` prints the top functions of a cProfile of both paths, to
show where the time goes (and that no per-row Python loop runs).

Usage::

    python benchmarks/bench_predict.py
    python benchmarks/bench_predict.py --profile --json results.json
"""

import argparse
import cProfile
import json
import pstats

import numpy as np
import pandas as pd
import torch
from _common import limit_threads, metadata, timed

from sklearn_rec import MatrixFactorization
from sklearn_rec._vocabulary import Vocabulary, check_id_column

SEED = 0


def best_time(function, repeats):
    """The result of ``function()`` and the best of ``repeats`` wall times."""
    times = []
    for _ in range(repeats):
        result, seconds = timed(function)
        times.append(seconds)
    return result, min(times)


def make_ids(prefix, n_ids, n_rows, rng):
    """A shuffled vocabulary of ``n_ids`` string ids and ``n_rows`` draws from it (object)."""
    vocabulary = np.array([f"{prefix}{i}" for i in rng.permutation(n_ids)], dtype=object)
    return vocabulary, vocabulary[rng.integers(n_ids, size=n_rows)]


def bench_encode(user_vocab, users, repeats):
    vocabulary, build_s = best_time(lambda: Vocabulary.from_ids(user_vocab), repeats)
    reference = pd.Index(np.sort(user_vocab))
    codes, encode_s = best_time(lambda: vocabulary.encode(users), repeats)
    checked, full_s = best_time(lambda: vocabulary.encode(check_id_column(users, "user")), repeats)
    expected, ref_s = best_time(lambda: reference.get_indexer(users), repeats)
    assert (codes == expected).all() and (checked == expected).all()
    n = len(users)
    return {
        "build_vocabulary_s": build_s,
        "rows": [
            {
                "path": "encode",
                "seconds": encode_s,
                "per_s": n / encode_s,
                "ratio": ref_s / encode_s,
            },
            {
                "path": "check + encode",
                "seconds": full_s,
                "per_s": n / full_s,
                "ratio": ref_s / full_s,
            },
            {"path": "Index.get_indexer", "seconds": ref_s, "per_s": n / ref_s, "ratio": 1.0},
        ],
    }


def fit_estimator(user_vocab, item_vocab, factors):
    n = max(len(user_vocab), len(item_vocab))
    X = pd.DataFrame({"user": np.resize(user_vocab, n), "item": np.resize(item_vocab, n)})
    est = MatrixFactorization(n_factors=factors, loss="bpr", max_epochs=0, random_state=SEED)
    return est.fit(X)


def hand_predict(est, user_codes, item_codes):
    """Plain batched dot product with the estimator's weights over encoded indices."""
    module = est.module_
    p, q = module.user_factors.weight, module.item_factors.weight
    b_u, b_i = module.user_bias.weight[:, 0], module.item_bias.weight[:, 0]
    out = torch.empty(len(user_codes))
    batch = est._predict_batch_size
    with torch.no_grad():
        for start in range(0, len(user_codes), batch):
            u, i = user_codes[start : start + batch], item_codes[start : start + batch]
            out[start : start + batch] = (p[u] * q[i]).sum(1) + b_u[u] + b_i[i]
        out += module.global_bias
    return out.numpy()


def bench_predict(est, X, repeats):
    user_codes = torch.as_tensor(est._user_vocabulary.encode(X["user"].to_numpy()))
    item_codes = torch.as_tensor(est._item_vocabulary.encode(X["item"].to_numpy()))
    predicted, predict_s = best_time(lambda: est.predict(X), repeats)
    expected, ref_s = best_time(lambda: hand_predict(est, user_codes, item_codes), repeats)
    np.testing.assert_allclose(predicted, expected, rtol=1e-5, atol=1e-6)
    n = len(X)
    return [
        {
            "path": "predict",
            "seconds": predict_s,
            "per_s": n / predict_s,
            "ratio": ref_s / predict_s,
        },
        {"path": "torch dot (encoded)", "seconds": ref_s, "per_s": n / ref_s, "ratio": 1.0},
    ]


ROW = "{:<22} {:>8} {:>10} {:>6}"


def print_table(title, rows):
    print(ROW.format(title, "seconds", "M/s", "ratio"))
    print("-" * 49)
    for r in rows:
        cells = (f"{r['seconds']:.2f}", f"{r['per_s'] / 1e6:.1f}", f"{r['ratio']:.2f}")
        print(ROW.format(r["path"], *cells), flush=True)


def profile(function, top):
    profiler = cProfile.Profile()
    profiler.runcall(function)
    pstats.Stats(profiler).sort_stats("tottime").print_stats(top)


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n-rows", type=int, default=10_000_000, help="ids / pairs to process")
    parser.add_argument("--n-users", type=int, default=160_000)
    parser.add_argument("--n-items", type=int, default=60_000)
    parser.add_argument("--factors", type=int, default=64)
    parser.add_argument("--repeats", type=int, default=3, help="best of this many runs")
    parser.add_argument(
        "--threads", type=int, help="torch and BLAS threads (default: the libraries')"
    )
    parser.add_argument("--profile", action="store_true", help="print cProfile's top functions")
    parser.add_argument("--json", metavar="PATH", help="write the results as JSON")
    return parser.parse_args()


def main():
    args = parse_args()
    limit_threads(args.threads)
    rng = np.random.default_rng(SEED)
    user_vocab, users = make_ids("u", args.n_users, args.n_rows, rng)
    item_vocab, items = make_ids("i", args.n_items, args.n_rows, rng)
    setting = {
        "n_rows": args.n_rows,
        "n_users": args.n_users,
        "n_items": args.n_items,
        "factors": args.factors,
        "threads": torch.get_num_threads(),
        "torch": torch.__version__,
        "pandas": pd.__version__,
    }
    print(", ".join(f"{k}={v}" for k, v in setting.items()), flush=True)

    encoding = bench_encode(user_vocab, users, args.repeats)
    print(f"build_vocabulary of {args.n_users:,} ids: {encoding['build_vocabulary_s']:.3f} s")
    print_table("(a) encode user ids", encoding["rows"])
    print()

    est = fit_estimator(user_vocab, item_vocab, args.factors)
    X = pd.DataFrame({"user": users, "item": items})
    predicting = bench_predict(est, X, args.repeats)
    print(f"X: DataFrame, dtypes {', '.join(map(str, X.dtypes))}")
    print_table("(b) predict pairs", predicting)

    if args.profile:
        vocabulary = est._user_vocabulary
        profile(lambda: vocabulary.encode(check_id_column(users, "user")), 8)
        profile(lambda: est.predict(X), 12)
    if args.json:
        with open(args.json, "w") as f:
            results = {"encode": encoding, "predict": predicting}
            json.dump({"setting": setting, "meta": metadata(), "results": results}, f, indent=2)


if __name__ == "__main__":
    main()
