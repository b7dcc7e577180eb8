"""PyTorch modules behind the estimators.

Every module scores ``(user, item)`` index pairs. ``forward(user, item)``
takes ``user`` of shape ``(B,)`` and ``item`` of shape ``(B,)`` or ``(B, K)``
(a positive followed by sampled negatives) and returns raw scores of the
shape of ``item``. ``score_matrix(user, item=None)`` scores every user against
every item (``None``: the whole catalogue), ``(U,) x (I,) -> (U, I)``, without
forming the pairs one by one, into ``out`` when given (a buffer that
``recommend`` reuses across chunks), and up to a per-user constant, which
``user_offset(user)`` returns (``None`` when there is none): adding it only to
the few scores kept for ranking saves a pass over the matrix. ``pair_cost``
says how many floats one pair of ``score_matrix`` needs, to size chunks.
``penalty(user, item)`` is the squared L2 norm of the embeddings each
example uses, for regularisation restricted to the batch; ``item=None``
stands for an example that uses the whole catalogue (a full softmax), whose
item norms are averaged over the catalogue. ``forward(user, item,
penalty=True)`` returns ``(scores, penalty(user, item))``, the penalty
computed from the rows the scores gathered: a training step gathers each
embedding row once.

A user can also be given by free tensors instead of an index, to fold in a
new user: ``new_user()`` returns trainable tensors initialised at the mean
of the trained users' rows (an average user), ``score_user(state, item=None)``
scores that user against items (the per-user constant included), and
``user_penalty(state)`` is the squared L2 norm that ``penalty`` would charge
for that user. ``item_tables()`` lists the item tables an item's score reads
(one row of each), and ``score_state_rows(state, rows)`` scores such a user
against items given by those rows (one ``(B, dim)`` tensor per table): what
``explain`` needs to vary an item's representation.
"""

import torch
from torch import nn

ACTIVATIONS = {
    "relu": nn.ReLU,
    "leaky_relu": nn.LeakyReLU,
    "gelu": nn.GELU,
    "tanh": nn.Tanh,
    "sigmoid": nn.Sigmoid,
}


def _init_weight(weight, init_std):
    """Normal with standard deviation ``init_std``; zeros for ``init_std=0`` (biases)."""
    if init_std:
        nn.init.normal_(weight, std=init_std)
    else:
        nn.init.zeros_(weight)


class FeatureEmbedding(nn.Module):
    """Embeddings of ids plus embeddings of their side features (LightFM-style).

    Row ``e`` is ``id_embedding[e]`` (for the first ``n_ids`` rows, the ids
    seen in training; ``0`` for the rest, known from their features alone)
    plus ``feature_scale`` times the sum of the embeddings of its categorical
    levels, a linear projection of its numeric features and, for a sparse
    encoding (``user_encoder`` / ``item_encoder``), the sum of the embeddings
    of its nonzero columns weighted by their values. It is called like an
    :class:`~torch.nn.Embedding`, and ``weight`` is the table of every row.

    Parameters
    ----------
    n_ids : int
        Number of ids with an own embedding.
    dim : int
        Size of each embedding.
    features : sklearn_rec._features.FeatureEncoder
        ``codes`` of shape ``(n_rows, n_categorical)``, ``-1`` for a level
        without an embedding (it contributes nothing), ``n_levels`` and the
        numeric ``values`` of shape ``(n_rows, n_numeric)``.
    init_std : float
        Standard deviation of the normal initialisation; 0 initialises every
        part at zero (for biases).
    sparse : bool
        Whether the embeddings produce sparse gradients.
    feature_scale : float
        Multiplier of the feature part. The feature weights are shared by
        many rows, so a step of the optimizer on them moves all those rows
        at once; below 1 the feature part starts smaller and, with Adam,
        moves ``feature_scale`` times as fast as the id embeddings.
    """

    def __init__(self, n_ids, dim, features, init_std=0.1, sparse=False, feature_scale=1.0):
        super().__init__()
        self.n_ids = n_ids
        self.feature_scale = feature_scale
        self.ids = nn.Embedding(n_ids, dim, sparse=sparse)
        # The extra last row is the padding row of levels without an embedding.
        n_levels = features.n_levels
        self.levels = nn.Embedding(n_levels + 1, dim, padding_idx=n_levels, sparse=sparse)
        n_numeric = features.values.shape[1]
        self.numeric = nn.Linear(n_numeric, dim, bias=False) if n_numeric else None
        codes = torch.tensor(features.codes, dtype=torch.long)
        self.register_buffer("codes", torch.where(codes >= 0, codes, n_levels))
        self.register_buffer("values", torch.tensor(features.values, dtype=torch.float32))
        # A sparse encoding: an embedding per column, summed with each row's values.
        bag = features.bag
        self.bag = (
            None if bag is None else nn.EmbeddingBag(bag.shape[1], dim, mode="sum", sparse=sparse)
        )
        if bag is not None:
            self.register_buffer("bag_indptr", torch.tensor(bag.indptr, dtype=torch.long))
            self.register_buffer("bag_indices", torch.tensor(bag.indices, dtype=torch.long))
            self.register_buffer("bag_data", torch.tensor(bag.data, dtype=torch.float32))
        parts = [self.ids, self.levels] + ([self.numeric] if n_numeric else [])
        parts += [] if self.bag is None else [self.bag]
        for part in parts:
            _init_weight(part.weight, init_std)
        with torch.no_grad():
            self.levels.weight[n_levels].zero_()

    def forward(self, index):
        known = (index < self.n_ids).unsqueeze(-1)
        own = self.ids(index.clamp(max=self.n_ids - 1)) * known
        features = self.levels(self.codes[index]).sum(-2)
        if self.numeric is not None:
            features = features + self.numeric(self.values[index])
        # getattr: a model pickled before bags existed has none.
        if getattr(self, "bag", None) is not None:
            features = features + self._bag_sum(index)
        return own + self.feature_scale * features

    def _bag_sum(self, index):
        """The rows' sparse features: the sum of their columns' embeddings, weighted."""
        flat = index.reshape(-1)
        starts = self.bag_indptr[flat]
        lengths = self.bag_indptr[flat + 1] - starts
        offsets = torch.cumsum(lengths, 0) - lengths
        total = int(lengths.sum())
        positions = torch.repeat_interleave(starts - offsets, lengths, output_size=total)
        positions = positions + torch.arange(total, device=flat.device)
        summed = self.bag(
            self.bag_indices[positions], offsets, per_sample_weights=self.bag_data[positions]
        )
        return summed.reshape(*index.shape, summed.shape[-1])

    @property
    def weight(self):
        return self(torch.arange(len(self.codes), device=self.codes.device))


def _table(n_ids, dim, features, init_std, sparse, feature_scale):
    """An id embedding table, with side features when there are some."""
    if features is None:
        return nn.Embedding(n_ids, dim, sparse=sparse)
    return FeatureEmbedding(n_ids, dim, features, init_std, sparse, feature_scale)


def _init(table, init_std):
    # A FeatureEmbedding initialises itself; its ``weight`` is computed.
    if isinstance(table, nn.Embedding):
        _init_weight(table.weight, init_std)


def _sq_norm(embedding):
    return embedding.pow(2).sum(-1)


def _per_example(norms):
    """Sum a ``(B,)`` or ``(B, K)`` tensor of norms to ``(B,)``."""
    return norms if norms.dim() == 1 else norms.sum(-1)


def _rows_penalty(rows):
    """``penalty(user, item)`` from the ``(user rows, item rows)`` a forward pass gathered."""
    return sum(_sq_norm(users) + _per_example(_sq_norm(items)) for users, items in rows)


class _PairedTables(nn.Module):
    """What a module whose embeddings come in ``(user table, item table)`` pairs shares.

    ``table_pairs()`` lists the pairs; a score reads one row of each table.
    The penalty, the fold-in state and ``item_tables`` follow from them.
    """

    def table_pairs(self):
        raise NotImplementedError

    def _rows(self, user, item):
        """The ``(user rows, item rows)`` of each pair, gathered once."""
        return [(users(user), items(item)) for users, items in self.table_pairs()]

    def penalty(self, user, item=None):
        if item is not None:
            return _rows_penalty(self._rows(user, item))
        return sum(
            _sq_norm(users(user)) + _sq_norm(items.weight).mean()
            for users, items in self.table_pairs()
        )

    def new_user(self):
        return [
            users.weight.detach().mean(0).clone().requires_grad_(True)
            for users, _ in self.table_pairs()
        ]

    def user_penalty(self, state):
        return sum(_sq_norm(vector) for vector in state)

    def item_tables(self):
        return [items for _, items in self.table_pairs()]


class MatrixFactorizationModule(_PairedTables):
    """Biased matrix factorization: ``mu + b_u + b_i + p_u . q_i``.

    Parameters
    ----------
    n_users, n_items : int
        Sizes of the embedding tables.
    n_factors : int
        Number of latent factors.
    init_std : float
        Standard deviation of the normal initialisation of the factors.
    global_bias : float
        Initial ``mu`` (the mean rating for explicit data).
    sparse : bool
        Whether the embeddings produce sparse gradients.
    user_features, item_features : FeatureEncoder or None
        Side features: the factors and the bias of a user (item) are then
        sums over its id and its features (see :class:`FeatureEmbedding`).
    feature_scale : float
        Multiplier of the feature part (see :class:`FeatureEmbedding`).
    """

    def __init__(
        self,
        n_users,
        n_items,
        n_factors=32,
        init_std=0.1,
        global_bias=0.0,
        sparse=False,
        user_features=None,
        item_features=None,
        feature_scale=1.0,
    ):
        super().__init__()
        scale = feature_scale
        self.user_factors = _table(n_users, n_factors, user_features, init_std, sparse, scale)
        self.item_factors = _table(n_items, n_factors, item_features, init_std, sparse, scale)
        self.user_bias = _table(n_users, 1, user_features, 0.0, sparse, scale)
        self.item_bias = _table(n_items, 1, item_features, 0.0, sparse, scale)
        self.global_bias = nn.Parameter(torch.tensor(float(global_bias)))
        _init(self.user_factors, init_std)
        _init(self.item_factors, init_std)
        _init(self.user_bias, 0.0)
        _init(self.item_bias, 0.0)

    pair_cost = 1

    def table_pairs(self):
        return [(self.user_factors, self.item_factors), (self.user_bias, self.item_bias)]

    def forward(self, user, item, penalty=False):
        rows = self._rows(user, item)
        (p, q), (b_u, b_i) = rows
        if item.dim() == 2:
            p, b_u = p.unsqueeze(1), b_u.unsqueeze(1)
        scores = (p * q).sum(-1) + (b_u + b_i).squeeze(-1) + self.global_bias
        return (scores, _rows_penalty(rows)) if penalty else scores

    def score_matrix(self, user, item=None, out=None):
        if item is None:
            factors, bias = self.item_factors.weight, self.item_bias.weight
        else:
            factors, bias = self.item_factors(item), self.item_bias(item)
        return torch.addmm(bias.T, self.user_factors(user), factors.T, out=out)

    def user_offset(self, user):
        return self.user_bias(user).squeeze(-1) + self.global_bias

    def item_vectors(self):
        return self.item_factors.weight

    def score_user(self, state, item=None):
        p, b_u = state
        if item is None:
            factors, bias = self.item_factors.weight, self.item_bias.weight
        else:
            factors, bias = self.item_factors(item), self.item_bias(item)
        return factors @ p + bias.squeeze(-1) + b_u + self.global_bias

    def score_state_rows(self, state, rows):
        p, b_u = state
        factors, bias = rows
        return factors @ p + bias.squeeze(-1) + b_u + self.global_bias

    def rating_baseline(self):
        """``(mu, b_u, b_i)``: the part of a score that needs only one id."""
        return (
            self.global_bias,
            self.user_bias.weight.squeeze(-1),
            self.item_bias.weight.squeeze(-1),
        )


class NCFModule(_PairedTables):
    """Neural collaborative filtering (He et al., WWW 2017).

    The user and item embeddings are concatenated and fed to an MLP
    (``architecture="mlp"``). With ``architecture="neumf"`` a generalised
    matrix factorisation branch (the element-wise product of a second pair of
    embeddings) is concatenated with the last hidden layer before the output
    layer, as in NeuMF.

    Parameters
    ----------
    n_users, n_items : int
        Sizes of the embedding tables.
    embedding_dim : int
        Size of each embedding.
    hidden_units : tuple of int
        Widths of the hidden layers.
    dropout : float
        Dropout after each hidden layer.
    activation : str
        One of ``ACTIVATIONS``.
    architecture : {"mlp", "neumf"}
    init_std : float
        Standard deviation of the normal initialisation of the embeddings.
        NCF's 0.01 leaves small data sets stuck at the constant solution
        with several sampled negatives; 0.1 does not.
    output_bias : float
        Initial bias of the output layer (the mean rating for explicit data).
    sparse : bool
        Whether the embeddings produce sparse gradients.
    user_features, item_features : FeatureEncoder or None
        Side features: every embedding of a user (item) is then a sum over
        its id and its features (see :class:`FeatureEmbedding`).
    feature_scale : float
        Multiplier of the feature part (see :class:`FeatureEmbedding`).
    """

    def __init__(
        self,
        n_users,
        n_items,
        embedding_dim=16,
        hidden_units=(32, 16),
        dropout=0.0,
        activation="relu",
        architecture="mlp",
        init_std=0.1,
        output_bias=0.0,
        sparse=False,
        user_features=None,
        item_features=None,
        feature_scale=1.0,
    ):
        super().__init__()
        self.embedding_dim = embedding_dim
        dim, scale = embedding_dim, feature_scale
        self.user_embedding = _table(n_users, dim, user_features, init_std, sparse, scale)
        self.item_embedding = _table(n_items, dim, item_features, init_std, sparse, scale)
        layers, width = [], 2 * embedding_dim
        for units in hidden_units:
            layers += [nn.Linear(width, units), ACTIVATIONS[activation](), nn.Dropout(dropout)]
            width = units
        self.mlp = nn.Sequential(*layers)
        self.neumf = architecture == "neumf"
        if self.neumf:
            self.user_gmf = _table(n_users, dim, user_features, init_std, sparse, scale)
            self.item_gmf = _table(n_items, dim, item_features, init_std, sparse, scale)
            width += embedding_dim
        self.output = nn.Linear(width, 1)
        for pair in self.table_pairs():
            for table in pair:
                _init(table, init_std)
        nn.init.constant_(self.output.bias, output_bias)
        first = hidden_units[0] if hidden_units else 2 * embedding_dim
        self.pair_cost = first + (embedding_dim if self.neumf else 0)

    def table_pairs(self):
        pairs = [(self.user_embedding, self.item_embedding)]
        return [*pairs, (self.user_gmf, self.item_gmf)] if self.neumf else pairs

    def forward(self, user, item, penalty=False):
        rows = self._rows(user, item)
        (p, q), pairs = rows[0], item.dim() == 2
        hidden = self.mlp(torch.cat([p.unsqueeze(1).expand_as(q) if pairs else p, q], dim=-1))
        if self.neumf:
            g, h = rows[1]
            hidden = torch.cat([hidden, (g.unsqueeze(1) if pairs else g) * h], dim=-1)
        scores = self.output(hidden).squeeze(-1)
        return (scores, _rows_penalty(rows)) if penalty else scores

    def score_matrix(self, user, item=None, out=None):
        gmf = self.user_gmf(user) if self.neumf else None
        return self._score_users(self.user_embedding(user), gmf, item, out)

    def _score_users(self, p, gmf, item, out=None):
        """``score_matrix`` of users given by their embeddings ``p`` (and GMF ones)."""
        q = self.item_embedding.weight if item is None else self.item_embedding(item)
        if len(self.mlp):
            # The first layer of the MLP is linear in the concatenation
            # [p, q]: apply its two halves to the U users and the I items
            # separately and broadcast, instead of forming U * I inputs.
            first, d = self.mlp[0], self.embedding_dim
            hidden = (p @ first.weight[:, :d].T + first.bias).unsqueeze(1)
            hidden = self.mlp[1:](hidden + (q @ first.weight[:, d:].T).unsqueeze(0))
        else:
            hidden = torch.cat(
                [p.unsqueeze(1).expand(-1, len(q), -1), q.unsqueeze(0).expand(len(p), -1, -1)],
                dim=-1,
            )
        if self.neumf:
            q_gmf = self.item_gmf.weight if item is None else self.item_gmf(item)
            hidden = torch.cat([hidden, gmf.unsqueeze(1) * q_gmf.unsqueeze(0)], dim=-1)
        scores = torch.matmul(hidden, self.output.weight[0], out=out)
        return scores.add_(self.output.bias)

    def score_user(self, state, item=None):
        gmf = state[1].unsqueeze(0) if self.neumf else None
        return self._score_users(state[0].unsqueeze(0), gmf, item)[0]

    def score_state_rows(self, state, rows):
        q = rows[0]
        hidden = self.mlp(torch.cat([state[0].expand(len(q), -1), q], dim=-1))
        if self.neumf:
            hidden = torch.cat([hidden, state[1] * rows[1]], dim=-1)
        return self.output(hidden).squeeze(-1)

    def user_offset(self, user):
        return None

    def item_vectors(self):
        if self.neumf:
            return torch.cat([self.item_embedding.weight, self.item_gmf.weight], dim=1)
        return self.item_embedding.weight
