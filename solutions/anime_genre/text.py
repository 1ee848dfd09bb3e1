"""Sparse bag-of-words features: counts, document frequency, IDF, TF-IDF.

Everything is held in CSR form (``indptr``, ``indices``, ``data`` numpy arrays) and returned
as ``scipy.sparse.csr_matrix``; no function here builds a dense documents x vocabulary
matrix. The small functions (:func:`count_matrix`, :func:`document_frequency`, :func:`idf`,
:func:`tfidf`, ...) are the ones lesson 3 asks students to write (the lesson pastes their
bodies, so each stays self-contained). :class:`TfidfVectorizer` computes the same things with
scikit-learn's parameter names and equals scikit-learn's ``TfidfVectorizer`` to 1e-12 under
the same settings, but on a faster, lighter path: documents are tokenised a chunk at a time
into int32 ids (never one Python string per token of the whole corpus), counted per chunk
into CSR pieces, and weighed into the preallocated output (``benchmarks/tfidf.py``).

The original project's IDF divided by the vocabulary size instead of the number of
documents (``log(n_vocab / df)``); :func:`idf_original_bug` keeps that formula for the
postmortem, :func:`idf` is the correct one.
"""
from __future__ import annotations

import re
import warnings
from itertools import chain, compress, repeat
from numbers import Integral

import numpy as np
import scipy.sparse as sp
from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS

TOKEN_PATTERN = r"(?u)\b\w\w+\b"  # scikit-learn's default: words of 2+ word characters
_FAST_FINDALL = re.compile(r"\w\w+").findall  # same matches as TOKEN_PATTERN under findall


# ----------------------------------------------------------------------------- small steps

def tokenize(text: str, token_pattern: str = TOKEN_PATTERN, lowercase: bool = True) -> list:
    """Tokens of ``text``: every match of ``token_pattern`` (after lower-casing)."""
    if lowercase:
        text = text.lower()
    return re.findall(token_pattern, text)


def build_vocabulary(token_lists: list, min_df=1, max_df=1.0) -> dict:
    """Map each term to a column index, terms sorted alphabetically.

    A term is kept if its document frequency ``d`` satisfies ``min_df <= d <= max_df``; an
    int bound is a number of documents, a float a share of the ``n`` documents (``min_df *
    n``, ``max_df * n``), as in scikit-learn.
    """
    n_docs = len(token_lists)
    df = {}
    for tokens in token_lists:
        for t in set(tokens):
            df[t] = df.get(t, 0) + 1
    low = min_df if isinstance(min_df, (int, np.integer)) else min_df * n_docs
    high = max_df if isinstance(max_df, (int, np.integer)) else max_df * n_docs
    terms = sorted(t for t, d in df.items() if low <= d <= high)
    return {t: j for j, t in enumerate(terms)}


def count_matrix(token_lists: list, vocabulary: dict):
    """(n_docs, n_terms) CSR matrix of raw counts; tokens not in ``vocabulary`` are skipped.

    Built with numpy: each (document, term) pair becomes one integer code
    ``doc * n_terms + term``; ``np.unique`` sorts the codes and counts repeats, which gives
    the CSR arrays directly (indices sorted within each row).
    """
    n_docs = len(token_lists)
    n_terms = len(vocabulary)
    lengths = np.array([len(tokens) for tokens in token_lists], dtype=np.int64)
    terms = np.array([vocabulary.get(t, -1) for tokens in token_lists for t in tokens],
                     dtype=np.int64)
    docs = np.repeat(np.arange(n_docs, dtype=np.int64), lengths)
    known = terms >= 0
    codes, counts = np.unique(docs[known] * n_terms + terms[known], return_counts=True)
    rows = codes // max(n_terms, 1)
    indptr = np.zeros(n_docs + 1, dtype=np.int64)
    np.cumsum(np.bincount(rows, minlength=n_docs), out=indptr[1:])
    return sp.csr_matrix((counts.astype(np.float64), codes % max(n_terms, 1), indptr),
                         shape=(n_docs, n_terms))


def document_frequency(X) -> np.ndarray:
    """(n_terms,) number of documents in which each term occurs, from a CSR count matrix."""
    X = sp.csr_matrix(X)
    X.sum_duplicates()
    return np.bincount(X.indices[X.data != 0], minlength=X.shape[1]).astype(np.int64)


def idf(df, n_docs: int, smooth: bool = True) -> np.ndarray:
    """Inverse document frequency, scikit-learn's convention (float64, shape of ``df``).

    smooth: ``ln((1 + n_docs) / (1 + df)) + 1``, as if one extra document held every term;
    otherwise ``ln(n_docs / df) + 1``. The ``+ 1`` keeps terms found in every document.
    """
    df = np.asarray(df, dtype=np.float64)
    if smooth:
        return np.log((1.0 + n_docs) / (1.0 + df)) + 1.0
    return np.log(n_docs / df) + 1.0


def idf_original_bug(df, n_vocab: int) -> np.ndarray:
    """The original project's IDF, kept for the postmortem: ``ln(n_vocab / df)``.

    It divides by the vocabulary size instead of the number of documents (and has no
    ``+ 1``). With 5,918 terms and 6,000 documents the two nearly agree; with a larger
    vocabulary every IDF is shifted up by ``ln(n_vocab / n_docs)``, which changes the
    relative weight of frequent and rare words after normalisation. Do not use it.
    """
    df = np.asarray(df, dtype=np.float64)
    return np.log(n_vocab / df)


def term_frequency(X, sublinear: bool = False):
    """Term frequency from a CSR count matrix: the counts, or ``1 + ln(count)`` if
    ``sublinear`` (zero counts stay zero). Returns a new CSR matrix."""
    X = sp.csr_matrix(X, dtype=np.float64, copy=True)
    if sublinear:
        X.data = np.log(X.data) + 1.0
    return X


def normalize_rows(X, norm: str | None = "l2"):
    """Scale each row of a CSR matrix to unit ``norm`` ('l2', 'l1' or None); all-zero rows
    stay zero. Returns a new CSR matrix."""
    # tfidf with unit IDF is exactly this; its body stays self-contained for lesson 3
    return tfidf(X, np.ones(X.shape[1]), sublinear=False, norm=norm)


def tfidf(X, idf_values, sublinear: bool = False, norm: str | None = "l2"):
    """TF-IDF from a CSR count matrix (n_docs, n_terms) and IDF values (n_terms,).

    Each stored count ``c`` in column ``j`` becomes ``tf(c) * idf[j]`` (``tf`` raw or
    sublinear), then rows are normalised. Returns a new CSR matrix; zeros are never stored.
    """
    X = sp.csr_matrix(X, dtype=np.float64, copy=True)
    if sublinear:
        X.data = np.log(X.data) + 1.0
    X.data = X.data * np.asarray(idf_values, dtype=np.float64)[X.indices]
    if norm is None:
        return X
    row = np.repeat(np.arange(X.shape[0]), np.diff(X.indptr))
    if norm == "l2":
        norms = np.sqrt(np.bincount(row, weights=X.data * X.data, minlength=X.shape[0]))
    elif norm == "l1":
        norms = np.bincount(row, weights=np.abs(X.data), minlength=X.shape[0])
    else:
        raise ValueError(f"norm must be 'l2', 'l1' or None, got {norm!r}")
    norms[norms == 0.0] = 1.0
    X.data = X.data / norms[row]
    return X


# ----------------------------------------------------------------------------- vectorizer

# The fast scan for the default pattern works on UTF-8 bytes: every ASCII byte that is not a
# word character becomes a space, bytes >= 0x80 (parts of non-ASCII characters) are kept, and
# ``bytes.split`` cuts the text into "raw tokens" in C. A raw token made of ASCII only is a
# token if it has 2+ characters; the few raw tokens with non-ASCII characters are tokenised
# again, once per distinct raw token, with the regex (a non-ASCII character may be a word
# character, like "é", or not, like "—"). Byte 0xFF never occurs in UTF-8, so " \xff "
# separates documents.
_SEPARATOR = b"\xff"
_ASCII_SPLIT = bytes(i if i >= 0x80 or chr(i).isalnum() or chr(i) == "_" else 0x20
                     for i in range(256))
_CHUNK_CHARS = 1 << 16  # characters tokenised at a time: bounds the Python token objects


def _stop_list(stop_words):
    if stop_words is None:
        return None
    if isinstance(stop_words, str):
        if stop_words == "english":
            return frozenset(ENGLISH_STOP_WORDS)
        raise ValueError(f"stop_words must be 'english', a list of words or None, got {stop_words!r}")
    return frozenset(stop_words)


def _batches(raw_documents, max_chars: int = _CHUNK_CHARS):
    """Lists of consecutive documents of about ``max_chars`` characters; checks each is str."""
    if isinstance(raw_documents, str):
        raise ValueError("expected a list of documents (str), got a single string")
    batch, size = [], 0
    for i, d in enumerate(raw_documents):
        if not isinstance(d, str):
            raise ValueError(f"document {i} is {type(d).__name__} ({d!r}), not str")
        batch.append(d)
        size += len(d)
        if size >= max_chars:
            yield batch
            batch, size = [], 0
    if batch:
        yield batch


class _Scan:
    """Documents tokenised chunk by chunk into integer ids of distinct raw tokens.

    ``raw``: the distinct raw tokens, id -> token (bytes on the fast path, str otherwise;
    the bytes are dropped once decoded);
    ``chunks``: per chunk of documents, ``(ids, lengths)`` with ``ids`` (n_tokens,) int32 raw
    token ids in text order and ``lengths`` (n_docs_in_chunk,) raw tokens per document;
    ``n_docs``. Only one chunk's tokens exist as Python objects at a time.
    """

    def __init__(self, raw_documents, token_pattern: str, lowercase: bool):
        self.fast = token_pattern == TOKEN_PATTERN
        findall = None if self.fast else re.compile(token_pattern).findall
        index = {_SEPARATOR: 0} if self.fast else {}  # raw token -> id
        self.chunks, self.n_docs = [], 0
        for batch in _batches(raw_documents):
            if self.fast:
                # "surrogatepass": a str may hold lone surrogates, which the regex reads as
                # non-word characters; they become 3 bytes >= 0x80 and are decoded back
                texts = ([d.lower().encode("utf-8", "surrogatepass") for d in batch] if lowercase
                         else [d.encode("utf-8", "surrogatepass") for d in batch])
                tokens = b" \xff ".join(texts).translate(_ASCII_SPLIT).split()
                del texts
            else:
                per_doc = [findall(d.lower()) for d in batch] if lowercase else [findall(d) for d in batch]
                lengths = np.fromiter(map(len, per_doc), dtype=np.int64, count=len(per_doc))
                tokens = list(chain.from_iterable(per_doc))
                del per_doc
            # new raw tokens get the next ids; set.difference(dict) only walks this chunk's set
            fresh = set(tokens).difference(index)
            index.update(zip(fresh, range(len(index), len(index) + len(fresh))))
            ids = np.fromiter(map(index.__getitem__, tokens), dtype=np.int32, count=len(tokens))
            del tokens, fresh
            if self.fast:
                is_sep = ids == 0
                bounds = np.flatnonzero(is_sep)
                lengths = np.diff(np.concatenate(([-1], bounds, [ids.size]))) - 1
                ids = ids[~is_sep]
            self.chunks.append((ids, lengths))
            self.n_docs += len(batch)
        self.raw = list(index)
        self._classified = None

    def _classify(self):
        """Cached ``(strings, plain, special)``: the raw tokens as str (id order; the separator as
        ""), a bool mask of raw tokens that are exactly one token, and {raw id: tokens} for
        the raw tokens holding non-ASCII characters (tokenised by the regex)."""
        if self._classified is not None:
            return self._classified
        if not self.fast:
            self._classified = self.raw, np.ones(len(self.raw), dtype=bool), {}
            return self._classified
        # one decode for all: raw tokens hold no b"\n" (whitespace) and are valid UTF-8
        strings = [""] + (b"\n".join(self.raw[1:]).decode("utf-8", "surrogatepass").split("\n")
                          if len(self.raw) > 1 else [])
        n = len(self.raw)
        ascii_ = np.fromiter(map(bytes.isascii, self.raw), dtype=bool, count=n)
        ascii_[0] = False
        plain = ascii_ & (np.fromiter(map(len, self.raw), dtype=np.int64, count=n) > 1)
        special = {r: _FAST_FINDALL(strings[r]) for r in np.flatnonzero(~ascii_)[1:].tolist()}
        self.raw = None  # the bytes are no longer needed: ``strings`` replaces them
        self._classified = strings, plain, special
        return self._classified

    def terms(self, stop) -> set:
        """The distinct tokens of the documents, stop words removed."""
        strings, plain, special = self._classify()
        terms = set(compress(strings, plain))
        for tokens in special.values():
            terms.update(tokens)
        return terms - stop if stop else terms

    def pieces(self, column: dict, n_terms: int):
        """Count each chunk; yields ``(row_lengths, cols, counts)`` per chunk, CSR pieces with
        columns sorted within rows (int64, int32, int32), freeing each chunk's ids as it goes.

        ``column``: token -> column in 0 .. n_terms - 1; tokens not in it (unseen words, stop
        words) are not counted.
        """
        strings, plain, special = self._classify()
        single = np.fromiter(map(column.get, strings, repeat(-1)), dtype=np.int64,
                             count=len(strings))
        single[~plain] = -1
        multi = {}
        for r, tokens in special.items():
            cols = [column[t] for t in tokens if t in column]
            if len(cols) == 1:
                single[r] = cols[0]
            elif cols:
                multi[r] = cols
        del strings
        if multi:  # some raw tokens give several tokens: raw id r -> flat[offset[r]:][:n_sub[r]]
            n_sub = (single >= 0).astype(np.int64)
            for r, cols in multi.items():
                n_sub[r] = len(cols)
            offset = np.cumsum(n_sub) - n_sub
            flat = np.empty(int(n_sub.sum()), dtype=np.int64)
            flat[offset[single >= 0]] = single[single >= 0]
            for r, cols in multi.items():
                flat[offset[r]: offset[r] + len(cols)] = cols
        self.chunks.reverse()
        while self.chunks:
            ids, lengths = self.chunks.pop()
            doc = np.repeat(np.arange(lengths.size, dtype=np.int64), lengths)
            if not multi:  # each raw token counts towards at most one column
                cols = single[ids]
                keep = cols >= 0
                codes = doc[keep] * n_terms + cols[keep]
            else:  # a raw token gives k >= 0 tokens: repeat it k times, then pick each one
                k = n_sub[ids]
                ends = np.cumsum(k)
                pick = np.repeat(offset[ids] - (ends - k), k) + np.arange(ends[-1] if k.size else 0)
                codes = np.repeat(doc, k) * n_terms + flat[pick]
            del doc, ids
            # one sort of (document, column) codes gives the rows in order, columns sorted
            # within each row, and repeats next to each other
            codes.sort()
            if codes.size:
                starts = np.flatnonzero(np.concatenate(([True], codes[1:] != codes[:-1])))
                counts = np.diff(np.append(starts, codes.size)).astype(np.int32)
                codes = codes[starts]
            else:
                counts = np.zeros(0, dtype=np.int32)
            rows = codes // max(n_terms, 1)
            yield (np.bincount(rows, minlength=lengths.size),
                   (codes - rows * n_terms).astype(np.int32), counts)


class TfidfVectorizer:
    """TF-IDF features of raw documents, with scikit-learn's parameter names.

    Supported: ``lowercase``, ``token_pattern``, ``stop_words`` ('english', a list or None),
    ``min_df``, ``max_df`` (int = documents, float = share), ``max_features``,
    ``vocabulary`` (mapping or iterable), ``norm`` ('l2', 'l1', None), ``use_idf``,
    ``smooth_idf``, ``sublinear_tf``, ``dtype``. Unigrams only.

    After ``fit``: ``vocabulary_`` (term -> column), ``idf_`` (n_terms,) if ``use_idf``,
    ``get_feature_names_out()``. ``transform`` returns a ``scipy.sparse.csr_matrix`` of shape
    (n_docs, n_terms), float ``dtype`` data, int32 indices, columns sorted within rows; words
    not seen at fit time are ignored.

    How it runs: the documents are tokenised a chunk at a time into int32 ids of distinct
    tokens (:class:`_Scan`); once the vocabulary is known each chunk becomes a CSR piece of
    counts, and the pieces are weighed into the preallocated output. Memory is about the
    output plus 4 bytes per token, never a Python object per token of the whole corpus.
    """

    def __init__(self, *, lowercase: bool = True, token_pattern: str = TOKEN_PATTERN,
                 stop_words=None, min_df=1, max_df=1.0, max_features: int | None = None,
                 vocabulary=None, norm: str | None = "l2", use_idf: bool = True,
                 smooth_idf: bool = True, sublinear_tf: bool = False, dtype=np.float64):
        self.lowercase = lowercase
        self.token_pattern = token_pattern
        self.stop_words = stop_words
        self.min_df = min_df
        self.max_df = max_df
        self.max_features = max_features
        self.vocabulary = vocabulary
        self.norm = norm
        self.use_idf = use_idf
        self.smooth_idf = smooth_idf
        self.sublinear_tf = sublinear_tf
        self.dtype = dtype

    # -- parameters
    def _validate(self) -> None:
        for name in ("min_df", "max_df"):
            v = getattr(self, name)
            if isinstance(v, bool) or not isinstance(v, (Integral, float)):
                raise ValueError(f"{name} must be an int or a float, got {v!r}")
            if isinstance(v, float) and not 0.0 <= v <= 1.0:
                raise ValueError(f"{name} as a float must be in [0, 1], got {v!r}")
            if isinstance(v, Integral) and v < 0:
                raise ValueError(f"{name} as an int must be >= 0, got {v!r}")
        if self.max_features is not None and (not isinstance(self.max_features, Integral)
                                              or self.max_features <= 0):
            raise ValueError(f"max_features must be a positive int or None, got {self.max_features!r}")
        if self.norm not in ("l2", "l1", None):
            raise ValueError(f"norm must be 'l2', 'l1' or None, got {self.norm!r}")
        try:
            groups = re.compile(self.token_pattern).groups
        except (re.error, TypeError) as exc:
            raise ValueError(f"token_pattern {self.token_pattern!r} is not a regular expression: {exc}") from None
        if groups > 1:  # findall would return tuples; scikit-learn refuses the same way
            raise ValueError("More than 1 capturing group in token pattern. Only a single group "
                             "should be captured.")
        self._out_dtype(warn=True)

    def _out_dtype(self, warn: bool = False) -> np.dtype:
        """The dtype of the TF-IDF values, as scikit-learn settles it: float64 or float32 as
        asked; float16 and complex refused (scipy.sparse cannot hold them, and complex weights
        mean nothing); any other type (int, bool) converted to float64 with a warning, since
        TF-IDF values lie in [0, 1] and would be truncated to 0."""
        try:
            dtype = np.dtype(self.dtype)
        except TypeError as exc:
            raise ValueError(f"dtype {self.dtype!r} is not a numpy dtype: {exc}") from None
        if dtype in (np.float32, np.float64):
            return dtype
        if dtype == np.float16:
            raise ValueError("dtype float16 is not supported: scipy.sparse cannot hold float16; "
                             "use float32 or float64")
        if dtype.kind == "c":
            raise ValueError("Complex data not supported")
        if warn:
            warnings.warn(f"Only float64 and float32 dtypes should be used; {dtype} will be "
                          f"converted to float64 (TF-IDF values lie in [0, 1])", UserWarning,
                          stacklevel=4)
        return np.dtype(np.float64)

    def _fixed_vocabulary(self):
        vocab = self.vocabulary
        if vocab is None:
            return None
        if isinstance(vocab, (set, frozenset)):
            vocab = sorted(vocab)
        if isinstance(vocab, dict):
            if set(vocab.values()) != set(range(len(vocab))):
                raise ValueError("vocabulary indices must be 0 .. n_terms - 1, each once")
            out = dict(vocab)
        else:
            out = {}
            for i, t in enumerate(vocab):
                if out.setdefault(t, i) != i:
                    raise ValueError(f"duplicate term in vocabulary: {t!r}")
        if not out:
            raise ValueError("empty vocabulary passed to fit")
        return out

    def _scan(self, raw_documents) -> _Scan:
        return _Scan(raw_documents, self.token_pattern, self.lowercase)

    # -- fitting
    def _fit_pieces(self, raw_documents):
        """Learn the vocabulary and the IDF; returns ``(pieces, n_docs, keep)``: the CSR count
        pieces over the terms seen, and ``keep``, the (n_seen,) int64 column of each seen term
        in ``vocabulary_`` (-1: pruned), or None when every term is kept."""
        self._validate()
        stop = _stop_list(self.stop_words)
        fixed = self._fixed_vocabulary()
        scan = self._scan(raw_documents)
        if fixed is not None:
            pieces = list(scan.pieces(self._counted(fixed, stop), len(fixed)))
            self.vocabulary_ = fixed
            self.fixed_vocabulary_ = True
            self.stop_words_ = set()
            self._set_idf(self._df(pieces, len(fixed)), scan.n_docs)
            return pieces, scan.n_docs, None
        terms = sorted(scan.terms(stop))
        if not terms:
            raise ValueError("empty vocabulary; perhaps the documents only contain stop words")
        vocab = {t: j for j, t in enumerate(terms)}
        pieces = list(scan.pieces(vocab, len(vocab)))
        n_docs, n_terms = scan.n_docs, len(terms)
        del scan
        df = self._df(pieces, n_terms)
        high = self.max_df if isinstance(self.max_df, Integral) else self.max_df * n_docs
        low = self.min_df if isinstance(self.min_df, Integral) else self.min_df * n_docs
        if high < low:
            raise ValueError("max_df corresponds to < documents than min_df")
        mask = (df <= high) & (df >= low)
        if self.max_features is not None and mask.sum() > self.max_features:
            tfs = np.zeros(n_terms)
            for _, cols, counts in pieces:
                tfs += np.bincount(cols, weights=counts, minlength=n_terms)
            # Same call as scikit-learn (default argsort on the same array), so that ties at
            # the cut are broken the same way.
            mask_inds = (-tfs[mask]).argsort()[: self.max_features]
            new_mask = np.zeros(n_terms, dtype=bool)
            new_mask[np.flatnonzero(mask)[mask_inds]] = True
            mask = new_mask
        self.stop_words_ = {terms[j] for j in np.flatnonzero(~mask)}
        keep = None
        if not mask.all():
            if not mask.any():
                raise ValueError("After pruning, no terms remain. Try a lower min_df or a higher max_df.")
            keep = np.where(mask, np.cumsum(mask) - 1, -1)  # monotone: rows stay sorted
            vocab = {terms[j]: i for i, j in enumerate(np.flatnonzero(mask).tolist())}
            df = df[mask]
        self.vocabulary_ = vocab
        self.fixed_vocabulary_ = False
        self._set_idf(df, n_docs)
        return pieces, n_docs, keep

    @staticmethod
    def _counted(vocab: dict, stop) -> dict:
        """The terms of a given vocabulary that are counted: stop words never are, even when
        the vocabulary lists them (as in scikit-learn, where the analyzer drops them)."""
        return {t: j for t, j in vocab.items() if t not in stop} if stop else vocab

    @staticmethod
    def _df(pieces, n_terms: int) -> np.ndarray:
        """(n_terms,) document frequency: each stored (document, term) pair counts once."""
        df = np.zeros(n_terms, dtype=np.int64)
        for _, cols, _ in pieces:
            df += np.bincount(cols, minlength=n_terms)
        return df

    def _set_idf(self, df, n_docs):
        if not self.use_idf:
            return
        self.idf_ = idf(df, n_docs, self.smooth_idf).astype(self._out_dtype())

    # -- weighing
    def _assemble(self, pieces: list, n_docs: int, keep=None, weigh: bool = True):
        """One csr_matrix from CSR count pieces (consumed, freed one by one): TF-IDF of
        ``dtype`` if ``weigh``, else raw counts as float64. ``keep`` renumbers columns."""
        n_terms = len(self.vocabulary_)
        dtype = self._out_dtype() if weigh else np.dtype(np.float64)
        work = dtype if dtype in (np.float32, np.float64) else np.float64
        if keep is not None:
            nnz = sum(int(np.count_nonzero(keep[cols] >= 0)) for _, cols, _ in pieces)
        else:
            nnz = sum(cols.size for _, cols, _ in pieces)
        index_dtype = np.int32 if max(nnz, n_terms, n_docs) < 2**31 - 1 else np.int64
        data = np.empty(nnz, dtype=dtype)
        indices = np.empty(nnz, dtype=index_dtype)
        indptr = np.zeros(n_docs + 1, dtype=index_dtype)
        pieces.reverse()
        at, row0 = 0, 0
        while pieces:
            row_lengths, cols, counts = pieces.pop()
            n_rows = row_lengths.size
            rows = np.repeat(np.arange(n_rows), row_lengths)
            if keep is not None:
                new = keep[cols]
                kept = new >= 0
                cols, counts, rows = new[kept], counts[kept], rows[kept]
                row_lengths = np.bincount(rows, minlength=n_rows)
            values = counts.astype(work)
            if weigh:
                values = self._weigh(values, cols, rows, n_rows)
            end = at + cols.size
            data[at:end] = values
            indices[at:end] = cols
            np.cumsum(row_lengths, out=indptr[row0 + 1: row0 + 1 + n_rows])
            indptr[row0 + 1: row0 + 1 + n_rows] += at
            at, row0 = end, row0 + n_rows
        X = sp.csr_matrix((data, indices, indptr), shape=(n_docs, n_terms))
        X.has_sorted_indices = True
        return X

    def _weigh(self, data, cols, rows, n_rows):
        """TF-IDF values of one piece's counts (in place), in scikit-learn's order of
        operations: tf, times idf, divided by the row norm (summed in row order)."""
        if self.sublinear_tf:
            np.log(data, out=data)
            data += 1.0
        if self.use_idf:
            data *= self.idf_[cols]
        if self.norm is not None:
            if self.norm == "l2":
                norms = np.sqrt(np.bincount(rows, weights=data * data, minlength=n_rows))
            else:
                norms = np.bincount(rows, weights=np.abs(data), minlength=n_rows)
            norms[norms == 0.0] = 1.0
            data /= norms[rows]
        return data

    def fit(self, raw_documents, y=None):
        """Learn the vocabulary and the IDF from a list of documents (str)."""
        self._fit_pieces(raw_documents)
        return self

    def fit_transform(self, raw_documents, y=None):
        """``fit`` then ``transform`` on the same documents, tokenising them once."""
        pieces, n_docs, keep = self._fit_pieces(raw_documents)
        return self._assemble(pieces, n_docs, keep)

    def _transform_pieces(self, raw_documents):
        if not hasattr(self, "vocabulary_"):
            raise ValueError("this TfidfVectorizer is not fitted yet: call fit first")
        scan = self._scan(raw_documents)
        lookup = self.vocabulary_
        # a fitted state restored from arrays (vocabulary_ and idf_ set, e.g. by a saved
        # model) has no fixed_vocabulary_: as in scikit-learn, it means "given to __init__"
        if getattr(self, "fixed_vocabulary_", self.vocabulary is not None):
            lookup = self._counted(lookup, _stop_list(self.stop_words))
        pieces = list(scan.pieces(lookup, len(self.vocabulary_)))
        return pieces, scan.n_docs

    def count_transform(self, raw_documents):
        """Raw counts (CSR, float64) over the fitted vocabulary; unseen words ignored."""
        return self._assemble(*self._transform_pieces(raw_documents), weigh=False)

    def transform(self, raw_documents):
        """TF-IDF (CSR, n_docs x n_terms) of documents with the fitted vocabulary and IDF."""
        return self._assemble(*self._transform_pieces(raw_documents))

    def get_feature_names_out(self, input_features=None) -> np.ndarray:
        """The terms in column order (object array)."""
        if not hasattr(self, "vocabulary_"):
            raise ValueError("this TfidfVectorizer is not fitted yet: call fit first")
        names = np.empty(len(self.vocabulary_), dtype=object)
        for t, j in self.vocabulary_.items():
            names[j] = t
        return names
