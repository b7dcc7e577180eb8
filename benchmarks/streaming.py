"""Peak memory of training chunk by chunk from Parquet, as the data grows.

For each size, synthetic interactions are written to a Parquet file in row
groups, then a fresh process trains ``MatrixFactorization`` on them with
``partial_fit``, one chunk at a time, the vocabulary given up front
(``user_ids``, ``item_ids``). It reports that process's peak resident memory
(``ru_maxrss``). With ``--no-seen``, another process streams the same way
with ``store_seen=False`` (no ``seen_`` matrix, whose size grows with the
data); with ``--in-memory``, another reads the whole file and calls ``fit``,
for comparison.

The chunks are read with ``pyarrow.parquet.ParquetFile.iter_batches``, one
row group at a time. ``pyarrow.dataset.Dataset.to_batches`` decodes row groups
ahead of the consumer (all ten of a 10-million-row file at once, and still
most of them with ``batch_readahead=0``), which makes the reader's memory
grow with the file up to its read-ahead limit.

Usage::

    python benchmarks/streaming.py --sizes 1e6,5e6,25e6
    python benchmarks/streaming.py --sizes 1e6,5e6,10e6,25e6 --no-seen
"""

import argparse
import json
import resource
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np
from _common import limit_threads, timed


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


def train(path, n_users, n_items, chunk_rows, in_memory, store_seen):
    """Train on the file; return the wall time and the peak RSS in MiB."""
    import pyarrow.parquet as pq

    from sklearn_rec import MatrixFactorization

    limit_threads(1)
    model = MatrixFactorization(
        n_factors=32,
        max_epochs=1,
        batch_size=4096,
        user_ids=np.arange(n_users),
        item_ids=np.arange(n_items),
        store_seen=store_seen,
        random_state=0,
    )

    def fit():
        if in_memory:
            data = pq.read_table(path).to_pandas()
            model.fit(data[["user", "item"]], data["rating"])
        else:
            for batch in pq.ParquetFile(path).iter_batches(batch_size=chunk_rows):
                chunk = batch.to_pandas()
                model.partial_fit(chunk[["user", "item"]], chunk["rating"])

    _, seconds = timed(fit)
    peak_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    seen_nnz = None if model.seen_ is None else int(model.seen_.nnz)
    return {"seconds": seconds, "peak_rss_mib": peak_mib, "seen_nnz": seen_nnz}


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
    parser.add_argument("--no-seen", action="store_true", help="also stream with store_seen=False")
    parser.add_argument("--child", nargs=6, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        path, n_users, n_items, chunk_rows, in_memory, store_seen = args.child
        result = train(
            path,
            int(n_users),
            int(n_items),
            int(chunk_rows),
            in_memory == "1",
            store_seen == "1",
        )
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
            modes = ["streamed"] + ["no seen_"] * args.no_seen + ["in-memory"] * args.in_memory
            for mode in modes:
                result = run_child(
                    path,
                    args.n_users,
                    args.n_items,
                    args.chunk_rows,
                    int(mode == "in-memory"),
                    int(mode != "no seen_"),
                )
                nnz = "-" if result["seen_nnz"] is None else f"{result['seen_nnz']:,}"
                print(
                    f"{size:>12,} {megabytes:>12.0f} {mode:>10} {result['peak_rss_mib']:>13.0f} "
                    f"{nnz:>11} {result['seconds']:>8.1f}",
                    flush=True,
                )
            path.unlink()


if __name__ == "__main__":
    main()
