"""Visible checks of lesson 3 (TF-IDF and sentence vectors). Invented sentences and small
literal values only: this module ships to students, who do not have ``anime_genre``."""
from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from autograder.core import call_inspect, exercise

PATTERN = r"(?u)\b\w\w+\b"
COUNTS3 = ((2.0, 1.0, 0.0), (0.0, 1.0, 0.0), (1.0, 0.0, 3.0))


def _x3():
    """Counts of 3 documents over 3 terms, used by several checks: CSR (3, 3). A new matrix
    per call, as the function under test might change the one it is given."""
    return sp.csr_matrix(np.array(COUNTS3))


def _is_csr(c, M, name):
    return c.true(sp.issparse(M) and M.format == "csr", name,
                  f"got {type(M).__name__}", hint="build it with sp.csr_matrix((data, indices, indptr), shape=...)")


def _dense(M):
    """A matrix the student's code left behind, as a dense array (or as it is)."""
    return M.toarray() if sp.issparse(M) else M


@exercise("l3_tokenize", points=1, reference="anime_genre.text:tokenize")
def check_tokenize(c, tokenize):
    c.equal(tokenize("The duel at Dawn, again!", PATTERN), ["the", "duel", "at", "dawn", "again"],
            "lower-cased words of 2+ characters", hint="re.findall(token_pattern, text.lower())")
    c.equal(tokenize("A b C dd", PATTERN), ["dd"], "one-letter words are not tokens")
    c.equal(tokenize("Rin's 2nd café", PATTERN, lowercase=False), ["Rin", "2nd", "café"],
            "lowercase=False keeps capitals; digits are word characters")
    c.equal(tokenize("", PATTERN), [], "empty text")


@exercise("l3_build_vocabulary", points=2, reference="anime_genre.text:build_vocabulary")
def check_build_vocabulary(c, build_vocabulary):
    docs = [["duel", "at", "dawn", "duel"], ["dawn", "city"], ["city", "dawn"], []]
    c.equal(build_vocabulary(docs), {"at": 0, "city": 1, "dawn": 2, "duel": 3},
            "every term, columns in alphabetical order")
    c.equal(build_vocabulary(docs, min_df=2), {"city": 0, "dawn": 1},
            "min_df=2: terms in at least 2 documents", hint="document frequency counts a term once per document")
    c.equal(build_vocabulary(docs, max_df=0.5), {"at": 0, "city": 1, "duel": 2},
            "max_df=0.5: terms in at most half of the 4 documents", hint="a float bound is a share: max_df * n_docs")
    c.equal(build_vocabulary([]), {}, "no documents")


@exercise("l3_count_matrix", points=2, reference="anime_genre.text:count_matrix")
def check_count_matrix(c, count_matrix):
    vocab = {"city": 0, "dawn": 1, "duel": 2}
    X = count_matrix([["duel", "dawn", "duel"], [], ["city", "vampire", "city", "dawn"]], vocab)
    if not _is_csr(c, X, "returns a CSR matrix"):
        return
    c.close(X, [[0, 1, 2], [0, 0, 0], [2, 1, 0]], "counts; unknown word skipped; empty document is a zero row")
    c.equal(X.shape, (3, 3), "shape (n_docs, n_terms)")
    c.close(count_matrix([[]], vocab), [[0, 0, 0]], "one empty document")


@exercise("l3_document_frequency", points=1, reference="anime_genre.text:document_frequency")
def check_document_frequency(c, document_frequency):
    c.close(document_frequency(_x3()), [2, 2, 1], "documents containing each term",
            hint="count stored non-zeros per column: np.bincount(X.indices, minlength=n_terms)")
    c.close(document_frequency(sp.csr_matrix((2, 4))), [0, 0, 0, 0], "an all-zero matrix")


@exercise("l3_idf", points=1, reference="anime_genre.text:idf")
def check_idf(c, idf):
    c.close(idf(np.array([2, 2, 1]), 3), [1.2876820724517808, 1.2876820724517808, 1.6931471805599454],
            "smooth IDF: ln((1 + n) / (1 + df)) + 1", rtol=1e-12)
    c.close(idf(np.array([2, 2, 1]), 3, smooth=False), [1.4054651081081644, 1.4054651081081644, 2.09861228866811],
            "plain IDF: ln(n / df) + 1", rtol=1e-12)
    c.close(idf(np.array([5]), 5, smooth=False), [1.0], "a term in every document keeps weight 1")


@exercise("l3_tfidf", points=2, reference="anime_genre.text:tfidf")
def check_tfidf(c, tfidf):
    idf3 = np.array([1.2876820724517808, 1.2876820724517808, 1.6931471805599454])
    # call_inspect: the state of the counts after the call (the judge passes copies to the
    # student's code and copies nothing back, so X itself could not show a change)
    W, (counts, _), _ = call_inspect(tfidf, _x3(), idf3)
    if not _is_csr(c, W, "returns a CSR matrix"):
        return
    c.close(W, [[0.8944271909999159, 0.4472135954999579, 0.0], [0.0, 1.0, 0.0],
                [0.24573525337873806, 0.0, 0.9693369822960886]], "counts x idf, rows with L2 norm 1",
            rtol=1e-12, hint="multiply X.data by idf[X.indices], then divide each row by its norm")
    W1, (counts1, _), _ = call_inspect(tfidf, _x3(), idf3, sublinear=True, norm="l1")
    c.close(W1, [[0.6286872075843678, 0.37131279241563214, 0.0], [0.0, 1.0, 0.0],
                 [0.2659982688478329, 0.0, 0.7340017311521672]], "sublinear tf 1 + ln(count), L1 rows",
            rtol=1e-12)
    c.close(tfidf(sp.csr_matrix((2, 3)), idf3), np.zeros((2, 3)), "an empty document stays a zero row",
            hint="do not divide by a zero norm")
    c.close([_dense(counts), _dense(counts1)], [COUNTS3, COUNTS3], "the input counts are not modified",
            hint="work on a copy: sp.csr_matrix(X, dtype=np.float64, copy=True)")


@exercise("l3_ppmi", points=2, reference="anime_genre.wordvec:ppmi")
def check_ppmi(c, ppmi):
    C = sp.csr_matrix(np.array([[0, 2.0, 1], [2, 0, 0], [1, 0, 4]]))
    M = ppmi(C)
    if not _is_csr(c, M, "returns a CSR matrix"):
        return
    c.close(M, [[0.0, 1.2039728043259361, 0.0], [1.2039728043259361, 0.0, 0.0],
                [0.0, 0.0, 0.47000362924573563]], "max(0, ln(C_ij N / (r_i c_j)))", rtol=1e-12,
            hint="N = C.sum(); r = row sums, c = column sums; work on the stored entries only")
    c.true((np.asarray(M.data) > 0).all(), "no zeros or negatives stored", hint="M.eliminate_zeros()")


@exercise("l3_weighted_mean_rows", points=2, reference="anime_genre.sentvec:weighted_mean_rows")
def check_weighted_mean_rows(c, weighted_mean_rows):
    X = sp.csr_matrix(np.array([[1.0, 3.0, 0.0], [0.0, 0.0, 0.0], [0.0, 0.0, 2.0]]))
    W = np.array([[1.0, 0.0], [0.0, 1.0], [2.0, 2.0]])
    c.close(weighted_mean_rows(X, W), [[0.25, 0.75], [0.0, 0.0], [2.0, 2.0]],
            "(X @ W) / row sums; a document without weight gives a zero vector",
            hint="divide only the rows whose weight sum is not 0")
    c.close(weighted_mean_rows(sp.csr_matrix(np.array([[2.0, 2.0, 0.0]])), W), [[0.5, 0.5]], "one document")


@exercise("l3_nearest_rows", points=1, reference="anime_genre.sentvec:nearest_rows")
def check_nearest_rows(c, nearest_rows):
    S = np.array([[1.0, 0.0], [0.9, 0.2], [0.0, 1.0], [-1.0, 0.0], [0.0, 0.0]])
    c.equal(nearest_rows(S, 0, 2), [1, 2], "cosine similarity, best first, the row itself excluded",
            hint="normalise the rows (a zero row: leave it, its similarity is 0)")
    c.equal(nearest_rows(S, 4, 2), [0, 1], "a zero row: every similarity 0, ties by index")
