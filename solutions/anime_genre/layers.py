"""Layers in the style of *Deep Learning from Scratch 2*.

Each layer has ``params`` and ``grads`` (lists of arrays, same order and shapes),
``forward(x)`` and ``backward(dout) -> dx``. ``backward`` writes the parameter gradients in
place (``self.grads[0][...] = dW``) so a model can collect the gradient arrays once and an
optimizer can update ``params`` from ``grads`` without asking the layers again.

Shapes: N examples in a batch, D inputs, H outputs. Layers compute in the dtype of their
parameters and inputs (float64 in gradient checks, float32 for fast training).
"""
from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from .functions import sigmoid


class Affine:
    """y = x @ W + b.  W: (D, H), b: (H,), x: (N, D) -> (N, H)."""

    def __init__(self, W, b):
        self.params = [W, b]
        self.grads = [np.zeros_like(W), np.zeros_like(b)]
        self.x = None

    def forward(self, x):
        W, b = self.params
        self.x = x
        return x @ W + b

    def backward(self, dout):
        W, _ = self.params
        self.grads[0][...] = self.x.T @ dout
        self.grads[1][...] = dout.sum(axis=0)
        return dout @ W.T


class Relu:
    """max(0, x), elementwise. ``backward`` returns a new array (``dout`` is not modified)."""

    def __init__(self):
        self.params, self.grads = [], []
        self.positive = None

    def forward(self, x):
        self.positive = x > 0
        return np.maximum(x, 0)

    def backward(self, dout):
        return dout * self.positive


class Sigmoid:
    """sigmoid(x), elementwise; its derivative is y (1 - y)."""

    def __init__(self):
        self.params, self.grads = [], []
        self.out = None

    def forward(self, x):
        self.out = sigmoid(x)
        return self.out

    def backward(self, dout):
        return dout * self.out * (1 - self.out)


class Dropout:
    """Inverted dropout: in training each unit is kept with probability 1 - ratio and the kept
    ones are scaled by 1 / (1 - ratio), so evaluation is the identity (no rescaling needed).

    ``train_flg`` (True by default) selects the mode; ``forward(x, train_flg=None)`` may
    override it for one call. ``seed`` makes the masks reproducible.
    """

    def __init__(self, ratio=0.5, seed=None):
        if not 0 <= ratio < 1:
            raise ValueError(f"dropout ratio must be in [0, 1), got {ratio}")
        self.params, self.grads = [], []
        self.ratio = float(ratio)
        self.train_flg = True
        self.rng = np.random.default_rng(seed)
        self.mask = None   # None in eval mode; else keep / (1 - ratio), same shape as x

    def forward(self, x, train_flg=None):
        train = self.train_flg if train_flg is None else train_flg
        if not train or self.ratio == 0:
            self.mask = None
            return x
        draw = np.float32 if x.dtype == np.float32 else np.float64
        keep = self.rng.random(x.shape, dtype=draw) >= self.ratio
        self.mask = keep.astype(x.dtype) * (1 / (1 - self.ratio))   # scalar keeps x's dtype
        return x * self.mask

    def backward(self, dout):
        return dout if self.mask is None else dout * self.mask


class SparseAffine:
    """y = X @ W + b for a sparse input: the bag-of-words (embedding-bag) layer.

    X: scipy.sparse CSR (N, V) (e.g. TF-IDF, V = vocabulary size), W: (V, H), b: (H,).
    X is never densified: forward is a sparse-dense product (cost nnz(X) * H) and the
    gradient dW = X.T @ dout is non-zero only in the rows of the words present in the batch.

    ``backward`` computes those rows only (on a column-compacted copy of X) and writes them
    into ``grads[0]``, which stays the exact dense gradient (rows written by the previous
    batch are zeroed first). ``grad_rows`` = [rows, None] tells an optimizer which rows of W
    can have a non-zero gradient, so it may update only those (see ``anime_genre.optim``).
    """

    def __init__(self, W, b):
        self.params = [W, b]
        self.grads = [np.zeros_like(W), np.zeros_like(b)]
        self.grad_rows = [np.zeros(0, dtype=np.intp), None]
        self.x = None

    def forward(self, x):
        if not sp.issparse(x):
            raise TypeError("SparseAffine expects a scipy.sparse matrix (CSR); "
                            "use Affine for dense input")
        x = sp.csr_matrix(x) if x.format != "csr" else x
        W, b = self.params
        self.x = x
        return np.asarray(x @ W) + b

    def backward(self, dout):
        x = self.x
        # Words present in the batch, and X restricted to those columns (renumbered 0..u-1).
        rows, compact = np.unique(x.indices, return_inverse=True)
        xc = sp.csr_matrix((x.data, compact.reshape(-1), x.indptr), shape=(x.shape[0], rows.size))
        dW_rows = np.asarray(xc.T @ dout)
        dW = self.grads[0]
        dW[self.grad_rows[0]] = 0          # clear the previous batch's rows only
        dW[rows] = dW_rows
        self.grad_rows[0] = rows
        self.grads[1][...] = dout.sum(axis=0)
        return None                        # no gradient with respect to the input words
