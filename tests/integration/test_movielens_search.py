"""Tuning on MovieLens-100K with plain scikit-learn tools, end to end."""

import numpy as np
from sklearn.model_selection import GridSearchCV

from sklearn_rec import NeuralRecommender
from sklearn_rec.datasets import fetch_movielens
from sklearn_rec.metrics import make_ranking_scorer
from sklearn_rec.model_selection import UserHoldoutSplit


def test_grid_search_neural_recommender_on_ml100k(movielens_home):
    X, _ = fetch_movielens("100k", data_home=movielens_home, return_X_y=True)
    scoring = {
        "ndcg": make_ranking_scorer("ndcg", k=10),
        "recall": make_ranking_scorer("recall", k=10),
        "hit_rate": make_ranking_scorer("hit_rate", k=10),
    }
    search = GridSearchCV(
        NeuralRecommender(max_epochs=2, batch_size=1024, random_state=0),
        {"embedding_dim": [8, 16]},
        cv=UserHoldoutSplit(random_state=0),
        scoring=scoring,
        refit="ndcg",
        error_score="raise",
    ).fit(X)
    results = search.cv_results_
    for name in scoring:
        assert ((results[f"mean_test_{name}"] > 0) & (results[f"mean_test_{name}"] < 1)).all()
    assert (results["mean_test_hit_rate"] > results["mean_test_ndcg"]).all()
    assert search.best_index_ == np.argmax(results["mean_test_ndcg"])
    model = search.best_estimator_
    assert model.n_users_ == 943 and model.n_items_ == 1682 and model.n_features_in_ == 3
    items, _ = model.recommend([1, 2], n=10)
    assert items.shape == (2, 10)
