"""Hidden checks of lesson 4: the reference package on inputs the student never saw.

The reference runs first, on inputs that the student's code then receives: expected values
never depend on what a student function might do to its arguments."""
from __future__ import annotations

import numpy as np

from anime_genre import functions as ref
from anime_genre import losses as ref_losses
from autograder.core import call, hidden, hidden_rng


def _cases(salt: int):
    """(label, x): logits of a few shapes, some large enough to overflow a naive exp."""
    rng = hidden_rng(salt)
    yield "random (7,)", rng.normal(size=7) * 3
    yield "random (5, 4)", rng.normal(size=(5, 4)) * 5
    yield "large logits (3, 6) in [-800, 800]", rng.uniform(-800, 800, size=(3, 6))
    yield "one example (1, 9)", rng.normal(size=(1, 9))


@hidden("l4_sigmoid")
def hidden_sigmoid(c, sigmoid):
    for label, x in _cases(41):
        expected = ref.sigmoid(x)
        # probabilities: an absolute error at float64 resolution (1e-15) is not a mistake
        c.close(call(sigmoid, x), expected, f"sigmoid on {label}", rtol=1e-10, atol=1e-15)
    x32 = np.linspace(-50, 50, 11).astype(np.float32)
    expected = ref.sigmoid(x32).astype(np.float64)
    c.close(call(sigmoid, x32), expected, "sigmoid on float32 input", rtol=1e-6, atol=1e-15)


@hidden("l4_log_sigmoid")
def hidden_log_sigmoid(c, log_sigmoid):
    for label, x in _cases(42):
        expected = ref.log_sigmoid(x)
        c.close(call(log_sigmoid, x), expected, f"log_sigmoid on {label}", rtol=1e-10, atol=1e-12)


@hidden("l4_softmax")
def hidden_softmax(c, softmax):
    for label, x in _cases(43):
        expected = ref.softmax(x)
        c.close(call(softmax, x), expected, f"softmax on {label}", rtol=1e-10, atol=1e-15)
    x = np.array([[3.0, 3.0, 3.0, 3.0]])
    c.close(call(softmax, x), [[0.25] * 4], "softmax of a constant row")


def _loss_cases(salt: int):
    """(label, x, t): logits (N, K) and 0/1 targets (N, K), float."""
    rng = hidden_rng(salt)
    for n, k in ((1, 5), (6, 4), (3, 8)):
        x = rng.normal(size=(n, k)) * 2
        t = (rng.random((n, k)) < 0.35).astype(float)
        t[np.arange(n), rng.integers(0, k, size=n)] = 1.0   # every row has a genre: never a
        yield f"{n} x {k}", x, t                            # case a constant 0 gets right
    x = rng.uniform(-700, 700, size=(4, 5))
    t = (rng.random((4, 5)) < 0.5).astype(float)
    yield "4 x 5 with logits up to +-700", x, t


def _reference(layer, x, t, dout=1.0):
    """(loss, gradient) of a reference loss layer on x, t."""
    loss = layer.forward(x, t)
    return loss, layer.backward(dout)


@hidden("l4_softmax_cross_entropy")
def hidden_softmax_with_loss(c, SoftmaxWithLoss):
    for label, x, t in _loss_cases(44):
        if len(t) > 1:
            t[0] = 0.0                  # an all-zero target row contributes nothing
        loss, grad = _reference(ref_losses.SoftmaxWithLoss(), x, t)
        c.close(call(lambda: SoftmaxWithLoss().forward(x, t)), loss, f"forward on {label}", rtol=1e-9)
        c.close(call(_fb, SoftmaxWithLoss, x, t), grad, f"backward on {label}", rtol=1e-8, atol=1e-14)
    idx = np.array([0, 3, 1])
    x = hidden_rng(45).normal(size=(3, 4))
    loss, grad = _reference(ref_losses.SoftmaxWithLoss(), x, idx, dout=2.5)
    c.close(call(lambda: SoftmaxWithLoss().forward(x.copy(), idx.copy())), loss, "forward with class indices",
            rtol=1e-9)
    c.close(call(_fb, SoftmaxWithLoss, x, idx, 2.5), grad, "backward(dout=2.5) scales the gradient", rtol=1e-9)


@hidden("l4_bce_with_logits")
def hidden_sigmoid_with_loss(c, SigmoidWithLoss):
    for label, x, t in _loss_cases(46):
        loss, grad = _reference(ref_losses.SigmoidWithLoss(), x, t)
        c.close(call(lambda: SigmoidWithLoss().forward(x, t)), loss, f"forward on {label}", rtol=1e-9)
        c.close(call(_fb, SigmoidWithLoss, x, t), grad, f"backward on {label}", rtol=1e-8, atol=1e-14)
    x = hidden_rng(47).normal(size=(2, 3))
    t = np.array([[1, 0, 0], [0, 1, 1]])
    _, grad = _reference(ref_losses.SigmoidWithLoss(), x, t, dout=0.5)
    c.close(call(_fb, SigmoidWithLoss, x, t, 0.5), grad, "backward(dout=0.5) scales the gradient", rtol=1e-9)


def _fb(cls, x, t, dout=None):
    """backward() (or backward(dout)) of a fresh student layer after forward(x, t)."""
    layer = cls()
    layer.forward(x, t)
    return layer.backward() if dout is None else layer.backward(dout)
