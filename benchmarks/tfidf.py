"""TF-IDF fit+transform on the full mal2020 corpus: anime_genre.text vs scikit-learn.

    ANIME_GENRE_DATA_HOME=../shared/datasets .venv/bin/python benchmarks/tfidf.py

Both run on the same documents (all 16,214 synopses, missing ones as ""), with the same
settings, and the two matrices must agree to 1e-12.

Time: ``fit_transform`` calls of the two implementations alternate in this process (so that
a burst of load from other users of the machine hits both alike); the best of ``--repeat``
is reported, with the load average before and after.

Peak memory, each figure from a fresh subprocess per implementation and setting, so that one
implementation's allocations (or freed-but-kept heap) cannot hide the other's:

* ``traced``: the ``tracemalloc`` peak of one ``fit_transform``. It counts Python objects and
  numpy buffers (numpy reports its allocations to tracemalloc), for both implementations;
  it misses C/C++ scratch memory that bypasses Python's allocators (e.g. scipy's sparsetools).
* ``rss``: growth of the resident set during one ``fit_transform``: the kernel's high-water
  mark (VmHWM, reset just before the call by writing 5 to /proc/self/clear_refs) minus the
  resident size before the call. It sees every allocation, but heap pages that were freed
  earlier and are reused do not count, so it is the rougher of the two. Run without
  tracemalloc (its bookkeeping would inflate the figure). "n/a" where the kernel lacks it.

The documents reach the children through a pickle written by this process, so that loading
the CSV (pandas) does not leave a large heap behind in the child before the measurement.
"""
from __future__ import annotations

import argparse
import gc
import json
import os
import pickle
import subprocess
import sys
import tempfile
import time

SETTINGS = {
    "default": {},
    "course": {"stop_words": "english", "min_df": 2, "max_df": 0.5, "sublinear_tf": True},
}
IMPLS = ("anime_genre", "sklearn")


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


def _status_kib(field: str) -> int | None:
    """A ``VmRSS``/``VmHWM`` line of /proc/self/status in KiB, or None off Linux."""
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith(field + ":"):
                    return int(line.split()[1])
    except OSError:
        return None
    return None


def peak_child(impl: str, setting: str, how: str, docs_file: str) -> None:
    """Run in a subprocess: print the peak memory (MiB) of one fit_transform, as JSON."""
    with open(docs_file, "rb") as f:
        docs = pickle.load(f)
    make(impl, SETTINGS[setting])  # imports happen before measuring
    gc.collect()
    if how == "traced":
        import tracemalloc
        tracemalloc.start()
        X = make(impl, SETTINGS[setting]).fit_transform(docs)
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        print(json.dumps({"peak_mb": peak / 2**20, "nnz": int(X.nnz)}))
        return
    try:
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")  # resets VmHWM to the current resident size (Linux >= 4.0)
    except OSError:
        print(json.dumps({"peak_mb": None}))
        return
    before = _status_kib("VmRSS")
    X = make(impl, SETTINGS[setting]).fit_transform(docs)
    peak = _status_kib("VmHWM")
    ok = before is not None and peak is not None
    print(json.dumps({"peak_mb": (peak - before) / 1024 if ok else None, "nnz": int(X.nnz)}))


def measure_peak(impl: str, setting: str, how: str, docs_file: str):
    out = subprocess.run([sys.executable, __file__, "--child", impl, setting, how, docs_file],
                         capture_output=True, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])["peak_mb"]


def best_times(params: dict, docs: list, repeat: int) -> dict:
    """Best wall time of ``repeat`` fit_transform calls per implementation, interleaved."""
    times = {impl: [] for impl in IMPLS}
    for _ in range(repeat):
        for impl in IMPLS:
            t = time.perf_counter()
            make(impl, params).fit_transform(docs)
            times[impl].append(time.perf_counter() - t)
    return {impl: min(ts) for impl, ts in times.items()}


def _mib(x) -> str:
    return f"{x:>7.1f}" if x is not None else f"{'n/a':>7}"


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--child", nargs=4, metavar=("IMPL", "SETTING", "HOW", "DOCS"),
                    help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        peak_child(*args.child)
        return 0
    import numpy as np
    docs = load_docs()
    print(f"mal2020: {len(docs)} documents, {sum(map(len, docs)) / 1e6:.1f} M characters; "
          f"{os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.2f} at start")
    print(f"{'setting':<9} {'impl':<12} {'seconds':>8} {'traced':>7} {'rss':>7} "
          f"{'shape':>15} {'nnz':>8} {'max |diff|':>11}   (memory in MiB)")
    failures = []
    with tempfile.TemporaryDirectory() as tmp:
        docs_file = os.path.join(tmp, "docs.pkl")
        with open(docs_file, "wb") as f:
            pickle.dump(docs, f)
        for name, params in SETTINGS.items():
            mats = {impl: make(impl, params).fit_transform(docs) for impl in IMPLS}
            diff = float(abs(mats["anime_genre"] - mats["sklearn"]).max())
            secs = best_times(params, docs, args.repeat)
            peaks = {impl: {how: measure_peak(impl, name, how, docs_file)
                            for how in ("traced", "rss")} for impl in IMPLS}
            for impl in IMPLS:
                X = mats[impl]
                d = f"{diff:>11.1e}" if impl == "anime_genre" else f"{'':>11}"
                print(f"{name:<9} {impl:<12} {secs[impl]:>8.3f} {_mib(peaks[impl]['traced'])} "
                      f"{_mib(peaks[impl]['rss'])} {str(X.shape):>15} {X.nnz:>8} {d}")
            ratio = secs["anime_genre"] / secs["sklearn"]
            mem = peaks["anime_genre"]["traced"] / max(peaks["sklearn"]["traced"], 1e-9)
            print(f"{name:<9} ratio ours/sklearn: time {ratio:.2f}, traced peak memory {mem:.2f}"
                  f"  (goal: time <= 1.0){'' if ratio <= 1.0 else '  NOT MET'}")
            if not (np.isfinite(diff) and diff < 1e-12):
                failures.append(f"{name}: results differ by {diff}")
    print(f"load average {os.getloadavg()[0]:.2f} at end")
    for f in failures:
        print("FAILED", f)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
