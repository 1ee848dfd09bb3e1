"""Lesson 4: buggy implementations that must lose points, correct variants that must not."""

BUGGY = [
    ("l4_softmax_cross_entropy", "a loss layer that computes nothing: 0 and a zero gradient", '''
class SoftmaxWithLoss:
    def forward(self, x, t):
        self.shape = np.shape(x)
        return 0.0

    def backward(self, dout=1.0):
        return np.zeros(self.shape)
'''),
    ("l4_bce_with_logits", "a loss layer that computes nothing: 0 and a zero gradient", '''
class SigmoidWithLoss:
    def forward(self, x, t):
        self.shape = np.shape(x)
        return 0.0

    def backward(self, dout=1.0):
        return np.zeros(self.shape)
'''),
    ("l4_sigmoid", "naive sigmoid through tanh of a huge argument gives nan", '''
def sigmoid(x):
    x = np.asarray(x, dtype=float)
    e = np.exp(-x)
    return e / (e + e * np.exp(x))   # inf/inf = nan for large |x|
'''),
    ("l4_sigmoid", "sigmoid with the sign flipped", '''
def sigmoid(x):
    return 1 / (1 + np.exp(np.asarray(x, dtype=float)))
'''),
    ("l4_log_sigmoid", "log of a rounded sigmoid gives -inf", '''
def log_sigmoid(x):
    with np.errstate(all="ignore"):
        return np.log(1 / (1 + np.exp(-np.asarray(x, dtype=float))))
'''),
    ("l4_softmax", "softmax over the wrong axis", '''
def softmax(x):
    x = np.asarray(x, dtype=float)
    e = np.exp(x - x.max(axis=0, keepdims=True))
    return e / e.sum(axis=0, keepdims=True)
'''),
    ("l4_softmax", "softmax without the max shift overflows", '''
def softmax(x):
    x = np.asarray(x, dtype=float)
    with np.errstate(all="ignore"):
        e = np.exp(x)
        return e / e.sum(axis=-1, keepdims=True)
'''),
    ("l4_softmax_cross_entropy", "softmax cross-entropy summed instead of averaged", '''
class SoftmaxWithLoss:
    def __init__(self):
        self.params, self.grads = [], []
        self.y = None
        self.t = None

    def forward(self, x, t):
        x = np.asarray(x, dtype=float)
        t = np.asarray(t)
        if t.ndim == x.ndim - 1:
            t = np.eye(x.shape[-1])[t]
        t = t / np.maximum(t.sum(axis=-1, keepdims=True), 1)
        z = x - x.max(axis=-1, keepdims=True)
        log_y = z - np.log(np.exp(z).sum(axis=-1, keepdims=True))
        self.y, self.t = np.exp(log_y), t
        return float(-(t * log_y).sum())

    def backward(self, dout=1.0):
        return (self.y * self.t.sum(axis=-1, keepdims=True) - self.t) * dout
'''),
    ("l4_bce_with_logits", "softmax cross-entropy on multi-label targets (the original project's loss)", '''
class SigmoidWithLoss:
    def __init__(self):
        self.params, self.grads = [], []
        self.y = None
        self.t = None

    def forward(self, x, t):
        x = np.asarray(x, dtype=float)
        t = np.asarray(t, dtype=float)
        z = x - x.max(axis=-1, keepdims=True)
        log_y = z - np.log(np.exp(z).sum(axis=-1, keepdims=True))
        self.y, self.t = np.exp(log_y), t
        return float(-(t * log_y).sum() / x.shape[0])

    def backward(self, dout=1.0):
        return (self.y * self.t.sum(axis=-1, keepdims=True) - self.t) * dout / self.y.shape[0]
'''),
    ("l4_bce_with_logits", "BCE through log of rounded probabilities (inf for confident mistakes)", '''
class SigmoidWithLoss:
    def __init__(self):
        self.params, self.grads = [], []
        self.y = None
        self.t = None

    def forward(self, x, t):
        x = np.asarray(x, dtype=float)
        t = np.asarray(t, dtype=float)
        with np.errstate(all="ignore"):
            y = 1 / (1 + np.exp(-x))
            self.y, self.t = y, t
            return float(-(t * np.log(y) + (1 - t) * np.log(1 - y)).sum() / x.shape[0])

    def backward(self, dout=1.0):
        return (self.y - self.t) * dout / self.y.shape[0]
'''),
    ("l4_bce_with_logits", "BCE backward without 1/N", '''
class SigmoidWithLoss:
    def __init__(self):
        self.params, self.grads = [], []
        self.y = None
        self.t = None

    def forward(self, x, t):
        x = np.asarray(x, dtype=float)
        t = np.asarray(t, dtype=float)
        self.y, self.t = sigmoid(x), t
        return float(-(t * log_sigmoid(x) + (1 - t) * log_sigmoid(-x)).sum() / x.shape[0])

    def backward(self, dout=1.0):
        return (self.y - self.t) * dout
'''),
]

CORRECT = [
    ("l4_sigmoid", "naive 1/(1+exp(-x)): correct, overflow warning on stderr", '''
def sigmoid(x):
    return 1 / (1 + np.exp(-np.asarray(x, dtype=float)))
'''),
    ("l4_sigmoid", "loop over elements with math.exp, other names", '''
def sigmoid(x):
    arr = np.asarray(x, dtype=float)
    flat = arr.reshape(-1)
    result = np.empty_like(flat)
    for i, value in enumerate(flat):
        if value >= 0:
            result[i] = 1.0 / (1.0 + math.exp(-value))
        else:
            ev = math.exp(value)
            result[i] = ev / (1.0 + ev)
    return result.reshape(arr.shape)
'''),
    ("l4_sigmoid", "via tanh", '''
def sigmoid(x):
    return 0.5 * (1 + np.tanh(0.5 * np.asarray(x, dtype=float)))
'''),
    ("l4_log_sigmoid", "case analysis with log1p", '''
def log_sigmoid(x):
    x = np.asarray(x, dtype=float)
    out = np.empty_like(x)
    pos = x >= 0
    out[pos] = -np.log1p(np.exp(-x[pos]))
    out[~pos] = x[~pos] - np.log1p(np.exp(x[~pos]))
    return out
'''),
    ("l4_softmax", "loop over rows, max shift", '''
def softmax(x):
    x = np.asarray(x, dtype=float)
    if x.ndim == 1:
        shifted = np.exp(x - x.max())
        return shifted / shifted.sum()
    rows = []
    for row in x:
        shifted = np.exp(row - row.max())
        rows.append(shifted / shifted.sum())
    return np.array(rows)
'''),
    ("l4_softmax_cross_entropy", "log-softmax written with logsumexp via np.logaddexp.reduce, indices via loop", '''
class SoftmaxWithLoss:
    def __init__(self):
        self.params, self.grads = [], []
        self.y = None
        self.t = None

    def forward(self, x, t):
        x = np.asarray(x, dtype=float)
        t = np.asarray(t)
        if t.ndim == 1 and x.ndim == 2:
            onehot = np.zeros_like(x)
            for row, k in enumerate(t):
                onehot[row, k] = 1.0
            t = onehot
        t = t.astype(float)
        sums = t.sum(axis=1, keepdims=True)
        t = np.divide(t, sums, out=np.zeros_like(t), where=sums > 0)
        log_y = x - np.logaddexp.reduce(x, axis=1, keepdims=True)
        self.y = np.exp(log_y)
        self.t = t
        return float(-(t * log_y).sum() / x.shape[0])

    def backward(self, dout=1.0):
        batch = self.y.shape[0]
        return dout * (self.y * self.t.sum(axis=1, keepdims=True) - self.t) / batch
'''),
    ("l4_bce_with_logits", "BCE as softplus(x) - t x, the other textbook form", '''
class SigmoidWithLoss:
    def __init__(self):
        self.params, self.grads = [], []
        self.y = None
        self.t = None

    def forward(self, x, t):
        x = np.asarray(x, dtype=float)
        t = np.asarray(t, dtype=float)
        self.y = sigmoid(x)
        self.t = t
        per_genre = np.logaddexp(0, x) - t * x      # log(1 + e^x) - t x
        return float(per_genre.sum() / len(x))

    def backward(self, dout=1.0):
        return dout * (self.y - self.t) / len(self.y)
'''),
]

# Cases written as other textbooks and libraries write these functions (Deep Learning from
# Scratch, CS231n, PyTorch's formulas in numpy) and more realistic mistakes.
BUGGY += [
    ("l4_sigmoid", "exp(x) / (1 + exp(x)) everywhere: nan at x = 1000", '''
def sigmoid(x):
    with np.errstate(all="ignore"):
        e = np.exp(x)
        return e / (1 + e)
'''),
    ("l4_sigmoid", "float32 arithmetic", '''
def sigmoid(x):
    x = np.asarray(x, dtype=np.float32)
    return (1 / (1 + np.exp(-np.clip(x, -80, 80)))).astype(np.float32)
'''),
    ("l4_sigmoid", "clipped at +-10 (visibly wrong tails)", '''
def sigmoid(x):
    return 1 / (1 + np.exp(-np.clip(x, -10, 10)))
'''),
    ("l4_log_sigmoid", "log(sigmoid(x)) with a 1e-12 floor", '''
def log_sigmoid(x):
    return np.log(np.maximum(sigmoid(x), 1e-12))
'''),
    ("l4_log_sigmoid", "-log1p(exp(-x)): -inf... overflow for x = -1000", '''
def log_sigmoid(x):
    with np.errstate(all="ignore"):
        return -np.log1p(np.exp(-np.asarray(x, dtype=float)))
'''),
    ("l4_log_sigmoid", "sign error: log sigmoid(-x)", '''
def log_sigmoid(x):
    return -np.logaddexp(0, np.asarray(x, dtype=float))
'''),
    ("l4_log_sigmoid", "log of 1 + exp(-x) without the minus", '''
def log_sigmoid(x):
    return np.logaddexp(0, -np.asarray(x, dtype=float))
'''),
    ("l4_softmax", "normalised over the whole matrix", '''
def softmax(x):
    e = np.exp(x - np.max(x))
    return e / e.sum()
'''),
    ("l4_softmax", "max over the whole matrix (rows far apart underflow)", '''
def softmax(x):
    x = np.asarray(x, dtype=float)
    e = np.exp(x - x.max())
    return e / e.sum(axis=-1, keepdims=True)
'''),
    ("l4_softmax", "DLFS 1-D only: x.T trick breaks (K,) input... uses axis=0", '''
def softmax(x):
    x = np.asarray(x, dtype=float)
    e = np.exp(x - x.max(axis=0))
    return e / e.sum(axis=0)
'''),
    ("l4_softmax_cross_entropy", "one-hot targets assumed: multi-hot rows not normalised", '''
class SoftmaxWithLoss:
    def __init__(self):
        self.params, self.grads = [], []
        self.y = self.t = None

    def forward(self, x, t):
        t = np.asarray(t)
        if t.ndim == 1:
            t = np.eye(x.shape[1])[t]
        self.t = t.astype(float)
        z = x - x.max(axis=1, keepdims=True)
        log_y = z - np.log(np.exp(z).sum(axis=1, keepdims=True))
        self.y = np.exp(log_y)
        return float(-(self.t * log_y).sum() / len(x))

    def backward(self, dout=1.0):
        return (self.y - self.t) * dout / len(self.y)
'''),
    ("l4_softmax_cross_entropy", "DLFS style log(y + 1e-7): inaccurate for confident mistakes", '''
class SoftmaxWithLoss:
    def __init__(self):
        self.params, self.grads = [], []
        self.y = self.t = None

    def forward(self, x, t):
        t = np.asarray(t)
        if t.ndim == 1:
            t = np.eye(x.shape[1])[t]
        t = t.astype(float)
        s = t.sum(axis=1, keepdims=True)
        self.t = np.divide(t, s, out=np.zeros_like(t), where=s > 0)
        z = x - x.max(axis=1, keepdims=True)
        self.y = np.exp(z) / np.exp(z).sum(axis=1, keepdims=True)
        return float(-(self.t * np.log(self.y + 1e-7)).sum() / len(x))

    def backward(self, dout=1.0):
        return (self.y * self.t.sum(axis=1, keepdims=True) - self.t) * dout / len(self.y)
'''),
    ("l4_softmax_cross_entropy", "backward ignores dout", '''
class SoftmaxWithLoss:
    def __init__(self):
        self.params, self.grads = [], []
        self.y = self.t = None

    def forward(self, x, t):
        t = np.asarray(t)
        if t.ndim == 1:
            t = np.eye(x.shape[1])[t]
        t = t.astype(float)
        s = t.sum(axis=1, keepdims=True)
        self.t = np.divide(t, s, out=np.zeros_like(t), where=s > 0)
        z = x - x.max(axis=1, keepdims=True)
        log_y = z - np.log(np.exp(z).sum(axis=1, keepdims=True))
        self.y = np.exp(log_y)
        return float(-(self.t * log_y).sum() / len(x))

    def backward(self, dout=1.0):
        return (self.y * self.t.sum(axis=1, keepdims=True) - self.t) / len(self.y)
'''),
    ("l4_softmax_cross_entropy", "all-zero target rows divided by 0 (nan)", '''
class SoftmaxWithLoss:
    def __init__(self):
        self.params, self.grads = [], []
        self.y = self.t = None

    def forward(self, x, t):
        t = np.asarray(t)
        if t.ndim == 1:
            t = np.eye(x.shape[1])[t]
        with np.errstate(all="ignore"):
            self.t = t / t.sum(axis=1, keepdims=True)
        z = x - x.max(axis=1, keepdims=True)
        log_y = z - np.log(np.exp(z).sum(axis=1, keepdims=True))
        self.y = np.exp(log_y)
        return float(-(self.t * log_y).sum() / len(x))

    def backward(self, dout=1.0):
        return (self.y * self.t.sum(axis=1, keepdims=True) - self.t) * dout / len(self.y)
'''),
    ("l4_bce_with_logits", "mean over every element (N * K), as torch's default reduction", '''
class SigmoidWithLoss:
    def __init__(self):
        self.params, self.grads = [], []
        self.y = self.t = None

    def forward(self, x, t):
        self.y, self.t = sigmoid(x), np.asarray(t, dtype=float)
        return float((np.logaddexp(0, x) - self.t * x).mean())

    def backward(self, dout=1.0):
        return (self.y - self.t) * dout / self.y.size
'''),
    ("l4_bce_with_logits", "backward ignores dout", '''
class SigmoidWithLoss:
    def __init__(self):
        self.params, self.grads = [], []
        self.y = self.t = None

    def forward(self, x, t):
        self.y, self.t = sigmoid(x), np.asarray(t, dtype=float)
        return float((np.logaddexp(0, x) - self.t * x).sum() / len(x))

    def backward(self, dout=1.0):
        return (self.y - self.t) / len(self.y)
'''),
]

CORRECT += [
    ("l4_sigmoid", "clipped at +-500 (finite, accurate: PyTorch-like safe exp)", '''
def sigmoid(x):
    return 1.0 / (1.0 + np.exp(-np.clip(x, -500, 500)))
'''),
    ("l4_sigmoid", "scipy-free expit by cases with np.where and exp(-|x|)", '''
def sigmoid(x):
    x = np.asarray(x, dtype=float)
    z = np.exp(-np.abs(x))
    return np.where(x >= 0, 1 / (1 + z), z / (1 + z))
'''),
    ("l4_log_sigmoid", "min(x, 0) - log1p(exp(-|x|)) (the PyTorch formula)", '''
def log_sigmoid(x):
    x = np.asarray(x, dtype=float)
    return np.minimum(x, 0) - np.log1p(np.exp(-np.abs(x)))
'''),
    ("l4_log_sigmoid", "clipped at +-500 then -logaddexp", '''
def log_sigmoid(x):
    x = np.asarray(x, dtype=float)
    return np.where(x < -500, x, -np.logaddexp(0, -np.clip(x, -500, None)))
'''),
    ("l4_softmax", "DLFS style with keepdims and axis=-1", '''
def softmax(x):
    x = x - np.max(x, axis=-1, keepdims=True)
    return np.exp(x) / np.sum(np.exp(x), axis=-1, keepdims=True)
'''),
    ("l4_softmax", "exp of the log-softmax", '''
def softmax(x):
    x = np.asarray(x, dtype=float)
    m = x.max(axis=-1, keepdims=True)
    return np.exp(x - m - np.log(np.exp(x - m).sum(axis=-1, keepdims=True)))
'''),
    ("l4_softmax_cross_entropy", "CS231n softmax_loss style with fancy indexing for indices", '''
class SoftmaxWithLoss:
    def __init__(self):
        self.params, self.grads = [], []
        self.y = None
        self.t = None

    def forward(self, x, t):
        x = np.asarray(x, dtype=float)
        N, K = x.shape
        t = np.asarray(t)
        if t.ndim == 1:
            onehot = np.zeros((N, K))
            onehot[np.arange(N), t] = 1.0
            t = onehot
        t = t.astype(float)
        sums = t.sum(axis=1, keepdims=True)
        self.t = t / np.where(sums > 0, sums, 1.0)
        shifted = x - np.max(x, axis=1, keepdims=True)
        log_probs = shifted - np.log(np.sum(np.exp(shifted), axis=1, keepdims=True))
        self.y = np.exp(log_probs)
        return float(-np.sum(self.t * log_probs) / N)

    def backward(self, dout=1.0):
        N = self.y.shape[0]
        dx = self.y * self.t.sum(axis=1, keepdims=True) - self.t
        return dx * dout / N
'''),
    ("l4_bce_with_logits", "max(x, 0) - x t + log1p(exp(-|x|)) (TensorFlow's formula)", '''
class SigmoidWithLoss:
    def __init__(self):
        self.params, self.grads = [], []
        self.y = None
        self.t = None

    def forward(self, x, t):
        x = np.asarray(x, dtype=float)
        t = np.asarray(t, dtype=float)
        self.y, self.t = sigmoid(x), t
        loss = np.maximum(x, 0) - x * t + np.log1p(np.exp(-np.abs(x)))
        return float(np.sum(loss) / x.shape[0])

    def backward(self, dout=1.0):
        return (self.y - self.t) * (dout / self.y.shape[0])
'''),
]

# issue 10, item 3: a third correct implementation of each loss layer
CORRECT += [
    ("l4_softmax_cross_entropy", "PyTorch's cross_entropy with probability targets: scipy logsumexp, per-example mean", '''
from scipy.special import logsumexp

class SoftmaxWithLoss:
    def __init__(self):
        self.params, self.grads = [], []
        self.y = None
        self.t = None

    def forward(self, x, t):
        logits = np.asarray(x, dtype=np.float64)
        target = np.asarray(t)
        if target.ndim == 1:
            target = np.take(np.eye(logits.shape[1]), target, axis=0)
        target = target.astype(np.float64)
        row_sum = target.sum(axis=1)
        for n in range(len(target)):
            if row_sum[n] > 0:
                target[n] = target[n] / row_sum[n]
        log_p = logits - logsumexp(logits, axis=1, keepdims=True)
        self.y = np.exp(log_p)
        self.t = target
        per_example = -(target * log_p).sum(axis=1)
        return float(per_example.mean())

    def backward(self, dout=1.0):
        weight = self.t.sum(axis=1, keepdims=True)
        return dout * (self.y * weight - self.t) / len(self.t)
'''),
    ("l4_bce_with_logits", "log sigmoid(-x) written as log sigmoid(x) - x, mean of per-example sums", '''
class SigmoidWithLoss:
    def __init__(self):
        self.params, self.grads = [], []
        self.y = None
        self.t = None

    def forward(self, x, t):
        x = np.asarray(x, dtype=np.float64)
        t = np.asarray(t, dtype=np.float64)
        log_p = log_sigmoid(x)
        self.y = np.exp(log_p)
        self.t = t
        per_example = -(t * log_p + (1.0 - t) * (log_p - x)).sum(axis=1)
        return float(np.mean(per_example))

    def backward(self, dout=1.0):
        batch_size = self.t.shape[0]
        return (self.y - self.t) / batch_size * dout
'''),
]

# Found by attacking the grader: a loss that is tiny but linear has a gradient consistent with
# itself, which the gradient sub-check alone would reward.
BUGGY += [
    ("l4_softmax_cross_entropy", "a tiny linear loss whose gradient matches itself", '''
class SoftmaxWithLoss:
    def forward(self, x, t):
        self.shape = np.shape(x)
        return 1e-9 * float(np.sum(x))

    def backward(self, dout=1.0):
        return 1e-9 * dout * np.ones(self.shape)
'''),
    ("l4_bce_with_logits", "a tiny linear loss whose gradient matches itself", '''
class SigmoidWithLoss:
    def forward(self, x, t):
        self.shape = np.shape(x)
        return 1e-9 * float(np.sum(x))

    def backward(self, dout=1.0):
        return 1e-9 * dout * np.ones(self.shape)
'''),
]
