"""Every example script runs to completion."""

import runpy
from pathlib import Path

import pytest

EXAMPLES = sorted((Path(__file__).parents[1] / "examples").glob("*.py"))


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.name)
def test_example_runs(path, capsys):
    runpy.run_path(str(path), run_name="__main__")
    assert capsys.readouterr().out.strip()


def test_demo_prints_the_table(capsys):
    from sklearn_rec.cli import main

    assert main(["demo"]) == 0
    out = capsys.readouterr().out
    for name in ("Baseline", "MatrixFactorization(loss='mse')", "NeuralRecommender(neumf, bce)"):
        assert name in out
    assert "Top 10 for user" in out
