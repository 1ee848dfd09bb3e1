"""The issue-4 benchmark on the real data: every method side by side in one process.

    ANIME_GENRE_DATA_HOME=../shared/datasets .venv/bin/python benchmarks/bench_end_to_end.py

Writes runs/benchmark.json (read by the next `anime-genre run` for its postmortem section)
and regenerates datasets/POSTMORTEM.md; prints the table and the goals of issue 4.
Extra arguments go to `anime-genre benchmark` (e.g. --methods prior sklearn-logreg).
"""
import sys
from pathlib import Path

from anime_genre.cli import main

root = Path(__file__).resolve().parents[1]
sys.exit(main(["benchmark", "--json", str(root / "runs" / "benchmark.json"),
               "--postmortem", str(root / "datasets" / "POSTMORTEM.md"), *sys.argv[1:]]))
