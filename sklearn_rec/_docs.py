"""Parameter and attribute documentation shared by the estimators.

Each entry is the numpydoc text of one parameter (or attribute); an
estimator's docstring holds ``{{name}}`` on a line of its own where the text
goes, and :func:`fill_doc` substitutes it, indented like the placeholder.
Where the estimators' defaults differ, the entry is the description alone,
indented one level, and each docstring writes the parameter line above the
placeholder.
"""

import re
from textwrap import indent

_DOCS = {
    "n_negatives": """\
n_negatives : int, default=4
    Sampled negatives per positive row (``"bce"``, ``"bpr"``,
    ``"sampled_softmax"``). ``0`` is for ``"bce"`` on labels of both kinds
    given in ``y`` (plain binary cross-entropy); without 0 labels it is an
    error.""",
    "positive_threshold": """\
positive_threshold : float or None, default=None
    Turn ratings into implicit feedback inside ``fit``, for the implicit
    losses (``"bce"``, ``"bpr"``, ``"softmax"``, ``"sampled_softmax"``):
    ``y`` then holds ratings (required), rows rated ``>= positive_threshold``
    are the positives and the others are rows labelled 0, as if ``y`` held
    ``y >= positive_threshold``. ``"bce"`` trains on those as explicit
    negatives; ``"bpr"`` and the softmax losses do not train on them. Every
    row stays an interaction: its pair joins ``seen_`` (so it is not
    recommended back, nor drawn as an ``"unseen"`` negative) and its user
    and item join the vocabularies. As a parameter it is tuned by
    :class:`~sklearn.model_selection.GridSearchCV` on the raw rows of each
    split. ``fit`` raises a ``ValueError`` for a threshold outside the range
    of ``y`` (every row, or none, would be a positive); ``partial_fit``
    applies it to each chunk. It must be ``None`` with ``loss="mse"``. It
    does not change what ``score`` and the ranking scorers count as
    relevant (test rows with ``y > 0``, or ``y >= positive_threshold`` of
    :func:`~sklearn_rec.metrics.make_ranking_scorer`), so that models
    trained with different thresholds are compared on the same items.""",
    "optimizer": """\
optimizer : torch optimizer class, default=torch.optim.Adam
    Its other arguments are routed with ``optimizer__*``.""",
    "sparse": """\
sparse : bool, default=False
    Train the embedding tables with sparse gradients: each step updates
    only the rows of its batch, with :class:`torch.optim.SparseAdam`
    (``lr``, and ``optimizer__betas`` / ``optimizer__eps`` when given),
    instead of a dense ``optimizer`` step over every row; the other
    parameters keep ``optimizer``. It pays off when the tables are much
    larger than the rows a batch touches (see :ref:`performance` for the
    measured speed-ups); below about 50,000 rows a table, and on a GPU, the
    dense step is cheaper. Not with ``loss="softmax"``, whose every step
    uses every item.""",
    "early_stopping": """\
Hold out ``validation_fraction`` of each user's interactions of ``X``
(as :class:`~sklearn_rec.model_selection.UserHoldoutSplit` does: every
held-out user and item keeps training rows), train on the rest, score
the held-out part after every epoch, stop once the score has not
improved by more than ``tol`` for ``n_iter_no_change`` epochs, and keep
the weights of the best epoch. The score is NDCG@10 over the whole
catalogue (the training part's items left out; at most 2,000 random
users an epoch) for the ranking losses, and minus the RMSE for
``"mse"``. The held-out pairs are never trained on; they join ``seen_``
after training. ``"auto"`` enables it when ``X`` has at least 2,000
rows. :meth:`partial_fit` never stops early.""",
    "validation": """\
validation_fraction : float, default=0.1
    The share of each user's interactions held out for early stopping, in
    ``(0, 1)``.
n_iter_no_change : int, default=5
    Epochs without improvement before early stopping ends training.
tol : float, default=1e-4
    The least improvement of the validation score that counts.""",
    "item_features": """\
item_features : DataFrame or None, default=None
    Side features of items, as ``user_features``. Items found only in the
    table (``cold_items_``) are part of the catalogue that ``recommend``
    ranks and are never drawn as negatives in training.""",
    "encoders": """\
user_encoder, item_encoder : transformer or None, default=None
    Encode ``user_features`` (``item_features``) with any scikit-learn
    transformer, :class:`~sklearn.pipeline.Pipeline` or
    :class:`~sklearn.compose.ColumnTransformer` in place of the built-in
    encoding: for example ``ColumnTransformer([("tags", TfidfVectorizer(),
    "tags")], sparse_threshold=1.0)`` over a text column (the threshold
    keeps its output sparse), or a ``FunctionTransformer`` returning
    precomputed embeddings. ``fit`` clones it and fits it on the table rows
    of the training ids (those of ``X``, or ``user_ids`` / ``item_ids``),
    then transforms every row of the table; the fitted clone is
    ``user_encoder_`` (``item_encoder_``). Its parameters are tuned as
    ``item_encoder__<name>`` (``GridSearchCV``, ``set_params``). Sparse
    output stays sparse: each output column gets an embedding, summed with
    the row's values (an ``EmbeddingBag``); dense output is projected
    linearly. Training ids missing from the table have no features. The
    output must have a row per row of the table and finite values.""",
    "user_ids": """\
user_ids, item_ids : array-like of shape (n_users,) and (n_items,), default=None
    Every user (item) id the model will know, listed up front; ``fit``
    then builds the model for all of them and the rows of ``X`` must use
    only these ids (a ``ValueError`` names the others). ``None`` learns
    the ids from ``fit``'s ``X``. Giving them lets ``partial_fit`` train
    chunk by chunk on data that does not fit in memory, where the first
    chunk cannot hold every id (see :ref:`scaling`); ids listed but
    absent from the training rows keep their initial embeddings.""",
    # The description alone, under the parameter line each estimator writes
    # with its own default.
    "fold_in_shrinkage": """\
    Extra regularisation of a user folded in by
    :meth:`recommend_for_history` (and by :meth:`explain`), counted in
    interactions: training charges the user's penalty ``weight_decay`` once
    per example, and the fold-in objective charges it for the ``|H|``
    history items plus ``fold_in_shrinkage`` more (see the Notes). 0
    minimises the training objective restricted to the user. A fold-in
    reaches the optimum of a short history and overfits it; the extra
    penalty pulls the user's scores towards those of a zero user (for
    :class:`MatrixFactorization`, the item biases: the popular items), most
    for the shortest histories, and matters less as the history grows. Read
    at query time: it can be changed on a fitted model. How the defaults
    were chosen: :ref:`cold-start`.""",
    "callbacks": """\
callbacks : list of skorch callbacks, default=None
    Extra skorch callbacks (``callbacks__*`` routes their parameters).
    ``verbose=1`` already shows a bar over the batches of each long epoch
    in a terminal.""",
    "clip_ratings": """\
clip_ratings : bool, default=True
    With ``loss="mse"``, clip the ratings that ``predict``, ``score_items``,
    ``recommend`` and ``recommend_for_history`` return to the range of the
    training ratings (``[min(y), max(y)]``): a model's raw score can leave
    the rating scale (0.65 to 5.50 on MovieLens-100K's 1 to 5 stars).
    ``recommend`` ranks by the raw scores, so the order is the same either
    way. No effect with the ranking losses.""",
    "device": """\
device : str or torch.device, default="cpu"
    Where the model trains and scores, e.g. ``"cuda"``. A model fitted on
    a GPU unpickles on a machine without one: its tensors load on the CPU
    and ``device`` becomes ``"cpu"`` (see :meth:`trim_for_prediction`).""",
    "verbose": """\
verbose : int, default=0
    ``0`` prints nothing. ``1`` (or more) reports progress. After each
    epoch of ``fit`` and ``partial_fit``, a line on stdout: the epoch as
    ``k/N`` (``N`` is ``max_epochs``; ``partial_fit`` counts on from the
    epochs before), the training loss, the validation score under early
    stopping (``validation_score``) and the epoch's duration in seconds
    (``dur``); early stopping then says why it ended training and which
    epoch's weights it kept. In a terminal the lines are skorch's table,
    and a bar on stderr follows the batches of an epoch that runs for more
    than a second; in a file, a pipe or a notebook they are plain lines
    without colour codes, such as
    ``epoch 2/50  train_loss=0.4123  validation_score=0.0712  dur=1.52s``.
    A ``recommend``, ``score``, ``similar_items`` or ``predict`` call large
    enough to run in several blocks reports the rows done on stderr: a bar
    in a terminal, a line at each tenth elsewhere.""",
    "kwargs": """\
**kwargs
    skorch's prefix-routed parameters: ``optimizer__*``, ``module__*``,
    ``criterion__*``, ``callbacks__*``, ``iterator_train__*``,
    ``iterator_valid__*``.""",
    "positive_threshold_baseline": """\
positive_threshold : float or None, default=None
    Turn ratings into implicit feedback inside ``fit``: ``y`` then holds
    ratings (required), rows rated ``>= positive_threshold`` are the
    positives the model learns from and the others count as seen only, as
    if ``y`` held ``y >= positive_threshold``. ``fit`` raises a
    ``ValueError`` for a threshold outside the range of ``y``. As for the
    neural estimators, it does not change what ``score`` counts as
    relevant.""",
    "handle_unknown_ranking": """\
handle_unknown : {"error", "fallback"}, default="error"
    Users or items not seen in ``fit`` at prediction time: ``"error"``
    raises a ``ValueError`` naming them; ``"fallback"`` scores them by item
    popularity (0 for unknown items) and recommends the most popular items
    to unknown users.""",
    "users_": """\
users_ : ndarray of shape (``n_users_``,)
    The raw user ids, sorted.""",
    "items_": """\
items_ : ndarray of shape (``n_items_``,)
    The raw item ids, sorted.""",
    "n_users_": """\
n_users_, n_items_ : int""",
    "seen_": """\
seen_ : scipy.sparse.csr_matrix of shape (``n_users_``, ``n_items_``) or None
    1 where the user interacted with the item in the training data;
    ``None`` with ``store_seen=False``.""",
    "cold_users_": """\
cold_users_, cold_items_ : ndarray
    The raw ids found only in ``user_features`` (``item_features``),
    sorted: served from their features alone. Empty without features.""",
    "history_": """\
history_ : skorch.History
    Losses and timings per epoch and batch.
n_iter_ : int
    Epochs trained by ``fit`` and ``partial_fit`` (the best epoch's weights
    are kept, so early stopping may keep an earlier one).
best_score_ : float or None
    The best validation score of early stopping (NDCG@10, or minus the
    RMSE for ``"mse"``); ``None`` without early stopping.
validation_scores_ : list of float or None
    The validation score after each epoch; ``None`` without early stopping.""",
    "n_features_in_": """\
n_features_in_ : int
    Number of columns of ``X`` in ``fit``.""",
}

_PLACEHOLDER = re.compile(r"^( *)\{\{(\w+)\}\}$", flags=re.MULTILINE)


def fill_doc(cls):
    """Class decorator: replace the ``{{name}}`` lines of the docstring by shared text."""
    cls.__doc__ = _PLACEHOLDER.sub(lambda m: indent(_DOCS[m[2]], m[1]), cls.__doc__)
    return cls
