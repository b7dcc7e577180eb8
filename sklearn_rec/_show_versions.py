"""What to paste into a bug report: the system, the versions, PyTorch's set-up."""

from __future__ import annotations

import platform
import sys
from collections.abc import Iterable
from importlib.metadata import PackageNotFoundError, version
from typing import Any

# Runtime dependencies first, then the optional ones (the extras of pyproject.toml).
_DEPENDENCIES = (
    "numpy",
    "scipy",
    "pandas",
    "scikit-learn",
    "torch",
    "skorch",
    "tqdm",
    "pooch",
    "joblib",
    "threadpoolctl",
    "matplotlib",
    "captum",
    "pyarrow",
    "distributed",
    "ray",
)


def _system_info() -> dict[str, str]:
    return {
        "python": sys.version.replace("\n", " "),
        "executable": sys.executable,
        "machine": platform.platform(),
    }


def dependencies_info(names: Iterable[str] = _DEPENDENCIES) -> dict[str, str | None]:
    """Versions of sklearn-rec and of ``names`` from package metadata (``None``: not installed).

    The packages are not imported. The benchmarks record these too.
    """
    from sklearn_rec import __version__

    info: dict[str, str | None] = {"sklearn-rec": __version__}
    for name in names:
        try:
            info[name] = version(name)
        except PackageNotFoundError:
            info[name] = None
    return info


def _torch_info() -> dict[str, Any]:
    """PyTorch's threads and the devices it sees (imports torch)."""
    import torch

    cuda = torch.cuda.is_available()
    mps = getattr(torch.backends, "mps", None)
    return {
        "threads": torch.get_num_threads(),
        "interop threads": torch.get_num_interop_threads(),
        "cuda available": cuda,
        "cuda version": torch.version.cuda,
        "cuda devices": ", ".join(
            torch.cuda.get_device_name(i) for i in range(torch.cuda.device_count())
        )
        if cuda
        else None,
        "mps available": bool(mps is not None and mps.is_available()),
    }


def show_versions() -> None:
    """Print the system, the versions of sklearn-rec and its dependencies, and PyTorch's set-up.

    Paste what it prints into a bug report. Versions are read from the
    installed packages' metadata (``None``: not installed); the PyTorch part
    gives its CPU threads and the accelerators it sees.

    Examples
    --------
    >>> from sklearn_rec import show_versions
    >>> show_versions()  # doctest: +SKIP
    """
    sections: dict[str, dict[str, Any]] = {
        "System": _system_info(),
        "Python dependencies": dependencies_info(),
        "PyTorch": _torch_info(),
    }
    for title, info in sections.items():
        width = max(map(len, info))
        print(f"\n{title}:")
        for key, value in info.items():
            print(f"{key:>{width}}: {value}")
