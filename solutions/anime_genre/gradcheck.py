"""Gradient checking: compare backward passes with central differences, in float64.

    err = check_layer_gradients(Affine(W, b), x)      # {"x": 3e-11, "param_0": ..., ...}
    err = check_loss_gradient(FocalLoss(2.0), x, t)    # a float

Relative error as in CS231n: max |a - n| / max(1e-8, |a| + |n|). Below 1e-7 a gradient is
right; 1e-2 and more means a bug.

Precision note: a central difference of a sum of many terms carries the rounding error of
the whole sum (about 1e-16 * |L| / h), which swamps gradients that are legitimately tiny
(a confident correct logit under the focal loss has gradient 1e-12). For elementwise losses
(every loss here except softmax) ``elementwise=True`` differentiates each element's own term
l_nk / N instead, which is mathematically the same gradient without that noise.
"""
from __future__ import annotations

import numpy as np


def rel_error(x, y):
    """max |x - y| / max(1e-8, |x| + |y|), elementwise, as a float."""
    x = np.asarray(x, dtype=np.float64)
    y = np.asarray(y, dtype=np.float64)
    if x.shape != y.shape:
        raise ValueError(f"shapes differ: {x.shape} vs {y.shape}")
    if x.size == 0:
        return 0.0
    return float(np.max(np.abs(x - y) / np.maximum(1e-8, np.abs(x) + np.abs(y))))


def numerical_gradient(f, x, h=1e-5):
    """Central differences (f(x + h e_i) - f(x - h e_i)) / 2h of a scalar function.

    ``x`` is modified in place during the evaluation (so that ``f`` may read it through a
    layer that holds the same array) and restored exactly afterwards. Returns float64.
    """
    if x.dtype != np.float64:
        raise TypeError(f"gradient checks need float64 arrays, got {x.dtype}")
    grad = np.zeros_like(x)
    it = np.nditer(x, flags=["multi_index"])
    for _ in it:
        i = it.multi_index
        old = x[i]
        x[i] = old + h
        fp = float(f(x))
        x[i] = old - h
        fm = float(f(x))
        x[i] = old
        grad[i] = (fp - fm) / (2 * h)
    return grad


def check_layer_gradients(layer, x, dout=None, h=1e-5, seed=0, before_forward=None):
    """Relative errors of ``layer.backward`` for the input and every parameter.

    The scalar checked is sum(forward(x) * dout) with a fixed random ``dout``.
    ``before_forward`` (optional) is called before every forward, e.g. to reseed a dropout
    layer so that every evaluation uses the same mask. Sparse inputs are not differentiated
    (``SparseAffine`` has no input gradient); their parameters are.
    Returns {"x": err, "param_0": err, ...}.
    """
    rng = np.random.default_rng(seed)

    def run(inp):
        if before_forward is not None:
            before_forward()
        return layer.forward(inp)

    out = run(x)
    if dout is None:
        dout = rng.standard_normal(out.shape)
    dx = layer.backward(dout.copy())
    analytic = [g.copy() for g in layer.grads]
    errors = {}
    if isinstance(x, np.ndarray):
        xc = x.copy()
        errors["x"] = rel_error(dx, numerical_gradient(lambda v: np.sum(run(v) * dout), xc, h))
    for i, p in enumerate(layer.params):
        num = numerical_gradient(lambda _: np.sum(run(x) * dout), p, h)
        errors[f"param_{i}"] = rel_error(analytic[i], num)
    return errors


def check_loss_gradient(loss, x, t, h=1e-5, elementwise=False, dout=1.0):
    """Relative error of ``loss.backward(dout)`` against central differences of
    ``dout * loss.forward(x, t)``. With ``elementwise`` (losses that are a sum of
    independent per-element terms), each element is differentiated through its own term."""
    x = np.array(x, dtype=np.float64)
    t = np.asarray(t)
    loss.forward(x, t)
    analytic = loss.backward(dout)
    if not elementwise:
        num = numerical_gradient(lambda v: dout * loss.forward(v, t), x.copy(), h)
        return rel_error(analytic, num)
    x2 = x.reshape(x.shape[0] if x.ndim > 1 else 1, -1)
    t2 = np.broadcast_to(t, x.shape).reshape(x2.shape)
    n = x2.shape[0]
    num = np.zeros_like(x2)
    for i in range(x2.shape[0]):
        for j in range(x2.shape[1]):
            xi = x2[i:i + 1, j:j + 1].copy()
            ti = t2[i:i + 1, j:j + 1]
            # the term l_ij / N: forward of a 1x1 batch is l_ij, so divide by N here
            num[i, j] = numerical_gradient(lambda v: dout * loss.forward(v, ti), xi, h)[0, 0] / n
    return rel_error(analytic, num.reshape(x.shape))
