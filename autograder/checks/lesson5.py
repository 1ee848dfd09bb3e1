"""Visible checks of lesson 5 (focal loss). Small literal values and numerical gradients only:
this module ships to students, who do not have ``anime_genre``."""
from __future__ import annotations

import numpy as np

from autograder.core import call, exercise, readonly

# Two examples, three genres, used by several checks. Expected values below were computed
# with the formulas of the lesson in float64. All read-only, so that a function under test
# run in this process cannot change them for the checks after it.
X = readonly([[1.0, -2.0, 0.5], [0.0, 1.5, -0.5]])
T = readonly([[1, 0, 0], [0, 1, 1]])
ALPHA_K = readonly([0.1, 0.5, 0.9])

BCE = 1.6414520627320535          # gamma = 0, no alpha: plain binary cross-entropy
FOCAL_G2 = 0.47963723206454456    # gamma = 2
FOCAL_G2_A25 = 0.25803479772479526
FOCAL_G05 = 1.1597258346076629
GRAD_G2 = readonly([[-0.026290564988780313, 0.002435470097696382, 0.26307591093729155],
                    [0.14914339756999317, -0.008515552611617964, -0.26307591093729155]])
GRAD_G2_A25 = readonly([[-0.006572641247195078, 0.0018266025732722867, 0.19730693320296866],
                        [0.11185754817749488, -0.002128888152904491, -0.06576897773432289]])
GRAD_BCE = readonly([[-0.13447071068499755, 0.059601461011058766, 0.3112296656009273],
                     [0.25, -0.09121276190317817, -0.3112296656009273]])

# Small logits for numerical gradients: no gradient is tiny there, so central differences of
# the summed loss are accurate to ~1e-9 relative.
XG = readonly([[0.3, -0.8, 0.9, -0.1], [-0.6, 0.2, 0.05, 0.7], [0.4, 0.6, -0.9, -0.3]])
TG = readonly([[1, 0, 1, 0], [0, 0, 1, 1], [1, 1, 0, 0]])


@exercise("l5_alpha_weights", points=2, reference="anime_genre.losses:alpha_weights")
def check_alpha_weights(c, alpha_weights):
    c.close(call(alpha_weights, T, 0.25), [[0.25, 0.75, 0.75], [0.75, 0.25, 0.25]],
            "alpha = 0.25: 0.25 on positives, 0.75 on negatives",
            hint="alpha_t = alpha * t + (1 - alpha) * (1 - t)")
    with c.properties():    # all ones: what np.ones_like(t) answers to everything
        c.close(call(alpha_weights, T, None), np.ones((2, 3)), "alpha = None gives all ones",
                hint="no balancing: every weight is 1 (same shape as t)")
    c.close(call(alpha_weights, T, ALPHA_K), [[0.1, 0.5, 0.1], [0.9, 0.5, 0.9]],
            "one alpha per genre [0.1, 0.5, 0.9] broadcasts over the rows",
            hint="a (K,) alpha multiplies each column: numpy broadcasting does it")
    with c.properties():
        c.close(call(alpha_weights, np.array([[1, 0]]), None), [[1.0, 1.0]],
                "integer targets, alpha None: a float array", dtype="floating", kind=np.ndarray,
                hint="np.ones(t.shape) is float")
    c.close(call(alpha_weights, np.array([[1, 0]]), 0.3), [[0.3, 0.7]], "integer targets give float weights",
            dtype="floating", hint="convert t to float before mixing it with alpha")


@exercise("l5_focal_forward", points=3, reference="anime_genre.losses:focal_forward")
def check_focal_forward(c, focal_forward):
    c.close(call(focal_forward, X, T, 0.0), BCE, "gamma = 0 is binary cross-entropy",
            hint="with gamma = 0, (1 - p_t)^0 = 1: -log p_t summed over genres, mean over examples")
    c.close(call(focal_forward, X, T, 2.0), FOCAL_G2, "gamma = 2",
            hint="-(1 - p_t)^gamma log p_t with p_t = sigmoid(x) for positives, sigmoid(-x) for negatives")
    c.close(call(focal_forward, X, T, 0.5), FOCAL_G05, "gamma = 0.5")
    c.close(call(focal_forward, X, T, 2.0, 0.25), FOCAL_G2_A25, "gamma = 2, alpha = 0.25",
            hint="multiply each term by alpha_weights(t, alpha)")
    c.close(call(focal_forward, np.vstack([X, X]), np.vstack([T, T]), 2.0), FOCAL_G2,
            "the same batch twice has the same loss (mean over examples)",
            hint="divide the sum by N, the number of examples (rows)")
    c.true(call(lambda: isinstance(focal_forward(X, T, 2.0), float)), "returns a Python float",
           "the result is not a float (an array, or a numpy float32?).", hint="return float(loss)")
    c.close(call(focal_forward, np.array([[1000.0, -1000.0]]), np.array([[1, 0]]), 2.0), 0.0,
            "logits +-1000, right answers: loss ~ 0", atol=1e-12,
            hint="log p_t = log_sigmoid(s x) with s = 2t - 1; never log(0)")
    c.close(call(focal_forward, np.array([[-1000.0, 1000.0]]), np.array([[1, 0]]), 2.0), 2000.0, "logits +-1000, wrong answers: loss 2000, not inf", rtol=1e-9,
            hint="(1 - p_t)^gamma = exp(gamma * log_sigmoid(-s x)) stays finite")


@exercise("l5_focal_backward", points=4, reference="anime_genre.losses:focal_backward")
def check_focal_backward(c, focal_backward):
    c.close(call(focal_backward, X, T, 0.0), GRAD_BCE, "gamma = 0: (sigmoid(x) - t) / N",
            hint="with gamma = 0 the focal gradient reduces to the BCE gradient")
    c.close(call(focal_backward, X, T, 2.0), GRAD_G2, "gamma = 2",
            hint="dl/dz = alpha_t (1-p_t)^gamma (gamma p_t log p_t - (1 - p_t)), dl/dx = s dl/dz, / N")
    c.close(call(focal_backward, X, T, 2.0, 0.25), GRAD_G2_A25, "gamma = 2, alpha = 0.25")
    for gamma in (0.5, 2.0, 5.0):
        for alpha in (None, 0.25):
            c.grad_check(lambda z, g=gamma, a=alpha: _forward(z, TG, g, a), XG,
                         call(focal_backward, XG, TG, gamma, alpha),
                         f"gamma = {gamma}, alpha = {alpha}: matches the numerical gradient",
                         tol=1e-6, nonzero=True, hint="check the sign s = 2t - 1 and the 1/N")
    c.close(call(focal_backward, X, T, 2.0, None, 3.0), 3 * GRAD_G2, "dout=3.0 triples the gradient",
            hint="multiply by dout at the end")
    c.close(call(focal_backward, np.array([[1000.0, -1000.0], [-1000.0, 1000.0]]), np.array([[1, 0], [1, 0]]), 0.5),
            [[0.0, 0.0], [-0.5, 0.5]], "logits +-1000 with gamma = 0.5: finite, right limits",
            atol=1e-12, hint="compute 1 - p_t as sigmoid(-z) and (1 - p_t)^gamma as exp(gamma log(1 - p_t))")


def _forward(x, t, gamma, alpha):
    """The loss the numerical gradient differentiates: the lesson's own formula, so that the
    gradient check does not depend on the student's forward."""
    s = 2 * t - 1
    z = s * x
    log_p = -np.logaddexp(0, -z)
    q = np.exp(-np.logaddexp(0, z))
    a = 1.0 if alpha is None else alpha * t + (1 - alpha) * (1 - t)
    return float(-(a * q ** gamma * log_p).sum() / x.shape[0])


@exercise("l5_focal_loss", points=2, reference="anime_genre.losses:FocalLoss")
def check_focal_loss(c, FocalLoss):
    c.close(call(lambda: FocalLoss(2.0).forward(X, T)), FOCAL_G2, "FocalLoss(2.0).forward",
            hint="forward can return focal_forward(x, t, self.gamma, self.alpha)")
    c.close(call(_fb, FocalLoss, (2.0,), None), GRAD_G2, "backward() after that forward",
            hint="remember x and t in forward; backward returns focal_backward(...) times dout")
    c.close(call(_fb, FocalLoss, (2.0,), 3.0), 3 * GRAD_G2, "backward(dout=3.0) triples the gradient",
            hint="multiply the gradient by dout")   # 3, not N = 2: see lesson 4
    c.close(call(lambda: FocalLoss(2.0, 0.25).forward(X, T)), FOCAL_G2_A25, "FocalLoss(2.0, alpha=0.25).forward")
    c.close(call(_fb, FocalLoss, (2.0, 0.25), None), GRAD_G2_A25, "its backward()")
    c.close(call(lambda: FocalLoss(0.0).forward(X, T)), BCE, "FocalLoss(0.0) is binary cross-entropy")
    c.close(call(_fb, FocalLoss, (0.0,), None), GRAD_BCE, "and so is its gradient")
    c.close(call(lambda: FocalLoss().forward(X, T)), FOCAL_G2, "the defaults are gamma = 2, alpha = None")


def _fb(cls, args, dout):
    """backward (with dout, or without it for None) of cls(*args) after forward(X, T)."""
    layer = cls(*args)
    layer.forward(X, T)
    return layer.backward() if dout is None else layer.backward(dout)
