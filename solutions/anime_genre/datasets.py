"""The real datasets: where they live, how to fetch them, how to load them.

In the spirit of scikit-learn's ``fetch_*`` functions. Every file has a place in the data
home (``anime_genre.config.get_data_home``: the ``data_home`` argument, else
``$ANIME_GENRE_DATA_HOME``, else ``~/.cache/anime_genre``), an expected SHA-256 and, when a
public copy of the exact bytes is known, a URL it is downloaded from on first use.
``datasets/README.md`` documents each dataset (source, licence, columns, known damage).

Checksums of files already in the data home are verified too: hashing all of them (8.4 MB)
took 11 ms on the course machine, so there is no reason to skip it.

Loaders return DataFrames with the project's column names ``MAL_ID, Name, Type, Genres,
Synopsis`` (+ ``Score``) whatever the upstream spelling. Empty CSV fields become NaN; every
other value stays the text of the file (no "NA"/"None" guessing).
"""
from __future__ import annotations

import dataclasses
import hashlib
import os
import pickle
import tempfile
import urllib.error
import urllib.request
import zipfile
from pathlib import Path

import numpy as np
import pandas as pd

from .config import DATA_HOME_ENV, get_data_home
from .csvtext import strict_rows
from .errors import DataNotFoundError, UserError, decode_text


@dataclasses.dataclass(frozen=True)
class RemoteFile:
    """One dataset file: its path inside the data home, where to download it (``url``;
    None when no public copy of these exact bytes is known, then ``how_to_get`` says what
    to do), its SHA-256 and its size in bytes."""
    path: str
    url: str | None
    sha256: str
    size: int
    how_to_get: str = ""


_GET2KNOWME = ("https://raw.githubusercontent.com/zerotrustprivacy/get2knowme/"
               "78bfdd4b42ee8668776cf19449dad6b3beb626f1/")

FILES: dict[str, RemoteFile] = {f.path: f for f in [
    RemoteFile("mal2020/anime_with_synopsis.csv.zip", _GET2KNOWME + "anime_with_synopsis.csv.zip",
               "be21fe2bae5db51d5f751e42ea805d0d8dfbeb18b18dfc7e9ee3b2399214a9f8", 2_884_491,
               "Kaggle dataset hernan4444/anime-recommendation-database-2020 (early version)"),
    RemoteFile("mal2020/anime.csv.zip", _GET2KNOWME + "anime.csv.zip",
               "010c9bba14dc0bbfcd2048f70b263d93fb8c2b39fd1d2b1c41faf6671a770b44", 2_053_794,
               "Kaggle dataset hernan4444/anime-recommendation-database-2020 (early version)"),
    RemoteFile("mal2023-sample/anime-dataset-2023-sample.csv.zip", None,
               "0b44322ade5936c418751821c1736aa0de12678fd43b47876ef74d18ac82b915", 688_395,
               "no public copy of these bytes is known: it is the first 1,821 complete rows of "
               "the Kaggle dataset dbdmobile/myanimelist-dataset (anime-dataset-2023.csv), "
               "zipped; ask the course staff for the file"),
    RemoteFile("seed-clean/seed-clean.zip", None,
               "d692259fe38147ef2420621f147437a82e4f86b4e7ce8b1c24d22448c862cbae", 534_680,
               "no public copy of this archive is known: it zips metadata.csv, genre.csv and "
               "synopsis.csv from the clean_data/ folder of the GitHub repository "
               "yh08037/anime-genre-classification; ask the course staff for the file"),
    RemoteFile("dlfs2/cbow_params.pkl",
               "https://raw.githubusercontent.com/oreilly-japan/deep-learning-from-scratch-2/"
               "842ae31c2bb070f5116275606ed90396626a2c17/ch04/cbow_params.pkl",
               "205dba67a075fce2c81a2662c035244919eac50b796199490ce1212efd19cef4", 2_211_061,
               "oreilly-japan/deep-learning-from-scratch-2, ch04 (MIT licence)"),
]}


# ----------------------------------------------------------------------------- fetching

def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def _not_found(remote: RemoteFile, home: Path, why: str) -> DataNotFoundError:
    target = home / remote.path
    where = (f"could not be downloaded from {remote.url} ({why})" if remote.url
             else f"cannot be downloaded ({remote.how_to_get})")
    return DataNotFoundError(
        f"{remote.path} is not in the data home {home} and {where}. "
        f"Save the file as {target}, or set {DATA_HOME_ENV} to a folder that holds "
        f"{remote.path} (e.g. export {DATA_HOME_ENV}=/path/to/datasets).")


def _download(remote: RemoteFile, target: Path, timeout: float) -> None:
    """Stream ``remote.url`` into a temporary file beside ``target``, check size and
    SHA-256, then rename: an interrupted download never leaves a partial ``target``."""
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(dir=target.parent, prefix=target.name + ".", suffix=".part")
    tmp = Path(tmp_name)
    try:
        h = hashlib.sha256()
        size = 0
        request = urllib.request.Request(remote.url, headers={"User-Agent": "anime-genre-course"})
        with os.fdopen(fd, "wb") as out, urllib.request.urlopen(request, timeout=timeout) as resp:
            for block in iter(lambda: resp.read(1 << 16), b""):
                out.write(block)
                h.update(block)
                size += len(block)
        if h.hexdigest() != remote.sha256:
            raise UserError(
                f"{remote.path}: downloaded {size} bytes from {remote.url} but their SHA-256 is "
                f"{h.hexdigest()}, expected {remote.sha256} ({remote.size} bytes); the file was "
                f"not saved. The copy at that address has changed: get the file another way "
                f"and set {DATA_HOME_ENV}.")
        os.replace(tmp, target)
    finally:
        if tmp.exists():
            tmp.unlink()


def fetch_file(name: str, data_home=None, download_if_missing: bool = True, *,
               files: dict[str, RemoteFile] | None = None, verify: bool = True,
               timeout: float = 60.0) -> Path:
    """The local path of dataset file ``name`` (a key of :data:`FILES`, e.g.
    ``"mal2020/anime.csv.zip"``), downloading it into the data home when it is missing.

    Downloads are verified against the SHA-256 and saved atomically. Files already present
    are verified too unless ``verify=False``. Raises :class:`DataNotFoundError` (one message:
    the file, the URL, how to set the data home) when the file is absent and cannot be
    downloaded, and :class:`UserError` when bytes do not match the checksum."""
    table = FILES if files is None else files
    if name not in table:
        raise UserError(f"unknown dataset file {name!r}; known: {', '.join(sorted(table))}")
    remote = table[name]
    home = get_data_home(data_home)
    target = home / remote.path
    if target.exists():
        if verify and _sha256(target) != remote.sha256:
            raise UserError(
                f"{target}: SHA-256 differs from the expected {remote.sha256}: the file is not "
                f"the version the course uses. Delete it to download it again"
                + (f" from {remote.url}" if remote.url else "") + ", or pass verify=False.")
        return target
    if not download_if_missing:
        raise _not_found(remote, home, "downloading was not allowed")
    if remote.url is None:
        raise _not_found(remote, home, "")
    try:
        _download(remote, target, timeout)
    except (urllib.error.URLError, OSError, TimeoutError) as exc:
        reason = getattr(exc, "reason", None) or exc
        raise _not_found(remote, home, f"{type(exc).__name__}: {reason}") from None
    return target


# ----------------------------------------------------------------------------- CSV reading

# upstream spellings -> the project's column names
COLUMN_ALIASES = {"Genders": "Genres", "genres": "Genres", "sypnopsis": "Synopsis",
                  "synopsis": "Synopsis", "anime_id": "MAL_ID", "name": "Name", "type": "Type",
                  "score": "Score"}


def read_csv_bytes(data: bytes, file: str, required: list[str] | tuple = ()) -> pd.DataFrame:
    """Parse CSV bytes strictly into a DataFrame of strings (empty fields -> NaN), with
    column names normalised by :data:`COLUMN_ALIASES`.

    Raises :class:`UserError` naming ``file`` and the row (1-based line of the file) for:
    an empty file, bytes that are not UTF-8 text (binary data, another encoding), a row with
    the wrong number of fields, a last row cut off (inside a quoted field or without its
    final line break), a malformed quote, missing ``required`` columns. A header without
    rows gives an empty DataFrame (callers that need rows say so). Fields may be of any
    length (the csv module's default limit of 131,072 characters is lifted)."""
    if not data.strip():
        raise UserError(f"{file}: the file is empty; expected a CSV table with a header row")
    text = decode_text(data, file, "a CSV text file")
    header, body, _ = strict_rows(text, file)
    columns = [COLUMN_ALIASES.get(c.strip(), c.strip()) for c in header]
    dup = [c for c in dict.fromkeys(columns) if columns.count(c) > 1]
    if dup:
        raise UserError(f"{file}: column {dup[0]!r} appears more than once in the header")
    frame = pd.DataFrame(body, columns=columns, dtype=object)
    frame = frame.where(frame != "", np.nan)
    missing = [c for c in required if c not in frame.columns]
    if missing:
        raise UserError(f"{file}: missing column(s) {', '.join(missing)}; found {', '.join(header)}")
    return frame


def read_csv_file(path, required: list[str] | tuple = ()) -> pd.DataFrame:
    """:func:`read_csv_bytes` of a file, or of the single CSV inside a ``.zip``; a missing
    file, a folder or an unreadable file is a :class:`UserError` naming it."""
    p = Path(path)
    if not p.exists():
        raise UserError(f"{p}: no such file")
    if p.is_dir():
        raise UserError(f"{p}: is a folder; expected a CSV file")
    if p.suffix.lower() == ".zip":
        return _read_zip_csv(p, required=required)
    try:
        data = p.read_bytes()
    except OSError as exc:
        raise UserError(f"{p}: cannot read the file ({exc.strerror or exc})") from None
    return read_csv_bytes(data, str(p), required)


def _read_zip_csv(path: Path, member: str | None = None, required=()) -> pd.DataFrame:
    try:
        with zipfile.ZipFile(path) as archive:
            names = [n for n in archive.namelist() if n.lower().endswith(".csv")]
            if member is None:
                if len(names) != 1:
                    raise UserError(f"{path}: expected one CSV in the archive, found {names}")
                member = names[0]
            data = archive.read(member)
    except zipfile.BadZipFile as exc:
        raise UserError(f"{path}: not a valid zip archive ({exc})") from None
    except KeyError:
        raise UserError(f"{path}: no member {member!r} in the archive") from None
    return read_csv_bytes(data, f"{path}:{member}", required)


def to_int_column(frame: pd.DataFrame, column: str, file: str) -> pd.Series:
    """``frame[column]`` as int64; the first value that is not a whole number is a
    :class:`UserError` naming the file, the row (1-based, header not counted) and the value."""
    values = pd.to_numeric(frame[column], errors="coerce")
    bad = values.isna() | (values != values.round()) | (values.abs() >= 2 ** 62)
    if bad.any():
        i = int(np.flatnonzero(bad.to_numpy())[0])
        raise UserError(f"{file}: row {i + 1}: column {column} is {frame[column].iloc[i]!r}, "
                        f"expected a whole number; fix or delete that row")
    return values.astype(np.int64)


_to_int = to_int_column


def _finish(frame: pd.DataFrame, file: str, columns: list[str]) -> pd.DataFrame:
    frame = frame.copy()
    frame["MAL_ID"] = _to_int(frame, "MAL_ID", file)
    if "Score" in frame.columns:  # "Unknown" / "UNKNOWN" -> NaN
        frame["Score"] = pd.to_numeric(frame["Score"], errors="coerce")
    if not frame["MAL_ID"].is_unique:
        dup = frame["MAL_ID"][frame["MAL_ID"].duplicated()].iloc[0]
        raise UserError(f"{file}: MAL_ID {dup} appears more than once")
    return frame[columns + [c for c in frame.columns if c not in columns]]


# ----------------------------------------------------------------------------- loaders

MAIN_COLUMNS = ["MAL_ID", "Name", "Type", "Genres", "Synopsis", "Score"]


def load_mal2020(data_home=None, download_if_missing: bool = True) -> pd.DataFrame:
    """The mal2020 corpus: ``anime_with_synopsis.csv`` (16,214 rows) joined with the
    ``Type`` column of ``anime.csv`` (17,562 rows) on ``MAL_ID``.

    Returns a DataFrame with columns ``MAL_ID`` (int), ``Name``, ``Type``, ``Genres``
    (comma-separated), ``Synopsis`` (str or NaN), ``Score`` (float, NaN for "Unknown"), one
    row per synopsis row. A synopsis row without a match in anime.csv is an error."""
    syn_path = fetch_file("mal2020/anime_with_synopsis.csv.zip", data_home, download_if_missing)
    ani_path = fetch_file("mal2020/anime.csv.zip", data_home, download_if_missing)
    syn = _read_zip_csv(syn_path, required=["MAL_ID", "Name", "Genres", "Synopsis"])
    syn = _finish(syn, str(syn_path), [c for c in MAIN_COLUMNS if c in syn.columns and c != "Type"])
    ani = _read_zip_csv(ani_path, required=["MAL_ID", "Type"])
    ani = _finish(ani, str(ani_path), ["MAL_ID", "Type"])[["MAL_ID", "Type"]]
    joined = syn.drop(columns=[c for c in ("Type",) if c in syn.columns]).merge(
        ani, on="MAL_ID", how="left", validate="one_to_one")
    unmatched = joined["Type"].isna() & ~joined["MAL_ID"].isin(ani["MAL_ID"])
    if unmatched.any():
        raise UserError(f"{syn_path}: {int(unmatched.sum())} MAL_IDs have no row in {ani_path}, "
                        f"e.g. {int(joined['MAL_ID'][unmatched].iloc[0])}")
    if "Score" not in joined.columns:
        joined["Score"] = np.nan
    return joined[MAIN_COLUMNS]


def load_mal2023_sample(data_home=None, download_if_missing: bool = True) -> pd.DataFrame:
    """The mal2023 sample (1,821 rows, intact synopses with paragraph breaks and source
    tails, 2023 genre scheme). Columns ``MAL_ID`` (from ``anime_id``), ``Name``, ``Type``,
    ``Genres``, ``Synopsis``, ``Score``, then the other upstream columns unchanged."""
    path = fetch_file("mal2023-sample/anime-dataset-2023-sample.csv.zip", data_home,
                      download_if_missing)
    frame = _read_zip_csv(path, required=["MAL_ID", "Name", "Type", "Genres", "Synopsis"])
    return _finish(frame, str(path), MAIN_COLUMNS)


@dataclasses.dataclass
class SeedClean:
    """The original project's preprocessed data (6,000 titles, same MAL_ID order):
    ``metadata`` (MAL_ID, Name, Type), ``genres`` (MAL_ID + 43 one-hot int columns),
    ``synopsis`` (MAL_ID, Synopsis: lower-cased, stop words removed, PTB-vocabulary only)."""
    metadata: pd.DataFrame
    genres: pd.DataFrame
    synopsis: pd.DataFrame


def load_seed_clean(data_home=None, download_if_missing: bool = True) -> SeedClean:
    """Load ``seed-clean/seed-clean.zip``; see :class:`SeedClean`."""
    path = fetch_file("seed-clean/seed-clean.zip", data_home, download_if_missing)
    meta = _finish(_read_zip_csv(path, "metadata.csv", ["MAL_ID", "Name", "Type"]),
                   f"{path}:metadata.csv", ["MAL_ID", "Name", "Type"])
    genres = _read_zip_csv(path, "genre.csv", ["MAL_ID"])
    genres = _finish(genres, f"{path}:genre.csv", ["MAL_ID"])
    for col in genres.columns[1:]:
        genres[col] = _to_int(genres, col, f"{path}:genre.csv")
    synopsis = _finish(_read_zip_csv(path, "synopsis.csv", ["MAL_ID", "Synopsis"]),
                       f"{path}:synopsis.csv", ["MAL_ID", "Synopsis"])
    return SeedClean(meta, genres, synopsis)


class _ArraysOnlyUnpickler(pickle.Unpickler):
    """Unpickles plain containers and numpy arrays, nothing else: a pickle can run any
    importable callable while loading, so only numpy's array reconstruction is allowed."""

    def find_class(self, module, name):
        allowed = {
            ("numpy.core.multiarray", "_reconstruct"), ("numpy._core.multiarray", "_reconstruct"),
            ("numpy.core.multiarray", "scalar"), ("numpy._core.multiarray", "scalar"),
            ("numpy", "ndarray"), ("numpy", "dtype"),
        }
        safe_builtins = {"dict", "list", "tuple", "set", "frozenset", "int", "float", "str",
                         "bytes", "bool", "complex"}
        if (module, name) in allowed:
            core = getattr(np, "_core", None) or np.core  # numpy 2 renamed core -> _core
            return {"_reconstruct": core.multiarray._reconstruct, "scalar": core.multiarray.scalar,
                    "ndarray": np.ndarray, "dtype": np.dtype}[name]
        if module == "builtins" and name in safe_builtins:
            return getattr(__import__("builtins"), name)
        raise pickle.UnpicklingError(f"refusing to load {module}.{name}: only numpy arrays and "
                                     f"plain containers are allowed in this pickle")


def load_ptb_cbow(data_home=None, download_if_missing: bool = True, dtype=np.float64):
    """The PTB CBOW word vectors of *Deep Learning from Scratch 2* (ch04).

    Returns ``(word_vecs, word_to_id, id_to_word)``: ``word_vecs`` of shape (10000, 100)
    converted from the stored float16 to ``dtype``; ``word_to_id`` str -> int;
    ``id_to_word`` int -> str."""
    path = fetch_file("dlfs2/cbow_params.pkl", data_home, download_if_missing)
    try:
        with open(path, "rb") as f:
            params = _ArraysOnlyUnpickler(f).load()
    except (pickle.UnpicklingError, EOFError, ValueError) as exc:
        raise UserError(f"{path}: cannot load the pickle safely: {exc}") from None
    missing = [k for k in ("word_vecs", "word_to_id", "id_to_word") if k not in params]
    if not isinstance(params, dict) or missing:
        raise UserError(f"{path}: expected a dict with word_vecs, word_to_id, id_to_word; "
                        f"missing {missing}")
    word_vecs = np.asarray(params["word_vecs"]).astype(dtype)
    word_to_id = {str(w): int(i) for w, i in params["word_to_id"].items()}
    id_to_word = {int(i): str(w) for i, w in params["id_to_word"].items()}
    return word_vecs, word_to_id, id_to_word
