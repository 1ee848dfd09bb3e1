"""The issue-4 benchmark on the real data: every method side by side in one process.

    ANIME_GENRE_DATA_HOME=../shared/datasets .venv/bin/python benchmarks/bench_end_to_end.py

Writes runs/benchmark.json (read by the next `anime-genre run` for its postmortem section)
and regenerates datasets/POSTMORTEM.md; prints the table and the goals of issue 4.
Extra arguments go to `anime-genre benchmark` (e.g. --methods prior sklearn-logreg,
--no-ablations, --blas-threads 2; --from-json runs/benchmark.json only re-renders).

Every method runs with one BLAS thread (--blas-threads 1, the default): on the 2 shared
cores of the course machine OpenBLAS's spinning threads made sklearn's lbfgs logistic
regression take 137 s instead of 2.5 s. The whole run takes about 15 minutes, most of it
sklearn-mlp.
"""
import sys
from pathlib import Path

from anime_genre.cli import main

root = Path(__file__).resolve().parents[1]
sys.exit(main(["benchmark", "--json", str(root / "runs" / "benchmark.json"),
               "--postmortem", str(root / "datasets" / "POSTMORTEM.md"), *sys.argv[1:]]))
