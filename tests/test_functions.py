"""Stable elementwise functions: values, dtypes, no warnings at extreme arguments."""
import warnings

import numpy as np
import pytest

from anime_genre.functions import log_sigmoid, log_softmax, sigmoid, softmax, softplus

EXTREME = np.array([-1000.0, -745.0, -40.0, -1.0, 0.0, 1.0, 40.0, 745.0, 1000.0])


def strict():
    """Every numpy floating-point event and every Python warning becomes an error."""
    warnings.simplefilter("error")
    return np.errstate(all="raise")


def test_sigmoid_values_and_extremes():
    with warnings.catch_warnings():
        with strict():
            y = sigmoid(EXTREME)
    assert np.all(np.isfinite(y)) and np.all((y >= 0) & (y <= 1))
    np.testing.assert_allclose(sigmoid(np.array([-1.0, 0.0, 1.0])),
                               [0.2689414213699951, 0.5, 0.7310585786300049], rtol=1e-15)
    assert y[0] == 0.0 and y[-1] == 1.0
    # symmetric: sigmoid(-x) = 1 - sigmoid(x)
    x = np.linspace(-30, 30, 61)
    np.testing.assert_allclose(sigmoid(-x), 1 - sigmoid(x), atol=1e-15)


def test_log_sigmoid_is_exact_in_the_tails():
    with warnings.catch_warnings():
        with strict():
            ls = log_sigmoid(EXTREME)
            sp = softplus(EXTREME)
    assert np.all(np.isfinite(ls))
    assert ls[0] == -1000.0                       # not -inf: log sigmoid(x) ~ x for x -> -inf
    np.testing.assert_allclose(log_sigmoid(np.array([40.0])), [-np.exp(-40.0)], rtol=1e-12)
    x = np.linspace(-20, 20, 41)
    np.testing.assert_allclose(log_sigmoid(x), -np.log1p(np.exp(-x)), rtol=1e-14)
    np.testing.assert_allclose(sp, -log_sigmoid(-EXTREME))


def test_softmax_rows_sum_to_one_and_shift_invariant():
    rng = np.random.default_rng(0)
    x = rng.standard_normal((5, 7))
    y = softmax(x)
    np.testing.assert_allclose(y.sum(axis=1), 1.0, rtol=1e-15)
    np.testing.assert_allclose(softmax(x + 1000.0), y, rtol=1e-12)
    np.testing.assert_allclose(np.exp(log_softmax(x)), y, rtol=1e-12)
    with warnings.catch_warnings():
        with strict():
            z = softmax(np.array([[1000.0, -1000.0, 0.0]]))
            lz = log_softmax(np.array([[1000.0, -1000.0, 0.0]]))
    np.testing.assert_array_equal(z, [[1.0, 0.0, 0.0]])
    np.testing.assert_allclose(lz, [[0.0, -2000.0, -1000.0]])
    np.testing.assert_allclose(softmax(np.array([1.0, 2.0, 3.0])).sum(), 1.0)


@pytest.mark.parametrize("f", [sigmoid, log_sigmoid, softplus, softmax, log_softmax])
def test_dtype_is_kept(f):
    x = np.linspace(-3, 3, 12, dtype=np.float32).reshape(3, 4)
    assert f(x).dtype == np.float32
    assert f(x.astype(np.float64)).dtype == np.float64
