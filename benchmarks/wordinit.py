"""Corpus-trained term vectors as the initial first layer of the bag-of-words MLP (issue 14).

The reference's first layer is a (V, H) matrix, one row per vectorizer term (unigrams and
``first_second`` bigrams, :class:`~anime_genre.features.BowVectorizer`), initialised at
random (He: std ``sqrt(2 / V)``). Here its rows start as term vectors learned, without the
labels, from the TRAINING synopses only:

- :func:`ppmi_term_vectors`: PPMI of word co-occurrence within ``window`` words, truncated
  to ``H`` dimensions by randomised SVD (``wordvec.ppmi_svd_vectors``); a bigram's row is the
  mean of its two words' rows;
- :func:`lsa_term_vectors`: truncated SVD of the training TF-IDF matrix itself (latent
  semantic analysis: terms that occur in the same shows get similar rows); covers every
  term, bigrams included.

A term without a vector (a word below the count cut) gets a random row. :func:`scaled` puts
the matrix on ``multiplier`` times the default initialisation's scale (the root mean square
of its entries), so that a comparison with random init at the same multiplier separates the
effect of the directions from that of the scale: Adam moves each touched weight by about
``lr`` (2e-2) per step, three times the default std of a 39k-row layer (7e-3), so at the
default scale any initialisation is forgotten within a few steps.

:class:`FrozenFirstLayer` wraps a network for :class:`~anime_genre.trainer.Trainer` so that
the first layer's weight matrix is not trained (its bias is).
"""
from __future__ import annotations

import numpy as np

from anime_genre.wordvec import ppmi_svd_vectors, randomized_svd


def he_std(n_terms: int) -> float:
    """The default initialisation's std of a ReLU layer with ``n_terms`` inputs."""
    return float(np.sqrt(2.0 / n_terms))


def ppmi_term_vectors(train_texts, terms, dim: int, window: int = 5, min_count: int = 2,
                      seed: int = 0):
    """(V, dim) float64 rows for the vectorizer's ``terms`` from PPMI-SVD word vectors of the
    training texts (cleaned, space-separated); bigram ``a_b`` = mean of ``a`` and ``b``. Rows
    of terms without a vector are NaN (:func:`scaled` fills them). Also returns the share
    of terms covered."""
    out = ppmi_svd_vectors([t.split() for t in train_texts], dim=dim, window=window,
                           min_count=min_count, seed=seed)
    wv, w2i = out["word_vecs"], out["word_to_id"]
    T = np.full((len(terms), wv.shape[1]), np.nan)
    for j, term in enumerate(terms):
        i = w2i.get(term)
        if i is not None:
            T[j] = wv[i]
            continue
        parts = term.split("_")
        ids = [w2i[p] for p in parts if p in w2i]
        if len(parts) == 2 and ids:
            T[j] = wv[ids].mean(axis=0)
    if T.shape[1] < dim:                          # tiny vocabularies: pad with NaN (random)
        T = np.hstack([T, np.full((len(terms), dim - T.shape[1]), np.nan)])
    return T, float(np.mean(~np.isnan(T[:, 0])))


def lsa_term_vectors(X, dim: int, seed: int = 0):
    """(V, dim) float64 term rows ``U sqrt(S)`` of the truncated SVD of ``X.T`` (V, n): the
    training TF-IDF's latent semantic analysis."""
    import scipy.sparse as sp

    Xt = sp.csr_matrix(X.T, dtype=np.float64)
    U, S = randomized_svd(Xt, dim, seed=seed)
    signs = np.sign(U[np.abs(U).argmax(axis=0), np.arange(U.shape[1])])
    signs[signs == 0] = 1.0
    return U * signs * np.sqrt(S)


def scaled(T, multiplier: float = 1.0, seed: int = 0, dtype=np.float32):
    """``T`` with the root mean square of its entries set to ``multiplier * he_std(V)``;
    NaN rows (no vector) become random normal rows of the same std. (V, H) ``dtype``."""
    T = np.array(T, dtype=np.float64)
    target = multiplier * he_std(T.shape[0])
    missing = np.isnan(T[:, 0])
    known = T[~missing]
    rms = np.sqrt(np.mean(known ** 2)) if known.size else 1.0
    T[~missing] *= target / max(rms, 1e-12)
    if missing.any():
        rng = np.random.default_rng(seed)
        T[missing] = rng.standard_normal((int(missing.sum()), T.shape[1])) * target
    return T.astype(dtype)


class FrozenFirstLayer:
    """A ``MultiLabelClassifier`` seen by the trainer without its first weight matrix: only
    the first bias and the later layers are trained (the frozen variant)."""

    def __init__(self, model):
        self.model = model
        self.params = model.params[1:]
        self.grads = model.grads[1:]

    @property
    def training(self):
        return self.model.training

    def train(self):
        self.model.train()
        return self

    def eval(self):
        self.model.eval()
        return self

    def loss(self, x, t):
        return self.model.loss(x, t)

    def backward(self, dout=1.0):
        m = self.model
        d = m.loss_layer.backward(dout)
        for layer in reversed(m.layers[1:]):
            d = layer.backward(d)
        m.grads[1][...] = d.sum(axis=0)          # the first bias; its weights stay
        return None

    def grad_rows(self):
        return [None] * len(self.params)

    def predict_proba(self, X, batch_size=2048):
        return self.model.predict_proba(X, batch_size)
