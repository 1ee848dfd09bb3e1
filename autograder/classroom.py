"""Grade a whole class: every submission of one assignment, in parallel, each one sandboxed.

    summary = grade_class("course/", "04_sigmoid_vs_softmax", workers=2)
    print(summary.table())

Layout (nbgrader's): ``COURSE/submitted/<student>/<assignment>/*.ipynb``. Each submission is
graded by nbgrader's own ``Autograde`` converter (through ``NbGraderAPI.autograde``) inside a
long-lived worker process, with the course's own configuration, so the gradebook
(``db_url``), ``autograded/<student>/<assignment>/``, ``nbgrader export`` and
``nbgrader generate_feedback`` work as usual. Two things are swapped in:

- nbgrader's ``Execute`` preprocessor becomes :class:`ClassExecute`: the kernel runs in an
  :class:`autograder.sandbox.SandboxKernelManager` (own uid, cgroup, no network, instructor
  folders hidden, rlimits), a per-notebook wall-clock budget on top of the per-cell timeout,
  an output cap, and a kernel that dies no longer aborts the notebook: the remaining cells
  get an error output, so the grade cells of the affected exercises score 0 and everything
  else is still recorded;
- the judge's worker processes (``autograder.judge``) are started in sandboxes too.

Limits come from ``GradeClass`` in the course's ``course_limits.py`` (see
:class:`GradeClass`), overridden by command-line options. What happened to each submission
is written to ``COURSE/grade-class/<assignment>.json`` (read back to skip graded work on the
next run) and summarised at the end.
"""
from __future__ import annotations

import dataclasses
import json
import multiprocessing
import os
import shutil
import signal
import tempfile
import time
import traceback
from multiprocessing.connection import wait as mp_wait
from pathlib import Path

from traitlets import Float, Integer, Unicode
from traitlets.config import Configurable

from . import sandbox

REPO = Path(__file__).resolve().parents[1]


class GradeClass(Configurable):
    """Limits for ``python -m autograder grade-class`` (section ``c.GradeClass`` of the
    course's ``course_limits.py``, loaded by its ``nbgrader_config.py``)."""
    cell_timeout = Float(30.0, help="seconds one notebook cell may run").tag(config=True)
    notebook_timeout = Float(300.0, help="seconds all cells of one notebook may run").tag(config=True)
    memory_mb = Integer(1024, help="memory limit of each kernel's sandbox (MiB); the judge's is "
                        "c.TrustedGrades.memory_mb").tag(config=True)
    cpu_seconds = Integer(0, help="CPU-time limit per process; 0 = notebook_timeout + 60").tag(config=True)
    max_processes = Integer(64, help="processes and threads one sandbox may hold").tag(config=True)
    file_mb = Integer(64, help="largest file a submission may write (MiB)").tag(config=True)
    output_kb = Integer(1024, help="output kept per cell; the rest is dropped (KiB)").tag(config=True)
    workers = Integer(0, help="parallel grading processes; 0 = one per core").tag(config=True)
    sandbox_dir = Unicode("", help="where sandboxes go (default: the temp dir)").tag(config=True)


LIMIT_FIELDS = ("cell_timeout", "notebook_timeout", "memory_mb", "cpu_seconds", "max_processes",
                "file_mb", "output_kb")


@dataclasses.dataclass
class Outcome:
    """What happened to one submission."""
    student: str
    status: str                 # graded | timeout | limit | crashed | invalid | error
    reason: str = ""
    score: float | None = None
    max_score: float | None = None
    seconds: float = 0.0
    events: list = dataclasses.field(default_factory=list)
    fingerprint: str = ""
    isolation: str = ""         # sandboxed | unsandboxed

    def as_dict(self) -> dict:
        return dataclasses.asdict(self)


@dataclasses.dataclass
class Summary:
    assignment: str
    outcomes: list
    skipped: list
    seconds: float
    warnings: list

    def count(self, *statuses) -> int:
        return sum(o.status in statuses for o in self.outcomes)

    def table(self) -> str:
        lines = [f"grade-class {self.assignment}: {len(self.outcomes)} graded now, "
                 f"{len(self.skipped)} skipped (already graded; --force to regrade), "
                 f"{self.seconds:.1f} s"]
        lines.append(f"  graded cleanly: {self.count('graded')}   timed out: {self.count('timeout')}   "
                     f"failed: {self.count('limit', 'crashed', 'invalid', 'error')}")
        for o in sorted(self.outcomes, key=lambda o: o.student):
            score = "-" if o.score is None else f"{o.score:g}/{o.max_score:g}"
            line = f"  {o.student:<20} {o.status:<8} {score:>9}"
            if o.reason:
                line += "  " + o.reason
            lines.append(line)
        for w in self.warnings:
            lines.append(f"warning: {w}")
        return "\n".join(lines)


# ----------------------------------------------------------------------------- configuration

def load_course_config(course_dir: Path):
    """The course's nbgrader configuration, with ``CourseDirectory.root`` set."""
    from traitlets.config import Config
    from traitlets.config.loader import PyFileConfigLoader
    cfg = Config()
    path = course_dir / "nbgrader_config.py"
    if path.exists():
        cfg.merge(PyFileConfigLoader(path.name, str(course_dir)).load_config())
    cfg.CourseDirectory.root = str(course_dir)
    return cfg


def class_limits(cfg, overrides: dict) -> dict:
    gc = GradeClass(config=cfg)
    limits = {k: getattr(gc, k) for k in LIMIT_FIELDS + ("workers", "sandbox_dir")}
    limits.update({k: v for k, v in overrides.items() if v is not None})
    if not limits["cpu_seconds"]:
        limits["cpu_seconds"] = int(limits["notebook_timeout"] + 60)
    return limits


# ----------------------------------------------------------------------------- one submission

def _fingerprint(folder: Path) -> str:
    """A hash of the submission's regular files (links and special files are never opened:
    the folder is the student's)."""
    import hashlib
    import stat
    h = hashlib.sha256()
    for root, dirs, files in os.walk(folder, followlinks=False):
        dirs.sort()
        for name in sorted(files):
            p = os.path.join(root, name)
            h.update(os.path.relpath(p, folder).encode())
            try:
                fd = os.open(p, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
            except OSError:
                h.update(b"<not a regular file>")
                continue
            with os.fdopen(fd, "rb") as f:
                if not stat.S_ISREG(os.fstat(f.fileno()).st_mode):
                    h.update(b"<not a regular file>")
                    continue
                for chunk in iter(lambda: f.read(1 << 20), b""):
                    h.update(chunk)
    return h.hexdigest()[:16]


def waiting_db_url(db_url: str) -> str:
    """The gradebook's address, told to wait for sqlite's lock instead of failing: several
    processes write the same file (grade-class workers; nbgrader and the rejection hook)."""
    return db_url + "?timeout=120" if db_url.startswith("sqlite:") and "?" not in db_url else db_url


def zero_submission(db_url: str, course_id: str, assignment: str, student: str, reason: str,
                    reset: bool = False) -> None:
    """Record 0 on every grade of a submission nbgrader could not grade (e.g. not a notebook),
    so that export shows it as graded with zero, not as missing. ``reset``: also over scores
    left from an earlier grading of this submission (its grading failed this time)."""
    import warnings
    from nbgrader.api import Gradebook
    with warnings.catch_warnings(), Gradebook(db_url, course_id) as gb:
        warnings.simplefilter("ignore")     # SQLAlchemy chatter while nbgrader creates the rows
        gb.update_or_create_student(student)
        sub = gb.update_or_create_submission(assignment, student)
        for nb in sub.notebooks:
            for grade in nb.grades:
                if grade.auto_score is None or reset:
                    grade.auto_score = 0
                grade.needs_manual_grade = False
            for comment in nb.comments:
                comment.auto_comment = f"not graded: {reason}"
        gb.db.commit()


def _score(db_url: str, course_id: str, assignment: str, student: str):
    from nbgrader.api import Gradebook, MissingEntry
    with Gradebook(db_url, course_id) as gb:
        try:
            sub = gb.find_submission(assignment, student)
        except MissingEntry:
            return None, None
        return round(float(sub.score), 2), round(float(sub.max_score), 2)


def grade_submission(course_dir: Path, assignment: str, student: str, limits: dict, run_dir: str) -> Outcome:
    """Autograde one submission with nbgrader in this process (a class-run worker)."""
    from nbgrader.apps import NbGraderAPI
    from nbgrader.coursedir import CourseDirectory

    from . import classexec
    t0 = time.monotonic()
    cfg = load_course_config(course_dir)
    coursedir = CourseDirectory(config=cfg)
    db_url = waiting_db_url(coursedir.db_url)
    folder = course_dir / "submitted" / student / assignment
    fingerprint = _fingerprint(folder)
    expected = [p.stem for p in (course_dir / "source" / assignment).glob("*.ipynb")]
    from .submission import check_notebooks     # never opens a link, FIFO or device
    bad = check_notebooks(folder, expected)
    if bad:
        # reset: scores from an earlier grading of this folder must not outlive it
        zero_submission(db_url, coursedir.course_id, assignment, student, bad, reset=True)
        s, m = _score(db_url, coursedir.course_id, assignment, student)
        return Outcome(student, "invalid", f"not graded: {bad}", s, m,
                       round(time.monotonic() - t0, 2), fingerprint=fingerprint)

    classexec.configure(cfg, limits, run_dir)
    cfg.CourseDirectory.db_url = db_url
    classexec.EVENTS.clear()
    api = NbGraderAPI(config=cfg)
    result = api.autograde(assignment, student, force=True, create=True)
    events = list(classexec.EVENTS)
    status, reason = classexec.verdict(events)
    if not result.get("success"):
        err = (result.get("error") or "").strip().splitlines()
        last = err[-1] if err else "unknown error"
        zero_submission(db_url, coursedir.course_id, assignment, student, last, reset=True)
        status, reason = "error", f"nbgrader autograde failed: {last[:200]}" + (f"; {reason}" if reason else "")
        # nbgrader's own account of the failure (its last error lines say "see above")
        log = [ln for ln in (result.get("log") or "").splitlines() if "[ERROR]" in ln or "Error" in ln]
        events.append({"kind": "nbgrader", "text": "\n".join(log[-20:])[-4000:] or "\n".join(err[-20:])[-4000:]})
    s, m = _score(db_url, coursedir.course_id, assignment, student)
    return Outcome(student, status, reason, s, m, round(time.monotonic() - t0, 2),
                   events=events, fingerprint=fingerprint)


# ----------------------------------------------------------------------------- worker pool

def _worker_main(conn, course_dir: str, assignment: str, limits: dict, run_dir: str, prefix: str) -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)       # the parent decides when to stop
    sandbox.CGROUP_PREFIX = prefix
    while True:
        try:
            student = conn.recv()
        except EOFError:
            return
        if student is None:
            return
        try:
            out = grade_submission(Path(course_dir), assignment, student, limits, run_dir)
        except BaseException as exc:   # noqa: BLE001 - one submission never stops the run
            out = Outcome(student, "error", f"grading failed: {type(exc).__name__}: {exc}"[:300],
                          events=[{"kind": "traceback", "text": traceback.format_exc()[-2000:]}])
        peak = _peak_rss_mb()
        conn.send((out.as_dict(), peak))


def _peak_rss_mb() -> dict:
    """Peak resident memory (MiB) of this grading process and of the largest student kernel
    it ran (sampled after each cell; ``RUSAGE_CHILDREN`` would report the forked parent's)."""
    import resource

    from . import classexec
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return {"grader": round(own / 1024, 1), "child": round(classexec.PEAK["kernel_kb"] / 1024, 1)}


class _Slot:
    """One grading process. Its sandboxes' cgroups carry its own prefix, so that when it has
    to be killed only its sandboxes are swept, never another worker's."""
    count = 0

    def __init__(self, ctx, args):
        _Slot.count += 1
        self.prefix = f"{args[-1]}w{_Slot.count}-"
        self.conn, child = ctx.Pipe()
        self.proc = ctx.Process(target=_worker_main, args=(child,) + args[:-1] + (self.prefix,), daemon=True)
        self.proc.start()
        child.close()
        self.student = None
        self.deadline = None
        self.peak_mb = {"grader": 0.0, "child": 0.0}


def _run_pool(course_dir: Path, assignment: str, students: list, limits: dict, run_dir: str,
              prefix: str, workers: int, progress) -> tuple[list, list]:
    ctx = multiprocessing.get_context("fork")
    args = (str(course_dir), assignment, limits, run_dir, prefix)
    queue = list(students)
    outcomes, peaks = [], []
    # a hard stop per submission, beyond the notebook budget and the judge's own limits
    hard = limits["notebook_timeout"] * 3 + 300
    # why a student's first grading process died: that submission is graded once more in a
    # fresh process (a crash of the trusted side is not the student's doing; a second one is
    # recorded as it is)
    first_death: dict[str, str] = {}
    slots = [_Slot(ctx, args) for _ in range(min(workers, len(queue)) or 1)]

    def feed(slot):
        if queue:
            slot.student = queue.pop(0)
            slot.deadline = time.monotonic() + hard
            slot.conn.send(slot.student)
        else:
            slot.student = None

    for slot in slots:
        feed(slot)
    while any(s.student for s in slots):
        busy = [s for s in slots if s.student]
        ready = mp_wait([s.conn for s in busy] + [s.proc.sentinel for s in busy], timeout=1.0)
        for slot in busy:
            died = slot.proc.sentinel in ready and not slot.conn.poll()
            late = time.monotonic() > slot.deadline
            if slot.conn in ready or slot.conn.poll():
                try:
                    data, peak = slot.conn.recv()
                    outcomes.append(_retried(Outcome(**data), first_death.get(slot.student)))
                    slot.peak_mb = {k: max(slot.peak_mb[k], peak[k]) for k in peak}
                    progress(outcomes[-1])
                    feed(slot)
                    continue
                except (EOFError, OSError):
                    died = True
            if died or late:
                if died:
                    slot.proc.join(5)     # the pipe may close a moment before the exit status exists
                code = slot.proc.exitcode
                why = (f"grading process exceeded the hard limit of {hard:g} s" if late and not died
                       else f"grading process died (exit code {code})")
                again = died and slot.student not in first_death
                if again:
                    first_death[slot.student] = why
                    queue.insert(0, slot.student)
                out = Outcome(slot.student, "crashed", why, events=[{"kind": "grader", "detail": why}])
                if slot.proc.is_alive():
                    slot.proc.kill()
                _sweep(slot.prefix)
                if slot.proc.is_alive():
                    slot.proc.kill()
                slot.proc.join(5)
                peaks.append(slot.peak_mb)
                if not again:
                    outcomes.append(_retried(out, first_death.get(slot.student)) if died else out)
                    progress(out)
                idx = slots.index(slot)
                slots[idx] = _Slot(ctx, args)
                feed(slots[idx])
    for slot in slots:
        try:
            slot.conn.send(None)
        except (OSError, BrokenPipeError):
            pass
    for slot in slots:
        slot.proc.join(30)
        if slot.proc.is_alive():
            slot.proc.kill()
            slot.proc.join(5)
        peaks.append(slot.peak_mb)
    return outcomes, peaks


def _retried(out: Outcome, first: str | None) -> Outcome:
    """``out`` of a second attempt says that the first grading process died, and why."""
    if first:
        note = f"second attempt in a new grading process: the first one {first.removeprefix('grading process ')}"
        out.events = [{"kind": "retried", "detail": note}] + list(out.events)
        out.reason = f"{out.reason}; {note}" if out.reason else note
    return out


def _zero_crashed(course_dir: Path, assignment: str, outcomes: list) -> None:
    """A submission whose grading process died twice or ran past the hard limit has no grade
    from nbgrader: record 0 on each of its grades (export then shows it), saying why."""
    from nbgrader.coursedir import CourseDirectory
    cd = CourseDirectory(config=load_course_config(course_dir))
    db_url = waiting_db_url(cd.db_url)
    for o in outcomes:
        if o.status == "crashed" and o.score is None:
            zero_submission(db_url, cd.course_id, assignment, o.student, o.reason, reset=True)
            o.score, o.max_score = _score(db_url, cd.course_id, assignment, o.student)


def _sweep(prefix: str) -> None:
    """Kill every process left in this run's cgroups and remove them."""
    sandbox.sweep_cgroups(prefix)


# ----------------------------------------------------------------------------- the class run

OUTPUTS = ("autograded", "feedback", "grade-class", "rejected", "gradebook.db", "grades.csv")


def give_back(course_dir: Path) -> list[str]:
    """After a run as root in a course folder that belongs to an instructor: hand what the run
    wrote (gradebook, autograded notebooks, records) back to the folder's owner, so that the
    instructor's own later regrade, feedback and export work. Never follows a link.
    Returns the paths changed."""
    if os.geteuid() != 0:
        return []
    st = os.stat(course_dir)
    if st.st_uid == 0:
        return []
    changed = []
    for name in OUTPUTS:
        top = course_dir / name
        if not os.path.lexists(top):
            continue
        paths = [str(top)]
        if top.is_dir() and not top.is_symlink():
            for root, dirs, files in os.walk(top, followlinks=False):
                paths += [os.path.join(root, n) for n in dirs + files]
        for p in paths:
            if os.lstat(p).st_uid != st.st_uid:
                os.lchown(p, st.st_uid, st.st_gid)
                changed.append(p)
    return changed


def list_submissions(course_dir: Path, assignment: str) -> list[str]:
    sub = course_dir / "submitted"
    if not sub.is_dir():
        return []
    return sorted(p.name for p in sub.iterdir() if (p / assignment).is_dir())


def record_path(course_dir: Path, assignment: str) -> Path:
    return course_dir / "grade-class" / f"{assignment}.json"


def grade_class(course_dir, assignment: str, workers: int | None = None, force: bool = False,
                student: str | None = None, progress_bar: bool = True, unsafe_no_sandbox: bool = False,
                **overrides) -> Summary:
    """Grade every submission of ``assignment`` (or only ``student``, always regraded).
    ``overrides``: any :class:`GradeClass` limit (``cell_timeout=10``, ``memory_mb=512``...), and
    ``call_timeout`` (the judge's CPU seconds per call; default: the course's ``c.TrustedGrades``)."""
    from anime_genre.errors import UserError
    t0 = time.monotonic()
    course_dir = Path(course_dir).resolve()
    if not (course_dir / "source" / assignment).is_dir():
        raise UserError(f"{course_dir}: no source/{assignment}/ (is this the course folder, and "
                        "has the assignment been generated?)")
    cfg = load_course_config(course_dir)
    limits = class_limits(cfg, overrides)
    if unsafe_no_sandbox:
        sandbox.allow_unsandboxed()
    try:
        sandbox.require()
    except sandbox.SandboxUnavailable as exc:
        raise UserError(str(exc)) from None
    isolation = sandbox.isolation()
    sandbox.runtime_dir()          # made once here, shared by the forked grading processes
    students = list_submissions(course_dir, assignment)
    if student is not None:
        if student not in students:
            raise UserError(f"{course_dir}/submitted/{student}/{assignment}/ does not exist")
        students, force = [student], True
    rec_path = record_path(course_dir, assignment)
    record = json.loads(rec_path.read_text()) if rec_path.exists() else {}
    todo, skipped = [], []
    for s in students:
        prev = record.get(s)
        unchanged = bool(prev) and prev.get("fingerprint") == _fingerprint(course_dir / "submitted" / s / assignment)
        # graded before: the same files, and nbgrader's output still there (an invalid file has none)
        done = unchanged and (prev.get("status") == "invalid" or (course_dir / "autograded" / s / assignment).is_dir())
        (skipped if done and not force else todo).append(s)
    n = workers or limits.pop("workers", 0) or os.cpu_count() or 1
    limits.pop("workers", None)
    run_dir = tempfile.mkdtemp(prefix="autograder-run-", dir=limits.pop("sandbox_dir") or None)  # 0700
    prefix = f"autograder-{os.path.basename(run_dir)}-"
    bar = None
    if progress_bar and todo:
        from tqdm import tqdm
        bar = tqdm(total=len(todo), desc=f"grading {assignment}", unit="nb")

    def progress(outcome):
        if bar is not None:
            bar.set_postfix_str(f"{outcome.student}: {outcome.status}", refresh=False)
            bar.update(1)

    try:
        outcomes, peaks = _run_pool(course_dir, assignment, todo, limits, run_dir, prefix, n, progress) \
            if todo else ([], [])
    finally:
        if bar is not None:
            bar.close()
        _sweep(prefix)
        shutil.rmtree(run_dir, ignore_errors=True)
        # a killed grading process's kernel folder may sit in the temporary folder (when the
        # run folder was too deep for its sockets: sandbox._socket_parent)
        sandbox.reap_stale()
    _zero_crashed(course_dir, assignment, outcomes)
    for o in outcomes:
        o.isolation = isolation["mode"]
        record[o.student] = o.as_dict()
    rec_path.parent.mkdir(parents=True, exist_ok=True)
    os.chmod(rec_path.parent, 0o700)
    tmp = rec_path.with_suffix(".json.tmp")
    tmp.write_text(json.dumps(record, indent=1, sort_keys=True))
    os.chmod(tmp, 0o600)
    os.replace(tmp, rec_path)
    give_back(course_dir)
    warnings = list(isolation["warnings"])
    if isolation["mode"] == "unsandboxed":
        warnings.insert(0, "UNSANDBOXED: student code ran without a sandbox (--unsafe-no-sandbox); "
                           "every outcome is recorded as unsandboxed")
    summary = Summary(assignment, outcomes, skipped, round(time.monotonic() - t0, 2), warnings)
    summary.isolation = isolation
    summary.peak_worker_mb = {k: max([p[k] for p in peaks] or [0.0]) for k in ("grader", "child")}
    summary.limits = limits
    return summary


# ----------------------------------------------------------------------------- command line

def add_arguments(p) -> None:
    p.add_argument("course_dir", help="the nbgrader course folder (with submitted/)")
    p.add_argument("assignment", help="assignment name, e.g. 04_sigmoid_vs_softmax")
    p.add_argument("--workers", type=int, default=None, help="parallel graders (default: one per core)")
    p.add_argument("--force", action="store_true", help="regrade submissions already graded")
    p.add_argument("--student", default=None, help="grade only this student (always regraded)")
    p.add_argument("--timeout-cell", type=float, default=None, dest="cell_timeout",
                   help="seconds per cell (default: c.GradeClass.cell_timeout, else 30)")
    p.add_argument("--timeout-notebook", type=float, default=None, dest="notebook_timeout",
                   help="seconds for all cells of a notebook (default 300)")
    p.add_argument("--timeout-call", type=float, default=None, dest="call_timeout",
                   help="CPU seconds per call of the student's code in the judge "
                        "(default: c.TrustedGrades.call_timeout, else 10; the same on every path)")
    p.add_argument("--memory-mb", type=int, default=None, dest="memory_mb",
                   help="memory limit of each kernel (default 1024)")
    p.add_argument("--json", action="store_true", help="print the outcomes as JSON")
    p.add_argument("--no-progress", action="store_true", help="no progress bar")
    p.add_argument("--unsafe-no-sandbox", action="store_true",
                   help="grade even where no sandbox can be made (recorded as unsandboxed)")


def main(args) -> int:
    from anime_genre.errors import UserError
    try:
        summary = grade_class(args.course_dir, args.assignment, workers=args.workers, force=args.force,
                              student=args.student, progress_bar=not args.no_progress,
                              cell_timeout=args.cell_timeout, notebook_timeout=args.notebook_timeout,
                              call_timeout=args.call_timeout,
                              memory_mb=args.memory_mb, unsafe_no_sandbox=args.unsafe_no_sandbox)
    except UserError as exc:
        import sys
        print(f"error: {exc}", file=sys.stderr)
        return 2
    if args.json:
        print(json.dumps({"assignment": summary.assignment, "seconds": summary.seconds,
                          "skipped": summary.skipped, "warnings": summary.warnings,
                          "outcomes": [o.as_dict() for o in summary.outcomes]}, indent=1))
    else:
        print(summary.table())
    return 0
