"""MatrixFactorization: biased matrix factorization on skorch."""

import numpy as np
import torch

from .._encode import UNKNOWN
from .._validation import check_positive_int
from ._net import RecommenderNet
from .modules import MatrixFactorizationModule


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
        top-n lists on MovieLens (see ``benchmarks/README.md``). Both softmax
        losses ignore rows labelled 0.
    n_negatives : int, default=4
        Sampled negatives per positive row (``"bce"``, ``"bpr"``,
        ``"sampled_softmax"``).
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
    optimizer : torch optimizer class, default=torch.optim.Adam
        Its other arguments are routed with ``optimizer__*``.
    max_epochs : int, default=20
        Passes over the training data.
    batch_size : int, default=1024
        Rows per batch (each with its sampled negatives).
    handle_unknown : {"error", "fallback"}, default="error"
        Users or items not seen in ``fit`` at prediction time: ``"error"``
        raises a ``ValueError`` naming them; ``"fallback"`` predicts
        ``mu`` plus the known biases for ``"mse"``, item popularity for the
        ranking losses, and recommends the most popular items to unknown users.
    user_ids, item_ids : array-like of shape (n_users,) and (n_items,), default=None
        Every user (item) id the model will know, listed up front; ``fit``
        then builds the model for all of them and the rows of ``X`` must use
        only these ids (a ``ValueError`` names the others). ``None`` learns
        the ids from ``fit``'s ``X``. Giving them lets ``partial_fit`` train
        chunk by chunk on data that does not fit in memory, where the first
        chunk cannot hold every id (see :ref:`scaling`); ids listed but
        absent from the training rows keep their initial embeddings.
    callbacks : list of skorch callbacks, default=None
        Extra skorch callbacks (``callbacks__*`` routes their parameters).
        ``[skorch.callbacks.ProgressBar()]`` shows a progress bar over the
        batches of each epoch, in a terminal or a notebook, for long fits.
    random_state : int, RandomState instance or None, default=None
        Seeds initialisation, shuffling and negative sampling. The same
        integer gives identical models; torch's global RNG is left as it was.
    device : str or torch.device, default="cpu"
        Where the model trains and scores, e.g. ``"cuda"``. A model fitted on
        a GPU unpickles on a machine without one: its tensors load on the CPU
        and ``device`` becomes ``"cpu"`` (see :meth:`trim_for_prediction`).
    verbose : int, default=0
        ``1`` prints skorch's table of losses per epoch.
    **kwargs
        skorch's prefix-routed parameters: ``optimizer__*``, ``module__*``,
        ``criterion__*``, ``callbacks__*``, ``iterator_train__*``,
        ``iterator_valid__*``.

    Attributes
    ----------
    users_ : ndarray of shape (``n_users_``,)
        The raw user ids seen in ``fit``, sorted; row ``u`` of the model is
        ``users_[u]``.
    items_ : ndarray of shape (``n_items_``,)
        The raw item ids, sorted.
    n_users_, n_items_ : int
    seen_ : scipy.sparse.csr_matrix of shape (``n_users_``, ``n_items_``)
        1 where the user interacted with the item in the training data.
    module_ : MatrixFactorizationModule
        The trained PyTorch module.
    history_ : skorch.History
        Losses and timings per epoch and batch.
    n_features_in_ : int
        Number of columns of ``X`` in ``fit``.

    See Also
    --------
    NeuralRecommender : Neural collaborative filtering (NCF, NeuMF).

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
    """

    module = MatrixFactorizationModule

    def __init__(
        self,
        n_factors=32,
        *,
        loss="mse",
        n_negatives=4,
        negative_sampling="unseen",
        weight_decay=None,
        lr=0.01,
        optimizer=torch.optim.Adam,
        max_epochs=20,
        batch_size=1024,
        handle_unknown="error",
        user_ids=None,
        item_ids=None,
        callbacks=None,
        random_state=None,
        device="cpu",
        verbose=0,
        **kwargs,
    ):
        self.n_factors = n_factors
        self.loss = loss
        self.n_negatives = n_negatives
        self.negative_sampling = negative_sampling
        self.weight_decay = weight_decay
        self.lr = lr
        self.optimizer = optimizer
        self.max_epochs = max_epochs
        self.batch_size = batch_size
        self.handle_unknown = handle_unknown
        self.user_ids = user_ids
        self.item_ids = item_ids
        self.callbacks = callbacks
        self.random_state = random_state
        self.device = device
        self.verbose = verbose
        self._store_routed_params(kwargs)

    def _weight_decay(self):
        if self.weight_decay is None:
            return 0.1 if self.loss in ("mse", "softmax") else 0.01
        return self.weight_decay

    def _check_module_params(self):
        check_positive_int(self.n_factors, "n_factors")

    def _module_params(self):
        return {
            "n_factors": self.n_factors,
            "global_bias": self._y_mean if self.loss == "mse" else 0.0,
        }

    def _fallback_ratings(self, user_codes, item_codes):
        mu, user_bias, item_bias = (
            t.detach().cpu().numpy() for t in self.module_.rating_baseline()
        )
        ratings = np.full(len(user_codes), float(mu))
        for codes, bias in ((user_codes, user_bias), (item_codes, item_bias)):
            known = codes != UNKNOWN
            ratings[known] += bias[codes[known]]
        return ratings
