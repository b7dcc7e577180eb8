"""Tests of the MovieLens loader against the real GroupLens files.

The files come from the folder that the environment variable SKLEARN_REC_DATA
names (CI sets it), else from ``../shared/data`` next to the repository. They
are read where they are or copied into pytest's temporary folders, and the
only network target is a local HTTP server on 127.0.0.1.
"""

import functools
import hashlib
import shutil
import socket
import stat
import threading
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from pandas.testing import assert_frame_equal, assert_series_equal

from sklearn_rec.datasets import _movielens, fetch_movielens, get_data_home
from sklearn_rec.datasets._base import RemoteFileMetadata


@pytest.fixture(scope="module")
def ml100k(movielens_home):
    return fetch_movielens("100k", data_home=movielens_home, download_if_missing=False)


@pytest.fixture(scope="module")
def latest_small(movielens_home):
    return fetch_movielens("latest-small", data_home=movielens_home, download_if_missing=False)


class _QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, format, *args):
        pass


@pytest.fixture
def http_server(tmp_path_factory):
    """A local HTTP server: (the folder it serves, its base URL)."""
    root = tmp_path_factory.mktemp("www")
    handler = functools.partial(_QuietHandler, directory=str(root))
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield root, f"http://127.0.0.1:{server.server_address[1]}/"
    server.shutdown()
    server.server_close()
    thread.join()


@pytest.fixture
def archive_100k(movielens_home):
    archive = movielens_home / "ml-100k.zip"
    if not archive.is_file():
        pytest.skip(f"{archive} not found.")
    return archive


def _sha256(path):
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def _closed_port_url():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}/ml-100k.zip"


def _point_100k_at(monkeypatch, url, checksum):
    monkeypatch.setitem(
        _movielens.ARCHIVES, "100k", RemoteFileMetadata("ml-100k.zip", url, f"sha256:{checksum}")
    )


def _listing(folder):
    """Every path under ``folder`` with its size and modification time."""
    return sorted(
        (str(path.relative_to(folder)), path.stat().st_size, path.stat().st_mtime_ns)
        for path in Path(folder).rglob("*")
    )


def test_100k_ratings(ml100k):
    frame = ml100k.frame
    assert frame.shape == (100_000, 4)
    assert list(frame.columns) == ["user", "item", "rating", "timestamp"]
    assert frame.dtypes.to_dict() == {
        "user": np.int64,
        "item": np.int64,
        "rating": np.float64,
        "timestamp": np.int64,
    }
    assert frame["user"].nunique() == 943
    assert frame["item"].nunique() == 1682
    assert set(frame["rating"].unique()) == {1.0, 2.0, 3.0, 4.0, 5.0}
    # The first line of u.data.
    assert frame.iloc[0].tolist() == [196, 242, 3.0, 881250949]
    assert_frame_equal(ml100k.data, frame[["user", "item", "timestamp"]])
    assert_series_equal(ml100k.target, frame["rating"])
    assert ml100k.feature_names == ["user", "item", "timestamp"]
    assert ml100k.target_names == ["rating"]


def test_100k_movies(ml100k):
    movies = ml100k.movies
    assert movies.shape == (1682, 3)
    assert movies.index.name == "item"
    assert movies.index.dtype == np.int64
    assert list(movies.columns) == ["title", "year", "genres"]
    assert movies["year"].dtype == "Int64"
    assert movies.loc[1].tolist() == ["Toy Story (1995)", 1995, "Animation|Children's|Comedy"]
    # u.item is Latin-1: decoded as UTF-8 these titles would fail or be garbled.
    assert movies.loc[543, "title"] == "Misérables, Les (1995)"
    assert movies.loc[1633, "title"] == "Á köldum klaka (Cold Fever) (1994)"
    # No year in the title: the release date supplies it, when there is one.
    assert movies.loc[1412, "year"] == 1995
    assert movies.loc[267, "title"] == "unknown"
    assert pd.isna(movies.loc[267, "year"])
    assert movies["year"].between(1920, 1998).sum() == 1681


def test_100k_users(ml100k):
    users = ml100k.users
    assert users.shape == (943, 4)
    assert users.index.name == "user"
    assert users.index.dtype == np.int64
    assert list(users.columns) == ["age", "gender", "occupation", "zip_code"]
    assert users["age"].dtype == np.int64
    assert isinstance(users["gender"].dtype, pd.CategoricalDtype)
    assert isinstance(users["occupation"].dtype, pd.CategoricalDtype)
    assert set(users["gender"].cat.categories) == {"F", "M"}
    assert len(users["occupation"].cat.categories) == 21
    assert users.loc[1].tolist() == [24, "M", "technician", "85711"]
    # Canadian postal codes are kept as strings.
    assert "T8H1N" in set(users["zip_code"])


def test_100k_descr(ml100k):
    descr = ml100k.DESCR
    assert "MovieLens 100K" in descr
    assert "100,000" in descr
    assert "Harper" in descr and "Konstan" in descr
    assert "(TiiS) 5, 4" in descr and "2015" in descr
    assert "research" in descr


def test_return_x_y(movielens_home, ml100k):
    X, y = fetch_movielens("100k", data_home=movielens_home, return_X_y=True)
    assert X.shape == (100_000, 3)
    assert y.shape == (100_000,)
    assert_frame_equal(X, ml100k.data)
    assert_series_equal(y, ml100k.target)


def test_as_frame_false(movielens_home, ml100k):
    bunch = fetch_movielens("100k", data_home=movielens_home, as_frame=False)
    assert bunch.frame is None
    assert bunch.data.dtype == np.int64 and bunch.data.shape == (100_000, 3)
    assert bunch.target.dtype == np.float64 and bunch.target.shape == (100_000,)
    np.testing.assert_array_equal(bunch.data, ml100k.data.to_numpy())
    X, y = fetch_movielens("100k", data_home=movielens_home, as_frame=False, return_X_y=True)
    assert isinstance(X, np.ndarray) and isinstance(y, np.ndarray)


def test_latest_small(latest_small):
    frame = latest_small.frame
    assert frame.shape == (100_836, 4)
    assert frame.dtypes.to_dict() == {
        "user": np.int64,
        "item": np.int64,
        "rating": np.float64,
        "timestamp": np.int64,
    }
    assert frame["user"].nunique() == 610
    assert frame["item"].nunique() == 9724
    assert set(frame["rating"].unique()) == set(np.arange(1, 11) / 2)
    assert latest_small.users is None
    movies = latest_small.movies
    assert movies.shape == (9742, 3)
    assert movies.loc[1].tolist() == [
        "Toy Story (1995)",
        1995,
        "Adventure|Animation|Children|Comedy|Fantasy",
    ]
    # UTF-8, and the CRLF line ends leave no "\r" behind.
    assert movies.loc[73, "title"] == "Misérables, Les (1995)"
    assert not movies["genres"].str.contains("\r").any()
    assert "610" in latest_small.DESCR and "Harper" in latest_small.DESCR


def test_latest_small_tags(latest_small):
    tags = latest_small.tags
    assert tags.shape == (3683, 4)
    assert list(tags.columns) == ["user", "item", "tag", "timestamp"]
    assert tags.dtypes.iloc[[0, 1, 3]].tolist() == [np.int64] * 3
    assert tags.iloc[0].tolist() == [2, 60756, "funny", 1445714994]
    # Every tag is text, none lost to NA parsing or left with a "\r".
    assert tags["tag"].map(type).eq(str).all() and tags["tag"].str.len().gt(0).all()
    assert not tags["tag"].str.contains("\r").any()
    assert set(tags["item"]) <= set(latest_small.movies.index)
    assert "3,683 tag applications" in latest_small.DESCR
    # One text per item, ready for a TfidfVectorizer.
    texts = tags.groupby("item")["tag"].agg(" ".join)
    assert texts.loc[60756].startswith("funny Highly quotable")


def test_variants_without_tags_have_none(ml100k):
    assert ml100k.tags is None
    assert "tags: None" in ml100k.DESCR


def test_1m_without_timestamps(movielens_home, tmp_path):
    source = movielens_home / "ml-1m-no-timestamps"
    if not (source / "ratings.dat").is_file():
        pytest.skip(f"{source} not found.")
    # The partial reconstruction has the original layout, under another name.
    (tmp_path / "ml-1m").symlink_to(source, target_is_directory=True)
    bunch = fetch_movielens("1m", data_home=tmp_path, download_if_missing=False)
    frame = bunch.frame
    assert frame.shape == (1_000_209, 3)
    assert list(frame.columns) == ["user", "item", "rating"]
    assert bunch.feature_names == ["user", "item"]
    assert frame["user"].nunique() == 6040
    assert frame["item"].nunique() == 3706
    assert frame["rating"].value_counts().sort_index().tolist() == [
        56_174,
        107_557,
        261_197,
        348_971,
        226_310,
    ]
    assert "no timestamps" in bunch.DESCR
    movies = bunch.movies
    assert movies.shape == (3883, 3)
    assert movies.loc[73, "title"] == "Misérables, Les (1995)"
    assert movies.loc[1, "genres"] == "Animation|Children's|Comedy"
    users = bunch.users
    assert users.shape == (6040, 4)
    assert list(users.columns) == ["gender", "age", "occupation", "zip_code"]
    assert set(users["age"].unique()) == {1, 18, 25, 35, 45, 50, 56}
    assert isinstance(users["occupation"].dtype, pd.CategoricalDtype)
    assert users.loc[1].tolist() == ["F", 1, "K-12 student", "48067"]
    assert users.loc[2, "occupation"] == "self-employed"


def test_never_writes_into_data_home(movielens_home, tmp_path):
    home = tmp_path / "readonly"
    for name in ("ml-100k", "ml-latest-small"):
        shutil.copytree(movielens_home / name, home / name)
    folders = [home, *(path for path in home.rglob("*") if path.is_dir())]
    files = [path for path in home.rglob("*") if path.is_file()]
    before = _listing(home)
    for path in files:
        path.chmod(stat.S_IRUSR)
    for path in folders:
        path.chmod(stat.S_IRUSR | stat.S_IXUSR)
    try:
        for variant in ("100k", "latest-small"):
            fetch_movielens(variant, data_home=home)
        fetch_movielens("100k", data_home=home, as_frame=False, return_X_y=True)
    finally:
        for path in folders:
            path.chmod(stat.S_IRWXU)
    # chmod does not stop root, so compare the listings too.
    assert _listing(home) == before


@pytest.mark.parametrize(
    "kwargs, error, match",
    [
        ({"variant": "50m"}, ValueError, r"variant must be one of \['100k', '10m', '1m', '20m'"),
        ({"variant": "ml-100k"}, ValueError, "'latest-small'"),
        ({"variant": 100}, ValueError, "got 100"),
        ({"data_home": 3}, TypeError, "data_home must be a str, a path-like object or None"),
        ({"download_if_missing": "no"}, TypeError, "download_if_missing must be a bool"),
        ({"return_X_y": 1}, TypeError, "return_X_y must be a bool, got 1"),
        ({"as_frame": None}, TypeError, "as_frame must be a bool, got None"),
        ({"n_retries": 0}, ValueError, "n_retries must be >= 1, got 0"),
        ({"n_retries": 1.5}, TypeError, "n_retries must be an int"),
        ({"delay": -1}, ValueError, "delay must be >= 0"),
        ({"delay": "1"}, TypeError, "delay must be a real number"),
    ],
)
def test_invalid_parameters(kwargs, error, match, tmp_path):
    kwargs = {"data_home": tmp_path, "download_if_missing": False, **kwargs}
    with pytest.raises(error, match=match):
        fetch_movielens(**kwargs)


def test_missing_without_download(tmp_path):
    home = tmp_path / "empty"
    with pytest.raises(FileNotFoundError) as info:
        fetch_movielens("100k", data_home=home, download_if_missing=False)
    message = str(info.value)
    assert str(home) in message
    assert str(home / "ml-100k" / "u.data") in message
    assert "SKLEARN_REC_DATA" in message
    assert "download_if_missing=True" in message
    assert not home.exists()


def test_unreachable_url(tmp_path, monkeypatch):
    _point_100k_at(monkeypatch, _closed_port_url(), "0" * 64)
    home = tmp_path / "home"
    with pytest.raises(OSError, match="Could not download") as info:
        fetch_movielens("100k", data_home=home, n_retries=1, delay=0)
    message = str(info.value)
    assert "2 attempts" in message
    assert str(home / "ml-100k" / "u.data") in message
    assert "SKLEARN_REC_DATA" in message
    assert list(home.iterdir()) == []


def test_incomplete_copy_is_not_overwritten(tmp_path, monkeypatch):
    _point_100k_at(monkeypatch, _closed_port_url(), "0" * 64)
    (tmp_path / "ml-100k").mkdir()
    (tmp_path / "ml-100k" / "u.data").write_text("1\t1\t5\t0\n")
    with pytest.raises(FileNotFoundError, match=r"lacks u\.item, u\.user.*remove it"):
        fetch_movielens("100k", data_home=tmp_path)
    assert [path.name for path in (tmp_path / "ml-100k").iterdir()] == ["u.data"]


def test_download(movielens_home, archive_100k, ml100k, http_server, tmp_path, monkeypatch):
    root, url = http_server
    shutil.copy(archive_100k, root / "ml-100k.zip")
    _point_100k_at(monkeypatch, url + "ml-100k.zip", _sha256(archive_100k))
    home = tmp_path / "new" / "home"
    bunch = fetch_movielens("100k", data_home=home, n_retries=1, delay=0)
    assert_frame_equal(bunch.frame, ml100k.frame)
    assert_frame_equal(bunch.movies, ml100k.movies)
    assert_frame_equal(bunch.users, ml100k.users)
    # The archive and the temporary folder are gone; only the extracted copy stays.
    assert [path.name for path in home.iterdir()] == ["ml-100k"]
    assert (home / "ml-100k" / "u.item").read_bytes() == (
        movielens_home / "ml-100k" / "u.item"
    ).read_bytes()
    # The extracted copy is used from now on: no network needed.
    _point_100k_at(monkeypatch, _closed_port_url(), "0" * 64)
    assert_frame_equal(fetch_movielens("100k", data_home=home, n_retries=1).frame, ml100k.frame)


def test_download_checksum_mismatch(archive_100k, http_server, tmp_path, monkeypatch):
    root, url = http_server
    shutil.copy(archive_100k, root / "ml-100k.zip")
    wrong = "ab" * 32
    _point_100k_at(monkeypatch, url + "ml-100k.zip", wrong)
    home = tmp_path / "home"
    with pytest.raises(OSError, match="Checksum mismatch") as info:
        fetch_movielens("100k", data_home=home, n_retries=1, delay=0)
    assert wrong in str(info.value)
    assert _sha256(archive_100k) in str(info.value)
    assert list(home.iterdir()) == []


def test_download_truncated_archive(archive_100k, http_server, tmp_path, monkeypatch):
    root, url = http_server
    content = archive_100k.read_bytes()
    truncated = root / "ml-100k.zip"
    truncated.write_bytes(content[: len(content) // 2])
    _point_100k_at(monkeypatch, url + "ml-100k.zip", _sha256(truncated))
    home = tmp_path / "home"
    with pytest.raises(OSError, match="cannot be extracted"):
        fetch_movielens("100k", data_home=home, n_retries=1, delay=0)
    assert list(home.iterdir()) == []
    # Nothing half-extracted passes for a copy on the next call.
    with pytest.raises(FileNotFoundError, match="was not found"):
        fetch_movielens("100k", data_home=home, download_if_missing=False)


def test_get_data_home(monkeypatch, tmp_path):
    monkeypatch.setenv("SKLEARN_REC_DATA", str(tmp_path / "rec"))
    monkeypatch.setenv("SCIKIT_LEARN_DATA", str(tmp_path / "sklearn"))
    assert get_data_home() == tmp_path / "rec"
    assert get_data_home(tmp_path / "given") == tmp_path / "given"
    assert get_data_home(str(tmp_path / "given")) == tmp_path / "given"
    monkeypatch.delenv("SKLEARN_REC_DATA")
    assert get_data_home() == tmp_path / "sklearn"
    monkeypatch.delenv("SCIKIT_LEARN_DATA")
    assert get_data_home() == Path("~", "scikit_learn_data").expanduser()
    monkeypatch.setenv("HOME", str(tmp_path / "user"))
    assert get_data_home("~/data") == tmp_path / "user" / "data"
    # Reading the location creates nothing.
    assert sorted(path.name for path in tmp_path.iterdir()) == []


def test_get_data_home_invalid():
    with pytest.raises(TypeError, match=r"data_home must be a str.*got 1\.5 of type float"):
        get_data_home(1.5)


def test_10m_layout_without_user_file(tmp_path, monkeypatch):
    # A few made-up lines in the layout of ml-10M100K: "::"-separated, no users.dat;
    # the counts they are checked against are theirs (tests/test_reliability.py checks them).
    counts = {"ratings": 3, "users": 2, "items": 2, "movies": 2}
    monkeypatch.setitem(_movielens.CONTENTS, "10m", _movielens.CONTENTS["10m"]._replace(**counts))
    folder = tmp_path / "ml-10M100K"
    folder.mkdir()
    (folder / "ratings.dat").write_text(
        "1::122::5::838985046\n1::185::4.5::838983525\n2::122::3::868245777\n"
    )
    (folder / "movies.dat").write_text(
        "122::Boomerang (1992)::Comedy|Romance\n185::Net, The (1995)::Action|Crime|Thriller\n",
        encoding="latin-1",
    )
    bunch = fetch_movielens("10m", data_home=tmp_path, download_if_missing=False)
    assert bunch.frame.shape == (3, 4)
    assert bunch.frame.rating.tolist() == [5.0, 4.5, 3.0]
    assert bunch.users is None
    assert bunch.movies.loc[185, "title"] == "Net, The (1995)"
    assert bunch.movies.loc[122, "year"] == 1992


def _tiny_20m(home, monkeypatch, scores):
    """A few made-up lines in the layout of ml-20m, with a genome of 2 movies x 2 tags."""
    counts = {"ratings": 2, "users": 1, "items": 2, "movies": 2, "tags": 1}
    monkeypatch.setitem(_movielens.CONTENTS, "20m", _movielens.CONTENTS["20m"]._replace(**counts))
    folder = home / "ml-20m"
    folder.mkdir()
    (folder / "ratings.csv").write_text("userId,movieId,rating,timestamp\n1,1,4.0,9\n1,2,3.5,9\n")
    (folder / "movies.csv").write_text(
        "movieId,title,genres\n1,A (1995),Comedy\n2,B (1996),Drama\n"
    )
    (folder / "tags.csv").write_text("userId,movieId,tag,timestamp\n1,2,dark,9\n")
    (folder / "genome-tags.csv").write_text("tagId,tag\n1,007\n2,dark\n")
    (folder / "genome-scores.csv").write_text("movieId,tagId,relevance\n" + scores)
    return folder


def test_genome_is_a_movies_by_tags_table(tmp_path, monkeypatch):
    _tiny_20m(tmp_path, monkeypatch, "2,2,0.75\n1,1,0.5\n1,2,0.25\n2,1,0.125\n")
    bunch = fetch_movielens("20m", data_home=tmp_path, download_if_missing=False, genome=True)
    expected = pd.DataFrame(
        [[0.5, 0.25], [0.125, 0.75]],
        index=pd.Index([1, 2], name="item"),
        columns=pd.Index(["007", "dark"], name="tag"),
        dtype=np.float32,
    )
    assert_frame_equal(bunch.genome, expected)
    assert bunch.tags["tag"].tolist() == ["dark"]
    assert fetch_movielens("20m", data_home=tmp_path, download_if_missing=False).genome is None


@pytest.mark.parametrize(
    "scores", ["1,1,0.5\n1,2,0.25\n2,1,0.125\n", "1,1,0.5\n1,2,0.25\n2,1,0.1\n2,1,0.2\n"]
)
def test_an_incomplete_genome_is_an_error(tmp_path, monkeypatch, scores):
    folder = _tiny_20m(tmp_path, monkeypatch, scores)
    with pytest.raises(OSError, match=rf"{folder / 'genome-scores.csv'}: does not hold one score"):
        fetch_movielens("20m", data_home=tmp_path, download_if_missing=False, genome=True)


def test_genome_needs_its_files_and_a_variant_that_has_one(tmp_path, monkeypatch):
    folder = _tiny_20m(tmp_path, monkeypatch, "")
    (folder / "genome-tags.csv").unlink()
    with pytest.raises(FileNotFoundError, match=r"genome=True needs genome-tags.csv in"):
        fetch_movielens("20m", data_home=tmp_path, download_if_missing=False, genome=True)
    with pytest.raises(
        ValueError, match=r"only the variants \['20m', '25m'\] have; got variant='100k'"
    ):
        fetch_movielens("100k", data_home=tmp_path, genome=True)


def test_10m_download_is_checked_against_the_published_md5():
    assert _movielens.ARCHIVES["10m"].checksum == "md5:ce571fd55effeba0271552578f2648bd"
    assert all(
        remote.checksum.startswith("sha256:")
        for variant, remote in _movielens.ARCHIVES.items()
        if variant != "10m"
    )


def test_32m_is_read_locally_and_never_downloaded(tmp_path, monkeypatch):
    counts = {"ratings": 1, "users": 1, "movies": 1}
    monkeypatch.setitem(_movielens.CONTENTS, "32m", _movielens.CONTENTS["32m"]._replace(**counts))
    with pytest.raises(FileNotFoundError, match=r"no published checksum of ml-32m\.zip"):
        fetch_movielens("32m", data_home=tmp_path)
    assert not list(tmp_path.iterdir())
    folder = tmp_path / "ml-32m"
    folder.mkdir()
    (folder / "ratings.csv").write_text("userId,movieId,rating,timestamp\r\n1,17,4.0,944249077\r\n")
    (folder / "movies.csv").write_text(
        "movieId,title,genres\r\n17,Sense and Sensibility (1995),Drama\r\n"
    )
    bunch = fetch_movielens("32m", data_home=tmp_path)
    assert bunch.frame.values.tolist() == [[1, 17, 4.0, 944249077]]
