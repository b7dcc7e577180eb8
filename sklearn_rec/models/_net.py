"""The skorch net shared by the estimators.

``RecommenderNet`` overrides skorch's hooks, never its training loop:

- ``fit`` / ``partial_fit`` validate the input, build the vocabularies and
  ``seen_``, then hand an encoded dataset to skorch's loop;
- ``get_dataset`` turns raw ``(user, item)`` rows into an encoded dataset, so
  inherited entry points such as ``forward`` accept raw ids;
- ``initialize_module`` / ``initialize_criterion`` build the module and the
  loss from the top-level hyperparameters without touching them;
- ``get_iterator`` slices batches from column tensors and samples negatives;
- ``train_step_single`` asks the module for the L2 penalty of the batch with
  its scores (computed from the rows they gathered), and ``get_loss`` adds
  it.

skorch parameters that are not hyperparameters of a recommender (``module``,
``criterion``, ``dataset``, the iterators, ...) are class attributes, so that
``__init__`` stores parameters and nothing else, as scikit-learn requires.
Prefix-routed parameters (``optimizer__*``, ``module__*``, ``callbacks__*``,
...) work as in skorch.
"""

from __future__ import annotations

import math
from contextlib import contextmanager
from numbers import Integral, Real
from typing import TYPE_CHECKING, Any

import numpy as np
import torch
from sklearn.base import BaseEstimator
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import (
    HasMethods,
    Interval,
    Options,
    StrOptions,
    validate_parameter_constraints,
)
from sklearn.utils.validation import check_is_fitted, validate_data
from skorch import NeuralNet
from skorch.dataset import unpack_data
from skorch.exceptions import SkorchTrainingImpossibleError
from skorch.history import History
from skorch.utils import is_dataset

from .._base import RecommenderMixin, _unknown_error
from .._interactions import (
    add_interactions,
    add_positive_pairs,
    interaction_matrix,
    mean_ratings,
)
from .._typing import Interactions, Target
from .._validation import (
    check_interactions,
    check_positive_int,
    check_target,
    missing_ratings_error,
    threshold_labels,
)
from .._vocabulary import UNKNOWN
from ._data import InteractionDataset, InteractionIterator, NegativeSampler
from ._early_stopping import AUTO_MIN_ROWS, ValidationMonitor, holdout
from ._explain import attribution_explanation
from ._fold_in import fold_in, negative_pool, top_items_for_state
from ._interrupts import watch_interrupts
from ._losses import LOSSES
from ._progress import EpochLog, EpochProgressBar, Progress, quiet_queries
from ._topk import top_items, top_similar

if TYPE_CHECKING:
    from typing_extensions import Self

_FUSED_OPTIMIZERS = (torch.optim.Adam, torch.optim.AdamW)


class RecommenderNet(RecommenderMixin, NeuralNet):
    """Base class of the PyTorch recommenders; not for direct use."""

    criterion = None
    iterator_train = InteractionIterator
    iterator_valid = InteractionIterator
    dataset = InteractionDataset
    train_split = None
    predict_nonlinearity = None
    warm_start = False
    compile = False
    use_caching = "auto"
    torch_load_kwargs = None
    initialized_ = False
    history_: Any = None
    # The early-stopping monitor of the fit in progress (set by ``_fit`` only).
    _monitor = None
    # The lowest and highest training rating (None without ratings, and in
    # models saved before it was kept).
    _y_range = None
    virtual_params_: dict[str, object] = {}

    # Floats of scores held at once while ranking: bounds the memory of
    # ``recommend`` and ``similar_items`` whatever the catalogue size.
    _score_budget = 2**25
    _predict_batch_size = 65_536

    __repr__ = BaseEstimator.__repr__

    def _store_routed_params(self, kwargs):
        """Keep prefix-routed parameters (``optimizer__*``...) as skorch does."""
        self._params_to_validate = set(kwargs)
        vars(self).update(kwargs)

    @classmethod
    def _signature_param_names(cls):
        return BaseEstimator._get_param_names.__func__(cls)

    def _get_param_names(self):
        names = self._signature_param_names()
        extra = (
            k
            for k in vars(self)
            if k not in names and not k.startswith("_") and not k.endswith("_")
        )
        return names + sorted(extra)

    def set_params(self, **params):
        """Set parameters, including skorch's prefix-routed ones."""
        # skorch builds the callbacks as soon as ``callbacks`` is set, which
        # raises for a bad value; scikit-learn defers validation to ``fit``.
        if "callbacks" in params:
            self.callbacks = params.pop("callbacks")
            if self.initialized_:
                self._initialize_callbacks()
        # The encoders' own parameters (item_encoder__tfidf__max_features) go to
        # them, as scikit-learn routes nested parameters; skorch would set them
        # as attributes of the net.
        for name in ("user_encoder", "item_encoder"):
            nested = {
                key.split("__", 1)[1]: params.pop(key)
                for key in list(params)
                if key.startswith(f"{name}__")
            }
            if name in params:
                setattr(self, name, params.pop(name))
            if nested:
                encoder = getattr(self, name)
                if encoder is None:
                    raise ValueError(
                        f"Parameters {sorted(nested)} of {name} were given, but {name} is None."
                    )
                encoder.set_params(**nested)
        return super().set_params(**params) if params else self

    def __sklearn_is_fitted__(self):
        # skorch's initialize() (through set_params of a module parameter,
        # say) leaves a model without trained weights until the next fit.
        return super().__sklearn_is_fitted__() and self.initialized_

    @property
    def predict_proba(self):
        # skorch's NeuralNet has one; a recommender is not a classifier.
        raise AttributeError(f"{type(self).__name__} has no predict_proba; use predict.")

    @property
    def _default_callbacks(self):
        # skorch's, with the epoch log numbered "k/N" and written as plain
        # lines outside a terminal, and a bar over the batches of a long
        # epoch in a terminal (both under verbose).
        callbacks = [
            (name, EpochLog() if name == "print_log" else callback)
            for name, callback in super()._default_callbacks
        ]
        return [*callbacks, ("epoch_progress", EpochProgressBar(follow_verbose=True))]

    # -- hyperparameters ---------------------------------------------------------

    # Each parameter's valid values, checked by scikit-learn's
    # ``validate_parameter_constraints`` (subclasses merge theirs in, as
    # scikit-learn's estimators do); ``_check_params`` adds the checks that
    # involve several parameters.
    _parameter_constraints = {
        "loss": [StrOptions(set(LOSSES))],
        "positive_threshold": [Interval(Real, None, None, closed="neither"), None],
        "n_negatives": [Interval(Integral, 0, None, closed="left")],
        "negative_sampling": [StrOptions({"unseen", "uniform"})],
        "weight_decay": [Interval(Real, 0, None, closed="left")],
        "lr": [Interval(Real, 0, None, closed="neither")],
        "optimizer": [callable],
        "sparse": ["boolean"],
        "max_epochs": [Interval(Integral, 0, None, closed="left")],
        "early_stopping": [StrOptions({"auto"}), "boolean"],
        "validation_fraction": [Interval(Real, 0, 1, closed="neither")],
        "n_iter_no_change": [Interval(Integral, 1, None, closed="left")],
        "tol": [Interval(Real, 0, None, closed="left")],
        "batch_size": [
            Interval(Integral, 1, None, closed="left"),
            Options(Integral, {-1}),
            StrOptions({"auto"}),
        ],
        "handle_unknown": [StrOptions({"error", "fallback"})],
        "clip_ratings": ["boolean"],
        "feature_scale": [Interval(Real, 0, None, closed="neither")],
        "fold_in_shrinkage": [Interval(Real, 0, None, closed="left")],
        "store_seen": ["boolean"],
        "random_state": ["random_state"],
        "verbose": ["verbose"],
        "callbacks": [list, None],
        "device": [str, torch.device],
        # Checked in fit, with messages about their contents.
        "user_features": "no_validation",
        "item_features": "no_validation",
        "user_encoder": [HasMethods(["fit", "transform", "get_params"]), None],
        "item_encoder": [HasMethods(["fit", "transform", "get_params"]), None],
        "user_ids": "no_validation",
        "item_ids": "no_validation",
    }

    def _check_params(self):
        validate_parameter_constraints(
            self._parameter_constraints,
            self.get_params(deep=False),
            caller_name=type(self).__name__,
        )
        loss = self._loss
        if loss.ratings and self.positive_threshold is not None:
            raise ValueError(
                f"positive_threshold must be None with loss={self.loss!r}, which fits the "
                f"ratings themselves; got {self.positive_threshold!r}. The threshold turns "
                "ratings into positives for the implicit losses "
                f"{sorted(name for name, other in LOSSES.items() if not other.ratings)}."
            )
        if loss.paired and self._n_negatives() < 1:
            raise ValueError(
                f"n_negatives must be >= 1 with loss={self.loss!r}, which compares each positive "
                f"with its negatives; got {self.n_negatives!r}."
            )
        if (
            not self.store_seen
            and self.negative_sampling == "unseen"
            and loss.samples_negatives
            and self._n_negatives()
        ):
            raise ValueError(
                'negative_sampling="unseen" rejects the items each user has seen, which '
                f"store_seen=False does not keep (loss={self.loss!r} samples negatives). Set "
                'negative_sampling="uniform", or store_seen=True.'
            )
        if self.sparse and loss.full_catalogue:
            raise ValueError(
                f'sparse=True does not work with loss="{self.loss}": every step of a full '
                "softmax uses every item, so the item gradients are dense. Use "
                'loss="sampled_softmax", or sparse=False.'
            )
        self._check_module_params()

    def _check_params_read_after_fit(self, *names):
        """Validate parameters that predictions read, which set_params may have changed."""
        validate_parameter_constraints(
            {name: self._parameter_constraints[name] for name in names},
            {name: getattr(self, name) for name in names},
            caller_name=type(self).__name__,
        )

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        # The positives are read from the ratings y.
        tags.target_tags.required |= self.positive_threshold is not None
        return tags

    @property
    def _loss(self):
        """The :class:`~sklearn_rec.models._losses.Loss` named by ``loss``."""
        try:
            return LOSSES[self.loss]
        except (KeyError, TypeError):
            self._check_params_read_after_fit("loss")
            raise

    @property
    def _predicts_ratings(self):
        return self.loss in LOSSES and self._loss.ratings

    def _weight_decay(self):
        """The L2 penalty in force (subclasses may resolve a default)."""
        return self.weight_decay

    def _fold_in_penalty(self, n_history):
        """The L2 penalty of a user folded in from ``n_history`` examples.

        ``weight_decay`` per example, as in training, plus what
        ``fold_in_shrinkage`` more examples would charge.
        """
        # A model pickled before the parameter existed folds in as it did.
        if not hasattr(self, "fold_in_shrinkage"):
            return self._weight_decay() * n_history
        self._check_params_read_after_fit("fold_in_shrinkage")
        return self._weight_decay() * (n_history + self.fold_in_shrinkage)

    def _n_negatives(self):
        """The sampled negatives per positive in force (subclasses may resolve a default)."""
        return self.n_negatives

    def _check_module_params(self):
        """Validate the hyperparameters of the module (subclasses)."""

    def _module_params(self):
        """Keyword arguments of the module from the hyperparameters (subclasses)."""
        raise NotImplementedError

    # -- skorch hooks ------------------------------------------------------------

    def initialize_module(self):
        if not hasattr(self, "n_users_"):
            raise RuntimeError(f"{type(self).__name__} builds its module in fit; call fit.")
        kwargs = {
            **self._module_params(),
            "sparse": self.sparse,
            "user_features": self._user_encoder,
            "item_features": self._item_encoder,
            "feature_scale": self.feature_scale,
            **self.get_params_for("module"),
        }
        self.module_ = self.module(n_users=self.n_users_, n_items=self.n_items_, **kwargs)
        return self

    def initialize_optimizer(self, triggered_directly=None):
        # Lazy Adam for the tables with sparse gradients, ``optimizer`` for the rest.
        tables = self._sparse_tables()
        in_tables = {id(table) for table in tables}
        dense = [(name, p) for name, p in self.get_all_learnable_params() if id(p) not in in_tables]
        args, kwargs = self.get_params_for_optimizer("optimizer", dense)
        if tables:
            adam = {key: kwargs[key] for key in ("betas", "eps") if key in kwargs}
            self.sparse_optimizer_ = torch.optim.SparseAdam(tables, lr=self.lr, **adam)
        elif hasattr(self, "sparse_optimizer_"):
            del self.sparse_optimizer_  # refitted with sparse=False (skorch unregisters it)
        # The fused kernels update all parameters in one pass: about 1.3x faster
        # epochs than the per-tensor default for MF on CPU. An explicit
        # ``optimizer__fused`` wins.
        if self.optimizer in _FUSED_OPTIMIZERS and torch.device(self.device).type in (
            "cpu",
            "cuda",
        ):
            kwargs.setdefault("fused", True)
        self.optimizer_ = self.optimizer(*args, **kwargs)
        return self

    def _sparse_tables(self):
        """The weights of the embedding tables with sparse gradients."""
        return [
            layer.weight
            for layer in self._unwrapped_module().modules()
            if isinstance(layer, torch.nn.Embedding | torch.nn.EmbeddingBag) and layer.sparse
        ]

    def _step_optimizer(self, step_fn):
        # skorch steps each optimizer with the closure, which would compute
        # the loss and gradients once per optimizer: compute them once.
        if len(self._optimizers) == 1:
            return super()._step_optimizer(step_fn)
        step_fn()
        for name in self._optimizers:
            getattr(self, name + "_").step()

    def initialize_criterion(self):
        self.criterion_ = self._loss.criterion(**self.get_params_for("criterion"))
        return self

    def get_dataset(self, X, y=None):
        """Encode raw ``(user, item)`` rows (and ``y``) into a dataset."""
        if is_dataset(X):
            return X
        users, items = self._validate_X(X)
        return self._encoded_dataset(users, items, self._training_target(y, len(users)))

    def _training_target(self, y, n_rows, *, check_range=False):
        """``y`` as the loss takes it: ratings, or 0/1 labels.

        With ``positive_threshold``, ``y`` holds ratings and the labels are
        ``y >= positive_threshold`` (``check_range``: see ``threshold_labels``).
        """
        threshold = self.positive_threshold
        if threshold is None or y is None:
            return check_target(y, n_rows, binary=not self._loss.ratings)
        return threshold_labels(y, n_rows, threshold, check_range=check_range)

    def _encoded_dataset(self, users, items, y):
        user_codes, item_codes = (
            self._user_vocabulary.encode(users),
            self._item_vocabulary.encode(items),
        )
        # Ids known from the feature tables alone have no row in seen_ and no
        # id embedding: training on them needs a refit, as for new ids.
        user_codes[user_codes >= self.n_users_] = UNKNOWN
        item_codes[item_codes >= self.n_items_] = UNKNOWN
        for name, ids, codes in (("user", users, user_codes), ("item", items, item_codes)):
            given = f"{name}_ids"
            if getattr(self, given) is None:
                fixed = (
                    "The vocabularies are fixed by fit: refit to add users or items, or list "
                    "every id up front in user_ids and item_ids."
                )
                self._check_known(name, ids, codes, always=fixed)
            elif (codes == UNKNOWN).any():
                raise _unknown_error(
                    name,
                    ids,
                    codes,
                    f"{given} fixes the {name}s: list every {name} id there.",
                    where=f"not in {given}",
                )
        return InteractionDataset(user_codes, item_codes, y)

    def _iterator_batch_size(self, n_rows, training):
        """The rows per batch of ``get_iterator`` over ``n_rows`` rows."""
        prefix = "iterator_train" if training else "iterator_valid"
        batch_size = self._resolved_batch_size(n_rows)
        if not training:
            batch_size = max(batch_size, self._predict_batch_size)
        batch_size = self.get_params_for(prefix).get("batch_size", batch_size)
        return n_rows if batch_size == -1 else batch_size

    def _n_batches(self, n_rows, training=False):
        """The batches of ``get_iterator`` over ``n_rows`` rows (this replica's share)."""
        prefix = "iterator_train" if training else "iterator_valid"
        num_replicas = self.get_params_for(prefix).get("num_replicas", 1)
        batch_size = max(1, self._iterator_batch_size(n_rows, training))
        return math.ceil(n_rows // num_replicas / batch_size)

    def get_iterator(self, dataset, training=False):
        prefix = "iterator_train" if training else "iterator_valid"
        kwargs = self.get_params_for(prefix)
        batch_size = self._iterator_batch_size(len(dataset), training)
        # Data-parallel training: this process's share of each epoch.
        num_replicas = check_positive_int(kwargs.get("num_replicas", 1), f"{prefix}__num_replicas")
        rank = check_positive_int(kwargs.get("rank", 0), f"{prefix}__rank", minimum=0)
        if rank >= num_replicas:
            raise ValueError(
                f"{prefix}__rank must be < {prefix}__num_replicas={num_replicas}, got {rank}."
            )
        sampler = None
        if training and self._loss.samples_negatives and self._n_negatives():
            seen = self.seen_ if self.negative_sampling == "unseen" else None
            sampler = NegativeSampler(
                self.n_items_,
                self._n_negatives(),
                seen,
                device=self.device,
                generator=self._replica_generator(num_replicas, rank),
            )
        return InteractionIterator(
            dataset,
            batch_size,
            shuffle=kwargs.get("shuffle", training),
            sampler=sampler,
            loss=self._loss,
            device=self.device,
            num_replicas=num_replicas,
            rank=rank,
        )

    # batch_size="auto": this many rows at most, and at least this many
    # batches an epoch, so that small data sets get enough optimizer steps.
    _auto_batch_size = 256
    _auto_min_batches = 10

    def _resolved_batch_size(self, n_rows):
        if self.batch_size != "auto":
            return self.batch_size
        return max(1, min(self._auto_batch_size, -(-n_rows // self._auto_min_batches)))

    def _replica_generator(self, num_replicas, rank):
        """The random generator of replica ``rank``'s negatives, or ``None`` for torch's global one.

        Every replica shares the global RNG's state, which must stay in step
        across them for the shares of each epoch's permutation to be
        disjoint. Negatives drawn from it would repeat on every replica; so
        each draws them from its own generator, seeded from the shared state
        and its rank. A single process keeps the global RNG, and the
        negatives it always drew.
        """
        if num_replicas == 1:
            return None
        # Drawn by every replica alike, so the global RNG stays in step.
        seed = int(torch.randint(2**62, ()))
        return torch.Generator(device=self.device).manual_seed(seed + rank)

    def train_step_single(self, batch, **fit_params):
        # skorch's step, but a batch that pays the penalty asks the module for
        # it with the scores, computed from the embedding rows they gathered;
        # the step's y_pred (what callbacks see) stays the scores.
        self._set_training(True)
        Xi, yi = unpack_data(batch)
        if self._weight_decay() and not self._loss.full_catalogue:
            fit_params = {**fit_params, "penalty": True}
        y_pred = self.infer(Xi, **fit_params)
        loss = self.get_loss(y_pred, yi, X=Xi, training=True)
        loss.backward()
        return {"loss": loss, "y_pred": y_pred[0] if isinstance(y_pred, tuple) else y_pred}

    def get_loss(self, y_pred, y_true, X=None, training=False):
        loss = self._loss
        module = self._unwrapped_module()
        y_pred, penalty = y_pred if isinstance(y_pred, tuple) else (y_pred, None)
        value = loss.value(
            self.criterion_,
            y_pred,
            y_true,
            X,
            lambda users: module.score_matrix(users, self._training_items()),
        )
        weight_decay = self._weight_decay()
        if training and weight_decay:
            if penalty is None:  # not from the forward pass: a full softmax
                penalty = module.penalty(X["user"], None if loss.full_catalogue else X["item"])
            value = value + weight_decay * penalty.mean()
        return value

    def _training_items(self):
        """The items of ``X`` as an index tensor, or ``None`` when they are all items.

        Items known only from ``item_features`` are recommended, but a model
        trained against them would learn that they are never chosen.
        """
        if self._n_catalogue() == self.n_items_:
            return None
        return torch.arange(self.n_items_, device=self.device)

    def _unwrapped_module(self):
        """``module_`` without a ``DistributedDataParallel`` wrapper (data-parallel training).

        The wrapper exposes only ``forward``; the losses also need the
        module's own methods. Gradients through them are averaged all the
        same, since the wrapper hooks the parameters.
        """
        return getattr(self.module_, "module", self.module_)

    @contextmanager
    def _seeded(self, offset=0):
        """Run with torch's global RNG seeded from ``random_state``, then restore it."""
        seed = check_random_state(self.random_state).randint(np.iinfo(np.int32).max - 1024)
        device = torch.device(self.device)
        devices = [device.index or 0] if device.type == "cuda" else []
        with torch.random.fork_rng(devices=devices):
            torch.manual_seed(seed + offset)
            yield

    # -- fitting -----------------------------------------------------------------

    def fit(self, X: Interactions, y: Target = None, **fit_params: Any) -> Self:
        """Fit the model to interactions.

        Parameters
        ----------
        X : array-like or DataFrame of shape (n_samples, n_columns >= 2)
            One interaction per row: user ids in column 0, item ids in column
            1 (any hashable ids), optional further columns.
        y : array-like of shape (n_samples,), default=None
            Ratings for ``loss="mse"`` (required), and for the other losses
            with ``positive_threshold`` (required; the rows rated at least
            the threshold are the positives). Otherwise optional 0/1
            labels; ``None`` makes every row a positive.
        **fit_params : dict
            Passed to skorch's training loop.

        Returns
        -------
        self : object

        Raises
        ------
        KeyboardInterrupt
            When training is interrupted (Ctrl-C, SIGINT). skorch would return
            normally with a partly trained model; here the interrupt goes on
            to the caller, so that a script, a pipeline or a search stops
            instead of using that model. The estimator keeps the epochs
            trained so far (``n_iter_``, ``history_``) for a caller that
            catches the interrupt. A callback that raises
            ``KeyboardInterrupt`` to end training (skorch's
            ``EarlyStopping``) and ``early_stopping`` still stop normally.
        """
        return self._fit(X, y, fit_params, allow_early_stopping=True)

    def _fit(self, X, y, fit_params, *, allow_early_stopping):
        """``fit``; ``allow_early_stopping=False`` turns early stopping off for this call."""
        self._check_params()
        # fit builds the optimizer, criterion and history afresh, so a model
        # trimmed for prediction trains again like any other.
        vars(self).pop("_trimmed_for_prediction", None)
        users, items = check_interactions(X)
        self._check_y_given(y)
        y = self._training_target(y, len(users), check_range=True)
        self._check_labels(y)
        validate_data(self, X, reset=True, skip_check_array=True)
        self._fit_vocabulary(users, items)
        dataset = self._encoded_dataset(users, items, y)
        self._y_mean = 0.0 if y is None else float(y.mean())
        self._y_range = None
        if y is not None:
            self._extend_y_range(y)
        # The dataset holds what training needs: free the float64 copy of y
        # (200 MB at 25M rows) before the peak of building seen_.
        del users, items, y
        self.seen_ = None
        self._item_rows = None
        self._ratings = self._positive_pairs = None
        validation = self._validation_rows(dataset) if allow_early_stopping else None
        train = dataset if validation is None else dataset.subset(np.flatnonzero(~validation))
        self._record_seen(train)
        if validation is not None:
            held_out = dataset.subset(np.flatnonzero(validation))
            self._monitor = ValidationMonitor(
                held_out.user.numpy(),
                held_out.item.numpy(),
                None if held_out.y is None else held_out.y.numpy(),
                ratings=self._loss.ratings,
                n_iter_no_change=self.n_iter_no_change,
                tol=self.tol,
                random_state=check_random_state(self.random_state),
            )
        del dataset
        with self._seeded(), watch_interrupts() as interrupt, quiet_queries():
            self.initialize()
            try:
                NeuralNet.partial_fit(self, train, None, **fit_params)
            finally:
                monitor, self._monitor = self._monitor, None
        self.n_iter_ = self._epochs_trained()
        self.best_score_ = self.validation_scores_ = None
        if monitor is not None and monitor.best_state is not None:
            # The best epoch's weights; the held-out pairs join seen_, so
            # that recommendations leave them out like every pair of X.
            self._unwrapped_module().load_state_dict(monitor.best_state)
            self.best_score_ = monitor.best_score
            self.validation_scores_ = monitor.scores
            self._record_seen(held_out)
            if self.verbose:
                self._report_early_stopping(monitor)
        self._raise_if_interrupted(interrupt, "fit")
        return self

    def _report_early_stopping(self, monitor):
        """Say (where the epoch log goes) why training stopped, and which weights are kept."""
        last, best = len(monitor.scores), monitor.best_epoch
        kept = f"the weights of epoch {best} (validation_score={monitor.best_score:.4f})"
        if monitor.stop and last < self.max_epochs:
            text = (
                f"Stopped early after epoch {last}/{self.max_epochs}: validation_score has not "
                f"improved by more than tol={self.tol:g} for {self.n_iter_no_change} epochs. "
                f"Kept {kept}."
            )
        elif best < last:
            text = f"Kept {kept}, the best of the {last} epochs."
        else:
            return
        log = dict(self.callbacks_ or []).get("print_log")
        getattr(log, "sink", print)(text)

    def _extend_y_range(self, y):
        """Widen ``_y_range``, the lowest and highest training rating, to cover ``y``."""
        low, high = float(y.min()), float(y.max())
        if self._y_range is not None:
            low, high = min(low, self._y_range[0]), max(high, self._y_range[1])
        self._y_range = (low, high)

    def _epochs_trained(self):
        """Epochs whose training pass completed (an interrupted one has no train_loss)."""
        return sum("train_loss" in row for row in self.history_)

    def _raise_if_interrupted(self, interrupt, method):
        if interrupt.received:
            raise KeyboardInterrupt(
                f"{type(self).__name__}.{method} was interrupted; the model holds the "
                f"{self.n_iter_} epoch(s) trained so far (n_iter_)."
            )

    def _validation_rows(self, dataset):
        """Mask of the rows held out for early stopping, or ``None`` without it."""
        enabled = self.early_stopping
        if enabled == "auto":
            enabled = len(dataset) >= AUTO_MIN_ROWS
        if not enabled or self.max_epochs == 0:
            return None
        mask = holdout(
            dataset.user.numpy(),
            dataset.item.numpy(),
            self.validation_fraction,
            check_random_state(self.random_state),
        )
        return mask if mask.any() else None

    def on_epoch_begin(self, net, **kwargs):
        # Stopping here rather than at the end of the epoch lets the
        # callbacks (PrintLog) see the last epoch; before the new history row.
        # skorch ends training on a KeyboardInterrupt; watch_interrupts tells
        # this one from a user's Ctrl-C.
        if self._monitor is not None and self._monitor.stop:
            raise KeyboardInterrupt
        super().on_epoch_begin(net, **kwargs)

    def on_batch_end(self, net, batch=None, training=False, **kwargs):
        super().on_batch_end(net, batch=batch, training=training, **kwargs)
        loss = kwargs.get("loss")
        # skorch has already read the loss to the CPU: checking it costs nothing more.
        if training and loss is not None and not np.isfinite(loss.item()):
            raise self._divergence_error(f"the training loss became {loss.item()}")

    def on_epoch_end(self, net, **kwargs):
        super().on_epoch_end(net, **kwargs)
        # A last step may leave non-finite weights that no batch's loss showed.
        for name, parameter in self._unwrapped_module().named_parameters():
            if not torch.isfinite(parameter).all():
                raise self._divergence_error(f"the parameter {name} holds NaN or inf")
        if self._monitor is not None:
            self._monitor.update(self)
            self.history.record("validation_score", self._monitor.scores[-1])

    def _divergence_error(self, what):
        """The error that stops a training that diverged, saying what to change.

        As scikit-learn's SGD estimators do: a model of NaN would otherwise
        predict NaN and recommend arbitrary items without a word.
        """
        hint = f"lower the learning rate (lr={self.lr!r})"
        if self._loss.ratings and self._y_range is not None:
            low, high = self._y_range
            hint += f", or bring y to a smaller scale (its values span {low:g} to {high:g})"
        return ValueError(
            f"{type(self).__name__} diverged: {what} in epoch {len(self.history)}. To train "
            f"it, {hint}."
        )

    def _check_labels(self, y):
        """Refuse 0/1 labels from which a ranking loss learns nothing."""
        loss = self._loss
        if loss.ratings:
            return
        if y is not None and not (y > 0).any():
            raise ValueError(
                f"y holds no positive label (every value is 0): loss={self.loss!r} learns "
                "from the positive rows, so there is nothing to train on. Pass y=None to make "
                "every row a positive, or labels with 1 for the interactions that happened."
            )
        if loss.samples_negatives and self._n_negatives() == 0 and (y is None or y.all()):
            given = "y=None makes every row a positive" if y is None else "y holds only 1s"
            raise ValueError(
                f"loss={self.loss!r} with n_negatives=0 trains on the labels of y alone, and "
                f"{given}: the model would learn that every pair is a positive. Set "
                "n_negatives >= 1 to sample negatives, or pass y with 0 labels as well."
            )

    def _check_y_given(self, y):
        if y is not None:
            return
        if self._loss.ratings:
            raise ValueError(
                f"{type(self).__name__} requires y to be passed, but the target y is None: "
                "loss='mse' trains on explicit ratings. Use loss='bce' or 'bpr' for implicit "
                "feedback."
            )
        if self.positive_threshold is not None:
            raise missing_ratings_error(type(self).__name__, self.positive_threshold)

    def partial_fit(
        self, X: Interactions, y: Target = None, classes: Any = None, **fit_params: Any
    ) -> Self:
        """Continue training on more interactions of known users and items.

        Trains ``max_epochs`` more epochs on ``X`` without re-initialising the
        model, and adds the new pairs to ``seen_`` (with ``store_seen=False``,
        only its rows to the item counts). On an unfitted estimator
        it is :meth:`fit`. New users or items are an error: the vocabularies
        are fixed by ``fit``. To train on chunks of data that does not fit
        in memory, list every id up front in ``user_ids`` and ``item_ids``:
        the first call builds the model for all of them.

        Parameters
        ----------
        X, y, **fit_params
            As in :meth:`fit`.
        classes : None
            Ignored: the parameter of scikit-learn's incremental-learning
            protocol, kept as in skorch's ``NeuralNet.partial_fit`` (whose
            metadata-routing declaration names it).

        Returns
        -------
        self : object

        Raises
        ------
        KeyboardInterrupt
            When training is interrupted, as in :meth:`fit`.
        """
        if not self.__sklearn_is_fitted__():
            # The first chunk of a stream: no early stopping, which would
            # hold out part of this chunk and stop on it alone.
            return self._fit(X, y, fit_params, allow_early_stopping=False)
        if getattr(self, "_trimmed_for_prediction", False):
            # Before seen_ changes: a failed call leaves the model as it was.
            raise SkorchTrainingImpossibleError(
                f"This {type(self).__name__} was trimmed for prediction: partial_fit cannot "
                "continue training without the optimizer state. Call fit to train afresh."
            )
        self._check_params()
        if self.store_seen != (self.seen_ is not None):
            raise ValueError(
                f"store_seen={self.store_seen} differs from the fitted model, which "
                f"{'does not store' if self.seen_ is None else 'stores'} seen_: partial_fit "
                "cannot change it. Set store_seen back, or call fit to train afresh."
            )
        self._check_y_given(y)
        dataset = self.get_dataset(X, y)
        self._record_seen(dataset)
        if dataset.y is not None and self._loss.ratings:
            self._extend_y_range(dataset.y)
        with (
            self._seeded(offset=len(self.history_)),
            watch_interrupts() as interrupt,
            quiet_queries(),
        ):
            NeuralNet.partial_fit(self, dataset, None, **fit_params)
        self.n_iter_ = self._epochs_trained()
        self._raise_if_interrupted(interrupt, "partial_fit")
        return self

    def _record_seen(self, dataset):
        """Add the pairs of ``dataset`` to ``seen_``, or only count its rows per item.

        With ``store_seen=False`` the memory kept does not grow with the data:
        ``seen_`` stays ``None`` and the item popularity of the fallback is
        the number of training rows per item (``_item_rows``).
        """
        users, items = dataset.user.numpy(), dataset.item.numpy()
        if not self.store_seen:
            rows = np.bincount(items, minlength=self.n_items_)
            self._item_rows = rows if self._item_rows is None else self._item_rows + rows
            return
        self._record_history(users, items, None if dataset.y is None else dataset.y.numpy())
        new = interaction_matrix(users, items, (self.n_users_, self.n_items_))
        self.seen_ = new if self.seen_ is None else add_interactions(self.seen_, new)

    def _record_history(self, users, items, y):
        """Keep what ``explain`` needs of the training histories beyond ``seen_`` (not yet updated).

        Ratings: each pair's mean rating over the rows given (``_ratings``,
        float32; a pair given again by ``partial_fit`` takes its mean in the
        new rows). Implicit feedback: the positive pairs (``_positive_pairs``)
        once a row is labelled 0; until then ``seen_`` holds exactly the
        positives.
        """
        shape = (self.n_users_, self.n_items_)
        if self._loss.ratings:
            self._ratings = mean_ratings(users, items, y, shape, previous=self._ratings)
        else:
            positive = None if y is None else y > 0
            self._positive_pairs = add_positive_pairs(
                self._positive_pairs, self.seen_, users, items, positive, shape
            )

    def _training_history(self, user_code):
        """The item codes of a user's training history, and their mean ratings (or ``None``)."""
        if self.seen_ is None:
            raise ValueError(
                "explain needs the training histories of the users, which this model did not "
                "store (store_seen=False). Fit with store_seen=True."
            )
        user = self._user_vocabulary.ids[user_code]
        if user_code >= self.n_users_:
            raise ValueError(
                f"User {user!r} is known from user_features alone: it has no training history "
                "to explain its scores by."
            )
        positives = self.seen_ if self._positive_pairs is None else self._positive_pairs
        history, ratings = np.sort(positives[user_code].indices), None
        if self._loss.ratings:
            # Looked up, not read from the entries: a rating of 0 has none.
            ratings = self._ratings[user_code].toarray().ravel()[history].astype(np.float64)
        if len(history) == 0:
            raise ValueError(
                f"User {user!r} has no positive interaction in the training data: there is no "
                "history to explain its scores by."
            )
        return history.astype(np.int64), ratings

    def trim_for_prediction(self):
        """Drop what only training needs, in place, and return the estimator.

        Serving needs the module's weights, the vocabularies (``users_``,
        ``items_``) and ``seen_``: they are kept, and so are the parameters,
        so ``predict``, ``recommend``, ``similar_items``, ``score_items`` and
        ``score`` return what they returned before. The optimizer and its
        state (for Adam, two tensors the size of the weights), the criterion,
        the fitted callbacks and ``history_`` are dropped: the pickled model is
        smaller and holds less training machinery.

        This is skorch's ``NeuralNet.trim_for_prediction`` adapted to
        scikit-learn: the parameters (``optimizer``, ``callbacks``, ...) are
        left as they are, so ``get_params`` and ``clone`` still describe the
        estimator, and ``fit`` trains a trimmed model afresh. ``partial_fit``
        raises ``skorch.exceptions.SkorchTrainingImpossibleError``, since
        continuing training needs the optimizer state. To keep the full model
        as well, trim a copy: ``copy.deepcopy(model).trim_for_prediction()``.

        Returns
        -------
        self : object
            The trimmed estimator.

        Notes
        -----
        Fitted estimators, trimmed or not, round-trip through ``pickle`` and
        ``joblib`` with their vocabularies and ``seen_``. A model fitted with
        ``device="cuda"`` loads on a machine without a GPU: skorch maps its
        tensors to the CPU and sets ``device`` to ``"cpu"``, with a
        ``skorch.exceptions.DeviceWarning``. Unpickling runs code from the
        file: load only models you trust.

        Examples
        --------
        >>> import pickle
        >>> from sklearn_rec import MatrixFactorization
        >>> from sklearn_rec.datasets import make_interactions
        >>> X, y = make_interactions(n_users=50, n_items=40, n_interactions=800, random_state=0)
        >>> mf = MatrixFactorization(n_factors=8, max_epochs=5, random_state=0).fit(X, y)
        >>> served = pickle.loads(pickle.dumps(mf)).trim_for_prediction()
        >>> bool((served.predict(X[:5]) == mf.predict(X[:5])).all())
        True
        >>> len(pickle.dumps(served)) < len(pickle.dumps(mf))
        True
        """
        check_is_fitted(self)
        self._set_training(False)
        for name in self._optimizers + self._criteria:
            setattr(self, name + "_", None)
        self.callbacks_ = []
        # A new History rather than clearing the old one: a reference taken
        # earlier (to plot learning curves, say) keeps its data.
        self.history_ = History()
        self._trimmed_for_prediction = True
        return self

    # -- prediction --------------------------------------------------------------

    def _clip_ratings(self, scores):
        """Ratings clipped to the training range under ``clip_ratings``; other scores as they are.

        ``-inf``, which pads short lists, stays: it marks no item.
        """
        if not self._loss.ratings or self._y_range is None:
            return scores
        self._check_params_read_after_fit("clip_ratings")
        if not self.clip_ratings:
            return scores
        return np.where(np.isfinite(scores), np.clip(scores, *self._y_range), scores)

    def _score_pairs(self, user_codes, item_codes):
        """Scores of known ``(user, item)`` index pairs, on the scale of ``predict``."""
        dataset = InteractionDataset(user_codes, item_codes)
        progress = Progress("predict", "pairs", self.verbose)
        outputs = []
        with progress(len(dataset), self._n_batches(len(dataset))) as done:
            for output in self.forward_iter(dataset):
                outputs.append(output)
                done.update(len(output))
        scores = torch.cat(outputs) if outputs else torch.empty(0)
        return self._clip_ratings(self._loss.link(scores).numpy())

    def _fallback_scores(self, user_codes, item_codes):
        return self._clip_ratings(super()._fallback_scores(user_codes, item_codes))

    def _topk_items(self, user_codes, candidates, k, exclude_seen):
        self._set_training(False)
        top, scores = top_items(
            self._unwrapped_module(),
            user_codes,
            k,
            candidates=candidates,
            seen=self.seen_ if exclude_seen else None,
            n_users=self.n_users_,
            n_catalogue=self._n_catalogue(),
            link=self._loss.link,
            budget=self._score_budget,
            device=self.device,
            progress=Progress("recommend", "users", self.verbose),
        )
        return top, self._clip_ratings(scores)

    def _topk_similar(self, item_codes, k):
        self._set_training(False)
        vectors = self._unwrapped_module().item_vectors().detach()
        return top_similar(
            vectors,
            item_codes,
            k,
            budget=self._score_budget,
            device=self.device,
            progress=Progress("similar_items", "items", self.verbose),
        )

    # -- explanations ------------------------------------------------------------

    def _explain_pair(self, user_code, item_code):
        history, ratings = self._training_history(user_code)
        return attribution_explanation(self, item_code, history, ratings)

    # -- fold-in -----------------------------------------------------------------

    def _fold_in_topk(self, history_codes, ratings, candidates, k, exclude_seen):
        self._check_params_read_after_fit("negative_sampling", "n_negatives", "weight_decay")
        state = self._fold_in(history_codes, ratings)
        top, scores = top_items_for_state(
            self._unwrapped_module(),
            state,
            history_codes,
            k,
            candidates=candidates,
            exclude_seen=exclude_seen,
            link=self._loss.link,
            device=self.device,
        )
        return top, self._clip_ratings(scores)

    def _fold_in(self, history_codes, ratings):
        """A new user's state fitted to their history (see ``_fold_in.fold_in``)."""
        self._set_training(False)
        negatives = negative_pool(
            history_codes, self.n_items_, unseen=self.negative_sampling == "unseen"
        )
        return fold_in(
            self._unwrapped_module(),
            self._loss,
            history_codes,
            ratings,
            negatives=negatives,
            n_negatives=self._n_negatives(),
            n_items=self.n_items_,
            penalty=self._fold_in_penalty(len(history_codes)),
            device=self.device,
        )
