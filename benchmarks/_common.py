"""What every benchmark script shares: wall times, thread limits and run metadata.

The scripts run as ``python benchmarks/NAME.py``, which puts this folder on
``sys.path``, so they import this module as ``_common``.
"""

import os
import platform
import subprocess
import sys
import time

# The packages whose versions a result file records (None where not installed).
PACKAGES = (
    "numpy",
    "scipy",
    "pandas",
    "scikit-learn",
    "torch",
    "skorch",
    "threadpoolctl",
    "scikit-surprise",
    "implicit",
    "lightfm",
    "cornac",
)


def timed(function, *args, **kwargs):
    """``(function(*args, **kwargs), wall seconds)``, by ``time.perf_counter``.

    Where the call may have queued CUDA work (CUDA initialised in this
    process), the clock stops only once that work is done, so that the time
    covers it.
    """
    start = time.perf_counter()
    result = function(*args, **kwargs)
    torch = sys.modules.get("torch")
    if torch is not None and torch.cuda.is_initialized():
        torch.cuda.synchronize()
    return result, time.perf_counter() - start


def limit_threads(threads):
    """Run torch, BLAS/LAPACK and OpenMP on ``threads`` threads from now on.

    ``None`` leaves every library at its default. Returns the number of
    torch threads now in effect.
    """
    import torch

    if threads is not None:
        if not isinstance(threads, int) or isinstance(threads, bool) or threads < 1:
            raise ValueError(f"threads must be a positive int or None, got {threads!r}.")
        from threadpoolctl import threadpool_limits

        torch.set_num_threads(threads)
        # Not used as a context manager: the limits hold for the rest of the process.
        threadpool_limits(limits=threads)
    return torch.get_num_threads()


def parse_seeds_and_threads(parser, *, threads=1):
    """Add ``--seeds`` (default 0 1 2) and ``--threads`` to ``parser``, parse, limit the threads."""
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--threads", type=int, default=threads)
    args = parser.parse_args()
    limit_threads(args.threads)
    return args


def versions(packages=PACKAGES):
    """Python, sklearn-rec and each of ``packages``: version, or None if not installed."""
    from sklearn_rec._show_versions import dependencies_info

    return {"python": platform.python_version(), **dependencies_info(packages)}


def git_commit():
    """The checkout's commit, with ``-dirty`` if tracked files changed; None outside git."""
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    try:
        commit = subprocess.run(
            ["git", "-C", root, "rev-parse", "HEAD"], capture_output=True, text=True, check=True
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "-C", root, "status", "--porcelain", "--untracked-files=no"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return None
    return commit + ("-dirty" if dirty else "")


def machine():
    """The processor architecture and core count, e.g. ``x86_64, 2 cores``."""
    return f"{platform.machine()}, {os.cpu_count()} cores"


def metadata(packages=PACKAGES):
    """What a result file records about its run: machine, commit, start time, versions."""
    return {
        "machine": machine(),
        "commit": git_commit(),
        "started": time.strftime("%Y-%m-%d %H:%M:%S"),
        "versions": versions(packages),
    }
