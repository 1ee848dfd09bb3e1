"""Grading time per notebook, serial: `python -m autograder grade` and `nbgrader autograde`.

    .venv/bin/python benchmarks/bench_grading.py [--lessons 4 5] [--students 4]

For each lesson: the reference-solved notebook graded by the command line, with and without
executing it in a kernel first (the grades come from the judge either way); then one nbgrader
course where ``--students`` students submitted the reference solution, autograded serially
(the course's TrustedGrades preprocessor included). Prints seconds per notebook.
"""
from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

from grader_cases import lesson_path, solved  # noqa: E402

from autograder.course import build_course  # noqa: E402


def _run(cmd, cwd):
    env = dict(os.environ, PATH=f"{Path(sys.executable).parent}:{os.environ.get('PATH', '')}")
    t0 = time.perf_counter()
    p = subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True)
    if p.returncode != 0:
        raise SystemExit(f"{' '.join(map(str, cmd))} failed:\n{p.stderr[-2000:]}")
    return time.perf_counter() - t0


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--lessons", type=int, nargs="*", default=[1, 2, 3, 4, 5, 6])
    ap.add_argument("--students", type=int, default=4)
    args = ap.parse_args()
    lessons = [n for n in args.lessons if lesson_path(n)]
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        print(f"{'lesson':<28} {'grade --no-execute':>18} {'grade':>8} {'nbgrader autograde':>19}")
        for n in lessons:
            stem = lesson_path(n).stem
            nb_path = tmp / f"{stem}.ipynb"
            nbformat.write(solved(n), str(nb_path))
            cli = [sys.executable, "-m", "autograder", "grade", str(nb_path), "--json"]
            t_judge = _run(cli + ["--no-execute"], ROOT)
            t_full = _run(cli, ROOT)
            course = build_course(tmp / f"course{n}")
            _run(["nbgrader", "generate_assignment", stem, "--force"], course)
            for s in range(args.students):
                folder = course / "submitted" / f"student{s}" / stem
                folder.mkdir(parents=True)
                nbformat.write(solved(n), str(folder / f"{stem}.ipynb"))
            t_nb = _run(["nbgrader", "autograde", stem, "--create"], course) / args.students
            print(f"{stem:<28} {t_judge:>17.1f}s {t_full:>7.1f}s {t_nb:>18.1f}s", flush=True)
    print(f"(nbgrader: per notebook, {args.students} submissions in one run; machine load matters: "
          f"{os.getloadavg()[0]:.1f} now)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
