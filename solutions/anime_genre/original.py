"""The original project's recipe, for lesson 7 (the postmortem): the pieces a student writes.

``sentence_vectors`` is the original's synopsis vector: the TF-IDF-weighted mean of the
pretrained word vectors of a synopsis's tokens (tokens without a vector are skipped, as the
original deleted them). ``spearman`` is the rank correlation that shows the collapse: a
collapsed classifier ranks the genres of every show like the genre frequencies.

Each body is self-contained (``np`` and ``sp`` = scipy.sparse in scope): it is also the reference solution
that ``autograder.course`` puts into the lesson.
"""
from __future__ import annotations

import numpy as np
import scipy.sparse as sp


def sentence_vectors(token_lists, word_vecs, word_to_id, idf_values):
    """TF-IDF-weighted mean of word vectors, one row per document.

    token_lists: n lists of str; word_vecs: (V, D) array; word_to_id: dict word -> row of
    word_vecs; idf_values: (V,) array, the IDF of the word of each row.
    A token without a vector (not in word_to_id) is skipped. A word w that occurs c times in
    document d weighs c * idf_values[w]; row d is sum_w weight_w * word_vecs[w] / sum_w weight_w.
    A document whose weights sum to 0 (no known token) gets a row of zeros.
    Returns a float64 array (n, D).
    """
    word_vecs = np.asarray(word_vecs, dtype=np.float64)
    idf_values = np.asarray(idf_values, dtype=np.float64)
    ids = [[word_to_id[w] for w in tokens if w in word_to_id] for tokens in token_lists]
    lengths = np.array([len(row) for row in ids], dtype=np.int64)
    flat = np.fromiter((i for row in ids for i in row), dtype=np.int64, count=int(lengths.sum()))
    doc = np.repeat(np.arange(len(ids)), lengths)
    # (n, V) weights: duplicates (doc, word) are summed, so a word seen c times weighs c * idf
    weights = sp.csr_matrix((idf_values[flat], (doc, flat)), shape=(len(ids), word_vecs.shape[0]))
    totals = np.asarray(weights.sum(axis=1)).ravel()
    out = np.asarray(weights @ word_vecs)
    nonzero = totals != 0
    out[nonzero] /= totals[nonzero, None]
    out[~nonzero] = 0.0
    return out


def spearman(a, b):
    """Spearman's rank correlation of two 1-D arrays of one length n >= 2, neither constant.

    Each array is replaced by its ranks (1 = smallest; tied values share the mean of the ranks
    they occupy), then the Pearson correlation of the two rank vectors is returned, as a Python
    float in [-1, 1] (what scipy.stats.spearmanr gives).
    """
    def ranks(x):
        x = np.asarray(x, dtype=np.float64).ravel()
        order = np.argsort(x, kind="mergesort")
        r = np.empty(x.size)
        r[order] = np.arange(1, x.size + 1)
        _, group, counts = np.unique(x, return_inverse=True, return_counts=True)
        return (np.bincount(group, weights=r) / counts)[group]     # ties: mean rank

    ra, rb = ranks(a), ranks(b)
    if ra.size != rb.size:
        raise ValueError(f"a and b must have the same length, got {ra.size} and {rb.size}")
    ra, rb = ra - ra.mean(), rb - rb.mean()
    return float((ra @ rb) / np.sqrt((ra @ ra) * (rb @ rb)))
