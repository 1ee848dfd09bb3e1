"""Sentence vectors: the TF-IDF-weighted mean of word vectors.

For document ``i`` with TF-IDF weights ``x_ij`` over the words ``j`` that have a vector
``w_j``: ``s_i = sum_j x_ij w_j / sum_j x_ij``. Words without a vector are left out (the
original project first deleted them from the text), so the share of tokens covered by the
word-vector vocabulary is reported next to the vectors: with the PTB vocabulary it is low.
Computed as one sparse product (n_docs x n_words CSR) @ (n_words x D); no dense
documents x vocabulary matrix.
"""
from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from .text import TfidfVectorizer


def column_map(feature_names, word_to_id: dict):
    """(n_features, n_words) 0/1 CSR matrix sending TF-IDF column ``j`` to the word id of
    ``feature_names[j]``; features without a word vector map to nothing."""
    rows = [j for j, t in enumerate(feature_names) if t in word_to_id]
    cols = [word_to_id[feature_names[j]] for j in rows]
    return sp.csr_matrix((np.ones(len(rows)), (rows, cols)),
                         shape=(len(feature_names), len(word_to_id)))


def weighted_mean_rows(X, W) -> np.ndarray:
    """Weighted mean of the rows of ``W`` (V, D) with weights ``X`` (n, V, sparse or dense):
    ``(X @ W) / X.sum(axis=1)``; rows of ``X`` that sum to 0 give a zero vector."""
    X = sp.csr_matrix(X, dtype=np.float64)
    W = np.asarray(W, dtype=np.float64)
    S = np.asarray(X @ W)
    total = np.asarray(X.sum(axis=1)).ravel()
    ok = total != 0
    S[ok] /= total[ok, None]
    return S


def token_coverage(X_counts, feature_names, word_to_id: dict) -> float:
    """Share of all token occurrences (a CSR count matrix over ``feature_names``) whose word
    has a vector; 0.0 when there are no tokens."""
    X = sp.csr_matrix(X_counts)
    per_feature = np.asarray(X.sum(axis=0)).ravel()
    has = np.array([t in word_to_id for t in feature_names], dtype=bool)
    total = per_feature.sum()
    return float(per_feature[has].sum() / total) if total else 0.0


class SentenceVectorizer:
    """TF-IDF-weighted mean of word vectors for raw documents.

    ``word_vecs`` (V, D) and ``word_to_id`` are the word vectors; other keyword arguments go
    to :class:`anime_genre.text.TfidfVectorizer` (e.g. ``stop_words="english"``). After
    ``transform``: ``coverage_`` is the share of the documents' tokens covered by the
    word-vector vocabulary.
    """

    def __init__(self, word_vecs, word_to_id: dict, **tfidf_params):
        self.word_vecs = np.asarray(word_vecs, dtype=np.float64)
        self.word_to_id = word_to_id
        self.tfidf = TfidfVectorizer(**tfidf_params)

    def fit(self, docs):
        self.tfidf.fit(docs)
        names = self.tfidf.get_feature_names_out()
        self.map_ = column_map(names, self.word_to_id)
        self.n_features_with_vector_ = int(self.map_.nnz)
        return self

    def transform(self, docs) -> np.ndarray:
        """(n_docs, D) float64 sentence vectors."""
        X = self.tfidf.transform(docs)
        self.coverage_ = token_coverage(self.tfidf.count_transform(docs),
                                        self.tfidf.get_feature_names_out(), self.word_to_id)
        return weighted_mean_rows(X @ self.map_, self.word_vecs)

    def fit_transform(self, docs) -> np.ndarray:
        return self.fit(docs).transform(docs)


def nearest_rows(S, i: int, k: int = 5) -> list:
    """Indices of the ``k`` rows of ``S`` (n, D) most cosine-similar to row ``i``, best
    first, ``i`` itself excluded; zero rows have similarity 0."""
    S = np.asarray(S, dtype=np.float64)
    norms = np.linalg.norm(S, axis=1)
    norms[norms == 0] = 1.0
    sims = (S @ S[i]) / (norms * norms[i])
    sims[i] = -np.inf
    return [int(j) for j in np.argsort(-sims, kind="stable")[:min(k, len(S) - 1)]]
