"""Closed-form linear heads beside the MLP, and Platt scaling: numpy and scipy.sparse only.

Each head reads the TF-IDF matrix ``X`` (n, V) (CSR, the reference's features) and the 0/1
genre matrix ``Y`` (n, K), and gives one real *score* per show and genre, linear in ``X``::

    S = X @ W + b        # W (V, K), b (K,): larger = more likely

- :func:`naive_bayes_fit`: one-vs-rest multinomial naive Bayes (one binary model per genre,
  "genre" against "not genre"); its score is the log-odds ``log P(genre | x) - log P(not |
  x)``. Closed form: two sums of the feature values per genre.
- :func:`ridge_fit`: ridge regression of every genre's 0/1 column on ``X`` (least squares
  with an L2 penalty, with an intercept), solved by conjugate gradients on the normal
  equations, all genres at once.
- :func:`nb_ridge_fit`: the same ridge regression on features rescaled per genre by naive
  Bayes (each word weighted by how strongly its presence tells the genre from the others,
  :func:`nb_log_ratio`; the idea of Wang & Manning's NBSVM with a closed-form solver). A
  word that says nothing about a genre costs that genre's weights more penalty: the head
  listens to the words naive Bayes found telling, with ridge's calibrated least squares.

Their scores are on different scales (a log-odds of -40, a regression output of 0.3), so
:func:`platt` fits per genre ``sigmoid(a * S + c)`` on the validation shows, which turns
scores into probabilities that can be averaged with the MLP's. The map is linear inside the
sigmoid, so a calibrated head is a logistic layer ``sigmoid(X @ (W * a) + (a * b + c))``
(:func:`fold_platt`): it is stored and predicted as a network with no hidden layer.
"""
from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from .functions import sigmoid


def _dense_column_sums(X) -> np.ndarray:
    # (V,) float64 column sums: a product with ones, which scipy computes in float64 (its
    # ``X.sum`` of a float32 matrix adds in float32)
    return np.asarray(X.T @ np.ones(X.shape[0]), dtype=np.float64).ravel()


def naive_bayes_fit(X, Y, alpha=0.1) -> tuple:
    """One-vs-rest multinomial naive Bayes: ``(W, b)``, W (V, K), b (K,) float64, such that
    ``X @ W + b`` is the log-odds of each genre (scikit-learn's ``MultinomialNB`` fitted on
    each genre's 0/1 column: ``jll[:, 1] - jll[:, 0]`` of ``predict_joint_log_proba``).

    X: (n, V) non-negative (counts or TF-IDF, CSR or dense), Y: (n, K) 0/1, alpha: additive
    (Laplace/Lidstone) smoothing. For genre k, class 1 = the shows with genre k, class 0 =
    the others; ``theta_c[v] = (F_c[v] + alpha) / (sum_v F_c[v] + alpha V)`` where ``F_c[v]``
    sums feature v over the shows of class c, and ``b = log(n_1 / n_0)``. A genre with no
    positive (or no negative) training show gets score 0 (W = 0, b = 0): no information.
    """
    Y = np.asarray(Y, dtype=np.float64)
    n, V = X.shape
    F1 = np.asarray(X.T @ Y, dtype=np.float64)                 # (V, K) feature sums, genre
    F0 = _dense_column_sums(X)[:, None] - F1                   # (V, K) the other shows
    F0 = np.maximum(F0, 0.0)                                   # float rounding of a difference
    log1 = np.log(F1 + alpha) - np.log(F1.sum(axis=0) + alpha * V)
    log0 = np.log(F0 + alpha) - np.log(F0.sum(axis=0) + alpha * V)
    W = log1 - log0
    n1 = Y.sum(axis=0)
    n0 = n - n1
    ok = (n1 > 0) & (n0 > 0)
    b = np.zeros(Y.shape[1])
    b[ok] = np.log(n1[ok] / n0[ok])
    W[:, ~ok] = 0.0
    return W, b


def ridge_fit(X, Y, alpha=3.0, tol=1e-5, max_iter=300, scale=None) -> tuple:
    """Ridge regression with intercept, every column of Y at once: ``(W, b, info)``, W (V, K),
    b (K,) float64 minimising ``||X W + 1 b - Y||^2 + alpha ||W||^2`` (the intercept is not
    penalised: scikit-learn's ``Ridge(alpha, fit_intercept=True)``). ``info``: iterations.

    X: (n, V) CSR or dense, Y: (n, K). With ``mu`` the column means of X and ``Xc = X - 1
    mu^T`` (never formed: a sparse X stays sparse), W solves the normal equations
    ``(Xc^T Xc + alpha I) W = Xc^T (Y - mean(Y))`` and ``b = mean(Y) - mu^T W``. They are
    solved by conjugate gradients, one independent CG per column run side by side (each
    step is two products of X with a (., K) matrix), until every column's residual is below
    ``tol`` times its right-hand side's norm.

    ``scale`` (V, K), optional: column k is fitted on ``X * scale[:, k]`` (each feature
    rescaled for that column alone: ``Ridge`` on ``X @ diag(scale[:, k])``), and the returned
    W is for the unscaled X (``W[:, k] = scale[:, k] * w_k``), so ``X @ W + b`` predicts.
    """
    X = X.astype(np.float64) if sp.issparse(X) else np.asarray(X, dtype=np.float64)
    Y = np.asarray(Y, dtype=np.float64)
    mu = _dense_column_sums(X) / X.shape[0]                    # (V,)
    ybar = Y.mean(axis=0)
    S = 1.0 if scale is None else np.asarray(scale, dtype=np.float64)

    def normal(P):                                             # (Xc^T Xc + alpha I) P, scaled
        Q = S * P                                              # column k: diag(s_k) p_k
        Z = X @ Q - mu @ Q                                     # Xc Q, (n, K)
        return S * (X.T @ Z) + alpha * P                       # Xc^T Z = X^T Z: Z sums to 0

    B = S * np.asarray(X.T @ (Y - ybar))                       # (Xc S)^T Yc, (V, K)
    W = np.zeros_like(B)
    R = B.copy()                                               # residual B - normal(W)
    P = R.copy()
    rr = np.einsum("ij,ij->j", R, R)
    stop = (tol * np.sqrt(np.einsum("ij,ij->j", B, B))) ** 2
    it = 0
    while it < max_iter and np.any(rr > stop):
        AP = normal(P)
        pAp = np.einsum("ij,ij->j", P, AP)
        step = np.divide(rr, pAp, out=np.zeros_like(rr), where=pAp > 0)
        W += step * P
        R -= step * AP
        rr_new = np.einsum("ij,ij->j", R, R)
        P = R + np.divide(rr_new, rr, out=np.zeros_like(rr), where=rr > 0) * P
        rr = rr_new
        it += 1
    W = S * W                                                  # weights of the unscaled X
    return W, ybar - mu @ W, {"iterations": it}


def nb_log_ratio(X, Y, alpha=1.0) -> np.ndarray:
    """(V, K) float64 naive-Bayes log-count ratios of word *presence*, per genre (NBSVM's
    ``r``): ``r[v, k] = log(p[v] / |p|_1) - log(q[v] / |q|_1)`` with ``p = alpha +`` the
    number of training shows of genre k that contain word v and ``q = alpha +`` the number
    of the other shows that do. X: (n, V) (only its nonzeros count), Y: (n, K) 0/1."""
    B = sp.csr_matrix(X, dtype=np.float64, copy=True)
    B.data[:] = 1.0
    B.eliminate_zeros()
    Y = np.asarray(Y, dtype=np.float64)
    P = np.asarray(B.T @ Y) + alpha                            # (V, K)
    Q = (_dense_column_sums(B)[:, None] - (P - alpha)) + alpha
    return np.log(P / P.sum(axis=0)) - np.log(Q / Q.sum(axis=0))


def nb_ridge_fit(X, Y, alpha=3.0, nb_alpha=1.0, tol=1e-5, max_iter=300) -> tuple:
    """Ridge regression on naive-Bayes-scaled features: ``(W, b, info)`` as :func:`ridge_fit`
    with ``scale = |nb_log_ratio(X, Y, nb_alpha)|``. The sign of ``r`` is left to the
    weights; its size says how much a word may weigh for that genre before the penalty
    bites. X: (n, V), Y: (n, K); W (V, K), b (K,)."""
    R = np.abs(nb_log_ratio(X, Y, nb_alpha))
    W, b, info = ridge_fit(X, Y, alpha=alpha, tol=tol, max_iter=max_iter, scale=R)
    return W, b, dict(info, nb_alpha=nb_alpha)


def linear_scores(X, W, b) -> np.ndarray:
    """(n, K) float64 scores ``X @ W + b`` of a head."""
    return np.asarray(X @ W, dtype=np.float64) + b


# ----------------------------------------------------------------------------- Platt

def platt(S_val, Y_val, iters=30):
    """Per-genre Platt scaling fitted on validation: ``(a, b)``, each (K,), such that
    ``sigmoid(a * S + b)`` are probabilities (:func:`apply_platt`).

    S_val: (n, K) scores (a decision function, a log-odds, a ridge prediction), Y_val: (n, K)
    0/1. Why: the thresholds are tuned on a 0.01 grid in [0.01, 0.99], which cannot resolve
    a margin of 3.2 from one of 4.5 or two naive-Bayes probabilities of 1 - 1e-9, and an
    ensemble can only average scores that mean the same thing. The map is increasing per
    genre, so it changes nothing that the tuned thresholds can reach on validation beyond the
    grid's resolution. Platt's smoothed targets ((N+ + 1) / (N+ + 2), 1 / (N- + 2)) keep a
    genre that the scores separate perfectly from sending ``a`` to infinity; a few Newton
    steps on the two parameters converge (the loss is convex).
    """
    S = np.asarray(S_val, dtype=np.float64)
    Y = np.asarray(Y_val, dtype=bool)
    n, K = S.shape
    a, b = np.ones(K), np.zeros(K)
    for j in range(K):
        s = S[:, j]
        pos = int(Y[:, j].sum())
        t = np.where(Y[:, j], (pos + 1) / (pos + 2), 1 / (n - pos + 2))
        # Newton on standardised scores (well conditioned whatever the scale of the scores)
        mu, sd = s.mean(), s.std() + 1e-12
        z = (s - mu) / sd
        w = np.zeros(2)                                  # slope, intercept on z
        for _ in range(iters):
            p = sigmoid(w[0] * z + w[1])
            g = np.array([np.dot(p - t, z), np.sum(p - t)])
            h = p * (1 - p)
            H = np.array([[np.dot(h, z * z), np.dot(h, z)], [np.dot(h, z), h.sum()]])
            H[np.diag_indices(2)] += 1e-9
            step = np.linalg.solve(H, g)
            w -= step
            if np.abs(step).max() < 1e-8:
                break
        a[j], b[j] = w[0] / sd, w[1] - w[0] * mu / sd
    return a, b


def apply_platt(S, ab):
    """(n, K) probabilities ``sigmoid(a * S + b)`` (``ab`` from :func:`platt`)."""
    a, b = ab
    return sigmoid(np.asarray(S, dtype=np.float64) * a + b)


def fold_platt(W, b, ab) -> tuple:
    """A head and its Platt map as one logistic layer: ``(W * a, b * a + c)``, so that
    ``sigmoid(X @ W' + b') == apply_platt(X @ W + b, (a, c))``. W (V, K), b, a, c (K,)."""
    a, c = ab
    return W * a, b * a + c


# ----------------------------------------------------------------------------- as networks

def as_network(W, b, dtype=np.float32):
    """A calibrated head as a network with no hidden layer (sparse input, sigmoid output):
    ``MultiLabelClassifier(V, K, hidden_sizes=())`` whose weights are W (V, K) and b (K,),
    so that the run model saves, loads and predicts it like the MLPs."""
    from .model import MultiLabelClassifier

    net = MultiLabelClassifier(W.shape[0], W.shape[1], hidden_sizes=(), loss="bce",
                               sparse_input=True, dtype=dtype)
    net.params[0][...] = W
    net.params[1][...] = b
    return net.eval()


def fit_heads(X, Y, X_val, Y_val, nb_alpha=None, ridge_alpha=None, nb_ridge_alpha=None) -> list:
    """The heads of the reference, fitted on (X, Y), Platt-calibrated on (X_val, Y_val) and
    folded into networks (:func:`as_network`): a list of ``(name, network, info)``, naive
    Bayes first, then ridge, then the naive-Bayes-scaled ridge; a head whose alpha is None
    is left out."""
    out = []
    if nb_alpha is not None:
        W, b = naive_bayes_fit(X, Y, alpha=nb_alpha)
        out.append(("naive-bayes", W, b, {"alpha": nb_alpha}))
    if ridge_alpha is not None:
        W, b, info = ridge_fit(X, Y, alpha=ridge_alpha)
        out.append(("ridge", W, b, dict(info, alpha=ridge_alpha)))
    if nb_ridge_alpha is not None:
        W, b, info = nb_ridge_fit(X, Y, alpha=nb_ridge_alpha)
        out.append(("nb-ridge", W, b, dict(info, alpha=nb_ridge_alpha)))
    nets = []
    for name, W, b, info in out:
        ab = platt(linear_scores(X_val, W, b), Y_val)
        nets.append((name, as_network(*fold_platt(W, b, ab)), info))
    return nets
