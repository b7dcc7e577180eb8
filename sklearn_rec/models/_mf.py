"""MatrixFactorization: biased matrix factorization on skorch."""

from numbers import Integral, Real
from typing import Any

import numpy as np
import pandas as pd
import torch
from sklearn.utils._param_validation import Interval

from .._docs import fill_doc
from .._typing import Ids
from .._vocabulary import UNKNOWN
from ._explain import ridge_explanation
from ._fold_in import ridge_fold_in
from ._net import RecommenderNet
from .modules import MatrixFactorizationModule


@fill_doc
class MatrixFactorization(RecommenderNet):
    """Biased matrix factorization trained with PyTorch.

    Scores a pair as ``mu + b_u + b_i + p_u . q_i`` (global, user and item
    biases plus the dot product of ``n_factors`` latent factors). Trained by
    mini-batch gradient descent on one of three losses: squared error on
    ratings (``"mse"``, as in Funk SVD), binary cross-entropy against sampled
    negatives (``"bce"``) or the BPR pairwise loss (``"bpr"``).

    Parameters
    ----------
    n_factors : int, default=32
        Number of latent factors.
    loss : {"mse", "bce", "bpr", "softmax", "sampled_softmax"}, default="mse"
        ``"mse"`` fits ratings given as ``y``. The others learn from implicit
        feedback: every row of ``X`` is a positive (or ``y`` holds 0/1
        labels). ``"bce"``, ``"bpr"`` and ``"sampled_softmax"`` compare it
        with ``n_negatives`` items sampled per positive row in each batch,
        drawn anew every epoch. ``"softmax"`` is the cross-entropy of the
        observed item against the whole catalogue, without sampling (it
        costs ``batch_size * n_items`` scores per batch); it gives the best
        top-n lists on MovieLens (see ``benchmarks/README.md``).
        ``"sampled_softmax"`` lowers each negative's score by
        ``log(n_negatives / P)``, ``P`` the items it is drawn from (the logQ
        correction): the sum over the draws estimates the sum over all of
        them.
        Both softmax losses ignore rows labelled 0.
    {{positive_threshold}}
    {{n_negatives}}
    negative_sampling : {"unseen", "uniform"}, default="unseen"
        ``"unseen"`` draws uniformly among the items the user did not
        interact with (rejection sampling); ``"uniform"`` draws from the
        whole catalogue, which is cheaper and may draw a positive.
    weight_decay : float or None, default=None
        L2 penalty on the factors and biases *used by each batch*: the loss
        gets ``weight_decay * mean_b(||p_u||^2 + b_u^2 + sum_i (||q_i||^2 + b_i^2))``
        over the examples ``b`` of the batch (``i`` the observed item and its
        negatives). With ``"softmax"`` every item takes part in every example,
        and the item term is the mean of ``||q_i||^2 + b_i^2`` over the
        catalogue. Rows of the embedding tables absent from a batch are not
        decayed, unlike the optimizer's ``optimizer__weight_decay``. ``None``
        picks a default by loss: 0.1 for ``"mse"`` and ``"softmax"``, 0.01
        for the others (what worked best on MovieLens-100K among 1e-4 to 0.4).
    lr : float, default=0.01
        Learning rate.
    {{optimizer}}
    {{sparse}}
    max_epochs : int, default=20
        The most passes over the training data; early stopping may end
        training sooner.
    early_stopping : "auto" or bool, default=False
        {{early_stopping}}
        Off by default: at the defaults it cost 0.01 to 0.02 NDCG@10 on
        MovieLens-100K (the held-out tenth is not trained on), while the
        default epoch count does not overfit there
        (``benchmarks/results/movielens-defaults.md``).
    {{validation}}
    batch_size : int, default=1024
        Rows per batch (each with its sampled negatives).
    handle_unknown : {"error", "fallback"}, default="error"
        Users or items not seen in ``fit`` at prediction time: ``"error"``
        raises a ``ValueError`` naming them; ``"fallback"`` predicts
        ``mu`` plus the known biases for ``"mse"``, item popularity for the
        ranking losses, and recommends the most popular items to unknown users.
    {{clip_ratings}}
    user_features : DataFrame or None, default=None
        Side features of users, one row per raw user id (the index), one
        column per feature. A user's factors (and its bias) are then its id
        embedding plus the sum of the embeddings of its categorical features
        (columns of strings, categories or booleans: one embedding per level)
        plus a linear projection of its numeric features (int and float
        columns, standardised with the mean and standard deviation over the
        users of ``X``), as in LightFM. The table may hold users absent from
        ``X``: ``predict`` and ``recommend`` serve them from their features
        alone (``cold_users_``). A level that no user of ``X`` has, and a
        missing value (NaN) contribute nothing; a user of ``X`` absent from
        the table has its id embedding alone. Ids in neither ``X`` nor the
        table follow ``handle_unknown``. ``weight_decay`` penalises the
        summed representation. The table is read by ``fit``: a fitted model
        keeps what it learned from it. Numeric columns of only 0 and 1
        (indicators) are not standardised, and the feature part is scaled by
        ``feature_scale``.
    {{item_features}}
    {{encoders}}
    feature_scale : float, default=0.3
        Multiplier of the feature part of a representation (with
        ``user_features`` or ``item_features``; no effect otherwise), which
        is ``id embedding + feature_scale * (level embeddings + projection
        of the numbers)``. A feature weight is shared by many users or
        items, so each optimizer step on it moves all of them at once; below
        1 the feature part starts smaller and, with Adam, moves
        ``feature_scale`` times as fast as the id embeddings. Must be > 0.
        The choice of the default is measured in :ref:`the cold-start guide
        <feature-scale>`.
    {{user_ids}}
    fold_in_shrinkage : float, default=20.0
    {{fold_in_shrinkage}}
    store_seen : bool, default=True
        Keep the distinct ``(user, item)`` pairs of the training data in
        ``seen_``. It grows with the data (8 bytes per distinct pair, 16 for
        ``"mse"``, which keeps each pair's mean rating for :meth:`explain`;
        more while ``partial_fit`` adds a chunk's pairs). ``False`` keeps only
        the number of training rows per item, so that what a fit streamed
        with ``partial_fit`` keeps does not grow with the data (see
        :ref:`scaling`); ``seen_`` is then ``None``, and what needs the
        pairs raises a ``ValueError`` saying what to do instead:
        ``recommend(..., exclude_seen=True)`` (the default; pass
        ``exclude_seen=False``, with ``exclude_items`` for items to leave out
        of every list), ``score`` and the ranking scorers that leave out seen
        items or sample unseen negatives (use ``make_ranking_scorer(...,
        exclude_seen=False)``), and ``negative_sampling="unseen"`` with a
        sampled loss (use ``"uniform"``). The popularity of the
        ``handle_unknown="fallback"`` scores and lists is then the number of
        training rows per item instead of the number of users.
    {{callbacks}}
    random_state : int, RandomState instance or None, default=None
        Seeds initialisation, shuffling and negative sampling. The same
        integer gives identical models; torch's global RNG is left as it was.
    {{device}}
    {{verbose}}
    {{kwargs}}

    Attributes
    ----------
    users_ : ndarray of shape (``n_users_``,)
        The raw user ids seen in ``fit``, sorted; row ``u`` of the model is
        ``users_[u]``.
    {{items_}}
    {{n_users_}}
    {{seen_}}
    {{cold_users_}}
    module_ : MatrixFactorizationModule
        The trained PyTorch module.
    {{history_}}
    {{n_features_in_}}

    See Also
    --------
    NeuralRecommender : Neural collaborative filtering (NCF, NeuMF).

    Notes
    -----
    :meth:`recommend_for_history` folds in a new user: the trained module is
    frozen and the user's state ``(p_u, b_u)`` minimises the training
    objective of ``fit`` restricted to that user's examples, one per item
    ``h`` of the history ``H``, with ``c = fold_in_shrinkage`` examples'
    worth of penalty more::

        sum_h loss_h + (|H| + c) * weight_decay * (||p_u||^2 + b_u^2)

    (each training example charges the user's penalty once; ``c = 0`` is
    the training objective). ``loss_h`` is
    the loss of ``fit`` with the sampled negatives replaced by their
    expectation, so the objective is deterministic. With ``s_i`` the user's
    raw score of item ``i`` and ``E_j`` the mean over the items negatives
    are drawn from (those outside ``H`` for ``negative_sampling="unseen"``,
    all items for ``"uniform"``), ``K = n_negatives``:

    - ``"mse"``: ``(r_h - s_h)^2`` with ``r_h`` the given rating;
    - ``"bce"``: ``(softplus(-s_h) + K E_j softplus(s_j)) / (1 + K)``;
    - ``"bpr"``: ``E_j -log sigmoid(s_h - s_j)``;
    - ``"softmax"``: ``logsumexp_i s_i - s_h``;
    - ``"sampled_softmax"``: ``log(exp(s_h) + sum_j exp(s_j)) - s_h``, the
      softmax over ``h`` and every item negatives are drawn from, which the
      corrected draws of training estimate.

    For ``"mse"`` the objective is a ridge regression of ``r_h - mu - b_h``
    on ``[q_h, 1]`` with penalty ``(|H| + c) weight_decay``, solved in closed
    form: ``[p; b_u] = (A^T A + (|H| + c) weight_decay I)^+ A^T (r - mu - b)``
    with ``A`` the rows ``[q_h, 1]`` (the pseudo-inverse handles
    ``weight_decay=0`` with a short history). The other losses are convex in
    ``(p, b_u)`` and are minimised with L-BFGS from the average trained
    user. A ridge regression on 0/1 targets would be closed-form too, but
    its scores would not be on the scale of the trained users' (logits for
    ``"bce"``), which the item biases are relative to.

    :meth:`explain` explains the score of the user folded in from their
    training history (their mean rating of each item for ``"mse"``), which
    is a function of the history, unlike the trained user's. For ``"mse"``
    it is linear in the ratings, and the contributions are exact; for the
    other losses they are integrated gradients (see :ref:`explanations`).

    Examples
    --------
    >>> from sklearn_rec import MatrixFactorization
    >>> from sklearn_rec.datasets import make_interactions
    >>> X, y = make_interactions(n_users=50, n_items=40, n_interactions=800, random_state=0)
    >>> mf = MatrixFactorization(n_factors=8, max_epochs=5, random_state=0).fit(X, y)
    >>> mf.predict(X[:3]).shape
    (3,)
    >>> items, scores = mf.recommend([0, 1], n=5)
    >>> items.shape
    (2, 5)

    Side features serve users unseen in ``X``, here user ``"new"``:

    >>> import pandas as pd
    >>> from sklearn_rec.utils.estimator_checks import checkerboard
    >>> X, _ = checkerboard()  # user u likes the items of u's parity
    >>> users = pd.DataFrame({"parity": ["even", "odd"] * 10 + ["odd"]},
    ...                      index=[*range(20), "new"])
    >>> mf = MatrixFactorization(n_factors=4, loss="bce", lr=0.05, max_epochs=60,
    ...                          user_features=users, random_state=0).fit(X)
    >>> mf.cold_users_
    array(['new'], dtype=object)
    >>> items, _ = mf.recommend("new", n=3)
    >>> (items % 2).tolist()
    [[1, 1, 1]]
    """

    module = MatrixFactorizationModule
    _parameter_constraints = {
        **RecommenderNet._parameter_constraints,
        "n_factors": [Interval(Integral, 1, None, closed="left")],
        "weight_decay": [Interval(Real, 0, None, closed="left"), None],
    }

    def __init__(
        self,
        n_factors: int = 32,
        *,
        loss: str = "mse",
        positive_threshold: float | None = None,
        n_negatives: int = 4,
        negative_sampling: str = "unseen",
        weight_decay: float | None = None,
        lr: float = 0.01,
        optimizer: type[torch.optim.Optimizer] = torch.optim.Adam,
        sparse: bool = False,
        max_epochs: int = 20,
        early_stopping: bool | str = False,
        validation_fraction: float = 0.1,
        n_iter_no_change: int = 5,
        tol: float = 1e-4,
        batch_size: int = 1024,
        handle_unknown: str = "error",
        clip_ratings: bool = True,
        user_features: pd.DataFrame | None = None,
        item_features: pd.DataFrame | None = None,
        user_encoder: Any = None,
        item_encoder: Any = None,
        feature_scale: float = 0.3,
        user_ids: Ids | None = None,
        item_ids: Ids | None = None,
        fold_in_shrinkage: float = 20.0,
        store_seen: bool = True,
        callbacks: list[Any] | None = None,
        random_state: int | np.random.RandomState | None = None,
        device: str | torch.device = "cpu",
        verbose: int = 0,
        **kwargs: Any,
    ) -> None:
        self.n_factors = n_factors
        self.loss = loss
        self.positive_threshold = positive_threshold
        self.n_negatives = n_negatives
        self.negative_sampling = negative_sampling
        self.weight_decay = weight_decay
        self.lr = lr
        self.optimizer = optimizer
        self.sparse = sparse
        self.max_epochs = max_epochs
        self.early_stopping = early_stopping
        self.validation_fraction = validation_fraction
        self.n_iter_no_change = n_iter_no_change
        self.tol = tol
        self.batch_size = batch_size
        self.handle_unknown = handle_unknown
        self.clip_ratings = clip_ratings
        self.user_features = user_features
        self.item_features = item_features
        self.user_encoder = user_encoder
        self.item_encoder = item_encoder
        self.feature_scale = feature_scale
        self.user_ids = user_ids
        self.item_ids = item_ids
        self.fold_in_shrinkage = fold_in_shrinkage
        self.store_seen = store_seen
        self.callbacks = callbacks
        self.random_state = random_state
        self.device = device
        self.verbose = verbose
        self._store_routed_params(kwargs)

    def _weight_decay(self):
        if self.weight_decay is None:
            return self._loss.default_weight_decay
        return self.weight_decay

    def _module_params(self):
        return {
            "n_factors": self.n_factors,
            "global_bias": self._y_mean if self._loss.ratings else 0.0,
        }

    def _fold_in(self, history_codes, ratings):
        if not self._loss.ratings:
            return super()._fold_in(history_codes, ratings)
        return ridge_fold_in(
            self.module_,
            history_codes,
            ratings,
            penalty=self._fold_in_penalty(len(history_codes)),
            device=self.device,
        )

    def _explain_pair(self, user_code, item_code):
        if not self._loss.ratings:
            return super()._explain_pair(user_code, item_code)
        history, ratings = self._training_history(user_code)
        return ridge_explanation(self, item_code, history, ratings)

    def _fallback_ratings(self, user_codes, item_codes):
        mu, user_bias, item_bias = (
            t.detach().cpu().numpy() for t in self.module_.rating_baseline()
        )
        ratings = np.full(len(user_codes), float(mu))
        for codes, bias in ((user_codes, user_bias), (item_codes, item_bias)):
            known = codes != UNKNOWN
            ratings[known] += bias[codes[known]]
        return ratings
