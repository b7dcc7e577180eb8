"""Training losses. Each takes the module's raw scores and the batch target."""

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


LOSSES = {
    "mse": MSELoss,
    "bce": SampledBCELoss,
    "bpr": BPRLoss,
    "softmax": SoftmaxLoss,
    "sampled_softmax": SoftmaxLoss,
}
# Losses trained against items the user did not interact with.
SAMPLED_LOSSES = ("bce", "bpr", "sampled_softmax")
# Sampled losses that compare each positive with its negatives: they need at
# least one negative, and their target is one label per row.
PAIRED_LOSSES = ("bpr", "sampled_softmax")
SOFTMAX_LOSSES = ("softmax", "sampled_softmax")


def positive_column(n_rows, device):
    """Column 0 of every row: where the iterator puts the observed item."""
    return torch.zeros(n_rows, dtype=torch.long, device=device)
