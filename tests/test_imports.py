"""The torch-free parts of the package import without PyTorch."""

import subprocess
import sys

import pytest


@pytest.mark.parametrize("module", ["metrics", "model_selection", "datasets", "rerank"])
def test_submodule_does_not_import_torch(module):
    code = (
        f"import sys, sklearn_rec.{module}\n"
        "loaded = sorted(m for m in ('torch', 'skorch') if m in sys.modules)\n"
        "assert not loaded, loaded\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


def test_estimators_load_on_first_access():
    import sklearn_rec
    from sklearn_rec.models import MatrixFactorization, NeuralRecommender

    assert sklearn_rec.MatrixFactorization is MatrixFactorization
    assert sklearn_rec.NeuralRecommender is NeuralRecommender
    assert {"EASE", "MatrixFactorization", "NeuralRecommender", "metrics"} <= set(dir(sklearn_rec))
    with pytest.raises(AttributeError, match="no attribute 'Recommender'"):
        sklearn_rec.Recommender  # noqa: B018


def test_baselines_fit_and_recommend_without_torch():
    code = (
        "import sys\n"
        "from sklearn_rec import EASE, ItemKNN, PopularityRecommender\n"
        "X = [[0, 1], [0, 2], [1, 2], [1, 3], [2, 1], [2, 3]]\n"
        "for model in (EASE(), ItemKNN(), PopularityRecommender()):\n"
        "    model.fit(X).recommend([0, 1], n=2)\n"
        "loaded = sorted(m for m in ('torch', 'skorch') if m in sys.modules)\n"
        "assert not loaded, loaded\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


def test_the_package_ships_its_type_information():
    # PEP 561: without py.typed beside the modules, type checkers ignore the hints.
    from importlib.resources import files

    assert files("sklearn_rec").joinpath("py.typed").is_file()


def test_show_versions_loads_without_torch():
    code = (
        "import sys\nfrom sklearn_rec import show_versions\n"
        "assert 'torch' not in sys.modules, 'torch loaded'\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)
