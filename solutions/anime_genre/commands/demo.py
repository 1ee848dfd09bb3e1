"""``anime-genre demo``: train the numpy core on a synthetic multi-label problem.

No data needed. Each example has D Gaussian features; genre j is present when a fixed random
linear score of the features passes a genre-specific bias, so the genres overlap (an example
may have several) and some are rarer than others. The MLP is trained with each loss and the
micro-F1 on training and held-out examples is printed.
"""
from __future__ import annotations

import numpy as np


def make_multilabel(n=800, d=20, k=6, seed=0):
    """Seeded synthetic multi-label data: X (n, d) float64, Y (n, k) int8."""
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, d))
    W = rng.standard_normal((d, k)) * (3 / np.sqrt(d))
    bias = np.linspace(-0.5, -2.0, k)              # later genres are rarer
    Y = (X @ W + bias + 0.1 * rng.standard_normal((n, k)) > 0).astype(np.int8)
    return X, Y


def add_arguments(parser):
    parser.add_argument("--examples", type=int, default=800, help="number of examples (default 800)")
    parser.add_argument("--epochs", type=int, default=60, help="training epochs (default 60)")
    parser.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    parser.add_argument("--progress", action="store_true", help="show a progress bar")


def main(args) -> int:
    from .. import metrics
    from ..model import MultiLabelClassifier
    from ..optim import Adam
    from ..trainer import Trainer

    X, Y = make_multilabel(n=args.examples, seed=args.seed)
    n_train = int(0.75 * len(X))
    Xtr, Ytr, Xte, Yte = X[:n_train], Y[:n_train], X[n_train:], Y[n_train:]
    k = Y.shape[1]
    print(f"synthetic multi-label problem: {len(X)} examples, {X.shape[1]} features, {k} genres, "
          f"{Y.sum(1).mean():.2f} genres per example; genre frequencies "
          + " ".join(f"{f:.2f}" for f in Y.mean(0)))
    pos = Ytr.mean(0)
    settings = {
        "bce": {},
        "weighted_bce": {"pos_weight": (1 - pos) / np.maximum(pos, 1e-3)},
        "focal": {"gamma": 2.0, "alpha": 0.25},
        "softmax": {},
    }
    print(f"{'loss':14s} {'train micro-F1':>15s} {'test micro-F1':>14s} {'test macro-F1':>14s}")
    for loss, extra in settings.items():
        model = MultiLabelClassifier(X.shape[1], k, hidden_sizes=(64,), loss=loss,
                                     seed=args.seed, **extra)
        Trainer(model, Adam(1e-2), batch_size=64, max_epochs=args.epochs, seed=args.seed,
                progress=args.progress).fit(Xtr, Ytr)
        # softmax spreads one unit of probability over the genres: threshold at 1/k
        threshold = 1.0 / k if loss == "softmax" else 0.5
        p_tr, p_te = model.predict_proba(Xtr), model.predict_proba(Xte)
        print(f"{loss:14s} {metrics.micro_f1(Ytr, p_tr >= threshold):15.3f} "
              f"{metrics.micro_f1(Yte, p_te >= threshold):14.3f} "
              f"{metrics.macro_f1(Yte, p_te >= threshold):14.3f}")
    return 0
