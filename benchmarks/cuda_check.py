"""End-to-end check of ``device="cuda"``, with timings against the CPU.

For each estimator and loss: fit on the GPU, then ``predict``, ``recommend``
(all users), ``similar_items`` and ``score``; pickle the fitted model and load
it in a fresh process that sees no GPU, where its predictions must equal the
GPU ones. Then one epoch of ``MatrixFactorization`` at MovieLens-25M scale
(``bench_scale.py``'s synthetic data: 160k users, 60k items, 25M
interactions; 64 factors) for each of ``SCALE_RUNS``, and a top-10
``recommend`` for every user, timed on the GPU.

Usage::

    python benchmarks/cuda_check.py                 # on a machine with CUDA
    python benchmarks/cuda_check.py --device cpu --scale 0.01   # dry run
"""

import argparse
import os
import pickle
import subprocess
import sys
import tempfile

import numpy as np
import torch
from _common import timed

from sklearn_rec import MatrixFactorization, NeuralRecommender
from sklearn_rec.datasets import make_interactions
from sklearn_rec.model_selection import UserHoldoutSplit

CONFIGS = [
    ("MF mse", MatrixFactorization, {"loss": "mse"}),
    ("MF bpr", MatrixFactorization, {"loss": "bpr"}),
    ("MF bpr sp", MatrixFactorization, {"loss": "bpr", "sparse": True}),
    ("NCF bce", NeuralRecommender, {"loss": "bce", "batch_size": 1024}),
    ("NeuMF bce", NeuralRecommender, {"architecture": "neumf", "batch_size": 1024}),
]

# (loss, batch_size, sparse) of the one-epoch runs at MovieLens-25M scale.
SCALE_RUNS = [
    ("mse", 1024, True),
    ("bpr", 4096, False),
    ("bpr", 4096, True),
    ("bpr", 65_536, False),
]

LOAD_ON_CPU = """
import pickle, sys, numpy as np, torch
assert not torch.cuda.is_available()
model = pickle.load(open(sys.argv[1], "rb"))
X = pickle.load(open(sys.argv[2], "rb"))
expected = np.load(sys.argv[3])
np.testing.assert_allclose(model.predict(X), expected, rtol=1e-4, atol=1e-5)
assert str(model.device) == "cpu", model.device
print("loaded on CPU, predictions equal", flush=True)
"""


def check_estimators(device, scale):
    X, y = make_interactions(
        n_users=int(20_000 * scale) + 50,
        n_items=int(5_000 * scale) + 50,
        n_interactions=int(1_000_000 * scale) + 2_000,
        random_state=0,
    )
    train, test = next(UserHoldoutSplit(random_state=0).split(X))
    X_train, y_train, X_test = X.iloc[train], y[train], X.iloc[test]
    print(
        f"data: {len(X_train):,} training rows, {X.user.nunique():,} users, "
        f"{X.item.nunique():,} items"
    )
    for name, Estimator, params in CONFIGS:
        target = y_train if params.get("loss") == "mse" else None
        results = {}
        for where in ("cpu", device):
            model = Estimator(max_epochs=2, random_state=0, device=where, **params)
            _, seconds = timed(lambda model=model, target=target: model.fit(X_train, target))
            results[where] = (model, seconds)
        model, seconds = results[device]
        cpu_model, cpu_seconds = results["cpu"]
        predictions, predict_s = timed(lambda model=model: model.predict(X_test))
        (items, scores), recommend_s = timed(
            lambda model=model: model.recommend(model.users_, n=10)
        )
        _, similar_s = timed(lambda model=model: model.similar_items(model.items_[:100], n=10))
        ndcg, score_s = timed(lambda model=model: model.score(X_test))
        cpu_ndcg = cpu_model.score(X_test)
        assert items.shape == (model.n_users_, 10) and np.isfinite(scores).all()
        print(
            f"{name:10s} fit 2 epochs: {seconds:6.2f}s on {device} vs {cpu_seconds:6.2f}s on cpu "
            f"({cpu_seconds / seconds:4.1f}x) | predict {predict_s:.2f}s, recommend all users "
            f"{recommend_s:.2f}s, similar_items {similar_s:.2f}s, score {score_s:.2f}s | "
            f"NDCG@10 {ndcg:.4f} ({device}) vs {cpu_ndcg:.4f} (cpu)",
            flush=True,
        )
        check_cpu_load(model, X_test[:1000], predictions[:1000])


def check_cpu_load(model, X, expected):
    with tempfile.TemporaryDirectory() as folder:
        paths = [os.path.join(folder, name) for name in ("model.pkl", "X.pkl", "expected.npy")]
        with open(paths[0], "wb") as f:
            pickle.dump(model, f)
        with open(paths[1], "wb") as f:
            pickle.dump(X, f)
        np.save(paths[2], expected)
        env = {**os.environ, "CUDA_VISIBLE_DEVICES": ""}
        subprocess.run([sys.executable, "-c", LOAD_ON_CPU, *paths], check=True, env=env)


def check_scale(device, scale):
    from bench_scale import make_data  # this folder is on sys.path when run as a script

    n_users, n_items = int(160_000 * scale) + 100, int(60_000 * scale) + 100
    (X, y), gen_s = timed(lambda: make_data(int(25_000_000 * scale), n_users, n_items))
    print(f"scale data: {len(X):,} rows generated in {gen_s:.1f}s", flush=True)
    for loss, batch_size, sparse in SCALE_RUNS:
        model = MatrixFactorization(
            n_factors=64,
            loss=loss,
            max_epochs=1,
            batch_size=batch_size,
            sparse=sparse,
            device=device,
            random_state=0,
        )
        _, fit_s = timed(lambda model=model, loss=loss: model.fit(X, y if loss == "mse" else None))
        epoch_s = model.history_[-1, "dur"]
        print(
            f"MF {loss} 64 factors, batch {batch_size}, sparse={sparse}: fit {fit_s:.1f}s, "
            f"epoch {epoch_s:.1f}s ({len(X) / epoch_s / 1e6:.2f}M interactions/s), "
            f"train loss {model.history_[-1, 'train_loss']:.4f}",
            flush=True,
        )
    (items, _), recommend_s = timed(lambda: model.recommend(model.users_, n=10))
    print(
        f"recommend top-10 for {len(items):,} users, seen excluded: {recommend_s:.1f}s", flush=True
    )
    if torch.cuda.is_available():
        print(f"peak GPU memory: {torch.cuda.max_memory_allocated() / 2**30:.2f} GiB")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--device", default="cuda")
    parser.add_argument("--scale", type=float, default=1.0, help="data size factor")
    parser.add_argument("--skip-scale", action="store_true")
    args = parser.parse_args()
    print(
        f"torch {torch.__version__}, cuda available: {torch.cuda.is_available()}, "
        f"threads: {torch.get_num_threads()}",
        flush=True,
    )
    check_estimators(args.device, args.scale)
    if not args.skip_scale:
        check_scale(args.device, args.scale)


if __name__ == "__main__":
    main()
