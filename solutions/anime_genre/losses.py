"""Loss layers computed from logits (the scores before sigmoid or softmax).

Every loss has ``forward(x, t) -> float`` and ``backward(dout=1.0) -> dx`` and, like the other
layers, empty ``params`` and ``grads`` lists.

Shapes: ``x`` is (N, K) logits, N examples and K genres (a 1-D ``x`` is one example);
``t`` has the same shape with 0/1 targets (``SoftmaxWithLoss`` also accepts class indices).

Reduction, the same everywhere in the project: **mean over examples, summed over genres**,

    L = (1/N) * sum_n sum_k l_nk,

so that the loss of one example does not depend on the batch size and the per-genre BCE is
the sum over genres of scikit-learn's ``log_loss`` per column. ``backward`` therefore divides
by N: forgetting it (as the original project did) multiplies the gradient by the batch size.

Stability: losses never evaluate log(sigmoid(x)) as log of a rounded probability; they use
``log_sigmoid`` (= -logaddexp(0, -x)) so logits of +-1000 give finite values and gradients.
Underflow to 0 is the correct result in these formulas and is silenced locally.
"""
from __future__ import annotations

import numpy as np

from .functions import log_sigmoid, sigmoid, softmax


class SoftmaxWithLoss:
    """Softmax over the K classes followed by cross-entropy (multi-class).

    ``t`` is either class indices (N,) or a (N, K) target matrix. Target rows are normalised
    to sum to 1: a one-hot row is unchanged, a multi-hot row becomes the uniform distribution
    over its positives (the usual way to train softmax on multi-label data), and an all-zero
    row contributes nothing (but still counts in N).

        L = -(1/N) sum_n sum_k t_nk log softmax(x_n)_k,   dL/dx = (y * sum_k t_nk - t) / N
    """

    def __init__(self):
        self.params, self.grads = [], []
        self.y = None   # softmax output (N, K)
        self.t = None   # normalised targets (N, K)

    def forward(self, x, t):
        x = np.asarray(x)
        if x.dtype.kind != "f":
            x = x.astype(np.float64)
        t = np.asarray(t)
        if t.ndim == x.ndim - 1:                     # class indices -> one-hot
            t = np.eye(x.shape[-1], dtype=x.dtype)[t]
        t = t.astype(x.dtype)
        total = t.sum(axis=-1, keepdims=True)
        t = t / np.where(total > 0, total, 1)
        z = x - x.max(axis=-1, keepdims=True)       # log-sum-exp shift: largest z is 0
        with np.errstate(under="ignore"):
            log_y = z - np.log(np.exp(z).sum(axis=-1, keepdims=True))
            self.y = np.exp(log_y)
        self.t = t
        n = x.shape[0] if x.ndim > 1 else 1
        return float(-(t * log_y).sum() / n)

    def backward(self, dout=1.0):
        n = self.y.shape[0] if self.y.ndim > 1 else 1
        return (self.y * self.t.sum(axis=-1, keepdims=True) - self.t) * (dout / n)


class SigmoidWithLoss:
    """Sigmoid per genre followed by binary cross-entropy (multi-label), from logits.

        l_nk = -[t log sigmoid(x) + (1 - t) log sigmoid(-x)],   dL/dx = (sigmoid(x) - t) / N
    """

    def __init__(self):
        self.params, self.grads = [], []
        self.y = None   # sigmoid(x), (N, K)
        self.t = None

    def forward(self, x, t):
        x = np.asarray(x)
        if x.dtype.kind != "f":
            x = x.astype(np.float64)
        t = np.asarray(t).astype(x.dtype)
        self.y = sigmoid(x)
        self.t = t
        n = x.shape[0] if x.ndim > 1 else 1
        with np.errstate(under="ignore"):
            loss = -(t * log_sigmoid(x) + (1 - t) * log_sigmoid(-x)).sum()
        return float(loss / n)

    def backward(self, dout=1.0):
        n = self.y.shape[0] if self.y.ndim > 1 else 1
        return (self.y - self.t) * (dout / n)


class WeightedSigmoidWithLoss:
    """Binary cross-entropy from logits with a weight on the positive term of each genre.

    ``pos_weight``: scalar or (K,), typically (negatives / positives) per genre, so a rare
    genre's few positives count as much as its many negatives.

        l_nk = -[w_k t log sigmoid(x) + (1 - t) log sigmoid(-x)]
        dl/dx = (1 - t) sigmoid(x) - w_k t sigmoid(-x)
    """

    def __init__(self, pos_weight=1.0):
        self.params, self.grads = [], []
        self.pos_weight = np.asarray(pos_weight, dtype=np.float64)
        self.cache = None

    def forward(self, x, t):
        x = np.asarray(x)
        if x.dtype.kind != "f":
            x = x.astype(np.float64)
        t = np.asarray(t).astype(x.dtype)
        w = self.pos_weight.astype(x.dtype)
        n = x.shape[0] if x.ndim > 1 else 1
        with np.errstate(under="ignore"):
            loss = -(w * t * log_sigmoid(x) + (1 - t) * log_sigmoid(-x)).sum()
        self.cache = (x, t, w, n)
        return float(loss / n)

    def backward(self, dout=1.0):
        x, t, w, n = self.cache
        with np.errstate(under="ignore"):
            dx = (1 - t) * sigmoid(x) - w * t * sigmoid(-x)
        return dx * (dout / n)


def alpha_weights(t, alpha=None):
    """alpha_t of the focal loss: ``alpha`` where t = 1, ``1 - alpha`` where t = 0.

    t: (N, K) 0/1 targets; alpha: None (no balancing: all ones), a scalar in [0, 1] or a (K,)
    array (one per genre). Returns a float array shaped like t (float64 unless t is float32).
    """
    t = np.asarray(t)
    dtype = t.dtype if t.dtype.kind == "f" else np.float64
    t = t.astype(dtype)
    if alpha is None:
        return np.ones_like(t)
    alpha = np.asarray(alpha, dtype=dtype)
    return alpha * t + (1 - alpha) * (1 - t)


def focal_forward(x, t, gamma=2.0, alpha=None):
    """Sigmoid focal loss from logits, mean over examples and summed over genres.

    x: (N, K) logits, t: (N, K) 0/1 targets, gamma >= 0, alpha: see ``alpha_weights``.
    Returns L = (1/N) sum_nk -alpha_t (1 - p_t)^gamma log p_t as a Python float, with
    p_t = sigmoid(s x), s = 2t - 1. Stable for any logits: log p_t = log_sigmoid(s x) and
    (1 - p_t)^gamma = exp(gamma log_sigmoid(-s x)), never 1 minus a rounded probability.
    """
    x = np.asarray(x)
    if x.dtype.kind != "f":
        x = x.astype(np.float64)
    t = np.asarray(t).astype(x.dtype)
    z = (2 * t - 1) * x                       # p_t = sigmoid(z)
    with np.errstate(under="ignore"):         # underflow to 0 is the right answer here
        log_p = log_sigmoid(z)                # log p_t
        modulator = np.exp(gamma * log_sigmoid(-z))   # (1 - p_t)^gamma, 1 when gamma = 0
        loss = -(alpha_weights(t, alpha) * modulator * log_p).sum()
    n = x.shape[0] if x.ndim > 1 else 1
    return float(loss / n)


def focal_backward(x, t, gamma=2.0, alpha=None, dout=1.0):
    """Gradient dL/dx (N, K) of ``focal_forward`` (times ``dout``).

    With z = s x, p = p_t = sigmoid(z), q = 1 - p_t = sigmoid(-z):
        dl/dz = alpha_t q^gamma (gamma p log p - q),   dl/dx = s dl/dz,   divided by N.
    No power q^(gamma - 1) appears, so gamma < 1 is safe when p_t -> 1.
    """
    x = np.asarray(x)
    if x.dtype.kind != "f":
        x = x.astype(np.float64)
    t = np.asarray(t).astype(x.dtype)
    s = 2 * t - 1
    z = s * x
    with np.errstate(under="ignore"):
        log_p = log_sigmoid(z)
        log_q = log_sigmoid(-z)
        p, q = np.exp(log_p), np.exp(log_q)
        modulator = np.exp(gamma * log_q)     # q^gamma
        dz = alpha_weights(t, alpha) * modulator * (gamma * p * log_p - q)
        n = x.shape[0] if x.ndim > 1 else 1
        return s * dz * (dout / n)


class FocalLoss:
    """Sigmoid focal loss from logits (Lin et al. 2017), for 0/1 targets, as a loss layer.

    With s = 2t - 1 (+1 for a positive, -1 for a negative), p_t = sigmoid(s x) is the
    probability given to the true answer and

        l = -alpha_t (1 - p_t)^gamma log p_t,
        alpha_t = alpha for positives, 1 - alpha for negatives (1 when ``alpha`` is None).

    Gradient (derived in lesson 5): with z = s x, dp_t/dz = p_t (1 - p_t), so

        dl/dz = alpha_t (1 - p_t)^gamma (gamma p_t log p_t - (1 - p_t)),   dl/dx = s dl/dz.

    The power (1 - p_t)^(gamma - 1) cancels out of this form, so gamma < 1 is safe when
    p_t -> 1. log p_t = log_sigmoid(z) and 1 - p_t = sigmoid(-z) are computed directly (never
    as 1 minus a rounded probability), and (1 - p_t)^gamma = exp(gamma log(1 - p_t)), which is
    1 for gamma = 0 even when 1 - p_t is 0. With gamma = 0 and alpha None this is exactly
    ``SigmoidWithLoss``. ``forward`` and ``backward`` are ``focal_forward`` and
    ``focal_backward`` on the remembered batch.

    ``alpha``: None, a scalar in [0, 1] or a (K,) array (one per genre).
    """

    def __init__(self, gamma=2.0, alpha=None):
        self.params, self.grads = [], []
        self.gamma = float(gamma)
        self.alpha = None if alpha is None else np.asarray(alpha, dtype=np.float64)
        self.x = None
        self.t = None

    def forward(self, x, t):
        """x: (N, K) logits, t: (N, K) 0/1 targets. Returns the mean loss (float)."""
        self.x, self.t = x, t
        return focal_forward(x, t, self.gamma, self.alpha)

    def backward(self, dout=1.0):
        """Returns dL/dx, shape (N, K), scaled by dout."""
        return focal_backward(self.x, self.t, self.gamma, self.alpha, dout)
