"""Fold-in: a new user's representation fitted to their history, the model frozen.

The objective is the training loss of that one user (``Loss.fold_in``) plus
an L2 penalty on the user, ``penalty`` times its squared norm: the
estimators pass ``weight_decay * (|H| + fold_in_shrinkage)``, the training
penalty of the history's examples plus that of ``fold_in_shrinkage`` more;
their Notes state it per loss. Matrix factorisation on ratings has a closed
form (``ridge_fold_in``); the rest is minimised with L-BFGS (``fold_in``).
"""

import numpy as np
import torch

# L-BFGS iterations to fit a folded-in user: the objective has a few dozen
# variables, and it converges well before this on MovieLens.
MAX_ITER = 100


def negative_pool(history_codes, n_items, unseen):
    """The items sampled negatives come from in training, for this history.

    With ``unseen`` the history's items are left out. Items known from
    their features alone (codes from ``n_items`` on) are never negatives.
    """
    pool = np.ones(n_items, dtype=bool)
    if unseen:
        pool[history_codes[history_codes < n_items]] = False
    if not pool.any():  # a history of the whole catalogue: training would draw seen items
        pool[:] = True
    return np.flatnonzero(pool)


def fold_in_objective(
    module, loss, history_codes, ratings, *, negatives, n_negatives, n_items, penalty, device
):
    """The fold-in objective of a history as a function of the user's state and example weights.

    Returns ``objective(state, weights)``: ``sum_h weights_h * loss_h`` plus
    ``penalty`` times the user's squared norm, the penalty of the whole
    history whatever the weights (``weights=None``: all 1, the objective of
    :func:`fold_in`).
    """
    history = torch.as_tensor(history_codes, device=device)
    target = None if ratings is None else torch.as_tensor(ratings, dtype=torch.float32)
    if target is not None:
        target = target.to(device)
    negatives = torch.as_tensor(negatives, device=device)

    def objective(state, weights=None):
        scores = module.score_user(state)
        if weights is None:
            value = loss.fold_in(scores, history, target, negatives, n_negatives, n_items)
        else:
            terms = loss.fold_in_terms(scores, history, target, negatives, n_negatives, n_items)
            value = (weights * terms).sum()
        return value + penalty * module.user_penalty(state)

    return objective


def fold_in(
    module,
    loss,
    history_codes,
    ratings,
    *,
    negatives,
    n_negatives,
    n_items,
    penalty,
    device,
    weights=None,
    init=None,
):
    """Fit a new user's state to their history with ``module`` frozen.

    Minimises ``loss.fold_in`` plus ``penalty`` times the user's squared
    norm, with L-BFGS, from the average trained user (or
    from the state ``init``). ``negatives`` are the codes of the items
    negatives are drawn from, and ``n_items`` the number of trained items.
    ``weights`` weigh the examples' losses (see :func:`fold_in_objective`).
    Returns the user's state (a list of tensors, as ``module.new_user``).
    """
    objective = fold_in_objective(
        module,
        loss,
        history_codes,
        ratings,
        negatives=negatives,
        n_negatives=n_negatives,
        n_items=n_items,
        penalty=penalty,
        device=device,
    )
    state = (
        module.new_user()
        if init is None
        else [tensor.detach().clone().requires_grad_(True) for tensor in init]
    )
    optimizer = torch.optim.LBFGS(state, max_iter=MAX_ITER, line_search_fn="strong_wolfe")

    def closure():
        optimizer.zero_grad()
        value = objective(state, weights)
        value.backward()
        return value

    frozen = [param for param in module.parameters() if param.requires_grad]
    for param in frozen:
        param.requires_grad_(False)
    try:
        optimizer.step(closure)
    finally:
        for param in frozen:
            param.requires_grad_(True)
    return [tensor.detach() for tensor in state]


@torch.no_grad()
def ridge_fold_in(module, history_codes, ratings, *, penalty, device):
    """Matrix factorisation on ratings: the user's factors and bias in closed form.

    The ridge regression of :class:`MatrixFactorization`'s Notes, in float64
    (the normal equations square the condition number).
    """
    history = torch.as_tensor(history_codes, device=device)
    mu, _, item_bias = module.rating_baseline()
    design = torch.cat(
        [module.item_factors(history), torch.ones(len(history), 1, device=device)], dim=1
    ).double()
    target = torch.as_tensor(ratings, device=device) - (mu + item_bias[history])
    gram = design.T @ design + penalty * torch.eye(design.shape[1], device=device)
    solution = torch.linalg.pinv(gram, hermitian=True) @ (design.T @ target.double())
    solution = solution.to(module.item_factors.weight.dtype)
    return [solution[:-1], solution[-1:]]


@torch.no_grad()
def top_items_for_state(module, state, history_codes, k, *, candidates, exclude_seen, link, device):
    """The ``k`` best items (codes) for a folded-in user and their scores."""
    scores = module.score_user(state)
    if exclude_seen:
        scores[torch.as_tensor(history_codes, device=device)] = -torch.inf
    if candidates is not None:
        scores = scores[torch.as_tensor(candidates, device=device)]
    best, index = torch.topk(scores, k)
    values = link(best).masked_fill(torch.isneginf(best), -torch.inf)
    index = index.cpu().numpy()
    return (index if candidates is None else candidates[index]), values.cpu().numpy()
