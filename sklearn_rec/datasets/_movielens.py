"""MovieLens rating data sets (GroupLens Research, University of Minnesota).

The archives are the ones GroupLens distributes at
https://files.grouplens.org/datasets/movielens/. The loader reads the files of
an extracted archive as they are, so that a folder prepared by hand (or a
read-only shared copy) works without any download.

References
----------
F. M. Harper and J. A. Konstan, "The MovieLens Datasets: History and Context",
ACM Transactions on Interactive Intelligent Systems (TiiS) 5(4), 2015.
https://doi.org/10.1145/2827872
"""

import os
from collections import namedtuple
from contextlib import contextmanager
from typing import Any

import numpy as np
import pandas as pd
from sklearn.utils import Bunch

from .._validation import check_option, check_positive_int, check_real
from ._base import RemoteFileMetadata, check_bool, fetch_archive, get_data_home

_URL = "https://files.grouplens.org/datasets/movielens/"

# SHA256 digests of the GroupLens archives as listed by the TensorFlow Datasets
# project (its MovieLens URL checksums). For MovieLens 10M only the MD5 that
# GroupLens publishes beside the archive was found (listed in public MovieLens
# download configurations too), so its download is checked against that. 32M is
# read from a local copy only: no published digest of its archive was found, and
# a download is only ever accepted against one.
ARCHIVES = {
    "100k": RemoteFileMetadata(
        "ml-100k.zip",
        _URL + "ml-100k.zip",
        "sha256:50d2a982c66986937beb9ffb3aa76efe955bf3d5c6b761f4e3a7cd717c6a3229",
    ),
    "1m": RemoteFileMetadata(
        "ml-1m.zip",
        _URL + "ml-1m.zip",
        "sha256:a6898adb50b9ca05aa231689da44c217cb524e7ebd39d264c56e2832f2c54e20",
    ),
    "10m": RemoteFileMetadata(
        "ml-10m.zip",
        _URL + "ml-10m.zip",
        "md5:ce571fd55effeba0271552578f2648bd",
    ),
    "20m": RemoteFileMetadata(
        "ml-20m.zip",
        _URL + "ml-20m.zip",
        "sha256:96f243c338a8665f6bcc89c53edf6ee39162a846940de6b7c8c48aeada765ff3",
    ),
    "25m": RemoteFileMetadata(
        "ml-25m.zip",
        _URL + "ml-25m.zip",
        "sha256:8b21cfb7eb1706b4ec0aac894368d90acf26ebdfb6aced3ebd4ad5bd1eb9c6aa",
    ),
    "latest-small": RemoteFileMetadata(
        "ml-latest-small.zip",
        _URL + "ml-latest-small.zip",
        "sha256:696d65a3dfceac7c45750ad32df2c259311949efec81f0f144fdfb91ebc9e436",
    ),
}

# Where each variant's archive extracts to, the files the loader reads there,
# and the file format (see the _read_* functions).
_Layout = namedtuple("_Layout", ["folder", "files", "format", "name"])
_LAYOUTS = {
    "100k": _Layout("ml-100k", ("u.data", "u.item", "u.user"), "100k", "MovieLens 100K"),
    "1m": _Layout("ml-1m", ("ratings.dat", "movies.dat", "users.dat"), "dat", "MovieLens 1M"),
    "10m": _Layout("ml-10M100K", ("ratings.dat", "movies.dat"), "dat", "MovieLens 10M"),
    "20m": _Layout("ml-20m", ("ratings.csv", "movies.csv"), "csv", "MovieLens 20M"),
    "25m": _Layout("ml-25m", ("ratings.csv", "movies.csv"), "csv", "MovieLens 25M"),
    "32m": _Layout("ml-32m", ("ratings.csv", "movies.csv"), "csv", "MovieLens 32M"),
    "latest-small": _Layout(
        "ml-latest-small",
        ("ratings.csv", "movies.csv"),
        "csv",
        "MovieLens Latest Small",
    ),
}

# What the files of each variant hold, from the GroupLens README of each data
# set (and the table of fetch_movielens's docstring): ratings, distinct users
# and items among them (None: not checked), movies in the catalogue, rows of
# the user file (None: no user file), the rating scale (lowest, highest,
# step) and the tag applications of tags.csv (None: no tags read). A local
# copy is checked against them: the archives' checksums prove a download, not
# what is on disk later.
_Contents = namedtuple(
    "_Contents", ["ratings", "users", "items", "movies", "user_rows", "scale", "tags"]
)
_HALF_STARS = (0.5, 5.0, 0.5)
CONTENTS = {
    "100k": _Contents(100_000, 943, 1_682, 1_682, 943, (1.0, 5.0, 1.0), None),
    "1m": _Contents(1_000_209, 6_040, 3_706, 3_883, 6_040, (1.0, 5.0, 1.0), None),
    "10m": _Contents(10_000_054, 69_878, 10_677, 10_681, None, _HALF_STARS, None),
    "20m": _Contents(20_000_263, 138_493, 26_744, 27_278, None, _HALF_STARS, 465_564),
    "25m": _Contents(25_000_095, 162_541, 59_047, 62_423, None, _HALF_STARS, 1_093_360),
    "32m": _Contents(32_000_204, 200_948, None, 87_585, None, _HALF_STARS, 2_000_072),
    "latest-small": _Contents(100_836, 610, 9_724, 9_742, None, _HALF_STARS, 3_683),
}

# The 19 genre flags of ml-100k's u.item, in column order (from u.genre).
_GENRES_100K = (
    "unknown",
    "Action",
    "Adventure",
    "Animation",
    "Children's",
    "Comedy",
    "Crime",
    "Documentary",
    "Drama",
    "Fantasy",
    "Film-Noir",
    "Horror",
    "Musical",
    "Mystery",
    "Romance",
    "Sci-Fi",
    "Thriller",
    "War",
    "Western",
)

# Occupation codes of ml-1m's users.dat, from the ml-1m README: code i is
# _OCCUPATIONS_1M[i].
_OCCUPATIONS_1M = (
    "other or not specified",
    "academic/educator",
    "artist",
    "clerical/admin",
    "college/grad student",
    "customer service",
    "doctor/health care",
    "executive/managerial",
    "farmer",
    "homemaker",
    "K-12 student",
    "lawyer",
    "programmer",
    "retired",
    "sales/marketing",
    "scientist",
    "self-employed",
    "technician/engineer",
    "tradesman/craftsman",
    "unemployed",
    "writer",
)

# Age brackets of ml-1m's users.dat, from the ml-1m README.
_AGES_1M = {
    1: "Under 18",
    18: "18-24",
    25: "25-34",
    35: "35-44",
    45: "45-49",
    50: "50-55",
    56: "56+",
}

# A release year closing a title: "Toy Story (1995)", or the first year of a
# range such as "(2010-2017)" (written with an en dash in the CSV files).
_YEAR_PATTERN = r"\((\d{4})(?:[-\u2013]\d{4})?\)\s*$"

_RATING_DTYPES = {"user": np.int64, "item": np.int64, "rating": np.float64, "timestamp": np.int64}


def fetch_movielens(
    variant: str = "100k",
    *,
    data_home: str | os.PathLike[str] | None = None,
    download_if_missing: bool = True,
    return_X_y: bool = False,
    as_frame: bool = True,
    n_retries: int = 3,
    delay: float = 1.0,
    genome: bool = False,
) -> Any:
    """Load a MovieLens rating data set (GroupLens Research).

    ==================  =========  =======  ======  ===========  =========
    variant             ratings    users    items   scale        user info
    ==================  =========  =======  ======  ===========  =========
    ``"100k"``          100,000    943      1,682   1-5          yes
    ``"1m"``            1,000,209  6,040    3,706   1-5          yes
    ``"10m"``           10.0 M     69,878   10,677  0.5-5 (0.5)  no
    ``"20m"``           20.0 M     138,493  26,744  0.5-5 (0.5)  no
    ``"25m"``           25.0 M     162,541  59,047  0.5-5 (0.5)  no
    ``"32m"``           32.0 M     200,948  ..      0.5-5 (0.5)  no
    ``"latest-small"``  100,836    610      9,724   0.5-5 (0.5)  no
    ==================  =========  =======  ======  ===========  =========

    The loader first looks for the extracted GroupLens archive in
    ``data_home``, e.g. ``<data_home>/ml-100k/u.data``, ``u.item`` and
    ``u.user``, or ``<data_home>/ml-latest-small/ratings.csv`` and
    ``movies.csv``, and reads it as it is, without writing anything. Otherwise
    it downloads the archive (checking its published checksum), extracts it into
    ``data_home`` and deletes the archive.

    The data may be used for research only, under the terms of the README in
    each archive: no commercial use without GroupLens's permission, no
    redistribution except as that README allows, and publications must cite
    F. M. Harper and J. A. Konstan, "The MovieLens Datasets: History and
    Context", ACM TiiS 5(4), 2015.

    Parameters
    ----------
    variant : {"100k", "1m", "10m", "20m", "25m", "32m", "latest-small"}, default="100k"
        Which data set to load. A 10M download is checked against the MD5 that
        GroupLens publishes (no SHA256 of that archive is published). MovieLens
        32M is read from a local copy only: no published digest of its archive
        was available to check a download against.
    data_home : str or path-like, default=None
        The folder that holds (or receives) the extracted archives. By default
        the environment variable ``SKLEARN_REC_DATA``, else as
        :func:`get_data_home` describes.
    download_if_missing : bool, default=True
        If False, raise a ``FileNotFoundError`` when the data is not in
        ``data_home`` instead of downloading it.
    return_X_y : bool, default=False
        If True, return ``(data, target)`` instead of a Bunch.
    as_frame : bool, default=True
        If True, ``data`` is a DataFrame and ``target`` a Series. If False,
        ``data`` is an int64 ndarray with the columns of ``feature_names``,
        ``target`` a float64 ndarray, and ``frame`` is None.
    n_retries : int, default=3
        Number of retries after a network error during the download.
    delay : float, default=1.0
        Number of seconds between retries.
    genome : bool, default=False
        Also read the tag genome of MovieLens 20M or 25M (``genome-scores.csv``
        and ``genome-tags.csv``, about 12 and 16 million scores): the
        ``genome`` attribute. Other variants have none and raise a
        ``ValueError``.

    Returns
    -------
    dataset : :class:`~sklearn.utils.Bunch`
        Dictionary-like object with the following attributes.

        frame : DataFrame of shape (n_ratings, 4) or None
            One rating per row: ``user`` and ``item`` (int64 GroupLens ids),
            ``rating`` (float64) and ``timestamp`` (int64 Unix seconds; left
            out for a copy of the data without timestamps). Rows are in the
            order of the ratings file. None when ``as_frame=False``.
        data : DataFrame or ndarray of shape (n_ratings, 3)
            The ``user``, ``item`` and ``timestamp`` columns.
        target : Series or ndarray of shape (n_ratings,)
            The ratings.
        feature_names : list of str
            The columns of ``data``.
        target_names : list of str
            ``["rating"]``.
        movies : DataFrame
            One row per movie (item) of the catalogue, indexed by item id: ``title``
            (str), ``year`` (Int64, the release year closing the title, missing
            where the title has none) and ``genres`` (str, the genres joined
            by ``"|"``, as in the GroupLens files; for one indicator column per
            genre use ``movies["genres"].str.get_dummies("|")``). The catalogue
            may hold movies nobody rated. (The attribute is not called
            ``items``, which a Bunch, being a dict, reserves for its method.)
        users : DataFrame or None
            One row per user, indexed by user id, for the variants with user
            information. 100k: ``age`` (int64, years), ``gender``
            (categorical, ``"F"`` / ``"M"``), ``occupation`` (categorical) and
            ``zip_code`` (str). 1m: ``gender``, ``age`` (int64, the code of
            the age bracket: 1 means under 18, 18 means 18-24, ... 56 means 56
            or more), ``occupation`` (categorical, the names of the README's
            codes) and ``zip_code``. None for the other variants.
        tags : DataFrame or None
            The tag applications of ``tags.csv`` for the variants that have
            it (``"latest-small"``, ``"20m"``, ``"25m"``, ``"32m"``), one per
            row: ``user`` and ``item`` (int64 ids), ``tag`` (str, as the user
            wrote it: ``"NA"`` is a tag) and ``timestamp`` (int64 Unix
            seconds). For item features from them, for example,
            ``tags.groupby("item")["tag"].agg(" ".join)`` gives one text per
            item for a ``TfidfVectorizer``. None for the other variants, and
            for a local copy without ``tags.csv``.
        genome : DataFrame or None
            With ``genome=True``: the tag genome, one row per movie indexed
            by item id and one float32 column per genome tag (named by the
            tag), the relevance of the tag to the movie in [0, 1]. Dense
            and ready as ``item_features``. None otherwise.
        DESCR : str
            Description of the data set: variant, counts, columns, usage
            terms and citation.

    (data, target) : tuple if ``return_X_y`` is True

    Raises
    ------
    FileNotFoundError
        If the data is not in ``data_home`` and ``download_if_missing`` is
        False. The message names the folder searched and the files expected.
    OSError
        If the download fails, or the downloaded archive does not match its
        checksum or cannot be extracted; or if a file of the local copy cannot
        be read or does not hold what GroupLens published (as many ratings,
        users, movies, and ratings on the variant's scale): a truncated or
        edited copy. The message names the file, and the folder to delete so
        that the archive is downloaded again.

    Examples
    --------
    >>> from sklearn_rec.datasets import fetch_movielens
    >>> movielens = fetch_movielens("100k")  # doctest: +SKIP
    >>> movielens.frame.shape  # doctest: +SKIP
    (100000, 4)
    >>> movielens.movies.loc[1, "title"]  # doctest: +SKIP
    'Toy Story (1995)'
    >>> X, y = fetch_movielens("latest-small", return_X_y=True)  # doctest: +SKIP
    >>> list(X.columns)  # doctest: +SKIP
    ['user', 'item', 'timestamp']
    """
    variant = check_option(variant, "variant", _LAYOUTS)
    download_if_missing = check_bool(download_if_missing, "download_if_missing")
    return_X_y = check_bool(return_X_y, "return_X_y")
    as_frame = check_bool(as_frame, "as_frame")
    n_retries = check_positive_int(n_retries, "n_retries", minimum=1)
    delay = check_real(delay, "delay", low=0)
    genome = check_bool(genome, "genome")
    if genome and variant not in _GENOME_VARIANTS:
        raise ValueError(
            f"genome=True reads the tag genome, which only the variants "
            f"{sorted(_GENOME_VARIANTS)} have; got variant={variant!r}."
        )
    data_home = get_data_home(data_home)

    layout = _LAYOUTS[variant]
    folder = data_home / layout.folder
    missing = _missing_files(folder, layout)
    if missing and variant not in ARCHIVES:
        raise FileNotFoundError(
            _not_found_message(variant, data_home, missing)
            + f". It is not downloaded: no published checksum of {layout.folder}.zip was "
            "found to verify a download against."
        )
    if missing:
        remote = ARCHIVES[variant]
        if not download_if_missing:
            raise FileNotFoundError(
                _not_found_message(variant, data_home, missing)
                + " or pass download_if_missing=True to download it from "
                f"{remote.url}."
            )
        if folder.exists():
            raise FileNotFoundError(
                f"{folder} exists but lacks {', '.join(missing)}: it is not a complete "
                f"copy of {remote.filename}. Complete it, or remove it to download the "
                "archive again."
            )
        try:
            fetch_archive(remote, data_home, n_retries=n_retries, delay=delay)
        except OSError as exc:
            raise OSError(
                f"{exc}\n" + _not_found_message(variant, data_home, missing) + "."
            ) from exc
        missing = _missing_files(folder, layout)
        if missing:
            raise OSError(
                f"The archive {remote.url} did not hold the expected files "
                f"{', '.join(missing)} under {layout.folder}/."
            )

    frame, movies, users = _READERS[layout.format](folder, variant)
    tags = _read_tags(folder, variant)
    _check_contents(variant, folder, frame, movies, users, tags)
    relevance = _read_genome(folder, variant) if genome else None
    feature_names = [name for name in ("user", "item", "timestamp") if name in frame]
    data = frame[feature_names]
    target = frame["rating"]
    if not as_frame:
        data = data.to_numpy(dtype=np.int64)
        target = target.to_numpy(dtype=np.float64)
        frame = None
    if return_X_y:
        return data, target
    return Bunch(
        frame=frame,
        data=data,
        target=target,
        feature_names=feature_names,
        target_names=["rating"],
        movies=movies,
        users=users,
        tags=tags,
        genome=relevance,
        DESCR=_describe(variant, folder, data, target, feature_names, movies, users, tags),
    )


def _damaged(variant, path, problem):
    """The error for a file of a local copy that is not what GroupLens published."""
    layout = _LAYOUTS[variant]
    folder = path.parent
    if variant in ARCHIVES:
        fix = (
            f"delete the folder {folder}, and fetch_movielens downloads "
            f"{ARCHIVES[variant].filename} and extracts it again"
        )
    else:
        fix = f"extract {layout.folder}.zip from GroupLens into {folder} again"
    return OSError(
        f"{path}: {problem}. This copy of {layout.name} is damaged or incomplete: {fix} "
        "(or pass data_home= to a folder with an intact copy)."
    )


@contextmanager
def _reading(variant, path):
    """Report a file that cannot be parsed as a damaged file, named."""
    try:
        yield
    except (ValueError, IndexError, KeyError) as exc:  # pandas' parser errors are ValueErrors
        message = " ".join(str(exc).split()) or type(exc).__name__
        raise _damaged(variant, path, f"cannot be read ({message})") from exc


def _check_contents(variant, folder, frame, movies, users, tags):
    """Check a local copy against what GroupLens published (``CONTENTS``)."""
    layout, expected = _LAYOUTS[variant], CONTENTS[variant]
    ratings_path = folder / layout.files[0]
    counts = [
        (ratings_path, "ratings", len(frame), expected.ratings),
        (ratings_path, "users with ratings", frame["user"].nunique(), expected.users),
        (ratings_path, "rated items", frame["item"].nunique(), expected.items),
        (folder / layout.files[1], "movies", len(movies), expected.movies),
    ]
    if users is not None:
        counts.append((folder / layout.files[2], "users", len(users), expected.user_rows))
    if tags is not None:
        counts.append((folder / "tags.csv", "tag applications", len(tags), expected.tags))
    for path, what, found, published in counts:
        if published is not None and found != published:
            raise _damaged(
                variant, path, f"holds {found:,} {what}, not the {published:,} published"
            )
    low, high, step = expected.scale
    scale = np.arange(low, high + step / 2, step)
    off_scale = ~np.isin(frame["rating"].to_numpy(), scale)
    if off_scale.any():
        row = int(np.flatnonzero(off_scale)[0])
        raise _damaged(
            variant,
            ratings_path,
            f"rating {frame['rating'].iloc[row]:g} (rating {row + 1:,} of the file) is not on "
            f"the scale {low:g} to {high:g} in steps of {step:g}",
        )


def _missing_files(folder, layout):
    return [name for name in layout.files if not (folder / name).is_file()]


def _not_found_message(variant, data_home, missing):
    layout = _LAYOUTS[variant]
    expected = ", ".join(f"{data_home / layout.folder / name}" for name in layout.files)
    return (
        f"{layout.name} (variant {variant!r}) was not found in {data_home}: expected the "
        f"extracted GroupLens archive {layout.folder}.zip, that is {expected} "
        f"(missing: {', '.join(missing)}). Set the environment variable SKLEARN_REC_DATA, "
        f"or pass data_home=, to the folder that holds {layout.folder}/"
    )


def _read_ratings(path, *, sep, skiprows=0, fields=None):
    """Read a ratings file with the C parser and return the typed frame.

    ``fields`` are the positions of user, item, rating (and timestamp) among
    the columns that ``sep`` splits a line into.
    """
    names = list(_RATING_DTYPES)[: len(fields)]
    frame = pd.read_csv(
        path,
        sep=sep,
        header=None,
        skiprows=skiprows,
        usecols=fields,
        dtype={field: _RATING_DTYPES[name] for field, name in zip(fields, names, strict=True)},
        engine="c",
    )
    frame.columns = names
    return frame


def _title_year(titles):
    return pd.to_numeric(titles.str.extract(_YEAR_PATTERN, expand=False)).astype("Int64")


def _read_100k(folder, variant):
    with _reading(variant, folder / "u.data"):
        frame = _read_ratings(folder / "u.data", sep="\t", fields=[0, 1, 2, 3])
    with _reading(variant, folder / "u.item"):
        movies = _read_100k_movies(folder / "u.item")
    with _reading(variant, folder / "u.user"):
        users = pd.read_csv(
            folder / "u.user",
            sep="|",
            header=None,
            names=["user", "age", "gender", "occupation", "zip_code"],
            dtype={
                "user": np.int64,
                "age": np.int64,
                "gender": "category",
                "occupation": "category",
                "zip_code": str,
            },
            index_col="user",
            engine="c",
        )
    return frame, movies, users


def _read_100k_movies(path):
    columns = ["item", "title", "release_date", "video_release_date", "imdb_url"]
    raw = pd.read_csv(
        path,
        sep="|",
        header=None,
        names=[*columns, *_GENRES_100K],
        dtype={
            "item": np.int64,
            "title": str,
            "release_date": str,
            **dict.fromkeys(_GENRES_100K, bool),
        },
        usecols=["item", "title", "release_date", *_GENRES_100K],
        encoding="latin-1",
        engine="c",
    )
    flags = raw[list(_GENRES_100K)].to_numpy()
    genres = np.array(_GENRES_100K, dtype=object)
    year = _title_year(raw["title"])
    # A few titles lack the year ("... (1995) (V)"); their release date has it.
    release_year = pd.to_numeric(raw["release_date"].str[-4:]).astype("Int64")
    return pd.DataFrame(
        {
            "title": raw["title"].to_numpy(),
            "year": year.fillna(release_year).array,
            "genres": ["|".join(genres[row]) for row in flags],
        },
        index=pd.Index(raw["item"], name="item"),
    )


def _read_dat(folder, variant):
    ratings = folder / "ratings.dat"
    with _reading(variant, ratings):
        with ratings.open("rb") as f:
            n_fields = f.readline().count(b"::") + 1
        # Splitting on ":" keeps the C parser (a two-character separator needs the
        # slow Python engine); the empty fields between the colons are dropped.
        frame = _read_ratings(ratings, sep=":", fields=list(range(0, 2 * n_fields, 2)))
    with _reading(variant, folder / "movies.dat"):
        lines = (folder / "movies.dat").read_text(encoding="latin-1").splitlines()
        # Titles may hold a single ":", so movies.dat is split on "::" in Python.
        raw = pd.DataFrame(
            [line.split("::", 2) for line in lines], columns=["item", "title", "genres"]
        )
        movies = pd.DataFrame(
            {
                "title": raw["title"].astype(str).to_numpy(),
                "year": _title_year(raw["title"].astype(str)).array,
                "genres": raw["genres"].astype(str).to_numpy(),
            },
            index=pd.Index(raw["item"].astype(np.int64), name="item"),
        )
    if not (folder / "users.dat").is_file():  # MovieLens 10M has no user file
        return frame, movies, None
    with _reading(variant, folder / "users.dat"):
        users = pd.read_csv(
            folder / "users.dat",
            sep=":",
            header=None,
            usecols=[0, 2, 4, 6, 8],
            dtype={0: np.int64, 2: "category", 4: np.int64, 6: np.int64, 8: str},
            encoding="latin-1",
            engine="c",
        )
        users.columns = ["user", "gender", "age", "occupation", "zip_code"]
        users["occupation"] = pd.Categorical.from_codes(users["occupation"], _OCCUPATIONS_1M)
    return frame, movies, users.set_index("user")


def _read_csv(folder, variant):
    with _reading(variant, folder / "ratings.csv"):
        frame = _read_ratings(folder / "ratings.csv", sep=",", skiprows=1, fields=[0, 1, 2, 3])
    with _reading(variant, folder / "movies.csv"):
        raw = pd.read_csv(
            folder / "movies.csv",
            dtype={"movieId": np.int64, "title": str, "genres": str},
            encoding="utf-8",
            engine="c",
        )
        movies = pd.DataFrame(
            {
                "title": raw["title"].to_numpy(),
                "year": _title_year(raw["title"]).array,
                "genres": raw["genres"].to_numpy(),
            },
            index=pd.Index(raw["movieId"], name="item"),
        )
    return frame, movies, None


_READERS = {"100k": _read_100k, "dat": _read_dat, "csv": _read_csv}


_GENOME_VARIANTS = {"20m", "25m"}


def _read_genome(folder, variant):
    """The tag genome as a movies x tags DataFrame of relevance (float32)."""
    paths = [folder / "genome-scores.csv", folder / "genome-tags.csv"]
    missing = [path.name for path in paths if not path.is_file()]
    if missing:
        raise FileNotFoundError(
            f"genome=True needs {', '.join(missing)} in {folder}, which the GroupLens archive "
            f"{_LAYOUTS[variant].folder}.zip holds; extract them there, or pass genome=False."
        )
    with _reading(variant, paths[1]):
        names = pd.read_csv(paths[1], dtype={"tagId": np.int64, "tag": str}, engine="c")
    with _reading(variant, paths[0]):
        scores = pd.read_csv(
            paths[0],
            dtype={"movieId": np.int64, "tagId": np.int64, "relevance": np.float32},
            engine="c",
        )
    movies, movie_codes = np.unique(scores["movieId"].to_numpy(), return_inverse=True)
    tag_codes = pd.Index(names["tagId"]).get_indexer(scores["tagId"])
    # One score per (movie, tag): the keys are a permutation of the grid (in
    # the published files, the grid in order).
    keys = movie_codes * len(names) + tag_codes
    grid = np.arange(len(movies) * len(names))
    complete = len(keys) == len(grid) and not (tag_codes < 0).any()
    if not (complete and (np.array_equal(keys, grid) or np.array_equal(np.sort(keys), grid))):
        raise _damaged(
            variant,
            paths[0],
            "does not hold one score for every movie and every tag of genome-tags.csv",
        )
    relevance = np.empty((len(movies), len(names)), dtype=np.float32)
    relevance[movie_codes, tag_codes] = scores["relevance"].to_numpy()
    return pd.DataFrame(
        relevance,
        index=pd.Index(movies, name="item"),
        columns=pd.Index(names["tag"].to_numpy(dtype=object), name="tag"),
    )


def _read_tags(folder, variant):
    """The tag applications of ``tags.csv`` (the variants in CSV), or None.

    A local copy without ``tags.csv`` (the ratings and movies are all the
    loader requires) has no tags. Tags are text as written: "NA" or "null"
    is a tag, not a missing value.
    """
    path = folder / "tags.csv"
    if CONTENTS[variant].tags is None or not path.is_file():
        return None
    with _reading(variant, path):
        raw = pd.read_csv(
            path,
            dtype={"userId": np.int64, "movieId": np.int64, "tag": str, "timestamp": np.int64},
            keep_default_na=False,
            encoding="utf-8",
            engine="c",
        )
        return pd.DataFrame(
            {
                "user": raw["userId"].to_numpy(),
                "item": raw["movieId"].to_numpy(),
                "tag": raw["tag"].to_numpy(dtype=object),
                "timestamp": raw["timestamp"].to_numpy(),
            }
        )


def _describe(variant, folder, data, target, feature_names, movies, users, tags):
    layout = _LAYOUTS[variant]
    data = np.asarray(data)
    target = np.asarray(target)
    users_ids, item_ids = data[:, 0], data[:, 1]
    n_users, n_rated = len(np.unique(users_ids)), len(np.unique(item_ids))
    scale = ", ".join(f"{value:g}" for value in np.unique(target))
    if "timestamp" in feature_names:
        times = pd.to_datetime(data[:, 2], unit="s", utc=True)
        when = f"from {times.min():%Y-%m-%d} to {times.max():%Y-%m-%d} (UTC)"
        timestamp_line = "- timestamp: when the rating was made, int64 Unix seconds (UTC).\n"
    else:
        when = "at unknown times: this copy of the data has no timestamps"
        timestamp_line = ""
    if users is None:
        user_lines = "users: None (this variant has no demographic information).\n"
    elif variant == "1m":
        brackets = ", ".join(f"{code}: {name}" for code, name in _AGES_1M.items())
        user_lines = (
            f"users: {len(users):,} rows indexed by user id, with gender (F/M), age (code "
            f"of the age bracket: {brackets}), occupation (the README's occupation "
            "names) and zip_code.\n"
        )
    else:
        user_lines = (
            f"users: {len(users):,} rows indexed by user id, with age (years), gender "
            "(F/M), occupation and zip_code.\n"
        )
    tag_lines = (
        "tags: None (no tags.csv read for this variant).\n"
        if tags is None
        else f"tags: {len(tags):,} tag applications, one per row: user, item, tag (the text "
        "as the user wrote it) and timestamp.\n"
    )
    title = f"{layout.name} (variant {variant!r})"
    return (
        f"{title}\n{'=' * len(title)}\n\n"
        "Ratings that users of the MovieLens web site (https://movielens.org) gave to "
        "movies, collected and distributed by GroupLens Research at the University of "
        "Minnesota.\n\n"
        f"- Ratings: {len(target):,}, made {when}\n"
        f"- Users: {n_users:,}\n"
        f"- Items rated: {n_rated:,} (catalogue: {len(movies):,} movies)\n"
        f"- Rating values: {scale}\n"
        f"- Read from: {folder}\n\n"
        "Columns of frame (one rating per row, in the file's order):\n\n"
        "- user: GroupLens user id (int64).\n"
        "- item: GroupLens movie id (int64), the index of movies.\n"
        "- rating: the star rating (float64).\n"
        f"{timestamp_line}\n"
        f"movies: {len(movies):,} rows indexed by item id, with title, year (the release "
        "year that closes the title, Int64, missing where the title has none) and genres "
        "('|'-separated).\n"
        f"{user_lines}{tag_lines}\n"
        "Usage terms: the GroupLens README of each data set governs its use. In short, "
        "the data may be used for research purposes only; it may not be used for "
        "commercial or revenue-bearing purposes without permission from GroupLens, nor "
        "redistributed except as that README allows; no endorsement by the University "
        "of Minnesota or GroupLens may be stated or implied; and publications that use "
        "it must cite:\n\n"
        "    F. Maxwell Harper and Joseph A. Konstan. 2015. The MovieLens Datasets: "
        "History and Context. ACM Transactions on Interactive Intelligent Systems "
        "(TiiS) 5, 4, Article 19. https://doi.org/10.1145/2827872\n"
    )
