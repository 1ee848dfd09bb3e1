"""Mini-batch training with validation, early stopping and a progress bar.

    trainer = Trainer(model, Adam(1e-3), batch_size=128, max_epochs=30, patience=3)
    history = trainer.fit(X, Y, X_val, Y_val)

``X`` is a (N, D) array or a CSR matrix (rows are selected by index, never densified),
``Y`` (N, K) 0/1. Each epoch visits the examples in a fresh order drawn from ``seed``, so two
runs with the same seed see the same batches. After every epoch the validation loss and
metric are recorded; with ``patience`` the run stops after that many epochs without
improvement. With validation data, the weights of the best epoch (by ``eval_metric``) are put
back into the model at the end, whether the run stopped early or not.
"""
from __future__ import annotations

import numpy as np
from tqdm.auto import tqdm

from . import metrics


def minibatch_indices(n, batch_size, seed):
    """The example indices of one epoch's mini-batches, in a random order drawn from ``seed``.

    Returns a list of int arrays: a permutation of 0..n-1 cut into consecutive pieces of
    ``batch_size`` (the last one may be shorter). The same seed gives the same batches.
    """
    order = np.random.default_rng(seed).permutation(n)
    return [order[start:start + batch_size] for start in range(0, n, batch_size)]


def early_stopping(scores, patience):
    """Early-stopping decision from the validation scores so far (higher is better).

    scores: list of floats, one per epoch. Returns (best, stop): ``best`` the 0-based index
    of the first best score (None if the list is empty), ``stop`` True when the last
    ``patience`` epochs all came after the best one (no improvement for ``patience`` epochs).
    """
    if len(scores) == 0:
        return None, False
    best = int(np.argmax(scores))
    return best, len(scores) - 1 - best >= patience


class Trainer:
    """model: has ``params``, ``grads``, ``loss(x, t)``, ``backward()``, ``predict_proba(X)``,
    ``train()``/``eval()``; optimizer: ``update(params, grads[, rows])``.

    eval_metric: "micro_f1" (at threshold 0.5, higher is better), "loss" (validation loss,
    lower is better) or a callable ``metric(Y, P) -> float`` on probabilities, higher is better.
    lazy_sparse: pass the sparse layer's touched rows to the optimizer (see ``optim``).
    """

    def __init__(self, model, optimizer, batch_size=128, max_epochs=20, seed=0, patience=None,
                 eval_metric="micro_f1", progress=True, lazy_sparse=True):
        if batch_size < 1 or max_epochs < 1:
            raise ValueError("batch_size and max_epochs must be at least 1")
        if not (callable(eval_metric) or eval_metric in ("micro_f1", "loss")):
            raise ValueError(f"eval_metric must be 'micro_f1', 'loss' or a callable, got {eval_metric!r}")
        self.model = model
        self.optimizer = optimizer
        self.batch_size = int(batch_size)
        self.max_epochs = int(max_epochs)
        self.seed = seed
        self.patience = patience
        self.eval_metric = eval_metric
        self.progress = progress
        self.lazy_sparse = lazy_sparse
        self.history = None

    def _batches(self, n, rng):
        # one seed per epoch, drawn from the trainer's generator: reproducible by ``seed``
        return minibatch_indices(n, self.batch_size, int(rng.integers(2**63 - 1)))

    def evaluate(self, X, Y):
        """(validation loss, metric) of the model in evaluation mode. The metric is oriented
        so that higher is better (for "loss" it is minus the loss)."""
        model = self.model
        was_training = model.training
        model.eval()
        try:
            total, n = 0.0, X.shape[0]
            for start in range(0, n, 2048):
                xb, yb = X[start:start + 2048], Y[start:start + 2048]
                total += model.loss(xb, yb) * xb.shape[0]
            val_loss = total / max(n, 1)
            if self.eval_metric == "loss":
                score = -val_loss
            else:
                P = model.predict_proba(X)
                if self.eval_metric == "micro_f1":
                    score = metrics.micro_f1(Y, P >= 0.5)
                else:
                    score = float(self.eval_metric(np.asarray(Y), P))
        finally:
            if was_training:
                model.train()
        return val_loss, score

    def fit(self, X, Y, X_val=None, Y_val=None):
        """Train; returns the history dict: ``train_loss``, ``val_loss``, ``val_metric``
        (one value per epoch), ``best_epoch`` (1-based, None without validation data),
        ``epochs`` run and ``stopped_early``."""
        model, opt = self.model, self.optimizer
        Y = np.asarray(Y)
        if X.shape[0] != Y.shape[0]:
            raise ValueError(f"X has {X.shape[0]} rows but Y has {Y.shape[0]}")
        has_val = X_val is not None and Y_val is not None
        if has_val:
            Y_val = np.asarray(Y_val)
        rng = np.random.default_rng(self.seed)
        hist = {"train_loss": [], "val_loss": [], "val_metric": [], "best_epoch": None,
                "epochs": 0, "stopped_early": False}
        best_params, scores = None, []
        sparse_rows = self.lazy_sparse and any(r is not None for r in model.grad_rows())

        model.train()
        bar = tqdm(range(1, self.max_epochs + 1), disable=not self.progress, desc="epochs",
                   leave=False)
        for epoch in bar:
            total = 0.0
            for idx in self._batches(X.shape[0], rng):
                loss = model.loss(X[idx], Y[idx])
                model.backward()
                if sparse_rows:
                    opt.update(model.params, model.grads, rows=model.grad_rows())
                else:
                    opt.update(model.params, model.grads)
                total += loss * len(idx)
            hist["train_loss"].append(total / X.shape[0])
            hist["epochs"] = epoch
            postfix = {"loss": f"{hist['train_loss'][-1]:.4f}"}
            if has_val:
                val_loss, score = self.evaluate(X_val, Y_val)
                hist["val_loss"].append(val_loss)
                hist["val_metric"].append(-score if self.eval_metric == "loss" else score)
                postfix.update(val_loss=f"{val_loss:.4f}", val=f"{hist['val_metric'][-1]:.4f}")
                scores.append(score)
                best, stop = early_stopping(scores, self.patience if self.patience is not None
                                            else self.max_epochs + 1)
                if best == len(scores) - 1:          # this epoch is the best so far
                    best_params = [p.copy() for p in model.params]
                    hist["best_epoch"] = epoch
                if stop:
                    hist["stopped_early"] = True
                    break
            bar.set_postfix(postfix)
        bar.close()
        if best_params is not None:
            for p, best in zip(model.params, best_params):
                p[...] = best
        self.history = hist
        return hist
