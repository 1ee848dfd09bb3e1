"""Dataset loaders on the real data home, strict CSV reading on small self-written files,
fetch_file against a real HTTP server on 127.0.0.1, the synthetic corpus."""
from __future__ import annotations

import hashlib
import http.server
import io
import pickle
import threading
import zipfile
from pathlib import Path

import numpy as np
import pytest

from anime_genre import datasets
from anime_genre.datasets import RemoteFile, fetch_file, read_csv_bytes
from anime_genre.errors import DataNotFoundError, UserError
from anime_genre.synthetic import make_synthetic_corpus


# ----------------------------------------------------------------------------- real data

def test_load_mal2020(data_home):
    df = datasets.load_mal2020(data_home)
    assert len(df) == 16_214
    assert list(df.columns) == ["MAL_ID", "Name", "Type", "Genres", "Synopsis", "Score"]
    assert df["MAL_ID"].is_unique and df["Type"].notna().all()
    # every synopsis row found its type in anime.csv (17,562 rows)
    assert set(df["Type"]) == {"TV", "Movie", "OVA", "Special", "ONA", "Music", "Unknown"}
    assert df.loc[df.MAL_ID == 1, "Name"].item() == "Cowboy Bebop"
    assert df.loc[df.MAL_ID == 1, "Type"].item() == "TV"
    assert df["Synopsis"].isna().sum() == 8  # empty fields upstream


def test_anime_csv_row_count(data_home):
    path = fetch_file("mal2020/anime.csv.zip", data_home, download_if_missing=False)
    with zipfile.ZipFile(path) as z:
        frame = read_csv_bytes(z.read("anime.csv"), "anime.csv", ["MAL_ID", "Type"])
    assert len(frame) == 17_562
    assert "Genres" in frame.columns  # "Genders" upstream


def test_load_mal2023_sample(data_home):
    df = datasets.load_mal2023_sample(data_home)
    assert len(df) == 1_821
    assert list(df.columns[:6]) == ["MAL_ID", "Name", "Type", "Genres", "Synopsis", "Score"]
    assert df["MAL_ID"].dtype == np.int64


def test_load_seed_clean(data_home):
    seed = datasets.load_seed_clean(data_home)
    assert seed.metadata.shape == (6000, 3) and seed.genres.shape == (6000, 44)
    assert list(seed.synopsis.columns) == ["MAL_ID", "Synopsis"]
    assert set(np.unique(seed.genres.iloc[:, 1:].to_numpy())) <= {0, 1}
    assert (seed.metadata.MAL_ID.to_numpy() == seed.genres.MAL_ID.to_numpy()).all()


def test_load_ptb_cbow(data_home):
    vecs, w2i, i2w = datasets.load_ptb_cbow(data_home)
    assert vecs.shape == (10000, 100) and vecs.dtype == np.float64
    assert len(w2i) == len(i2w) == 10000
    assert all(i2w[w2i[w]] == w for w in ("the", "you", "money"))
    assert "vampire" not in w2i and "samurai" not in w2i


class _Evil:
    def __reduce__(self):
        return (print, ("should not run",))


def test_unpickler_refuses_code_but_loads_arrays():
    with pytest.raises(pickle.UnpicklingError, match="builtins.print"):
        datasets._ArraysOnlyUnpickler(io.BytesIO(pickle.dumps({"word_vecs": _Evil()}))).load()
    good = {"word_vecs": np.ones((2, 3), np.float16), "word_to_id": {"a": 0}, "id_to_word": {0: "a"}}
    back = datasets._ArraysOnlyUnpickler(io.BytesIO(pickle.dumps(good))).load()
    assert back["word_vecs"].dtype == np.float16 and back["id_to_word"] == {0: "a"}


def test_existing_file_with_wrong_bytes_is_reported(tmp_path):
    target = tmp_path / "mal2020" / "anime.csv.zip"
    target.parent.mkdir()
    target.write_bytes(b"not the real file")
    with pytest.raises(UserError, match="SHA-256 differs"):
        fetch_file("mal2020/anime.csv.zip", tmp_path, download_if_missing=False)
    assert fetch_file("mal2020/anime.csv.zip", tmp_path, verify=False) == target


# ----------------------------------------------------------------------------- CSV reading

def test_spelling_variants():
    old = b"MAL_ID,Name,Score,Genders,sypnopsis\n1,A,7.5,\"Action, Drama\",Text one.\n"
    new = b"MAL_ID,Name,Score,Genres,synopsis\n1,A,7.5,\"Action, Drama\",Text one.\n"
    newer = b"anime_id,Name,Score,Genres,Synopsis\n1,A,7.5,\"Action, Drama\",Text one.\n"
    frames = [read_csv_bytes(b, "x.csv") for b in (old, new, newer)]
    for f in frames:
        assert list(f.columns) == ["MAL_ID", "Name", "Score", "Genres", "Synopsis"]
        assert f.iloc[0].tolist() == ["1", "A", "7.5", "Action, Drama", "Text one."]


def _zip_dataset(home: Path, name: str, member: str, data: bytes) -> None:
    path = home / name
    path.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(path, "w") as z:
        z.writestr(member, data)


def test_load_mal2020_from_self_written_files_both_spellings(tmp_path):
    _zip_dataset(tmp_path, "mal2020/anime_with_synopsis.csv.zip", "anime_with_synopsis.csv",
                 b"MAL_ID,Name,Score,Genres,synopsis\n7,Seven,Unknown,Comedy,\"Line, with comma\"\n"
                 b"3,Three,8.1,\"Action, Mecha\",\n")
    _zip_dataset(tmp_path, "mal2020/anime.csv.zip", "anime.csv",
                 b"MAL_ID,Name,Genders,Type\n3,Three,x,TV\n7,Seven,y,Movie\n9,Nine,z,OVA\n")
    # checksums of self-written files differ from the real ones: load via verify-free tables
    files = {k: RemoteFile(v.path, None, hashlib.sha256((tmp_path / v.path).read_bytes()).hexdigest(), 0)
             for k, v in datasets.FILES.items() if k.startswith("mal2020/")}
    original = datasets.FILES.copy()
    try:
        datasets.FILES.update(files)
        df = datasets.load_mal2020(tmp_path, download_if_missing=False)
    finally:
        datasets.FILES.clear()
        datasets.FILES.update(original)
    assert df.MAL_ID.tolist() == [7, 3]
    assert df.Type.tolist() == ["Movie", "TV"]
    assert df.Synopsis.iloc[0] == "Line, with comma" and np.isnan(df.Score.iloc[0])
    assert df.Synopsis.isna().tolist() == [False, True]


def test_truncated_last_row_inside_quotes():
    data = b"MAL_ID,Name,Synopsis\n1,A,\"complete\"\n2,B,\"cut off in the mid"
    with pytest.raises(UserError, match=r"x\.csv: line 3: .*cut off"):
        read_csv_bytes(data, "x.csv")


def test_truncated_last_row_short():
    data = b"MAL_ID,Name,Synopsis\n1,A,fine\n2,B"
    with pytest.raises(UserError, match=r"x\.csv: row 2 \(line 3\) has 2 fields, expected 3.*cut off"):
        read_csv_bytes(data, "x.csv")


def test_last_row_without_line_break():
    with pytest.raises(UserError, match=r"row 1 \(line 2, the last\) has no final line break"):
        read_csv_bytes(b"MAL_ID,Name\n1,Abc", "x.csv")


def test_non_utf8_names_line():
    data = "MAL_ID,Name\n1,Fine\n2,Caf\u00e9\n".encode("latin-1")
    with pytest.raises(UserError, match=r"x\.csv: line 3: byte 0xe9 .* not valid UTF-8"):
        read_csv_bytes(data, "x.csv")


def test_missing_column_named():
    with pytest.raises(UserError, match=r"x\.csv: missing column\(s\) Synopsis; found MAL_ID, Name"):
        read_csv_bytes(b"MAL_ID,Name\n1,A\n", "x.csv", ["MAL_ID", "Synopsis"])


# ----------------------------------------------------------------------------- fetch_file

class _Server:
    """A real HTTP server on 127.0.0.1 serving a dict path -> bytes; counts requests."""

    def __init__(self, files: dict[str, bytes]):
        outer = self
        self.requests = 0

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self):
                outer.requests += 1
                body = files.get(self.path)
                if body is None:
                    self.send_error(404)
                    return
                self.send_response(200)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def close(self):
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def server():
    payload = b"some dataset bytes\n" * 1000
    s = _Server({"/good.bin": payload, "/bad.bin": payload + b"tampered"})
    s.payload = payload
    yield s
    s.close()


def test_fetch_downloads_verifies_and_caches(server, tmp_path):
    digest = hashlib.sha256(server.payload).hexdigest()
    files = {"demo/good.bin": RemoteFile("demo/good.bin", server.url + "/good.bin", digest,
                                         len(server.payload))}
    path = fetch_file("demo/good.bin", tmp_path, files=files)
    assert path == tmp_path / "demo" / "good.bin" and path.read_bytes() == server.payload
    assert server.requests == 1
    assert fetch_file("demo/good.bin", tmp_path, files=files) == path
    assert server.requests == 1  # second call reads the cached file
    assert list(path.parent.iterdir()) == [path]  # no temporary file left behind


def test_fetch_wrong_checksum_saves_nothing(server, tmp_path):
    digest = hashlib.sha256(server.payload).hexdigest()
    files = {"demo/bad.bin": RemoteFile("demo/bad.bin", server.url + "/bad.bin", digest, 0)}
    with pytest.raises(UserError, match="SHA-256 is .* expected " + digest):
        fetch_file("demo/bad.bin", tmp_path, files=files)
    assert list((tmp_path / "demo").iterdir()) == []


def test_fetch_offline_message(tmp_path):
    # a port that nobody listens on: the connection is refused, as when offline
    import socket
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    url = f"http://127.0.0.1:{port}/anime.csv.zip"
    files = {"mal2020/anime.csv.zip": RemoteFile("mal2020/anime.csv.zip", url, "0" * 64, 1)}
    with pytest.raises(DataNotFoundError) as info:
        fetch_file("mal2020/anime.csv.zip", tmp_path, files=files, timeout=5)
    msg = str(info.value)
    assert "mal2020/anime.csv.zip" in msg and url in msg and "ANIME_GENRE_DATA_HOME" in msg
    assert str(tmp_path) in msg and "\n" not in msg


def test_fetch_no_public_url_says_where_to_get_it(tmp_path):
    with pytest.raises(DataNotFoundError, match="dbdmobile/myanimelist-dataset.*ANIME_GENRE_DATA_HOME"):
        datasets.load_mal2023_sample(tmp_path)
    with pytest.raises(DataNotFoundError, match="yh08037/anime-genre-classification"):
        datasets.load_seed_clean(tmp_path)


def test_file_table_matches_shared_checksums(data_home):
    sums = {}
    for line in (data_home / "SHA256SUMS").read_text().splitlines():
        digest, name = line.split(maxsplit=1)
        sums[name.removeprefix("./")] = digest
    for name, remote in datasets.FILES.items():
        assert sums[name] == remote.sha256
        assert (data_home / name).stat().st_size == remote.size


# ----------------------------------------------------------------------------- synthetic

def test_synthetic_corpus_shape_and_determinism():
    a = make_synthetic_corpus(n_docs=400, n_genres=12, seed=1)
    assert list(a.columns) == ["MAL_ID", "Name", "Type", "Genres", "Synopsis", "Score"]
    assert a.equals(make_synthetic_corpus(n_docs=400, n_genres=12, seed=1))
    assert not a.equals(make_synthetic_corpus(n_docs=400, n_genres=12, seed=2))
    assert a.MAL_ID.is_unique
    counts = a.Genres.str.split(", ").explode().value_counts()
    assert len(counts) == 12 and counts.iloc[0] > 4 * counts.iloc[-1]  # imbalanced
    assert (a.Genres.str.count(",") >= 1).mean() > 0.3  # co-occurring genres
    assert {"ONA", "Music"} <= set(a.Type) and set(a.Type) <= {"TV", "Movie", "OVA", "Special", "ONA", "Music"}
    assert a.Synopsis.str.startswith("No synopsis information").sum() >= 1


def test_synthetic_signal_is_planted():
    df = make_synthetic_corpus(n_docs=600, seed=0)
    action = df.Genres.str.contains("Action")
    has_word = df.Synopsis.str.contains(r"\b(?:battle|fight|duel|weapon)\b")
    # the indicative words are far more common in Action synopses than elsewhere
    assert has_word[action].mean() > 3 * has_word[~action].mean()
