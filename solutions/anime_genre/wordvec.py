"""Word vectors: the PTB CBOW vectors, CBOW with negative sampling trained on the synopses,
and PPMI + truncated SVD as the fast count-based alternative.

CBOW (Mikolov et al. 2013, as in *Deep Learning from Scratch 2*, ch. 4): the mean of the
context words' input vectors ``h`` scores the centre word ``w`` by ``h . W_out[w]``; negative
sampling turns the softmax over the vocabulary into one positive and ``K`` negative binary
problems. Loss per example: ``softplus(-s_pos) + sum_k softplus(s_neg_k)``; the reduction is
the mean over examples. Everything is vectorised over a minibatch; gradients touch only the
rows that were used, so updates are scattered with ``np.add.at``.
"""
from __future__ import annotations

from collections import Counter

import numpy as np
import scipy.sparse as sp
from scipy.special import expit

from .errors import UserError


# ----------------------------------------------------------------------------- vocabulary

def build_word_vocabulary(token_lists: list, min_count: int = 5):
    """``(word_to_id, id_to_word, counts)`` for words seen at least ``min_count`` times,
    most frequent first (ties by word). ``counts`` is an int64 array (n_words,)."""
    c = Counter(t for tokens in token_lists for t in tokens)
    words = sorted((w for w, n in c.items() if n >= min_count), key=lambda w: (-c[w], w))
    word_to_id = {w: i for i, w in enumerate(words)}
    return word_to_id, list(words), np.array([c[w] for w in words], dtype=np.int64)


def encode(token_lists: list, word_to_id: dict):
    """Concatenated word ids (tokens outside the vocabulary dropped) and, for each id, the
    number of its document: two int64 arrays of the same length."""
    ids = []
    docs = []
    for d, tokens in enumerate(token_lists):
        row = [word_to_id[t] for t in tokens if t in word_to_id]
        ids.extend(row)
        docs.extend([d] * len(row))
    return np.array(ids, dtype=np.int64), np.array(docs, dtype=np.int64)


def context_windows(ids: np.ndarray, docs: np.ndarray, window: int):
    """``(contexts (n, 2*window), targets (n,))`` for every position whose whole window lies
    inside its own document."""
    n = ids.size
    if n <= 2 * window:
        return np.zeros((0, 2 * window), dtype=np.int64), np.zeros(0, dtype=np.int64)
    centre = np.arange(window, n - window)
    ok = (docs[centre - window] == docs[centre]) & (docs[centre + window] == docs[centre])
    centre = centre[ok]
    offsets = np.r_[np.arange(-window, 0), np.arange(1, window + 1)]
    return ids[centre[:, None] + offsets[None, :]], ids[centre]


# ----------------------------------------------------------------------------- CBOW + NS

def cbow_ns_forward(W_in, W_out, contexts, targets, negatives):
    """Loss of CBOW with negative sampling on one minibatch, and what the gradients need.

    W_in, W_out: (V, D). contexts: (B, C) word ids; targets: (B,); negatives: (B, K).
    Returns ``(loss, cache)``: the mean loss over the B examples and a dict with ``h`` (B, D),
    ``dh`` (B, D), ``ds`` (B, 1+K) (gradients with respect to the scores) and ``out_ids``
    (B, 1+K). The gradient of ``W_out[out_ids[b, k]]`` is ``ds[b, k] * h[b]``; that of each
    ``W_in[contexts[b, c]]`` is ``dh[b] / C`` (rows repeat: add them up).
    """
    contexts = np.asarray(contexts)
    B, C = contexts.shape
    h = W_in[contexts].mean(axis=1)                                  # (B, D)
    out_ids = np.concatenate([np.asarray(targets)[:, None], negatives], axis=1)  # (B, 1+K)
    Wo = W_out[out_ids]                                              # (B, 1+K, D)
    s = np.matmul(Wo, h[:, :, None])[:, :, 0]                        # (B, 1+K)
    sign = np.ones_like(s)
    sign[:, 0] = -1.0
    # -log sigmoid(s) for the positive, -log sigmoid(-s) for negatives: softplus, stable.
    loss = float(np.logaddexp(0.0, sign * s).sum() / B)
    ds = expit(s)
    ds[:, 0] -= 1.0
    ds /= B
    dh = np.matmul(ds[:, None, :], Wo)[:, 0, :]                      # (B, D)
    return loss, {"h": h, "dh": dh, "ds": ds, "out_ids": out_ids}


def cbow_ns_gradients(W_in, W_out, contexts, targets, negatives):
    """``(loss, dW_in, dW_out)`` with dense (V, D) gradients; for checking on small cases."""
    loss, cache = cbow_ns_forward(W_in, W_out, contexts, targets, negatives)
    contexts = np.asarray(contexts)
    C = contexts.shape[1]
    dW_in = np.zeros_like(W_in, dtype=np.float64)
    dW_out = np.zeros_like(W_out, dtype=np.float64)
    np.add.at(dW_in, contexts.reshape(-1), np.repeat(cache["dh"] / C, C, axis=0))
    np.add.at(dW_out, cache["out_ids"].reshape(-1),
              (cache["ds"][:, :, None] * cache["h"][:, None, :]).reshape(-1, W_out.shape[1]))
    return loss, dW_in, dW_out


def scatter_update(W, ids, coef, rows, rate: float, per_row_mean: bool = False) -> None:
    """In place: ``W[ids[b, m]] -= rate * coef[b, m] * rows[b]`` summed over repeats
    (divided by the number of repeats of each id if ``per_row_mean``).

    ids, coef: (B, M); rows: (B, D). The sums are one sparse (unique ids x B) @ (B x D)
    product, much faster than ``np.add.at`` on rows and without a (B, M, D) temporary."""
    B, M = ids.shape
    u, inv, counts = np.unique(ids.reshape(-1), return_inverse=True, return_counts=True)
    S = sp.csr_matrix((np.asarray(coef, dtype=rows.dtype).reshape(-1),
                       (inv.reshape(-1), np.repeat(np.arange(B), M))), shape=(u.size, B))
    step = S @ rows
    if per_row_mean:
        step /= counts[:, None].astype(step.dtype)
    W[u] -= rate * step


def negative_sampler(counts: np.ndarray, power: float = 0.75):
    """Cumulative distribution of ``counts ** power`` for :func:`sample_negatives`."""
    p = np.asarray(counts, dtype=np.float64) ** power
    cdf = np.cumsum(p / p.sum())
    cdf[-1] = 1.0
    return cdf


def sample_negatives(cdf: np.ndarray, shape, rng) -> np.ndarray:
    """Word ids drawn from the distribution ``cdf`` (may include the positive word, as in
    word2vec; it matters little for a vocabulary of thousands)."""
    return np.searchsorted(cdf, rng.random(shape), side="right").astype(np.int64)


def train_cbow(token_lists: list, dim: int = 100, window: int = 2, negatives: int = 5,
               epochs: int = 3, batch_size: int = 512, lr: float = 0.3, min_count: int = 5,
               subsample: float = 1e-3, seed: int = 0, progress: bool = False):
    """Train CBOW with negative sampling on token lists; returns a dict with ``word_vecs``
    (V, D) float64 (the input vectors), ``word_to_id``, ``id_to_word`` and ``losses`` (mean
    loss per epoch).

    SGD as in word2vec: each example moves by ``lr`` (so the mean-loss gradient is scaled by
    the batch size), with ``lr`` decaying linearly to ``lr / 100``. A row used several times
    in one minibatch takes the mean of its examples' steps, not the sum: summed steps of a
    frequent word blow up (nan on small vocabularies). The default 0.3 is higher than
    word2vec's 0.025 because the corpus is small: on mal2020 (3 epochs, a few seconds) 0.025
    leaves every vector pointing the same way.
    The PTB vectors are loaded by ``anime_genre.datasets.load_ptb_cbow``. Frequent words are
    subsampled (keep probability ``sqrt(t/f) + t/f``). Seeded: same input, same vectors.
    """
    rng = np.random.default_rng(seed)
    word_to_id, id_to_word, counts = build_word_vocabulary(token_lists, min_count)
    V = len(id_to_word)
    if V < 2:
        raise UserError(f"too few words to train word vectors: {V} word(s) seen at least {min_count} times")
    ids, docs = encode(token_lists, word_to_id)
    # float32 for speed (the gradient check uses cbow_ns_gradients in float64)
    W_in = ((rng.random((V, dim)) - 0.5) / dim).astype(np.float32)
    W_out = np.zeros((V, dim), dtype=np.float32)
    cdf = negative_sampler(counts)
    freq = counts / counts.sum()
    keep_p = np.minimum(1.0, np.sqrt(subsample / freq) + subsample / freq) if subsample else None
    losses = []
    total_steps = None
    step = 0
    bar = None
    for epoch in range(epochs):
        if keep_p is not None:
            keep = rng.random(ids.size) < keep_p[ids]
            e_ids, e_docs = ids[keep], docs[keep]
        else:
            e_ids, e_docs = ids, docs
        contexts, targets = context_windows(e_ids, e_docs, window)
        order = rng.permutation(targets.size)
        n_batches = max(1, -(-targets.size // batch_size))
        if total_steps is None:
            total_steps = n_batches * epochs
            if progress:
                from tqdm.auto import tqdm
                bar = tqdm(total=total_steps, desc="CBOW", unit="batch")
        epoch_loss = 0.0
        for b in range(n_batches):
            sel = order[b * batch_size:(b + 1) * batch_size]
            if sel.size == 0:
                continue
            neg = sample_negatives(cdf, (sel.size, negatives), rng)
            ctx = contexts[sel]
            loss, cache = cbow_ns_forward(W_in, W_out, ctx, targets[sel], neg)
            rate = lr * max(0.01, 1.0 - step / total_steps) * sel.size
            scatter_update(W_in, ctx, np.full(ctx.shape, 1.0 / ctx.shape[1]), cache["dh"], rate, True)
            scatter_update(W_out, cache["out_ids"], cache["ds"], cache["h"], rate, True)
            epoch_loss += loss * sel.size
            step += 1
            if bar is not None:
                bar.update(1)
        losses.append(epoch_loss / max(1, targets.size))
    if bar is not None:
        bar.close()
    return {"word_vecs": W_in.astype(np.float64), "word_to_id": word_to_id,
            "id_to_word": id_to_word, "losses": losses}


# ----------------------------------------------------------------------------- PPMI + SVD

def cooccurrence_matrix(ids: np.ndarray, docs: np.ndarray, n_words: int, window: int = 2):
    """(V, V) symmetric CSR matrix of co-occurrence counts within ``window`` words, inside
    each document."""
    rows = []
    cols = []
    for o in range(1, window + 1):
        same = docs[:-o] == docs[o:]
        a, b = ids[:-o][same], ids[o:][same]
        rows += [a, b]
        cols += [b, a]
    r = np.concatenate(rows) if rows else np.zeros(0, np.int64)
    c = np.concatenate(cols) if cols else np.zeros(0, np.int64)
    C = sp.csr_matrix((np.ones(r.size), (r, c)), shape=(n_words, n_words))
    C.sum_duplicates()
    return C


def ppmi(C, eps: float = 0.0):
    """Positive pointwise mutual information of a co-occurrence matrix (CSR in, CSR out).

    ``PPMI_ij = max(0, log(C_ij * N / (r_i * c_j)))`` with ``N`` the total count and
    ``r``, ``c`` the row and column sums; computed on stored entries only (a zero count has
    PMI -inf, so PPMI 0) and zeros are not stored.
    """
    C = sp.csr_matrix(C, dtype=np.float64)
    C.sum_duplicates()
    C.eliminate_zeros()
    N = C.data.sum()
    r = np.asarray(C.sum(axis=1)).ravel()
    c = np.asarray(C.sum(axis=0)).ravel()
    rows = np.repeat(np.arange(C.shape[0]), np.diff(C.indptr))
    pmi = np.log(C.data * N / (r[rows] * c[C.indices]) + eps)
    M = sp.csr_matrix((np.maximum(pmi, 0.0), C.indices.copy(), C.indptr.copy()), shape=C.shape)
    M.eliminate_zeros()
    return M


def _orthonormalize(Y: np.ndarray) -> np.ndarray:
    """Orthonormal basis of the columns of a tall ``Y`` (m, p) from the eigen-decomposition
    of its small Gram matrix. Only matrix products on the tall matrix: on a loaded machine
    with threaded BLAS this is ~10x faster than ``np.linalg.qr``; directions with tiny
    eigenvalues are dropped, so it stays well conditioned."""
    w, V = np.linalg.eigh(Y.T @ Y)
    keep = w > w.max() * 1e-12
    return (Y @ V[:, keep]) / np.sqrt(w[keep])


def randomized_svd(M, k: int, n_oversample: int = 10, n_iter: int = 4, seed: int = 0):
    """Top ``k`` left singular vectors and values of a sparse or dense (m, n) matrix,
    by randomised range finding (Halko, Martinsson and Tropp 2011) in numpy: project on
    ``k + n_oversample`` random directions, sharpen with ``n_iter`` power iterations
    (re-orthonormalised each time), then an exact SVD of the small projected matrix.
    Returns ``(U (m, k), S (k,))``, singular values in decreasing order. Seeded."""
    rng = np.random.default_rng(seed)
    m, n = M.shape
    p = min(n, k + n_oversample)
    Q = _orthonormalize(np.asarray(M @ rng.standard_normal((n, p))))
    for _ in range(n_iter):
        Z = _orthonormalize(np.asarray(M.T @ Q))
        Q = _orthonormalize(np.asarray(M @ Z))
    Bt = np.asarray(M.T @ Q)                       # (n, p) = (Q.T M).T
    Ub, S, _ = np.linalg.svd(Bt.T, full_matrices=False)
    return Q @ Ub[:, :k], S[:k]


def ppmi_svd_vectors(token_lists: list, dim: int = 100, window: int = 2, min_count: int = 5,
                     seed: int = 0):
    """Count-based word vectors: PPMI of the co-occurrence counts, truncated SVD, rows
    ``U * sqrt(S)``. Returns the same dict keys as :func:`train_cbow` (no ``losses``)."""
    word_to_id, id_to_word, counts = build_word_vocabulary(token_lists, min_count)
    V = len(id_to_word)
    if V < 3:
        raise UserError(f"too few words for PPMI-SVD: {V} word(s) seen at least {min_count} times")
    ids, docs = encode(token_lists, word_to_id)
    M = ppmi(cooccurrence_matrix(ids, docs, V, window))
    k = min(dim, V - 1)
    U, S = randomized_svd(M, k, seed=seed)
    # ARPACK's sign of each singular vector is arbitrary: make the largest entry positive.
    signs = np.sign(U[np.abs(U).argmax(axis=0), np.arange(k)])
    signs[signs == 0] = 1.0
    return {"word_vecs": U * signs * np.sqrt(S), "word_to_id": word_to_id, "id_to_word": id_to_word}


# ----------------------------------------------------------------------------- using vectors

def nearest_words(word: str, vecs, word_to_id: dict, k: int = 5) -> list:
    """The ``k`` words with the highest cosine similarity to ``word`` (itself excluded), as
    ``[(word, similarity), ...]`` best first."""
    if word not in word_to_id:
        raise KeyError(f"{word!r} is not in the word-vector vocabulary ({len(word_to_id)} words)")
    vecs = np.asarray(vecs, dtype=np.float64)
    id_to_word = {i: w for w, i in word_to_id.items()}
    norms = np.linalg.norm(vecs, axis=1)
    norms[norms == 0] = 1.0
    q = vecs[word_to_id[word]] / norms[word_to_id[word]]
    sims = (vecs @ q) / norms
    sims[word_to_id[word]] = -np.inf
    k = min(k, len(sims) - 1)
    best = np.argsort(-sims, kind="stable")[:k]
    return [(id_to_word[int(i)], float(sims[i])) for i in best]
