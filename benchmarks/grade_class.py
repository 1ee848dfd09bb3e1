"""Benchmark: grade-class on all cores vs serial ``nbgrader autograde``, same 40 submissions.

    python benchmarks/grade_class.py [--n 40] [--workers 2] [--keep DIR]

Builds the course (build-course + nbgrader generate_assignment) in a temporary folder, writes
N submissions of lesson 4 (a third fully solved, a third partly, a third blank), then times

1. ``nbgrader autograde 04_sigmoid_vs_softmax --force`` (one process, one submission after
   the other, the course's own configuration: sandboxed kernel + trusted judge), and
2. ``grade_class(..., workers=W, force=True)`` (W processes, every kernel and judge worker
   sandboxed),

checks that both give every student the same score, and prints both times, their ratio
(goal <= 1/1.8 = 0.556 on 2 cores) and the peak memory of each grading process and of the
largest student kernel it ran.
"""
from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests" / "hostile"))
import submissions as S  # noqa: E402

A = S.ASSIGNMENT


def scores(course: Path) -> dict:
    from nbgrader.api import Gradebook
    with Gradebook(f"sqlite:///{course}/gradebook.db", "anime-genre") as gb:
        return {s.student.id: round(float(s.score), 2) for s in gb.assignment_submissions(A)}


def cpu() -> float:
    """CPU seconds (user + system) of this process and of every finished descendant."""
    import resource
    total = 0.0
    for who in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN):
        r = resource.getrusage(who)
        total += r.ru_utime + r.ru_stime
    return total


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--n", type=int, default=40)
    ap.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    ap.add_argument("--keep", default=None, help="build the course here and keep it")
    args = ap.parse_args()
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}:{os.environ.get('PATH', '')}"}
    base = Path(args.keep) if args.keep else Path(tempfile.mkdtemp(prefix="bench-gradeclass-"))
    course = base / "course"
    try:
        subprocess.run([sys.executable, "-m", "autograder", "build-course", str(course)], check=True,
                       env=env, cwd=ROOT, capture_output=True)
        subprocess.run(["nbgrader", "generate_assignment", A, "--force"], check=True, env=env,
                       cwd=course, capture_output=True)
        release, source = S.load(course)
        kinds = ["solved", "partial", "blank"]
        for i in range(args.n):
            S.write(course, f"s{i:03d}", S.build(kinds[i % 3], release, source, {}))

        load0 = os.getloadavg()[0]
        c0, t0 = cpu(), time.perf_counter()
        subprocess.run(["nbgrader", "autograde", A, "--force"], check=True, env=env, cwd=course,
                       capture_output=True)
        serial = time.perf_counter() - t0
        serial_cpu = cpu() - c0
        serial_scores = scores(course)

        from autograder.classroom import grade_class
        c0, t0 = cpu(), time.perf_counter()
        summary = grade_class(course, A, workers=args.workers, force=True, progress_bar=False)
        parallel = time.perf_counter() - t0
        parallel_cpu = cpu() - c0
        load1 = os.getloadavg()[0]
        class_scores = scores(course)
    finally:
        if not args.keep:
            shutil.rmtree(base, ignore_errors=True)

    same = serial_scores == class_scores and len(class_scores) == args.n
    bad = [o for o in summary.outcomes if o.status != "graded"]
    ratio = parallel / serial
    print(f"{args.n} submissions of {A}, {os.cpu_count()} cores, grade-class with {args.workers} workers")
    print(f"{'run':<36}{'seconds':>10}{'per notebook':>14}{'CPU s':>9}{'CPU s/nb':>10}")
    print(f"{'nbgrader autograde (serial)':<36}{serial:>10.1f}{serial / args.n:>14.2f}"
          f"{serial_cpu:>9.1f}{serial_cpu / args.n:>10.2f}")
    print(f"{'grade-class (parallel, sandboxed)':<36}{parallel:>10.1f}{parallel / args.n:>14.2f}"
          f"{parallel_cpu:>9.1f}{parallel_cpu / args.n:>10.2f}")
    print(f"machine load average (1 min) before / after: {load0:.1f} / {load1:.1f} "
          f"(other processes share the {os.cpu_count()} cores: the ratio is only meaningful on an idle machine)")
    print(f"ratio grade-class / serial: {ratio:.3f}  (goal <= {1 / 1.8:.3f}: {'met' if ratio <= 1 / 1.8 else 'NOT met'})")
    peak = summary.peak_worker_mb
    print(f"peak memory per grading process: {peak['grader']:.0f} MiB; largest student kernel it ran: "
          f"{peak['child']:.0f} MiB")
    print(f"same scores in both runs: {same}; submissions not graded cleanly: {len(bad)}")
    return 0 if same and not bad else 1


if __name__ == "__main__":
    sys.exit(main())
