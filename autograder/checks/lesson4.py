"""Visible checks of lesson 4 (sigmoid vs softmax). Small literal values and numerical
gradients only: this module ships to students, who do not have ``anime_genre``."""
from __future__ import annotations

import numpy as np

from autograder.core import CheckAborted, call, exercise, readonly

# Two examples, three genres: logits and targets used by several checks. Read-only, so that
# a function under test run in this process cannot change them for the checks after it.
X = readonly([[1.0, 2.0, 0.5], [0.0, -1.0, 3.0]])
T_ONEHOT = readonly([[0, 1, 0], [0, 0, 1]])
T_MULTI = readonly([[1, 1, 0], [0, 0, 1]])


@exercise("l4_sigmoid", points=2, reference="anime_genre.functions:sigmoid")
def check_sigmoid(c, sigmoid):
    c.close(call(sigmoid, np.array([-2.0, 0.0, 3.0])), [0.11920292202211755, 0.5, 0.9525741268224334],
            "sigmoid([-2, 0, 3])", hint="sigmoid(x) = 1 / (1 + exp(-x)), elementwise")
    x = np.linspace(-3, 3, 6).reshape(2, 3)
    expected = 1 / (1 + np.exp(-x))
    c.close(call(sigmoid, x), expected, "sigmoid keeps the shape (2, 3)",
            hint="work elementwise on the whole array, do not flatten or loop over rows only")
    # finite and accurate is the contract: a sigmoid clipped at +-500 returns 7e-218 for -1000
    c.close(call(sigmoid, np.array([-1000.0, -40.0, 40.0, 1000.0])), [0.0, 4.248354255291589e-18, 1.0, 1.0],
            "sigmoid([-1000, -40, 40, 1000]): finite, no nan", rtol=1e-6, atol=1e-15,
            hint="for x < 0 use exp(x) / (1 + exp(x)), which never overflows")


@exercise("l4_log_sigmoid", points=2, reference="anime_genre.functions:log_sigmoid")
def check_log_sigmoid(c, log_sigmoid):
    c.close(call(log_sigmoid, np.array([-2.0, 0.0, 3.0])),
            [-2.1269280110429727, -0.6931471805599453, -0.04858735157374206],
            "log_sigmoid([-2, 0, 3])", hint="log sigmoid(x) = -log(1 + exp(-x))")
    c.close(call(log_sigmoid, np.array([-1000.0])), [-1000.0], "log_sigmoid(-1000) is -1000, not -inf",
            hint="log(1 + exp(-x)) = -x + log(1 + exp(x)) for x < 0; np.logaddexp(0, -x) does it")
    c.close(call(log_sigmoid, np.array([1000.0, 10.0])), [0.0, -4.539889921686465e-05],
            "log_sigmoid of large positive x is a tiny negative number", rtol=1e-6, atol=1e-12,
            hint="log(1 + exp(-x)) for large x: exp(-x) is tiny but not zero; np.log1p keeps it")


@exercise("l4_softmax", points=2, reference="anime_genre.functions:softmax")
def check_softmax(c, softmax):
    c.close(call(softmax, np.array([1.0, 2.0, 3.0])), [0.09003057317038046, 0.24472847105479764, 0.6652409557748218],
            "softmax([1, 2, 3])", hint="exp(x_k) / sum_j exp(x_j)")
    c.close(call(softmax, np.array([[1.0, 2.0, 3.0], [0.0, 0.0, 0.0]])),
            [[0.09003057317038046, 0.24472847105479764, 0.6652409557748218], [1 / 3, 1 / 3, 1 / 3]],
            "softmax of a (2, 3) matrix works row by row",
            hint="normalise over the last axis: sum(axis=-1, keepdims=True)")
    c.close(call(softmax, np.array([1000.0, 1001.0, 1002.0])),
            [0.09003057317038046, 0.24472847105479764, 0.6652409557748218],
            "softmax([1000, 1001, 1002]) has no nan", rtol=1e-6,
            hint="subtract the row maximum before exp: softmax does not change, exp cannot overflow")
    c.close(call(softmax, np.array([[1000.0, 1001.0, 1002.0], [-1000.0, -999.0, -998.0]])),
            [[0.09003057317038046, 0.24472847105479764, 0.6652409557748218]] * 2,
            "rows on very different scales: each row shifted by its own maximum", rtol=1e-6,
            hint="x - x.max(axis=-1, keepdims=True): one maximum per row, not one for the whole matrix")


def _loss_grad_check(c, cls, x, t, name, loss):
    """Numerical gradient of forward(x, t) against backward() of a fresh layer. x (N, K) and
    t (N, K) should be read-only: the numerical gradient is taken at x after the calls.
    ``loss`` is the right forward value at x: a backward consistent with a wrong forward (a
    constant, a tiny linear function) earns nothing here."""
    def analytic():
        layer = cls()
        layer.forward(x, t)
        return layer.backward()
    try:
        value = float(call(lambda: cls().forward(x, t))())
    except Exception:  # noqa: BLE001 - the forward sub-checks report the student's errors
        value = None
    if value is None or not abs(value - loss) <= 1e-7 * max(1.0, abs(loss)):
        c.true(False, name, "the gradient is checked against your forward, which is wrong at this "
               "input: fix forward first")
        return
    c.grad_check(lambda z: cls().forward(z, t), x, call(analytic), name, tol=1e-6, nonzero=True,
                 hint="dL/dx is (prediction - target) / N for these losses: mind the 1/N")


def _variant_hint(variant, base, base_name: str, hint: str) -> str:
    """The hint for a sub-check whose input is another form of an earlier sub-check's input
    (class indices for one-hot rows): when the student's answers to both agree, the other
    form is handled and what is wrong is the earlier answer, so the hint says that instead."""
    try:
        same = float(variant()) == float(base())
    except CheckAborted:
        raise
    except Exception:   # noqa: BLE001 - the sub-checks themselves report the student's errors
        same = False
    return (f"your result is the same as for '{base_name}', which is wrong too: fix that one first"
            if same else hint)


def _forward_backward(cls, x, t, dout=None):
    """backward() (or backward(dout)) of a fresh layer after forward(x, t)."""
    layer = cls()
    layer.forward(x, t)
    return layer.backward() if dout is None else layer.backward(dout)


@exercise("l4_softmax_cross_entropy", points=3, reference="anime_genre.losses:SoftmaxWithLoss")
def check_softmax_with_loss(c, SoftmaxWithLoss):
    c.close(call(lambda: SoftmaxWithLoss().forward(X, T_ONEHOT)), 0.265126343932687,
            "forward on 2 one-hot examples", kind=float,
            hint="L = -(1/N) sum_n log softmax(x_n)[true class]: mean over examples; return float(L) "
                 "(if forward calls your softmax, its check above must pass first)")
    c.close(call(_forward_backward, SoftmaxWithLoss, X, T_ONEHOT),
            [[0.11561194881107452, -0.18573414039411879, 0.07012219158304424],
             [0.02330631128898695, 0.00857391277276019, -0.03188022406174712]],
            "backward() after that forward", hint="dL/dx = (softmax(x) - t) / N")
    # dout differs from N (2): a backward that ignores dout and one that forgets 1/N cannot
    # cancel out here
    c.close(call(_forward_backward, SoftmaxWithLoss, X, T_ONEHOT, 3.0),
            3 * np.array([[0.11561194881107452, -0.18573414039411879, 0.07012219158304424],
                          [0.02330631128898695, 0.00857391277276019, -0.03188022406174712]]),
            "backward(dout=3.0) triples the gradient", hint="multiply the gradient by dout")
    c.close(call(lambda: SoftmaxWithLoss().forward(X, np.array([1, 2]))), 0.265126343932687,
            "targets given as class indices [1, 2]",
            hint=_variant_hint(lambda: SoftmaxWithLoss().forward(X, np.array([1, 2])),
                               lambda: SoftmaxWithLoss().forward(X, T_ONEHOT), "forward on 2 one-hot examples",
                               "turn indices into one-hot rows first"))
    c.close(call(lambda: SoftmaxWithLoss().forward(X, T_MULTI)), 0.515126343932687,
            "multi-hot row [1, 1, 0] counts as the distribution [1/2, 1/2, 0]",
            hint="divide each target row by its sum (leave all-zero rows at zero)")
    c.close(call(lambda: SoftmaxWithLoss().forward(X, readonly([[0, 0, 0], [0, 0, 1]]))), 0.03294195187871456,
            "an all-zero target row contributes nothing (N still counts it)",
            hint="divide by the row sums only where they are positive; keep dividing the total by N")
    c.close(call(_forward_backward, SoftmaxWithLoss, X, readonly([[0, 0, 0], [0, 0, 1]])),
            [[0.0, 0.0, 0.0], [0.023306311288986945, 0.008573912772760194, -0.03188022406174712]],
            "backward() after the all-zero target row: that row's gradient is zero",
            hint="dL/dx = (y * sum_k t_nk - t) / N: a row whose targets sum to 0 gets no gradient")
    _loss_grad_check(c, SoftmaxWithLoss, readonly([[0.3, -1.2, 2.0, 0.1], [1.5, 0.5, -0.5, 0.0]]),
                     readonly([[0, 0, 1, 0], [1, 0, 0, 0]]), "gradient matches numerical gradient (2 x 4)",
                     loss=0.43150748311876586)
    c.close(call(lambda: SoftmaxWithLoss().forward(np.array([[1000.0, -1000.0, 0.0]]), np.array([[0, 1, 0]]))),
            2000.0, "logits of +-1000 give a finite loss (2000)", rtol=1e-9,
            hint="compute log softmax as z - log(sum(exp(z))) with z = x - max(x); never log(0)")


@exercise("l4_bce_with_logits", points=3, reference="anime_genre.losses:SigmoidWithLoss")
def check_sigmoid_with_loss(c, SigmoidWithLoss):
    c.close(call(lambda: SigmoidWithLoss().forward(X, T_MULTI)), 1.2346314511966063,
            "forward on 2 multi-hot examples", kind=float,
            hint="sum over genres of -[t log s + (1-t) log(1-s)], then mean over examples; return float(L)")
    grad = np.array([[-0.13447071068499755, -0.05960146101105884, 0.3112296656009273],
                     [0.25, 0.13447071068499755, -0.02371293658878332]])
    c.close(call(_forward_backward, SigmoidWithLoss, X, T_MULTI), grad,
            "backward() after that forward", hint="dL/dx = (sigmoid(x) - t) / N")
    c.close(call(_forward_backward, SigmoidWithLoss, X, T_MULTI, 0.5), 0.5 * grad,
            "backward(dout=0.5) halves the gradient", hint="multiply the gradient by dout")
    _loss_grad_check(c, SigmoidWithLoss, readonly([[0.3, -1.2, 2.0], [1.5, 0.5, -0.5]]),
                     readonly([[1, 0, 1], [0, 0, 1]]), "gradient matches numerical gradient (2 x 3)",
                     loss=2.297066484596248)
    c.close(call(lambda: SigmoidWithLoss().forward(np.array([[1000.0, -1000.0]]), np.array([[0, 1]]))), 2000.0,
            "confidently wrong logits +-1000 give loss 2000, not inf or nan", rtol=1e-9,
            hint="use log_sigmoid: log sigmoid(x) and log(1 - sigmoid(x)) = log sigmoid(-x)")
