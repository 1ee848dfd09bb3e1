"""Visible checks of lesson 3 (TF-IDF and sentence vectors). Invented sentences and small
literal values only: this module ships to students, who do not have ``anime_genre``."""
from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from autograder.core import call, call_inspect, exercise

PATTERN = r"(?u)\b\w\w+\b"
COUNTS3 = ((2.0, 1.0, 0.0), (0.0, 1.0, 0.0), (1.0, 0.0, 3.0))


def _x3():
    """Counts of 3 documents over 3 terms, used by several checks: CSR (3, 3). A new matrix
    per call, as the function under test might change the one it is given."""
    return sp.csr_matrix(np.array(COUNTS3))


def csr(M):
    """scipy.sparse CSR matrix"""
    return sp.issparse(M) and M.format == "csr"


CSR_HINT = "build it with sp.csr_matrix((data, indices, indptr), shape=...)"


def _dense(M):
    """A matrix the student's code left behind, as a dense array (or as it is)."""
    return M.toarray() if sp.issparse(M) else M


@exercise("l3_tokenize", points=1, reference="anime_genre.text:tokenize")
def check_tokenize(c, tokenize):
    c.equal(call(tokenize, "The duel at Dawn, again!", PATTERN), ["the", "duel", "at", "dawn", "again"],
            "lower-cased words of 2+ characters", hint="re.findall(token_pattern, text.lower())")
    c.equal(call(tokenize, "A b C dd", PATTERN), ["dd"], "one-letter words are not tokens")
    c.equal(call(tokenize, "Rin's 2nd café", PATTERN, lowercase=False), ["Rin", "2nd", "café"],
            "lowercase=False keeps capitals; digits are word characters")
    with c.properties():
        c.equal(call(tokenize, "", PATTERN), [], "empty text")


@exercise("l3_build_vocabulary", points=2, reference="anime_genre.text:build_vocabulary")
def check_build_vocabulary(c, build_vocabulary):
    docs = [["duel", "at", "dawn", "duel"], ["dawn", "city"], ["city", "dawn"], []]
    c.equal(call(build_vocabulary, docs), {"at": 0, "city": 1, "dawn": 2, "duel": 3},
            "every term, columns in alphabetical order")
    c.equal(call(build_vocabulary, docs, min_df=2), {"city": 0, "dawn": 1},
            "min_df=2: terms in at least 2 documents", hint="document frequency counts a term once per document")
    c.equal(call(build_vocabulary, docs, max_df=0.5), {"at": 0, "city": 1, "duel": 2},
            "max_df=0.5: terms in at most half of the 4 documents", hint="a float bound is a share: max_df * n_docs")
    with c.properties():
        c.equal(call(build_vocabulary, []), {}, "no documents")


@exercise("l3_count_matrix", points=2, reference="anime_genre.text:count_matrix")
def check_count_matrix(c, count_matrix):
    vocab = {"city": 0, "dawn": 1, "duel": 2}
    docs = [["duel", "dawn", "duel"], [], ["city", "vampire", "city", "dawn"]]
    c.close(call(count_matrix, docs, vocab), [[0, 1, 2], [0, 0, 0], [2, 1, 0]],
            "counts; unknown word skipped; empty document is a zero row",
            hint="count every occurrence: a word twice in a document is a 2 (data = the counts, not 1s)")
    c.close(call(count_matrix, docs, vocab), [[0, 1, 2], [0, 0, 0], [2, 1, 0]], "returns a CSR matrix",
            kind=csr, hint=CSR_HINT, about_type=True)
    c.close(call(count_matrix, docs, vocab), [[0, 1, 2], [0, 0, 0], [2, 1, 0]], "float64 counts",
            dtype="float64", hint="give the data array dtype=np.float64", about_type=True)
    c.close(call(count_matrix, [[]], vocab), [[0, 0, 0]], "one empty document")
    c.close(call(count_matrix, [["dawn"]], {"city": 0, "dawn": 1, "duel": 2, "idol": 3}), [[0, 1, 0, 0]],
            "the number of columns is the vocabulary's size, even for terms no document has")


@exercise("l3_document_frequency", points=1, reference="anime_genre.text:document_frequency")
def check_document_frequency(c, document_frequency):
    c.close(call(document_frequency, _x3()), [2, 2, 1], "documents containing each term",
            hint="count stored non-zeros per column: np.bincount(X.indices, minlength=n_terms)")
    with c.properties():
        c.close(call(document_frequency, sp.csr_matrix((2, 4))), [0, 0, 0, 0], "an all-zero matrix")
    c.close(call(document_frequency, _x3()), [2, 2, 1], "an integer array", dtype="integer",
            hint="np.bincount gives int64; np.diff(X.tocsc().indptr) too")


@exercise("l3_idf", points=1, reference="anime_genre.text:idf")
def check_idf(c, idf):
    c.close(call(idf, np.array([2, 2, 1]), 3), [1.2876820724517808, 1.2876820724517808, 1.6931471805599454],
            "smooth IDF: ln((1 + n) / (1 + df)) + 1", rtol=1e-10)
    c.close(call(idf, np.array([2, 2, 1]), 3, smooth=False), [1.4054651081081644, 1.4054651081081644, 2.09861228866811],
            "plain IDF: ln(n / df) + 1", rtol=1e-10)
    c.close(call(idf, np.array([5]), 5, smooth=False), [1.0], "a term in every document keeps weight 1")
    c.close(call(idf, np.array([2, 2, 1]), 3), [1.2876820724517808, 1.2876820724517808, 1.6931471805599454],
            "a float64 array (from integer df)", rtol=1e-10, dtype="float64",
            hint="np.log of an integer array is float64", about_type=True)


@exercise("l3_tfidf", points=2, reference="anime_genre.text:tfidf")
def check_tfidf(c, tfidf):
    idf3 = np.array([1.2876820724517808, 1.2876820724517808, 1.6931471805599454])
    # call_inspect: the state of the counts after the call (the judge passes copies to the
    # student's code and copies nothing back, so X itself could not show a change)
    state = {}

    def run(key, *args, **kwargs):
        result, (counts, _), _ = call_inspect(tfidf, *args, **kwargs)
        state[key] = counts
        return result

    c.close(call(run, "l2", _x3(), idf3), [[0.8944271909999159, 0.4472135954999579, 0.0], [0.0, 1.0, 0.0],
            [0.24573525337873806, 0.0, 0.9693369822960886]], "counts x idf, rows with L2 norm 1",
            rtol=1e-10, kind=csr, hint="multiply X.data by idf[X.indices], then divide each row by its norm; "
                                       "return a CSR matrix")
    c.close(call(run, "l1", _x3(), idf3, sublinear=True, norm="l1"),
            [[0.6286872075843678, 0.37131279241563214, 0.0], [0.0, 1.0, 0.0],
             [0.2659982688478329, 0.0, 0.7340017311521672]], "sublinear tf 1 + ln(count), L1 rows",
            rtol=1e-10)
    c.close(call(tfidf, _x3(), idf3, norm=None), np.array(COUNTS3) * idf3, "norm=None: counts x idf only",
            rtol=1e-10)
    c.close(call(tfidf, sp.csr_matrix((2, 3)), idf3), np.zeros((2, 3)), "an empty document stays a zero row",
            hint="do not divide by a zero norm")
    c.close(call(tfidf, sp.csr_matrix(np.array(COUNTS3, dtype=np.int64)), idf3),
            [[0.8944271909999159, 0.4472135954999579, 0.0], [0.0, 1.0, 0.0],
             [0.24573525337873806, 0.0, 0.9693369822960886]], "integer counts give a float64 matrix",
            rtol=1e-10, dtype="float64", hint="sp.csr_matrix(X, dtype=np.float64, copy=True)")
    c.close(call(lambda: [_dense(state["l2"]), _dense(state["l1"])]), [COUNTS3, COUNTS3],
            "the input counts are not modified",
            hint="work on a copy: sp.csr_matrix(X, dtype=np.float64, copy=True)")


@exercise("l3_ppmi", points=2, reference="anime_genre.wordvec:ppmi")
def check_ppmi(c, ppmi):
    C = np.array([[0, 2.0, 1], [2, 0, 0], [1, 0, 4]])
    c.close(call(ppmi, sp.csr_matrix(C)), [[0.0, 1.2039728043259361, 0.0], [1.2039728043259361, 0.0, 0.0],
            [0.0, 0.0, 0.47000362924573563]], "max(0, ln(C_ij N / (r_i c_j))), a CSR matrix", rtol=1e-10, kind=csr,
            hint="N = C.sum(); r = row sums, c = column sums; work on the stored entries only")
    c.close(call(ppmi, sp.csr_matrix(C)), [[0.0, 1.2039728043259361, 0.0], [1.2039728043259361, 0.0, 0.0],
            [0.0, 0.0, 0.47000362924573563]], "no zeros or negatives stored", rtol=1e-10, kind=positive_data,
            hint="M.eliminate_zeros()")
    c.close(call(ppmi, sp.csr_matrix(np.array([[1.0, 3.0, 0.0], [0.0, 2.0, 1.0], [4.0, 0.0, 1.0]]))),
            [[0.0, 0.5877866649021191, 0.0], [0.0, 0.47000362924573563, 0.6931471805599453],
             [0.6523251860396901, 0.0, 0.1823215567939546]], "a non-symmetric C: r = row sums, c = column sums",
            rtol=1e-10, hint="r = C.sum(axis=1), c = C.sum(axis=0): r_i for the row, c_j for the column")
    c.close(call(lambda: _dense(call_inspect(ppmi, sp.csr_matrix(C))[1][0])), C, "C is not modified",
            hint="build a new matrix: sp.csr_matrix((values, C.indices, C.indptr), shape=C.shape)")


def positive_data(M):
    """CSR matrix whose stored values are all positive"""
    return csr(M) and bool((np.asarray(M.data) > 0).all())


@exercise("l3_weighted_mean_rows", points=2, reference="anime_genre.sentvec:weighted_mean_rows")
def check_weighted_mean_rows(c, weighted_mean_rows):
    X = sp.csr_matrix(np.array([[1.0, 3.0, 0.0], [0.0, 0.0, 0.0], [0.0, 0.0, 2.0]]))
    W = np.array([[1.0, 0.0], [0.0, 1.0], [2.0, 2.0]])
    c.close(call(weighted_mean_rows, X, W), [[0.25, 0.75], [0.0, 0.0], [2.0, 2.0]],
            "(X @ W) / row sums; a document without weight gives a zero vector",
            hint="divide only the rows whose weight sum is not 0")
    c.close(call(weighted_mean_rows, sp.csr_matrix(np.array([[2.0, 2.0, 0.0]])), W), [[0.5, 0.5]], "one document")
    c.close(call(weighted_mean_rows, X, W.astype(np.float32)), [[0.25, 0.75], [0.0, 0.0], [2.0, 2.0]],
            "a float64 array (also from float32 W)", dtype="float64", hint="np.asarray(..., dtype=np.float64)")


@exercise("l3_nearest_rows", points=1, reference="anime_genre.sentvec:nearest_rows")
def check_nearest_rows(c, nearest_rows):
    S = np.array([[1.0, 0.0], [0.9, 0.2], [0.0, 1.0], [-1.0, 0.0], [0.0, 0.0]])
    c.equal(call(nearest_rows, S, 0, 2), [1, 2], "cosine similarity, best first, the row itself excluded",
            hint="normalise the rows (a zero row: leave it, its similarity is 0)")
    c.equal(call(nearest_rows, S, 4, 2), [0, 1], "a zero row: every similarity 0, ties by index")
    T = np.array([[3.0, 4.0], [6.0, 8.0], [0.0, 5.0], [6.0, 8.0], [6.0, 8.0], [4.0, 3.0]])
    c.equal(call(nearest_rows, T, 0, 4), [1, 3, 4, 5], "equal similarities (equal rows) keep index order",
            hint='np.argsort(-sims, kind="stable"); the default quicksort may reorder ties')
    c.equal(call(nearest_rows, S, 0, 2), [1, 2], "a list of Python ints", types=True,
            hint="[int(j) for j in order]")
