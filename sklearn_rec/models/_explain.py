"""Explanations of the factor models' scores by the user's training history.

Both explain the score of the user *folded in* from their training history
(``recommend_for_history``), which is a function of the history, rather than
the trained user's score, which is not: the user's vector at the end of
training depends on every update, and leaving out one of their items would
mean retraining.

- :func:`ridge_explanation`, matrix factorisation on ratings: the fold-in is a
  ridge regression, linear in the history's ratings, so the contributions are
  exact.
- :func:`attribution_explanation`, every other model: integrated gradients
  (Captum) over the weight of each history example in the fold-in
  objective, and over the item's side features.
"""

import numpy as np
import torch

from .._explain import Explanation
from ._fold_in import fold_in, fold_in_objective, negative_pool, ridge_fold_in

# Integration points of integrated gradients: the score of each point costs a
# fold-in. At this number matrix factorisation (bpr) on MovieLens-100K had
# completeness errors below 5e-4 for scores of about 3.6; 16 to 64 points
# changed little where the error comes from the fold-in itself (ReLU networks).
N_STEPS = 32


def _captum():
    try:
        from captum.attr import IntegratedGradients
    except ImportError as error:
        raise ImportError(
            "explain needs Captum for this model (integrated gradients): install the "
            'optional extra with pip install "sklearn-rec[explain]".'
        ) from error
    return IntegratedGradients


def feature_parts(table, code, encoder):
    """The id part of row ``code`` of an item table and its feature parts, with their names.

    Returns ``(base, parts, names)``: ``base`` of shape ``(dim,)`` (zero for an
    item known from its features alone), ``parts`` of shape ``(n_parts, dim)``,
    ``feature_scale`` included, so that ``base + parts.sum(0)`` is the row. A
    table without features has no parts; a missing categorical level, which
    contributes nothing, has none either.
    """
    with torch.no_grad():
        if encoder is None:
            weight = table.weight.detach()
            return weight[code], weight.new_zeros((0, weight.shape[1])), []
        known = code < table.n_ids
        base = table.ids.weight.detach()[min(code, table.n_ids - 1)] * known
        parts, names = [], []
        padding = table.levels.padding_idx
        for level in table.codes[code].tolist():
            if level != padding:
                parts.append(table.levels.weight.detach()[level])
                names.append(encoder.level_names[level])
        for j, column in enumerate(encoder.numeric):
            parts.append(table.values[code, j] * table.numeric.weight.detach()[:, j])
            names.append(column)
        if getattr(table, "bag", None) is not None:
            start, stop = table.bag_indptr[code].item(), table.bag_indptr[code + 1].item()
            for k in range(start, stop):
                column = table.bag_indices[k].item()
                parts.append(table.bag_data[k] * table.bag.weight.detach()[column])
                names.append(encoder.bag_names[column])
        if not parts:
            return base, base.new_zeros((0, len(base))), []
        return base, table.feature_scale * torch.stack(parts), names


def _item_parts(estimator, module, item_code):
    """``[(base, parts) per item table]`` and the feature names (shared by the tables)."""
    encoder = estimator._item_encoder
    split = [feature_parts(table, item_code, encoder) for table in module.item_tables()]
    return [(base, parts) for base, parts, _ in split], split[0][2]


def _item_score(module, state, item_code):
    """The model's own raw score of one item for a folded-in user."""
    with torch.no_grad():
        item = torch.tensor([item_code], device=state[0].device)
        return float(module.score_user(state, item)[0])


def ridge_explanation(estimator, item_code, history, ratings):
    """Exact contributions to the folded-in score of :class:`MatrixFactorization` on ratings.

    With ``a_h = [q_h, 1]``, ``M = (A^T A + (|H| + c) lambda I)^+`` (``c`` the
    estimator's ``fold_in_shrinkage``, ``lambda`` its ``weight_decay``) and the residual
    ratings ``t_h = r_h - mu - b_h``, the user's ``[p; b_u]`` is
    ``sum_h z_h``, ``z_h = M a_h t_h``, so the score ``mu + b_i + [q_i; 1] .
    [p; b_u]`` is ``mu + b_i`` (the ``"bias"`` row) plus ``z_h . [q_i; 1]``
    per history item. With item features, ``q_i`` and ``b_i`` are sums of
    an id part and feature parts ``(q_g, b_g)``: feature ``g`` gets ``b_g``
    and the product ``z_h . q_g`` is split evenly between ``h`` and ``g``
    (the Shapley value of a product, and what integrated gradients give).
    """
    module = estimator._unwrapped_module()
    estimator._set_training(False)
    penalty = estimator._fold_in_penalty(len(history))
    with torch.no_grad():
        codes = torch.as_tensor(history, device=estimator.device)
        mu, _, item_bias = module.rating_baseline()
        mu = float(mu)
        factors = module.item_factors(codes).double().cpu().numpy()
        residual = ratings - mu - item_bias[codes].double().cpu().numpy()
    design = np.hstack([factors, np.ones((len(history), 1))])
    gram = design.T @ design + penalty * np.eye(design.shape[1])
    per_item = (design @ np.linalg.pinv(gram, hermitian=True)) * residual[:, np.newaxis]
    solution = per_item.sum(axis=0)

    tables, names = _item_parts(estimator, module, item_code)
    (factor_base, factor_parts), (bias_base, bias_parts) = (
        (base.double().cpu().numpy(), parts.double().cpu().numpy()) for base, parts in tables
    )
    features = factor_parts.sum(axis=0)
    history_part = per_item @ np.append(factor_base, 1.0) + 0.5 * per_item[:, :-1] @ features
    feature_part = bias_parts[:, 0] + 0.5 * factor_parts @ solution[:-1]

    state = ridge_fold_in(module, history, ratings, penalty=penalty, device=estimator.device)
    return Explanation.exact(
        ["bias"] + ["history"] * len(history) + ["item_feature"] * len(names),
        ["mean rating and item bias", *history, *names],
        np.concatenate([[mu + float(bias_base[0])], history_part, feature_part]),
        _item_score(module, state, item_code),
    )


def attribution_explanation(estimator, item_code, history, ratings, n_steps=N_STEPS):
    """Integrated gradients of the folded-in score over history weights and item features.

    The input is a weight ``w_h`` in ``[0, 1]`` per history example, which
    multiplies its loss in the fold-in objective (the penalty stays that of
    the whole history), and a weight ``v_g`` per side feature of the item,
    which multiplies its part of the item's representation. At ``w = 1, v =
    1`` the score is the folded-in score; at ``w = 0, v = 0`` the penalty
    alone leaves a zero user, and the item has its id part alone: that score
    is the ``"bias"`` row. Captum integrates the gradients along the straight
    path between them. The fold-in solution ``s*(w)`` is found with L-BFGS;
    its gradient comes from one Newton step ``s* - H^-1 grad J(s*, w)`` with
    the Hessian ``H`` held fixed, whose value is ``s*`` and whose gradient in
    ``w`` is the implicit-function one, ``-H^-1 d(grad J)/dw``.
    """
    IntegratedGradients = _captum()
    module = estimator._unwrapped_module()
    estimator._set_training(False)
    device = estimator.device
    settings = {
        "negatives": negative_pool(
            history, estimator.n_items_, unseen=estimator.negative_sampling == "unseen"
        ),
        "n_negatives": estimator._n_negatives(),
        "n_items": estimator.n_items_,
        "penalty": estimator._fold_in_penalty(len(history)),
        "device": device,
    }
    objective = fold_in_objective(module, estimator._loss, history, ratings, **settings)
    tables, names = _item_parts(estimator, module, item_code)
    shapes = [tensor.shape for tensor in module.new_user()]
    sizes = [int(np.prod(shape)) for shape in shapes]

    def unflatten(flat):
        return [part.reshape(shape) for part, shape in zip(flat.split(sizes), shapes, strict=True)]

    warm = [None]

    def folded_in(weights):
        """The fold-in solution for ``weights``, differentiable in them."""
        solution = fold_in(
            module,
            estimator._loss,
            history,
            ratings,
            weights=weights.detach(),
            init=warm[0],
            **settings,
        )
        warm[0] = solution
        flat = torch.cat([tensor.reshape(-1) for tensor in solution]).requires_grad_(True)
        gradient = torch.autograd.grad(objective(unflatten(flat), weights), flat, create_graph=True)
        hessian = torch.autograd.functional.hessian(
            lambda x: objective(unflatten(x), weights.detach()), flat.detach()
        )
        return unflatten(flat.detach() - torch.linalg.pinv(hessian) @ gradient[0])

    def score(state, feature_weights):
        rows = [(base + feature_weights @ parts).unsqueeze(0) for base, parts in tables]
        return module.score_state_rows(state, rows)[0]

    def forward(weights, feature_weights):
        return torch.stack(
            [score(folded_in(w), v) for w, v in zip(weights, feature_weights, strict=True)]
        )

    ones = torch.ones((1, len(history)), device=device)
    feature_ones = torch.ones((1, len(names)), device=device)
    frozen = [param for param in module.parameters() if param.requires_grad]
    for param in frozen:
        param.requires_grad_(False)
    try:
        if names:
            inputs, function = (ones, feature_ones), forward
        else:
            inputs, function = (ones,), lambda w: forward(w, feature_ones.expand(len(w), -1))
        attributions = IntegratedGradients(function).attribute(
            inputs,
            baselines=tuple(torch.zeros_like(x) for x in inputs),
            n_steps=n_steps,
            method="gausslegendre",
        )
        with torch.no_grad():
            zero_user = [torch.zeros(shape, device=device) for shape in shapes]
            baseline = float(score(zero_user, torch.zeros(len(names), device=device)))
        # The score of recommend_for_history: the fold-in of the whole history.
        state = fold_in(module, estimator._loss, history, ratings, **settings)
        explained = _item_score(module, state, item_code)
    finally:
        for param in frozen:
            param.requires_grad_(True)
    contributions = np.concatenate(
        [[baseline], *(a.detach().double().cpu().numpy().ravel() for a in attributions)]
    )
    return Explanation(
        ["bias"] + ["history"] * len(history) + ["item_feature"] * len(names),
        ["user without history", *history, *names],
        contributions,
        explained,
        "integrated_gradients",
        abs(float(contributions.sum()) - explained),
    )
