"""Layers: gradient checks in float64, dtype kept, sparse layer never densifies."""
import numpy as np
import pytest
import scipy.sparse as sp

from anime_genre.gradcheck import check_layer_gradients, numerical_gradient, rel_error
from anime_genre.layers import Affine, Dropout, Relu, Sigmoid, SparseAffine


def rng(seed=0):
    return np.random.default_rng(seed)


def test_affine_gradients():
    r = rng()
    layer = Affine(r.standard_normal((5, 3)), r.standard_normal(3))
    errors = check_layer_gradients(layer, r.standard_normal((4, 5)))
    assert set(errors) == {"x", "param_0", "param_1"}
    assert max(errors.values()) < 1e-7, errors


def test_affine_grads_written_in_place():
    r = rng(1)
    layer = Affine(r.standard_normal((5, 3)), r.standard_normal(3))
    dW, db = layer.grads
    x = r.standard_normal((4, 5))
    layer.forward(x)
    dout = r.standard_normal((4, 3))
    layer.backward(dout)
    assert layer.grads[0] is dW and layer.grads[1] is db
    np.testing.assert_allclose(dW, x.T @ dout)
    np.testing.assert_allclose(db, dout.sum(0))


def test_relu_gradients_and_no_in_place_change():
    r = rng(2)
    x = r.standard_normal((4, 6))
    x[np.abs(x) < 1e-3] = 0.5           # keep away from the kink at 0
    assert check_layer_gradients(Relu(), x)["x"] < 1e-7
    layer = Relu()
    out = layer.forward(x)
    assert np.all(out >= 0)
    dout = r.standard_normal((4, 6))
    before = dout.copy()
    dx = layer.backward(dout)
    np.testing.assert_array_equal(dout, before)
    assert dx is not dout
    np.testing.assert_array_equal(dx, np.where(x > 0, before, 0))


def test_sigmoid_layer_gradients():
    r = rng(3)
    assert check_layer_gradients(Sigmoid(), r.standard_normal((3, 5)))["x"] < 1e-7


def test_dropout_gradients_train_and_eval():
    r = rng(4)
    x = r.standard_normal((6, 10))
    layer = Dropout(0.3)

    def reseed():
        layer.rng = np.random.default_rng(123)

    assert check_layer_gradients(layer, x, before_forward=reseed)["x"] < 1e-7
    layer.train_flg = False
    np.testing.assert_array_equal(layer.forward(x), x)
    np.testing.assert_array_equal(layer.backward(x), x)
    assert check_layer_gradients(layer, x)["x"] < 1e-7


def test_dropout_is_inverted_and_keeps_expectation():
    x = np.ones((400, 500))
    layer = Dropout(0.25, seed=0)
    out = layer.forward(x)
    kept = out != 0
    assert abs(kept.mean() - 0.75) < 0.01
    np.testing.assert_allclose(out[kept], 1 / 0.75)
    assert abs(out.mean() - 1.0) < 0.01
    np.testing.assert_array_equal(layer.forward(x, train_flg=False), x)
    assert Dropout(0.5, seed=1).forward(x.astype(np.float32)).dtype == np.float32
    with pytest.raises(ValueError):
        Dropout(1.0)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_layers_keep_dtype(dtype):
    r = rng(5)
    x = r.standard_normal((3, 4)).astype(dtype)
    aff = Affine(r.standard_normal((4, 2)).astype(dtype), np.zeros(2, dtype))
    for layer in [aff, Relu(), Sigmoid(), Dropout(0.5, seed=0)]:
        out = layer.forward(x if layer is not aff else x)
        assert out.dtype == dtype
        assert layer.backward(np.ones_like(out)).dtype == dtype


class NoDense(sp.csr_matrix):
    """A CSR matrix that refuses to be densified."""

    def toarray(self, *a, **k):
        raise AssertionError("toarray called: the sparse input was densified")

    def todense(self, *a, **k):
        raise AssertionError("todense called: the sparse input was densified")

    def __array__(self, *a, **k):
        raise AssertionError("__array__ called: the sparse input was densified")


def random_csr(r, n=7, v=40, density=0.1):
    X = sp.random(n, v, density=density, random_state=np.random.RandomState(0), format="csr")
    return NoDense(X)


def test_sparse_affine_equals_affine_and_never_densifies():
    r = rng(6)
    X = random_csr(r)
    dense = sp.csr_matrix(X).toarray()     # for the comparison only (plain csr)
    W = r.standard_normal((40, 5))
    b = r.standard_normal(5)
    sparse_layer = SparseAffine(W.copy(), b.copy())
    dense_layer = Affine(W.copy(), b.copy())
    out = sparse_layer.forward(X)
    np.testing.assert_allclose(out, dense_layer.forward(dense), rtol=1e-12)
    dout = r.standard_normal(out.shape)
    assert sparse_layer.backward(dout) is None
    dense_layer.backward(dout)
    np.testing.assert_allclose(sparse_layer.grads[0], dense_layer.grads[0], rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(sparse_layer.grads[1], dense_layer.grads[1], rtol=1e-12)
    rows = sparse_layer.grad_rows[0]
    np.testing.assert_array_equal(rows, np.unique(X.indices))
    # rows outside the batch's words have zero gradient
    outside = np.setdiff1d(np.arange(40), rows)
    assert np.all(sparse_layer.grads[0][outside] == 0)


def test_sparse_affine_second_batch_clears_previous_rows():
    r = rng(7)
    W, b = r.standard_normal((40, 3)), np.zeros(3)
    layer, ref = SparseAffine(W.copy(), b.copy()), Affine(W.copy(), b.copy())
    for seed in range(3):
        X = sp.random(5, 40, density=0.08, random_state=np.random.RandomState(seed), format="csr")
        dout = r.standard_normal((5, 3))
        layer.forward(X)
        layer.backward(dout)
        ref.forward(X.toarray())
        ref.backward(dout)
        np.testing.assert_allclose(layer.grads[0], ref.grads[0], atol=1e-14)


def test_sparse_affine_gradients():
    r = rng(8)
    X = random_csr(r, n=6, v=12, density=0.3)
    layer = SparseAffine(r.standard_normal((12, 4)), r.standard_normal(4))
    errors = check_layer_gradients(layer, X)
    assert set(errors) == {"param_0", "param_1"}
    assert max(errors.values()) < 1e-7, errors
    with pytest.raises(TypeError):
        layer.forward(np.zeros((2, 12)))


def test_numerical_gradient_and_rel_error():
    x = np.array([1.0, -2.0, 3.0])
    g = numerical_gradient(lambda v: np.sum(v ** 3), x)
    np.testing.assert_allclose(g, 3 * x ** 2, rtol=1e-8)
    np.testing.assert_array_equal(x, [1.0, -2.0, 3.0])
    assert rel_error([1.0, 2.0], [1.0, 2.0]) == 0.0
    assert rel_error([1.0], [3.0]) == pytest.approx(0.5)
    with pytest.raises(TypeError):
        numerical_gradient(lambda v: v.sum(), np.ones(3, dtype=np.float32))
