"""Lesson 5 (focal loss): the original project's missing 1/N, the focal loss as other code
writes it (torchvision's sigmoid_focal_loss formula in numpy, the RetinaNet paper's p_t
form with clipping, a logsumexp form) and realistic mistakes."""
from grader_cases import mutate

BUGGY = [
    ("l5_focal_backward", "focal-loss backward without 1/N (the original project's bug)",
     mutate(("return s * dz * (dout / n)", "return s * dz * dout"))),
    # --- alpha_weights
    ("l5_alpha_weights", "alpha and 1 - alpha swapped", '''
def alpha_weights(t, alpha=None):
    t = np.asarray(t, dtype=float)
    if alpha is None:
        return np.ones_like(t)
    return (1 - alpha) * t + alpha * (1 - t)
'''),
    ("l5_alpha_weights", "alpha None gives zeros", '''
def alpha_weights(t, alpha=None):
    t = np.asarray(t, dtype=float)
    a = 0.0 if alpha is None else np.asarray(alpha, dtype=float)
    return a * t + (1 - a) * (1 - t) if alpha is not None else np.zeros_like(t)
'''),
    ("l5_alpha_weights", "per-genre alpha broadcast over the rows (reshape(-1, 1))", '''
def alpha_weights(t, alpha=None):
    t = np.asarray(t, dtype=float)
    if alpha is None:
        return np.ones_like(t)
    a = np.asarray(alpha, dtype=float)
    if a.ndim:
        a = np.resize(a, t.shape[0]).reshape(-1, 1)
    return a * t + (1 - a) * (1 - t)
'''),
    ("l5_alpha_weights", "integer targets kept: int weights", '''
def alpha_weights(t, alpha=None):
    t = np.asarray(t)
    if alpha is None:
        return np.ones(t.shape, dtype=t.dtype)
    return np.where(t == 1, alpha, 1 - alpha)
'''),
    ("l5_alpha_weights", "alpha only on positives, 1 on negatives", '''
def alpha_weights(t, alpha=None):
    t = np.asarray(t, dtype=float)
    if alpha is None:
        return np.ones_like(t)
    return np.where(t == 1, alpha, 1.0) * np.ones_like(t)
'''),
    # --- focal_forward
    ("l5_focal_forward", "sum over the batch (no 1/N)", '''
def focal_forward(x, t, gamma=2.0, alpha=None):
    s = 2 * t - 1
    log_p = -np.logaddexp(0, -s * x)
    q = np.exp(-np.logaddexp(0, s * x))
    return float(-(alpha_weights(t, alpha) * q ** gamma * log_p).sum())
'''),
    ("l5_focal_forward", "mean over every element (N * K)", '''
def focal_forward(x, t, gamma=2.0, alpha=None):
    s = 2 * t - 1
    log_p = -np.logaddexp(0, -s * x)
    q = np.exp(-np.logaddexp(0, s * x))
    return float(-(alpha_weights(t, alpha) * q ** gamma * log_p).mean())
'''),
    ("l5_focal_forward", "naive log(sigmoid): inf for large logits", '''
def focal_forward(x, t, gamma=2.0, alpha=None):
    with np.errstate(all="ignore"):
        p = 1 / (1 + np.exp(-x))
        p_t = np.where(t == 1, p, 1 - p)
        loss = -alpha_weights(t, alpha) * (1 - p_t) ** gamma * np.log(p_t)
    return float(loss.sum() / x.shape[0])
'''),
    ("l5_focal_forward", "p_t ** gamma instead of (1 - p_t) ** gamma", '''
def focal_forward(x, t, gamma=2.0, alpha=None):
    s = 2 * t - 1
    log_p = -np.logaddexp(0, -s * x)
    return float(-(alpha_weights(t, alpha) * np.exp(gamma * log_p) * log_p).sum() / x.shape[0])
'''),
    ("l5_focal_forward", "alpha ignored", '''
def focal_forward(x, t, gamma=2.0, alpha=None):
    s = 2 * t - 1
    log_p = -np.logaddexp(0, -s * x)
    q = np.exp(-np.logaddexp(0, s * x))
    return float(-(q ** gamma * log_p).sum() / x.shape[0])
'''),
    ("l5_focal_forward", "logits clipped at +-500: the loss of a logit of -1000 becomes 500", '''
def focal_forward(x, t, gamma=2.0, alpha=None):
    x = np.clip(np.asarray(x, dtype=float), -500, 500)
    t = np.asarray(t, dtype=float)
    s = 2 * t - 1
    log_pt = -np.logaddexp(0, -s * x)
    one_minus_pt = -np.expm1(log_pt)
    loss = -alpha_weights(t, alpha) * one_minus_pt ** gamma * log_pt
    return float(loss.sum() / x.shape[0])
'''),
    # --- focal_backward
    ("l5_focal_backward", "the gamma term's sign flipped", '''
def focal_backward(x, t, gamma=2.0, alpha=None, dout=1.0):
    s = 2 * t - 1
    z = s * x
    log_p = -np.logaddexp(0, -z)
    p = np.exp(log_p)
    q = np.exp(-np.logaddexp(0, z))
    dz = alpha_weights(t, alpha) * q ** gamma * (-gamma * p * log_p - q)
    return s * dz * (dout / x.shape[0])
'''),
    ("l5_focal_backward", "the BCE gradient scaled by (1 - p_t)^gamma (modulating factor treated as constant)", '''
def focal_backward(x, t, gamma=2.0, alpha=None, dout=1.0):
    s = 2 * t - 1
    q = np.exp(-np.logaddexp(0, s * x))
    sig = np.exp(-np.logaddexp(0, -x))
    return alpha_weights(t, alpha) * q ** gamma * (sig - t) * (dout / x.shape[0])
'''),
    ("l5_focal_backward", "s missing: the gradient's sign wrong on negatives", '''
def focal_backward(x, t, gamma=2.0, alpha=None, dout=1.0):
    s = 2 * t - 1
    z = s * x
    log_p = -np.logaddexp(0, -z)
    p = np.exp(log_p)
    q = np.exp(-np.logaddexp(0, z))
    return alpha_weights(t, alpha) * q ** gamma * (gamma * p * log_p - q) * (dout / x.shape[0])
'''),
    ("l5_focal_backward", "dout ignored", '''
def focal_backward(x, t, gamma=2.0, alpha=None, dout=1.0):
    s = 2 * t - 1
    z = s * x
    log_p = -np.logaddexp(0, -z)
    p = np.exp(log_p)
    q = np.exp(-np.logaddexp(0, z))
    return s * alpha_weights(t, alpha) * q ** gamma * (gamma * p * log_p - q) / x.shape[0]
'''),
    ("l5_focal_backward", "naive sigmoid and log: nan for large logits", '''
def focal_backward(x, t, gamma=2.0, alpha=None, dout=1.0):
    with np.errstate(all="ignore"):
        s = 2 * t - 1
        p = 1 / (1 + np.exp(-s * x))
        q = 1 - p
        g = s * alpha_weights(t, alpha) * q ** gamma * (gamma * p * np.log(p) - q)
    return g * (dout / x.shape[0])
'''),
    # --- FocalLoss
    ("l5_focal_loss", "backward ignores dout", '''
class FocalLoss:
    def __init__(self, gamma=2.0, alpha=None):
        self.params, self.grads = [], []
        self.gamma = float(gamma)
        self.alpha = None if alpha is None else np.asarray(alpha, dtype=np.float64)
        self.x = self.t = None

    def forward(self, x, t):
        self.x, self.t = x, t
        return focal_forward(x, t, self.gamma, self.alpha)

    def backward(self, dout=1.0):
        return focal_backward(self.x, self.t, self.gamma, self.alpha)
'''),
    ("l5_focal_loss", "alpha dropped in backward", '''
class FocalLoss:
    def __init__(self, gamma=2.0, alpha=None):
        self.params, self.grads = [], []
        self.gamma = float(gamma)
        self.alpha = None if alpha is None else np.asarray(alpha, dtype=np.float64)
        self.x = self.t = None

    def forward(self, x, t):
        self.x, self.t = x, t
        return focal_forward(x, t, self.gamma, self.alpha)

    def backward(self, dout=1.0):
        return focal_backward(self.x, self.t, self.gamma, None, dout)
'''),
    ("l5_focal_loss", "gamma fixed at 2", '''
class FocalLoss:
    def __init__(self, gamma=2.0, alpha=None):
        self.params, self.grads = [], []
        self.gamma = 2.0
        self.alpha = None if alpha is None else np.asarray(alpha, dtype=np.float64)
        self.x = self.t = None

    def forward(self, x, t):
        self.x, self.t = x, t
        return focal_forward(x, t, self.gamma, self.alpha)

    def backward(self, dout=1.0):
        return focal_backward(self.x, self.t, self.gamma, self.alpha, dout)
'''),
    ("l5_focal_loss", "forward returns the summed loss", '''
class FocalLoss:
    def __init__(self, gamma=2.0, alpha=None):
        self.params, self.grads = [], []
        self.gamma = float(gamma)
        self.alpha = None if alpha is None else np.asarray(alpha, dtype=np.float64)
        self.x = self.t = None

    def forward(self, x, t):
        self.x, self.t = x, t
        return focal_forward(x, t, self.gamma, self.alpha) * x.shape[0]

    def backward(self, dout=1.0):
        return focal_backward(self.x, self.t, self.gamma, self.alpha, dout)
'''),
    ("l5_focal_loss", "backward of the BCE, not of the focal loss", '''
class FocalLoss:
    def __init__(self, gamma=2.0, alpha=None):
        self.params, self.grads = [], []
        self.gamma = float(gamma)
        self.alpha = None if alpha is None else np.asarray(alpha, dtype=np.float64)
        self.x = self.t = None

    def forward(self, x, t):
        self.x, self.t = x, t
        return focal_forward(x, t, self.gamma, self.alpha)

    def backward(self, dout=1.0):
        return focal_backward(self.x, self.t, 0.0, self.alpha, dout)
'''),
]

CORRECT = [
    ("l5_alpha_weights", "np.where on the targets", '''
def alpha_weights(t, alpha=None):
    t = np.asarray(t)
    if alpha is None:
        return np.ones(t.shape)
    alpha = np.asarray(alpha, dtype=float)
    return np.where(t == 1, alpha, 1.0 - alpha).astype(float)
'''),
    ("l5_alpha_weights", "torchvision formula alpha * t + (1 - alpha) * (1 - t)", '''
def alpha_weights(t, alpha=None):
    targets = np.asarray(t, dtype=np.float64)
    if alpha is None:
        return np.ones_like(targets)
    alpha_t = alpha * targets + (1 - alpha) * (1 - targets)
    return np.asarray(alpha_t, dtype=np.float64)
'''),
    ("l5_alpha_weights", "broadcast to the full shape explicitly", '''
def alpha_weights(t, alpha=None):
    t = np.asarray(t, dtype=float)
    if alpha is None:
        return np.full(t.shape, 1.0)
    a = np.broadcast_to(np.asarray(alpha, dtype=float), t.shape)
    return t * a + (1 - t) * (1 - a)
'''),
    ("l5_focal_forward", "RetinaNet p_t form with log_sigmoid by cases", '''
def focal_forward(x, t, gamma=2.0, alpha=None):
    x = np.asarray(x, dtype=float)
    t = np.asarray(t, dtype=float)
    z = (2 * t - 1) * x
    log_pt = np.where(z >= 0, -np.log1p(np.exp(-np.abs(z))), z - np.log1p(np.exp(-np.abs(z))))
    one_minus_pt = -np.expm1(log_pt)
    loss = -alpha_weights(t, alpha) * one_minus_pt ** gamma * log_pt
    return float(loss.sum() / x.shape[0])
'''),
    ("l5_focal_forward", "torchvision sigmoid_focal_loss in numpy: BCE-with-logits times the modulating factor", '''
def focal_forward(x, t, gamma=2.0, alpha=None):
    t = np.asarray(t, dtype=float)
    ce = np.maximum(x, 0) - x * t + np.log1p(np.exp(-np.abs(x)))
    p = np.where(x >= 0, 1 / (1 + np.exp(-np.abs(x))), np.exp(-np.abs(x)) / (1 + np.exp(-np.abs(x))))
    p_t = p * t + (1 - p) * (1 - t)
    modulating = np.exp(gamma * -np.logaddexp(0, (2 * t - 1) * x)) if gamma else 1.0
    loss = ce * modulating
    if alpha is not None:
        loss = alpha_weights(t, alpha) * loss
    return float(np.sum(loss) / len(x))
'''),
    ("l5_focal_forward", "a loop over examples with math functions", '''
import math

def focal_forward(x, t, gamma=2.0, alpha=None):
    x = np.asarray(x, dtype=float)
    t = np.asarray(t, dtype=float)
    a = alpha_weights(t, alpha)
    total = 0.0
    for i in range(x.shape[0]):
        for k in range(x.shape[1]):
            z = x[i, k] if t[i, k] == 1 else -x[i, k]
            log_p = -(math.log1p(math.exp(-z)) if z > 0 else -z + math.log1p(math.exp(z)))
            log_q = -(math.log1p(math.exp(z)) if z < 0 else z + math.log1p(math.exp(-z)))
            total -= a[i, k] * math.exp(gamma * log_q) * log_p
    return total / x.shape[0]
'''),
    ("l5_focal_backward", "chain rule through p_t written out with sigmoid(z)", '''
def focal_backward(x, t, gamma=2.0, alpha=None, dout=1.0):
    t = np.asarray(t, dtype=float)
    s = 2.0 * t - 1.0
    z = s * x
    log_pt = -np.logaddexp(0, -z)
    pt = np.exp(log_pt)
    one_minus = np.exp(-np.logaddexp(0, z))
    d_loss_d_z = alpha_weights(t, alpha) * (gamma * one_minus ** gamma * pt * log_pt - one_minus ** (gamma + 1))
    return d_loss_d_z * s * dout / x.shape[0]
'''),
    ("l5_focal_backward", "gamma = 0 handled apart, exp/log for the power", '''
def focal_backward(x, t, gamma=2.0, alpha=None, dout=1.0):
    t = np.asarray(t, dtype=float)
    n = x.shape[0]
    s = 2 * t - 1
    z = s * x
    log_p = -np.logaddexp(0.0, -z)
    log_q = -np.logaddexp(0.0, z)
    q = np.exp(log_q)
    if gamma == 0:
        grad = -q
    else:
        grad = np.exp(gamma * log_q) * (gamma * np.exp(log_p) * log_p - q)
    return s * alpha_weights(t, alpha) * grad * (dout / n)
'''),
    ("l5_focal_backward", "clipped logits (+-500): finite and accurate enough", '''
def focal_backward(x, t, gamma=2.0, alpha=None, dout=1.0):
    x = np.clip(np.asarray(x, dtype=float), -500.0, 500.0)
    t = np.asarray(t, dtype=float)
    s = 2 * t - 1
    p = 1.0 / (1.0 + np.exp(-s * x))
    q = 1.0 / (1.0 + np.exp(s * x))
    log_p = -np.logaddexp(0, -s * x)
    g = s * alpha_weights(t, alpha) * q ** gamma * (gamma * p * log_p - q)
    return g / x.shape[0] * dout
'''),
    ("l5_focal_loss", "stores alpha_t and the modulating factor", '''
class FocalLoss:
    def __init__(self, gamma=2.0, alpha=None):
        self.params, self.grads = [], []
        self.gamma = float(gamma)
        self.alpha = None if alpha is None else np.asarray(alpha, dtype=np.float64)
        self.cache = None

    def forward(self, x, t):
        x = np.asarray(x, dtype=float)
        t = np.asarray(t, dtype=float)
        self.cache = (x.copy(), t.copy())
        return focal_forward(x, t, gamma=self.gamma, alpha=self.alpha)

    def backward(self, dout=1.0):
        x, t = self.cache
        return focal_backward(x, t, gamma=self.gamma, alpha=self.alpha) * dout
'''),
    ("l5_focal_loss", "its own formulas, no helper functions", '''
class FocalLoss:
    def __init__(self, gamma=2.0, alpha=None):
        self.params, self.grads = [], []
        self.gamma = float(gamma)
        self.alpha = None if alpha is None else np.asarray(alpha, dtype=np.float64)

    def _parts(self, x, t):
        s = 2 * t - 1
        a = np.ones_like(x) if self.alpha is None else self.alpha * t + (1 - self.alpha) * (1 - t)
        return s, a, -np.logaddexp(0, -s * x), np.exp(-np.logaddexp(0, s * x))

    def forward(self, x, t):
        self.x, self.t = np.asarray(x, dtype=float), np.asarray(t, dtype=float)
        s, a, log_p, q = self._parts(self.x, self.t)
        return float(-(a * q ** self.gamma * log_p).sum() / len(self.x))

    def backward(self, dout=1.0):
        s, a, log_p, q = self._parts(self.x, self.t)
        g = s * a * q ** self.gamma * (self.gamma * np.exp(log_p) * log_p - q)
        return g * dout / len(self.x)
'''),
    ("l5_focal_loss", "forward keeps the gradient for backward", '''
class FocalLoss:
    def __init__(self, gamma=2.0, alpha=None):
        self.params, self.grads = [], []
        self.gamma = float(gamma)
        self.alpha = None if alpha is None else np.asarray(alpha, dtype=np.float64)
        self.dx = None

    def forward(self, x, t):
        self.dx = focal_backward(x, t, self.gamma, self.alpha)
        return focal_forward(x, t, self.gamma, self.alpha)

    def backward(self, dout=1.0):
        return self.dx * dout
'''),
]
