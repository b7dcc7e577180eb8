"""The MovieLens quality benchmark behind ``benchmarks/movielens.py``.

- ``config``: the models, ours and the peers, with their grids (edit there);
- ``data``: the data sets and the interactions of one split;
- ``adapters``: one module per library, every model behind the same methods;
- ``protocols``: the three protocols, run by one runner in ``harness``;
- ``report``: the Markdown tables; ``main``: the command line.
"""

SEED = 0
K = 10
N_NEGATIVES = 99
