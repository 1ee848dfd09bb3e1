"""Visible checks of lesson 6 (training the multi-label classifier). Small literal values,
properties and numerical gradients only: this module ships to students, who do not have
``anime_genre``."""
from __future__ import annotations

import numpy as np

from autograder.core import call_inspect, exercise, readonly

# Read-only, so that a function under test run in this process cannot change them for the
# checks after it.
W = readonly([[1.0, -1.0], [0.5, 2.0], [-1.5, 0.0]])
B = readonly([0.1, -0.2])
X = readonly([[1.0, 2.0, 3.0], [-1.0, 0.0, 0.5]])
DOUT = readonly([[1.0, -1.0], [0.5, 2.0]])


@exercise("l6_affine", points=3, reference="anime_genre.layers:Affine")
def check_affine(c, Affine):
    layer = Affine(W, B)
    c.close(layer.forward(X), [[-2.4, 2.8], [-1.65, 0.8]], "forward: x @ W + b",
            hint="x (N, D) @ W (D, H) + b (H,): broadcasting adds b to every row")
    c.close(layer.backward(DOUT), [[2.0, -1.5, -1.5], [-1.5, 4.25, -0.75]], "backward returns dx = dout @ W.T",
            hint="dx has the shape of x: (N, H) @ (H, D)")
    grads = layer.grads
    c.close(grads[0], [[0.5, -3.0], [2.0, -2.0], [3.25, -2.0]], "grads[0] holds dW = x.T @ dout",
            hint="write it in place: self.grads[0][...] = self.x.T @ dout (remember x in forward)")
    c.close(grads[1], [1.5, 1.0], "grads[1] holds db = dout summed over the examples",
            hint="b is added to every row, so its gradient sums dout over axis 0")
    rng = np.random.default_rng(60)
    # read-only: the numerical gradients below are taken at these points after the calls
    x, w, b = readonly(rng.normal(size=(4, 3))), readonly(rng.normal(size=(3, 5))), readonly(rng.normal(size=5))
    d = readonly(rng.normal(size=(4, 5)))
    layer = Affine(w, b)
    layer.forward(x)
    dx = layer.backward(d)
    g = layer.grads
    c.grad_check(lambda v: float(np.sum(Affine(w, b).forward(v) * d)), x, dx,
                 "dx matches the numerical gradient (4 x 3 -> 5)")
    c.grad_check(lambda v: float(np.sum(Affine(v, b).forward(x) * d)), w, g[0],
                 "dW matches the numerical gradient")
    c.grad_check(lambda v: float(np.sum(Affine(w, v).forward(x) * d)), b, g[1],
                 "db matches the numerical gradient")


@exercise("l6_relu", points=2, reference="anime_genre.layers:Relu")
def check_relu(c, Relu):
    x = [[-2.0, 0.5, 0.0], [3.0, -0.1, 1.0]]
    dout = [[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]]
    layer = Relu()
    # call_inspect: the arguments' state after each call (the judge passes copies to the
    # student's code and copies nothing back, so our own arrays could not show a change)
    out, (x_after,), _ = call_inspect(layer.forward, np.array(x))
    c.close(out, [[0.0, 0.5, 0.0], [3.0, 0.0, 1.0]], "forward: max(0, x)")
    dx, (dout_after,), _ = call_inspect(layer.backward, np.array(dout))
    c.close(dx, [[0.0, 2.0, 0.0], [4.0, 0.0, 6.0]],
            "backward passes dout where x > 0, 0 elsewhere (also at x = 0)",
            hint="remember the mask x > 0 in forward")
    c.close(dout_after, dout, "backward does not modify dout",
            hint="dout[mask] = 0 changes the caller's array: return dout * mask or a copy")
    c.close(x_after, x, "forward does not modify x",
            hint="np.maximum(x, 0) makes a new array")


@exercise("l6_dropout", points=3, reference="anime_genre.layers:Dropout")
def check_dropout(c, Dropout):
    x = readonly(np.ones((200, 100)))   # read-only: also the expected output in evaluation mode
    layer = Dropout(0.5, seed=0)
    out = np.asarray(layer.forward(x), dtype=float)
    values = set(np.unique(np.round(out, 12)).tolist())
    c.true(values <= {0.0, 2.0}, "ratio 0.5: every output is 0 or x / (1 - 0.5)",
           message=f"got values {sorted(values)[:6]}.", hint="inverted dropout scales the kept units by 1 / (1 - ratio)")
    kept = float((out != 0).mean())
    c.true(0.45 < kept < 0.55, "about half of the units are kept",
           message=f"kept fraction {kept:.3f}.", hint="keep a unit when a uniform draw is >= ratio")
    c.close(layer.backward(np.full((200, 100), 3.0)), 3.0 * out, "backward uses the same mask and scale",
            hint="remember the mask (with its scale) in forward; backward multiplies dout by it")
    c.close(Dropout(0.5, seed=0).forward(x, train_flg=False), x, "forward(x, train_flg=False) is the identity",
            hint="in evaluation mode nothing is dropped or rescaled")
    out2 = np.asarray(Dropout(0.2, seed=1).forward(x), dtype=float)
    c.true(set(np.unique(np.round(out2, 12)).tolist()) <= {0.0, 1.25} and 0.75 < (out2 != 0).mean() < 0.85,
           "ratio 0.2: about 80% kept, scaled by 1.25", hint="scale = 1 / (1 - ratio)")
    c.close(Dropout(0.5, seed=3).forward(x).mean(), 1.0, "the expected output equals the input",
            rtol=0.05, hint="that is why the kept units are scaled up")


@exercise("l6_adam_step", points=3, reference="anime_genre.optim:adam_step")
def check_adam_step(c, adam_step):
    p = readonly([[1.0, 2.0], [3.0, 4.0]])
    g = readonly([[0.5, -3.0], [1e-3, 0.0]])
    zero = readonly(np.zeros((2, 2)))
    # call_inspect: the arguments' state after the call, for the last sub-check
    out, after, _ = call_inspect(adam_step, p, g, zero, zero, 1, lr=0.01)
    c.true(isinstance(out, (tuple, list)) and len(out) == 3, "returns (param, m, v)", fatal=True)
    p1, m1, v1 = out
    c.close(m1, 0.1 * g, "first moment m = 0.9 * 0 + 0.1 g", hint="m = beta1 m + (1 - beta1) g")
    c.close(v1, 0.001 * g ** 2, "second moment v = 0.001 g^2", rtol=1e-9, atol=1e-20,
            hint="v = beta2 v + (1 - beta2) g^2")
    c.close(p1, [[0.9900000002, 2.0099999999666665], [2.990000099999, 4.0]],
            "first step: about lr * sign(g) thanks to the bias correction", rtol=1e-10,
            hint="m_hat = m / (1 - beta1^t), v_hat = v / (1 - beta2^t), step lr m_hat / (sqrt(v_hat) + eps)")
    p2, _, _ = adam_step(p1, np.array([[1.0, 1.0], [-1.0, 2.0]]), m1, v1, 2, lr=0.01)
    c.close(p2, [[0.9803481800638509, 2.014002185668309], [2.9974347671845267, 3.9925586318169355]],
            "second step (t = 2)", rtol=1e-10, hint="t is the step number: 1 on the first call, 2 on the second")
    c.close(after[:4], [p, g, zero, zero], "the arguments passed in (param, grad, m, v) are not modified",
            hint="return new arrays (param - ..., beta1 * m + ...), do not use -= or *= on an argument")


@exercise("l6_minibatches", points=2, reference="anime_genre.trainer:minibatch_indices")
def check_minibatches(c, minibatch_indices):
    batches = [np.asarray(b) for b in minibatch_indices(10, 4, 3)]
    c.equal([len(b) for b in batches], [4, 4, 2], "10 examples in batches of 4: sizes 4, 4, 2")
    c.equal(sorted(np.concatenate(batches).tolist()) if batches else [], list(range(10)),
            "every example exactly once per epoch", hint="cut a permutation of 0..n-1 into pieces")
    again = [np.asarray(b) for b in minibatch_indices(10, 4, 3)]
    c.true(len(again) == len(batches) and all(np.array_equal(a, b) for a, b in zip(again, batches)),
           "the same seed gives the same batches", hint="use np.random.default_rng(seed)")
    big = np.concatenate([np.asarray(b) for b in minibatch_indices(50, 50, 4)])
    other = np.concatenate([np.asarray(b) for b in minibatch_indices(50, 50, 5)])
    c.true(not np.array_equal(big, np.arange(50)), "the order is shuffled",
           hint="permute the indices before cutting them into batches")
    c.true(not np.array_equal(big, other), "another seed gives another order")


@exercise("l6_early_stopping", points=2, reference="anime_genre.trainer:early_stopping")
def check_early_stopping(c, early_stopping):
    c.equal(early_stopping([0.5, 0.6, 0.55], 2), (1, False), "best at epoch 1, one epoch without progress, patience 2")
    c.equal(early_stopping([0.5, 0.6, 0.55, 0.58], 2), (1, True), "two epochs without progress: stop")
    c.equal(early_stopping([0.5, 0.6, 0.55, 0.6], 2), (1, True), "a tie is not an improvement (first best counts)",
            hint="np.argmax returns the first maximum")
    c.equal(early_stopping([0.1, 0.2, 0.3], 1), (2, False), "still improving: do not stop")
    c.equal(early_stopping([], 3), (None, False), "no epoch yet: (None, False)")


YT = readonly([[1, 0, 1], [0, 1, 0], [1, 1, 0], [0, 0, 0]])
YP = readonly([[1, 0, 0], [0, 1, 1], [1, 0, 0], [0, 0, 1]])


@exercise("l6_f1", points=3, reference="anime_genre.metrics:f1")
def check_f1(c, f1):
    c.close(f1(YT, YP, "micro"), 0.6, "micro F1: 2 TP / (#predicted + #true) over all decisions",
            hint="TP = 3, predicted = 5, true = 5")
    c.close(f1(YT, YP, "macro"), 0.5555555555555556, "macro F1: mean of the per-genre F1 (1, 2/3, 0)",
            hint="compute TP, predicted and true per column (axis=0)")
    c.close(f1(YT, YP, "samples"), 0.5, "samples F1: mean of the per-show F1 (2/3, 2/3, 2/3, 0)",
            hint="per row (axis=1); a show with no true and one predicted genre has F1 0")
    c.close(f1(np.zeros((3, 2)), np.zeros((3, 2)), "macro"), 0.0, "nothing true, nothing predicted: 0 (no nan)",
            hint="0/0 counts as 0: divide only where the denominator is positive")
    c.close(f1(YT, YT, "micro"), 1.0, "perfect predictions: 1")


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
    thr = np.asarray(tune_thresholds(Y, P, grid), dtype=float)
    c.equal(list(thr.shape), [2], "one threshold per genre", fatal=True)
    c.close(thr, [0.3, 0.5], "thresholds on a 5-show example",
            hint="genre 0: t = 0.3 predicts 3 shows, 2 right (F1 0.8), t = 0.5 gives 0.667; genre 1: t = 0.5 is perfect")
    rng = np.random.default_rng(61)
    Y = rng.random((120, 4)) < 0.25
    P = np.clip(rng.random((120, 4)) * 0.7 + 0.3 * Y, 0, 1)
    grid = np.round(np.arange(0.05, 1.0, 0.05), 2)
    thr = np.asarray(tune_thresholds(Y.astype(int), P.copy(), grid.copy()), dtype=float)
    for j in range(4):   # the best F1 from our own P and Y (the student's code had copies)
        pred = P[:, j] >= thr[j]
        tp, den = float((pred & Y[:, j]).sum()), float(pred.sum() + Y[:, j].sum())
        c.close(2 * tp / den if den else 0.0, _best_f1(Y[:, j], P[:, j], grid),
                f"genre {j}: the chosen threshold reaches the best F1 on the grid",
                hint="for each genre, compute F1 at every threshold and keep the best")
