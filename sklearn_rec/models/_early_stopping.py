"""Early stopping on a per-user holdout of the training interactions.

``fit`` carves a validation part out of ``X`` with the same per-user holdout
as :class:`~sklearn_rec.model_selection.UserHoldoutSplit` (every validation
user and item stays in the training part), trains on the rest, and after
every epoch scores the model on the validation part: NDCG@10 over the whole
catalogue (the training part's items left out) for the ranking losses, minus
the RMSE for ratings. Training stops once the score has not improved by more
than ``tol`` for ``n_iter_no_change`` epochs, and the weights of the best
epoch are restored.
"""

import numpy as np
import pandas as pd
from sklearn.metrics import root_mean_squared_error

from ..metrics import ndcg_at_k
from ..model_selection import UserHoldoutSplit

# Above this many training rows, early_stopping="auto" holds out a validation part.
AUTO_MIN_ROWS = 2_000
# Users scored per epoch at most: the score of a random sample of this many
# validation users moves little, and scoring every user of a large data
# set each epoch would cost as much as training.
MAX_VALIDATION_USERS = 2_000
_K = 10


def holdout(user_codes, item_codes, fraction, random_state):
    """Boolean mask of the validation rows: ``fraction`` of each user's rows, kept warm."""
    codes = pd.DataFrame({"user": user_codes, "item": item_codes})
    _, validation = next(UserHoldoutSplit(fraction, random_state=random_state).split(codes))
    mask = np.zeros(len(user_codes), dtype=bool)
    mask[validation] = True
    return mask


class ValidationMonitor:
    """Scores a net on its validation rows after each epoch and keeps the best weights.

    Parameters
    ----------
    user_codes, item_codes : ndarray of shape (n_validation,)
        The validation rows.
    y : ndarray of shape (n_validation,) or None
        Their ratings (``ratings=True``) or 0/1 labels (rows labelled 0 are
        not relevant), or ``None``: every row is relevant.
    ratings : bool
        Score by RMSE of ``predict`` instead of NDCG@10 of ``recommend``.
    n_iter_no_change : int
        Epochs without an improvement of more than ``tol`` before stopping.
    tol : float
        The improvement that counts.
    random_state : RandomState
        Draws the users scored when there are more than ``MAX_VALIDATION_USERS``.
    """

    def __init__(self, user_codes, item_codes, y, *, ratings, n_iter_no_change, tol, random_state):
        self.ratings = ratings
        self.n_iter_no_change = n_iter_no_change
        self.tol = tol
        if ratings:
            self.user_codes, self.item_codes, self.y = user_codes, item_codes, y
        else:
            relevant = np.ones(len(user_codes), dtype=bool) if y is None else y > 0
            truth = pd.Series(item_codes[relevant]).groupby(user_codes[relevant]).agg(list)
            if len(truth) > MAX_VALIDATION_USERS:
                keep = random_state.choice(len(truth), MAX_VALIDATION_USERS, replace=False)
                truth = truth.iloc[np.sort(keep)]
            self.users = truth.index.to_numpy().copy()
            self.truth = truth.to_list()
        self.scores = []
        self.best_score = -np.inf
        self.best_epoch = 0
        self.best_state = None
        self._misses = 0
        self.stop = False

    def score(self, net):
        """The validation score of ``net`` now: higher is better."""
        if self.ratings:
            predicted = net._score_pairs(self.user_codes, self.item_codes)
            return -float(root_mean_squared_error(self.y, predicted))
        if len(self.users) == 0:
            return 0.0
        top, _ = net._topk_items(self.users, None, _K, net.seen_ is not None)
        return float(ndcg_at_k(self.truth, top, k=_K))

    def update(self, net):
        """Score the epoch just trained; set ``stop`` once it is time to stop."""
        score = self.score(net)
        self.scores.append(score)
        if score > self.best_score + self.tol or self.best_state is None:
            self.best_score = score
            self.best_epoch = len(self.scores)
            self.best_state = {
                name: tensor.detach().clone()
                for name, tensor in net._unwrapped_module().state_dict().items()
            }
            self._misses = 0
        else:
            self._misses += 1
        self.stop = self._misses >= self.n_iter_no_change
