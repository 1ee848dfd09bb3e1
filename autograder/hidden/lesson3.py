"""Hidden checks of lesson 3: the reference package on inputs the student never saw."""
from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from anime_genre import sentvec as ref_sv
from anime_genre import text as ref
from anime_genre import wordvec as ref_wv
from autograder.core import hidden

DOCS = ["", "One document only, only one.", "Ünïcode wörds and 42 numbers_with_underscores",
        "a b c", "DUEL duel Duel"]


def _tokens(seed=0, n=25, vocab=40):
    rng = np.random.default_rng(seed)
    return [[f"t{j}" for j in rng.integers(0, vocab, rng.integers(0, 15))] for _ in range(n)]


@hidden("l3_tokenize")
def hidden_tokenize(c, f):
    for d in DOCS:
        c.equal(f(d, ref.TOKEN_PATTERN), ref.tokenize(d), f"tokenize({d[:30]!r})")
    c.equal(f("ab-cd ef", r"\S+"), ref.tokenize("ab-cd ef", r"\S+"), "another pattern")


@hidden("l3_build_vocabulary")
def hidden_build_vocabulary(c, f):
    toks = _tokens(1)
    for kw in ({}, {"min_df": 3}, {"max_df": 0.1}, {"min_df": 0.2, "max_df": 5}):
        c.equal(f(toks, **kw), ref.build_vocabulary(toks, **kw), f"25 random documents {kw}")
    c.equal(f([["only"]]), {"only": 0}, "one document")


@hidden("l3_count_matrix")
def hidden_count_matrix(c, f):
    toks = _tokens(2)
    vocab = ref.build_vocabulary(toks[:10])          # later documents have unseen words
    c.close(f(toks, vocab), ref.count_matrix(toks, vocab), "unseen words and empty documents")
    c.close(f([["x"]], {"x": 0}), ref.count_matrix([["x"]], {"x": 0}), "one document, one word")


@hidden("l3_document_frequency")
def hidden_document_frequency(c, f):
    X = ref.count_matrix(_tokens(3), ref.build_vocabulary(_tokens(3)))
    c.close(f(X), ref.document_frequency(X), "random counts")


@hidden("l3_idf")
def hidden_idf(c, f):
    df = np.array([1, 3, 7, 50, 100])
    for smooth in (True, False):
        c.close(f(df, 100, smooth=smooth), ref.idf(df, 100, smooth=smooth), f"smooth={smooth}", rtol=1e-12)


@hidden("l3_tfidf")
def hidden_tfidf(c, f):
    toks = _tokens(4)
    X = ref.count_matrix(toks, ref.build_vocabulary(toks))
    w = ref.idf(ref.document_frequency(X), X.shape[0])
    for kw in ({}, {"sublinear": True}, {"norm": "l1"}, {"norm": None}):
        c.close(f(X, w, **kw), ref.tfidf(X, w, **kw), f"random counts {kw}", rtol=1e-12, atol=1e-15)
    one = sp.csr_matrix(np.array([[3.0, 0.0, 4.0]]))
    c.close(f(one, np.ones(3)), ref.tfidf(one, np.ones(3)), "one document")


@hidden("l3_ppmi")
def hidden_ppmi(c, f):
    ids = np.random.default_rng(5).integers(0, 12, 300)
    C = ref_wv.cooccurrence_matrix(ids, np.zeros_like(ids), 12, window=2)
    c.close(f(C), ref_wv.ppmi(C), "random co-occurrences", rtol=1e-12)
    Z = sp.csr_matrix(np.array([[0.0, 1.0], [1.0, 0.0]]))
    c.close(f(Z), ref_wv.ppmi(Z), "two words that only co-occur with each other")


@hidden("l3_weighted_mean_rows")
def hidden_weighted_mean_rows(c, f):
    rng = np.random.default_rng(6)
    X = sp.random(8, 10, density=0.3, random_state=7, format="csr")
    W = rng.normal(size=(10, 3))
    c.close(f(X, W), ref_sv.weighted_mean_rows(X, W), "random weights", rtol=1e-12)
    c.close(f(sp.csr_matrix((1, 10)), W), np.zeros((1, 3)), "one empty document")


@hidden("l3_nearest_rows")
def hidden_nearest_rows(c, f):
    S = np.random.default_rng(8).normal(size=(12, 4))
    for i in (0, 5, 11):
        c.equal(f(S, i, 4), ref_sv.nearest_rows(S, i, 4), f"row {i} of 12 random vectors")
