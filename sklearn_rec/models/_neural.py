"""NeuralRecommender: neural collaborative filtering (NCF / NeuMF) on skorch."""

import numbers
from collections.abc import Sequence
from numbers import Integral, Real
from typing import Any

import numpy as np
import pandas as pd
import torch
from sklearn.utils._param_validation import Interval, StrOptions

from .._docs import fill_doc
from .._typing import Ids
from ._net import RecommenderNet
from .modules import ACTIVATIONS, NCFModule

_ARCHITECTURES = ("mlp", "neumf")


@fill_doc
class NeuralRecommender(RecommenderNet):
    """Neural collaborative filtering: embeddings and an MLP (NCF, NeuMF).

    User and item embeddings are concatenated and passed through an MLP with
    ``hidden_units`` (the NCF "MLP" model of He et al., WWW 2017). With
    ``architecture="neumf"`` (the default) a generalised matrix
    factorisation branch is fused with the MLP before the output layer
    (NeuMF). The defaults, NeuMF trained by a softmax over each positive and
    50 sampled negatives, were chosen by an ablation on planted data,
    MovieLens 100K, ml-latest-small and a sample of MovieLens 1M (see
    ``benchmarks/results/ablation.md``). The classic NCF of the paper is
    ``NeuralRecommender(architecture="mlp", loss="bce", n_negatives=4)``:
    16-dimensional embeddings, a 32-16 tower, binary cross-entropy against 4
    sampled negatives, a sigmoid output.

    Parameters
    ----------
    embedding_dim : int, default=16
        Size of the user and item embeddings (and of the GMF embeddings).
    hidden_units : tuple of int, default=(32, 16)
        Widths of the hidden layers; ``()`` feeds the concatenated
        embeddings straight to the output layer.
    dropout : float, default=0.0
        Dropout after each hidden layer, in ``[0, 1)``.
    activation : {"relu", "leaky_relu", "gelu", "tanh", "sigmoid"}, default="relu"
        Activation of the hidden layers.
    architecture : {"mlp", "neumf"}, default="neumf"
        ``"mlp"`` is NCF's MLP model; ``"neumf"`` adds the GMF branch.
    loss : {"bce", "bpr", "softmax", "sampled_softmax", "mse"}, default="sampled_softmax"
        ``"bce"``: every row of ``X`` is a positive (or ``y`` holds 0/1
        labels) and ``n_negatives`` items per positive row are sampled in each
        batch, drawn anew every epoch; ``predict`` returns probabilities.
        ``"bpr"``: pairwise ranking against the same negatives.
        ``"softmax"``: cross-entropy of the observed item against the whole
        catalogue (no sampling; costs ``batch_size * n_items`` scores per
        batch). ``"sampled_softmax"``: the same against the ``n_negatives``
        sampled items only, each negative's score lowered by
        ``log(n_negatives / P)`` with ``P`` the items it is drawn from (the
        logQ correction): the sum over the draws estimates the sum over all
        of them. Rows labelled 0 are ignored by both softmax losses.
        ``"mse"``: regression on ratings given as ``y``.
    {{positive_threshold}}
    n_negatives : int or "auto", default="auto"
        Sampled negatives per positive row (``"bce"``, ``"bpr"``,
        ``"sampled_softmax"``). ``"auto"``: 50 for ``"sampled_softmax"``,
        whose sampled items stand for the whole catalogue (20 and 200 gave
        worse lists on MovieLens 100K, measured before the loss had its logQ
        correction), and 4, NCF's choice, for ``"bce"``
        and ``"bpr"``. ``0`` is for ``"bce"`` on labels of both kinds given
        in ``y`` (plain binary cross-entropy); without 0 labels it is an
        error.
    negative_sampling : {"unseen", "uniform"}, default="unseen"
        ``"unseen"`` draws uniformly among the items the user did not
        interact with (rejection sampling); ``"uniform"`` draws from the
        whole catalogue.
    weight_decay : float, default=0.01
        L2 penalty on the embeddings *used by each batch*:
        ``weight_decay * mean_b(||e_u||^2 + sum_i ||e_i||^2)`` over the
        examples of the batch (GMF embeddings included); with ``"softmax"``
        the item term is the mean over the catalogue. The MLP weights are
        not affected; decay them with ``optimizer__weight_decay``.
    lr : float, default=0.01
        Learning rate. With the default ``weight_decay`` and early stopping it
        gave better lists than NCF's 0.001 on MovieLens-100K and planted data
        (see ``benchmarks/results/ablation.md``).
    {{optimizer}}
    {{sparse}}
    max_epochs : int, default=50
        The most passes over the training data; early stopping may end
        training sooner.
    early_stopping : "auto" or bool, default="auto"
        {{early_stopping}}
    {{validation}}
    batch_size : int or "auto", default="auto"
        Rows per batch (each with its sampled negatives). ``"auto"``: 256,
        or fewer on small data so that an epoch has at least 10 batches
        (an MLP needs more optimizer steps than a few dozen rows give).
    handle_unknown : {"error", "fallback"}, default="error"
        Users or items not seen in ``fit`` at prediction time: ``"error"``
        raises a ``ValueError`` naming them; ``"fallback"`` predicts the mean
        training rating for ``"mse"``, item popularity for the ranking losses,
        and recommends the most popular items to unknown users.
    {{clip_ratings}}
    user_features : DataFrame or None, default=None
        Side features of users, one row per raw user id (the index), one
        column per feature. A user's embeddings (GMF ones included) are then
        its id embedding plus the sum of the embeddings of its categorical features
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
    feature_scale : float, default=1.0
        Multiplier of the feature part of every embedding (with
        ``user_features`` or ``item_features``; no effect otherwise):
        ``id embedding + feature_scale * (level embeddings + projection of
        the numbers)``. Below 1 the shared feature weights start smaller
        and, with Adam, move ``feature_scale`` times as fast as the id
        embeddings. Must be > 0. :class:`MatrixFactorization` defaults to
        0.3; why this one defaults to 1 is measured in :ref:`the cold-start
        guide <feature-scale>`.
    {{user_ids}}
    fold_in_shrinkage : float, default=100.0
    {{fold_in_shrinkage}}
    store_seen : bool, default=True
        Keep the distinct training pairs in ``seen_``. ``False`` keeps only
        the number of training rows per item (the popularity of the
        fallback), so that the memory of a fit streamed with ``partial_fit``
        does not grow with the data. ``seen_`` is then ``None``, and
        ``recommend`` with ``exclude_seen=True``, ``score``, the ranking
        scorers that leave out seen items or sample unseen negatives, and
        ``negative_sampling="unseen"`` with a sampled loss raise a
        ``ValueError`` that says what to use instead (details under
        :class:`MatrixFactorization`; see :ref:`scaling`).
    {{callbacks}}
    random_state : int, RandomState instance or None, default=None
        Seeds initialisation, shuffling, dropout and negative sampling. The
        same integer gives identical models; torch's global RNG is left as it
        was.
    {{device}}
    {{verbose}}
    {{kwargs}}

    Attributes
    ----------
    users_ : ndarray of shape (``n_users_``,)
        The raw user ids seen in ``fit``, sorted.
    {{items_}}
    {{n_users_}}
    {{seen_}}
    {{cold_users_}}
    module_ : NCFModule
        The trained PyTorch module.
    {{history_}}
    {{n_features_in_}}

    See Also
    --------
    MatrixFactorization : Biased matrix factorization.

    Notes
    -----
    :meth:`recommend_for_history` folds in a new user: the trained module is
    frozen and the user's state ``e_u`` (with its GMF embedding for
    ``"neumf"``) minimises the training
    objective of ``fit`` restricted to that user's examples, one per item
    ``h`` of the history ``H``, with ``c = fold_in_shrinkage`` examples'
    worth of penalty more::

        sum_h loss_h + (|H| + c) * weight_decay * ||e_u||^2

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

    The objective is minimised with L-BFGS from the average trained user
    (the mean of the trained embeddings). It is not convex through the MLP;
    with ``weight_decay=0`` the user is not regularised, and fold-ins of
    short histories are less stable.

    :meth:`explain` explains the score of the user folded in from their
    training history by integrated gradients (Captum) over the history's
    example weights and the item's features. Their completeness error is
    small with a smooth ``activation`` (``"tanh"``, ``"gelu"``) and can be
    large with ``"relu"`` (see :ref:`explanations`).

    Examples
    --------
    >>> from sklearn_rec import NeuralRecommender
    >>> from sklearn_rec.datasets import make_interactions
    >>> X, _ = make_interactions(n_users=50, n_items=40, n_interactions=800, implicit=True,
    ...                          random_state=0)
    >>> nr = NeuralRecommender(max_epochs=3, random_state=0).fit(X)
    >>> items, scores = nr.recommend([0, 1], n=5)
    >>> items.shape, scores.shape
    ((2, 5), (2, 5))
    >>> classic = NeuralRecommender(architecture="mlp", loss="bce", n_negatives=4, max_epochs=3,
    ...                             random_state=0).fit(X)
    >>> bool(((0 <= classic.predict(X[:3])) & (classic.predict(X[:3]) <= 1)).all())
    True
    """

    module = NCFModule
    _parameter_constraints = {
        **RecommenderNet._parameter_constraints,
        "embedding_dim": [Interval(Integral, 1, None, closed="left")],
        "hidden_units": "no_validation",  # checked in _check_module_params
        "dropout": [Interval(Real, 0, 1, closed="left")],
        "activation": [StrOptions(set(ACTIVATIONS))],
        "architecture": [StrOptions(set(_ARCHITECTURES))],
        "n_negatives": [Interval(Integral, 0, None, closed="left"), StrOptions({"auto"})],
    }

    def __init__(
        self,
        embedding_dim: int = 16,
        hidden_units: Sequence[int] = (32, 16),
        *,
        dropout: float = 0.0,
        activation: str = "relu",
        architecture: str = "neumf",
        loss: str = "sampled_softmax",
        positive_threshold: float | None = None,
        n_negatives: int | str = "auto",
        negative_sampling: str = "unseen",
        weight_decay: float | None = 1e-2,
        lr: float = 1e-2,
        optimizer: type[torch.optim.Optimizer] = torch.optim.Adam,
        sparse: bool = False,
        max_epochs: int = 50,
        early_stopping: bool | str = "auto",
        validation_fraction: float = 0.1,
        n_iter_no_change: int = 5,
        tol: float = 1e-4,
        batch_size: int | str = "auto",
        handle_unknown: str = "error",
        clip_ratings: bool = True,
        user_features: pd.DataFrame | None = None,
        item_features: pd.DataFrame | None = None,
        user_encoder: Any = None,
        item_encoder: Any = None,
        feature_scale: float = 1.0,
        user_ids: Ids | None = None,
        item_ids: Ids | None = None,
        fold_in_shrinkage: float = 100.0,
        store_seen: bool = True,
        callbacks: list[Any] | None = None,
        random_state: int | np.random.RandomState | None = None,
        device: str | torch.device = "cpu",
        verbose: int = 0,
        **kwargs: Any,
    ) -> None:
        self.embedding_dim = embedding_dim
        self.hidden_units = hidden_units
        self.dropout = dropout
        self.activation = activation
        self.architecture = architecture
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

    def _n_negatives(self):
        if isinstance(self.n_negatives, str):  # "auto"
            return 50 if self.loss == "sampled_softmax" else 4
        return self.n_negatives

    def _check_module_params(self):
        units = self.hidden_units
        if isinstance(units, numbers.Integral) or not all(
            isinstance(u, numbers.Integral) and not isinstance(u, bool) and u >= 1 for u in units
        ):
            raise ValueError(f"hidden_units must be a tuple of positive ints, got {units!r}.")

    def _module_params(self):
        return {
            "embedding_dim": self.embedding_dim,
            "hidden_units": tuple(self.hidden_units),
            "dropout": self.dropout,
            "activation": self.activation,
            "architecture": self.architecture,
            "output_bias": self._y_mean if self._loss.ratings else 0.0,
        }

    def _fallback_ratings(self, user_codes, item_codes):
        return np.full(len(user_codes), self._y_mean)
