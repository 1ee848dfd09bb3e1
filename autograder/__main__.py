"""Command line of the autograder.

    python -m autograder grade NOTEBOOK [--json] [--no-execute] [--timeout S] [--memory-mb MB]
    python -m autograder build-course [DIR]
    python -m autograder student-bundle OUT.zip
    python -m autograder grade-class COURSE_DIR ASSIGNMENT [--workers N] [--force] [--student ID]
"""
from __future__ import annotations

import argparse
import json
import sys


MIN_MEMORY_MB = 256      # below this a kernel with numpy does not start


def _memory_mb(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number of MiB") from None
    if value < MIN_MEMORY_MB:
        raise argparse.ArgumentTypeError(f"{value} MiB is too little: a kernel needs at least {MIN_MEMORY_MB}")
    return value


def _grade(args) -> int:
    from . import sandbox
    from .grade import GradingError, grade_notebook
    from .judge import Limits
    if args.unsafe_no_sandbox:
        sandbox.allow_unsandboxed()
    limits = Limits.per_call(args.timeout, memory_mb=args.memory_mb)
    try:
        report = grade_notebook(args.notebook, execute=not args.no_execute, limits=limits,
                                executed_path=args.executed, cell_timeout=args.cell_timeout,
                                memory_mb=args.memory_mb)
    except GradingError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    if args.json:
        print(json.dumps(report.as_dict(), indent=2))
    else:
        print(report.table())
        print(f"graded in {report.seconds:.1f} s")
    return 0


def _build_course(args) -> int:
    try:
        import importlib.util
        from .course import build_course
        if importlib.util.find_spec("anime" + "_genre") is None:   # the reference bodies come from it
            raise ModuleNotFoundError("the reference package is not installed")
    except ModuleNotFoundError as exc:
        print(f"error: build-course is an instructor command ({exc})", file=sys.stderr)
        return 2
    try:
        out = build_course(args.dir)
    except (ValueError, FileNotFoundError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(f"course written to {out}")
    return 0


def _student_bundle(args) -> int:
    try:
        from .bundle import build_bundle
    except ModuleNotFoundError as exc:
        print(f"error: student-bundle is an instructor command ({exc})", file=sys.stderr)
        return 2
    try:
        out, names = build_bundle(args.out)
    except (ValueError, OSError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(f"{out}: {len(names)} files")
    return 0


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m autograder", description=__doc__.split("\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    g = sub.add_parser("grade", help="grade one notebook (visible and hidden checks)")
    g.add_argument("notebook")
    g.add_argument("--json", action="store_true", help="print the result as JSON")
    g.add_argument("--no-execute", action="store_true",
                   help="do not run the notebook in a kernel first (grades do not depend on it)")
    g.add_argument("--timeout", type=float, default=10.0,
                   help="CPU seconds allowed for one call of the student's code (default 10)")
    g.add_argument("--cell-timeout", type=float, default=60.0,
                   help="seconds allowed per cell when executing the notebook (default 60)")
    g.add_argument("--memory-mb", type=_memory_mb, default=2048,
                   help="memory limit (MiB) of the kernel's sandbox and of the judge's (default 2048)")
    g.add_argument("--executed", metavar="OUT.ipynb", help="write the executed notebook here")
    g.add_argument("--unsafe-no-sandbox", action="store_true",
                   help="grade even where no sandbox (bubblewrap, user namespaces) can be made; "
                        "the result then says unsandboxed")
    g.set_defaults(func=_grade)
    b = sub.add_parser("build-course", help="write the nbgrader course (instructor notebooks)")
    b.add_argument("dir", nargs="?", default=None, help="course folder (default autograder/course)")
    b.set_defaults(func=_build_course)
    s = sub.add_parser("student-bundle", help="zip what a student receives")
    s.add_argument("out", help="the zip file to write")
    s.set_defaults(func=_student_bundle)
    try:   # instructor-only commands are absent from a student's copy
        from . import classroom
    except ImportError:         # (``from . import x`` raises a plain ImportError)
        classroom = None
    if classroom is not None:
        gc = sub.add_parser("grade-class", help="grade every submission of an assignment, in parallel sandboxes")
        classroom.add_arguments(gc)
        gc.set_defaults(func=classroom.main)
    args = parser.parse_args(argv)
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
