"""Hidden checks of lesson 6: the reference layers, Adam step, batching, early stopping and
metrics on inputs the student never saw.

The reference runs first, and an input used again after the student's code saw it goes to
the student as a copy: expected values never depend on what a student function might do to
its arguments."""
from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from anime_genre import layers as ref_layers
from anime_genre import metrics as ref_metrics
from anime_genre import optim as ref_optim
from anime_genre import trainer as ref_trainer

from autograder.core import call, hidden, hidden_rng


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
        c.close(call(lambda: Affine(w, b).forward(x)), y, f"forward {label}", rtol=1e-10, atol=1e-12)
        c.close(call(_affine, Affine, w, b, x, d, 0), dx, f"backward dx {label}", rtol=1e-10, atol=1e-12)
        c.close(call(_affine, Affine, w, b, x, d, 1), dW, f"dW {label}", rtol=1e-10, atol=1e-12)
        c.close(call(_affine, Affine, w, b, x, d, 2), db, f"db {label}", rtol=1e-10, atol=1e-12)
    # sparse rows, as the training cell gives them
    rng = hidden_rng(70)
    xs = sp.random(9, 12, density=0.2, random_state=rng, format="csr")
    w, b, d = rng.normal(size=(12, 4)), rng.normal(size=4), rng.normal(size=(9, 4))
    mine = ref_layers.Affine(w.copy(), b.copy())
    y, dx = mine.forward(xs), mine.backward(d)
    c.close(call(lambda: Affine(w, b).forward(xs.copy())), y, "forward on a sparse x", rtol=1e-10, atol=1e-12)
    c.close(call(_affine, Affine, w, b, xs.copy(), d, 1), mine.grads[0], "dW on a sparse x", rtol=1e-10, atol=1e-12)


def _affine(Affine, w, b, x, d, which):
    layer = Affine(w, b)
    layer.forward(x)
    dx = layer.backward(d)
    return dx if which == 0 else layer.grads[which - 1]


@hidden("l6_relu")
def hidden_relu(c, Relu):
    rng = hidden_rng(63)
    for shape in ((1, 7), (5, 4), (20, 33)):
        x = rng.normal(size=shape)
        x[0, 0] = 0.0
        d = rng.normal(size=shape)
        mine = ref_layers.Relu()
        y, dx = mine.forward(x), mine.backward(d)
        c.close(call(lambda: Relu().forward(x)), y, f"forward {shape}")
        c.close(call(_relu_backward, Relu, x, d), dx, f"backward {shape}")


def _relu_backward(Relu, x, d):
    layer = Relu()
    layer.forward(x)
    return layer.backward(d)


@hidden("l6_dropout")
def hidden_dropout(c, Dropout):
    rng = hidden_rng(64)
    for ratio in (0.1, 0.3, 0.7):
        x = rng.normal(size=(300, 50))
        seed = _seed(rng)
        # 15000 units: the kept fraction's standard deviation is below 0.0037, so 0.03 is
        # 8 of them (a correct layer fails with probability ~1e-15 whatever the seed)
        c.true(call(lambda: abs((np.asarray(Dropout(ratio, seed=seed).forward(x.copy())) != 0).mean()
                                - (1 - ratio)) < 0.03), f"ratio {ratio}: kept fraction near {1 - ratio}")
        c.close(call(_kept_scaled, Dropout, ratio, seed, x), 0.0, f"ratio {ratio}: kept units scaled by 1/(1 - ratio)")
        c.true(call(lambda: not np.array_equal(np.asarray(Dropout(ratio, seed=seed).forward(x.copy())) != 0,
                                               np.asarray(Dropout(ratio, seed=seed + 1).forward(x.copy())) != 0)),
               f"ratio {ratio}: another seed drops other units")
        with c.properties():    # the identity passes these
            c.close(call(lambda: Dropout(ratio, seed=seed).forward(x.copy(), train_flg=False)), x,
                    f"ratio {ratio}: eval identity")
            c.true(call(lambda: np.array_equal(np.asarray(Dropout(ratio, seed=seed).forward(x.copy())),
                                               np.asarray(Dropout(ratio, seed=seed).forward(x.copy())))),
                   f"ratio {ratio}: the same seed drops the same units")
    with c.properties():
        c.close(call(lambda: Dropout(0.0, seed=_seed(rng)).forward(np.ones((3, 3)))), np.ones((3, 3)),
                "ratio 0 keeps everything")


def _kept_scaled(Dropout, ratio, seed, x):
    """max |out - x / (1 - ratio)| over the kept units (0 for a right scale)."""
    out = np.asarray(Dropout(ratio, seed=seed).forward(x.copy()), dtype=float)
    kept = out != 0
    # nothing kept at all is no dropout of 1 - ratio (< 1) of the units
    return float(np.abs(out[kept] - x[kept] / (1 - ratio)).max()) if kept.any() else float("inf")


@hidden("l6_adam_step")
def hidden_adam_step(c, adam_step):
    rng = hidden_rng(65)
    for shape in ((3,), (4, 5)):
        p = rng.normal(size=shape)
        m, v = np.zeros(shape), np.zeros(shape)
        rp, rm, rv = p.copy(), m.copy(), v.copy()
        prev = (p, m, v)
        for t in range(1, 5):
            g = rng.normal(size=shape)
            rp, rm, rv = ref_optim.adam_step(rp, g, rm, rv, t, lr=0.02, beta1=0.8, beta2=0.99, eps=1e-7)
            # from the reference's state of the step before, so that one wrong step costs one
            out = call(adam_step, prev[0], g, prev[1], prev[2], t, lr=0.02, beta1=0.8, beta2=0.99, eps=1e-7)
            # one sub-check for the three: right moments with a wrong update (plain SGD, no bias
            # correction) must not collect two thirds of the hidden points
            c.close(call(lambda: np.stack([np.asarray(a, dtype=float) for a in out()])), np.stack([rp, rm, rv]),
                    f"{shape} step {t}: param, m and v (index 0, 1, 2)", rtol=1e-10)
            prev = (rp.copy(), rm.copy(), rv.copy())


@hidden("l6_minibatches")
def hidden_minibatches(c, minibatch_indices):
    rng = hidden_rng(69)
    for n, size in ((1, 5), (17, 5), (100, 32), (64, 64)):
        seed = _seed(rng)
        expected = [len(b) for b in ref_trainer.minibatch_indices(n, size, seed)]
        c.equal(call(lambda: [len(b) for b in minibatch_indices(n, size, seed)]), expected, f"n={n}, batch {size}: sizes")
        c.equal(call(lambda: sorted(np.concatenate([np.asarray(b) for b in minibatch_indices(n, size, seed)]).tolist())),
                list(range(n)), f"n={n}: a permutation")
        if n > 10:      # (a random order of more than 10 is sorted or reversed with p < 1e-6)
            c.true(call(lambda: _order(minibatch_indices(n, size, seed)) not in (list(range(n)), list(range(n))[::-1])),
                   f"n={n}: shuffled")
            c.true(call(lambda: _order(minibatch_indices(n, size, seed)) != _order(minibatch_indices(n, size, seed + 1))),
                   f"n={n}: another seed, another order")
        with c.properties():
            c.true(call(lambda: all(np.array_equal(a, b) for a, b in zip(minibatch_indices(n, size, seed),
                                                                        minibatch_indices(n, size, seed)))),
                   f"n={n}: the same seed, the same batches")


def _order(batches) -> list:
    """Every index of an epoch's batches (a list or a generator of them) in order."""
    parts = [np.asarray(b).ravel() for b in batches]
    return np.concatenate(parts).tolist() if parts else []


@hidden("l6_early_stopping")
def hidden_early_stopping(c, early_stopping):
    rng = hidden_rng(66)
    for length in (1, 4, 9):
        for patience in (1, 2, 3):
            scores = np.round(rng.random(length), 1).tolist()
            expected = ref_trainer.early_stopping(scores, patience)
            # (the name never shows the scores: students see hidden sub-checks by name)
            with c.answer(expected[1]):
                c.equal(call(early_stopping, list(scores), patience), expected,
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
            # an F1 with epsilon smoothing (Keras: 1e-7) is right: 1e-6 relative
            c.close(call(f1, Y.copy(), P.copy(), average), expected, f"{average} F1 on {n} x {k}", rtol=1e-6, atol=1e-9)


@hidden("l6_tune_thresholds")
def hidden_tune_thresholds(c, tune_thresholds):
    rng = hidden_rng(68)
    for n, k in ((30, 3), (400, 12)):
        Y = (rng.random((n, k)) < 0.2).astype(int)
        P = np.clip(rng.random((n, k)) * 0.6 + 0.4 * Y * rng.random((n, k)), 0, 1)
        grid = np.round(np.arange(0.05, 1.0, 0.05), 2)
        Y[:, 0] = 0                      # a genre without positives keeps the default
        ref = ref_metrics.tune_thresholds(Y, P, grid, default=0.37)
        mine = ref_metrics.per_genre_f1(Y, ref_metrics.apply_thresholds(P, ref))
        c.close(call(lambda: ref_metrics.per_genre_f1(Y, ref_metrics.apply_thresholds(
            P, np.asarray(tune_thresholds(Y.copy(), P.copy(), grid.copy(), default=0.37), dtype=float)))),
            mine, f"per-genre F1 reached on {n} x {k}", rtol=1e-12, atol=1e-12)
        with c.properties():
            c.close(call(lambda: np.asarray(tune_thresholds(Y.copy(), P.copy(), grid.copy(), default=0.37))[0]),
                    0.37, f"{n} x {k}: the genre without positives keeps default")
    # scores on the grid: p >= t
    Y = (rng.random((60, 3)) < 0.3).astype(int)
    P = np.round(np.clip(rng.random((60, 3)) * 0.6 + 0.4 * Y, 0, 1) * 20) / 20
    grid = np.round(np.arange(0.05, 1.0, 0.05), 2)
    mine = ref_metrics.per_genre_f1(Y, ref_metrics.apply_thresholds(P, ref_metrics.tune_thresholds(Y, P, grid)))
    c.close(call(lambda: ref_metrics.per_genre_f1(Y, ref_metrics.apply_thresholds(
        P, np.asarray(tune_thresholds(Y.copy(), P.copy(), grid.copy()), dtype=float)))),
        mine, "per-genre F1 with scores on the grid (p >= t)", rtol=1e-12, atol=1e-12)
