"""Bag-of-words features for the reference model: TF-IDF of unigrams and bigrams.

``anime_genre.text.TfidfVectorizer`` counts unigrams only. Bigrams are added by writing each
adjacent pair of tokens as one extra token ``first_second`` (the token pattern ``\\w\\w+``
keeps the underscore inside a token), so the same vectorizer, and the same sparse code,
counts them. The input is the cleaned text (``clean_corpus``'s ``Text`` column: lower case,
letters only, stop words removed), so a bigram joins two content words.

A fitted :class:`BowVectorizer` is saved as plain arrays (terms, IDF, settings) inside the
model file and rebuilt from them by ``anime-genre predict``.
"""
from __future__ import annotations

import numpy as np

from .text import TfidfVectorizer, idf_original_bug


def add_bigrams(text: str) -> str:
    """``"a b c"`` -> ``"a b c a_b b_c"``."""
    words = text.split()
    if len(words) < 2:
        return text
    return text + " " + " ".join(a + "_" + b for a, b in zip(words[:-1], words[1:]))


class BowVectorizer:
    """TF-IDF (CSR, n_docs x n_terms) of cleaned texts, optionally with bigrams.

    min_df / max_df / sublinear_tf as in scikit-learn; ``idf_bug=True`` replaces the IDF by
    the original project's ``ln(n_vocab / df)`` (for the postmortem); ``vocabulary``
    restricts the unigrams to a word list (the PTB-vocabulary cut of the original).
    """

    def __init__(self, min_df=2, max_df=0.5, bigrams=True, sublinear_tf=True, idf_bug=False,
                 vocabulary=None, max_features=None, dtype=np.float32):
        self.min_df, self.max_df, self.bigrams = min_df, max_df, bigrams
        self.max_features = max_features
        self.sublinear_tf, self.idf_bug = sublinear_tf, idf_bug
        self.vocabulary = None if vocabulary is None else frozenset(vocabulary)
        self.dtype = np.dtype(dtype)
        self.tfidf = TfidfVectorizer(min_df=min_df, max_df=max_df, sublinear_tf=sublinear_tf,
                                     max_features=max_features, dtype=self.dtype)

    def _prep(self, texts):
        if self.vocabulary is not None:
            vocab = self.vocabulary
            texts = [" ".join(w for w in t.split() if w in vocab) for t in texts]
        return [add_bigrams(t) for t in texts] if self.bigrams else list(texts)

    def fit_transform(self, texts):
        docs = self._prep(texts)
        X = self.tfidf.fit_transform(docs)
        if self.idf_bug:
            # The document frequencies are recovered from the fitted IDF's definition
            # (smooth: idf = ln((1 + n) / (1 + df)) + 1), then the buggy formula is applied.
            n = X.shape[0]
            df = (1.0 + n) / np.exp(self.tfidf.idf_.astype(np.float64) - 1.0) - 1.0
            self.tfidf.idf_ = idf_original_bug(np.round(df), len(self.tfidf.vocabulary_)).astype(self.dtype)
            X = self.tfidf.transform(docs)
        return X

    def transform(self, texts):
        return self.tfidf.transform(self._prep(texts))

    @property
    def n_features(self) -> int:
        return len(self.tfidf.vocabulary_)

    # -- persistence as plain arrays
    def to_arrays(self) -> dict:
        terms = self.tfidf.get_feature_names_out().astype(str)
        return {"vec_terms": terms, "vec_idf": np.asarray(self.tfidf.idf_, dtype=np.float64)}

    def settings(self) -> dict:
        return {"min_df": self.min_df, "max_df": self.max_df, "bigrams": self.bigrams,
                "sublinear_tf": self.sublinear_tf, "idf_bug": self.idf_bug,
                "max_features": self.max_features,
                "vocabulary_cut": self.vocabulary is not None}

    @classmethod
    def from_arrays(cls, settings: dict, terms, idf) -> "BowVectorizer":
        vec = cls(min_df=settings["min_df"], max_df=settings["max_df"],
                  bigrams=settings["bigrams"], sublinear_tf=settings["sublinear_tf"])
        vec.tfidf.vocabulary_ = {str(t): i for i, t in enumerate(terms)}
        vec.tfidf.idf_ = np.asarray(idf, dtype=vec.dtype)
        return vec
