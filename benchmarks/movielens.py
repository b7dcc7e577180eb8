"""Quality on MovieLens against reference libraries, under identical splits and tuning.

Three protocols, each run on every data set of ``--datasets``:

1. ``ratings``: rating prediction, 5-fold cross-validation with
   ``KFold(5, shuffle=True, random_state=0)`` over all rows; RMSE and MAE.
   Every model's predictions are clipped to the rating scale of the data
   (Surprise clips by default; the others get the same treatment). A separate
   comparison runs Surprise's ``SVD()`` with its default settings against one
   fast ``MatrixFactorization(loss="mse")`` setting (``SVD_COMPARISON``) on the
   same folds: RMSE and fit seconds of both.
2. ``topn``: top-10 recommendation over the whole catalogue.
   ``UserHoldoutSplit(test_size=0.2, random_state=0)`` holds out a random 20%
   of each user's interactions; every interaction is a positive (ratings are
   ignored); every model ranks all training items for each test user, the
   user's training items left out. NDCG@10, Precision@10, Recall@10, MAP@10,
   HR@10 from ``sklearn_rec.metrics`` for every model, catalogue coverage
   (distinct items in all top-10 lists over the number of items) and novelty
   (mean self-information of the listed items).
3. ``loo``: the leave-one-out protocol of NCF (He et al., WWW 2017). Each
   user's latest interaction (``LeaveLastOutSplit`` on the timestamps) is the
   test item, ranked against 99 items the user never interacted with in the
   whole data set, drawn once with a fixed seed and shared by every model.
   The target comes last among the 100 candidates and the ranking is a stable
   sort, so the target loses ties. HR@10 and NDCG@10 from ``sklearn_rec.metrics``.

Tuning is the same for every model: each candidate of the model's grid is
fitted on an inner training part and scored on a validation part, both carved
out of the outer *training* part by the same protocol (the first split of
``KFold(5, shuffle=True, random_state=0)`` for ``ratings``, a
``UserHoldoutSplit(0.2, random_state=0)`` for ``topn``, ``LeaveLastOutSplit``
with 99 validation negatives drawn among the items outside the user's training
interactions for ``loo``). The test part is never looked at. The best candidate
(lowest RMSE; highest NDCG@10 for ``topn`` and ``loo``) is refitted on the
whole training part and evaluated once. For ``ratings`` tuning happens once,
on fold 0's training part, and the chosen parameters are reused on all five
folds.

Our estimators and their grids are set in ``OURS`` of ``_movielens/config.py``,
the reference models in ``PEERS``; change the configurations there, not in the
harness. ``--defaults`` replaces ``OURS`` with ``DEFAULTS``: our estimators at
their defaults, fitted once with no grid, beside the peers tuned as usual.
Reference libraries are optional: a model whose library does not import is
skipped with the reason printed. EASE (Steck, WWW 2019), popularity and the
global mean are written in the harness (``_movielens/adapters``).

Data sets: ``100k`` and ``latest-small`` (all three protocols);
``planted``: ``make_interactions(n_users=300, n_items=200,
n_interactions=7000, implicit=True, random_state=0)``, every row a positive,
for ``topn``; ``1m``: MovieLens 1M from
``ml-1m-no-timestamps/ratings.dat`` (no times: ``loo`` holds out one random
item per user); ``ncf-1m``: the leave-one-out split of MovieLens 1M published
with NCF (``ml-1m.train.rating``, ``ml-1m.test.rating`` and
``ml-1m.test.negative`` in ``$SKLEARN_REC_DATA/ncf-ml-1m``), for ``loo``,
with its own test items and negatives.

Threads: ``--threads`` (default 2) for torch (``torch.set_num_threads``),
BLAS and LAPACK (``threadpoolctl``), implicit's and LightFM's OpenMP loops.
implicit's and LightFM's multi-threaded SGD (BPR, WARP) are Hogwild and not
bit-for-bit repeatable with more than one thread. cornac's BPR runs on one
thread whatever ``--threads`` is, since a seed forces that. Surprise is single
threaded. Fit and recommend seconds are wall times (``time.perf_counter``)
and need an idle machine to compare across libraries.

Usage::

    python benchmarks/movielens.py --quick                       # smoke run, minutes
    python benchmarks/movielens.py --datasets 100k --protocols topn --models EASE,MF
    python benchmarks/movielens.py --datasets 100k,latest-small  # the full benchmark
    python benchmarks/movielens.py --defaults --datasets planted,100k --protocols topn,loo \
        --threads 1 --out benchmarks/results/movielens-defaults \
        --readme benchmarks/README.md                            # the defaults table

The data is read with ``sklearn_rec.datasets.fetch_movielens`` (set
``SKLEARN_REC_DATA`` to a folder holding the extracted archives). Results go to
``--out`` with the suffixes ``.md`` and ``.json``; ``--readme FILE`` also
writes the tables into FILE between ``<!-- BEGIN NAME -->`` and
``<!-- END NAME -->`` (NAME: the file name of ``--out``).
"""

from _movielens.main import main

if __name__ == "__main__":
    main(__doc__.splitlines()[0])
