"""Cold start and throughput of `anime-genre predict`, against the old path, in one run.

    .venv/bin/python benchmarks/bench_predict.py [--model runs/latest/model.npz] [--n 1000]

Every case is a fresh process (so imports and model loading count), timed from outside:
wall clock, CPU (user + system) and peak resident memory of that process (``wait4``, as
``/usr/bin/time -v`` reports them). The cases:

- ``new``: ``python -m anime_genre predict TEXT`` and ``predict --file F`` (numpy only: the
  small ``model.predict.npz`` next to ``model.npz``, first-layer weights memory-mapped);
- ``new, no predict file``: the same on a copy of ``model.npz`` alone (a run folder from
  before the predict file: read whole, stop words from ``anime_genre.clean``);
- ``old``: what the command did before: the command line's parser, ``clean.normalize`` and
  ``pipeline.Predictor`` (scikit-learn, pandas, every network rebuilt in float32).

The batch is ``--n`` synopses of mal2020 when the data home has it (else of the synthetic
corpus), one per line. Run it when the machine is quiet: on the shared 2-core course machine
the load average is printed first, and wall times grow with it (CPU times much less).
"""
from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ONE = "A boy who can see ghosts joins a secret school of exorcists."

# The old `anime-genre predict` (before the predict file), step by step: the command line
# imported every command module to build its parser, then clean and pipeline.Predictor.
OLD = """
import sys
from anime_genre.cli import build_parser
build_parser()
from anime_genre.clean import normalize
from anime_genre.pipeline import Predictor
model, source = sys.argv[1], sys.argv[2]
texts = [sys.argv[3]] if source == "-text" else open(source, encoding="utf-8").read().splitlines()
pred = Predictor.load(model)
known = [sum(w in pred.vec.tfidf.vocabulary_ for w in normalize(t)) for t in texts]
P = pred.predict_proba(texts)
for k, p in zip(known, P):
    order = p.argsort()[::-1][:5]
    print(k, " ".join(f"{pred.genres[j]}:{p[j]:.3f}" for j in order))
"""


def measure(cmd, env) -> dict:
    """Wall, CPU and peak RSS of one process (stdout discarded, stderr kept for errors)."""
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env)
    err = proc.stderr.read()
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - t0
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0:
        sys.exit(f"bench_predict: {' '.join(map(str, cmd[:4]))} ... failed:\n{err.decode()}")
    return {"wall": wall, "cpu": usage.ru_utime + usage.ru_stime, "rss": usage.ru_maxrss / 1024}


# Writes the batch file in a child process, so that this process stays small: a child's peak
# RSS counts what it had at fork time, before exec.
PREPARE = """
import json, sys
import numpy as np
model, n, out = sys.argv[1], int(sys.argv[2]), sys.argv[3]
with np.load(model) as data:
    source = json.loads(str(data["meta"])).get("source")
texts, what = [], "synthetic corpus"
if source == "mal2020":
    try:
        from anime_genre.config import get_data_home
        from anime_genre.datasets import load_mal2020
        df = load_mal2020(get_data_home(), download_if_missing=False)
        texts, what = list(df["Synopsis"].dropna().astype(str)), "mal2020 synopses"
    except Exception as exc:
        print(f"(mal2020 not readable: {exc}; using the synthetic corpus)", file=sys.stderr)
if not texts:
    from anime_genre.synthetic import make_synthetic_corpus
    texts = list(make_synthetic_corpus(n_docs=n, seed=1)["Synopsis"])
texts = [" ".join(t.split()) for t in texts if t.strip()]
texts = (texts * (n // len(texts) + 1))[:n]
open(out, "w", encoding="utf-8").write("\\n".join(texts) + "\\n")
print(what)
"""


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--model", help="model.npz (default: <runs>/latest/model.npz)")
    ap.add_argument("--n", type=int, default=1000, help="synopses in the batch (default 1000)")
    ap.add_argument("--repeat", type=int, default=3, help="runs per case, median shown (default 3)")
    ap.add_argument("--no-old", action="store_true", help="skip the old path")
    args = ap.parse_args()

    from anime_genre.config import get_runs_home   # os and pathlib only

    model = Path(args.model) if args.model else get_runs_home() / "latest" / "model.npz"
    small = model.with_name(model.name[:-4] + ".predict.npz")   # predictor.compact_path
    if not model.is_file():
        sys.exit(f"bench_predict: {model}: no model; train one with `anime-genre run` or pass --model")
    if not small.is_file():
        sys.exit(f"bench_predict: no {small.name} next to {model}: rerun `anime-genre run`")
    env = dict(os.environ)
    py = sys.executable
    with tempfile.TemporaryDirectory(prefix="bench-predict-") as tmp:
        batch = Path(tmp) / "synopses.txt"
        what = subprocess.run([py, "-c", PREPARE, str(model), str(args.n), str(batch)], check=True,
                              capture_output=True, text=True).stdout.strip()
        texts = batch.read_text(encoding="utf-8").splitlines()
        bare = Path(tmp) / "old-run" / "model.npz"
        bare.parent.mkdir()
        shutil.copyfile(model, bare)
        new = [py, "-m", "anime_genre", "predict"]
        cases = [
            ("new: predict TEXT", 1, new + [ONE, "--model", str(model)]),
            ("new, no predict file: predict TEXT", 1, new + [ONE, "--model", str(bare)]),
            ("old: Predictor, 1 synopsis", 1, [py, "-c", OLD, str(model), "-text", ONE]),
            ("new: predict --file", len(texts), new + ["--file", str(batch), "--model", str(model)]),
            ("new, no predict file: predict --file", len(texts),
             new + ["--file", str(batch), "--model", str(bare)]),
            ("old: Predictor, batch", len(texts), [py, "-c", OLD, str(model), str(batch)]),
        ]
        if args.no_old:
            cases = [c for c in cases if not c[0].startswith("old")]
        print(f"model {model} ({model.stat().st_size / 1e6:.0f} MB, predict file "
              f"{small.stat().st_size / 1e6:.1f} MB); batch: {len(texts)} {what}; "
              f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores; "
              f"median of {args.repeat} runs")
        print(f"{'case':38s} {'synopses':>8s} {'wall s':>7s} {'CPU s':>7s} {'peak RSS MB':>11s} "
              f"{'synopses/s':>10s}")
        for name, n, cmd in cases:
            runs = [measure(cmd, env) for _ in range(args.repeat)]
            m = {k: statistics.median(r[k] for r in runs) for k in runs[0]}
            rate = f"{n / m['wall']:10.0f}" if n > 1 else f"{'':10s}"
            print(f"{name:38s} {n:8d} {m['wall']:7.2f} {m['cpu']:7.2f} {m['rss']:11.0f} {rate}",
                  flush=True)


if __name__ == "__main__":
    main()
