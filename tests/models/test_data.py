"""Negative sampling and the batch iterator."""

import numpy as np
import torch
from scipy import sparse

from sklearn_rec.models._data import InteractionDataset, InteractionIterator, NegativeSampler
from sklearn_rec.models._losses import LOSSES


def test_unseen_sampling_avoids_seen_items():
    rng = np.random.default_rng(0)
    seen = sparse.random(50, 40, density=0.5, random_state=0, format="csr")
    seen.data[:] = 1
    sampler = NegativeSampler(40, 8, seen)
    torch.manual_seed(0)
    users = rng.integers(0, 50, 500)
    user = torch.as_tensor(users)
    negatives = sampler(user).numpy().copy()
    assert negatives.shape == (500, 8)
    dense = seen.toarray()
    hits = dense[users[:, None], negatives]
    # Half of the catalogue is seen: 10 redraw rounds leave ~0.5**11 of draws.
    assert hits.mean() < 0.005
    uniform = NegativeSampler(40, 8)(user).numpy().copy()
    assert dense[users[:, None], uniform].mean() > 0.4


def test_sampler_gives_up_on_users_who_saw_everything():
    seen = sparse.csr_matrix(np.ones((2, 5)))
    negatives = NegativeSampler(5, 3, seen)(torch.tensor([0, 1]))
    assert negatives.shape == (2, 3)


def test_iterator_covers_every_row_once_per_epoch():
    dataset = InteractionDataset(np.arange(10), np.arange(10) % 3, np.arange(10.0))
    iterator = InteractionIterator(dataset, 4, shuffle=True)
    torch.manual_seed(0)
    first = torch.cat([X["user"] for X, _ in iterator])
    second = torch.cat([X["user"] for X, _ in iterator])
    assert len(iterator) == 3
    assert sorted(first.tolist()) == list(range(10))
    assert not torch.equal(first, second)
    for X, y in iterator:
        torch.testing.assert_close(y, X["user"].float())


def test_iterator_with_negatives_and_targets():
    dataset = InteractionDataset(np.arange(6), np.zeros(6))
    sampler = NegativeSampler(5, 2)
    X, y = next(iter(InteractionIterator(dataset, 6, sampler=sampler, loss=LOSSES["bce"])))
    assert X["item"].shape == (6, 3) and (X["item"][:, 0] == 0).all()
    torch.testing.assert_close(y, torch.tensor([[1.0, 0.0, 0.0]] * 6))
    X, y = next(iter(InteractionIterator(dataset, 6, sampler=sampler, loss=LOSSES["bpr"])))
    torch.testing.assert_close(y, torch.ones(6))


def test_sampled_softmax_target_carries_the_log_rate_of_each_users_draws():
    # User 0 saw 2 of the 5 items, user 1 none: 4 draws come from 3 and 5 items.
    # User 2 saw every item: its draws are kept after the rejection rounds,
    # so they come from the whole catalogue.
    seen = sparse.csr_matrix(np.array([[1, 1, 0, 0, 0], [0, 0, 0, 0, 0], [1, 1, 1, 1, 1]]))
    dataset = InteractionDataset(np.array([0, 1, 2]), np.array([0, 1, 2]))
    loss = LOSSES["sampled_softmax"]
    for sampler, pools in [
        (NegativeSampler(5, 4, seen), [3, 5, 5]),
        (NegativeSampler(5, 4), [5, 5, 5]),
    ]:
        _, y = next(iter(InteractionIterator(dataset, 3, sampler=sampler, loss=loss)))
        expected = torch.tensor([[1.0, np.log(4 / pool)] for pool in pools])
        torch.testing.assert_close(y, expected.float())


def test_corrected_draws_estimate_the_softmax_over_the_pool():
    # With many draws, the sampled softmax of a positive against its corrected
    # negatives is the softmax over the positive and every unseen item (the
    # fold-in objective), whatever the number of draws and the pool's size;
    # without the correction it is off by log(n_draws / pool).
    loss = LOSSES["sampled_softmax"]
    seen = sparse.csr_matrix(np.array([[1] + [0] * 11 + [1] * 8]))  # 11 unseen of 20
    scores = torch.linspace(-2.0, 3.0, 20)
    unseen = torch.as_tensor(np.flatnonzero(seen.toarray()[0] == 0))
    full = loss.fold_in_terms(scores, torch.tensor([0]), None, unseen, None, 20)
    torch.manual_seed(0)
    for n_draws in (5_000, 50_000):
        sampler = NegativeSampler(20, n_draws, seen)
        user = torch.zeros(4, dtype=torch.long)
        items = torch.cat([torch.zeros(4, 1, dtype=torch.long), sampler(user)], dim=1)
        target = loss.batch_target(None, (4, n_draws), user, sampler)
        value = loss.value(loss.criterion(), scores[items], target, {}, None)
        torch.testing.assert_close(value, full[0], rtol=0.01, atol=0)
        uncorrected = loss.value(
            loss.criterion(), scores[items], target * torch.tensor([1, 0]), {}, None
        )
        assert abs(uncorrected - full[0]) > 0.5


def test_bitmap_and_binary_search_lookups_agree(monkeypatch):
    from sklearn_rec.models import _data

    seen = sparse.random(300, 70, density=0.3, random_state=1, format="csr")
    user = torch.as_tensor(np.random.default_rng(1).integers(0, 300, 2000))
    torch.manual_seed(0)
    with_bitmap = NegativeSampler(70, 5, seen)
    assert with_bitmap.bitmap is not None
    expected = with_bitmap(user)
    monkeypatch.setattr(_data, "_BITMAP_MAX_CELLS", 0)
    torch.manual_seed(0)
    with_search = NegativeSampler(70, 5, seen)
    assert with_search.bitmap is None
    torch.testing.assert_close(with_search(user), expected)
    items = torch.arange(70).repeat(300)
    users = torch.arange(300).repeat_interleave(70)
    truth = torch.as_tensor(seen.toarray().ravel() != 0)
    torch.testing.assert_close(with_bitmap._is_seen(users, items), truth)
    torch.testing.assert_close(with_search._is_seen(users, items), truth)


def test_binary_search_lookup_on_empty_full_and_long_rows(monkeypatch):
    from sklearn_rec.models import _data

    monkeypatch.setattr(_data, "_BITMAP_MAX_CELLS", 0)
    dense = np.random.default_rng(2).random((6, 1000)) < 0.5
    dense[0] = False  # nothing seen
    dense[1] = True  # everything seen
    dense[2] = False
    dense[2, [0, 999]] = True  # the first and the last item only
    seen = sparse.csr_matrix(dense.astype(np.float32))
    sampler = NegativeSampler(1000, 3, seen)
    users = torch.arange(6, dtype=torch.int32).repeat_interleave(1000)
    items = torch.arange(1000).repeat(6)
    torch.testing.assert_close(sampler._is_seen(users, items), torch.as_tensor(dense.ravel()))
