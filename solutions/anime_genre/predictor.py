"""Predicting from a run model with numpy only: what ``anime-genre predict`` loads.

``anime-genre run`` writes the full model (``model.npz``: every network's weights, the
vectorizer, thresholds; read by :class:`anime_genre.pipeline.Predictor`) and, next to it, a
small file with the rest of what predicting needs (``model.predict.npz``, see
:func:`compact_path`; about 1 MB for the mal2020 model):

- ``terms``, ``stop_words``: the vocabulary (column order) and the stop words the training
  text was cleaned with, as UTF-8 text joined by newlines (uint8);
- ``idf`` (V,) float32; ``m{m}_b0`` and, for the later layers, ``m{m}_W{i}``, ``m{m}_b{i}``
  of network m; ``thresholds`` (K,);
- ``meta``: JSON with the genres, each network's layer sizes, activation and output, how
  the networks are combined (``combine``: "proba", the mean of their probabilities, or
  "logit", the sigmoid of the mean of their log-odds; the reference's closed-form (naive-Bayes, ridge)
  heads are networks without hidden layer), and the size and header hash of the
  ``model.npz`` it belongs to (a stale file is ignored).

The first-layer weights (V x H per network, float16: 10 MB for the mal2020 reference's MLP,
3 MB for each of its heads, whose H is the number of genres) are not copied: they
are memory-mapped from ``model.npz`` (written uncompressed), so one synopsis reads the few
hundred rows of its terms, not the matrices. Nothing here imports scikit-learn, scipy or
pandas. :class:`FastPredictor` gives the probabilities of ``Predictor`` (same cleaning,
TF-IDF and float32 products in the same order); a run folder from before this file existed
is read from ``model.npz`` alone (slower: the stop words then come from
``anime_genre.clean``, which imports scikit-learn and pandas).
"""
from __future__ import annotations

import hashlib
import json
import os
import struct
import zipfile
from functools import partial
from operator import is_not
from pathlib import Path

import numpy as np

from .errors import UserError
from .words import normalize

MODEL_FORMAT = "anime-genre-run-model"
# 2: several networks (``model{m}_param_{i}``), weight matrices stored as float16
MODEL_VERSION = 2
COMPACT_FORMAT = "anime-genre-predictor"
COMPACT_VERSION = 1
COMPACT_SUFFIX = ".predict.npz"
# nonzero TF-IDF entries per block of rows in the first layer: bounds the distinct weight
# rows converted to float32 at a time (at most 16384 x 3 networks x 256 units x 4 bytes =
# 50 MB; about 8000 distinct terms, 25 MB, for mal2020 synopses)
BLOCK_NNZ = 16384


def compact_path(model_path) -> Path:
    """``.../model.npz`` -> ``.../model.predict.npz``."""
    p = Path(model_path)
    return p.with_name((p.name[:-4] if p.name.endswith(".npz") else p.name) + COMPACT_SUFFIX)


# ----------------------------------------------------------------------------- text

def cleaning_of_this_version() -> dict:
    """How ``clean.normalize`` cleans text now (stop words, source notes removed or not),
    recorded in the predict file so that prediction cleans text as training did."""
    from .clean import STOP_WORDS, normalize as clean_normalize

    probe = clean_normalize("ninja (Source: ANN)", stop_words=frozenset())
    return {"stop_words": STOP_WORDS, "strip_source_tail": "source" not in probe}


def terms_of(words: list, bigrams: bool = True) -> list:
    """The tokens ``BowVectorizer(bigrams=...).transform`` counts in ``" ".join(words)``
    (cleaned words: letters only): words of 2+ letters, then each adjacent pair ``a_b``
    (single letters included)."""
    unigrams = [w for w in words if len(w) > 1]
    return unigrams + [a + "_" + b for a, b in zip(words[:-1], words[1:])] if bigrams else unigrams


def _blob(words) -> np.ndarray:
    return np.frombuffer("\n".join(words).encode("utf-8"), dtype=np.uint8)


def _unblob(a) -> list:
    text = np.asarray(a, dtype=np.uint8).tobytes().decode("utf-8")
    return text.split("\n") if text else []


# ----------------------------------------------------------------------------- model.npz

def read_run_model(path) -> tuple:
    """``(meta, arrays)`` of a model written by ``pipeline.save_run_model``; UserError naming
    the file and saying to retrain for a missing, unreadable or foreign file or another
    format version."""
    path = Path(path)
    if not path.is_file():
        raise UserError(f"{path}: model file not found; train one with `anime-genre run` "
                        f"or pass --model PATH")
    return _read_npz(path, MODEL_FORMAT, MODEL_VERSION, "model file", "retrain with `anime-genre run`")


def _read_npz(path, fmt: str, version: int, what: str, remedy: str) -> tuple:
    """``(meta, arrays)`` of an .npz whose JSON header ``meta`` says ``fmt`` and ``version``;
    UserError naming the file, what is wrong and ``remedy`` otherwise."""
    try:
        with np.load(path, allow_pickle=False) as data:
            arrays = {k: data[k] for k in data.files}
        if "meta" not in arrays:
            raise UserError(f"{path}: not an anime-genre run model (no '{fmt}' header); {remedy}")
        meta = json.loads(str(arrays.pop("meta")))
    except (OSError, ValueError, KeyError, EOFError, zipfile.BadZipFile) as exc:
        raise UserError(f"{path}: not a readable anime-genre {what} ({type(exc).__name__}); "
                        f"{remedy}") from None
    _check_header(path, meta, fmt, version)
    return meta, arrays


def _check_header(path, meta, fmt, version):
    if not isinstance(meta, dict) or meta.get("format") != fmt:
        raise UserError(f"{path}: not an anime-genre run model (no '{fmt}' header); "
                        f"retrain with `anime-genre run`")
    if meta.get("format_version") != version:
        raise UserError(f"{path}: model format version {meta.get('format_version')!r} (written by "
                        f"anime-genre {meta.get('package_version')}), this version reads "
                        f"{version}; retrain with `anime-genre run`")


def _fingerprint(path) -> dict:
    """Size of a model.npz and a hash of its JSON header (which holds its creation time)."""
    path = Path(path)
    with zipfile.ZipFile(path) as zf:
        header = zf.read("meta.npy")
    return {"size": path.stat().st_size, "meta_sha256": hashlib.sha256(header).hexdigest()}


def _first_name(m: int) -> str:
    return f"model{m}_param_0"


def _compact_arrays(meta, arrays, stop_words, first_shapes) -> tuple:
    """``(meta, arrays)`` of the small predict file, from a model.npz's header and arrays
    (all but the first-layer weights, whose shapes are ``first_shapes``). Raises ValueError
    when the parts do not fit together."""
    configs = meta["model_configs"]
    if not isinstance(configs, list) or not configs:
        raise ValueError("no network configuration")
    genres = [str(g) for g in meta["genres"]]
    terms = [str(t) for t in arrays["vec_terms"].tolist()]
    th = np.asarray(arrays["thresholds"], dtype=np.float64)
    settings = meta["vectorizer"]
    settings = {"bigrams": bool(settings["bigrams"]), "sublinear_tf": bool(settings["sublinear_tf"])}
    if np.shape(arrays["vec_idf"]) != (len(terms),):
        raise ValueError("vocabulary and IDF sizes disagree")
    out = {"terms": _blob(terms), "stop_words": _blob(sorted(stop_words)),
           "idf": np.asarray(arrays["vec_idf"], dtype=np.float32), "thresholds": th}
    nets = []
    for m, config in enumerate(configs):
        sizes = [int(config["input_size"]), *map(int, config["hidden_sizes"]),
                 int(config["output_size"])]
        if not config.get("sparse_input", False):
            raise ValueError(f"network {m} does not read the sparse bag of words")
        if sizes[0] != len(terms):
            raise ValueError("vocabulary size and input size disagree")
        if sizes[-1] != len(genres) or th.shape != (len(genres),):
            raise ValueError("genre names, thresholds and output size disagree")
        dtype = np.dtype(config.get("dtype", "float32"))
        for i, (fan_in, fan_out) in enumerate(zip(sizes[:-1], sizes[1:])):
            W = first_shapes[m] if i == 0 else arrays[f"model{m}_param_{2 * i}"].shape
            b = arrays[f"model{m}_param_{2 * i + 1}"]
            if tuple(W) != (fan_in, fan_out) or b.shape != (fan_out,):
                raise ValueError(f"model{m}_param_{2 * i} has shape {tuple(W)}, expected "
                                 f"{(fan_in, fan_out)}")
            if i:
                out[f"m{m}_W{i}"] = arrays[f"model{m}_param_{2 * i}"]
            out[f"m{m}_b{i}"] = b.astype(dtype)
        nets.append({"sizes": sizes, "activation": config.get("activation", "relu"),
                     "loss": config.get("loss", "bce"), "dtype": dtype.name})
    combine = meta.get("combine", "proba")
    if combine not in ("proba", "logit") or (combine == "logit" and any(
            net["loss"] == "softmax" for net in nets)):
        raise ValueError(f"networks combined by {combine!r}")
    cmeta = {"format": COMPACT_FORMAT, "format_version": COMPACT_VERSION,
             "package_version": meta.get("package_version"), "source": meta.get("source"),
             "created": meta.get("created"), "genres": genres, "networks": nets,
             "combine": combine, "vectorizer": settings}
    return cmeta, out


def write_compact(model_path, cleaning=None) -> Path:
    """Write the small predict file of ``model_path`` (a model.npz) next to it, atomically.
    ``cleaning``: ``{"stop_words", "strip_source_tail"}``, how the training text was cleaned
    (default: :func:`cleaning_of_this_version`)."""
    cleaning = cleaning or cleaning_of_this_version()
    model_path = Path(model_path)
    out_path = compact_path(model_path)
    meta, arrays = read_run_model(model_path)
    n = len(meta.get("model_configs") or ())
    firsts = [arrays.pop(_first_name(m)) for m in range(n) if _first_name(m) in arrays]
    try:
        cmeta, out = _compact_arrays(meta, arrays, cleaning["stop_words"], [W.shape for W in firsts])
    except (KeyError, TypeError, ValueError) as exc:
        raise UserError(f"{model_path}: inconsistent model file ({exc})") from None
    cmeta["cleaning"] = {"strip_source_tail": bool(cleaning["strip_source_tail"])}
    cmeta["model_file"] = {"name": model_path.name, **_fingerprint(model_path)}
    tmp = out_path.with_name(out_path.name + ".tmp")
    with open(tmp, "wb") as f:
        np.savez(f, meta=np.array(json.dumps(cmeta)), **out)
    os.replace(tmp, out_path)
    return out_path


# ----------------------------------------------------------------------------- reading

def _memmap_member(path, zf: zipfile.ZipFile, name: str):
    """The array ``name`` of an .npz, memory-mapped read-only when it is stored uncompressed
    (as ``np.savez`` writes), else read."""
    info = zf.getinfo(name + ".npy")
    if info.compress_type == zipfile.ZIP_STORED:
        with open(path, "rb") as f:
            f.seek(info.header_offset)
            local = f.read(30)
            if len(local) == 30 and local[:4] == b"PK\x03\x04":
                n_name, n_extra = struct.unpack("<HH", local[26:30])
                start = info.header_offset + 30 + n_name + n_extra
                f.seek(start)
                version = np.lib.format.read_magic(f)
                read_header = {(1, 0): np.lib.format.read_array_header_1_0,
                               (2, 0): np.lib.format.read_array_header_2_0}.get(version)
                if read_header is not None:
                    shape, fortran, dtype = read_header(f)
                    offset = f.tell()
                    nbytes = dtype.itemsize * int(np.prod(shape))
                    if not dtype.hasobject and offset - start + nbytes == info.file_size:
                        return np.memmap(path, dtype=dtype, mode="r", offset=offset,
                                         shape=tuple(shape), order="F" if fortran else "C")
    with zf.open(info) as f:
        return np.lib.format.read_array(f, allow_pickle=False)


def _read_compact(path) -> tuple:
    """``(meta, arrays)`` of a predict file."""
    return _read_npz(path, COMPACT_FORMAT, COMPACT_VERSION, "predict file", "rerun `anime-genre run`")


def _is_compact(path) -> bool:
    try:
        with zipfile.ZipFile(path) as zf:
            return "stop_words.npy" in zf.namelist()
    except (OSError, zipfile.BadZipFile):
        return False


class FastPredictor:
    """A run model for prediction: ``predict_proba(texts) -> (n, K)`` float64, equal to
    ``pipeline.Predictor``'s; ``words(text)`` the cleaned words, ``n_known(words)`` how many
    the model knows; ``genres``, ``thresholds`` (K,), ``meta``, ``vocabulary``.

    ``FastPredictor.load(path)``: ``path`` is a model.npz (or its predict file, or the run
    folder that holds them). When the predict file is missing or belongs to another
    model.npz, everything is read from the model.npz: ``fast`` is False and ``note`` says
    why."""

    def __init__(self, meta, arrays, first, normalizer=None, path=None, fast=True, note=None):
        self.meta, self.path, self.fast, self.note = meta, path, fast, note
        self.strip_source_tail = bool(meta.get("cleaning", {}).get("strip_source_tail", False))
        self._normalizer = normalizer
        self.genres = list(meta["genres"])
        self.thresholds = np.asarray(arrays["thresholds"], dtype=np.float64)
        self.terms = _unblob(arrays["terms"])
        self.vocabulary = dict(zip(self.terms, range(len(self.terms))))
        self.stop_words = frozenset(_unblob(arrays["stop_words"]))
        self.idf = np.asarray(arrays["idf"], dtype=np.float32)
        self.bigrams = bool(meta["vectorizer"]["bigrams"])
        self.sublinear_tf = bool(meta["vectorizer"]["sublinear_tf"])
        self.nets = meta["networks"]
        self.combine = meta.get("combine", "proba")
        if not self.nets or len(first) != len(self.nets):
            raise ValueError("first-layer weights and networks disagree")
        if self.idf.shape != (len(self.terms),) or self.thresholds.shape != (len(self.genres),):
            raise ValueError("vocabulary, IDF, genres and thresholds disagree")
        self.layers = []   # per network: [(W, b), ...], W of the first layer memory-mapped
        for m, net in enumerate(self.nets):
            sizes, dtype = net["sizes"], np.dtype(net["dtype"])
            if tuple(first[m].shape) != (len(self.terms), sizes[1]) or sizes[-1] != len(self.genres):
                raise ValueError(f"network {m}: weights of shape {first[m].shape} for "
                                 f"{len(self.terms)} terms and layer sizes {sizes}")
            layers = [(first[m], np.asarray(arrays[f"m{m}_b0"], dtype=dtype))]
            for i in range(1, len(sizes) - 1):
                W = np.asarray(arrays[f"m{m}_W{i}"], dtype=dtype)
                if W.shape != (sizes[i], sizes[i + 1]):
                    raise ValueError(f"m{m}_W{i} has shape {W.shape}")
                layers.append((W, np.asarray(arrays[f"m{m}_b{i}"], dtype=dtype)))
            self.layers.append(layers)

    # -- loading
    @classmethod
    def load(cls, path) -> "FastPredictor":
        path = Path(path)
        if path.is_dir():        # a run folder (what `anime-genre run` prints): its model.npz
            if not (path / "model.npz").is_file():
                raise UserError(f"{path}: a folder without model.npz; pass the run folder of "
                                f"`anime-genre run` or the model file itself")
            path = path / "model.npz"
        if not path.is_file():
            raise UserError(f"{path}: model file not found; train one with `anime-genre run` "
                            f"or pass --model PATH")
        if _is_compact(path):    # the predict file itself: its model.npz is next to it
            meta, arrays = _read_compact(path)
            name = (meta.get("model_file") or {}).get("name", "model.npz")
            return cls._fast(path.with_name(name), path, meta, arrays)
        side = compact_path(path)
        if side.is_file():
            meta, arrays = _read_compact(side)
            return cls._fast(path, side, meta, arrays)
        note = (f"no {side.name} next to {path.name} (a run folder from an older version?): "
                f"reading everything from {path.name}, which is slower; rerun `anime-genre run` "
                f"for the fast file")
        return cls._slow(path, note)

    @classmethod
    def _fast(cls, path, side, meta, arrays):
        if not path.is_file():
            raise UserError(f"{path}: model file not found (its predict file {side} is there): "
                            f"rerun `anime-genre run`")
        made_from = meta.get("model_file")
        try:
            fresh = (isinstance(made_from, dict) and made_from.get("size") == path.stat().st_size
                     and made_from.get("meta_sha256") == _fingerprint(path)["meta_sha256"])
        except (OSError, KeyError, zipfile.BadZipFile):
            fresh = False
        if not fresh:
            return cls._slow(path, f"{side.name} was not made from this {path.name} (copied "
                                   f"from another run?): ignored; reading everything from "
                                   f"{path.name}, which is slower")
        try:
            with zipfile.ZipFile(path) as zf:
                first = [_memmap_member(path, zf, _first_name(m)) for m in range(len(meta["networks"]))]
            return cls(meta, arrays, first, path=path)
        except (OSError, KeyError, TypeError, ValueError, IndexError, zipfile.BadZipFile) as exc:
            raise UserError(f"{side}: inconsistent with {path.name} ({exc}); rerun "
                            f"`anime-genre run`") from None

    @classmethod
    def _slow(cls, path, note):
        meta, arrays = read_run_model(path)
        # clean imports scikit-learn and pandas: the slow path
        from .clean import STOP_WORDS, normalize as clean_normalize

        try:
            n = len(meta["model_configs"])
            first = [arrays.pop(_first_name(m)) for m in range(n)]
            cmeta, out = _compact_arrays(meta, arrays, STOP_WORDS, [W.shape for W in first])
            return cls(cmeta, out, first, normalizer=clean_normalize, path=path, fast=False,
                       note=note)
        except (KeyError, TypeError, ValueError, IndexError) as exc:
            raise UserError(f"{path}: inconsistent model file ({exc}); retrain with "
                            f"`anime-genre run`") from None

    # -- text
    def words(self, text: str) -> list:
        """The cleaned words of a synopsis, as ``clean.normalize`` gives them."""
        if self._normalizer is not None:
            return self._normalizer(text)
        return normalize(text, self.stop_words, self.strip_source_tail)

    def n_known(self, words) -> int:
        """How many of the cleaned words are terms of the vocabulary."""
        vocabulary = self.vocabulary
        return sum(1 for w in words if w in vocabulary)

    def tfidf(self, word_lists) -> tuple:
        """CSR parts ``(indptr, cols, values)`` of the TF-IDF of cleaned word lists: float32,
        columns sorted within rows, as ``BowVectorizer.transform`` of the joined words."""
        V = len(self.terms)
        get, bigrams = self.vocabulary.get, self.bigrams
        known = partial(is_not, None)
        lengths, ids = [], []
        for words in word_lists:
            before = len(ids)
            ids.extend(filter(known, map(get, terms_of(words, bigrams))))
            lengths.append(len(ids) - before)
        n = len(word_lists)
        doc = np.repeat(np.arange(n, dtype=np.int64), lengths)
        codes = doc * V + np.asarray(ids, dtype=np.int64)
        codes.sort()
        if codes.size:
            starts = np.flatnonzero(np.concatenate(([True], codes[1:] != codes[:-1])))
            counts = np.diff(np.append(starts, codes.size))
            codes = codes[starts]
        else:
            counts = np.zeros(0, dtype=np.int64)
        rows = codes // max(V, 1)
        cols = codes - rows * V
        # as TfidfVectorizer._weigh: (sublinear) tf, times idf, over the row's l2 norm
        data = counts.astype(np.float32)
        if self.sublinear_tf:
            np.log(data, out=data)
            data += 1.0
        data *= self.idf[cols]
        norms = np.sqrt(np.bincount(rows, weights=data * data, minlength=n))
        norms[norms == 0.0] = 1.0
        data /= norms[rows]
        indptr = np.zeros(n + 1, dtype=np.int64)
        np.cumsum(np.bincount(rows, minlength=n), out=indptr[1:])
        return indptr, cols, data

    # -- the networks
    def _first_layers(self, indptr, cols, data) -> list:
        """Per network, (n, H) = X @ W + b for the CSR rows (W: float16, memory-mapped), a
        block of rows with about BLOCK_NNZ entries at a time: the block's distinct rows of
        every W are read and converted once (all the networks side by side), then each row
        of X is one product with its rows of them."""
        n = len(indptr) - 1
        Ws = [layers[0][0] for layers in self.layers]
        dtype = np.result_type(*[layers[0][1] for layers in self.layers])
        ends = np.cumsum([W.shape[1] for W in Ws])
        out = np.zeros((n, int(ends[-1])), dtype=dtype)
        data = data.astype(dtype, copy=False)
        # one work buffer for the distinct rows of every block (fresh pages for each block
        # cost more than the products)
        size = min(int(indptr[-1]), max(BLOCK_NNZ, int(np.diff(indptr).max(initial=0))))
        buffer = np.empty((size, out.shape[1]), dtype=dtype)
        r0 = 0
        while r0 < n:
            r1 = int(np.searchsorted(indptr, indptr[r0] + BLOCK_NNZ, side="right")) - 1
            r1 = min(max(r1, r0 + 1), n)   # rows r0 .. r1 - 1, at least one
            lo, hi = int(indptr[r0]), int(indptr[r1])
            if hi > lo:
                used, at = np.unique(cols[lo:hi], return_inverse=True)
                at = at.reshape(-1)
                U = buffer[:used.size]   # U[at[k]]: the weights of the block's term k
                for W, e in zip(Ws, ends):
                    U[:, e - W.shape[1]:e] = W[used]
                for r in range(r0, r1):
                    s, e = indptr[r] - lo, indptr[r + 1] - lo
                    if e > s:
                        out[r] = data[lo + s:lo + e] @ U[at[s:e]]
            r0 = r1
        return [out[:, e - W.shape[1]:e] + layers[0][1]
                for W, e, layers in zip(Ws, ends, self.layers)]

    def predict_proba_words(self, word_lists) -> np.ndarray:
        """(n, K) float64 probabilities of cleaned word lists: the mean of the networks'
        probabilities, or with ``combine == "logit"`` the sigmoid of the mean of their
        logits."""
        from .functions import sigmoid, softmax

        if not len(word_lists):
            return np.zeros((0, len(self.genres)))
        firsts = self._first_layers(*self.tfidf(word_lists))
        P = None
        for net, layers, x in zip(self.nets, self.layers, firsts):
            for W, b in layers[1:]:
                x = np.maximum(x, 0) if net["activation"] == "relu" else sigmoid(x)
                x = x @ W + b
            if self.combine == "logit":     # summed in float64: one ulp of float32
                p = x.astype(np.float64)    # logits must not move a probability by 1e-7
            else:
                p = softmax(x) if net["loss"] == "softmax" else sigmoid(x)
            P = p if P is None else P + p
        P = P / len(self.nets)
        return (sigmoid(P) if self.combine == "logit" else P).astype(np.float64)

    def predict_proba(self, synopses) -> np.ndarray:
        """(n, K) float64: ``pipeline.Predictor.predict_proba`` of the same synopses."""
        return self.predict_proba_words([self.words(s) for s in synopses])
