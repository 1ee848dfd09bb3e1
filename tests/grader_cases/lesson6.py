"""Lesson 6 (training): the original project's bugs, the layers written as in other
textbooks (Deep Learning from Scratch's ``np.dot`` layers, CS231n's function style wrapped in
the class, scikit-learn-like metrics) and realistic mistakes in each exercise."""
from grader_cases import mutate

BUGGY = [
    ("l6_relu", "ReLU backward that mutates its input (the original project's bug)",
     mutate(("        return dout * self.positive",
             "        dout[~self.positive] = 0\n        return dout"))),
    ("l6_adam_step", "Adam without bias correction",
     mutate(("m_hat = m / (1 - beta1 ** t)", "m_hat = m"), ("v_hat = v / (1 - beta2 ** t)", "v_hat = v"))),
    # --- Affine
    ("l6_affine", "DLFS style: np.dot, fails on the sparse rows the training cell feeds", '''
class Affine:
    def __init__(self, W, b):
        self.params = [W, b]
        self.grads = [np.zeros_like(W), np.zeros_like(b)]
        self.x = None

    def forward(self, x):
        W, b = self.params
        self.x = x
        return np.dot(x, W) + b

    def backward(self, dout):
        W, b = self.params
        dx = np.dot(dout, W.T)
        self.grads[0][...] = np.dot(self.x.T, dout)
        self.grads[1][...] = np.sum(dout, axis=0)
        return dx
'''),
    ("l6_affine", "gradients assigned to new arrays, not written in place", '''
class Affine:
    def __init__(self, W, b):
        self.params = [W, b]
        self.grads = [np.zeros_like(W), np.zeros_like(b)]
        self.x = None

    def forward(self, x):
        self.x = x
        return x @ self.params[0] + self.params[1]

    def backward(self, dout):
        self.grads[0] = self.x.T @ dout
        self.grads[1] = dout.sum(axis=0)
        return dout @ self.params[0].T
'''),
    ("l6_affine", "db as the mean over examples", '''
class Affine:
    def __init__(self, W, b):
        self.params = [W, b]
        self.grads = [np.zeros_like(W), np.zeros_like(b)]
        self.x = None

    def forward(self, x):
        self.x = x
        return x @ self.params[0] + self.params[1]

    def backward(self, dout):
        self.grads[0][...] = self.x.T @ dout
        self.grads[1][...] = dout.mean(axis=0)
        return dout @ self.params[0].T
'''),
    ("l6_affine", "forward forgets the bias", '''
class Affine:
    def __init__(self, W, b):
        self.params = [W, b]
        self.grads = [np.zeros_like(W), np.zeros_like(b)]
        self.x = None

    def forward(self, x):
        self.x = x
        return x @ self.params[0]

    def backward(self, dout):
        self.grads[0][...] = self.x.T @ dout
        self.grads[1][...] = dout.sum(axis=0)
        return dout @ self.params[0].T
'''),
    ("l6_affine", "dx uses W instead of W.T via a reshape", '''
class Affine:
    def __init__(self, W, b):
        self.params = [W, b]
        self.grads = [np.zeros_like(W), np.zeros_like(b)]
        self.x = None

    def forward(self, x):
        self.x = x
        return x @ self.params[0] + self.params[1]

    def backward(self, dout):
        W = self.params[0]
        self.grads[0][...] = self.x.T @ dout
        self.grads[1][...] = dout.sum(axis=0)
        return dout @ W.reshape(W.shape[1], W.shape[0])
'''),
    ("l6_affine", "a scaled-down layer whose backward agrees with its own wrong forward", '''
class Affine:
    def __init__(self, W, b):
        self.params = [W, b]
        self.grads = [np.zeros_like(W), np.zeros_like(b)]
        self.x = None

    def forward(self, x):
        self.x = x
        return 1e-3 * (x @ self.params[0] + self.params[1])

    def backward(self, dout):
        self.grads[0][...] = 1e-3 * (self.x.T @ dout)
        self.grads[1][...] = 1e-3 * dout.sum(axis=0)
        return 1e-3 * (dout @ self.params[0].T)
'''),
    # --- Relu
    ("l6_relu", "mask x >= 0: the gradient passes at x = 0", '''
class Relu:
    def __init__(self):
        self.params, self.grads = [], []
        self.positive = None

    def forward(self, x):
        self.positive = x >= 0
        return np.maximum(x, 0)

    def backward(self, dout):
        return dout * self.positive
'''),
    ("l6_relu", "DLFS style forward that zeroes x itself (out = x; out[mask] = 0)", '''
class Relu:
    def __init__(self):
        self.params, self.grads = [], []
        self.mask = None

    def forward(self, x):
        self.mask = (x <= 0)
        out = x
        out[self.mask] = 0
        return out

    def backward(self, dout):
        return np.where(self.mask, 0.0, dout)
'''),
    ("l6_relu", "backward multiplies by the forward output instead of the mask", '''
class Relu:
    def __init__(self):
        self.params, self.grads = [], []
        self.out = None

    def forward(self, x):
        self.out = np.maximum(x, 0)
        return self.out

    def backward(self, dout):
        return dout * self.out
'''),
    ("l6_relu", "backward recomputes the mask from dout", '''
class Relu:
    def __init__(self):
        self.params, self.grads = [], []

    def forward(self, x):
        return np.maximum(x, 0)

    def backward(self, dout):
        return np.maximum(dout, 0)
'''),
    # --- Dropout
    ("l6_dropout", "DLFS style: global np.random.rand, no seed reproducibility", '''
class Dropout:
    def __init__(self, ratio=0.5, seed=None):
        self.params, self.grads = [], []
        self.ratio = float(ratio)
        self.train_flg = True
        self.rng = np.random.default_rng(seed)
        self.mask = None

    def forward(self, x, train_flg=None):
        train = self.train_flg if train_flg is None else train_flg
        if not train:
            self.mask = None
            return x
        self.mask = (np.random.rand(*x.shape) >= self.ratio) / (1 - self.ratio)
        return x * self.mask

    def backward(self, dout):
        return dout if self.mask is None else dout * self.mask
'''),
    ("l6_dropout", "classic (non-inverted) dropout: kept units not scaled", '''
class Dropout:
    def __init__(self, ratio=0.5, seed=None):
        self.params, self.grads = [], []
        self.ratio = float(ratio)
        self.train_flg = True
        self.rng = np.random.default_rng(seed)
        self.mask = None

    def forward(self, x, train_flg=None):
        train = self.train_flg if train_flg is None else train_flg
        if not train:
            self.mask = None
            return x
        self.mask = self.rng.random(x.shape) >= self.ratio
        return x * self.mask

    def backward(self, dout):
        return dout if self.mask is None else dout * self.mask
'''),
    ("l6_dropout", "the generator re-created from the seed in every forward: the same mask each batch", '''
class Dropout:
    def __init__(self, ratio=0.5, seed=None):
        self.params, self.grads = [], []
        self.ratio = float(ratio)
        self.seed = seed
        self.train_flg = True
        self.rng = np.random.default_rng(seed)
        self.mask = None

    def forward(self, x, train_flg=None):
        train = self.train_flg if train_flg is None else train_flg
        if not train:
            self.mask = None
            return x
        rng = np.random.default_rng(self.seed)
        self.mask = (rng.random(x.shape) >= self.ratio) / (1 - self.ratio)
        return x * self.mask

    def backward(self, dout):
        return dout if self.mask is None else dout * self.mask
'''),
    ("l6_dropout", "ignores self.train_flg (only the argument switches modes)", '''
class Dropout:
    def __init__(self, ratio=0.5, seed=None):
        self.params, self.grads = [], []
        self.ratio = float(ratio)
        self.train_flg = True
        self.rng = np.random.default_rng(seed)
        self.mask = None

    def forward(self, x, train_flg=True):
        if not train_flg:
            self.mask = None
            return x
        self.mask = (self.rng.random(x.shape) >= self.ratio) / (1 - self.ratio)
        return x * self.mask

    def backward(self, dout):
        return dout if self.mask is None else dout * self.mask
'''),
    ("l6_dropout", "keeps a unit with probability ratio (mask < ratio... inverted)", '''
class Dropout:
    def __init__(self, ratio=0.5, seed=None):
        self.params, self.grads = [], []
        self.ratio = float(ratio)
        self.train_flg = True
        self.rng = np.random.default_rng(seed)
        self.mask = None

    def forward(self, x, train_flg=None):
        train = self.train_flg if train_flg is None else train_flg
        if not train:
            self.mask = None
            return x
        self.mask = (self.rng.random(x.shape) < self.ratio) / (1 - self.ratio)
        return x * self.mask

    def backward(self, dout):
        return dout if self.mask is None else dout * self.mask
'''),
    # --- Adam
    ("l6_adam_step", "updates m and v in place (m *= beta1 ...)", '''
def adam_step(param, grad, m, v, t, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8):
    m *= beta1
    m += (1 - beta1) * grad
    v *= beta2
    v += (1 - beta2) * grad ** 2
    m_hat = m / (1 - beta1 ** t)
    v_hat = v / (1 - beta2 ** t)
    return param - lr * m_hat / (np.sqrt(v_hat) + eps), m, v
'''),
    ("l6_adam_step", "eps inside the square root", '''
def adam_step(param, grad, m, v, t, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8):
    m = beta1 * m + (1 - beta1) * grad
    v = beta2 * v + (1 - beta2) * grad ** 2
    m_hat = m / (1 - beta1 ** t)
    v_hat = v / (1 - beta2 ** t)
    return param - lr * m_hat / np.sqrt(v_hat + eps), m, v
'''),
    ("l6_adam_step", "v from |g| instead of g^2", '''
def adam_step(param, grad, m, v, t, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8):
    m = beta1 * m + (1 - beta1) * grad
    v = beta2 * v + (1 - beta2) * np.abs(grad)
    m_hat = m / (1 - beta1 ** t)
    v_hat = v / (1 - beta2 ** t)
    return param - lr * m_hat / (np.sqrt(v_hat) + eps), m, v
'''),
    ("l6_adam_step", "param updated in place (param -= ...)", '''
def adam_step(param, grad, m, v, t, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8):
    m = beta1 * m + (1 - beta1) * grad
    v = beta2 * v + (1 - beta2) * grad * grad
    m_hat = m / (1 - beta1 ** t)
    v_hat = v / (1 - beta2 ** t)
    param -= lr * m_hat / (np.sqrt(v_hat) + eps)
    return param, m, v
'''),
    ("l6_adam_step", "bias correction with t - 1 (zero-based step)", '''
def adam_step(param, grad, m, v, t, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8):
    m = beta1 * m + (1 - beta1) * grad
    v = beta2 * v + (1 - beta2) * grad ** 2
    m_hat = m / (1 - beta1 ** (t + 1))
    v_hat = v / (1 - beta2 ** (t + 1))
    return param - lr * m_hat / (np.sqrt(v_hat) + eps), m, v
'''),
    # --- minibatches
    ("l6_minibatches", "no shuffle", '''
def minibatch_indices(n, batch_size, seed):
    idx = np.arange(n)
    return [idx[i:i + batch_size] for i in range(0, n, batch_size)]
'''),
    ("l6_minibatches", "the last short batch dropped", '''
def minibatch_indices(n, batch_size, seed):
    idx = np.random.default_rng(seed).permutation(n)
    return [idx[i:i + batch_size] for i in range(0, n - batch_size + 1, batch_size)]
'''),
    ("l6_minibatches", "the seed ignored (a fixed generator)", '''
def minibatch_indices(n, batch_size, seed):
    idx = np.random.default_rng(0).permutation(n)
    return [idx[i:i + batch_size] for i in range(0, n, batch_size)]
'''),
    ("l6_minibatches", "sampling with replacement (rng.integers)", '''
def minibatch_indices(n, batch_size, seed):
    idx = np.random.default_rng(seed).integers(0, n, n)
    return [idx[i:i + batch_size] for i in range(0, n, batch_size)]
'''),
    ("l6_minibatches", "np.array_split into n // batch_size pieces", '''
def minibatch_indices(n, batch_size, seed):
    idx = np.random.default_rng(seed).permutation(n)
    return np.array_split(idx, max(1, n // batch_size))
'''),
    # --- early stopping
    ("l6_early_stopping", "a tie counts as an improvement (last best)", '''
def early_stopping(scores, patience):
    if not scores:
        return None, False
    best = len(scores) - 1 - int(np.argmax(scores[::-1]))
    return best, len(scores) - 1 - best >= patience
'''),
    ("l6_early_stopping", "off by one: stops one epoch late", '''
def early_stopping(scores, patience):
    if not scores:
        return None, False
    best = int(np.argmax(scores))
    return best, len(scores) - 1 - best > patience
'''),
    ("l6_early_stopping", "stops only when the last score is worse than the previous one", '''
def early_stopping(scores, patience):
    if not scores:
        return None, False
    best = int(np.argmax(scores))
    worse = sum(1 for a, b in zip(scores[:-1], scores[1:]) if b < a)
    return best, worse >= patience
'''),
    ("l6_early_stopping", "lower is better (argmin)", '''
def early_stopping(scores, patience):
    if not scores:
        return None, False
    best = int(np.argmin(scores))
    return best, len(scores) - 1 - best >= patience
'''),
    ("l6_early_stopping", "empty list gives (0, False)", '''
def early_stopping(scores, patience):
    best = int(np.argmax(scores)) if scores else 0
    return best, len(scores) - 1 - best >= patience
'''),
    # --- F1
    ("l6_f1", "macro F1 from the macro precision and recall", '''
def f1(Y, Yhat, average="micro"):
    Y, Yhat = np.asarray(Y).astype(bool), np.asarray(Yhat).astype(bool)
    tp = (Y & Yhat).sum(0)
    if average == "macro":
        p = np.mean(np.divide(tp, Yhat.sum(0), out=np.zeros(len(tp)), where=Yhat.sum(0) > 0))
        r = np.mean(np.divide(tp, Y.sum(0), out=np.zeros(len(tp)), where=Y.sum(0) > 0))
        return float(2 * p * r / (p + r)) if p + r else 0.0
    axis = None if average == "micro" else 1
    tp = (Y & Yhat).sum(axis)
    den = Y.sum(axis) + Yhat.sum(axis)
    return float(np.mean(np.divide(2 * tp, den, out=np.zeros(np.shape(den)), where=den > 0)))
'''),
    ("l6_f1", "samples F1 skips the examples with nothing true or predicted", '''
def f1(Y, Yhat, average="micro"):
    Y, Yhat = np.asarray(Y).astype(bool), np.asarray(Yhat).astype(bool)
    axis = {"micro": None, "macro": 0, "samples": 1}[average]
    tp = (Y & Yhat).sum(axis)
    den = Y.sum(axis) + Yhat.sum(axis)
    if average == "samples":
        keep = den > 0
        return float(np.mean(2 * tp[keep] / den[keep])) if keep.any() else 0.0
    return float(np.mean(np.divide(2 * tp, den, out=np.zeros(np.shape(den)), where=den > 0)))
'''),
    ("l6_f1", "macro and samples swapped (axis 0 / axis 1)", '''
def f1(Y, Yhat, average="micro"):
    Y, Yhat = np.asarray(Y).astype(bool), np.asarray(Yhat).astype(bool)
    axis = {"micro": None, "macro": 1, "samples": 0}[average]
    tp = (Y & Yhat).sum(axis)
    den = Y.sum(axis) + Yhat.sum(axis)
    return float(np.mean(np.divide(2 * tp, den, out=np.zeros(np.shape(den)), where=den > 0)))
'''),
    ("l6_f1", "0/0 counted as 1", '''
def f1(Y, Yhat, average="micro"):
    Y, Yhat = np.asarray(Y).astype(bool), np.asarray(Yhat).astype(bool)
    axis = {"micro": None, "macro": 0, "samples": 1}[average]
    tp = (Y & Yhat).sum(axis)
    den = Y.sum(axis) + Yhat.sum(axis)
    return float(np.mean(np.divide(2 * tp, den, out=np.ones(np.shape(den)), where=den > 0)))
'''),
    ("l6_f1", "tp / (tp + fp + fn) (the Jaccard index, not F1)", '''
def f1(Y, Yhat, average="micro"):
    Y, Yhat = np.asarray(Y).astype(bool), np.asarray(Yhat).astype(bool)
    axis = {"micro": None, "macro": 0, "samples": 1}[average]
    tp = (Y & Yhat).sum(axis)
    den = (Y | Yhat).sum(axis)
    return float(np.mean(np.divide(tp, den, out=np.zeros(np.shape(den)), where=den > 0)))
'''),
    # --- thresholds
    ("l6_tune_thresholds", "predicts p > t (strict) instead of p >= t", '''
def tune_thresholds(Y_val, P_val, grid=None, default=0.5):
    Y = np.asarray(Y_val).astype(bool)
    P = np.asarray(P_val, dtype=float)
    grid = np.round(np.arange(0.01, 1.0, 0.01), 2) if grid is None else np.asarray(grid, dtype=float)
    out = np.full(Y.shape[1], float(default))
    for k in range(Y.shape[1]):
        if not Y[:, k].any():
            continue
        pred = P[:, k][:, None] > grid[None, :]
        tp = (pred & Y[:, k][:, None]).sum(0)
        f = 2 * tp / (pred.sum(0) + Y[:, k].sum())
        out[k] = grid[int(np.argmax(f))]
    return out
'''),
    ("l6_tune_thresholds", "a genre without positives gets the grid's first threshold", '''
def tune_thresholds(Y_val, P_val, grid=None, default=0.5):
    Y = np.asarray(Y_val).astype(bool)
    P = np.asarray(P_val, dtype=float)
    grid = np.round(np.arange(0.01, 1.0, 0.01), 2) if grid is None else np.asarray(grid, dtype=float)
    out = np.empty(Y.shape[1])
    for k in range(Y.shape[1]):
        pred = P[:, k][:, None] >= grid[None, :]
        tp = (pred & Y[:, k][:, None]).sum(0)
        den = pred.sum(0) + Y[:, k].sum()
        f = np.divide(2 * tp, den, out=np.zeros(len(grid)), where=den > 0)
        out[k] = grid[int(np.argmax(f))]
    return out
'''),
    ("l6_tune_thresholds", "maximises accuracy instead of F1", '''
def tune_thresholds(Y_val, P_val, grid=None, default=0.5):
    Y = np.asarray(Y_val).astype(bool)
    P = np.asarray(P_val, dtype=float)
    grid = np.round(np.arange(0.01, 1.0, 0.01), 2) if grid is None else np.asarray(grid, dtype=float)
    out = np.full(Y.shape[1], float(default))
    for k in range(Y.shape[1]):
        if not Y[:, k].any():
            continue
        acc = [((P[:, k] >= t) == Y[:, k]).mean() for t in grid]
        out[k] = grid[int(np.argmax(acc))]
    return out
'''),
    ("l6_tune_thresholds", "one threshold for all genres (micro F1)", '''
def tune_thresholds(Y_val, P_val, grid=None, default=0.5):
    Y = np.asarray(Y_val).astype(bool)
    P = np.asarray(P_val, dtype=float)
    grid = np.round(np.arange(0.01, 1.0, 0.01), 2) if grid is None else np.asarray(grid, dtype=float)
    best = max(grid, key=lambda t: 2 * ((P >= t) & Y).sum() / ((P >= t).sum() + Y.sum()))
    return np.full(Y.shape[1], float(best))
'''),
    ("l6_tune_thresholds", "default grid 0.1 ... 0.9 only", '''
def tune_thresholds(Y_val, P_val, grid=None, default=0.5):
    Y = np.asarray(Y_val).astype(bool)
    P = np.asarray(P_val, dtype=float)
    grid = np.round(np.arange(0.1, 1.0, 0.1), 1) if grid is None else np.asarray(grid, dtype=float)
    out = np.full(Y.shape[1], float(default))
    for k in range(Y.shape[1]):
        if not Y[:, k].any():
            continue
        pred = P[:, k][:, None] >= grid[None, :]
        tp = (pred & Y[:, k][:, None]).sum(0)
        out[k] = grid[int(np.argmax(2 * tp / (pred.sum(0) + Y[:, k].sum())))]
    return out
'''),
]

CORRECT = [
    ("l6_relu", "ReLU keeping the mask of non-positive inputs, np.where", '''
class Relu:
    def __init__(self):
        self.params, self.grads = [], []
        self.mask = None

    def forward(self, x):
        self.mask = x <= 0
        out = x.copy()
        out[self.mask] = 0
        return out

    def backward(self, dout):
        return np.where(self.mask, 0.0, dout)
'''),
    ("l6_relu", "DLFS style with a copy of dout", '''
class Relu:
    def __init__(self):
        self.params, self.grads = [], []
        self.mask = None

    def forward(self, x):
        self.mask = (x <= 0)
        out = x.copy()
        out[self.mask] = 0
        return out

    def backward(self, dout):
        dx = dout.copy()
        dx[self.mask] = 0
        return dx
'''),
    ("l6_relu", "CS231n style: cache x, dx = dout * (x > 0)", '''
class Relu:
    def __init__(self):
        self.params, self.grads = [], []
        self.cache = None

    def forward(self, x):
        self.cache = x
        return x * (x > 0)

    def backward(self, dout):
        x = self.cache
        return dout * (x > 0)
'''),
    ("l6_affine", "DLFS style with x @ W (works for sparse x too)", '''
class Affine:
    def __init__(self, W, b):
        self.params = [W, b]
        self.grads = [np.zeros_like(W), np.zeros_like(b)]
        self.x = None

    def forward(self, x):
        W, b = self.params
        self.x = x
        out = x @ W + b
        return out

    def backward(self, dout):
        W, b = self.params
        dx = dout @ W.T
        dW = self.x.T @ dout
        db = np.sum(dout, axis=0)
        self.grads[0][...] = dW
        self.grads[1][...] = db
        return dx
'''),
    ("l6_affine", "CS231n style: cache, np.asarray of the products, np.copyto", '''
class Affine:
    def __init__(self, W, b):
        self.params = [W, b]
        self.grads = [np.zeros_like(W), np.zeros_like(b)]
        self.cache = None

    def forward(self, x):
        w, b = self.params
        out = x.dot(w) if sp.issparse(x) else x.reshape(x.shape[0], -1).dot(w)
        self.cache = x
        return out + b

    def backward(self, dout):
        x = self.cache
        w, _ = self.params
        np.copyto(self.grads[0], np.asarray(x.T.dot(dout)))
        np.copyto(self.grads[1], dout.sum(axis=0))
        return dout.dot(w.T)
'''),
    ("l6_affine", "einsum for dense x, sparse product otherwise", '''
class Affine:
    def __init__(self, W, b):
        self.params = [W, b]
        self.grads = [np.zeros_like(W), np.zeros_like(b)]
        self.x = None

    def forward(self, x):
        self.x = x
        W, b = self.params
        return (np.einsum("nd,dh->nh", x, W) if isinstance(x, np.ndarray) else x @ W) + b

    def backward(self, dout):
        W, _ = self.params
        x = self.x
        self.grads[0][:] = np.einsum("nd,nh->dh", x, dout) if isinstance(x, np.ndarray) else x.T @ dout
        self.grads[1][:] = dout.sum(0)
        return np.einsum("nh,dh->nd", dout, W)
'''),
    ("l6_dropout", "DLFS style with the layer's generator and a boolean mask", '''
class Dropout:
    def __init__(self, ratio=0.5, seed=None):
        if not 0 <= ratio < 1:
            raise ValueError(ratio)
        self.params, self.grads = [], []
        self.ratio = float(ratio)
        self.train_flg = True
        self.rng = np.random.default_rng(seed)
        self.mask = None

    def forward(self, x, train_flg=None):
        if train_flg is None:
            train_flg = self.train_flg
        if train_flg:
            keep = self.rng.random(x.shape) >= self.ratio
            self.mask = keep / (1.0 - self.ratio)
            return x * self.mask
        self.mask = None
        return x

    def backward(self, dout):
        if self.mask is None:
            return dout
        return dout * self.mask
'''),
    ("l6_dropout", "CS231n style: binomial draw from self.rng", '''
class Dropout:
    def __init__(self, ratio=0.5, seed=None):
        self.params, self.grads = [], []
        self.ratio = float(ratio)
        self.train_flg = True
        self.rng = np.random.default_rng(seed)
        self.mask = None

    def forward(self, x, train_flg=None):
        mode = self.train_flg if train_flg is None else train_flg
        if not mode:
            self.mask = None
            return x.copy()
        p = 1.0 - self.ratio
        self.mask = self.rng.binomial(1, p, size=x.shape) / p
        return x * self.mask

    def backward(self, dout):
        return dout if self.mask is None else dout * self.mask
'''),
    ("l6_dropout", "keep mask and scale stored apart, np.where", '''
class Dropout:
    def __init__(self, ratio=0.5, seed=None):
        self.params, self.grads = [], []
        self.ratio = float(ratio)
        self.train_flg = True
        self.rng = np.random.default_rng(seed)
        self.mask = None
        self.keep = None

    def forward(self, x, train_flg=None):
        training = self.train_flg if train_flg is None else bool(train_flg)
        if training:
            self.keep = self.rng.uniform(size=x.shape) >= self.ratio
            self.mask = self.keep / (1 - self.ratio)
            return np.where(self.keep, x / (1 - self.ratio), 0.0)
        self.keep = self.mask = None
        return x

    def backward(self, dout):
        if self.keep is None:
            return dout
        return np.where(self.keep, dout / (1 - self.ratio), 0.0)
'''),
    ("l6_adam_step", "CS231n style with a config dict", '''
def adam_step(param, grad, m, v, t, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8):
    config = {"learning_rate": lr, "beta1": beta1, "beta2": beta2, "epsilon": eps, "m": m, "v": v, "t": t}
    config["m"] = config["beta1"] * config["m"] + (1 - config["beta1"]) * grad
    mt = config["m"] / (1 - config["beta1"] ** config["t"])
    config["v"] = config["beta2"] * config["v"] + (1 - config["beta2"]) * (grad ** 2)
    vt = config["v"] / (1 - config["beta2"] ** config["t"])
    next_param = param - config["learning_rate"] * mt / (np.sqrt(vt) + config["epsilon"])
    return next_param, config["m"], config["v"]
'''),
    ("l6_adam_step", "copies, then in-place updates on the copies", '''
def adam_step(param, grad, m, v, t, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8):
    param, m, v = np.array(param, dtype=float), np.array(m, dtype=float), np.array(v, dtype=float)
    m *= beta1
    m += (1 - beta1) * grad
    v *= beta2
    v += (1 - beta2) * np.square(grad)
    param -= lr * (m / (1 - beta1 ** t)) / (np.sqrt(v / (1 - beta2 ** t)) + eps)
    return param, m, v
'''),
    ("l6_adam_step", "math.pow and explicit bias-correction factors", '''
import math

def adam_step(param, grad, m, v, t, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8):
    new_m = beta1 * m + (1.0 - beta1) * grad
    new_v = beta2 * v + (1.0 - beta2) * grad * grad
    c1 = 1.0 - math.pow(beta1, t)
    c2 = 1.0 - math.pow(beta2, t)
    new_param = param - lr * (new_m / c1) / (np.sqrt(new_v / c2) + eps)
    return new_param, new_m, new_v
'''),
    ("l6_minibatches", "shuffle an arange in place with the seeded generator", '''
def minibatch_indices(n, batch_size, seed):
    rng = np.random.default_rng(seed)
    order = np.arange(n)
    rng.shuffle(order)
    return [order[start:start + batch_size] for start in range(0, n, batch_size)]
'''),
    ("l6_minibatches", "rng.choice without replacement and np.split at multiples", '''
def minibatch_indices(n, batch_size, seed):
    perm = np.random.default_rng(seed).choice(n, size=n, replace=False)
    return [b for b in np.split(perm, np.arange(batch_size, n, batch_size)) if len(b)]
'''),
    ("l6_minibatches", "a generator expression turned into a list, ceil division", '''
def minibatch_indices(n, batch_size, seed):
    perm = np.random.default_rng(seed).permutation(n)
    n_batches = -(-n // batch_size)
    return list(perm[i * batch_size:(i + 1) * batch_size] for i in range(n_batches))
'''),
    ("l6_early_stopping", "a loop keeping the first best", '''
def early_stopping(scores, patience):
    best, best_score = None, None
    for epoch, score in enumerate(scores):
        if best_score is None or score > best_score:
            best, best_score = epoch, score
    if best is None:
        return None, False
    return best, (len(scores) - 1 - best) >= patience
'''),
    ("l6_early_stopping", "Keras-like wait counter", '''
def early_stopping(scores, patience):
    best, wait = None, 0
    for i, s in enumerate(scores):
        if best is None or s > scores[best]:
            best, wait = i, 0
        else:
            wait += 1
    return best, bool(best is not None and wait >= patience)
'''),
    ("l6_early_stopping", "scores.index(max(scores))", '''
def early_stopping(scores, patience):
    if len(scores) == 0:
        return None, False
    best = scores.index(max(scores))
    return best, len(scores) - best > patience
'''),
    ("l6_f1", "epsilon smoothing as in Keras metrics (1e-7)", '''
def f1(Y, Yhat, average="micro"):
    eps = 1e-7
    Y = np.asarray(Y, dtype=float)
    Yhat = np.asarray(Yhat, dtype=float)
    axis = {"micro": None, "macro": 0, "samples": 1}[average]
    tp = (Y * Yhat).sum(axis)
    fp = ((1 - Y) * Yhat).sum(axis)
    fn = (Y * (1 - Yhat)).sum(axis)
    return float(np.mean(2 * tp / (2 * tp + fp + fn + eps)))
'''),
    ("l6_f1", "scikit-learn-like: precision and recall per unit, then harmonic mean", '''
def f1(Y, Yhat, average="micro"):
    Y = np.asarray(Y).astype(bool)
    Yhat = np.asarray(Yhat).astype(bool)

    def scores(tp, n_pred, n_true):
        precision = np.divide(tp, n_pred, out=np.zeros_like(tp, dtype=float), where=n_pred > 0)
        recall = np.divide(tp, n_true, out=np.zeros_like(tp, dtype=float), where=n_true > 0)
        s = precision + recall
        return np.divide(2 * precision * recall, s, out=np.zeros_like(s), where=s > 0)

    if average == "micro":
        return float(scores(np.array([(Y & Yhat).sum()]), np.array([Yhat.sum()]), np.array([Y.sum()]))[0])
    axis = 0 if average == "macro" else 1
    return float(scores((Y & Yhat).sum(axis), Yhat.sum(axis), Y.sum(axis)).mean())
'''),
    ("l6_f1", "a plain Python loop over rows or columns", '''
def f1(Y, Yhat, average="micro"):
    Y = np.asarray(Y).astype(int)
    Yhat = np.asarray(Yhat).astype(int)

    def one(y, p):
        tp = int((y * p).sum())
        den = int(y.sum() + p.sum())
        return 2 * tp / den if den else 0.0

    if average == "micro":
        return float(one(Y.ravel(), Yhat.ravel()))
    units = zip(Y.T, Yhat.T) if average == "macro" else zip(Y, Yhat)
    values = [one(y, p) for y, p in units]
    return float(sum(values) / len(values)) if values else 0.0
'''),
    ("l6_tune_thresholds", "broadcast comparison with all thresholds at once", '''
def tune_thresholds(Y_val, P_val, grid=None, default=0.5):
    Y = np.asarray(Y_val).astype(bool)
    P = np.asarray(P_val, dtype=float)
    if grid is None:
        grid = np.round(np.arange(0.01, 1.0, 0.01), 2)
    grid = np.asarray(grid, dtype=float)
    thresholds = np.full(Y.shape[1], float(default))
    for k in range(Y.shape[1]):
        n_true = Y[:, k].sum()
        if n_true == 0:
            continue
        pred = P[:, k][:, None] >= grid[None, :]
        tp = (pred & Y[:, k][:, None]).sum(axis=0)
        f = 2 * tp / (pred.sum(axis=0) + n_true)
        thresholds[k] = grid[np.argmax(f)]
    return thresholds
'''),
    ("l6_tune_thresholds", "a double loop, the last of equally good thresholds", '''
def tune_thresholds(Y_val, P_val, grid=None, default=0.5):
    Y = np.asarray(Y_val).astype(int)
    P = np.asarray(P_val, dtype=float)
    grid = [i / 100 for i in range(1, 100)] if grid is None else list(grid)
    out = []
    for k in range(Y.shape[1]):
        y = Y[:, k]
        if y.sum() == 0:
            out.append(float(default))
            continue
        best_t, best_f = default, -1.0
        for t in grid:
            pred = (P[:, k] >= t).astype(int)
            tp = int((pred * y).sum())
            f = 2 * tp / (pred.sum() + y.sum())
            if f >= best_f:
                best_t, best_f = t, f
        out.append(float(best_t))
    return np.array(out)
'''),
    ("l6_tune_thresholds", "sorted scores and searchsorted, with a dict of F1 per threshold", '''
def tune_thresholds(Y_val, P_val, grid=None, default=0.5):
    Y = np.asarray(Y_val).astype(bool)
    P = np.asarray(P_val, dtype=float)
    grid = np.round(np.arange(0.01, 1.0, 0.01), 2) if grid is None else np.sort(np.asarray(grid, dtype=float))
    result = np.full(Y.shape[1], float(default))
    for k in range(Y.shape[1]):
        pos = np.sort(P[Y[:, k], k])
        if pos.size == 0:
            continue
        allp = np.sort(P[:, k])
        predicted = len(allp) - np.searchsorted(allp, grid, side="left")
        tp = len(pos) - np.searchsorted(pos, grid, side="left")
        f = {float(t): 2 * a / (b + len(pos)) for t, a, b in zip(grid, tp, predicted)}
        result[k] = max(f, key=lambda t: (f[t], -t))
    return result
'''),
]
