"""Every example script runs to completion."""

import runpy
from pathlib import Path

import matplotlib
import pytest

EXAMPLES = sorted((Path(__file__).parents[2] / "examples").glob("*.py"))


@pytest.fixture
def example_settings():
    """Draw figures off screen, on one thread; restore both afterwards.

    The example models are small: one thread loses little on an idle machine,
    while one thread per core made them 10-20x slower on a 2-core machine
    shared with other busy processes.
    """
    import matplotlib.pyplot as plt
    import torch
    from threadpoolctl import threadpool_limits

    backend, threads = matplotlib.get_backend(), torch.get_num_threads()
    plt.switch_backend("Agg")
    torch.set_num_threads(1)
    with threadpool_limits(1):
        yield
    plt.close("all")
    plt.switch_backend(backend)
    torch.set_num_threads(threads)


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.name)
def test_example_runs(path, capsys, monkeypatch, request, example_settings):
    if "fetch_movielens" in path.read_text():
        # Read the local copy of MovieLens; skipped outside CI when there is none.
        home = request.getfixturevalue("movielens_home")
        monkeypatch.setenv("SKLEARN_REC_DATA", str(home))
    runpy.run_path(str(path), run_name="__main__")
    assert capsys.readouterr().out.strip()
