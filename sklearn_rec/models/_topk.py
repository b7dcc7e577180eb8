"""Exact top-k over score matrices, in chunks of rows.

Ranking ``n`` users over ``m`` items needs ``n * m`` scores: they are
computed a chunk of rows at a time into one reused buffer, seen items are
masked, and a two-stage selection (``topk_rows``) keeps the best ``k``.
The estimators' ``recommend`` and ``similar_items`` are built from these.
"""

import numpy as np
import torch
import torch.nn.functional as F

from ._progress import Progress

# Columns per block in the first stage of ``topk_rows``.
_TOPK_BLOCK = 64


def topk_rows(scores, k, block=_TOPK_BLOCK):
    """``torch.topk(scores, k, dim=1)`` in two stages, exact up to ties.

    The ``k`` best scores of a row lie in the ``k`` blocks of ``block``
    consecutive columns with the largest maxima: a block outside those has
    ``k`` blocks above it, hence ``k`` better scores. So one reduction finds
    the block maxima, a top-k over them picks the blocks, and a top-k over
    their ``k * block`` columns finishes. On a 60,000-item catalogue the
    selection costs about a third of a plain top-k over every column.
    Padding columns of a short last block count as ``-inf``; a row with
    fewer than ``k`` finite scores may then return any valid columns at its
    ``-inf`` positions, as ``torch.topk`` does.
    """
    n_columns = scores.shape[1]
    if 4 * k * block > n_columns:
        return torch.topk(scores, k, dim=1)
    n_full = n_columns // block
    maxima = scores[:, : n_full * block].unflatten(1, (n_full, block)).amax(2)
    if n_full * block < n_columns:
        tail = scores[:, n_full * block :].amax(1, keepdim=True)
        maxima = torch.cat([maxima, tail], dim=1)
    blocks = torch.topk(maxima, k, dim=1, sorted=False).indices
    offsets = torch.arange(block, device=scores.device)
    columns = (blocks.unsqueeze(2) * block + offsets).flatten(1)
    padding = columns >= n_columns
    columns.masked_fill_(padding, n_columns - 1)
    values = scores.gather(1, columns).masked_fill_(padding, -torch.inf)
    best, index = torch.topk(values, k, dim=1)
    return best, columns.gather(1, index)


@torch.no_grad()
def chunked_topk(
    rows, score_fn, k, n_columns, *, budget, device, mask_fn=None, finish_fn=None, progress=None
):
    """Top ``k`` columns of ``score_fn(rows, out)``, computed in chunks of rows.

    ``score_fn`` writes each chunk's scores into ``out``, one buffer of at
    most ``budget`` floats reused for every chunk: a fresh buffer of this
    size per chunk costs page faults that doubled the time of a
    matrix-factorisation ``recommend`` (``benchmarks/bench_recommend.py``).
    ``mask_fn(block, scores)`` edits a chunk's scores in place before the
    selection; ``finish_fn(block, best)`` maps the selected scores after it.
    ``progress(n_rows, n_chunks)`` (a :class:`~._progress.Progress`)
    reports the rows done.
    """
    chunk = max(1, min(len(rows), budget // max(1, n_columns)))
    buffer = torch.empty(chunk, n_columns, device=device)
    top = np.empty((len(rows), k), dtype=np.int64)
    values = np.empty((len(rows), k))
    if progress is None:
        progress = Progress("", "", verbose=0)
    with progress(len(rows), -(-len(rows) // chunk)) as done:
        for start in range(0, len(rows), chunk):
            block = rows[start : start + chunk]
            scores = score_fn(torch.as_tensor(block, device=device), buffer[: len(block)])
            if mask_fn is not None:
                mask_fn(block, scores)
            best, index = topk_rows(scores, k)
            if finish_fn is not None:
                best = finish_fn(block, best)
            top[start : start + len(block)] = index.cpu().numpy()
            values[start : start + len(block)] = best.cpu().numpy()
            done.update(len(block))
    return top, values


def top_items(
    module,
    user_codes,
    k,
    *,
    candidates,
    seen,
    n_users,
    n_catalogue,
    link,
    budget,
    device,
    progress=None,
):
    """The ``k`` best items of ``candidates`` (codes; ``None``: all) for each user.

    ``seen`` (CSR, or ``None`` to keep seen items) holds the trained users'
    items, which are left out; users from ``n_users`` on (known from their
    features alone) have seen nothing. ``link`` maps raw scores to the scale
    of ``predict``. Returns item codes and scores, each ``(len(user_codes), k)``.
    """
    items = np.arange(n_catalogue) if candidates is None else candidates
    items_t = None if candidates is None else torch.as_tensor(items, device=device)
    column = None
    if candidates is not None:
        column = np.full(n_catalogue, -1)
        column[candidates] = np.arange(len(candidates))

    def score(users, out):
        return module.score_matrix(users, items_t, out=out)

    def finish(block, best):
        # The per-user constant and the output function change no ranking:
        # apply them to the k kept scores only. Masked (seen) positions stay
        # at -inf, also through a sigmoid.
        offset = module.user_offset(torch.as_tensor(block, device=device))
        scores = link(best if offset is None else best + offset.unsqueeze(1))
        return scores.masked_fill(torch.isneginf(best), -torch.inf)

    def mask_seen(block, scores):
        trained = block < n_users
        rows_seen = seen[np.where(trained, block, 0)]
        rows = np.repeat(np.arange(len(block)), np.diff(rows_seen.indptr))
        cols = rows_seen.indices if column is None else column[rows_seen.indices]
        keep = (cols >= 0) & trained[rows]
        rows = torch.as_tensor(rows[keep], device=device)
        scores[rows, torch.as_tensor(cols[keep], device=device)] = -torch.inf

    top, values = chunked_topk(
        user_codes,
        score,
        k,
        len(items),
        budget=budget // module.pair_cost,
        device=device,
        mask_fn=None if seen is None else mask_seen,
        finish_fn=finish,
        progress=progress,
    )
    return items[top], values


def top_similar(vectors, item_codes, k, *, budget, device, progress=None):
    """The ``k`` items of largest cosine similarity to each item, itself left out."""
    vectors = F.normalize(vectors, dim=1)

    def score(items, out):
        return torch.mm(vectors[items], vectors.T, out=out)

    def mask_self(block, scores):
        scores[
            torch.arange(len(block), device=device),
            torch.as_tensor(block, device=device),
        ] = -torch.inf

    return chunked_topk(
        item_codes,
        score,
        k,
        len(vectors),
        budget=budget,
        device=device,
        mask_fn=mask_self,
        progress=progress,
    )
