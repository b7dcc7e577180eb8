"""Synthetic interaction data with a planted low-rank structure."""

import numbers

import numpy as np
import pandas as pd
from scipy.special import expit, log_expit
from sklearn.utils import check_random_state

from .._typing import Array

# Spread (log-space standard deviation) of the users' activity weights: with
# 1.0 the most active 1% of users are about ten times as active as the median.
_ACTIVITY_SIGMA = 1.0
# Standard deviation of the user and item rating biases, in affinity units.
_BIAS_STD = 0.3
# Expected candidate pairs of a round of the simulation (at least the
# minimum, to avoid many tiny rounds; at most the maximum, to bound the
# memory of the pairs kept), drawn in chunks.
_MIN_ROUND = 1 << 10
_MAX_ROUND = 1 << 26
_CHUNK = 1 << 20
# Rows per block in row-wise dot products, small enough for the gathered
# factors to stay in cache.
_DOT_CHUNK = 1 << 13
# Cells per block of a user-by-item affinity matrix.
_BLOCK_CELLS = 1 << 22
# Rejection rounds for each user's first item before an exact draw over all
# items takes over for the few users still without one.
_FIRST_ITEM_ROUNDS = 32
# Timestamps: every user is active within three years from 2015-01-01 UTC.
_EPOCH = 1_420_070_400
_SPAN = 3 * 365 * 86_400
_MEDIAN_ACTIVE_SECONDS = 30 * 86_400
_ACTIVE_SIGMA = 1.5
_BOOLS = (bool, np.bool_)


def make_interactions(
    n_users: int = 200,
    n_items: int = 300,
    n_interactions: int = 10_000,
    *,
    n_factors: int = 8,
    popularity_skew: float = 1.0,
    selection_strength: float = 2.0,
    noise: float = 0.5,
    implicit: bool = False,
    rating_range: tuple[float, float] = (1, 5),
    timestamps: bool = False,
    random_state: int | np.random.RandomState | None = None,
) -> tuple[pd.DataFrame, Array]:
    """Generate user-item interactions with a planted low-rank structure.

    The generative model:

    - User factors ``U`` of shape (n_users, n_factors) and item factors ``V``
      of shape (n_items, n_factors) have i.i.d. Gaussian entries of mean 0 and
      variance ``1 / sqrt(n_factors)``, so that the *affinity* ``a_ui = U[u] @
      V[i]`` has unit variance whatever ``n_factors``.
    - Each user has an activity weight drawn from a log-normal distribution,
      so that the number of interactions varies a lot between users.
    - Item popularity follows a Zipf law: the item of popularity rank ``r``
      (1-based, ranks given to items in a random order) has weight
      ``r ** -popularity_skew``.
    - A pair ``(u, i)`` has weight ``activity_u * popularity_i *
      sigmoid(selection_strength * a_ui)``: active users interact the most,
      mostly with popular items they like. Pairs are drawn one at a time in
      proportion to these weights among the pairs not drawn yet (weighted
      sampling without replacement), after one first pair per user drawn the
      same way among that user's pairs, so that every user has at least one
      interaction.
    - For explicit data, the rating of a pair is ``round(clip(center + scale *
      (a_ui + b_u + b_i) + noise * e))`` with ``center`` and ``scale`` the
      middle and a quarter of the width of ``rating_range``, user and item
      biases ``b_u, b_i ~ N(0, 0.3 ** 2)`` and ``e ~ N(0, 1)``. Since observed
      pairs are biased towards liked items, the mean rating lies above
      ``center``, as in real rating data.
    - With ``timestamps=True``, each user is active during a window of
      log-normal length (median 30 days) placed uniformly at random within
      three years from 2015-01-01 UTC, and interacts with the items in the
      order in which they were drawn, at uniformly random times within the
      window, so that popular and well-liked items tend to come first.

    The pairs are drawn without ever forming the ``n_users x n_items``
    matrix, in time and memory about linear in ``n_interactions``: tens of
    millions of interactions fit in a few GiB.

    Parameters
    ----------
    n_users : int, default=200
        Number of users. Every user has at least one interaction.

    n_items : int, default=300
        Number of items. Items of low popularity may have no interaction, in
        particular with a large ``popularity_skew`` and few interactions.

    n_interactions : int, default=10_000
        Number of distinct (user, item) pairs, between ``n_users`` and
        ``n_users * n_items``.

    n_factors : int, default=8
        Rank of the planted affinity.

    popularity_skew : float, default=1.0
        Exponent of the Zipf law of item popularity; 0 makes all items equally
        popular.

    selection_strength : float, default=2.0
        How much a user's affinity for an item drives whether they interact
        with it; 0 makes the observed pairs depend on activity and popularity
        only.

    noise : float, default=0.5
        Standard deviation of the Gaussian noise added to the ratings, in
        rating units. Ignored when ``implicit=True``.

    implicit : bool, default=False
        Whether to return implicit feedback (every ``y`` equal to 1) instead
        of ratings. The pairs do not depend on it.

    rating_range : tuple of (int, int), default=(1, 5)
        Lowest and highest rating. Ignored when ``implicit=True``.

    timestamps : bool, default=False
        Whether to add a ``"timestamp"`` column of Unix times in seconds,
        strictly increasing along each user's interactions.

    random_state : int, RandomState instance or None, default=None
        Determines the random draws. Pass an int for reproducible output
        across calls.

    Returns
    -------
    X : DataFrame of shape (n_interactions, 2) or (n_interactions, 3)
        The interactions in random order, with int64 columns ``"user"`` and
        ``"item"`` holding 0-based ids, followed by an int64 ``"timestamp"``
        column when ``timestamps=True``.

    y : ndarray of shape (n_interactions,)
        Integer-valued float64 ratings within ``rating_range``, or ones when
        ``implicit=True``.

    Examples
    --------
    >>> from sklearn_rec.datasets import make_interactions
    >>> X, y = make_interactions(
    ...     n_users=50, n_items=40, n_interactions=500, timestamps=True,
    ...     random_state=0,
    ... )
    >>> X.shape, y.shape
    ((500, 3), (500,))
    >>> list(X.columns)
    ['user', 'item', 'timestamp']
    >>> X["user"].nunique()
    50
    >>> bool(y.min() >= 1 and y.max() <= 5)
    True
    """
    n_users = _check_count(n_users, "n_users")
    n_items = _check_count(n_items, "n_items")
    n_interactions = _check_count(n_interactions, "n_interactions")
    n_factors = _check_count(n_factors, "n_factors")
    if not n_users <= n_interactions <= n_users * n_items:
        raise ValueError(
            "n_interactions must be between n_users and n_users * n_items "
            f"(here {n_users} and {n_users * n_items}), so that every user has "
            "an interaction and no pair repeats; "
            f"got n_interactions={n_interactions}."
        )
    popularity_skew = _check_non_negative(popularity_skew, "popularity_skew")
    selection_strength = _check_non_negative(selection_strength, "selection_strength")
    noise = _check_non_negative(noise, "noise")
    implicit = _check_bool(implicit, "implicit")
    timestamps = _check_bool(timestamps, "timestamps")
    low, high = _check_rating_range(rating_range)
    popularity_by_rank = np.arange(1, n_items + 1, dtype=np.float64)
    popularity_by_rank **= -popularity_skew
    popularity_by_rank /= popularity_by_rank.sum()
    if not popularity_by_rank[-1] > 0:
        raise ValueError(
            f"popularity_skew={popularity_skew!r} is too large for n_items={n_items}: "
            "the least popular items would have a popularity of exactly 0."
        )
    rng = check_random_state(random_state)

    # Drawn whatever the flags, so that the pairs do not depend on them.
    user_factors = _draw_factors(rng, n_users, n_factors)
    item_factors = _draw_factors(rng, n_items, n_factors)
    activity = rng.lognormal(0.0, _ACTIVITY_SIGMA, size=n_users)
    activity /= activity.sum()
    item_by_rank = rng.permutation(n_items)
    user_bias = _BIAS_STD * rng.standard_normal(n_users)
    item_bias = _BIAS_STD * rng.standard_normal(n_items)

    model = _SelectionModel(
        user_factors,
        item_factors,
        activity,
        item_by_rank,
        popularity_by_rank,
        selection_strength,
    )
    first_items = model.draw_first_items(rng)
    keys, arrival = model.draw_more_pairs(rng, n_interactions - n_users, first_items)
    keys = np.concatenate([np.arange(n_users) * n_items + first_items, keys])
    arrival = np.concatenate([np.full(n_users, -np.inf), arrival])
    # Rows sorted by user, then by arrival, the order of each user's timestamps;
    # sorted by user, the factors gathered below stay in cache.
    keys = keys[np.argsort(arrival)]
    position = np.arange(n_interactions)
    keys = keys[np.sort(keys // n_items * n_interactions + position) % n_interactions]
    users, items = np.divmod(keys, n_items)

    shuffle = rng.permutation(n_interactions)
    # Streams of their own keep the pairs and the ratings the same whatever
    # the flags.
    timestamp_rng, rating_rng = (
        np.random.RandomState(seed) for seed in rng.randint(2**31 - 1, size=2)
    )
    columns = {"user": users[shuffle], "item": items[shuffle]}
    if timestamps:
        seconds = _draw_timestamps(timestamp_rng, users, n_users)
        columns["timestamp"] = seconds[shuffle]
    X = pd.DataFrame(columns, copy=False)
    if implicit:
        return X, np.ones(n_interactions)

    center, scale = (low + high) / 2, (high - low) / 4
    affinity = _pair_affinity(user_factors, item_factors, users, items)
    ratings = (
        center
        + scale * (affinity + user_bias[users] + item_bias[items])
        + noise * rating_rng.standard_normal(n_interactions)
    )
    return X, np.rint(np.clip(ratings, low, high))[shuffle]


class _SelectionModel:
    """Draw (user, item) pairs in proportion to their selection weight.

    The weight of a pair is ``activity[u] * popularity[i] * sigmoid(strength *
    affinity[u, i])``. Weighted sampling without replacement is the order of
    the first arrivals of independent Poisson processes, one per pair, with
    these weights as rates: the pairs drawn are the ones whose first arrival
    comes first.

    Simulating the superposed process (draw a user by activity and an item by
    popularity, keep the pair with probability ``sigmoid(strength *
    affinity)``, skip pairs that arrived before) needs one draw per arrival,
    and most arrivals of the most popular items repeat pairs once enough
    time has passed. Items expected to be drawn more than once per user by
    the end of a round are therefore *enumerated*: every pair of the item
    gets its first arrival time directly, from an exponential draw (past
    arrivals are kept; memorylessness makes the rest exact), and the
    simulation goes on over the remaining items only.
    """

    def __init__(
        self,
        user_factors,
        item_factors,
        activity,
        item_by_rank,
        popularity_by_rank,
        strength,
    ):
        self.user_factors = user_factors
        self.item_factors = item_factors
        self.activity = activity
        self.item_by_rank = item_by_rank
        self.popularity_by_rank = popularity_by_rank
        self.strength = strength
        self.n_users, self.n_items = len(activity), len(item_by_rank)
        # mass_from[r] is the popularity mass of the items of ranks r and
        # beyond, summed from the least popular item up so that the tiny masses
        # of the tail stay exact.
        self.mass_from = np.cumsum(popularity_by_rank[::-1])[::-1]

    def draw_first_items(self, rng):
        """Draw each user's first item, in proportion to its pair weight."""
        first_items = np.empty(self.n_users, dtype=np.int64)
        pending = np.arange(self.n_users)
        for _ in range(_FIRST_ITEM_ROUNDS):
            items = self._draw_items(rng, len(pending), 0)
            kept = self._keep(rng, pending, items)
            first_items[pending[kept]] = items[kept]
            pending = pending[~kept]
            if not pending.size:
                return first_items
        # Users who dislike the popular items could need many more rounds:
        # draw their first item from its exact distribution (Gumbel-max).
        log_popularity = np.empty(self.n_items)
        log_popularity[self.item_by_rank] = np.log(self.popularity_by_rank)
        step = max(1, _BLOCK_CELLS // self.n_items)
        for start in range(0, len(pending), step):
            block = pending[start : start + step]
            affinity = self.user_factors[block] @ self.item_factors.T
            logits = log_popularity + log_expit(self.strength * affinity)
            logits += rng.gumbel(size=logits.shape)
            first_items[block] = logits.argmax(axis=1)
        return first_items

    def draw_more_pairs(self, rng, n_pairs, first_items):
        """Draw the ``n_pairs`` pairs that arrive first, apart from the first ones.

        Returns
        -------
        keys : ndarray of shape (n_pairs,)
            The pairs, as ``user * n_items + item``.
        arrival : ndarray of shape (n_pairs,)
            First arrival time of each pair.
        """
        n_items = self.n_items
        # Pairs as keys ``user * n_items + item``, with their first arrival
        # times: every pair of the enumerated items (most of which arrive
        # later), the pairs of the simulated items that arrived, and every key
        # simulated so far, sorted, for look-ups.
        enum_keys, enum_times = np.empty(0, dtype=np.int64), np.empty(0)
        sim_keys, sim_times = np.empty(0, dtype=np.int64), np.empty(0)
        seen = np.empty(0, dtype=np.int64)
        n_enumerated = 0
        now = 0.0
        n_arrived = 0
        # New pairs per unit of time: at first, about the mean keep probability
        # times the total rate of 1.
        arrival_rate = 0.5
        while n_arrived < n_pairs:
            duration = min(
                max(1.1 * (n_pairs - n_arrived), _MIN_ROUND) / arrival_rate,
                _MAX_ROUND / self.mass_from[n_enumerated],
            )
            # Items expected to be drawn more than once per user by the end of
            # the round are enumerated.
            draws_per_user = self.popularity_by_rank * (now + duration) / self.n_users
            n_target = int(np.count_nonzero(draws_per_user > 1))
            if n_target > n_enumerated:
                new_keys, new_times, moved = self._enumerate(
                    rng, n_enumerated, n_target, now, sim_keys, sim_times, first_items
                )
                enum_keys = np.concatenate([enum_keys, new_keys])
                enum_times = np.concatenate([enum_times, new_times])
                sim_keys, sim_times = sim_keys[~moved], sim_times[~moved]
                n_enumerated = n_target
            if n_enumerated == n_items:
                now = np.inf
                break

            keys, times = self._simulate(rng, n_enumerated, now, duration, first_items)
            fresh = np.ones(len(keys), dtype=bool)
            if seen.size:
                position = np.minimum(np.searchsorted(seen, keys), seen.size - 1)
                fresh = seen[position] != keys
            sim_keys = np.concatenate([sim_keys, keys[fresh]])
            sim_times = np.concatenate([sim_times, times[fresh]])
            seen = np.sort(np.concatenate([seen, keys[fresh]]))
            now += duration
            n_before = n_arrived
            n_arrived = len(sim_keys) + int(np.count_nonzero(enum_times <= now))
            arrival_rate = max((n_arrived - n_before) / duration, 1e-300)

        arrived = enum_times <= now
        keys = np.concatenate([enum_keys[arrived], sim_keys])
        times = np.concatenate([enum_times[arrived], sim_times])
        if len(keys) > n_pairs:
            first = np.argpartition(times, n_pairs - 1)[:n_pairs]
            keys, times = keys[first], times[first]
        return keys, times

    def _enumerate(self, rng, start, stop, now, sim_keys, sim_times, first_items):
        """Give every pair of the items of ranks ``start:stop`` its arrival time.

        Returns
        -------
        keys, times : ndarray
            The pairs of these items, first pairs excluded, and their first
            arrival times.
        moved : ndarray of shape (len(sim_keys),)
            Whether each simulated pair is one of them.
        """
        n_users, n_items = self.n_users, self.n_items
        items = self.item_by_rank[start:stop]
        width = stop - start
        users = np.repeat(np.arange(n_users), width)
        pair_items = np.tile(items, n_users)
        affinity = self.user_factors @ self.item_factors[items].T
        log_rate = (
            np.log(self.activity)[:, None]
            + np.log(self.popularity_by_rank[start:stop])
            + log_expit(self.strength * affinity)
        ).ravel()
        with np.errstate(over="ignore"):
            times = now + rng.standard_exponential(len(users)) * np.exp(-log_rate)

        rank = np.full(n_items, -1)
        rank[items] = np.arange(width)
        sim_items = sim_keys % n_items
        moved = rank[sim_items] >= 0
        moved_users = sim_keys[moved] // n_items
        times[moved_users * width + rank[sim_items[moved]]] = sim_times[moved]

        not_first = pair_items != first_items[users]
        keys = users[not_first] * n_items + pair_items[not_first]
        return keys, times[not_first], moved

    def _simulate(self, rng, start, now, duration, first_items):
        """Run the process of the items of ranks ``start:`` for ``duration``.

        Returns
        -------
        keys, times : ndarray
            The distinct pairs that arrived, first pairs excluded, sorted, and
            their first arrival times in the window.
        """
        n_candidates = rng.poisson(duration * self.mass_from[start])
        keys, times = [np.empty(0, dtype=np.int64)], [np.empty(0)]
        for chunk_start in range(0, n_candidates, _CHUNK):
            size = min(_CHUNK, n_candidates - chunk_start)
            users = self._draw_users(rng, size)
            items = self._draw_items(rng, size, start)
            kept = self._keep(rng, users, items)
            kept &= items != first_items[users]
            keys.append(users[kept] * self.n_items + items[kept])
            # Given their number, the arrival times within the window are
            # independent and uniform.
            times.append(now + duration * rng.random_sample(len(keys[-1])))
        keys, times = np.concatenate(keys), np.concatenate(times)
        if not keys.size:
            return keys, times

        # Keep the earliest arrival of each pair.
        order = np.argsort(keys)
        keys, times = keys[order], times[order]
        first = np.flatnonzero(np.diff(keys, prepend=-1))
        return keys[first], np.minimum.reduceat(times, first)

    def _draw_users(self, rng, size):
        """Draw users by activity, sorted, which speeds up gathering factors."""
        return np.repeat(np.arange(self.n_users), rng.multinomial(size, self.activity))

    def _draw_items(self, rng, size, start):
        """Draw items by popularity among the items of ranks ``start:``."""
        probabilities = self.popularity_by_rank[start:] / self.mass_from[start]
        counts = rng.multinomial(size, probabilities)
        ranks = np.repeat(np.arange(start, self.n_items), counts)
        # Shuffled, the draws are independent of the sorted users they meet.
        rng.shuffle(ranks)
        return self.item_by_rank[ranks]

    def _keep(self, rng, users, items):
        """Keep each pair with probability ``sigmoid(strength * affinity)``."""
        affinity = _pair_affinity(self.user_factors, self.item_factors, users, items)
        return rng.random_sample(len(users)) < expit(self.strength * affinity)


def _draw_factors(rng, n_rows, n_factors):
    """Gaussian factors whose row-wise dot products have unit variance."""
    factors = n_factors**-0.25 * rng.standard_normal((n_rows, n_factors))
    # float32 halves the memory traffic of the row-wise dot products.
    return factors.astype(np.float32)


def _pair_affinity(user_factors, item_factors, users, items):
    """Row-wise dot products ``user_factors[users] . item_factors[items]``."""
    affinity = np.empty(len(users))
    for start in range(0, len(users), _DOT_CHUNK):
        block = slice(start, start + _DOT_CHUNK)
        affinity[block] = np.einsum(
            "ij,ij->i", user_factors[users[block]], item_factors[items[block]]
        )
    return affinity


def _draw_timestamps(rng, users, n_users):
    """Unix times of interactions sorted by user, increasing along each user's.

    ``users`` must be sorted.
    """
    n_rows = len(users)
    duration = np.minimum(
        _SPAN,
        rng.lognormal(np.log(_MEDIAN_ACTIVE_SECONDS), _ACTIVE_SIGMA, size=n_users),
    )
    start = (_SPAN - duration) * rng.random_sample(n_users)
    # Adding a uniform fraction to the user id and sorting sorts the fractions
    # within each user while keeping the users grouped.
    fractions = np.sort(users + rng.random_sample(n_rows)) - users
    offsets = np.floor(start[users] + fractions * duration[users]).astype(np.int64)
    counts = np.bincount(users, minlength=n_users)
    position = np.arange(n_rows) - np.repeat(np.cumsum(counts) - counts, counts)
    # Adding the position within the user makes equal seconds increase.
    return _EPOCH + offsets + position


def _is_int(value):
    return isinstance(value, numbers.Integral) and not isinstance(value, _BOOLS)


def _check_count(value, name):
    if not _is_int(value):
        raise TypeError(f"{name} must be an int, got {value!r}.")
    if value < 1:
        raise ValueError(f"{name} must be an int >= 1, got {value!r}.")
    return int(value)


def _check_non_negative(value, name):
    if isinstance(value, _BOOLS) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be a real number, got {value!r}.")
    if not (np.isfinite(value) and value >= 0):
        raise ValueError(f"{name} must be a finite number >= 0, got {value!r}.")
    return float(value)


def _check_bool(value, name):
    if not isinstance(value, _BOOLS):
        raise TypeError(f"{name} must be a bool, got {value!r}.")
    return bool(value)


def _check_rating_range(rating_range):
    message = (
        "rating_range must be a pair of integers (low, high) with low < high, "
        f"got {rating_range!r}."
    )
    try:
        low, high = rating_range
    except (TypeError, ValueError):
        raise ValueError(message) from None
    if not (_is_int(low) and _is_int(high) and low < high):
        raise ValueError(message)
    return int(low), int(high)
