"""Elementwise and row-wise functions shared by layers, losses and lessons.

All functions keep the input's floating dtype (float32 in, float32 out) and are stable for
arguments of any magnitude: no overflow, no nan, no warning for |x| up to 1e3 and beyond.
Results that are smaller than the smallest float simply become 0 (underflow is the right
answer there, so it is silenced locally instead of raising under ``np.errstate(all="raise")``).
"""
from __future__ import annotations

import numpy as np


def sigmoid(x):
    """Logistic function 1 / (1 + exp(-x)), elementwise.

    x: array of any shape. Returns an array of the same shape, values in [0, 1].
    Only exp(-|x|) is ever evaluated, so nothing overflows.
    """
    x = np.asarray(x)
    with np.errstate(under="ignore"):
        e = np.exp(-np.abs(x))                 # in (0, 1]: cannot overflow
        return np.where(x >= 0, 1 / (1 + e), e / (1 + e))


def log_sigmoid(x):
    """log(sigmoid(x)) = -log(1 + exp(-x)), elementwise, stable for large |x|.

    x: array of any shape. Returns an array of the same shape, values <= 0.
    For x -> -inf it tends to x (not -inf), for x -> +inf to -exp(-x) (not log(1) rounding).
    """
    x = np.asarray(x)
    with np.errstate(under="ignore"):
        return -np.logaddexp(0, -x)


def softplus(x):
    """log(1 + exp(x)) = -log_sigmoid(-x), elementwise, stable."""
    x = np.asarray(x)
    with np.errstate(under="ignore"):
        return np.logaddexp(0, x)


def softmax(x):
    """Softmax over the last axis (each row of a (N, K) matrix sums to 1).

    x: array (K,) or (N, K). Returns the same shape. The row maximum is subtracted before
    exponentiating (log-sum-exp shift), so the largest exponent is exp(0) = 1.
    """
    x = np.asarray(x)
    z = x - x.max(axis=-1, keepdims=True)
    with np.errstate(under="ignore"):
        e = np.exp(z)
    return e / e.sum(axis=-1, keepdims=True)


def log_softmax(x):
    """log(softmax(x)) over the last axis, computed as z - log(sum(exp(z))) with z shifted."""
    x = np.asarray(x)
    z = x - x.max(axis=-1, keepdims=True)
    with np.errstate(under="ignore"):
        return z - np.log(np.exp(z).sum(axis=-1, keepdims=True))
