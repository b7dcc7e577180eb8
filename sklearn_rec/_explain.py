"""Explanations of scores: what an estimator's ``_explain_pair`` returns, and the frame built
from it, torch-free.

An explanation of one ``(user, item)`` score is a list of additive parts
(*contributions*) of a score, each with a kind: ``"history"`` (an item the user
interacted with in training), ``"bias"`` (what the score is without any
history: biases, or the score of a user without history), ``"user_feature"``
and ``"item_feature"`` (side features), ``"popularity"`` (a score with no
history term). The contributions of one explanation add up to the score it
explains, exactly or, for attributions, up to ``completeness_error``.
"""

from dataclasses import dataclass

import numpy as np
import pandas as pd

#: Kinds whose key is an item code, shown as the raw item id.
ITEM_KINDS = ("history",)
COLUMNS = ["kind", "id_or_feature", "contribution"]


@dataclass
class Explanation:
    """The contributions to one score, keyed by codes.

    Attributes
    ----------
    kinds : list of str
        The kind of each contribution.
    keys : list
        Item codes for the kinds of ``ITEM_KINDS``, a raw id or a name for
        the others.
    contributions : ndarray of shape (n_contributions,)
    score : float
        The score explained, on the raw scale of the model (logits for
        ``loss="bce"``).
    method : str
        ``"exact"`` or ``"integrated_gradients"``.
    completeness_error : float
        ``|sum(contributions) - score|``.
    """

    kinds: list
    keys: list
    contributions: np.ndarray
    score: float
    method: str
    completeness_error: float = 0.0

    @classmethod
    def exact(cls, kinds, keys, contributions, score):
        """An exact explanation; its completeness error is the rounding of the sum."""
        contributions = np.asarray(contributions, dtype=np.float64)
        error = abs(float(contributions.sum()) - float(score))
        return cls(list(kinds), list(keys), contributions, float(score), "exact", error)


def explanation_frame(explanations, users, items, n, item_ids, single):
    """The frame of ``explain``: the top ``n`` contributions of each explanation by magnitude.

    ``item_ids`` decodes item codes. With ``single`` the frame has the columns
    ``COLUMNS`` and scalar ``attrs``; otherwise a ``pair`` column (the position
    of the pair in the query), ``user`` and ``item`` first, and ``attrs`` of
    one value per pair.
    """
    frames = []
    for pair, explanation in enumerate(explanations):
        kinds = np.asarray(explanation.kinds, dtype=object)
        keys = np.asarray(explanation.keys, dtype=object)
        on_items = np.isin(kinds, ITEM_KINDS)
        if on_items.any():
            keys[on_items] = item_ids[keys[on_items].astype(np.int64)]
        # Largest magnitude first; the stable sort keeps the model's order among ties.
        order = np.argsort(-np.abs(explanation.contributions), kind="stable")[:n]
        frame = pd.DataFrame(
            {
                "kind": kinds[order],
                "id_or_feature": keys[order],
                "contribution": explanation.contributions[order],
            }
        )
        if not single:
            frame.insert(0, "item", [items[pair]] * len(frame))
            frame.insert(0, "user", [users[pair]] * len(frame))
            frame.insert(0, "pair", pair)
        frames.append(frame)
    frame = pd.concat(frames, ignore_index=True)
    # Lists, not arrays: pandas compares the attrs of frames it concatenates.
    attrs = {
        "score": [e.score for e in explanations],
        "method": [e.method for e in explanations],
        "completeness_error": [e.completeness_error for e in explanations],
    }
    frame.attrs = {key: value[0] for key, value in attrs.items()} if single else attrs
    return frame


def fallback_explanation(estimator, user_code, item_code, item):
    """The explanation of a fallback score (an unknown user or item, ``handle_unknown="fallback"``).

    The fallback has no history term: one ``"popularity"`` row (ranking
    losses; 0 for an unknown item) or one ``"bias"`` row (ratings: the global
    mean plus the known biases).
    """
    score = float(estimator._fallback_scores(np.array([user_code]), np.array([item_code]))[0])
    if estimator._predicts_ratings:
        return Explanation.exact(["bias"], ["fallback: mean and known biases"], [score], score)
    return Explanation.exact(["popularity"], [item], [score], score)
