"""Visible checks of lesson 6 (training the multi-label classifier). Small literal values,
properties and numerical gradients only: this module ships to students, who do not have
``anime_genre``."""
from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from autograder.core import call, call_inspect, exercise, readonly

# Read-only, so that a function under test run in this process cannot change them for the
# checks after it.
W = readonly([[1.0, -1.0], [0.5, 2.0], [-1.5, 0.0]])
B = readonly([0.1, -0.2])
X = readonly([[1.0, 2.0, 3.0], [-1.0, 0.0, 0.5]])
DOUT = readonly([[1.0, -1.0], [0.5, 2.0]])


@exercise("l6_affine", points=3, reference="anime_genre.layers:Affine")
def check_affine(c, Affine):
    c.close(call(lambda: Affine(W, B).forward(X)), [[-2.4, 2.8], [-1.65, 0.8]], "forward: x @ W + b",
            hint="x (N, D) @ W (D, H) + b (H,): broadcasting adds b to every row")
    c.close(call(_affine_grads, Affine, W, B, X, DOUT, "dx"), [[2.0, -1.5, -1.5], [-1.5, 4.25, -0.75]],
            "backward returns dx = dout @ W.T", hint="dx has the shape of x: (N, H) @ (H, D)")
    c.close(call(_affine_grads, Affine, W, B, X, DOUT, "dW"), [[0.5, -3.0], [2.0, -2.0], [3.25, -2.0]],
            "grads[0] holds dW = x.T @ dout",
            hint="write it in place: self.grads[0][...] = self.x.T @ dout (remember x in forward)")
    c.close(call(_affine_grads, Affine, W, B, X, DOUT, "db"), [1.5, 1.0],
            "grads[1] holds db = dout summed over the examples",
            hint="b is added to every row, so its gradient sums dout over axis 0")
    # in place: the arrays of self.grads keep their identity, so also their dtype (float32 here)
    c.close(call(_affine_grads, Affine, readonly(W, np.float32), readonly(B, np.float32), X, DOUT, "dW"),
            [[0.5, -3.0], [2.0, -2.0], [3.25, -2.0]], "backward writes into the arrays of self.grads (in place), "
            "not new ones (their dtype, float32 here, stays)", dtype="float32", rtol=1e-6,
           hint="self.grads[0][...] = dW keeps the array that the optimizer collected; "
                "self.grads[0] = dW replaces it")
    # the training cell feeds TF-IDF rows: a scipy.sparse CSR x
    xs = sp.csr_matrix(np.asarray(X))
    c.close(call(lambda: Affine(W, B).forward(sp.csr_matrix(xs))), [[-2.4, 2.8], [-1.65, 0.8]],
            "forward with a sparse CSR x (as in the training cell)",
            hint="use x @ W (the @ operator works for sparse x); np.dot(x, W) does not")
    c.close(call(_affine_grads, Affine, W, B, sp.csr_matrix(xs), DOUT, "dW"),
            [[0.5, -3.0], [2.0, -2.0], [3.25, -2.0]], "dW with a sparse CSR x",
            hint="x.T @ dout works for sparse x; np.dot(x.T, dout) does not")
    rng = np.random.default_rng(60)
    # read-only: the numerical gradients below are taken at these points after the calls
    x, w, b = readonly(rng.normal(size=(4, 3))), readonly(rng.normal(size=(3, 5))), readonly(rng.normal(size=5))
    d = readonly(rng.normal(size=(4, 5)))
    # The numerical gradients are those of the true layer (sum((x @ W + b) * dout)), not of
    # the student's forward: a backward consistent with a wrong forward earns nothing here.
    c.grad_check(lambda v: _affine_objective(v, w, b, d), x,
                 call(_affine_grads, Affine, w, b, x, d, "dx"), "dx matches the numerical gradient (4 x 3 -> 5)", nonzero=True)
    c.grad_check(lambda v: _affine_objective(x, v, b, d), w,
                 call(_affine_grads, Affine, w, b, x, d, "dW"), "dW matches the numerical gradient", nonzero=True)
    c.grad_check(lambda v: _affine_objective(x, w, v, d), b,
                 call(_affine_grads, Affine, w, b, x, d, "db"), "db matches the numerical gradient", nonzero=True)


def _affine_objective(x, w, b, dout):
    """sum((x @ w + b) * dout): its gradients are what backward(dout) must return."""
    return float(np.sum((x @ w + b) * dout))


def _affine_grads(Affine, w, b, x, dout, which):
    """dx, dW, db or the grads list of a fresh layer after forward(x) and backward(dout)."""
    layer = Affine(w, b)
    layer.forward(x)
    dx = layer.backward(dout)
    if which == "dx":
        return dx
    grads = layer.grads
    return {"dW": lambda: grads[0], "db": lambda: grads[1], "grads": lambda: grads}[which]()


@exercise("l6_relu", points=2, reference="anime_genre.layers:Relu")
def check_relu(c, Relu):
    x = [[-2.0, 0.5, 0.0], [3.0, -0.1, 1.0]]
    dout = [[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]]
    # call_inspect: the arguments' state after each call (the judge passes copies to the
    # student's code and copies nothing back, so our own arrays could not show a change)
    c.close(call(lambda: Relu().forward(np.array(x))), [[0.0, 0.5, 0.0], [3.0, 0.0, 1.0]], "forward: max(0, x)")
    c.close(call(_relu_run, Relu, x, dout, "dx"), [[0.0, 2.0, 0.0], [4.0, 0.0, 6.0]],
            "backward passes dout where x > 0, 0 elsewhere (also at x = 0)",
            hint="remember the mask x > 0 in forward")
    with c.properties():
        c.close(call(_relu_run, Relu, x, dout, "dout_after"), dout, "backward does not modify dout",
                hint="dout[mask] = 0 changes the caller's array: return dout * mask or a copy")
        c.close(call(_relu_run, Relu, x, dout, "x_after"), x, "forward does not modify x",
                hint="np.maximum(x, 0) makes a new array")


def _relu_run(Relu, x, dout, what):
    layer = Relu()
    _, (x_after,), _ = call_inspect(layer.forward, np.array(x))
    dx, (dout_after,), _ = call_inspect(layer.backward, np.array(dout))
    return {"dx": dx, "dout_after": dout_after, "x_after": x_after}[what]


def _values_and_kept(out, values):
    """Both values, dropped and kept-and-scaled, occur (20,000 units), and no other."""
    out = np.asarray(out, dtype=float)
    found = set(np.unique(np.round(out, 12)).tolist())
    return found == values, f"got values {sorted(found)[:6]}"


@exercise("l6_dropout", points=3, reference="anime_genre.layers:Dropout")
def check_dropout(c, Dropout):
    x = readonly(np.ones((200, 100)))   # read-only: also the expected output in evaluation mode
    c.true(call(lambda: _values_and_kept(Dropout(0.5, seed=0).forward(x), {0.0, 2.0})),
           "ratio 0.5: every output is 0 or x / (1 - 0.5)",
           hint="inverted dropout scales the kept units by 1 / (1 - ratio)")
    c.true(call(lambda: _fraction(Dropout(0.5, seed=0).forward(x), 0.45, 0.55)), "about half of the units are kept",
           hint="keep a unit when a uniform draw is >= ratio")
    with c.properties():    # the identity passes these
        c.close(call(_dropout_backward, Dropout, x), 0.0, "backward uses the same mask and scale",
                hint="remember the mask (with its scale) in forward; backward multiplies dout by it")
        c.close(call(lambda: Dropout(0.5, seed=0).forward(x, train_flg=False)), x,
                "forward(x, train_flg=False) is the identity", hint="in evaluation mode nothing is dropped or rescaled")
        c.close(call(_eval_mode_attr, Dropout, x), np.concatenate([x, np.full((200, 100), 3.0)]),
                "with self.train_flg = False: forward is the identity and backward returns dout",
                hint="the mode is self.train_flg unless forward's train_flg is given")
    c.true(call(lambda: _values_and_kept(Dropout(0.2, seed=1).forward(x), {0.0, 1.25})),
           "ratio 0.2: kept units scaled by 1.25", hint="scale = 1 / (1 - ratio)")
    c.true(call(lambda: _fraction(Dropout(0.2, seed=1).forward(x), 0.75, 0.85)), "ratio 0.2: about 80% kept",
           hint="keep a unit when a uniform draw is >= ratio")
    with c.properties():
        c.close(call(lambda: Dropout(0.5, seed=3).forward(x).mean()), 1.0, "the expected output equals the input",
                rtol=0.05, hint="that is why the kept units are scaled up")
    c.true(call(lambda: _same(Dropout(0.5, seed=7).forward(x), Dropout(0.5, seed=7).forward(x), True)),
           "two layers with the same seed drop the same units",
           hint="draw from the layer's own generator self.rng = np.random.default_rng(seed), not np.random")
    c.true(call(lambda: _same(Dropout(0.5, seed=7).forward(x), Dropout(0.5, seed=8).forward(x), False)),
           "another seed drops other units", hint="self.rng.random(x.shape) >= self.ratio")
    c.true(call(_two_calls, Dropout, x), "each forward draws a new mask (the generator goes on)",
           hint="draw from self.rng at every call; do not re-create the generator in forward")


def _fraction(out, low, high):
    kept = float((np.asarray(out, dtype=float) != 0).mean())
    return low < kept < high, f"kept fraction {kept:.3f}"


def _same(a, b, expected):
    """(ok, message): whether two outputs of ratio-0.5 dropout have equal masks, as expected
    (masks that keep everything or nothing do not count as a dropout mask)."""
    ka, kb = np.asarray(a) != 0, np.asarray(b) != 0
    if not (0.3 < ka.mean() < 0.7 and 0.3 < kb.mean() < 0.7):
        return False, f"kept fractions {ka.mean():.3f} and {kb.mean():.3f}, not about half"
    same = bool(np.array_equal(ka, kb))
    return same == expected, "the masks are " + ("equal" if same else "different")


def _two_calls(Dropout, x):
    layer = Dropout(0.5, seed=11)
    return _same(layer.forward(x), layer.forward(x), False)


def _dropout_backward(Dropout, x):
    """max |backward(3) - 3 * forward| of one layer (0 when backward uses forward's mask)."""
    layer = Dropout(0.5, seed=0)
    out = np.asarray(layer.forward(x), dtype=float)
    return float(np.abs(np.asarray(layer.backward(np.full((200, 100), 3.0)), dtype=float) - 3.0 * out).max())


def _eval_mode_attr(Dropout, x):
    layer = Dropout(0.5, seed=0)
    layer.train_flg = False
    y = layer.forward(x)
    return np.concatenate([np.asarray(y, dtype=float), np.asarray(layer.backward(np.full((200, 100), 3.0)))])


@exercise("l6_adam_step", points=3, reference="anime_genre.optim:adam_step")
def check_adam_step(c, adam_step):
    p = readonly([[1.0, 2.0], [3.0, 4.0]])
    g = readonly([[0.5, -3.0], [1e-3, 0.0]])
    m0 = readonly(np.zeros((2, 2)))
    v0 = readonly(np.zeros((2, 2)))    # not m0: a function that mixes up m and v must show it
    c.true(call(lambda: _triple(adam_step(p, g, m0, v0, 1, lr=0.01))), "returns (param, m, v)",
           hint="return new_param, new_m, new_v")
    c.close(call(lambda: adam_step(p, g, m0, v0, 1, lr=0.01)[1]), 0.1 * g, "first moment m = 0.9 * 0 + 0.1 g",
            hint="m = beta1 m + (1 - beta1) g")
    c.close(call(lambda: adam_step(p, g, m0, v0, 1, lr=0.01)[2]), 0.001 * g ** 2, "second moment v = 0.001 g^2",
            rtol=1e-9, atol=1e-20, hint="v = beta2 v + (1 - beta2) g^2")
    p1 = [[0.9900000002, 2.0099999999666665], [2.990000099999, 4.0]]
    c.close(call(lambda: adam_step(p, g, m0, v0, 1, lr=0.01)[0]), p1,
            "first step: about lr * sign(g) thanks to the bias correction", rtol=1e-10,
            hint="m_hat = m / (1 - beta1^t), v_hat = v / (1 - beta2^t), step lr m_hat / (sqrt(v_hat) + eps)")
    g2 = readonly([[1.0, 1.0], [-1.0, 2.0]])
    m1, v1 = readonly(0.1 * np.asarray(g)), readonly(0.001 * np.asarray(g) ** 2)
    c.close(call(lambda: adam_step(readonly(p1), g2, m1, v1, 2, lr=0.01)[0]),
            [[0.9803481800638509, 2.014002185668309], [2.9974347671845267, 3.9925586318169355]],
            "second step (t = 2, from the exact m and v of step 1)", rtol=1e-10,
            hint="t is the step number: 1 on the first call, 2 on the second")
    c.close(call(lambda: adam_step(p, g, m0, v0, 1, lr=0.1, beta1=0.5, beta2=0.9, eps=1e-3)[0]),
            [[0.9001996007984032, 2.0999666777740753], [2.95, 4.0]],
            "other lr, beta1, beta2 and eps are used", rtol=1e-10,
            hint="use the arguments, not the default values")
    c.close(call(lambda: call_inspect(adam_step, p, g, readonly(0.1 * np.asarray(g)), readonly(np.full((2, 2), 0.5)),
                                      3, lr=0.01)[1][:4]),
            [p, g, 0.1 * np.asarray(g), np.full((2, 2), 0.5)],
            "the arguments passed in (param, grad, m, v) are not modified",
            hint="return new arrays (param - ..., beta1 * m + ...), do not use -= or *= on an argument")


def _triple(out):
    return isinstance(out, (tuple, list)) and len(out) == 3, f"got {type(out).__name__}"


@exercise("l6_minibatches", points=2, reference="anime_genre.trainer:minibatch_indices")
def check_minibatches(c, minibatch_indices):
    def batches(n, size, seed):
        return [np.asarray(b) for b in minibatch_indices(n, size, seed)]

    c.equal(call(lambda: [len(b) for b in batches(10, 4, 3)]), [4, 4, 2], "10 examples in batches of 4: sizes 4, 4, 2")
    c.equal(call(lambda: sorted(np.concatenate(batches(10, 4, 3)).tolist())), list(range(10)),
            "every example exactly once per epoch", hint="cut a permutation of 0..n-1 into pieces")
    c.close(call(lambda: np.sort(np.concatenate(batches(10, 4, 3)))), np.arange(10), "int index arrays",
            dtype="integer", hint="rng.permutation(n) gives int64")
    with c.properties():
        c.true(call(lambda: _equal_batches(batches(10, 4, 3), batches(10, 4, 3))),
               "the same seed gives the same batches", hint="use np.random.default_rng(seed)")
    c.true(call(lambda: not np.array_equal(np.concatenate(batches(50, 50, 4)), np.arange(50))),
           "the order is shuffled", hint="permute the indices before cutting them into batches")
    c.true(call(lambda: not np.array_equal(np.concatenate(batches(50, 50, 4)), np.concatenate(batches(50, 50, 5)))),
           "another seed gives another order", hint="np.random.default_rng(seed), with the seed given")
    c.equal(call(lambda: [len(b) for b in batches(8, 4, 0)]), [4, 4], "n a multiple of the batch size: no empty batch")


def _equal_batches(a, b):
    return len(a) == len(b) > 0 and all(np.array_equal(x, y) for x, y in zip(a, b))


@exercise("l6_early_stopping", points=2, reference="anime_genre.trainer:early_stopping")
def check_early_stopping(c, early_stopping):
    # (a function that never stops, or always stops, earns nothing: see Checker.answer)
    with c.answer(False):
        c.equal(call(early_stopping, [0.5, 0.6, 0.55], 2), (1, False),
                "best at epoch 1, one epoch without progress, patience 2")
        c.equal(call(early_stopping, [0.1, 0.2, 0.3], 1), (2, False), "still improving: do not stop")
        c.equal(call(early_stopping, [], 3), (None, False), "no epoch yet: (None, False)")
    with c.answer(True):
        c.equal(call(early_stopping, [0.5, 0.6, 0.55, 0.58], 2), (1, True), "two epochs without progress: stop")
        c.equal(call(early_stopping, [0.5, 0.6, 0.55, 0.6], 2), (1, True),
                "a tie is not an improvement (first best counts)", hint="np.argmax returns the first maximum")
        c.equal(call(early_stopping, [0.5, 0.4, 0.3, 0.2], 2), (0, True), "more than patience epochs after the best: stop")
    c.equal(call(early_stopping, [0.5, 0.6, 0.55], 2), (1, False), "a tuple of a Python int and a bool",
            types=True, hint="return int(best), bool(stop)")


YT = readonly([[1, 0, 1], [0, 1, 0], [1, 1, 0], [0, 0, 0]])
YP = readonly([[1, 0, 0], [0, 1, 1], [1, 0, 0], [0, 0, 1]])


@exercise("l6_f1", points=3, reference="anime_genre.metrics:f1")
def check_f1(c, f1):
    c.close(call(f1, YT, YP, "micro"), 0.6, "micro F1: 2 TP / (#predicted + #true) over all decisions",
            hint="TP = 3, predicted = 5, true = 5")
    c.close(call(f1, YT, YP, "macro"), 0.5555555555555556, "macro F1: mean of the per-genre F1 (1, 2/3, 0)",
            hint="compute TP, predicted and true per column (axis=0)")
    c.close(call(f1, YT, YP, "samples"), 0.5, "samples F1: mean of the per-show F1 (2/3, 2/3, 2/3, 0)",
            hint="per row (axis=1); a show with no true and one predicted genre has F1 0")
    with c.properties():
        c.close(call(f1, np.zeros((3, 2)), np.zeros((3, 2)), "macro"), 0.0,
                "nothing true, nothing predicted: 0 (no nan)",
                hint="0/0 counts as 0: divide only where the denominator is positive")
    c.close(call(f1, YT, YT, "micro"), 1.0, "perfect predictions: 1")
    c.close(call(f1, YT.astype(bool), YP.astype(bool), "macro"), 0.5555555555555556, "bool arrays",
            hint="count with .sum() of (Y & Yhat), not Y * Yhat - 1")
    c.close(call(f1, YT, YP, "micro"), 0.6, "returns a Python float", kind=float, hint="float(score)",
            about_type=True)


def _best_f1(y, p, grid):
    best = 0.0
    for t in grid:
        pred = p >= t
        tp = float((pred & y).sum())
        den = float(pred.sum() + y.sum())
        best = max(best, 2 * tp / den if den else 0.0)
    return best


@exercise("l6_tune_thresholds", points=3, reference="anime_genre.metrics:tune_thresholds")
def check_tune_thresholds(c, tune_thresholds):
    Y = np.array([[1, 0], [1, 0], [0, 1], [0, 0], [0, 1]])
    P = np.array([[0.9, 0.2], [0.35, 0.1], [0.3, 0.55], [0.1, 0.35], [0.2, 0.6]])
    grid = np.array([0.1, 0.3, 0.5, 0.7])
    with c.properties():    # thresholds all at the default have these
        c.equal(call(lambda: list(np.shape(tune_thresholds(Y, P, grid)))), [2], "one threshold per genre")
    c.close(call(tune_thresholds, Y, P, grid), [0.3, 0.5], "thresholds on a 5-show example",
            hint="genre 0: t = 0.3 predicts 3 shows, 2 right (F1 0.8), t = 0.5 gives 0.667; genre 1: t = 0.5 is perfect")
    # scores equal to grid values: a genre is predicted when p >= t
    Yg = np.array([[1], [1], [0], [0]])
    Pg = np.array([[0.5], [0.5], [0.3], [0.1]])
    c.close(call(tune_thresholds, Yg, Pg, np.array([0.3, 0.5, 0.7])), [0.5],
            "a score equal to a threshold counts as predicted (p >= t)",
            hint="predict when P >= t, not P > t: here t = 0.5 is perfect")
    Yd = np.array([[1, 0], [0, 0], [1, 0]])
    Pd = np.array([[0.8, 0.9], [0.4, 0.6], [0.7, 0.1]])
    c.close(call(tune_thresholds, Yd, Pd, np.array([0.25, 0.5, 0.75]), default=0.42), [0.5, 0.42],
            "a genre without positive examples keeps `default`",
            hint="check Y[:, k].sum() == 0 and leave thresholds[k] = default")
    with c.properties():
        c.close(call(lambda: tune_thresholds(Yd, Pd, np.array([0.25, 0.5, 0.75]))[1]), 0.5, "default=0.5 by default")
    c.close(call(tune_thresholds, np.array([[1], [1], [0], [0]]), np.array([[0.357], [0.353], [0.344], [0.1]])),
            [0.35], "grid=None: thresholds 0.01, 0.02, ..., 0.99 (only 0.35 is perfect here)",
            hint="np.round(np.arange(0.01, 1.0, 0.01), 2)")
    rng = np.random.default_rng(61)
    Y = rng.random((120, 4)) < 0.25
    P = np.clip(rng.random((120, 4)) * 0.7 + 0.3 * Y, 0, 1)
    grid = np.round(np.arange(0.05, 1.0, 0.05), 2)
    for j in range(4):   # the best F1 from our own P and Y (the student's code had copies)
        c.close(call(lambda j=j: _f1_at(Y[:, j], P[:, j], np.asarray(tune_thresholds(Y.astype(int), P.copy(),
                                                                                       grid.copy()))[j])),
                _best_f1(Y[:, j], P[:, j], grid),
                f"genre {j}: the chosen threshold reaches the best F1 on the grid",
                hint="for each genre, compute F1 at every threshold and keep the best")


def _f1_at(y, p, t):
    pred = p >= float(t)
    tp, den = float((pred & y).sum()), float(pred.sum() + y.sum())
    return 2 * tp / den if den else 0.0
