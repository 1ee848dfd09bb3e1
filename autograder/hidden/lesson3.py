"""Hidden checks of lesson 3: the reference package on inputs the student never saw.

Expected values are computed before the student's function sees the input, and an input
used again later goes to the student as a copy: a student function run in the same process
(a notebook's check cell) could change what it is given."""
from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from anime_genre import sentvec as ref_sv
from anime_genre import text as ref
from anime_genre import wordvec as ref_wv
from autograder.core import call, hidden, hidden_rng

DOCS = ("", "One document only, only one.", "Ünïcode wörds and 42 numbers_with_underscores",
        "a b c", "DUEL duel Duel")


def _tokens(salt: int, n=25, vocab=40) -> list[list[str]]:
    """n random documents over `vocab` terms t0, t1, ...; the same ones for the same salt."""
    rng = hidden_rng(salt)
    return [[f"t{j}" for j in rng.integers(0, vocab, rng.integers(0, 15))] for _ in range(n)]


@hidden("l3_tokenize")
def hidden_tokenize(c, f):
    for d in DOCS:
        expected = ref.tokenize(d)
        with c.properties(when=not expected):       # no token: what code that does nothing answers
            c.equal(call(f, d, ref.TOKEN_PATTERN), expected, f"tokenize({d[:30]!r})")
    c.equal(call(f, "ab-cd ef", r"\S+"), ref.tokenize("ab-cd ef", r"\S+"), "another pattern")


@hidden("l3_build_vocabulary")
def hidden_build_vocabulary(c, f):
    for kw in ({}, {"min_df": 3}, {"max_df": 0.1}, {"min_df": 0.2, "max_df": 5}):
        expected = ref.build_vocabulary(_tokens(31), **kw)
        c.equal(call(f, _tokens(31), **kw), expected, f"25 random documents {kw}")
    c.equal(call(f, [["only"]]), {"only": 0}, "one document")


@hidden("l3_count_matrix")
def hidden_count_matrix(c, f):
    toks = _tokens(32)
    vocab = ref.build_vocabulary(toks[:10])          # later documents have unseen words
    expected = ref.count_matrix(toks, vocab)
    c.close(call(f, toks, vocab), expected, "unseen words and empty documents")
    c.close(call(f, [["x"]], {"x": 0}), ref.count_matrix([["x"]], {"x": 0}), "one document, one word")


@hidden("l3_document_frequency")
def hidden_document_frequency(c, f):
    X = ref.count_matrix(_tokens(33), ref.build_vocabulary(_tokens(33)))
    expected = ref.document_frequency(X)
    c.close(call(f, X), expected, "random counts")


@hidden("l3_idf")
def hidden_idf(c, f):
    df = np.array([1, 3, 7, 50, 100])
    for smooth in (True, False):
        expected = ref.idf(df, 100, smooth=smooth)
        c.close(call(f, df.copy(), 100, smooth=smooth), expected, f"smooth={smooth}", rtol=1e-10)


@hidden("l3_tfidf")
def hidden_tfidf(c, f):
    toks = _tokens(34)
    X = ref.count_matrix(toks, ref.build_vocabulary(toks))
    w = ref.idf(ref.document_frequency(X), X.shape[0])
    for kw in ({}, {"sublinear": True}, {"norm": "l1"}, {"norm": None}):
        expected = ref.tfidf(X, w, **kw)
        c.close(call(f, X.copy(), w.copy(), **kw), expected, f"random counts {kw}", rtol=1e-10, atol=1e-15)
    one = sp.csr_matrix(np.array([[3.0, 0.0, 4.0]]))
    expected = ref.tfidf(one, np.ones(3))
    c.close(call(f, one, np.ones(3)), expected, "one document")


@hidden("l3_ppmi")
def hidden_ppmi(c, f):
    ids = hidden_rng(35).integers(0, 12, 300)
    C = ref_wv.cooccurrence_matrix(ids, np.zeros_like(ids), 12, window=2)
    expected = ref_wv.ppmi(C)
    expected_eps = ref_wv.ppmi(C, eps=0.5)
    c.close(call(f, C.copy()), expected, "random co-occurrences", rtol=1e-10)
    # eps is part of the documented formula: max(0, ln(C_ij N / (r_i c_j) + eps))
    c.close(call(f, C.copy(), eps=0.5), expected_eps, "random co-occurrences, eps=0.5 inside the log",
            rtol=1e-10)
    Z = sp.csr_matrix(np.array([[0.0, 1.0], [1.0, 0.0]]))
    expected = ref_wv.ppmi(Z)
    c.close(call(f, Z), expected, "two words that only co-occur with each other")


@hidden("l3_weighted_mean_rows")
def hidden_weighted_mean_rows(c, f):
    rng = hidden_rng(36)
    X = sp.random(8, 10, density=0.3, random_state=rng, format="csr")
    W = rng.normal(size=(10, 3))
    expected = ref_sv.weighted_mean_rows(X, W)
    c.close(call(f, X, W.copy()), expected, "random weights", rtol=1e-10)
    c.close(call(f, sp.csr_matrix((1, 10)), W), np.zeros((1, 3)), "one empty document")


@hidden("l3_nearest_rows")
def hidden_nearest_rows(c, f):
    rng = hidden_rng(38)
    S = rng.normal(size=(40, 5)) * rng.uniform(0.2, 5.0, size=(40, 1))   # norms far apart
    S[[3, 7, 9]] = S[2]          # equal rows: ties, kept in index order
    S[6] = 0.0                   # a zero row
    for i in (0, 2, 5, 6, 11, 23):
        expected = ref_sv.nearest_rows(S, i, 10)
        c.equal(call(f, S.copy(), i, 10), expected, f"row {i} of 40 random vectors")
    few = S[:4].copy()
    expected = ref_sv.nearest_rows(few, 1, 10)
    c.equal(call(f, few.copy(), 1, 10), expected, "k = 10 of 4 rows: the 3 others, the row itself still excluded")
