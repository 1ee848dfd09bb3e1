"""The reference's closed-form heads (anime_genre.heads) against scikit-learn as the oracle,
on small random data: naive Bayes and ridge per genre, Platt folded into a logistic layer."""
from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse as sp

from anime_genre import heads
from anime_genre.functions import sigmoid


def data(n=120, V=60, K=4, seed=0, density=0.15):
    """Non-negative sparse features (a small TF-IDF-like matrix) and 0/1 labels that depend
    on them, every genre with positives and negatives."""
    rng = np.random.default_rng(seed)
    X = sp.random(n, V, density=density, format="csr", random_state=seed, dtype=np.float64)
    X.data = rng.uniform(0.05, 1.0, X.nnz)
    W = rng.standard_normal((V, K))
    Y = (X @ W + 0.3 * rng.standard_normal((n, K)) > 0.2).astype(np.float64)
    Y[0], Y[1] = 1.0, 0.0
    return X.astype(np.float32), Y


@pytest.mark.parametrize("alpha", [0.01, 0.1, 1.0])
def test_naive_bayes_is_multinomial_nb_per_genre(alpha):
    """Tolerance 1e-9 on the log-odds (float64 both; X float32 is converted exactly)."""
    from sklearn.naive_bayes import MultinomialNB

    X, Y = data()
    W, b = heads.naive_bayes_fit(X, Y, alpha=alpha)
    assert W.shape == (X.shape[1], Y.shape[1]) and b.shape == (Y.shape[1],)
    S = heads.linear_scores(X, W, b)
    for k in range(Y.shape[1]):
        nb = MultinomialNB(alpha=alpha).fit(X.astype(np.float64), Y[:, k])
        lp = nb.predict_log_proba(X)
        np.testing.assert_allclose(S[:, k], lp[:, 1] - lp[:, 0], rtol=1e-9, atol=1e-9)
        # and the probability the log-odds stands for
        np.testing.assert_allclose(sigmoid(S[:, k]), np.exp(lp[:, 1]), rtol=1e-9, atol=1e-12)


def test_naive_bayes_genre_without_positives_scores_zero():
    X, Y = data()
    Y[:, 2] = 0.0
    W, b = heads.naive_bayes_fit(X, Y, alpha=0.1)
    assert np.all(W[:, 2] == 0) and b[2] == 0


@pytest.mark.parametrize("alpha", [0.3, 3.0])
def test_ridge_equals_sklearn_ridge(alpha):
    """Coefficients and intercepts within 1e-6 of scikit-learn's exact (Cholesky) solution
    on the dense matrix; the CG runs to tol 1e-10 here."""
    from sklearn.linear_model import Ridge

    X, Y = data()
    W, b, info = heads.ridge_fit(X, Y, alpha=alpha, tol=1e-10, max_iter=1000)
    ref = Ridge(alpha=alpha, solver="cholesky").fit(X.toarray().astype(np.float64), Y)
    np.testing.assert_allclose(W, ref.coef_.T, rtol=0, atol=1e-6)
    np.testing.assert_allclose(b, ref.intercept_, rtol=0, atol=1e-6)
    assert 0 < info["iterations"] < 1000
    # sparse and dense input give the same fit
    Wd, bd, _ = heads.ridge_fit(X.toarray(), Y, alpha=alpha, tol=1e-10, max_iter=1000)
    np.testing.assert_allclose(Wd, W, atol=1e-9)


def test_ridge_default_tolerance_is_close_enough():
    """At the default tolerance (1e-5 of the right-hand side) the predictions are within
    1e-3 of the exact ones."""
    from sklearn.linear_model import Ridge

    X, Y = data(n=300, V=200, seed=1)
    W, b, _ = heads.ridge_fit(X, Y, alpha=1.0)
    ref = Ridge(alpha=1.0, solver="cholesky").fit(X.toarray().astype(np.float64), Y)
    np.testing.assert_allclose(heads.linear_scores(X, W, b), ref.predict(X.toarray()), atol=1e-3)


def test_nb_log_ratio_counts_word_presence():
    """r[v, k] from the counts of shows containing word v, written out by hand (1e-12)."""
    X, Y = data()
    alpha = 1.0
    R = heads.nb_log_ratio(X, Y, alpha)
    D = (X.toarray() > 0).astype(np.float64)
    for k in range(Y.shape[1]):
        p = D[Y[:, k] == 1].sum(axis=0) + alpha
        q = D[Y[:, k] == 0].sum(axis=0) + alpha
        np.testing.assert_allclose(R[:, k], np.log(p / p.sum()) - np.log(q / q.sum()), atol=1e-12)
    # a feature's value does not matter, only its presence
    X2 = X.copy()
    X2.data *= 7.0
    np.testing.assert_allclose(heads.nb_log_ratio(X2, Y, alpha), R, atol=1e-12)


@pytest.mark.parametrize("alpha", [0.3, 3.0])
def test_nb_ridge_is_ridge_on_each_genres_scaled_features(alpha):
    """Genre k of the NB-scaled ridge equals scikit-learn's Ridge (Cholesky) on X @ diag(|r_k|),
    its coefficients mapped back to X (coef * |r_k|): 1e-6, CG to tol 1e-10."""
    from sklearn.linear_model import Ridge

    X, Y = data()
    W, b, info = heads.nb_ridge_fit(X, Y, alpha=alpha, nb_alpha=1.0, tol=1e-10, max_iter=2000)
    R = np.abs(heads.nb_log_ratio(X, Y, 1.0))
    Xd = X.toarray().astype(np.float64)
    for k in range(Y.shape[1]):
        ref = Ridge(alpha=alpha, solver="cholesky").fit(Xd * R[:, k], Y[:, k])
        np.testing.assert_allclose(W[:, k], ref.coef_ * R[:, k], rtol=0, atol=1e-6)
        np.testing.assert_allclose(b[k], ref.intercept_, rtol=0, atol=1e-6)
    assert 0 < info["iterations"] < 2000 and info["nb_alpha"] == 1.0
    # a scale of ones is plain ridge
    W1, b1, _ = heads.ridge_fit(X, Y, alpha=alpha, tol=1e-10, max_iter=2000, scale=np.ones_like(R))
    W0, b0, _ = heads.ridge_fit(X, Y, alpha=alpha, tol=1e-10, max_iter=2000)
    np.testing.assert_allclose(W1, W0, atol=1e-12)
    np.testing.assert_allclose(b1, b0, atol=1e-12)


def test_fold_platt_is_platt_of_the_scores():
    X, Y = data()
    W, b = heads.naive_bayes_fit(X, Y, alpha=0.1)
    S = heads.linear_scores(X, W, b)
    ab = heads.platt(S, Y)
    Wf, bf = heads.fold_platt(W, b, ab)
    np.testing.assert_allclose(sigmoid(heads.linear_scores(X, Wf, bf)), heads.apply_platt(S, ab),
                               atol=1e-12)


def test_fit_heads_are_networks_giving_the_calibrated_probabilities():
    """fit_heads: each head, Platt-calibrated on validation, as a network without hidden
    layer whose probabilities are the calibrated head's (float32 weights: 1e-5)."""
    X, Y = data(n=200, seed=2)
    Xv, Yv = X[150:], Y[150:]
    X, Y = X[:150], Y[:150]
    nets = heads.fit_heads(X, Y, Xv, Yv, nb_alpha=0.1, ridge_alpha=1.0, nb_ridge_alpha=3.0)
    assert [name for name, _, _ in nets] == ["naive-bayes", "ridge", "nb-ridge"]
    fits = [heads.naive_bayes_fit(X, Y, 0.1), heads.ridge_fit(X, Y, 1.0)[:2],
            heads.nb_ridge_fit(X, Y, 3.0)[:2]]
    for (name, net, _), (W, b) in zip(nets, fits):
        assert net.config["hidden_sizes"] == [] and net.config["sparse_input"]
        ab = heads.platt(heads.linear_scores(Xv, W, b), Yv)
        np.testing.assert_allclose(net.predict_proba(Xv),
                                   heads.apply_platt(heads.linear_scores(Xv, W, b), ab), atol=1e-5)
    assert heads.fit_heads(X, Y, Xv, Yv) == []


def test_logit_mean_of_networks():
    """MeanModel(combine="logit") is the sigmoid of the mean of the members' logits."""
    from anime_genre.model import MultiLabelClassifier
    from anime_genre.model import MeanModel

    X, Y = data()
    nets = [MultiLabelClassifier(X.shape[1], Y.shape[1], hidden_sizes=h, dropout=0.5,
                                 sparse_input=True, seed=s) for s, h in ((0, (5,)), (1, ()))]
    nets[0].train()                       # a model left in training mode: dropout must be off
    Z = np.mean([n.eval().forward(X) for n in nets], axis=0)
    nets[0].train()
    np.testing.assert_allclose(MeanModel(nets, combine="logit").predict_proba(X), sigmoid(Z),
                               rtol=1e-6)
    assert nets[0].training
    np.testing.assert_allclose(MeanModel(nets).predict_proba(X),
                               np.mean([n.predict_proba(X) for n in nets], axis=0), rtol=1e-6)
    with pytest.raises(ValueError):
        MeanModel(nets, combine="median")
