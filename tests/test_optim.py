"""Optimizers: hand-computed steps, bias correction, weight decay, lazy sparse rows."""
import numpy as np
import pytest

from anime_genre.optim import SGD, Adam, Momentum


def test_sgd_step():
    W, g = np.array([[1.0, -2.0]]), np.array([[0.5, 0.25]])
    SGD(lr=0.1).update([W], [g])
    np.testing.assert_allclose(W, [[0.95, -2.025]])


def test_momentum_two_steps():
    W, g = np.array([1.0]), np.array([2.0])
    opt = Momentum(lr=0.1, momentum=0.9)
    opt.update([W], [g])          # v = -0.2
    np.testing.assert_allclose(W, [0.8])
    opt.update([W], [g])          # v = 0.9 * -0.2 - 0.2 = -0.38
    np.testing.assert_allclose(W, [0.42])


def test_adam_first_step_is_lr_times_sign():
    # with bias correction, m_hat = g and v_hat = g^2 at t = 1: the step is lr * g / (|g| + eps)
    W = np.array([[1.0, 2.0], [3.0, 4.0]])
    g = np.array([[0.5, -3.0], [1e-3, 0.0]])
    Adam(lr=0.01, eps=1e-8).update([W], [g])
    expected = np.array([[1.0, 2.0], [3.0, 4.0]]) - 0.01 * g / (np.abs(g) + 1e-8)
    np.testing.assert_allclose(W, expected, rtol=1e-12)
    # without bias correction the first step would be ~ lr * 0.1 / sqrt(0.001) = 3.2 lr
    assert abs(1.0 - W[0, 0]) == pytest.approx(0.01, rel=1e-6)


def test_adam_second_step_hand_computed():
    b1, b2, lr, eps = 0.9, 0.999, 0.1, 1e-8
    W, opt = np.array([0.0]), Adam(lr=lr, beta1=b1, beta2=b2, eps=eps)
    g1, g2 = 1.0, -2.0
    opt.update([W], [np.array([g1])])
    opt.update([W], [np.array([g2])])
    m = (1 - b1) * g1 * b1 + (1 - b1) * g2
    v = (1 - b2) * g1 ** 2 * b2 + (1 - b2) * g2 ** 2
    w1 = -lr * g1 / (abs(g1) + eps)
    w2 = w1 - lr * (m / (1 - b1 ** 2)) / (np.sqrt(v / (1 - b2 ** 2)) + eps)
    np.testing.assert_allclose(W, [w2], rtol=1e-12)


def test_decoupled_weight_decay_on_matrices_only():
    W, b = np.ones((2, 2)), np.ones(2)
    zero = [np.zeros((2, 2)), np.zeros(2)]
    SGD(lr=0.1, weight_decay=0.5).update([W, b], zero)
    np.testing.assert_allclose(W, 0.95)
    np.testing.assert_allclose(b, 1.0)
    W = np.ones((2, 2))
    Adam(lr=0.1, weight_decay=0.5).update([W], [np.zeros((2, 2))])
    np.testing.assert_allclose(W, 0.95)      # decay independent of the (zero) gradient


@pytest.mark.parametrize("make", [lambda: SGD(0.1), lambda: Momentum(0.1), lambda: Adam(0.1)])
def test_lazy_rows_update_only_those_rows(make):
    rng = np.random.default_rng(0)
    W = rng.standard_normal((6, 3))
    g = np.zeros((6, 3))
    rows = np.array([1, 4])
    g[rows] = rng.standard_normal((2, 3))
    dense_W, lazy_W = W.copy(), W.copy()
    dense, lazy = make(), make()
    dense.update([dense_W], [g])
    lazy.update([lazy_W], [g], rows=[rows])
    # first step: identical (untouched rows have zero gradient and zero state)
    np.testing.assert_allclose(lazy_W, dense_W, rtol=1e-12)
    np.testing.assert_array_equal(np.delete(lazy_W, rows, axis=0), np.delete(W, rows, axis=0))


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_dtype_kept(dtype):
    W = np.ones((3, 2), dtype=dtype)
    for opt in [SGD(0.1), Momentum(0.1), Adam(0.1, weight_decay=0.1)]:
        opt.update([W], [np.ones((3, 2), dtype=dtype)])
        opt.update([W], [np.ones((3, 2), dtype=dtype)], rows=[np.array([0, 2])])
        assert W.dtype == dtype


def test_bad_hyperparameters():
    with pytest.raises(ValueError):
        SGD(lr=0)
    with pytest.raises(ValueError):
        Adam(weight_decay=-1)


def test_adam_step_function_equals_adam_class():
    from anime_genre.optim import adam_step
    rng = np.random.default_rng(3)
    W = rng.standard_normal((4, 3))
    W_fn, m, v = W.copy(), np.zeros_like(W), np.zeros_like(W)
    opt = Adam(lr=0.05)
    for t in range(1, 6):
        g = rng.standard_normal((4, 3))
        opt.update([W], [g])
        W_fn, m, v = adam_step(W_fn, g, m, v, t, lr=0.05)
    np.testing.assert_allclose(W_fn, W, rtol=1e-12)
