"""Deterministic multi-label stratified split (iterative stratification).

Sechidis, Tsoumakas and Vlahavas (2011), "On the stratification of multi-label data": take
the label with the fewest examples still unassigned, give each of its examples to the part
that most lacks that label (ties: the part that most lacks examples, then a seeded coin), and
repeat. Rare labels are placed first, while every part still has room for them, so each label
ends up in each part in proportion. Rows without any label fill the parts last.
"""
from __future__ import annotations

import numpy as np

CANONICAL_PROPORTIONS = (0.7, 0.1, 0.2)  # train, validation, test
CANONICAL_SEED = 0


def iterative_stratification(Y, proportions=CANONICAL_PROPORTIONS, seed: int = CANONICAL_SEED) -> np.ndarray:
    """Assign each row of the (n, k) 0/1 label matrix ``Y`` to a part.

    Returns an int array of shape (n,) with values in ``range(len(proportions))``. The same
    ``Y``, proportions and seed always give the same assignment.
    """
    Y = np.asarray(Y)
    if Y.ndim != 2:
        raise ValueError(f"Y must be a 2-d label matrix, got shape {Y.shape}")
    Y = Y != 0
    n, k = Y.shape
    r = np.asarray(proportions, dtype=np.float64)
    if r.ndim != 1 or r.size < 1 or (r < 0).any() or r.sum() <= 0:
        raise ValueError(f"proportions must be non-negative and not all zero, got {proportions}")
    r = r / r.sum()
    m = r.size
    rng = np.random.default_rng(seed)
    # Visit rows in a seeded random order so that ties do not follow the input order.
    order = rng.permutation(n)
    Yo = Y[order]
    want_rows = r * n                              # examples each part still needs
    want_label = np.outer(r, Y.sum(axis=0))        # (m, k): examples of label j each part needs
    part_o = np.full(n, -1, dtype=np.int64)
    remaining = Yo.sum(axis=0).astype(np.int64)    # unassigned examples per label
    free = np.ones(n, dtype=bool)
    tie = rng.random((n, m))                       # pre-drawn coins: deterministic per row
    while True:
        active = remaining > 0
        if not active.any():
            break
        counts = np.where(active, remaining, np.iinfo(np.int64).max)
        label = int(np.argmin(counts))             # first of the rarest labels
        rows = np.flatnonzero(free & Yo[:, label])
        for i in rows:
            need = want_label[:, label]
            best = np.flatnonzero(need == need.max())          # parts that most lack the label
            if best.size > 1:
                best = best[want_rows[best] == want_rows[best].max()]   # ... and rows
            j = int(best[np.argmax(tie[i, best])]) if best.size > 1 else int(best[0])
            part_o[i] = j
            free[i] = False
            labels_i = Yo[i]
            want_label[j, labels_i] -= 1
            want_rows[j] -= 1
            remaining[labels_i] -= 1
    # Rows without labels: the part that most lacks examples takes each in turn.
    for i in np.flatnonzero(free):
        j = int(np.argmax(want_rows))
        part_o[i] = j
        want_rows[j] -= 1
    part = np.empty(n, dtype=np.int64)
    part[order] = part_o
    return part


def train_val_test_split(Y, proportions=CANONICAL_PROPORTIONS, seed: int = CANONICAL_SEED):
    """Indices ``(train, val, test)`` (sorted int arrays) of a stratified split of ``Y``
    (n, k); with the defaults, the project's canonical 70/10/20 split."""
    if len(proportions) != 3:
        raise ValueError("train_val_test_split needs three proportions (train, val, test)")
    part = iterative_stratification(Y, proportions, seed)
    return tuple(np.flatnonzero(part == j) for j in range(3))


def label_proportions(Y, part: np.ndarray) -> np.ndarray:
    """(m, k) share of each label's examples that landed in each part (rows sum to ~r)."""
    Y = np.asarray(Y) != 0
    totals = np.maximum(Y.sum(axis=0), 1)
    m = int(part.max()) + 1 if part.size else 0
    return np.stack([Y[part == j].sum(axis=0) / totals for j in range(m)])
