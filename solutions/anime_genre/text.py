"""Sparse bag-of-words features: counts, document frequency, IDF, TF-IDF.

Everything is held in CSR form (``indptr``, ``indices``, ``data`` numpy arrays) and returned
as ``scipy.sparse.csr_matrix``; no function here builds a dense documents x vocabulary
matrix. The small functions (:func:`count_matrix`, :func:`document_frequency`, :func:`idf`,
:func:`tfidf`, ...) are the ones lesson 3 asks students to write; :class:`TfidfVectorizer`
puts them together with scikit-learn's parameter names and equals scikit-learn's
``TfidfVectorizer`` to 1e-12 under the same settings.

The original project's IDF divided by the vocabulary size instead of the number of
documents (``log(n_vocab / df)``); :func:`idf_original_bug` keeps that formula for the
postmortem, :func:`idf` is the correct one.
"""
from __future__ import annotations

import re
from itertools import chain, repeat
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
    X = sp.csr_matrix(X, dtype=np.float64, copy=True)
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

def _stop_list(stop_words):
    if stop_words is None:
        return None
    if isinstance(stop_words, str):
        if stop_words == "english":
            return frozenset(ENGLISH_STOP_WORDS)
        raise ValueError(f"stop_words must be 'english', a list of words or None, got {stop_words!r}")
    return frozenset(stop_words)


class TfidfVectorizer:
    """TF-IDF features of raw documents, with scikit-learn's parameter names.

    Supported: ``lowercase``, ``token_pattern``, ``stop_words`` ('english', a list or None),
    ``min_df``, ``max_df`` (int = documents, float = share), ``max_features``,
    ``vocabulary`` (mapping or iterable), ``norm`` ('l2', 'l1', None), ``use_idf``,
    ``smooth_idf``, ``sublinear_tf``, ``dtype``. Unigrams only.

    After ``fit``: ``vocabulary_`` (term -> column), ``idf_`` (n_terms,) if ``use_idf``,
    ``get_feature_names_out()``. ``transform`` returns a ``scipy.sparse.csr_matrix`` of shape
    (n_docs, n_terms); words not seen at fit time are ignored.
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

    # -- tokens
    def _token_stream(self, raw_documents):
        """All tokens of all documents in one list, and a way to tell documents apart.

        Returns ``(tokens, n_docs, sentinel, lengths)``. Python's regex engine does the
        tokenising; with the default pattern and lower-casing, the documents are joined with
        the separator token ``"ZZ"`` (which lower-cased text cannot contain) and scanned by
        a single ``findall`` with the equivalent pattern ``\\w\\w+`` (for ``findall``, a
        greedy run of 2+ word characters always starts and ends at word boundaries); else
        one ``findall`` per document and ``lengths`` gives the tokens per document.
        """
        if isinstance(raw_documents, str):
            raise ValueError("expected a list of documents (str), got a single string")
        docs = list(raw_documents)
        for i, d in enumerate(docs):
            if not isinstance(d, str):
                raise ValueError(f"document {i} is {type(d).__name__} ({d!r}), not str")
        if self.lowercase and self.token_pattern == TOKEN_PATTERN:
            text = " ZZ ".join([d.lower() for d in docs])
            return _FAST_FINDALL(text), len(docs), "ZZ", None
        findall = re.compile(self.token_pattern).findall
        per_doc = [findall(d.lower()) for d in docs] if self.lowercase else [findall(d) for d in docs]
        lengths = np.fromiter(map(len, per_doc), dtype=np.int64, count=len(per_doc))
        return list(chain.from_iterable(per_doc)), len(docs), None, lengths

    @staticmethod
    def _ids(tokens, lookup, sentinel, lengths, n_docs):
        """Per-token term ids (-1: not counted) and document numbers, as int64 arrays."""
        if sentinel is not None:
            lookup = dict(lookup)
            lookup[sentinel] = -2
        ids = np.fromiter(map(lookup.get, tokens, repeat(-1)), dtype=np.int64, count=len(tokens))
        if sentinel is not None:
            is_sep = ids == -2
            docs = np.cumsum(is_sep)
            return np.where(is_sep, -1, ids), docs
        return ids, np.repeat(np.arange(n_docs, dtype=np.int64), lengths)

    def _csr_counts(self, term_ids: np.ndarray, doc_ids: np.ndarray, n_docs: int, n_terms: int):
        """CSR arrays of counts from per-token term ids (-1 = skip) and document numbers."""
        keep = term_ids >= 0
        codes = doc_ids[keep] * n_terms + term_ids[keep]
        codes.sort()
        if codes.size:
            starts = np.flatnonzero(np.r_[True, codes[1:] != codes[:-1]])
            counts = np.diff(np.r_[starts, codes.size])
            codes = codes[starts]
        else:
            counts = np.zeros(0, dtype=np.int64)
        rows = codes // n_terms
        cols = codes - rows * n_terms
        indptr = np.zeros(n_docs + 1, dtype=np.int64)
        np.cumsum(np.bincount(rows, minlength=n_docs), out=indptr[1:])
        return indptr, cols, counts

    # -- fitting
    def _fit_counts(self, raw_documents):
        """Learn the vocabulary; returns the count matrix pieces for the fitted vocabulary."""
        self._validate()
        stop = _stop_list(self.stop_words)
        tokens, n_docs, sentinel, lengths = self._token_stream(raw_documents)
        fixed = self._fixed_vocabulary()
        if fixed is not None:
            vocab = fixed
            # stop words are never counted, even when the given vocabulary lists them
            self._lookup = {t: j for t, j in vocab.items() if t not in stop} if stop else vocab
            ids, doc_ids = self._ids(tokens, self._lookup, sentinel, lengths, n_docs)
            indptr, cols, counts = self._csr_counts(ids, doc_ids, n_docs, len(vocab))
            self.vocabulary_ = vocab
            self.fixed_vocabulary_ = True
            self.stop_words_ = set()
            return indptr, cols, counts, n_docs
        # Every distinct token gets an id in first-seen order (dict.fromkeys runs in C) ...
        seen = set(tokens)
        seen.discard(sentinel)
        if stop:
            seen -= stop
        if not seen:
            raise ValueError("empty vocabulary; perhaps the documents only contain stop words")
        # ... then ids are renumbered so that columns follow the alphabetical order.
        terms = sorted(seen)
        vocab = {t: j for j, t in enumerate(terms)}
        ids, doc_ids = self._ids(tokens, vocab, sentinel, lengths, n_docs)
        n_terms = len(terms)
        indptr, cols, counts = self._csr_counts(ids, doc_ids, n_docs, n_terms)

        df = np.bincount(cols, minlength=n_terms)
        high = self.max_df if isinstance(self.max_df, Integral) else self.max_df * n_docs
        low = self.min_df if isinstance(self.min_df, Integral) else self.min_df * n_docs
        if high < low:
            raise ValueError("max_df corresponds to < documents than min_df")
        mask = (df <= high) & (df >= low)
        if self.max_features is not None and mask.sum() > self.max_features:
            tfs = np.bincount(cols, weights=counts.astype(np.float64), minlength=n_terms)
            # Same call as scikit-learn (default argsort on the same array), so that ties at
            # the cut are broken the same way.
            mask_inds = (-tfs[mask]).argsort()[: self.max_features]
            new_mask = np.zeros(n_terms, dtype=bool)
            new_mask[np.flatnonzero(mask)[mask_inds]] = True
            mask = new_mask
        removed = [terms[j] for j in np.flatnonzero(~mask)]
        if not mask.all():
            new_index = np.cumsum(mask) - 1
            keep = mask[cols]
            rows = np.repeat(np.arange(n_docs), np.diff(indptr))
            row_counts = np.bincount(rows[keep], minlength=n_docs)
            indptr = np.zeros(n_docs + 1, dtype=np.int64)
            np.cumsum(row_counts, out=indptr[1:])
            cols = new_index[cols[keep]]
            counts = counts[keep]
            terms = [t for t, k in zip(terms, mask) if k]
            if not terms:
                raise ValueError("After pruning, no terms remain. Try a lower min_df or a higher max_df.")
            vocab = {t: j for j, t in enumerate(terms)}
        self.vocabulary_ = vocab
        self._lookup = vocab
        self.fixed_vocabulary_ = False
        self.stop_words_ = set(removed)
        return indptr, cols, counts, n_docs

    def _weigh(self, indptr, cols, counts, n_docs):
        """TF-IDF of count arrays, as a csr_matrix of ``dtype``."""
        n_terms = len(self.vocabulary_)
        dtype = np.dtype(self.dtype)
        work = np.float64 if dtype not in (np.float32, np.float64) else dtype
        data = counts.astype(work)
        if self.sublinear_tf:
            data = np.log(data) + 1.0
        if self.use_idf:
            data = data * self.idf_[cols]
        if self.norm is not None:
            rows = np.repeat(np.arange(n_docs), np.diff(indptr))
            if self.norm == "l2":
                norms = np.sqrt(np.bincount(rows, weights=data * data, minlength=n_docs))
            else:
                norms = np.bincount(rows, weights=np.abs(data), minlength=n_docs)
            norms[norms == 0.0] = 1.0
            data = data / norms[rows]
        index_dtype = np.int32 if max(cols.size, n_terms) < 2**31 - 1 else np.int64
        X = sp.csr_matrix((data.astype(dtype, copy=False), cols.astype(index_dtype),
                           indptr.astype(index_dtype)), shape=(n_docs, n_terms))
        X.has_sorted_indices = True
        return X

    def _set_idf(self, cols, n_docs):
        if not self.use_idf:
            return
        n_terms = len(self.vocabulary_)
        df = np.bincount(cols, minlength=n_terms).astype(np.float64)
        dtype = np.dtype(self.dtype)
        self.idf_ = idf(df, n_docs, self.smooth_idf).astype(
            dtype if dtype in (np.float32, np.float64) else np.float64)

    def fit(self, raw_documents, y=None):
        """Learn the vocabulary and the IDF from a list of documents (str)."""
        indptr, cols, counts, n_docs = self._fit_counts(raw_documents)
        self._set_idf(cols, n_docs)
        return self

    def fit_transform(self, raw_documents, y=None):
        """``fit`` then ``transform`` on the same documents, tokenising them once."""
        indptr, cols, counts, n_docs = self._fit_counts(raw_documents)
        self._set_idf(cols, n_docs)
        return self._weigh(indptr, cols, counts, n_docs)

    def count_transform(self, raw_documents):
        """Raw counts (CSR, float64) over the fitted vocabulary; unseen words ignored."""
        indptr, cols, counts, n_docs = self._transform_counts(raw_documents)
        return sp.csr_matrix((counts.astype(np.float64), cols, indptr),
                             shape=(n_docs, len(self.vocabulary_)))

    def _transform_counts(self, raw_documents):
        if not hasattr(self, "vocabulary_"):
            raise ValueError("this TfidfVectorizer is not fitted yet: call fit first")
        tokens, n_docs, sentinel, lengths = self._token_stream(raw_documents)
        lookup = getattr(self, "_lookup", self.vocabulary_)
        ids, doc_ids = self._ids(tokens, lookup, sentinel, lengths, n_docs)
        indptr, cols, counts = self._csr_counts(ids, doc_ids, n_docs, len(self.vocabulary_))
        return indptr, cols, counts, n_docs

    def transform(self, raw_documents):
        """TF-IDF (CSR, n_docs x n_terms) of documents with the fitted vocabulary and IDF."""
        return self._weigh(*self._transform_counts(raw_documents))

    def get_feature_names_out(self, input_features=None) -> np.ndarray:
        """The terms in column order (object array)."""
        if not hasattr(self, "vocabulary_"):
            raise ValueError("this TfidfVectorizer is not fitted yet: call fit first")
        names = np.empty(len(self.vocabulary_), dtype=object)
        for t, j in self.vocabulary_.items():
            names[j] = t
        return names
