"""Datasets, the batch-slicing iterator and negative sampling.

skorch's default ``DataLoader`` calls ``__getitem__`` once per row and
collates; for ``(user, item)`` pairs that costs more than the model. The
iterator here keeps each column as one tensor on the training device and
slices whole batches out of it with one permutation per epoch.
"""

import math

import numpy as np
import torch
from torch.utils.data import Dataset, Subset

# Rejection rounds for "unseen" negative sampling. A user who has seen a
# fraction f of the catalogue keeps a seen item with probability f ** (1 + 10).
_MAX_REJECTION_ROUNDS = 10

# Up to this many (user, item) cells, seen pairs are looked up in a bitmap (at
# most 32 MiB); above it, by binary search in the sorted pair keys.
_BITMAP_MAX_CELLS = 2**28


class InteractionDataset(Dataset):
    """Encoded interactions: user and item indices, optional targets."""

    def __init__(self, user, item, y=None):
        # int32 codes: half the memory of int64 (190 MiB less at 25M rows);
        # embedding lookups and indexing take them as they are.
        self.user = torch.as_tensor(user, dtype=torch.int32)
        self.item = torch.as_tensor(item, dtype=torch.int32)
        if y is not None:
            # A copy: the dataset never shares memory with the caller's y.
            y = (
                y.to(torch.float32, copy=True)
                if torch.is_tensor(y)
                else torch.tensor(y, dtype=torch.float32)
            )
        self.y = y

    def __len__(self):
        return len(self.user)

    def __getitem__(self, index):
        y = None if self.y is None else self.y[index]
        return {"user": self.user[index], "item": self.item[index]}, y

    def subset(self, index):
        index = torch.as_tensor(index, dtype=torch.long)
        y = None if self.y is None else self.y[index]
        return InteractionDataset(self.user[index], self.item[index], y)


def as_interaction_dataset(dataset):
    """Materialise a :class:`~torch.utils.data.Subset` (from a validation split)."""
    if isinstance(dataset, Subset):
        return as_interaction_dataset(dataset.dataset).subset(dataset.indices)
    if not isinstance(dataset, InteractionDataset):
        raise TypeError(
            f"Expected an InteractionDataset, got {type(dataset).__name__}; pass raw "
            "(user, item) rows to the estimator instead."
        )
    return dataset


class NegativeSampler:
    """Draw ``n_negatives`` random items for each user of a batch.

    Parameters
    ----------
    n_items : int
        Size of the catalogue; items are drawn uniformly from it.
    n_negatives : int
        Items drawn per row.
    seen : scipy.sparse.csr_matrix or None
        If given, draws that hit an item the user has seen are redrawn (up to
        a fixed number of rounds), so negatives are unseen items. Seen pairs
        are looked up in a bitmap of the user-item matrix when it takes at
        most 32 MiB, else by binary search in the user's row of ``seen``.
    device : torch.device
    generator : torch.Generator or None, default=None
        The source of the draws; ``None`` is torch's global RNG.
    """

    def __init__(self, n_items, n_negatives, seen=None, device="cpu", generator=None):
        self.n_items = n_items
        self.n_negatives = n_negatives
        self.device = device
        self.generator = generator
        self.bitmap = None
        self.any_seen = False
        # log(n_items): the items each draw comes from, the same for every user.
        self.log_pool = torch.tensor(np.log(n_items), dtype=torch.float32, device=device)
        if seen is not None:
            seen = seen.tocsr()
            seen.sort_indices()
            unseen = n_items - np.diff(seen.indptr)
            # A user who saw every item keeps draws from the whole catalogue.
            unseen = np.where(unseen > 0, unseen, n_items)
            self.log_pool = torch.as_tensor(np.log(unseen), dtype=torch.float32, device=device)
            n_cells = seen.shape[0] * n_items
            if n_cells <= _BITMAP_MAX_CELLS:
                rows = np.repeat(np.arange(seen.shape[0], dtype=np.int64), np.diff(seen.indptr))
                keys = torch.from_numpy(rows * n_items + seen.indices)
                # Keys are distinct, so adding their bits into bytes is an OR.
                bitmap = torch.zeros((n_cells + 7) // 8, dtype=torch.int64)
                bitmap.index_add_(0, keys >> 3, 1 << (keys & 7))
                self.bitmap = bitmap.to(torch.uint8).to(device)
            else:
                # Binary search in each user's sorted row of ``seen`` itself,
                # which holds the pairs already: no copy of them.
                self.indptr = torch.as_tensor(seen.indptr.astype(np.int64), device=device)
                self.indices = torch.as_tensor(seen.indices, device=device)
                longest = int(np.diff(seen.indptr).max(initial=0))
                self.search_steps = longest.bit_length()
            self.any_seen = seen.nnz > 0

    def _is_seen(self, user, items):
        if self.bitmap is not None:
            query = user.long() * self.n_items + items
            return (self.bitmap[query >> 3].long() >> (query & 7)) & 1 == 1
        user = user.long()
        # Vectorised lower bound of each item in its user's row.
        low, high = self.indptr[user], self.indptr[user + 1]
        end, last = high, len(self.indices) - 1
        for _ in range(self.search_steps):
            middle = (low + high) // 2
            active = low < high
            less = self.indices[middle.clamp(max=last)] < items
            low = torch.where(active & less, middle + 1, low)
            high = torch.where(active & ~less, middle, high)
        return (low < end) & (self.indices[low.clamp(max=last)] == items)

    def log_rates(self, user):
        """``log(n_negatives / pool)`` for each user: how often a draw hits each candidate item.

        The pool is the items a user's negatives come from (the unseen ones
        when ``seen`` is given; the whole catalogue for a user who saw every
        item, whose draws are kept after the rejection rounds); a rate above
        1 means an item is drawn more than once per row on average. For a
        user who saw nearly every item some draws stay on seen items after
        the rejection rounds, and the rate is approximate.
        """
        log_pool = self.log_pool if self.log_pool.dim() == 0 else self.log_pool[user.long()]
        return math.log(self.n_negatives) - log_pool.expand(len(user))

    def _draw(self, shape):
        return torch.randint(self.n_items, shape, device=self.device, generator=self.generator)

    def __call__(self, user):
        shape = (len(user), self.n_negatives)
        items = self._draw(shape)
        if not self.any_seen:
            return items
        flat_items = items.view(-1)
        flat_users = user.repeat_interleave(self.n_negatives)
        # Each round redraws the draws that hit a seen item and checks only
        # those again.
        pending = torch.arange(len(flat_items), device=self.device)
        for _ in range(_MAX_REJECTION_ROUNDS):
            pending = pending[self._is_seen(flat_users[pending], flat_items[pending])]
            if len(pending) == 0:
                break
            flat_items[pending] = self._draw((len(pending),))
        return items


class InteractionIterator:
    """Yield ``(X_batch, y_batch)`` by slicing column tensors.

    ``X_batch`` is ``{"user": (B,), "item": (B,) or (B, 1 + n_negatives)}``.
    With a sampler, column 0 of ``item`` is the observed item and the rest
    are sampled negatives, and ``y_batch`` is the target of the loss
    (``loss.batch_target``); without one, ``y_batch`` is the observed target.

    With ``num_replicas > 1`` (data-parallel training, one process per
    replica) the iterator yields only the share of replica ``rank``: every
    ``num_replicas``-th row of the epoch's order, starting at ``rank``, cut to
    ``len(dataset) // num_replicas`` rows so that all replicas run the same
    number of batches. The processes must draw the same permutation (the same
    seed), so that their shares are disjoint.
    """

    def __init__(
        self,
        dataset,
        batch_size,
        *,
        shuffle=False,
        sampler=None,
        loss=None,
        device="cpu",
        num_replicas=1,
        rank=0,
    ):
        dataset = as_interaction_dataset(dataset)
        self.user = dataset.user.to(device)
        self.item = dataset.item.to(device)
        self.y = None if dataset.y is None else dataset.y.to(device)
        self.batch_size = batch_size
        self.shuffle = shuffle
        self.sampler = sampler
        self.loss = loss
        self.device = device
        self.num_replicas = num_replicas
        self.rank = rank

    def _n_rows(self):
        return len(self.user) // self.num_replicas

    def __len__(self):
        return math.ceil(self._n_rows() / self.batch_size)

    def __iter__(self):
        n = self._n_rows()
        order = None
        if self.shuffle:
            # int32 positions: half the memory of the default int64 (100 MB
            # less at 25M rows), and the same permutation.
            dtype = torch.int32 if len(self.user) < 2**31 else torch.int64
            order = torch.randperm(len(self.user), dtype=dtype, device=self.device)
        if self.num_replicas > 1:
            if order is None:
                order = torch.arange(len(self.user), device=self.device)
            order = order[self.rank :: self.num_replicas][:n]
        for start in range(0, n, self.batch_size):
            if order is None:
                index = slice(start, start + self.batch_size)
            else:
                index = order[start : start + self.batch_size]
            user, item = self.user[index], self.item[index]
            y = None if self.y is None else self.y[index]
            if self.sampler is None:
                yield {"user": user, "item": item}, y
                continue
            negatives = self.sampler(user)
            items = torch.cat([item.unsqueeze(1), negatives], dim=1)
            target = self.loss.batch_target(y, negatives.shape, user, self.sampler)
            yield {"user": user, "item": items}, target
