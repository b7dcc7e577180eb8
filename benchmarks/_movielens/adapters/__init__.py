"""One adapter per library; every model answers the same methods.

``fit(part) -> self``; ``predict_ratings(users, items) -> (n,)``;
``recommend_top10(users) -> (n_users, 10)`` raw item ids, training items left
out; ``score_pairs(users, items)`` -> scores of the ``(n_users, n_candidates)``
raw items. A ranking-only model has no ``predict_ratings``, a ratings-only
model nothing but ``fit`` and ``predict_ratings``.
"""
