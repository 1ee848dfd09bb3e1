"""Sentence vectors: TF-IDF-weighted mean of word vectors, coverage, nearest synopses."""
from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse as sp

from anime_genre import sentvec as S
from anime_genre.text import TfidfVectorizer


def test_weighted_mean_rows_by_hand():
    X = sp.csr_matrix(np.array([[1.0, 3.0, 0.0], [0.0, 0.0, 0.0], [0.0, 0.0, 2.0]]))
    Wv = np.array([[1.0, 0.0], [0.0, 1.0], [2.0, 2.0]])
    out = S.weighted_mean_rows(X, Wv)
    np.testing.assert_allclose(out, [[0.25, 0.75], [0, 0], [2, 2]])


def test_sentence_vectors_equal_dense_formula():
    docs = ["the samurai draws a sword", "an idol sings a song", "sword and song", "nothing here"]
    w2i = {"samurai": 0, "sword": 1, "idol": 2, "song": 3}
    Wv = np.arange(8.0).reshape(4, 2)
    sv = S.SentenceVectorizer(Wv, w2i)
    out = sv.fit_transform(docs)
    tf = TfidfVectorizer().fit(docs)
    X = tf.transform(docs).toarray()
    names = list(tf.get_feature_names_out())
    expected = np.zeros((4, 2))
    for i in range(4):
        w = np.array([X[i, names.index(t)] for t in w2i if t in names])
        vecs = np.array([Wv[w2i[t]] for t in w2i if t in names])
        if w.sum() > 0:
            expected[i] = (w[:, None] * vecs).sum(0) / w.sum()
    np.testing.assert_allclose(out, expected, atol=1e-12)
    # covered tokens: samurai, sword, idol, song, sword, song = 6 of 13 tokens (2+ letters)
    assert sv.coverage_ == pytest.approx(6 / 13)


def test_token_coverage_and_column_map():
    M = S.column_map(["alpha", "beta", "gamma"], {"gamma": 0, "alpha": 1})
    assert M.toarray().tolist() == [[0, 1], [0, 0], [1, 0]]
    X = sp.csr_matrix(np.array([[2.0, 1.0, 0.0], [0.0, 1.0, 1.0]]))
    assert S.token_coverage(X, ["alpha", "beta", "gamma"], {"alpha": 0}) == pytest.approx(0.4)
    assert S.token_coverage(sp.csr_matrix((1, 3)), ["a", "b", "c"], {"a": 0}) == 0.0


def test_nearest_rows():
    M = np.array([[1.0, 0], [0.9, 0.2], [0, 1], [0, 0]])
    assert S.nearest_rows(M, 0, 2) == [1, 2]
    assert S.nearest_rows(M, 3, 3) == [0, 1, 2]


def test_ptb_coverage_on_mal2020(data_home):
    from anime_genre.clean import clean_corpus
    from anime_genre.datasets import load_mal2020, load_ptb_cbow
    out, _ = clean_corpus(load_mal2020(data_home))
    wv, w2i, _ = load_ptb_cbow(data_home)
    sv = S.SentenceVectorizer(wv, w2i, stop_words="english")
    V = sv.fit_transform(out["Synopsis"].tolist())
    assert V.shape == (9260, 100) and np.isfinite(V).all()
    # PTB covers well under 3/4 of the non-stop-word tokens of the synopses
    assert 0.5 < sv.coverage_ < 0.75
