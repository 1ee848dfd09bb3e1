"""Hidden checks of lesson 5: the reference focal loss on inputs the student never saw.

The reference runs first, on inputs that the student's code then receives: expected values
never depend on what a student function might do to its arguments."""
from __future__ import annotations

import numpy as np

from anime_genre import losses as ref
from autograder.core import call, hidden, hidden_rng


def _cases(salt: int):
    """(label, x, t): logits (N, K) and 0/1 targets (N, K), float; large logits included."""
    rng = hidden_rng(salt)
    for n, k in ((1, 6), (5, 4), (8, 41)):
        x = rng.normal(size=(n, k)) * 3
        t = (rng.random((n, k)) < 0.3).astype(float)
        yield f"{n} x {k}", x, t
    x = rng.uniform(-700, 700, size=(4, 5))
    t = (rng.random((4, 5)) < 0.5).astype(float)
    yield "4 x 5 with logits up to +-700", x, t
    x = np.array([[30.0, -30.0, 29.5], [-30.0, 30.0, 0.2]])
    yield "logits near +-30", x, np.array([[1, 0, 0], [1, 0, 1]])


SETTINGS = ((0.0, None), (0.5, None), (2.0, 0.25), (5.0, "per-genre"))


def _alpha(alpha, k, salt):
    """The alpha argument: None, a scalar, or for "per-genre" a random (k,) array."""
    if alpha == "per-genre":
        return hidden_rng(salt).uniform(0.05, 0.95, size=k)
    return alpha


@hidden("l5_alpha_weights")
def hidden_alpha_weights(c, alpha_weights):
    for label, _, t in _cases(51):
        for alpha in (None, 0.7, "per-genre"):
            a = _alpha(alpha, t.shape[1], 52)
            expected = ref.alpha_weights(t, a)
            with c.properties(when=alpha is None):
                c.close(call(alpha_weights, t.copy(), a), expected,
                        f"alpha_weights on {label}, alpha {alpha}", rtol=1e-12)


@hidden("l5_focal_forward")
def hidden_focal_forward(c, focal_forward):
    for label, x, t in _cases(53):
        for gamma, alpha in SETTINGS:
            a = _alpha(alpha, x.shape[1], 54)
            expected = ref.focal_forward(x, t, gamma, a)
            c.close(call(focal_forward, x.copy(), t.copy(), gamma, a), expected,
                    f"focal_forward on {label}, gamma {gamma}, alpha {alpha}", rtol=1e-9, atol=1e-12)


@hidden("l5_focal_backward")
def hidden_focal_backward(c, focal_backward):
    for label, x, t in _cases(55):
        for (gamma, alpha), dout in zip(SETTINGS, (1.0, 0.5, 2.0, 1.0)):
            a = _alpha(alpha, x.shape[1], 56)
            expected = ref.focal_backward(x, t, gamma, a, dout)
            c.close(call(focal_backward, x.copy(), t.copy(), gamma, a, dout), expected,
                    f"focal_backward on {label}, gamma {gamma}, alpha {alpha}, dout {dout}", rtol=1e-8, atol=1e-14)


@hidden("l5_focal_loss")
def hidden_focal_loss(c, FocalLoss):
    for label, x, t in _cases(57):
        for gamma, alpha in SETTINGS:
            a = _alpha(alpha, x.shape[1], 58)
            mine = ref.FocalLoss(gamma, a)
            loss = mine.forward(x, t)
            grad = mine.backward(1.5)
            c.close(call(lambda: FocalLoss(gamma, a).forward(x.copy(), t.copy())), loss,
                    f"FocalLoss({gamma}, {alpha}).forward on {label}", rtol=1e-9, atol=1e-12)
            c.close(call(_fb, FocalLoss, gamma, a, x, t), grad,
                    f"FocalLoss({gamma}, {alpha}).backward(1.5) on {label}", rtol=1e-8, atol=1e-14)


def _fb(cls, gamma, alpha, x, t):
    layer = cls(gamma, alpha)
    layer.forward(x.copy(), t.copy())
    return layer.backward(1.5)
