"""Time one training epoch of the numpy core at the size of the real task.

A synthetic TF-IDF-like CSR matrix (11000 documents, 30000 words, ~60 distinct words per
document drawn from a Zipf-like distribution, rows L2-normalised) with 41 genres, trained by
MultiLabelClassifier(sparse_input=True) with Adam. Prints seconds per epoch for a few
settings. Run: .venv/bin/python benchmarks/bench_core_epoch.py [--threads 1]
"""
from __future__ import annotations

import argparse
import os
import time


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--threads", type=int, default=1, help="BLAS threads (default 1: one core)")
    ap.add_argument("--epochs", type=int, default=2)
    args = ap.parse_args()
    for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ[var] = str(args.threads)

    import numpy as np
    import scipy.sparse as sp

    from anime_genre.model import MultiLabelClassifier
    from anime_genre.optim import Adam
    from anime_genre.trainer import Trainer

    rng = np.random.default_rng(0)
    n, v, k, per_doc = 11000, 30000, 41, 60
    p = 1.0 / np.arange(1, v + 1) ** 0.9
    p /= p.sum()
    rows = np.repeat(np.arange(n), per_doc)
    cols = rng.choice(v, size=n * per_doc, p=p)
    X = sp.csr_matrix((rng.random(n * per_doc), (rows, cols)), shape=(n, v))
    X.sum_duplicates()
    X = sp.diags(1 / np.sqrt(X.multiply(X).sum(axis=1)).A1) @ X
    X = X.tocsr().astype(np.float32)
    Y = (rng.random((n, k)) < 0.08).astype(np.int8)
    print(f"X: {X.shape}, nnz {X.nnz} ({X.nnz / n:.1f} per document)")
    for hidden, batch, lazy in [((256,), 128, True), ((512,), 128, True), ((256,), 256, True),
                                ((256,), 128, False)]:
        model = MultiLabelClassifier(v, k, hidden_sizes=hidden, dropout=0.2, loss="focal",
                                     sparse_input=True)
        trainer = Trainer(model, Adam(1e-3), batch_size=batch, max_epochs=args.epochs,
                          progress=False, lazy_sparse=lazy)
        t = time.perf_counter()
        trainer.fit(X, Y)
        per_epoch = (time.perf_counter() - t) / args.epochs
        print(f"hidden {hidden[0]:4d}  batch {batch:4d}  lazy_sparse {lazy!s:5}  "
              f"{per_epoch:.2f} s/epoch")


if __name__ == "__main__":
    main()
