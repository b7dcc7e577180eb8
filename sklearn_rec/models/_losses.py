"""Training losses: one object per loss, holding everything that depends on it.

A :class:`Loss` says what the estimators need to know of a loss: its
criterion (an ``nn.Module`` over the module's raw scores), whether it trains
against sampled negatives and what target a batch then carries, how raw
scores map to ``predict``'s scale, the fold-in objective of one new user, and
whether it predicts ratings (which decides the unknown-id fallback and whether
``y`` is required). Nothing outside this module tests the name of a loss.

To add a loss: write its criterion, subclass :class:`Loss`, and register an
instance in ``LOSSES``.
"""

import torch
import torch.nn.functional as F
from torch import nn


class MSELoss(nn.Module):
    """Squared error between predicted and observed ratings."""

    def forward(self, scores, target):
        return F.mse_loss(scores, target)


class SampledBCELoss(nn.Module):
    """Binary cross-entropy over a positive and its sampled negatives (NCF).

    ``scores`` and ``target`` have shape ``(B, 1 + n_negatives)``: column 0 is
    the observed row with its label, the other columns sampled items with
    label 0. Negatives count for positive rows only: the ones sampled beside a
    row labelled 0 get weight 0, so that there are ``n_negatives`` per
    positive. With ``n_negatives=0`` (labels given in ``y``) they have shape
    ``(B,)``: plain binary cross-entropy.
    """

    def forward(self, scores, target):
        losses = F.binary_cross_entropy_with_logits(scores, target, reduction="none")
        if scores.dim() == 1 or scores.shape[1] == 1:
            return losses.mean()
        weights = target[:, :1].expand_as(target).clone()
        weights[:, 0] = 1.0
        return (losses * weights).sum() / weights.sum()


class BPRLoss(nn.Module):
    """Bayesian personalised ranking: ``-log sigmoid(s_pos - s_neg)``.

    ``scores`` has shape ``(B, 1 + n_negatives)``; ``target`` holds 1 for the
    rows that are positives (all rows for implicit feedback).
    """

    def forward(self, scores, target):
        losses = -F.logsigmoid(scores[:, :1] - scores[:, 1:]).mean(dim=1)
        return (losses * target).sum() / target.sum().clamp(min=1.0)


class SoftmaxLoss(nn.Module):
    """Cross-entropy of each observed item against competing items.

    ``scores`` has shape ``(B, C)``: a row of scores over the whole catalogue
    (``"softmax"``) or over the observed item and its sampled negatives
    (``"sampled_softmax"``). ``positive`` holds the column of the observed
    item in each row and ``weight`` its label: rows labelled 0 weigh 0.
    """

    def forward(self, scores, positive, weight):
        losses = F.cross_entropy(scores, positive, reduction="none")
        return (losses * weight).sum() / weight.sum().clamp(min=1.0)


def positive_column(n_rows, device):
    """Column 0 of every row: where the iterator puts the observed item."""
    return torch.zeros(n_rows, dtype=torch.long, device=device)


class Loss:
    """What the estimators need to know of one training loss.

    Attributes
    ----------
    name : str
        The value of the estimators' ``loss`` parameter.
    criterion : type
        The ``nn.Module`` class computing the loss from raw scores.
    ratings : bool
        ``y`` holds ratings (required); ``predict`` returns ratings and the
        unknown-id fallback is the estimator's rating baseline. Otherwise
        ``y`` holds optional 0/1 labels and the fallback is popularity.
    samples_negatives : bool
        Each positive is trained against items sampled per batch.
    paired : bool
        Each positive is compared with its own negatives: at least one is
        needed, and the batch target holds one label per row (and, for the
        sampled softmax, each row's sampling correction).
    full_catalogue : bool
        Every item takes part in every example (its gradients are dense).
    default_weight_decay : float
        The L2 penalty :class:`MatrixFactorization` uses with this loss when
        ``weight_decay=None``.
    """

    name: str
    criterion: type[torch.nn.Module]
    ratings = False
    samples_negatives = False
    paired = False
    full_catalogue = False
    default_weight_decay = 0.01

    def link(self, scores):
        """Raw module scores on the scale of ``predict``."""
        return scores

    def batch_target(self, y, negatives_shape, user, sampler):
        """The target of a batch with sampled negatives: column 0 the labels, then zeros.

        ``sampler`` is the :class:`~sklearn_rec.models._data.NegativeSampler`
        that drew the negatives.
        """
        positive = torch.ones(len(user), device=user.device) if y is None else y
        if self.paired:
            return positive
        return torch.cat(
            [positive.unsqueeze(1), user.new_zeros(negatives_shape, dtype=torch.float32)], dim=1
        )

    def value(self, criterion, y_pred, y_true, batch, catalogue_scores):
        """The loss of one batch.

        ``batch`` is the batch's ``{"user", "item"}``; ``catalogue_scores(users)``
        returns the raw scores of those users over the trained catalogue.
        """
        if y_true is None:
            y_true = torch.ones_like(y_pred)
        return criterion(y_pred, y_true)

    def fold_in(self, scores, history, target, negatives, n_negatives, n_items):
        """The training loss of one user's examples, sampled negatives in expectation.

        ``scores`` are the user's raw scores over the catalogue, ``history``
        the items of the user's examples (one per example), ``target`` their
        ratings (or ``None``). A sampled negative is a uniform draw from
        ``negatives``, so each term over ``n_negatives`` draws is replaced by
        its mean over that pool: the objective is deterministic. ``n_items``
        is the number of trained items (the full softmax's competitors).
        """
        return self.fold_in_terms(scores, history, target, negatives, n_negatives, n_items).sum()

    def fold_in_terms(self, scores, history, target, negatives, n_negatives, n_items):
        """The terms of :meth:`fold_in`, one per example (shape ``(len(history),)``)."""
        raise NotImplementedError


class SquaredError(Loss):
    name = "mse"
    criterion = MSELoss
    ratings = True
    default_weight_decay = 0.1

    def value(self, criterion, y_pred, y_true, batch, catalogue_scores):
        return criterion(y_pred, y_true)

    def fold_in_terms(self, scores, history, target, negatives, n_negatives, n_items):
        return (target - scores[history]).pow(2)


class BinaryCrossEntropy(Loss):
    name = "bce"
    criterion = SampledBCELoss
    samples_negatives = True

    def link(self, scores):
        return torch.sigmoid(scores)

    def fold_in_terms(self, scores, history, target, negatives, n_negatives, n_items):
        # SampledBCELoss averages each row over its 1 + n_negatives columns.
        pool = scores[negatives]
        positive = scores[history]
        expected = F.softplus(-positive) + n_negatives * F.softplus(pool).mean()
        return expected / (1 + n_negatives)


class BayesianPersonalisedRanking(Loss):
    name = "bpr"
    criterion = BPRLoss
    samples_negatives = True
    paired = True

    def fold_in_terms(self, scores, history, target, negatives, n_negatives, n_items):
        pool = scores[negatives]
        return -F.logsigmoid(scores[history].unsqueeze(1) - pool.unsqueeze(0)).mean(1)


class Softmax(Loss):
    name = "softmax"
    criterion = SoftmaxLoss
    full_catalogue = True
    default_weight_decay = 0.1

    def value(self, criterion, y_pred, y_true, batch, catalogue_scores):
        if y_true is None:
            y_true = torch.ones_like(y_pred)
        # The whole catalogue competes: in training for "softmax", and in
        # validation for both, where no negatives are drawn.
        return criterion(catalogue_scores(batch["user"]), batch["item"].long(), y_true)

    def fold_in_terms(self, scores, history, target, negatives, n_negatives, n_items):
        return torch.logsumexp(scores[:n_items], 0) - scores[history]


class SampledSoftmax(Softmax):
    """The softmax over the observed item and its sampled negatives, corrected for sampling.

    Each negative's score is lowered by ``log(K / P)``, the log of how often
    a row's ``K`` uniform draws hit each of the ``P`` items they come from
    (the logQ correction of Jean et al., ACL 2015, and Bengio and Senecal):
    the sum over the draws inside the logarithm is then an unbiased estimate
    of the sum over the whole pool, whatever ``K`` and the size of the
    catalogue, and the loss approaches the softmax over the positive and the
    pool as ``K`` grows.
    """

    name = "sampled_softmax"
    samples_negatives = True
    paired = True
    full_catalogue = False
    default_weight_decay = 0.01

    def batch_target(self, y, negatives_shape, user, sampler):
        """Column 0 the labels, column 1 each row's ``log(K / P)``."""
        positive = super().batch_target(y, negatives_shape, user, sampler)
        return torch.stack([positive, sampler.log_rates(user)], dim=1)

    def value(self, criterion, y_pred, y_true, batch, catalogue_scores):
        if y_pred.dim() == 1:  # validation: the full softmax
            return super().value(criterion, y_pred, y_true, batch, catalogue_scores)
        weight, log_rate = y_true[:, 0], y_true[:, 1:]
        scores = torch.cat([y_pred[:, :1], y_pred[:, 1:] - log_rate], dim=1)
        return criterion(scores, positive_column(len(scores), scores.device), weight)

    def fold_in_terms(self, scores, history, target, negatives, n_negatives, n_items):
        # The corrected draws estimate the sum over the pool: the softmax over
        # the positive and every item of the pool.
        positive = scores[history]
        return torch.logaddexp(positive, torch.logsumexp(scores[negatives], 0)) - positive


LOSSES = {
    loss.name: loss
    for loss in (
        SquaredError(),
        BinaryCrossEntropy(),
        BayesianPersonalisedRanking(),
        Softmax(),
        SampledSoftmax(),
    )
}
