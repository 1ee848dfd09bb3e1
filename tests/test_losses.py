"""Losses: gradient checks (< 1e-7), stability at +-1000, agreement with scikit-learn."""
import warnings

import numpy as np
import pytest
from sklearn.metrics import log_loss

from anime_genre.functions import sigmoid
from anime_genre.gradcheck import check_loss_gradient
from anime_genre.losses import FocalLoss, SigmoidWithLoss, SoftmaxWithLoss, WeightedSigmoidWithLoss

GAMMAS = [0.0, 0.5, 2.0, 5.0]
ALPHAS = [None, 0.25]


def data(seed, n=6, k=4, scale=2.0):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((n, k)) * scale
    t = (rng.random((n, k)) < 0.4).astype(np.float64)
    return x, t


@pytest.mark.parametrize("gamma", GAMMAS)
@pytest.mark.parametrize("alpha", ALPHAS)
def test_focal_gradient_moderate_logits(gamma, alpha):
    # Each element is differentiated through its own term (see gradcheck: the rounding noise
    # of the summed loss would swamp the tiny gradients of well-classified elements).
    for seed in range(3):
        x, t = data(seed)
        assert check_loss_gradient(FocalLoss(gamma, alpha), x, t, elementwise=True) < 1e-7
    # whole-batch central differences on small logits, where no gradient is tiny
    x, t = data(7, scale=0.5)
    assert check_loss_gradient(FocalLoss(gamma, alpha), x, t) < 1e-7


@pytest.mark.parametrize("gamma", GAMMAS)
@pytest.mark.parametrize("alpha", ALPHAS)
def test_focal_gradient_near_30(gamma, alpha):
    # right and wrong confident predictions, where 1 - p_t ~ 1e-13 and naive formulas break
    x = np.array([[30.0, -30.0, 29.5, -29.5], [-30.0, 30.0, 28.0, -31.0], [0.3, -0.7, 30.0, -30.0]])
    t = np.array([[1, 0, 0, 1], [1, 0, 1, 0], [1, 0, 1, 1]], dtype=float)
    assert check_loss_gradient(FocalLoss(gamma, alpha), x, t, elementwise=True) < 1e-7


def test_focal_per_genre_alpha_is_columnwise_scalar_alpha():
    x, t = data(4)
    alpha = np.array([0.1, 0.25, 0.5, 0.9])
    for gamma in GAMMAS:
        per_genre = FocalLoss(gamma, alpha)
        total = per_genre.forward(x, t)
        dx = per_genre.backward()
        cols = 0.0
        for j, a in enumerate(alpha):
            # a column alone, as a batch of the same N examples
            scalar = FocalLoss(gamma, a)
            cols += scalar.forward(x[:, [j]], t[:, [j]])
            np.testing.assert_allclose(dx[:, [j]], scalar.backward(), rtol=1e-12, atol=1e-300)
            assert check_loss_gradient(scalar, x[:, [j]], t[:, [j]], elementwise=True) < 1e-7
        assert total == pytest.approx(cols, rel=1e-12)
        x_small, t_small = data(8, scale=0.5)
        assert check_loss_gradient(FocalLoss(gamma, alpha), x_small, t_small) < 1e-7


def test_focal_gamma0_equals_bce():
    for seed in range(3):
        x, t = data(seed, scale=10.0)
        f, b = FocalLoss(gamma=0.0), SigmoidWithLoss()
        assert f.forward(x, t) == pytest.approx(b.forward(x, t), rel=1e-14)
        # equal up to rounding (focal computes 1 - p_t directly, BCE as sigmoid(x) - t)
        np.testing.assert_allclose(f.backward(), b.backward(), rtol=1e-9, atol=1e-16)


def test_focal_alpha_weights_positives_and_negatives():
    x = np.array([[0.3, -1.2]])
    t = np.array([[1.0, 0.0]])
    plain = FocalLoss(2.0)
    plain.forward(x, t)
    per_elem = -(1 - sigmoid(np.array([0.3, 1.2]))) ** 2 * np.log(sigmoid(np.array([0.3, 1.2])))
    assert plain.forward(x, t) == pytest.approx(per_elem.sum(), rel=1e-13)
    assert FocalLoss(2.0, alpha=0.25).forward(x, t) == pytest.approx(
        0.25 * per_elem[0] + 0.75 * per_elem[1], rel=1e-13)


@pytest.mark.parametrize("gamma", GAMMAS)
def test_focal_extreme_logits_no_warning(gamma):
    cases = [
        (np.array([[1000.0, -1000.0]]), np.array([[1, 0]])),     # confident and right
        (np.array([[-1000.0, 1000.0]]), np.array([[1, 0]])),     # confident and wrong
    ]
    for x, t in cases:
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            with np.errstate(all="raise"):
                loss = FocalLoss(gamma=gamma)
                value = loss.forward(x, t)
                dx = loss.backward()
        assert np.isfinite(value) and np.all(np.isfinite(dx))
    # the example of the issue: right with logits +-1000 -> loss ~ 0, gradient ~ 0
    loss = FocalLoss(gamma=2)
    assert abs(loss.forward(np.array([[1000.0, -1000.0]]), np.array([[1, 0]]))) < 1e-12
    assert np.all(np.abs(loss.backward()) < 1e-12)


@pytest.mark.parametrize("make", [SigmoidWithLoss, SoftmaxWithLoss,
                                  lambda: WeightedSigmoidWithLoss(np.array([2.0, 0.5]))])
def test_other_losses_extreme_logits_no_warning(make):
    x = np.array([[1000.0, -1000.0], [-1000.0, 1000.0]])
    t = np.array([[1, 0], [1, 0]])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with np.errstate(all="raise"):
            loss = make()
            value = loss.forward(x, t)
            dx = loss.backward()
    assert np.isfinite(value) and np.all(np.isfinite(dx))
    # the first row is right (loss 0), the second wrong by 1000 on each genre; N = 2
    expected = {SigmoidWithLoss: 1000.0, WeightedSigmoidWithLoss: (2.0 * 1000 + 1000) / 2,
                SoftmaxWithLoss: 2000.0 / 2}[type(loss)]
    assert value == pytest.approx(expected)


def test_bce_gradients():
    for seed in range(3):
        x, t = data(seed)
        assert check_loss_gradient(SigmoidWithLoss(), x, t) < 1e-7
        assert check_loss_gradient(WeightedSigmoidWithLoss(np.array([1.0, 3.0, 0.5, 2.0])), x, t) < 1e-7
    x = np.array([[30.0, -30.0, 29.0], [-30.0, 30.0, 0.5]])
    t = np.array([[1, 0, 0], [1, 0, 1]], dtype=float)
    assert check_loss_gradient(SigmoidWithLoss(), x, t, elementwise=True) < 1e-7
    assert check_loss_gradient(WeightedSigmoidWithLoss(3.0), x, t, elementwise=True) < 1e-7


def test_softmax_gradients():
    rng = np.random.default_rng(0)
    x = rng.standard_normal((5, 6))
    labels = rng.integers(0, 6, 5)
    assert check_loss_gradient(SoftmaxWithLoss(), x, labels) < 1e-7
    multi = (rng.random((5, 6)) < 0.4).astype(float)
    multi[0] = 0      # an example with no genre contributes nothing
    assert check_loss_gradient(SoftmaxWithLoss(), x, multi) < 1e-7


def test_bce_equals_sklearn_log_loss_per_genre_summed():
    rng = np.random.default_rng(1)
    x = rng.standard_normal((40, 5)) * 3
    t = (rng.random((40, 5)) < 0.3).astype(int)
    t[0] = 1
    t[1] = 0      # every column has both classes
    p = sigmoid(x)
    expected = sum(log_loss(t[:, j], p[:, j], labels=[0, 1]) for j in range(5))
    assert SigmoidWithLoss().forward(x, t) == pytest.approx(expected, rel=1e-10)
    assert FocalLoss(0.0).forward(x, t) == pytest.approx(expected, rel=1e-10)
    assert WeightedSigmoidWithLoss(1.0).forward(x, t) == pytest.approx(expected, rel=1e-10)


def test_softmax_equals_sklearn_log_loss():
    rng = np.random.default_rng(2)
    x = rng.standard_normal((30, 4)) * 2
    labels = rng.integers(0, 4, 30)
    labels[:4] = [0, 1, 2, 3]
    e = np.exp(x - x.max(1, keepdims=True))
    expected = log_loss(labels, e / e.sum(1, keepdims=True), labels=[0, 1, 2, 3])
    assert SoftmaxWithLoss().forward(x, labels) == pytest.approx(expected, rel=1e-10)
    assert SoftmaxWithLoss().forward(x, np.eye(4)[labels]) == pytest.approx(expected, rel=1e-10)


def test_reduction_is_mean_over_examples():
    # duplicating the batch leaves the loss and the total gradient mass per example unchanged
    x, t = data(5)
    for loss in [SigmoidWithLoss(), FocalLoss(2.0, 0.25), SoftmaxWithLoss(),
                 WeightedSigmoidWithLoss(2.0)]:
        a = loss.forward(x, t)
        ga = loss.backward()
        b = loss.forward(np.vstack([x, x]), np.vstack([t, t]))
        gb = loss.backward()
        assert a == pytest.approx(b, rel=1e-12)
        np.testing.assert_allclose(gb[: len(x)] * 2, ga, rtol=1e-12)


def test_backward_scales_with_dout_and_keeps_dtype():
    x, t = data(6)
    for loss in [SigmoidWithLoss(), FocalLoss(2.0), SoftmaxWithLoss()]:
        loss.forward(x, t)
        np.testing.assert_allclose(loss.backward(3.0), 3.0 * loss.backward(1.0))
        loss.forward(x.astype(np.float32), t)
        assert loss.backward().dtype == np.float32
