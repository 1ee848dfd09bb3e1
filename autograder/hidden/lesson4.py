"""Hidden checks of lesson 4: the reference package on inputs the student never saw."""
from __future__ import annotations

import numpy as np

from anime_genre import functions as ref
from anime_genre import losses as ref_losses
from autograder.core import hidden


def _cases(seed: int):
    rng = np.random.default_rng(seed)
    yield "random (7,)", rng.normal(size=7) * 3
    yield "random (5, 4)", rng.normal(size=(5, 4)) * 5
    yield "large logits (3, 6) in [-800, 800]", rng.uniform(-800, 800, size=(3, 6))
    yield "one example (1, 9)", rng.normal(size=(1, 9))


@hidden("l4_sigmoid")
def hidden_sigmoid(c, sigmoid):
    for label, x in _cases(41):
        # probabilities: an absolute error at float64 resolution (1e-15) is not a mistake
        c.close(sigmoid(x), ref.sigmoid(x), f"sigmoid on {label}", rtol=1e-10, atol=1e-15)
    x32 = np.linspace(-50, 50, 11).astype(np.float32)
    c.close(sigmoid(x32), ref.sigmoid(x32).astype(np.float64), "sigmoid on float32 input",
            rtol=1e-6, atol=1e-15)


@hidden("l4_log_sigmoid")
def hidden_log_sigmoid(c, log_sigmoid):
    for label, x in _cases(42):
        c.close(log_sigmoid(x), ref.log_sigmoid(x), f"log_sigmoid on {label}", rtol=1e-10, atol=1e-12)


@hidden("l4_softmax")
def hidden_softmax(c, softmax):
    for label, x in _cases(43):
        c.close(softmax(x), ref.softmax(x), f"softmax on {label}", rtol=1e-10, atol=1e-300)
    x = np.array([[3.0, 3.0, 3.0, 3.0]])
    c.close(softmax(x), [[0.25] * 4], "softmax of a constant row")


def _loss_cases(seed: int):
    rng = np.random.default_rng(seed)
    for n, k in ((1, 5), (6, 4), (3, 8)):
        x = rng.normal(size=(n, k)) * 2
        t = (rng.random((n, k)) < 0.35).astype(float)
        yield f"{n} x {k}", x, t
    x = rng.uniform(-700, 700, size=(4, 5))
    t = (rng.random((4, 5)) < 0.5).astype(float)
    yield "4 x 5 with logits up to +-700", x, t


@hidden("l4_softmax_cross_entropy")
def hidden_softmax_with_loss(c, SoftmaxWithLoss):
    for label, x, t in _loss_cases(44):
        t = t.copy()
        t[0] = 0.0                      # an all-zero target row contributes nothing
        theirs, mine = SoftmaxWithLoss(), ref_losses.SoftmaxWithLoss()
        c.close(theirs.forward(x, t), mine.forward(x, t), f"forward on {label}", rtol=1e-9)
        c.close(theirs.backward(), mine.backward(), f"backward on {label}", rtol=1e-8, atol=1e-14)
    idx = np.array([0, 3, 1])
    x = np.random.default_rng(45).normal(size=(3, 4))
    c.close(SoftmaxWithLoss().forward(x, idx), ref_losses.SoftmaxWithLoss().forward(x, idx),
            "forward with class indices", rtol=1e-9)
    theirs, mine = SoftmaxWithLoss(), ref_losses.SoftmaxWithLoss()
    theirs.forward(x, idx)
    mine.forward(x, idx)
    c.close(theirs.backward(2.5), mine.backward(2.5), "backward(dout=2.5) scales the gradient", rtol=1e-9)


@hidden("l4_bce_with_logits")
def hidden_sigmoid_with_loss(c, SigmoidWithLoss):
    for label, x, t in _loss_cases(46):
        theirs, mine = SigmoidWithLoss(), ref_losses.SigmoidWithLoss()
        c.close(theirs.forward(x, t), mine.forward(x, t), f"forward on {label}", rtol=1e-9)
        c.close(theirs.backward(), mine.backward(), f"backward on {label}", rtol=1e-8, atol=1e-14)
    x = np.random.default_rng(47).normal(size=(2, 3))
    t = np.array([[1, 0, 0], [0, 1, 1]])
    theirs, mine = SigmoidWithLoss(), ref_losses.SigmoidWithLoss()
    theirs.forward(x, t)
    mine.forward(x, t)
    c.close(theirs.backward(0.5), mine.backward(0.5), "backward(dout=0.5) scales the gradient", rtol=1e-9)
