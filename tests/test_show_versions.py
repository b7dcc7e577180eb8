"""show_versions: what a bug report needs, read from the installed packages."""

import re
import sys
from importlib.metadata import version

import torch

import sklearn_rec
from sklearn_rec import _show_versions, show_versions


def test_show_versions_prints_system_dependencies_and_torch(capsys):
    show_versions()
    out = capsys.readouterr().out
    for section in ("System:", "Python dependencies:", "PyTorch:"):
        assert section in out
    assert re.search(rf"sklearn-rec: {re.escape(sklearn_rec.__version__)}$", out, re.M)
    assert re.search(rf"scikit-learn: {re.escape(version('scikit-learn'))}$", out, re.M)
    assert re.search(rf"torch: {re.escape(version('torch'))}$", out, re.M)
    assert re.search(rf"threads: {torch.get_num_threads()}$", out, re.M)
    assert re.search(rf"cuda available: {torch.cuda.is_available()}$", out, re.M)
    assert sys.executable in out


def test_a_missing_package_shows_as_none():
    info = _show_versions.dependencies_info(["numpy", "no-such-package-xyz"])
    assert info["no-such-package-xyz"] is None
    assert info["numpy"] == version("numpy")
