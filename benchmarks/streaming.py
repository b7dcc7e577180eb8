"""Peak memory of training chunk by chunk from Parquet, as the data grows.

For each size, synthetic interactions are written to a Parquet file in row
groups, then a fresh process trains ``MatrixFactorization`` on them with
``partial_fit``, one chunk at a time, the vocabulary given up front
(``user_ids``, ``item_ids``). It reports that process's peak resident memory
(``ru_maxrss``). With ``--in-memory``, a second process reads the whole file
and calls ``fit``, for comparison.

Usage::

    python benchmarks/streaming.py --sizes 1e6,5e6,25e6
"""

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np


def write_parquet(path, n_rows, n_users, n_items, chunk_rows):
    """Write ``n_rows`` synthetic interactions, one row group per chunk."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    from sklearn_rec.datasets import make_interactions

    writer = None
    for seed, start in enumerate(range(0, n_rows, chunk_rows)):
        n = min(chunk_rows, n_rows - start)
        X, y = make_interactions(
            n_users=n_users, n_items=n_items, n_interactions=n, random_state=seed
        )
        table = pa.table({"user": X["user"], "item": X["item"], "rating": y.astype(np.float32)})
        if writer is None:
            writer = pq.ParquetWriter(path, table.schema)
        writer.write_table(table, row_group_size=chunk_rows)
    writer.close()


def train(path, n_users, n_items, chunk_rows, in_memory):
    """Train on the file; return the wall time and the peak RSS in MiB."""
    import pyarrow.dataset as ds
    import torch

    from sklearn_rec import MatrixFactorization

    torch.set_num_threads(1)
    model = MatrixFactorization(
        n_factors=32,
        max_epochs=1,
        batch_size=4096,
        user_ids=np.arange(n_users),
        item_ids=np.arange(n_items),
        random_state=0,
    )
    dataset = ds.dataset(path, format="parquet")
    start = time.perf_counter()
    if in_memory:
        data = dataset.to_table().to_pandas()
        model.fit(data[["user", "item"]], data["rating"])
    else:
        for batch in dataset.to_batches(batch_size=chunk_rows):
            chunk = batch.to_pandas()
            model.partial_fit(chunk[["user", "item"]], chunk["rating"])
    seconds = time.perf_counter() - start
    peak_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return {"seconds": seconds, "peak_rss_mib": peak_mib, "seen_nnz": int(model.seen_.nnz)}


def run_child(*args):
    out = subprocess.run(
        [sys.executable, __file__, "--child", *map(str, args)],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    return json.loads(out.strip().splitlines()[-1])


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1e6,5e6,25e6", help="rows, comma-separated")
    parser.add_argument("--n-users", type=int, default=100_000)
    parser.add_argument("--n-items", type=int, default=20_000)
    parser.add_argument("--chunk-rows", type=int, default=1_000_000)
    parser.add_argument(
        "--in-memory", action="store_true", help="also fit on the whole file, for comparison"
    )
    parser.add_argument("--child", nargs=5, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        path, n_users, n_items, chunk_rows, in_memory = args.child
        result = train(path, int(n_users), int(n_items), int(chunk_rows), in_memory == "1")
        print(json.dumps(result))
        return

    print(
        f"{'rows':>12} {'parquet MiB':>12} {'mode':>10} {'peak RSS MiB':>13} "
        f"{'seen_ nnz':>11} {'train s':>8}"
    )
    with tempfile.TemporaryDirectory() as tmp:
        for size in (int(float(s)) for s in args.sizes.split(",")):
            path = Path(tmp) / f"interactions_{size}.parquet"
            write_parquet(path, size, args.n_users, args.n_items, args.chunk_rows)
            megabytes = path.stat().st_size / 2**20
            modes = ["streamed", "in-memory"] if args.in_memory else ["streamed"]
            for mode in modes:
                result = run_child(
                    path, args.n_users, args.n_items, args.chunk_rows, int(mode == "in-memory")
                )
                print(
                    f"{size:>12,} {megabytes:>12.0f} {mode:>10} {result['peak_rss_mib']:>13.0f} "
                    f"{result['seen_nnz']:>11,} {result['seconds']:>8.1f}",
                    flush=True,
                )
            path.unlink()


if __name__ == "__main__":
    main()
