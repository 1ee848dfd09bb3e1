"""TF-IDF fit+transform on the full mal2020 corpus: anime_genre.text vs scikit-learn.

    ANIME_GENRE_DATA_HOME=../shared/datasets .venv/bin/python benchmarks/tfidf.py

Both run in this process on the same documents (all 16,214 synopses, missing ones as ""),
with the same settings; time is the best of 3 ``fit_transform`` calls. Peak memory is the
``tracemalloc`` peak of one ``fit_transform`` (Python objects and numpy buffers, which numpy
reports to tracemalloc), measured in a fresh subprocess per implementation so that one
implementation's allocations cannot hide the other's. Also checks that the two
matrices agree to 1e-12.
"""
from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time

SETTINGS = {
    "default": {},
    "course": {"stop_words": "english", "min_df": 2, "max_df": 0.5, "sublinear_tf": True},
}


def load_docs():
    from anime_genre.datasets import load_mal2020
    df = load_mal2020()
    return df["Synopsis"].fillna("").astype(str).tolist()


def make(impl: str, params: dict):
    if impl == "anime_genre":
        from anime_genre.text import TfidfVectorizer
    else:
        from sklearn.feature_extraction.text import TfidfVectorizer
    return TfidfVectorizer(**params)


def peak_child(impl: str, setting: str) -> None:
    """Run in a subprocess: print the tracemalloc peak (MiB) of one fit_transform."""
    import tracemalloc
    docs = load_docs()
    make(impl, SETTINGS[setting])  # import before measuring
    tracemalloc.start()
    X = make(impl, SETTINGS[setting]).fit_transform(docs)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    print(json.dumps({"peak_mb": peak / 2**20, "nnz": int(X.nnz)}))


def best_of(f, repeat: int = 3) -> float:
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        f()
        times.append(time.perf_counter() - t)
    return min(times)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--child", nargs=2, metavar=("IMPL", "SETTING"), help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        peak_child(*args.child)
        return 0
    import numpy as np
    docs = load_docs()
    print(f"mal2020: {len(docs)} documents, {sum(map(len, docs)) / 1e6:.1f} M characters")
    print(f"{'setting':<9} {'impl':<12} {'seconds':>8} {'peak MiB':>9} {'shape':>15} {'max |diff|':>11}")
    for name, params in SETTINGS.items():
        results = {}
        for impl in ("anime_genre", "sklearn"):
            X = make(impl, params).fit_transform(docs)
            secs = best_of(lambda: make(impl, params).fit_transform(docs), args.repeat)
            out = subprocess.run([sys.executable, __file__, "--child", impl, name],
                                 capture_output=True, text=True, check=True)
            peak = json.loads(out.stdout.strip().splitlines()[-1])["peak_mb"]
            results[impl] = (X, secs, peak)
        diff = float(abs(results["anime_genre"][0] - results["sklearn"][0]).max())
        for impl, (X, secs, peak) in results.items():
            print(f"{name:<9} {impl:<12} {secs:>8.3f} {peak:>9.1f} {str(X.shape):>15} "
                  f"{diff if impl == 'anime_genre' else float('nan'):>11.1e}")
        ratio = results["anime_genre"][1] / results["sklearn"][1]
        mem = results["anime_genre"][2] / max(results["sklearn"][2], 1e-9)
        print(f"{name:<9} ratio ours/sklearn: time {ratio:.2f}, peak memory {mem:.2f}"
              f"  (goal: time <= 1.0){'' if ratio <= 1.0 else '  NOT MET'}")
        assert np.isfinite(diff) and diff < 1e-12, f"results differ by {diff}"
    return 0


if __name__ == "__main__":
    sys.exit(main())
