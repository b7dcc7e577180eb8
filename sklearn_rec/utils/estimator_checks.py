"""Behaviour every recommender must show, beyond scikit-learn's checks.

The checks train the estimator on a *checkerboard*: user ``u`` likes the
items of ``u``'s parity, and the pair ``(u, u)`` is withheld, so a model
that learns the structure ranks item ``u`` first among user ``u``'s unseen
items. They also check batch queries against single ones, exclusions, long
lists, unknown ids under both policies, pickling, reproducibility and the
fold-in of a new user from a known user's history.

Use :func:`parametrize_with_recommender_checks` in a pytest suite, or
:func:`check_recommender` to run them all at once. An estimator must be able
to learn the checkerboard (enough epochs for a 20 x 20 catalogue); ratings
are used for ``loss="mse"``, implicit feedback otherwise.
"""

import pickle
import weakref
from collections.abc import Callable, Iterable
from functools import partial
from typing import Any

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, clone

from .._typing import Array

__all__ = [
    "check_recommender",
    "checkerboard",
    "parametrize_with_recommender_checks",
]

N = 20
_FITTED: weakref.WeakKeyDictionary[Any, Any] = weakref.WeakKeyDictionary()


def checkerboard(n: int = N, *, ratings: bool = False) -> tuple[pd.DataFrame, Array | None]:
    """User ``u`` likes the items of ``u``'s parity; the pair ``(u, u)`` is withheld.

    Parameters
    ----------
    n : int, default=20
        Number of users and of items.
    ratings : bool, default=False
        Without ratings, ``X`` holds the liked pairs and ``y`` is ``None``.
        With ratings, liked pairs are rated 5 and half of the other pairs 1,
        so that user ``u``'s unrated items are item ``u`` and items it would
        dislike.

    Returns
    -------
    X : DataFrame with columns ``user`` and ``item``
    y : ndarray of shape (n_samples,) or None

    Examples
    --------
    >>> from sklearn_rec.utils.estimator_checks import checkerboard
    >>> X, y = checkerboard(4)
    >>> X.values.tolist()
    [[0, 2], [1, 3], [2, 0], [3, 1]]
    """
    users, items = (ids.ravel() for ids in np.meshgrid(np.arange(n), np.arange(n), indexing="ij"))
    liked = (users % 2 == items % 2) & (users != items)
    if not ratings:
        return pd.DataFrame({"user": users[liked], "item": items[liked]}), None
    disliked = (users % 2 != items % 2) & ((users + items) % 4 == 1)
    keep = liked | disliked
    X = pd.DataFrame({"user": users[keep], "item": items[keep]})
    return X, np.where(liked[keep], 5.0, 1.0)


def _data(estimator):
    return checkerboard(ratings=estimator.get_params().get("loss") == "mse")


def _fitted(estimator):
    """The estimator fitted on the checkerboard, once per estimator object."""
    if estimator not in _FITTED:
        X, y = _data(estimator)
        _FITTED[estimator] = clone(estimator).fit(X, y), X, y
    return _FITTED[estimator]


def check_checkerboard_top1(name, estimator):
    """User ``u``'s top recommendation is the withheld item ``u``."""
    model, _, _ = _fitted(estimator)
    items, scores = model.recommend(np.arange(N), n=1)
    wrong = np.flatnonzero(items[:, 0] != np.arange(N))
    assert not len(wrong), f"{name}: top-1 of users {wrong.tolist()} is not their own item"
    assert np.isfinite(scores).all()


def check_recommend_shapes_and_order(name, estimator):
    """Lists are 2-D, best first, for a list of users and for a scalar."""
    model, _, _ = _fitted(estimator)
    items, scores = model.recommend([3, 4], n=5)
    assert items.shape == scores.shape == (2, 5), f"{name}: shape {items.shape}"
    assert (np.diff(scores, axis=1) <= 0).all(), f"{name}: scores not in decreasing order"
    assert model.recommend(3, n=5)[0].shape == (1, 5), f"{name}: a scalar user is not 2-D"


def check_recommend_scores_match_predict(name, estimator):
    """``recommend`` scores are ``predict`` scores of the same pairs."""
    model, _, _ = _fitted(estimator)
    items, scores = model.recommend([5], n=4)
    pairs = pd.DataFrame({"user": [5] * 4, "item": items[0]})
    np.testing.assert_allclose(model.predict(pairs), scores[0], rtol=1e-5, atol=1e-6, err_msg=name)


def check_batch_equals_single_user(name, estimator):
    """Recommending to many users at once equals one user at a time."""
    model, _, _ = _fitted(estimator)
    batch_items, batch_scores = model.recommend(np.arange(N), n=6)
    # float32 sums of another order: a few units in the last place of the largest score.
    atol = 1e-6 * np.abs(batch_scores[np.isfinite(batch_scores)]).max()
    for user in range(N):
        items, scores = model.recommend([user], n=6)
        np.testing.assert_array_equal(items[0], batch_items[user], err_msg=name)
        np.testing.assert_allclose(
            scores[0], batch_scores[user], rtol=1e-5, atol=atol, err_msg=name
        )


def check_exclude_seen(name, estimator):
    """Seen items are left out by default and come back with ``exclude_seen=False``."""
    model, X, _ = _fitted(estimator)
    seen = set(X.loc[X.user == 2, "item"])
    items, scores = model.recommend([2], n=N)
    recommended = set(items[0][np.isfinite(scores[0])])
    assert not seen & recommended, f"{name}: recommended seen items {seen & recommended}"
    items, scores = model.recommend([2], n=N, exclude_seen=False)
    assert np.isfinite(scores).all() and seen <= set(items[0]), name


def check_n_above_catalogue_size(name, estimator):
    """``n`` above the catalogue gives the whole catalogue, padded with ``-inf``."""
    model, X, _ = _fitted(estimator)
    items, scores = model.recommend([0, 1], n=1000)
    assert items.shape == (2, N), f"{name}: shape {items.shape}"
    n_seen = X.groupby("user").size().loc[[0, 1]].to_numpy()
    np.testing.assert_array_equal(np.isfinite(scores).sum(axis=1), N - n_seen, err_msg=name)
    for row, finite in zip(items, np.isfinite(scores), strict=True):
        assert len(set(row[finite])) == finite.sum(), f"{name}: repeated items"


def check_candidates_and_exclusions(name, estimator):
    """``items`` restricts the candidates and ``exclude_items`` removes some."""
    model, _, _ = _fitted(estimator)
    items, _ = model.recommend([0], n=3, exclude_seen=False, items=[1, 3, 5, 7])
    assert set(items[0]) <= {1, 3, 5, 7}, name
    items, _ = model.recommend([0], n=N, exclude_seen=False, exclude_items=[0, 2, 99])
    assert items.shape == (1, N - 2) and not {0, 2} & set(items[0]), name
    items, _ = model.recommend([0], n=5, items=[0, 1, 2], exclude_items=[1])
    assert set(items[0]) == {0, 2}, name
    _assert_raises_naming(lambda: model.recommend([0], items=[1, 99]), "[99]", name)


def check_similar_items(name, estimator):
    """``similar_items`` leaves the item out and returns cosine similarities."""
    model, _, _ = _fitted(estimator)
    items, scores = model.similar_items([4, 5], n=3)
    assert items.shape == scores.shape == (2, 3), name
    assert 4 not in items[0] and 5 not in items[1], f"{name}: an item is similar to itself"
    assert (np.abs(scores) <= 1 + 1e-5).all(), name
    assert model.similar_items([4], n=1000)[0].shape == (1, N - 1), name


def check_unknown_ids_error(name, estimator):
    """With ``handle_unknown="error"`` unknown ids raise an error that names them."""
    model, _, _ = _fitted(estimator)
    model = clone(model).set_params(handle_unknown="error").fit(*_data(estimator))
    _assert_raises_naming(lambda: model.recommend([1, 99, 77]), "[77, 99]", name)
    pairs = pd.DataFrame({"user": [1, 2], "item": [55, 3]})
    _assert_raises_naming(lambda: model.predict(pairs), "[55]", name)


def check_unknown_ids_fallback(name, estimator):
    """With ``handle_unknown="fallback"`` unknown users get the most popular items."""
    X, y = _data(estimator)
    model = clone(estimator).set_params(handle_unknown="fallback").fit(X, y)
    items, _ = model.recommend([0, 99], n=3)
    counts = X["item"].value_counts()
    assert set(items[1]) <= set(counts.index[counts >= counts.sort_values().iloc[-3]]), name
    np.testing.assert_array_equal(items[0], model.recommend([0], n=3)[0][0], err_msg=name)
    predictions = model.predict(pd.DataFrame({"user": [0, 99], "item": [55, 0]}))
    assert np.isfinite(predictions).all(), name


def check_pickle_round_trip(name, estimator):
    """A pickled and restored model gives identical scores and lists."""
    model, X, _ = _fitted(estimator)
    restored = pickle.loads(pickle.dumps(model))
    np.testing.assert_array_equal(restored.predict(X), model.predict(X), err_msg=name)
    for a, b in zip(restored.recommend([1, 2]), model.recommend([1, 2]), strict=True):
        np.testing.assert_array_equal(a, b, err_msg=name)


def check_random_state(name, estimator):
    """The same ``random_state`` gives identical models; another one does not.

    An estimator without ``random_state`` must give identical models on
    every fit.
    """
    X, y = _data(estimator)
    if "random_state" not in estimator.get_params():
        a, b = clone(estimator).fit(X, y), clone(estimator).fit(X, y)
        np.testing.assert_array_equal(a.predict(X), b.predict(X), err_msg=name)
        np.testing.assert_array_equal(a.recommend(np.arange(N))[0], b.recommend(np.arange(N))[0])
        return
    a = clone(estimator).set_params(random_state=0).fit(X, y)
    b = clone(estimator).set_params(random_state=0).fit(X, y)
    c = clone(estimator).set_params(random_state=1).fit(X, y)
    np.testing.assert_array_equal(a.predict(X), b.predict(X), err_msg=name)
    np.testing.assert_array_equal(a.recommend(np.arange(N))[0], b.recommend(np.arange(N))[0])
    assert not np.array_equal(a.predict(X), c.predict(X)), f"{name}: random_state is ignored"


def check_loss_decreases(name, estimator):
    """The training loss at the last epoch is well above its floor by less than half.

    The floor is 0, except for a full softmax: a user's positives compete with
    each other, so the loss cannot fall below the mean over rows of
    ``log(number of positives of the row's user)``.
    """
    model, X, _ = _fitted(estimator)
    losses = model.history_[:, "train_loss"]
    floor = 0.0
    if model.get_params().get("loss") == "softmax":
        floor = np.log(X.groupby(X.columns[0])[X.columns[1]].transform("size")).mean()
    first, last = losses[0] - floor, losses[-1] - floor
    assert last < 0.5 * first, (
        f"{name}: training loss went {losses[0]} -> {losses[-1]} (floor {floor:.3f})"
    )


def check_fold_in_known_user(name, estimator):
    """A new user with a known user's history gets that user's own item on top.

    ``recommend_for_history`` folds the history in without refitting; on the
    checkerboard, user ``u``'s history calls for item ``u``. The folded-in
    user is fitted to convergence while the trained user stopped with
    training, so near ties may swap: item ``u`` must be first for at least
    90% of the users and in the top 2 for all of them.
    """
    model, X, y = _fitted(estimator)
    not_first, missed = [], []
    for user in range(N):
        rows = (X["user"] == user).to_numpy()
        ratings = None if y is None else y[rows]
        items, scores = model.recommend_for_history(X["item"][rows], n=3, ratings=ratings)
        assert items.shape == (1, 3) and np.isfinite(scores).all(), name
        assert not set(items[0]) & set(X["item"][rows]), f"{name}: recommended history items"
        if items[0, 0] != user:
            not_first.append(user)
        if user not in items[0, :2]:
            missed.append(user)
    assert not missed, f"{name}: the folded-in histories of users {missed} miss their own item"
    assert len(not_first) <= N // 10, f"{name}: users {not_first} do not get their item first"


def _assert_raises_naming(call, ids, name):
    try:
        call()
    except ValueError as error:
        assert ids in str(error), f"{name}: the error does not name {ids}: {error}"
    else:
        raise AssertionError(f"{name}: unknown ids {ids} did not raise")


_CHECKS = [
    check_checkerboard_top1,
    check_recommend_shapes_and_order,
    check_recommend_scores_match_predict,
    check_batch_equals_single_user,
    check_exclude_seen,
    check_n_above_catalogue_size,
    check_candidates_and_exclusions,
    check_similar_items,
    check_unknown_ids_error,
    check_unknown_ids_fallback,
    check_pickle_round_trip,
    check_random_state,
    check_loss_decreases,
    check_fold_in_known_user,
]


def _yield_checks(estimator):
    name = type(estimator).__name__
    # A model fitted in closed form has no training loss to fall.
    iterative = "max_epochs" in estimator.get_params()
    for check in _CHECKS:
        if check is not check_loss_decreases or iterative:
            yield estimator, partial(check, name)


def check_recommender(
    estimator: BaseEstimator, *, expected_failed_checks: dict[str, str] | None = None
) -> None:
    """Run every recommender check on ``estimator``; raise at the first failure.

    Parameters
    ----------
    estimator : recommender
        An unfitted estimator with ``fit``, ``predict``, ``recommend``,
        ``similar_items`` and ``handle_unknown``. With ``max_epochs``, the
        training loss must fall; with ``random_state``, it must decide the
        model.
    expected_failed_checks : dict, default=None
        Check names mapped to the reason each is expected to fail (a
        popularity model cannot learn the checkerboard, for example): those
        are skipped.
    """
    expected = expected_failed_checks or {}
    for estimator_, check in _yield_checks(estimator):
        if check.func.__name__ not in expected:
            check(estimator_)


def parametrize_with_recommender_checks(
    estimators: Iterable[BaseEstimator],
    *,
    expected_failed_checks: Callable[[BaseEstimator], dict[str, str]] | None = None,
) -> Any:
    """A ``pytest.mark.parametrize`` decorator running every check on every estimator.

    The decorated test takes ``estimator`` and ``check`` and calls
    ``check(estimator)``. An estimator is fitted on the checkerboard once and
    shared by the checks that only query it. ``expected_failed_checks`` is a
    callable that takes an estimator and returns the names of the checks
    expected to fail mapped to a reason, as in scikit-learn's
    ``parametrize_with_checks``: they are marked as strict expected
    failures (a check that passes then fails the test run).

    Examples
    --------
    >>> from sklearn_rec import MatrixFactorization
    >>> from sklearn_rec.utils.estimator_checks import parametrize_with_recommender_checks
    >>> @parametrize_with_recommender_checks([MatrixFactorization(max_epochs=100)])
    ... def test_recommender(estimator, check):
    ...     check(estimator)
    """
    import pytest

    def param(estimator, check):
        expected = {} if expected_failed_checks is None else expected_failed_checks(estimator)
        reason = expected.get(check.func.__name__)
        marks = [] if reason is None else [pytest.mark.xfail(reason=reason, strict=True)]
        return pytest.param(
            estimator, check, id=f"{estimator!r}-{check.func.__name__}", marks=marks
        )

    params = [
        param(estimator, check)
        for estimator in estimators
        for estimator, check in _yield_checks(estimator)
    ]
    return pytest.mark.parametrize(("estimator", "check"), params)
