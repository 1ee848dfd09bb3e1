"""Optimizers: ``update(params, grads)`` changes the parameter arrays in place.

``params`` and ``grads`` are the lists gathered once by a model (same order, same shapes);
the optimizer keeps its state (velocities, moments) per position in that list.

Weight decay is **decoupled** (Loshchilov & Hutter, "AdamW"): every step shrinks a weight by
``lr * weight_decay * W`` besides the gradient step, instead of adding ``weight_decay * W`` to
the gradient. For plain SGD both are the same thing; for Adam the decoupled form decays all
weights at the same rate, whatever their gradient history. Decay applies to weight matrices
(arrays with 2 or more dimensions), not to biases.

Sparse rows: ``update(params, grads, rows=...)`` accepts, per parameter, ``None`` (dense) or
an index array of the rows whose gradient may be non-zero (``SparseAffine.grad_rows``). Only
those rows are then updated: exact for SGD without decay, and for Momentum and Adam the
"lazy" variant (as TensorFlow's LazyAdam / PyTorch's SparseAdam) in which a row's moments and
decay only advance when its word occurs in the batch. This is what makes a 30000-word
bag-of-words layer cheap to train: a batch touches a few thousand rows, not all of them.
"""
from __future__ import annotations

import numpy as np


def adam_step(param, grad, m, v, t, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8):
    """One Adam step in its textbook form, returning new arrays (lesson 6).

    param, grad, m, v: arrays of one shape; t: the step number, starting at 1.
    Returns (new_param, new_m, new_v). ``Adam`` below computes the same thing in place.
    """
    m = beta1 * m + (1 - beta1) * grad
    v = beta2 * v + (1 - beta2) * grad ** 2
    m_hat = m / (1 - beta1 ** t)          # bias correction: m and v start at 0
    v_hat = v / (1 - beta2 ** t)
    return param - lr * m_hat / (np.sqrt(v_hat) + eps), m, v


class _Optimizer:
    def __init__(self, lr, weight_decay=0.0):
        if lr <= 0:
            raise ValueError(f"learning rate must be positive, got {lr}")
        if weight_decay < 0:
            raise ValueError(f"weight_decay must be >= 0, got {weight_decay}")
        self.lr = float(lr)
        self.weight_decay = float(weight_decay)
        self.state = None   # one list of state arrays per parameter
        # Reused work arrays, so that a step allocates nothing: fresh large temporaries
        # cost page faults that, measured, tripled the time of a lazy Adam step.
        self._scratch = {}

    def _init_state(self, params):
        return [[] for _ in params]

    def _buffer(self, key, shape, dtype):
        buf = self._scratch.get(key)
        if buf is None or buf.shape[0] < shape[0] or buf.shape[1:] != shape[1:] or buf.dtype != dtype:
            buf = np.empty((max(shape[0], 1),) + tuple(shape[1:]), dtype=dtype)
            self._scratch[key] = buf
        return buf[:shape[0]]

    def update(self, params, grads, rows=None):
        """Update each array of ``params`` in place from the matching array of ``grads``."""
        if self.state is None:
            self.state = self._init_state(params)
        self._begin_step()
        for i, (p, g) in enumerate(zip(params, grads)):
            r = None if rows is None else rows[i]
            if r is None or p.ndim == 0:
                self._step(p, g, self.state[i], self._buffer((i, "tmp"), p.shape, p.dtype))
                continue
            # Gather the touched rows into work arrays, step them, write them back.
            shape = (len(r),) + p.shape[1:]
            pr = np.take(p, r, axis=0, out=self._buffer((i, "p"), shape, p.dtype))
            gr = np.take(g, r, axis=0, out=self._buffer((i, "g"), shape, g.dtype))
            sr = [np.take(s, r, axis=0, out=self._buffer((i, j), shape, s.dtype))
                  for j, s in enumerate(self.state[i])]
            self._step(pr, gr, sr, self._buffer((i, "tmp"), shape, p.dtype))
            p[r] = pr
            for s, s_r in zip(self.state[i], sr):
                s[r] = s_r

    def _begin_step(self):
        pass

    def _decay(self, p):
        if self.weight_decay and p.ndim >= 2:
            p *= 1 - self.lr * self.weight_decay

    def _step(self, p, g, state, tmp):  # pragma: no cover - abstract
        """Update ``p`` and its ``state`` arrays in place; ``tmp`` is a work array like p."""
        raise NotImplementedError


class SGD(_Optimizer):
    """W <- W - lr * dW  (and W <- W (1 - lr * weight_decay))."""

    def __init__(self, lr=0.01, weight_decay=0.0):
        super().__init__(lr, weight_decay)

    def _step(self, p, g, state, tmp):
        self._decay(p)
        np.multiply(g, self.lr, out=tmp)
        p -= tmp


class Momentum(_Optimizer):
    """v <- momentum v - lr dW;  W <- W + v."""

    def __init__(self, lr=0.01, momentum=0.9, weight_decay=0.0):
        super().__init__(lr, weight_decay)
        self.momentum = float(momentum)

    def _init_state(self, params):
        return [[np.zeros_like(p)] for p in params]

    def _step(self, p, g, state, tmp):
        (v,) = state
        v *= self.momentum
        np.multiply(g, self.lr, out=tmp)
        v -= tmp
        self._decay(p)
        p += v


class Adam(_Optimizer):
    """Adam (Kingma & Ba 2015) with bias correction, step t = 1, 2, ...:

        m <- beta1 m + (1 - beta1) g,        v <- beta2 v + (1 - beta2) g^2
        m_hat = m / (1 - beta1^t),           v_hat = v / (1 - beta2^t)
        W <- W - lr m_hat / (sqrt(v_hat) + eps)
    """

    def __init__(self, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8, weight_decay=0.0):
        super().__init__(lr, weight_decay)
        self.beta1, self.beta2, self.eps = float(beta1), float(beta2), float(eps)
        self.t = 0

    def _init_state(self, params):
        return [[np.zeros_like(p), np.zeros_like(p)] for p in params]

    def _begin_step(self):
        self.t += 1

    def _step(self, p, g, state, tmp):
        m, v = state
        b1, b2 = self.beta1, self.beta2
        m *= b1
        np.multiply(g, 1 - b1, out=tmp)
        m += tmp
        v *= b2
        np.multiply(g, g, out=tmp)
        tmp *= 1 - b2
        v += tmp
        # tmp <- lr * m_hat / (sqrt(v_hat) + eps), with m_hat = m / (1 - b1^t) and
        # sqrt(v_hat) = sqrt(v) / sqrt(1 - b2^t)
        np.sqrt(v, out=tmp)
        tmp *= 1 / np.sqrt(1 - b2 ** self.t)
        tmp += self.eps
        np.divide(m, tmp, out=tmp)
        tmp *= self.lr / (1 - b1 ** self.t)
        self._decay(p)
        p -= tmp
