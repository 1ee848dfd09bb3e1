"""Hidden checks of lesson 6: the reference layers, Adam step, batching, early stopping and
metrics on inputs the student never saw.

The reference runs first, and an input used again after the student's code saw it goes to
the student as a copy: expected values never depend on what a student function might do to
its arguments."""
from __future__ import annotations

import numpy as np

from anime_genre import layers as ref_layers
from anime_genre import metrics as ref_metrics
from anime_genre import optim as ref_optim
from anime_genre import trainer as ref_trainer
from autograder.core import hidden, hidden_rng


def _shapes(salt):
    """(label, x (N, D), W (D, H), b (H,), dout (N, H)) for a few sizes."""
    rng = hidden_rng(salt)
    for n, d, h in ((1, 5, 3), (7, 4, 6), (16, 30, 41)):
        yield f"{n} x {d} -> {h}", rng.normal(size=(n, d)), rng.normal(size=(d, h)), rng.normal(size=h), \
            rng.normal(size=(n, h))


def _seed(rng) -> int:
    """A seed argument for the student's code, from the hidden generator."""
    return int(rng.integers(0, 2**31))


@hidden("l6_affine")
def hidden_affine(c, Affine):
    for label, x, w, b, d in _shapes(62):
        mine = ref_layers.Affine(w.copy(), b.copy())
        y, dx = mine.forward(x), mine.backward(d)
        dW, db = (g.copy() for g in mine.grads)
        theirs = Affine(w, b)
        c.close(theirs.forward(x), y, f"forward {label}", rtol=1e-10, atol=1e-12)
        c.close(theirs.backward(d), dx, f"backward dx {label}", rtol=1e-10, atol=1e-12)
        g = theirs.grads
        c.close(g[0], dW, f"dW {label}", rtol=1e-10, atol=1e-12)
        c.close(g[1], db, f"db {label}", rtol=1e-10, atol=1e-12)


@hidden("l6_relu")
def hidden_relu(c, Relu):
    rng = hidden_rng(63)
    for shape in ((1, 7), (5, 4), (20, 33)):
        x = rng.normal(size=shape)
        x[0, 0] = 0.0
        d = rng.normal(size=shape)
        mine = ref_layers.Relu()
        y, dx = mine.forward(x), mine.backward(d)
        theirs = Relu()
        c.close(theirs.forward(x), y, f"forward {shape}")
        c.close(theirs.backward(d), dx, f"backward {shape}")


@hidden("l6_dropout")
def hidden_dropout(c, Dropout):
    rng = hidden_rng(64)
    for ratio in (0.1, 0.3, 0.7):
        x = rng.normal(size=(300, 50))
        seed = _seed(rng)
        out = np.asarray(Dropout(ratio, seed=seed).forward(x.copy()), dtype=float)
        kept = out != 0
        # 15000 units: the kept fraction's standard deviation is below 0.0037, so 0.03 is
        # 8 of them (a correct layer fails with probability ~1e-15 whatever the seed)
        c.true(abs(kept.mean() - (1 - ratio)) < 0.03, f"ratio {ratio}: kept fraction near {1 - ratio}")
        c.close(out[kept], x[kept] / (1 - ratio), f"ratio {ratio}: kept units scaled by 1/(1 - ratio)")
        c.close(Dropout(ratio, seed=seed).forward(x.copy(), train_flg=False), x, f"ratio {ratio}: eval identity")
    c.close(Dropout(0.0, seed=_seed(rng)).forward(np.ones((3, 3))), np.ones((3, 3)), "ratio 0 keeps everything")


@hidden("l6_adam_step")
def hidden_adam_step(c, adam_step):
    rng = hidden_rng(65)
    for shape in ((3,), (4, 5)):
        p = rng.normal(size=shape)
        m, v = np.zeros(shape), np.zeros(shape)
        rp, rm, rv = p.copy(), m.copy(), v.copy()
        for t in range(1, 5):
            g = rng.normal(size=shape)
            rp, rm, rv = ref_optim.adam_step(rp, g, rm, rv, t, lr=0.02, beta1=0.8, beta2=0.99, eps=1e-7)
            p, m, v = adam_step(p, g, m, v, t, lr=0.02, beta1=0.8, beta2=0.99, eps=1e-7)
            c.close(p, rp, f"{shape} step {t}: param", rtol=1e-10)
            c.close(m, rm, f"{shape} step {t}: m", rtol=1e-10)
            c.close(v, rv, f"{shape} step {t}: v", rtol=1e-10)


@hidden("l6_minibatches")
def hidden_minibatches(c, minibatch_indices):
    rng = hidden_rng(69)
    for n, size in ((1, 5), (17, 5), (100, 32), (64, 64)):
        seed = _seed(rng)
        expected = [len(b) for b in ref_trainer.minibatch_indices(n, size, seed)]
        batches = [np.asarray(b) for b in minibatch_indices(n, size, seed)]
        c.equal([len(b) for b in batches], expected, f"n={n}, batch {size}: sizes")
        c.equal(sorted(np.concatenate(batches).tolist()), list(range(n)), f"n={n}: a permutation")


@hidden("l6_early_stopping")
def hidden_early_stopping(c, early_stopping):
    rng = hidden_rng(66)
    for length in (1, 4, 9):
        for patience in (1, 2, 3):
            scores = np.round(rng.random(length), 1).tolist()
            expected = ref_trainer.early_stopping(scores, patience)
            # (the name never shows the scores: students see hidden sub-checks by name)
            c.equal(early_stopping(list(scores), patience), expected,
                    f"{length} random scores, patience {patience}")


@hidden("l6_f1")
def hidden_f1(c, f1):
    rng = hidden_rng(67)
    for n, k in ((5, 3), (40, 7), (200, 41)):
        Y = (rng.random((n, k)) < 0.3).astype(int)
        P = (rng.random((n, k)) < 0.3).astype(int)
        Y[0] = 0
        P[0] = 0
        for average in ("micro", "macro", "samples"):
            expected = ref_metrics.f1(Y, P, average)
            c.close(f1(Y.copy(), P.copy(), average), expected, f"{average} F1 on {n} x {k}", rtol=1e-12)


@hidden("l6_tune_thresholds")
def hidden_tune_thresholds(c, tune_thresholds):
    rng = hidden_rng(68)
    for n, k in ((30, 3), (400, 12)):
        Y = (rng.random((n, k)) < 0.2).astype(int)
        P = np.clip(rng.random((n, k)) * 0.6 + 0.4 * Y * rng.random((n, k)), 0, 1)
        grid = np.round(np.arange(0.05, 1.0, 0.05), 2)
        ref = ref_metrics.tune_thresholds(Y, P, grid)
        mine = ref_metrics.per_genre_f1(Y, ref_metrics.apply_thresholds(P, ref))
        thr = np.asarray(tune_thresholds(Y.copy(), P.copy(), grid.copy()), dtype=float)
        theirs = ref_metrics.per_genre_f1(Y, ref_metrics.apply_thresholds(P, thr))
        c.close(theirs, mine, f"per-genre F1 reached on {n} x {k}", rtol=1e-12, atol=1e-12)
