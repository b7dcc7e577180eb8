"""The code of the documentation pages that promise to run does run."""

import re
import textwrap
import warnings
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]


def rst_code_blocks(path):
    """The ``.. code-block:: python`` blocks of a reStructuredText page, in order."""
    blocks = re.findall(
        r"^\.\. code-block:: python\n\n((?:(?: {4}.*)?\n)+)", path.read_text(), re.M
    )
    return [textwrap.dedent(block) for block in blocks]


def markdown_code_blocks(path, heading):
    """The ``python`` blocks of one section of a Markdown page."""
    section = path.read_text().split(f"## {heading}\n", 1)[1].split("\n## ", 1)[0]
    return re.findall(r"^```python\n(.*?)^```", section, re.S | re.M)


def run_blocks(blocks):
    namespace = {}
    # Model selection turns a failing fit or scorer into a warning and a NaN.
    with warnings.catch_warnings():
        warnings.simplefilter("error", UserWarning)
        for block in blocks:
            exec(compile(block, "<docs>", "exec"), namespace)
    return namespace


def test_pipelines_page_runs(one_thread):
    blocks = rst_code_blocks(ROOT / "docs" / "user_guide" / "pipelines.rst")
    assert len(blocks) == 5
    namespace = run_blocks(blocks)
    assert np.isfinite(namespace["result"]["test_ndcg"]).all()
    assert np.isfinite(namespace["result"]["test_hr_sampled"]).all()
    assert namespace["search"].best_params_["mf__positive_threshold"] in (1, 3, 4)
    assert np.isfinite(namespace["search"].best_score_)
    assert namespace["items"].shape == (2, 10)
    test = namespace["test"]
    held_out = namespace["X"].iloc[test], namespace["ratings"][test]
    assert 0 < namespace["liked"](namespace["reranker"], *held_out) <= 1
    assert namespace["reranker"].feature_names_[:2].tolist() == ["score", "score_liked"]
    assert namespace["second"].predict_proba(namespace["rows"]).shape == (len(namespace["rows"]), 2)


def test_readme_quick_start_runs(one_thread):
    (block,) = markdown_code_blocks(ROOT / "README.md", "Quick start")
    namespace = run_blocks([block])
    assert namespace["items"].shape == (2, 10)
    assert np.isfinite(namespace["search"].best_score_)
