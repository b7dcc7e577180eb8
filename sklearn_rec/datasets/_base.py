"""Data home and sha256-checked downloads shared by the dataset loaders."""

import importlib.util
import logging
import os
import shutil
import sys
import tempfile
import time
import zipfile
import zlib
from collections import namedtuple
from pathlib import Path

import numpy as np
import pooch
import requests

RemoteFileMetadata = namedtuple("RemoteFileMetadata", ["filename", "url", "checksum"])
RemoteFileMetadata.__doc__ = """A remote archive: its file name, its URL and its checksum.

The checksum is written as pooch takes it, ``"<algorithm>:<hex digest>"``
(SHA256 wherever one is published)."""

logger = logging.getLogger(__name__)


def get_data_home(data_home: str | os.PathLike[str] | None = None) -> Path:
    """Return the folder where the dataset loaders look for (and download) data.

    The folder is, in order of precedence: ``data_home`` when given, the
    environment variable ``SKLEARN_REC_DATA`` when set, the environment variable
    ``SCIKIT_LEARN_DATA`` when set, and ``~/scikit_learn_data`` (the folder of
    :func:`sklearn.datasets.get_data_home`). ``~`` is expanded to the user's
    home folder.

    Unlike :func:`sklearn.datasets.get_data_home`, this function does not create
    the folder: the loaders create it only when they are about to download, so
    that a read-only folder of extracted data works as it is.

    Parameters
    ----------
    data_home : str or path-like, default=None
        The data folder. If None, the environment variables above decide.

    Returns
    -------
    data_home : pathlib.Path
        The path of the data folder, which may not exist.

    Examples
    --------
    >>> from sklearn_rec.datasets import get_data_home
    >>> print(get_data_home("/srv/data"))
    /srv/data
    >>> get_data_home("~/movielens").is_absolute()
    True
    """
    if data_home is None:
        # An empty variable counts as unset, as an exported but blank value
        # would otherwise point the loaders at the current working folder.
        data_home = (
            os.environ.get("SKLEARN_REC_DATA")
            or os.environ.get("SCIKIT_LEARN_DATA")
            or os.path.join("~", "scikit_learn_data")
        )
    elif not isinstance(data_home, str | os.PathLike):
        raise TypeError(
            "data_home must be a str, a path-like object or None, got "
            f"{data_home!r} of type {type(data_home).__name__}."
        )
    return Path(data_home).expanduser()


def check_bool(value, name):
    """Check that ``value`` is a bool (numpy's included)."""
    if not isinstance(value, bool | np.bool_):
        raise TypeError(f"{name} must be a bool, got {value!r} of type {type(value).__name__}.")
    return bool(value)


def fetch_archive(remote, data_home, *, n_retries=3, delay=1.0):
    """Download a zip archive, check its SHA256 and extract it into ``data_home``.

    The archive is downloaded and extracted inside a temporary folder in
    ``data_home``; only once the checksum matched and the whole archive was
    extracted are its top-level entries moved into ``data_home``. So a failed,
    interrupted or corrupted download leaves nothing behind that a later call
    could mistake for a valid copy. The archive itself is deleted after the
    extraction.

    Parameters
    ----------
    remote : RemoteFileMetadata
        The archive's file name, URL and SHA256 hex digest.
    data_home : pathlib.Path
        The folder to extract into, created if needed.
    n_retries : int, default=3
        Number of retries after a network error. A checksum mismatch is not
        retried.
    delay : float, default=1.0
        Seconds to wait between retries.

    Raises
    ------
    OSError
        If the download fails after all retries, if the checksum does not
        match (the message names the expected and the actual hash), or if the
        archive cannot be extracted.
    """
    data_home.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{remote.filename}.", dir=data_home))
    try:
        archive = _download(remote, staging, n_retries=n_retries, delay=delay)
        extracted = staging / "extracted"
        try:
            with zipfile.ZipFile(archive) as zf:
                zf.extractall(extracted)
        except (zipfile.BadZipFile, zlib.error, EOFError) as exc:
            raise OSError(
                f"The archive downloaded from {remote.url} cannot be extracted: {exc}. "
                "Nothing was kept; the archive may be damaged at the source."
            ) from exc
        for entry in extracted.iterdir():
            try:
                entry.rename(data_home / entry.name)
            except OSError:
                # Another process extracting the same archive got there first;
                # its copy is as complete as ours.
                if not (data_home / entry.name).exists():
                    raise
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def _download(remote, folder, *, n_retries, delay):
    """Download ``remote`` into ``folder`` with pooch and return the file's path."""
    # A progress bar helps with the large archives, but only where someone
    # watches a terminal; in logs it would be noise.
    progressbar = sys.stderr.isatty() and importlib.util.find_spec("tqdm") is not None
    for attempt in range(n_retries + 1):
        try:
            return Path(
                pooch.retrieve(
                    remote.url,
                    known_hash=remote.checksum,
                    fname=remote.filename,
                    path=folder,
                    progressbar=progressbar,
                )
            )
        except requests.exceptions.RequestException as exc:
            if attempt == n_retries:
                raise OSError(
                    f"Could not download {remote.url} ({n_retries + 1} attempts): {exc}"
                ) from exc
            logger.warning("Download of %s failed (%s); retrying in %s s.", remote.url, exc, delay)
            time.sleep(delay)
        except ValueError as exc:
            # pooch raises ValueError on a checksum mismatch, after deleting the
            # download; its message names the expected and the actual hash.
            raise OSError(
                f"Checksum mismatch for {remote.url}: expected {remote.checksum}. {exc}"
            ) from exc
