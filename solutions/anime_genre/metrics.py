"""Multi-label metrics and per-genre threshold tuning.

Inputs: ``Y`` (n, k) true 0/1 labels, ``Yhat`` (n, k) predicted 0/1 labels, ``P`` (n, k)
scores or probabilities. Undefined ratios (0/0) count as 0, like scikit-learn's
``zero_division=0``; the functions agree with scikit-learn's ``f1_score``,
``precision_score``, ``recall_score``, ``hamming_loss`` and ``average_precision_score``
(tests compare them).

Averages: ``micro`` pools every (example, genre) decision; ``macro`` is the plain mean of the
per-genre values (rare genres weigh as much as frequent ones); ``samples`` is the mean of the
per-example values.
"""
from __future__ import annotations

import numpy as np

AVERAGES = ("micro", "macro", "samples")


def _as_binary(Y, name):
    Y = np.asarray(Y)
    if Y.ndim != 2:
        raise ValueError(f"{name} must be a 2-D (n, k) array, got shape {Y.shape}")
    return Y.astype(bool)


def _counts(Y, Yhat, average):
    """True positives, predicted positives and actual positives, pooled as ``average`` says."""
    Y = _as_binary(Y, "Y")
    Yhat = _as_binary(Yhat, "Yhat")
    if Y.shape != Yhat.shape:
        raise ValueError(f"Y has shape {Y.shape} but Yhat has shape {Yhat.shape}")
    if average not in AVERAGES:
        raise ValueError(f"average must be one of {AVERAGES}, got {average!r}")
    axis = {"micro": None, "macro": 0, "samples": 1}[average]
    tp = (Y & Yhat).sum(axis=axis)
    pred = Yhat.sum(axis=axis)
    true = Y.sum(axis=axis)
    return np.asarray(tp, float), np.asarray(pred, float), np.asarray(true, float)


def _ratio(num, den):
    """num / den with 0 where den == 0 (scikit-learn's zero_division=0)."""
    out = np.zeros_like(num, dtype=float)
    np.divide(num, den, out=out, where=den > 0)
    return out


def precision(Y, Yhat, average="micro"):
    tp, pred, _ = _counts(Y, Yhat, average)
    return float(np.mean(_ratio(tp, pred)))


def recall(Y, Yhat, average="micro"):
    tp, _, true = _counts(Y, Yhat, average)
    return float(np.mean(_ratio(tp, true)))


def f1(Y, Yhat, average="micro"):
    """F1 = 2 TP / (2 TP + FP + FN) = 2 TP / (#predicted + #actual), 0 when both are 0.

    Y, Yhat: (n, k) 0/1 arrays. average: "micro" (pool every decision), "macro" (mean of
    the k per-genre F1) or "samples" (mean of the n per-example F1). Returns a float.
    """
    Y = np.asarray(Y).astype(bool)
    Yhat = np.asarray(Yhat).astype(bool)
    if Y.ndim != 2 or Y.shape != Yhat.shape:
        raise ValueError(f"Y and Yhat must be (n, k) arrays of one shape, got {Y.shape} and {Yhat.shape}")
    axes = {"micro": None, "macro": 0, "samples": 1}
    if average not in axes:
        raise ValueError(f"average must be 'micro', 'macro' or 'samples', got {average!r}")
    tp = np.asarray((Y & Yhat).sum(axis=axes[average]), dtype=float)
    denominator = np.asarray(Y.sum(axis=axes[average]) + Yhat.sum(axis=axes[average]), dtype=float)
    scores = np.zeros_like(tp)
    np.divide(2 * tp, denominator, out=scores, where=denominator > 0)   # 0/0 counts as 0
    return float(scores.mean())


def micro_f1(Y, Yhat):
    return f1(Y, Yhat, "micro")


def macro_f1(Y, Yhat):
    return f1(Y, Yhat, "macro")


def samples_f1(Y, Yhat):
    return f1(Y, Yhat, "samples")


def per_genre_f1(Y, Yhat):
    """(k,) F1 of each genre."""
    tp, pred, true = _counts(Y, Yhat, "macro")
    return _ratio(2 * tp, pred + true)


def hamming_loss(Y, Yhat):
    """Fraction of (example, genre) decisions that are wrong."""
    return float(np.mean(_as_binary(Y, "Y") != _as_binary(Yhat, "Yhat")))


def _average_precision_1d(y, p):
    """AP of one ranking: sum over distinct score thresholds of (R_i - R_{i-1}) P_i."""
    order = np.argsort(-p, kind="mergesort")
    y, p = y[order], p[order]
    # cut only after the last of each run of tied scores
    last = np.r_[np.flatnonzero(np.diff(p)), y.size - 1]
    tp = np.cumsum(y)[last]
    npos = tp[-1]
    if npos == 0:
        return 0.0     # no positive: recall undefined; scikit-learn returns 0 (and warns)
    prec = tp / (last + 1)
    d_recall = np.diff(np.r_[0.0, tp]) / npos
    return float(np.sum(d_recall * prec))


def average_precision(Y, P, average="macro"):
    """Area under the precision-recall curve without interpolation, as scikit-learn's
    ``average_precision_score``: ``micro`` ranks all (example, genre) pairs together,
    ``macro`` averages the per-genre APs."""
    Y = _as_binary(Y, "Y").astype(float)
    P = np.asarray(P, dtype=float)
    if average == "micro":
        return _average_precision_1d(Y.ravel(), P.ravel())
    if average == "macro":
        return float(np.mean([_average_precision_1d(Y[:, j], P[:, j]) for j in range(Y.shape[1])]))
    raise ValueError(f"average must be 'micro' or 'macro', got {average!r}")


def precision_at_k(Y, P, k=3):
    """Mean over examples of the fraction of the k highest-scored genres that are true."""
    Y = _as_binary(Y, "Y")
    P = np.asarray(P, dtype=float)
    k = int(min(k, P.shape[1]))
    top = np.argpartition(-P, k - 1, axis=1)[:, :k]
    return float(np.take_along_axis(Y, top, axis=1).sum(axis=1).mean() / k)


def tune_thresholds(Y_val, P_val, grid=None, default=0.5):
    """Per-genre thresholds that maximise each genre's F1 on validation data.

    Y_val: (n, k) 0/1, P_val: (n, k) probabilities, grid: candidate thresholds (default
    0.01, 0.02, ..., 0.99). Returns (k,) float thresholds; a genre is predicted when
    P >= its threshold (``apply_thresholds``). A genre without positives in validation keeps
    ``default``. Among equally good thresholds, the middle of the first best run is taken.

    Vectorised over thresholds: for each genre, the number of scores >= t for every t of the
    grid is one ``searchsorted`` on the sorted scores, O(n log n + G log n) per genre.
    """
    Y = np.asarray(Y_val).astype(bool)
    P = np.asarray(P_val, dtype=float)
    if Y.ndim != 2 or P.shape != Y.shape:
        raise ValueError(f"Y_val and P_val must be (n, k) arrays of one shape, got {Y.shape} and {P.shape}")
    if grid is None:
        grid = np.round(np.arange(0.01, 1.0, 0.01), 2)
    grid = np.sort(np.asarray(grid, dtype=float))
    n, k = Y.shape
    thresholds = np.full(k, float(default))
    for j in range(k):
        scores = np.sort(P[:, j])
        positives = np.sort(P[Y[:, j], j])
        if positives.size == 0:
            continue
        predicted = n - np.searchsorted(scores, grid, side="left")       # #(score >= t)
        tp = positives.size - np.searchsorted(positives, grid, side="left")
        f1s = 2.0 * tp / (predicted + positives.size)                     # denominator > 0
        first = int(np.argmax(f1s))
        last = first
        while last + 1 < f1s.size and f1s[last + 1] == f1s[first]:
            last += 1
        thresholds[j] = grid[(first + last) // 2]
    return thresholds


def apply_thresholds(P, thresholds):
    """(n, k) 0/1 int8 predictions: P[:, j] >= thresholds[j] (a scalar applies to all)."""
    # compared in float64, as in tune_thresholds, so tuned thresholds reproduce exactly
    return (np.asarray(P, dtype=float) >= np.asarray(thresholds, dtype=float)).astype(np.int8)
