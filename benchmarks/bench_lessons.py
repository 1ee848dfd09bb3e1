"""Time of each lesson in a real Jupyter kernel, against the course's goal of 60 s per lesson.

    .venv/bin/python benchmarks/bench_lessons.py [--lessons 3 6] [--repeat 1]

Runs every lesson as shipped (stubs) and solved (the reference bodies substituted), with the
real data when ANIME_GENRE_DATA_HOME (or ../shared/datasets) is there, and prints wall and
CPU seconds (this process's children: the kernel) with the slowest cell. The tests only run
the lessons with a generous safety-net timeout; this table is where the time goal is read.
"""
from __future__ import annotations

import argparse
import os
import resource
import sys
import time
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parents[1]
GOAL_SECONDS = 60


def _children_cpu() -> float:
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


def run(nb) -> tuple[float, float, float]:
    """(wall s, CPU s of the kernel, slowest cell's wall s) of one execution."""
    from nbclient import NotebookClient
    client = NotebookClient(nb, timeout=1800, allow_errors=True, kernel_name="python3",
                            resources={"metadata": {"path": str(ROOT / "lessons")}})
    slowest = [0.0]
    original = client.async_execute_cell

    async def timed(cell, index, **kw):
        t = time.perf_counter()
        try:
            return await original(cell, index, **kw)
        finally:
            slowest[0] = max(slowest[0], time.perf_counter() - t)

    client.async_execute_cell = timed
    cpu0, t0 = _children_cpu(), time.perf_counter()
    client.execute()
    return time.perf_counter() - t0, _children_cpu() - cpu0, slowest[0]


def main() -> int:
    from autograder.course import instructor_notebook, lesson_paths
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--lessons", type=int, nargs="*", help="lesson numbers (default: all)")
    ap.add_argument("--repeat", type=int, default=1, help="runs of each; the table shows the median")
    args = ap.parse_args()
    if not os.environ.get("ANIME_GENRE_DATA_HOME") and (ROOT.parent / "shared" / "datasets").is_dir():
        os.environ["ANIME_GENRE_DATA_HOME"] = str(ROOT.parent / "shared" / "datasets")
    print(f"data home: {os.environ.get('ANIME_GENRE_DATA_HOME') or '(none: fixtures / synthetic)'}; "
          f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores; goal {GOAL_SECONDS} s per lesson")
    print(f"{'lesson':<30} {'version':<8} {'wall s':>7} {'CPU s':>7} {'slowest cell s':>15} {'goal':>6}")
    for path in lesson_paths():
        if args.lessons and int(path.name[:2]) not in args.lessons:
            continue
        shipped = nbformat.read(str(path), as_version=4)
        for label, make in (("shipped", lambda: nbformat.from_dict(shipped)),
                            ("solved", lambda: nbformat.from_dict(instructor_notebook(
                                shipped, markers=False, hidden=False)))):
            runs = sorted((run(make()) for _ in range(args.repeat)), key=lambda r: r[0])
            wall, cpu, slow = runs[len(runs) // 2]
            ok = "ok" if wall <= GOAL_SECONDS else "OVER"
            print(f"{path.stem:<30} {label:<8} {wall:>7.1f} {cpu:>7.1f} {slow:>15.1f} {ok:>6}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
