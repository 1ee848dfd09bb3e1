"""Issue 14, item 3: candidate fourth heads for the numpy reference (numpy + scipy only),
measured by benchmarks/reference_ablation.py. Each returns ``(W, b, info)`` with scores
``X @ W + b`` (``heads.linear_scores``), like ``heads.naive_bayes_fit`` / ``ridge_fit``.

- :func:`logreg_fit`: L2 logistic regression of every genre at once (weighted BCE with the
  MLP's positive weights ``sqrt((1 - prior) / prior)`` or none), L-BFGS on all weights.
- :func:`nblr_fit`: the same on naive-Bayes-scaled features (NBSVM, Wang & Manning 2012,
  with the logistic loss): genre k sees ``x * |r_k|`` with ``r_k`` the log-count ratio of
  the binarised features, i.e. its weights are ``|r_k| * w_k`` with the L2 penalty on
  ``w_k``.
- :func:`sqhinge_fit`: L2 squared-hinge linear SVM (LinearSVC's loss; intercept not
  penalised), L-BFGS.
- :func:`nbridge_fit`: ridge regression (``heads.ridge_fit``'s conjugate gradients) on the
  same naive-Bayes-scaled features: the closed-form cousin of :func:`nblr_fit`. About 2 CPU
  s on mal2020 where the L-BFGS heads take 30-35 (150 iterations); the best head measured.

All solved jointly over the K genres (one (V, K) unknown): each iteration costs two
products of the sparse X with a (., K) matrix.
"""
from __future__ import annotations

import numpy as np
import scipy.sparse as sp
from scipy.optimize import minimize

from anime_genre import heads


def _prep(X, Y, dtype=np.float64):
    X = sp.csr_matrix(X, dtype=dtype)
    return X, X.T.tocsr(), np.asarray(Y, dtype=np.float64)


def _lbfgs(fun, V, K, b0, maxiter, tol):
    x0 = np.concatenate([np.zeros(V * K), b0])
    res = minimize(fun, x0, jac=True, method="L-BFGS-B",
                   options={"maxiter": maxiter, "gtol": tol, "maxcor": 10})
    W = res.x[:V * K].reshape(V, K)
    return W, res.x[V * K:], {"iterations": int(res.nit), "converged": bool(res.success)}


def _softplus(z):
    return np.logaddexp(0.0, z)


def _sigmoid(z):
    return 0.5 * (1.0 + np.tanh(0.5 * z))


def logreg_fit(X, Y, lam=1.0, weighted=True, R=None, maxiter=150, tol=1e-5,
               dtype=np.float64):
    """Weighted L2 logistic regression (see the module docstring); ``R`` (V, K) scales the
    weights (NBSVM). Loss: sum over shows and genres of ``pw y softplus(-s) + (1 - y)
    softplus(s)``, plus ``lam / 2 ||W||^2``; the intercept is not penalised. ``dtype``:
    of the two sparse products (float32 halves their memory traffic)."""
    X, XT, Y = _prep(X, Y, dtype)
    n, V = X.shape
    K = Y.shape[1]
    prior = np.clip(Y.mean(axis=0), 1e-3, 0.5)
    pw = np.sqrt((1 - prior) / prior) if weighted else np.ones(K)
    A = pw * Y                                       # weight of the positive term
    B = 1.0 - Y

    def fun(x):
        W = x[:V * K].reshape(V, K)
        b = x[V * K:]
        We = W if R is None else R * W
        S = np.asarray(X @ We.astype(dtype, copy=False), dtype=np.float64) + b
        loss = np.sum(A * _softplus(-S) + B * _softplus(S)) + 0.5 * lam * np.sum(W * W)
        p = _sigmoid(S)
        dS = A * (p - 1.0) + B * p
        G = np.asarray(XT @ dS.astype(dtype), dtype=np.float64)
        if R is not None:
            G *= R
        G += lam * W
        return loss, np.concatenate([G.ravel(), dS.sum(axis=0)])

    mean = np.clip(Y.mean(axis=0), 1e-4, 1 - 1e-4)
    W, b, info = _lbfgs(fun, V, K, np.log(mean / (1 - mean)), maxiter, tol)
    return (W if R is None else R * W), b, info


# (NBSVM's r and the NB-scaled ridge head are the reference's: anime_genre.heads)
nb_ratio = heads.nb_log_ratio


def nblr_fit(X, Y, lam=1.0, alpha=1.0, weighted=True, maxiter=150, tol=1e-5,
             dtype=np.float64):
    """NBSVM-style logistic regression: :func:`logreg_fit` with ``R = |r|`` rescaling (the
    sign of ``r`` is left to the weights, the magnitude says how much a word may weigh)."""
    R = np.abs(nb_ratio(X, Y, alpha))
    W, b, info = logreg_fit(X, Y, lam=lam, weighted=weighted, R=R, maxiter=maxiter, tol=tol,
                            dtype=dtype)
    return W, b, dict(info, alpha=alpha)


def nbridge_fit(X, Y, alpha=3.0, nb_alpha=1.0, tol=1e-5, max_iter=300):
    """The reference's head (``heads.nb_ridge_fit``), under the name the tables use."""
    return heads.nb_ridge_fit(X, Y, alpha=alpha, nb_alpha=nb_alpha, tol=tol, max_iter=max_iter)


def sqhinge_fit(X, Y, lam=5.0, maxiter=150, tol=1e-5):
    """L2 squared-hinge SVM of every genre: ``sum max(0, 1 - y s)^2 + lam / 2 ||W||^2``,
    ``y`` in {-1, +1} (LinearSVC with C = 1 / lam, intercept not penalised)."""
    X, XT, Y = _prep(X, Y)
    n, V = X.shape
    K = Y.shape[1]
    Ys = 2.0 * Y - 1.0

    def fun(x):
        W = x[:V * K].reshape(V, K)
        b = x[V * K:]
        S = X @ W + b
        m = np.maximum(0.0, 1.0 - Ys * S)
        loss = np.sum(m * m) + 0.5 * lam * np.sum(W * W)
        dS = -2.0 * Ys * m
        G = XT @ dS + lam * W
        return loss, np.concatenate([G.ravel(), dS.sum(axis=0)])

    return _lbfgs(fun, V, K, -np.ones(K), maxiter, tol)
