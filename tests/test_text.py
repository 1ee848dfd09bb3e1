"""Sparse TF-IDF: equal to scikit-learn to 1e-12 on the real corpus and on edge cases, the
small lesson functions, the original's IDF bug, no dense documents x vocabulary matrix."""
from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse as sp
from sklearn.feature_extraction.text import CountVectorizer
from sklearn.feature_extraction.text import TfidfVectorizer as SkTfidf

from anime_genre import text as T
from anime_genre.text import TfidfVectorizer

SETTINGS = [
    {},
    {"stop_words": "english", "min_df": 2, "max_df": 0.5, "sublinear_tf": True},
    {"max_features": 3000, "norm": "l1", "smooth_idf": False},
    {"use_idf": False, "norm": None, "min_df": 3, "max_df": 200},
    {"lowercase": False, "token_pattern": r"(?u)\b\w+\b", "stop_words": ["the", "a", "of"]},
]


def _same(ours, theirs, A, B):
    assert isinstance(A, sp.csr_matrix)
    assert A.shape == B.shape
    assert list(ours.get_feature_names_out()) == list(theirs.get_feature_names_out())
    assert ours.vocabulary_ == theirs.vocabulary_
    if getattr(theirs, "use_idf", True):
        np.testing.assert_allclose(ours.idf_, theirs.idf_, rtol=0, atol=1e-12)
    assert abs(A - B).max() <= 1e-12 if A.nnz or B.nnz else True


@pytest.fixture(scope="module")
def synopses(data_home):
    from anime_genre.datasets import load_mal2020
    return load_mal2020(data_home)["Synopsis"].fillna("").astype(str).tolist()


@pytest.mark.parametrize("params", SETTINGS, ids=lambda p: ",".join(p) or "default")
def test_equals_sklearn_on_mal2020(synopses, params):
    train, test = synopses[:12000], synopses[12000:]
    ours, theirs = TfidfVectorizer(**params), SkTfidf(**params)
    _same(ours, theirs, ours.fit_transform(train), theirs.fit_transform(train))
    # unseen words at transform time are ignored by both
    _same(ours, theirs, ours.transform(test), theirs.transform(test))


def test_fit_then_transform_equals_fit_transform(synopses):
    docs = synopses[:3000]
    a = TfidfVectorizer(stop_words="english").fit_transform(docs)
    b = TfidfVectorizer(stop_words="english").fit(docs).transform(docs)
    assert abs(a - b).max() == 0


EDGE = [
    ["", "a duel at dawn", "", "dawn"],           # empty documents
    ["only one document here, here"],             # one document
    ["ZZ zz Zz", "zz top", "ZZZ"],                # the separator token the fast path uses
    ["a b c", "d e"],                             # no token of 2+ characters in a document
]


@pytest.mark.parametrize("docs", EDGE)
def test_edge_cases_equal_sklearn(docs):
    for params in ({}, {"sublinear_tf": True, "norm": "l1"}):
        ours, theirs = TfidfVectorizer(**params), SkTfidf(**params)
        try:
            B = theirs.fit_transform(docs)
        except ValueError as exc:
            with pytest.raises(ValueError, match=str(exc).split(";")[0][:20]):
                ours.fit_transform(docs)
            continue
        _same(ours, theirs, ours.fit_transform(docs), B)
        new = ["dawn dawn unseen", "", "nothing known"]
        _same(ours, theirs, ours.transform(new), theirs.transform(new))


UNICODE = [
    "Café Œuvre—the naïve İstanbul ΣΑΣ ΟΔΟΣ’s",          # non-ASCII word and non-word characters
    "“Quoted” words…and x² ½ _under_score a—b ab—cd—ef",  # one raw run holding several tokens
    "ab\udcff cd \udcffef",                               # lone surrogates (non-word)
    "ÿÿ ﬁne ǅemal ZZ zz \xff",                              # ligature, title case, separator look-alikes
    "tab\tsep\x0bvt\x1cfs\u2028ls\u00a0nb 12 3 __",         # every kind of whitespace, digits
]


@pytest.mark.parametrize("params", [{}, {"lowercase": False}, {"stop_words": "english"},
                                    {"vocabulary": ["a", "ab", "cd", "café", "the", "ﬁne", "zz"]},
                                    {"token_pattern": r"(?u)\b\w+\b"}],
                         ids=["default", "case", "stop", "vocab", "pattern"])
def test_unicode_tokens_equal_sklearn(params):
    """The byte-level scan (ASCII split, non-ASCII runs re-tokenised) finds sklearn's tokens."""
    ours, theirs = TfidfVectorizer(**params), SkTfidf(**params)
    _same(ours, theirs, ours.fit_transform(UNICODE), theirs.fit_transform(UNICODE))
    new = ["naïve—café ΣΑΣ", "ab—zz—unseen", "", "\udcff"]
    _same(ours, theirs, ours.transform(new), theirs.transform(new))
    counts = ours.count_transform(UNICODE + new)
    assert counts.has_sorted_indices and counts.indices.dtype == np.int32
    assert abs(counts - CountVectorizer(**params).fit(UNICODE).transform(UNICODE + new)).max() == 0


def test_fixed_vocabulary_and_stop_words():
    docs = ["the duel at dawn", "a duel and a duel"]
    for vocab in (["duel", "dawn", "the"], {"the": 0, "duel": 1, "dawn": 2}):
        for stop in (None, "english"):
            ours = TfidfVectorizer(vocabulary=vocab, stop_words=stop)
            theirs = SkTfidf(vocabulary=vocab, stop_words=stop)
            _same(ours, theirs, ours.fit_transform(docs), theirs.fit_transform(docs))


def test_errors():
    with pytest.raises(ValueError, match="stop words"):
        TfidfVectorizer(stop_words="english").fit(["the and of", "is it"])
    with pytest.raises(ValueError, match="no terms remain"):
        TfidfVectorizer(min_df=2).fit(["duel at", "dawn"])
    with pytest.raises(ValueError, match="max_df corresponds"):
        TfidfVectorizer(min_df=5).fit(["duel at dawn", "duel"])
    with pytest.raises(ValueError, match="document 1"):
        TfidfVectorizer().fit(["ok text", None])
    with pytest.raises(ValueError, match="single string"):
        TfidfVectorizer().fit("a string")
    with pytest.raises(ValueError, match="norm"):
        TfidfVectorizer(norm="max").fit(["ab cd"])
    with pytest.raises(ValueError, match="not fitted"):
        TfidfVectorizer().transform(["ab"])


def test_dtype_float32():
    X = TfidfVectorizer(dtype=np.float32).fit_transform(["duel at dawn", "dawn again"])
    assert X.dtype == np.float32


def test_never_builds_a_dense_matrix(synopses, monkeypatch):
    """The whole fit/transform path runs with every densifying method disabled."""
    def boom(*a, **k):
        raise AssertionError("dense matrix built")
    for cls in (sp.csr_matrix, sp.csc_matrix, sp.coo_matrix):
        monkeypatch.setattr(cls, "toarray", boom)
        monkeypatch.setattr(cls, "todense", boom)
    vec = TfidfVectorizer(stop_words="english", sublinear_tf=True)
    X = vec.fit_transform(synopses)
    vec.transform(synopses[:100])
    # CSR storage is proportional to the non-zeros, far below n_docs x n_terms
    assert X.data.nbytes + X.indices.nbytes < 0.01 * X.shape[0] * X.shape[1] * 8


def test_small_functions_match_the_vectorizer():
    docs = ["The duel at dawn, the duel!", "Dawn of a new era", "", "new new new duel"]
    tokens = [T.tokenize(d) for d in docs]
    assert tokens[0] == ["the", "duel", "at", "dawn", "the", "duel"]
    vocab = T.build_vocabulary(tokens)
    assert list(vocab) == sorted(vocab) and vocab["at"] == 0
    X = T.count_matrix(tokens, vocab)
    assert isinstance(X, sp.csr_matrix) and X.shape == (4, len(vocab))
    assert X[0, vocab["duel"]] == 2 and X[2].nnz == 0
    df = T.document_frequency(X)
    assert df[vocab["duel"]] == 2 and df[vocab["new"]] == 2
    n = len(docs)
    np.testing.assert_allclose(T.idf(df, n), np.log((1 + n) / (1 + df)) + 1)
    np.testing.assert_allclose(T.idf(df, n, smooth=False), np.log(n / df) + 1)
    ref = SkTfidf().fit(docs)
    np.testing.assert_allclose(T.idf(df, n), ref.idf_, atol=1e-12)
    W = T.tfidf(X, T.idf(df, n))
    assert abs(W - ref.transform(docs)).max() < 1e-12
    Ws = T.tfidf(X, T.idf(df, n), sublinear=True, norm="l1")
    assert abs(Ws - SkTfidf(sublinear_tf=True, norm="l1").fit_transform(docs)).max() < 1e-12
    assert abs(T.normalize_rows(T.term_frequency(X, sublinear=True)) -
               SkTfidf(use_idf=False, sublinear_tf=True).fit_transform(docs)).max() < 1e-12
    # min_df / max_df as ints and shares
    assert set(T.build_vocabulary(tokens, min_df=2)) == {"dawn", "duel", "new"}
    assert "new" not in T.build_vocabulary(tokens, max_df=0.25)


def test_idf_original_bug_differs():
    df = np.array([1, 10, 100])
    np.testing.assert_allclose(T.idf_original_bug(df, 5000), np.log(5000 / df))
    # wrong by ln(n_vocab / n_docs) + 1 for every term
    np.testing.assert_allclose(T.idf(df, 1000, smooth=False) - T.idf_original_bug(df, 5000),
                               1 + np.log(1000 / 5000))


def test_vectorize_command(tmp_path):
    import subprocess
    import sys

    import pandas as pd

    from anime_genre.commands.vectorize import load_features
    table = tmp_path / "clean.csv"
    pd.DataFrame({"MAL_ID": [1, 2, 3], "Genres": ["Action", "Drama, Action", "Drama"],
                  "Text": ["duel dawn duel", "dawn city", "city rain duel"]}).to_csv(table, index=False)
    out = tmp_path / "f.npz"
    r = subprocess.run([sys.executable, "-m", "anime_genre", "vectorize", str(table), "-o", str(out),
                        "--min-df", "1", "--max-df", "1.0"], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    X, names, extras = load_features(out)
    ref = SkTfidf(stop_words="english").fit(["duel dawn duel", "dawn city", "city rain duel"])
    assert names == list(ref.get_feature_names_out())
    assert abs(X - ref.transform(["duel dawn duel", "dawn city", "city rain duel"])).max() < 1e-12
    assert extras["Y"].tolist() == [[1, 0], [1, 1], [0, 1]] and extras["genre_names"].tolist() == ["Action", "Drama"]
    r = subprocess.run([sys.executable, "-m", "anime_genre", "vectorize", str(table), "-o", str(out),
                        "--column", "Nope"], capture_output=True, text=True)
    assert r.returncode == 2 and "Nope" in r.stderr
