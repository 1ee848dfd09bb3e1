"""Metrics agree with scikit-learn on random data; threshold tuning finds the best F1."""
import warnings

import numpy as np
import pytest
from sklearn import metrics as skm

from anime_genre import metrics


def random_case(seed, n=60, k=7):
    rng = np.random.default_rng(seed)
    Y = (rng.random((n, k)) < 0.3).astype(int)
    P = np.round(rng.random((n, k)), 2)       # rounding makes ties, as real scores have
    P = np.clip(P + 0.3 * Y, 0, 1)
    Yhat = (P >= 0.5).astype(int)
    Y[:, 0] = 0          # a genre never present
    Yhat[:, 1] = 0       # a genre never predicted
    Y[2] = 0
    Yhat[2] = 0          # an example with nothing true and nothing predicted
    return Y, P, Yhat


@pytest.mark.parametrize("seed", range(4))
@pytest.mark.parametrize("average", ["micro", "macro", "samples"])
def test_prf_match_sklearn(seed, average):
    Y, _, Yhat = random_case(seed)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        assert metrics.f1(Y, Yhat, average) == pytest.approx(
            skm.f1_score(Y, Yhat, average=average, zero_division=0), abs=1e-12)
        assert metrics.precision(Y, Yhat, average) == pytest.approx(
            skm.precision_score(Y, Yhat, average=average, zero_division=0), abs=1e-12)
        assert metrics.recall(Y, Yhat, average) == pytest.approx(
            skm.recall_score(Y, Yhat, average=average, zero_division=0), abs=1e-12)


@pytest.mark.parametrize("seed", range(4))
def test_hamming_and_average_precision_match_sklearn(seed):
    Y, P, Yhat = random_case(seed)
    assert metrics.hamming_loss(Y, Yhat) == pytest.approx(skm.hamming_loss(Y, Yhat))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for average in ["micro", "macro"]:
            assert metrics.average_precision(Y, P, average) == pytest.approx(
                skm.average_precision_score(Y, P, average=average), abs=1e-12)
    Y[:, 0] = 1    # every column has positives: no undefined AP
    Y[:, 0][0] = 0
    assert metrics.average_precision(Y, P, "macro") == pytest.approx(
        skm.average_precision_score(Y, P, average="macro"), abs=1e-12)


def test_named_shortcuts_and_per_genre():
    Y, _, Yhat = random_case(9)
    assert metrics.micro_f1(Y, Yhat) == metrics.f1(Y, Yhat, "micro")
    assert metrics.macro_f1(Y, Yhat) == metrics.f1(Y, Yhat, "macro")
    assert metrics.samples_f1(Y, Yhat) == metrics.f1(Y, Yhat, "samples")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        np.testing.assert_allclose(metrics.per_genre_f1(Y, Yhat),
                                   skm.f1_score(Y, Yhat, average=None, zero_division=0))


def test_precision_at_k():
    Y = np.array([[1, 0, 1, 0], [0, 0, 0, 1]])
    P = np.array([[0.9, 0.8, 0.7, 0.1], [0.1, 0.2, 0.3, 0.4]])
    assert metrics.precision_at_k(Y, P, k=1) == pytest.approx((1 + 1) / 2)
    assert metrics.precision_at_k(Y, P, k=2) == pytest.approx((0.5 + 0.5) / 2)
    assert metrics.precision_at_k(Y, P, k=3) == pytest.approx((2 / 3 + 1 / 3) / 2)


def brute_force_best_f1(y, p, grid):
    return max(skm.f1_score(y, (p >= t).astype(int), zero_division=0) for t in grid)


def test_tune_thresholds_maximises_per_genre_f1():
    rng = np.random.default_rng(3)
    Y = (rng.random((200, 5)) < 0.2).astype(int)
    P = np.clip(rng.random((200, 5)) * 0.6 + 0.35 * Y, 0, 1)
    grid = np.round(np.arange(0.05, 1.0, 0.05), 2)
    thr = metrics.tune_thresholds(Y, P, grid=grid)
    assert thr.shape == (5,)
    pred = metrics.apply_thresholds(P, thr)
    for j in range(5):
        best = brute_force_best_f1(Y[:, j], P[:, j], grid)
        assert skm.f1_score(Y[:, j], pred[:, j]) == pytest.approx(best, abs=1e-12)
    # tuned thresholds do at least as well as 0.5 on the data they were tuned on
    assert metrics.macro_f1(Y, pred) >= metrics.macro_f1(Y, P >= 0.5)


def test_tune_thresholds_genre_without_positives_keeps_default():
    Y = np.zeros((10, 2), dtype=int)
    Y[:3, 1] = 1
    P = np.linspace(0, 1, 20).reshape(10, 2)
    thr = metrics.tune_thresholds(Y, P, default=0.5)
    assert thr[0] == 0.5
    assert np.all(metrics.apply_thresholds(P, thr)[:, 1] == (P[:, 1] >= thr[1]))


def test_input_errors():
    with pytest.raises(ValueError):
        metrics.f1(np.zeros((3, 2)), np.zeros((3, 3)))
    with pytest.raises(ValueError):
        metrics.f1(np.zeros(3), np.zeros(3))
    with pytest.raises(ValueError):
        metrics.f1(np.zeros((3, 2)), np.zeros((3, 2)), "weighted")
