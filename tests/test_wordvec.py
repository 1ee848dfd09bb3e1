"""CBOW with negative sampling (numerical gradients, loss decreases), PPMI + SVD on planted
data, nearest words."""
from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse as sp

from anime_genre import wordvec as W
from anime_genre.gradcheck import numerical_gradient  # noqa: F401  (project's checker)


def _rel(a, b):
    return float(np.max(np.abs(a - b) / np.maximum(1e-8, np.abs(a) + np.abs(b))))


def _num_grad(f, x, h=1e-6):
    g = np.zeros_like(x)
    for i in np.ndindex(x.shape):
        old = x[i]
        x[i] = old + h
        fp = f()
        x[i] = old - h
        fm = f()
        x[i] = old
        g[i] = (fp - fm) / (2 * h)
    return g


def test_cbow_ns_gradients_numerical():
    rng = np.random.default_rng(0)
    V, D = 7, 4
    W_in = rng.standard_normal((V, D))
    W_out = rng.standard_normal((V, D))
    contexts = np.array([[0, 1, 3, 1], [2, 2, 5, 6], [4, 0, 1, 2]])   # repeated ids on purpose
    targets = np.array([2, 3, 1])
    negatives = np.array([[5, 6], [1, 1], [3, 6]])
    loss, dW_in, dW_out = W.cbow_ns_gradients(W_in, W_out, contexts, targets, negatives)
    f = lambda: W.cbow_ns_forward(W_in, W_out, contexts, targets, negatives)[0]
    assert _rel(dW_in, _num_grad(f, W_in)) < 1e-7
    assert _rel(dW_out, _num_grad(f, W_out)) < 1e-7
    # loss at zero output vectors: every score 0, loss = (1 + K) ln 2
    assert W.cbow_ns_forward(W_in, np.zeros_like(W_out), contexts, targets, negatives)[0] == \
        pytest.approx(3 * np.log(2))


def test_cbow_ns_stable_for_large_scores():
    W_in = np.full((3, 2), 100.0)
    W_out = np.array([[100.0, 100.0], [-100.0, -100.0], [100.0, 100.0]])
    with np.errstate(over="raise", invalid="raise", divide="raise"):
        loss, cache = W.cbow_ns_forward(W_in, W_out, np.array([[0, 2]]), np.array([1]), np.array([[0]]))
    assert np.isfinite(loss) and loss > 1e4 and np.isfinite(cache["dh"]).all()


def test_scatter_update_sums_repeats():
    Wm = np.zeros((4, 2))
    ids = np.array([[1, 1], [3, 1]])
    coef = np.array([[1.0, 2.0], [1.0, 1.0]])
    rows = np.array([[1.0, 0.0], [0.0, 1.0]])
    W.scatter_update(Wm, ids, coef, rows, rate=1.0)
    assert Wm.tolist() == [[0, 0], [-3, -1], [0, 0], [0, -1]]


def _planted(n_docs=400, seed=0):
    """Two topics; each doc draws from one topic's words plus shared filler."""
    rng = np.random.default_rng(seed)
    topics = [["sword", "blade", "samurai", "duel", "katana"], ["idol", "song", "stage", "concert", "singer"]]
    filler = ["day", "life", "friend", "town", "time"]
    docs = []
    for i in range(n_docs):
        words = topics[i % 2]
        docs.append([rng.choice(words) if rng.random() < 0.6 else rng.choice(filler) for _ in range(30)])
    return docs


def test_cbow_loss_decreases_and_is_seeded():
    docs = _planted()
    r = W.train_cbow(docs, dim=16, epochs=4, min_count=1, subsample=0, seed=1, batch_size=128)
    assert r["losses"][-1] < r["losses"][0]
    r2 = W.train_cbow(docs, dim=16, epochs=4, min_count=1, subsample=0, seed=1, batch_size=128)
    assert np.array_equal(r["word_vecs"], r2["word_vecs"])


def test_ppmi_properties():
    C = sp.csr_matrix(np.array([[0, 2, 1], [2, 0, 0], [1, 0, 4]], dtype=float))
    M = W.ppmi(C)
    N, r, c = 10.0, C.toarray().sum(1), C.toarray().sum(0)
    dense = np.maximum(0, np.log(np.where(C.toarray() > 0, C.toarray() * N / np.outer(r, c), 1)))
    np.testing.assert_allclose(M.toarray(), dense, atol=1e-12)
    assert (M.data > 0).all()


def test_randomized_svd_matches_exact():
    rng = np.random.default_rng(0)
    A = rng.standard_normal((60, 8)) @ np.diag([10, 8, 6, 4, 2, 1, 0.5, 0.1]) @ rng.standard_normal((8, 50))
    U, S = W.randomized_svd(sp.csr_matrix(A), 5, seed=0)
    np.testing.assert_allclose(S, np.linalg.svd(A, compute_uv=False)[:5], rtol=1e-6)
    np.testing.assert_allclose(U.T @ U, np.eye(5), atol=1e-8)


def test_ppmi_svd_neighbours_on_planted_topics():
    docs = _planted()
    r = W.ppmi_svd_vectors(docs, dim=4, window=2, min_count=1, seed=0)
    for word, topic in (("sword", 0), ("idol", 1)):
        near = [w for w, _ in W.nearest_words(word, r["word_vecs"], r["word_to_id"], 3)]
        same = _planted.__defaults__ and (["blade", "samurai", "duel", "katana"] if topic == 0
                                          else ["song", "stage", "concert", "singer"])
        assert set(near) <= set(same), near


def test_cbow_neighbours_on_planted_topics():
    docs = _planted(800)
    r = W.train_cbow(docs, dim=16, epochs=6, min_count=1, subsample=0, seed=0, batch_size=128)
    near = [w for w, _ in W.nearest_words("katana", r["word_vecs"], r["word_to_id"], 3)]
    assert set(near) <= {"sword", "blade", "samurai", "duel"}, near


def test_nearest_words_basics():
    vecs = np.array([[1.0, 0.0], [0.9, 0.1], [0.0, 1.0], [0.0, 0.0]])
    w2i = {"a": 0, "b": 1, "c": 2, "z": 3}
    out = W.nearest_words("a", vecs, w2i, 2)
    assert [w for w, _ in out] == ["b", "c"] and out[0][1] == pytest.approx(0.9 / np.hypot(0.9, 0.1))
    with pytest.raises(KeyError, match="vampire"):
        W.nearest_words("vampire", vecs, w2i)


def test_context_windows_stay_in_documents():
    ids = np.array([0, 1, 2, 3, 4, 5, 6])
    docs = np.array([0, 0, 0, 1, 1, 1, 1])
    ctx, tgt = W.context_windows(ids, docs, 1)
    assert tgt.tolist() == [1, 4, 5] and ctx.tolist() == [[0, 2], [3, 5], [4, 6]]
