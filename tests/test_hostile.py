"""The hostile suite: every attack class of issue 15, through all three grading paths, as root
and as an ordinary user, in one class with ordinary submissions.

Per identity (``root`` and ``user`` when the tests run as root: ``user`` is a system user made
here and removed at the end; only ``user``, the test's own identity, otherwise), in the test's
own temporary folder:

- a course (``build-course`` + ``nbgrader generate_assignment``, built once and copied), with
  ordinary submissions (solved, blank, partial, solved with a slow exploratory last cell, and a
  solved one graded after the attackers), one hostile submission per attack class
  (``tests/hostile/submissions.py``: each built from the *blank* release, each paying visibly
  if it works), and three "notebooks" that are a FIFO or links to /dev/zero and to a root-only
  file;
- path 3: one ``python -m autograder grade-class`` run over the class;
- path 2: one plain ``nbgrader autograde`` run over the same submissions in a copy of the course;
- path 1: ``python -m autograder grade --json`` for each notebook in a folder of its own (with
  ``--no-execute`` where the kernel adds nothing to the attack), and one in a flat folder next
  to classmates' notebooks;
- then, for the browser attack (i), ``nbgrader generate_feedback`` and the formgrader's
  rendering (``tests/hostile/browser.py``) on both class paths.

Every command runs under ``tests/hostile/runas.py``: as the identity (for ``user`` under root:
``setpriv`` in a private mount namespace that exposes the interpreter, the repository and the
test's folder), as a child subreaper that lists every process still alive after the command.

Then: no attack earns more than the blank notebook on any path; the kernel's own report of each
attack (``HOSTILE {...}`` lines in the executed / autograded notebook) shows nothing leaked;
ordinary submissions get the points ``grade`` gives them alone, on every path; the course,
classmates' files and the canaries are untouched; nothing outlives its sandbox (processes,
temporary folders, cgroups, SysV shared memory, files in /tmp, /var/tmp, /dev/shm, ``.pth``
files); stored notebooks stay small; process and memory limits hold; the trusted processes stay
small; nothing of the browser attack runs in the feedback, the formgrader page or the executed
copy. A control shows that a leak would show (the same attack aimed at a file the sandbox may
read pays). Last, grades do not depend on load: one correct notebook graded alone and eight at
once, as each identity.

No wall-clock budget is asserted anywhere; timeouts are only safety nets. Set
``HOSTILE_REPORT=FILE`` to get the attack x path table as JSON.
"""
from __future__ import annotations

import concurrent.futures as cf
import glob
import hashlib
import json
import os
import subprocess
import sys
import sysconfig
import time
import uuid
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests" / "hostile"))
import browser as BROWSER  # noqa: E402
import submissions as S  # noqa: E402
from harness import (IDENTITIES, IS_ROOT, PY, Identity, cgroups, copy_course, course_template,  # noqa: E402,F401
                     left_cgroups, tmp_entries)

A = S.ASSIGNMENT
NB = f"{A}.ipynb"
# zed is graded after the attackers; erin is solved and ends with a slow exploratory cell that
# outlasts the cell timeout and does not see the interrupt (as a long C call would not; blocking
# SIGINT makes that deterministic and costs no CPU): her points come from the judge all the same,
# and her record says the cell timed out
ORDINARY = {"alice": "solved", "bob": "blank", "carol": "partial", "erin": "solved", "zed": "solved"}
EXPECTED = {"alice": 12.0, "bob": 0.0, "carol": 4.0, "erin": 12.0, "zed": 12.0}
SLOW_CELL = ("import signal, time\nsignal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})\n"
             "time.sleep(75)\nsignal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT})\n")
STATUS = {"erin": "timeout"}       # every other ordinary submission: "graded"
HOSTILE = {f"h_{k}": k for k in S.ATTACKS}
# d) notebooks that are not files: the trusted side must refuse them without opening them
SPECIAL = {"h_fifo_nb": "a FIFO", "h_zero_nb": "a link to /dev/zero", "h_canary_nb": "a link to a root-only file"}
STUDENTS = {**ORDINARY, **HOSTILE, **SPECIAL}
# the kernel adds nothing to these attacks on the grade path (its points come from the judge)
NO_EXECUTE = {"h_copy_back", "h_protocol", "h_metadata", "h_cpu_dodge", "h_cross_exercise", *ORDINARY, *SPECIAL}
FLAT = "h_classmates_2"            # graded from a folder that also holds classmates' notebooks
# Wall-clock limits are safety nets that an ordinary cell never comes near, however loaded the
# machine (the attacks run on three paths for two identities at once, beside the other tests):
# 10 s per cell was once too little for a cell that imports numpy. "call" is CPU seconds per
# call of the student's code in the judge, which load does not stretch.
CLASS_LIMITS = {"cell": 30, "notebook": 400, "call": 10, "memory_mb": 512, "max_processes": 64}
PATHS = ("grade", "nbgrader", "grade-class")


# ----------------------------------------------------------------------------- the class

def _special_entries(folder: Path, canary: Path) -> None:
    """What d) puts into a submission folder: a link to a root-only file, a FIFO, /dev/zero."""
    os.symlink(canary, folder / "canary-link")
    os.mkfifo(folder / "pipe")
    os.symlink("/dev/zero", folder / "zero")


def _special_notebook(path: Path, student: str, canary_nb: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    if student == "h_fifo_nb":
        os.mkfifo(path)
    else:
        os.symlink("/dev/zero" if student == "h_zero_nb" else canary_nb, path)


def _sha(path: Path) -> str | None:
    try:
        return hashlib.sha256(path.read_bytes()).hexdigest()
    except OSError:
        return None


def _shm_keys() -> set:
    try:
        with open("/proc/sysvipc/shm") as f:
            next(f)
            return {int(line.split()[0]) for line in f if line.strip()}
    except (OSError, StopIteration, ValueError):
        return set()


def _sites() -> list:
    return sorted({sysconfig.get_paths()["purelib"], sysconfig.get_paths()["platlib"]})


def _nb_json(path: Path):
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError):
        return None


def _gradebook(course: Path) -> dict:
    """student -> {"total", "by": {exercise grade_id: points}}."""
    from nbgrader.api import Gradebook, MissingEntry
    out = {}
    with Gradebook(f"sqlite:///{course}/gradebook.db", "anime-genre") as gb:
        for s in gb.assignment_submissions(A):
            try:
                nb = gb.find_submission_notebook(NB[:-6], A, s.student.id)
                by = {g.name.replace("_check", ""): float(g.score) for g in nb.grades}
            except MissingEntry:
                by = {}
            out[s.student.id] = {"total": float(s.score), "by": by}
    return out


@pytest.fixture(scope="module")
def worlds(course_template, tmp_path_factory):
    """Every identity's class, graded concurrently (their idle times overlap)."""
    idents = [Identity(name, tmp_path_factory.mktemp(f"hostile-{name}")) for name in IDENTITIES]
    try:
        cgroups_before = cgroups()
        with cf.ThreadPoolExecutor(max_workers=len(idents)) as pool:
            done = list(pool.map(lambda i: run_world(i, course_template), idents))
        # cgroups are machine-wide: looked at once every identity's runs are over
        left = left_cgroups(cgroups_before, [str(i.base / "tmp") for i in idents], {i.uid for i in idents})
        for w in done:
            w["left"]["cgroups"] = left
            _write_report(w)
        yield {w["ident"].name: w for w in done}
    finally:
        for ident in idents:
            ident.remove()


@pytest.fixture(params=IDENTITIES)
def world(request, worlds):
    return worlds[request.param]


def run_world(ident: Identity, template: Path) -> dict:
    """Write the class for one identity, grade it on the three paths, collect what happened."""
    base = ident.base
    for d in ("home", "tmp", "out", "alone", "flat"):
        (base / d).mkdir()
    course, course_nb, alone, flat = base / "course", base / "course-nb", base / "alone", base / "flat"
    copy_course(template, course)

    # a root-only file (the identity's own, 0600, when not root) and its text
    canary_dir = base / "canary"
    canary_dir.mkdir(mode=0o700)
    canary_text = "CANARY-" + uuid.uuid4().hex
    canary = canary_dir / "canary.txt"
    canary.write_text(canary_text + "\n")
    canary.chmod(0o600)
    # a root-only *notebook*: a solved one, so that following a link to it pays (12 points)
    canary_nb = canary_dir / "canary.ipynb"
    token = uuid.uuid4().hex
    cfg = S.attack_config(token=token, repo=ROOT, courses=[course, course_nb], alone=alone, canary=canary,
                          canary_text=canary_text, sites=_sites(), home=str(base / "home"), roots=[base])
    release, source = S.load(course)
    notebooks = {}
    for student, kind in ORDINARY.items():
        notebooks[student] = S.build(kind, release, source, {})
    notebooks["erin"]["cells"].append({"cell_type": "code", "execution_count": None, "metadata": {},
                                       "outputs": [], "source": SLOW_CELL})
    for student, kind in HOSTILE.items():
        notebooks[student] = S.build_attack(kind, release, source, cfg)
    solved = json.loads(json.dumps(notebooks["alice"]))
    solved["cells"].insert(0, {"cell_type": "markdown", "metadata": {}, "source": canary_text})
    canary_nb.write_text(json.dumps(solved))
    canary_nb.chmod(0o600)
    for student, nb in notebooks.items():
        S.write(course, student, nb)           # (SPECIAL students' notebooks are made below)
        folder = flat if student == FLAT else alone / student
        folder.mkdir(exist_ok=True)
        name = f"{student}.ipynb" if student == FLAT else NB
        (folder / name).write_text(json.dumps(nb, indent=1))
    for student in ("alice", "bob"):        # classmates next to the flat-folder attacker
        (flat / f"{student}.ipynb").write_text(json.dumps(notebooks[student], indent=1))
    copy_course(course, course_nb)
    Path(S.user_site(base / "home")).mkdir(parents=True)      # the graders' own user site exists
    ident.own(base)
    if IS_ROOT:                              # the canary stays root's: a root-only file
        for p in (canary_dir, canary, canary_nb):
            os.chown(p, 0, 0)
    for folder in (course / "submitted" / "h_links" / A, course_nb / "submitted" / "h_links" / A, alone / "h_links"):
        _special_entries(folder, canary)
    for student in SPECIAL:
        for path in (course / "submitted" / student / A / NB, course_nb / "submitted" / student / A / NB,
                     alone / student / NB):
            _special_notebook(path, student, canary_nb)
            ident.own(path.parent.parent if path.parent.name == A else path.parent)   # the folders, not the targets

    victims = [c / "submitted" / "alice" / A / NB for c in (course, course_nb)] + \
              [alone / "alice" / NB, flat / "alice.ipynb", course / "nbgrader_config.py",
               course_nb / "nbgrader_config.py", canary, canary_nb]
    before = {"victims": {str(p): _sha(p) for p in victims}, "cgroups": cgroups(), "shm": _shm_keys(),
              "tmp": tmp_entries("/tmp"), "own_tmp": tmp_entries(str(base / "tmp"))}

    # ---- the three paths, concurrently (safety nets only; no budget is asserted)
    jobs = {}
    pool = cf.ThreadPoolExecutor(max_workers=3)
    jobs["nbgrader"] = pool.submit(
        ident.run, ["nbgrader", "autograde", A, f"--ClassExecute.timeout={CLASS_LIMITS['cell']}",
                    f"--ClassExecute.notebook_timeout={CLASS_LIMITS['notebook']}",
                    f"--ClassExecute.memory_mb={CLASS_LIMITS['memory_mb']}",
                    f"--TrustedGrades.call_timeout={CLASS_LIMITS['call']}",
                    f"--TrustedGrades.memory_mb={CLASS_LIMITS['memory_mb']}"], course_nb, "nbgrader")
    jobs["grade-class"] = pool.submit(
        ident.run, [PY, "-m", "autograder", "grade-class", course, A, "--workers", "2", "--json", "--no-progress",
                    "--timeout-cell", CLASS_LIMITS["cell"], "--timeout-notebook", CLASS_LIMITS["notebook"],
                    "--memory-mb", CLASS_LIMITS["memory_mb"]], ROOT, "grade-class")
    grade_jobs = {}
    order = sorted(STUDENTS, key=lambda s: (s in NO_EXECUTE, s))      # the long ones first
    for student in order:
        path = flat / f"{student}.ipynb" if student == FLAT else alone / student / NB
        argv = [PY, "-m", "autograder", "grade", path, "--json", "--timeout", CLASS_LIMITS["call"],
                "--cell-timeout", CLASS_LIMITS["cell"], "--memory-mb", CLASS_LIMITS["memory_mb"]]
        argv += ["--no-execute"] if student in NO_EXECUTE else ["--executed", base / "out" / f"{student}.ipynb"]
        grade_jobs[student] = pool.submit(ident.run, argv, ROOT, f"grade-{student}")
    runs = {k: f.result() for k, f in jobs.items()}
    runs.update({f"grade-{s}": f.result() for s, f in grade_jobs.items()})
    pool.shutdown()
    time.sleep(2)                            # a daemon that escaped would write by now

    # ---- results
    scores = {p: {} for p in PATHS}
    detail = {p: {} for p in PATHS}
    for student in STUDENTS:
        r = runs[f"grade-{student}"]
        try:
            rep = json.loads(r["stdout"])
            scores["grade"][student] = rep["total"]
            detail["grade"][student] = {e["id"]: e["points"] for e in rep["exercises"]}
        except (ValueError, KeyError):
            scores["grade"][student] = None
            detail["grade"][student] = {"error": (r["stderr"] or r["stdout"])[-500:]}
    for path, c in (("nbgrader", course_nb), ("grade-class", course)):
        book = _gradebook(c)
        for student in STUDENTS:
            scores[path][student] = book.get(student, {}).get("total")
            detail[path][student] = book.get(student, {}).get("by")
    try:
        class_record = {o["student"]: o for o in json.loads(runs["grade-class"]["stdout"])["outcomes"]}
    except (ValueError, KeyError):
        class_record = {}
    kernel_marks = {p: {} for p in PATHS}
    sizes = {p: {} for p in PATHS}
    stored = {p: {} for p in PATHS}
    for student in STUDENTS:
        for path, nbpath in (("grade", base / "out" / f"{student}.ipynb"),
                             ("nbgrader", course_nb / "autograded" / student / A / NB),
                             ("grade-class", course / "autograded" / student / A / NB)):
            nb = _nb_json(nbpath)
            kernel_marks[path][student] = S.markers(nb) if nb else None
            stored[path][student] = nbpath
            sizes[path][student] = nbpath.stat().st_size if nbpath.exists() else None

    # ---- what is left on the machine (then removed: it is ours)
    left = {"processes": {tag: r["outlived"] for tag, r in runs.items() if r.get("outlived")}}
    left["cgroups"] = []                     # filled in once every identity is done (worlds)
    left["own_tmp"] = sorted(tmp_entries(str(base / "tmp")) - before["own_tmp"])
    left["tmp"] = sorted(n for n in tmp_entries("/tmp") - before["tmp"]
                         if ident.user is not None and os.lstat(f"/tmp/{n}").st_uid == ident.uid)
    left["shm"] = sorted(k for k in _shm_keys() - before["shm"] if k == cfg["shm_key"])
    for key in left["shm"]:
        subprocess.run(["ipcrm", "-M", str(key)], capture_output=True)
    left["drops"] = sorted(f for d in ("/tmp", "/var/tmp", "/dev/shm") for f in glob.glob(f"{d}/agh-{token}-*"))
    left["pth"] = sorted(f for sp in _sites() + [str(base / "home")] for f in
                         glob.glob(f"{sp}/**/hostile-{token}.pth", recursive=True))
    for f in left["drops"] + left["pth"]:
        os.unlink(f)
    after_victims = {str(p): _sha(p) for p in victims}
    persisted = []
    for c in (course, course_nb):
        for p in [c / "gradebook.db", *sorted((c / "autograded").glob(f"*/{A}/{NB}"))]:
            if p.exists() and f"PERSISTED-{token}".encode() in p.read_bytes():
                persisted.append(str(p))

    # i) what the instructor's browser is shown of the browser attack: each class path's
    # feedback and formgrader page (the grade path's executed copy is out/h_browser.ipynb)
    pages = {}
    for path, c in (("nbgrader", course_nb), ("grade-class", course)):
        out = base / "out" / f"formgrade-{path}.html"
        made = [ident.run(["nbgrader", "generate_feedback", A, "--student", "h_browser"], c, f"feedback-{path}"),
                ident.run([PY, "-c", BROWSER.FORMGRADE, c / "autograded" / "h_browser" / A / NB, "h_browser", A, out],
                          c, f"formgrade-{path}")]
        pages[path] = {"feedback": c / "feedback" / "h_browser" / A / f"{A}.html", "formgrade": out, "runs": made}

    world = {"ident": ident, "base": base, "course": course, "course_nb": course_nb, "runs": runs,
             "scores": scores, "detail": detail, "record": class_record, "marks": kernel_marks,
             "sizes": sizes, "stored": stored, "left": left, "before": before, "after_victims": after_victims,
             "persisted": persisted, "canary_text": canary_text, "token": token, "pages": pages}
    _write_report(world)
    return world


def _write_report(w) -> None:
    rows = []
    for student, kind in HOSTILE.items():
        row = {"attack": kind, "identity": w["ident"].name}
        for p in PATHS:
            leaks = [m.get("leaks") for m in (w["marks"][p].get(student) or []) if m.get("leaks")]
            row[p] = {"score": w["scores"][p].get(student), "blank": w["scores"][p].get("bob"),
                      "by": w["detail"][p].get(student), "kernel_leaks": leaks,
                      "marks": [{k: v for k, v in m.items() if k not in ("leaks",)}
                                for m in (w["marks"][p].get(student) or [])][:6],
                      "stored_bytes": w["sizes"][p].get(student)}
        row["grade-class-status"] = (w["record"].get(student) or {}).get("status")
        row["grade-class-reason"] = ((w["record"].get(student) or {}).get("reason") or "")[:300]
        rows.append(row)
    report = {"identity": w["ident"].name, "rows": rows, "ordinary": {p: {s: w["scores"][p].get(s) for s in ORDINARY}
                                                                     for p in PATHS},
              "left": w["left"], "persisted": w["persisted"],
              "victims_changed": [k for k, v in w["before"]["victims"].items() if w["after_victims"][k] != v],
              "runs": {t: {k: r.get(k) for k in ("returncode", "wall", "seconds", "cpu_seconds", "trusted_peak_mb", "timed_out")}
                       for t, r in w["runs"].items()}}
    (w["base"] / "report.json").write_text(json.dumps(report, indent=1, default=str))
    target = os.environ.get("HOSTILE_REPORT")
    if target:
        path = Path(f"{target}.{w['ident'].name}.json")
        path.write_text(json.dumps(report, indent=1, default=str))


def _why_silent(world, path: str, student: str) -> list:
    """What the stored notebook of a kernel that did not report shows: its error outputs (a
    cell timeout, a dead kernel, a cell not run) and, on the class paths, the recorded reason."""
    nb = _nb_json(world["stored"][path][student])
    if nb is None:
        return [f"no stored notebook at {world['stored'][path][student]}"]
    seen = [f"cell {i}: {o.get('ename')}: {str(o.get('evalue'))[:160]}"
            for i, c in enumerate(nb.get("cells", [])) for o in c.get("outputs", []) or []
            if o.get("output_type") == "error"]
    if path == "grade-class":
        seen.append(f"record: {(world['record'].get(student) or {}).get('reason')}")
    elif path == "grade":
        seen.append(f"grade: {world['runs'][f'grade-{student}']['stderr'][-300:]}")
    return seen[:12]


# ----------------------------------------------------------------------------- the runs themselves

def test_every_submission_is_recorded_on_every_path(world):
    """No attack stops the grading of the others: every student has a grade on every path."""
    runs = world["runs"]
    for tag, r in runs.items():
        assert not r.get("timed_out"), (tag, r["stderr"][-2000:])
    assert runs["grade-class"]["returncode"] == 0, runs["grade-class"]["stderr"][-3000:]
    for path in ("nbgrader", "grade-class"):
        missing = [s for s in STUDENTS if world["scores"][path].get(s) is None]
        assert not missing, (path, missing, runs[path]["stderr"][-3000:])
    assert set(world["record"]) == set(STUDENTS)
    for student in set(STUDENTS) - set(SPECIAL):
        r = runs[f"grade-{student}"]
        assert r["returncode"] == 0 and world["scores"]["grade"][student] is not None, (student, r["stderr"][-2000:])


def test_notebooks_that_are_not_files_are_refused_unopened(world):
    """d): a notebook that is a FIFO, a link to /dev/zero or a link to a root-only file: the
    grade path refuses it at once, the class paths record 0 and grade the others."""
    for student in SPECIAL:
        r = world["runs"][f"grade-{student}"]
        # refused as what it is (a FIFO, a link), not opened: a followed link to the root-only
        # notebook would be graded (12 points) or fail on the file's permissions
        assert r["returncode"] == 2 and "error:" in r["stderr"], (student, r["returncode"], r["stderr"][-500:])
        assert "Permission denied" not in r["stderr"] and "JSON" not in r["stderr"], (student, r["stderr"][-300:])
        assert world["canary_text"] not in r["stdout"] + r["stderr"]
        assert world["scores"]["nbgrader"][student] == world["scores"]["grade-class"][student] == 0, student
        assert world["record"][student]["status"] == "invalid", world["record"][student]
        for c in (world["course"], world["course_nb"]):
            for p in (c / "autograded" / student).rglob("*") if (c / "autograded" / student).exists() else []:
                assert p.is_dir() or world["canary_text"].encode() not in p.read_bytes(), p


def test_no_submission_breaks_the_grading_machinery(world):
    """Every submission gets a result that says what happened to it (graded, timeout, limit,
    crashed, invalid), never a failure of nbgrader or of the grader itself. (A notebook that
    is not a file is quarantined by design, which nbgrader reports as an error for that
    student: those are not counted.)"""
    errors = {s: o["reason"][:300] + " | " + " ".join(e.get("text", "")[-600:] for e in o.get("events", [])
                                                       if e.get("kind") == "nbgrader")
              for s, o in world["record"].items() if o["status"] == "error"}
    assert errors == {}, errors
    nb = world["runs"]["nbgrader"]
    failed = [line for line in nb["stderr"].splitlines() if "There was an error processing assignment '" in line
              and not any(f"'{s}'" in line for s in SPECIAL)]
    assert not failed, failed


def test_ordinary_submissions_get_their_grade_alone_on_every_path(world):
    for student, expected in EXPECTED.items():
        got = {p: world["scores"][p][student] for p in PATHS}
        assert got == {p: expected for p in PATHS}, (student, got, world["detail"]["grade-class"].get(student))
        record = world["record"][student]
        assert record["status"] == STATUS.get(student, "graded"), record
        if student in STATUS:
            assert "timeout in cell" in record["reason"], record


@pytest.mark.parametrize("attack", list(S.ATTACKS))
def test_attack_earns_no_more_than_the_blank_notebook(world, attack):
    student = f"h_{attack}"
    for path in PATHS:
        blank, got = world["scores"][path]["bob"], world["scores"][path][student]
        assert got is not None and got <= blank, (path, got, blank, world["detail"][path][student],
                                                  world["record"].get(student))


@pytest.mark.parametrize("attack", ["instructor_files", "classmates_1", "classmates_2", "links", "persist"])
def test_the_kernel_found_nothing(world, attack):
    """The kernel's own report, on every path that ran it: the attack ran, and found nothing."""
    student = f"h_{attack}"
    for path in PATHS:
        marks = [m for m in (world["marks"][path][student] or []) if m.get("kind") != "unreadable"]
        assert marks, (path, "the attack did not report: did it run?", _why_silent(world, path, student))
        leaks = [m["leaks"] for m in marks if m.get("leaks")]
        assert not leaks, (path, leaks)


def test_copy_back_cannot_reach_the_fixtures(world):
    for path in PATHS:
        if "h_copy_back" in NO_EXECUTE and path == "grade":
            continue
        marks = world["marks"][path]["h_copy_back"] or []
        assert [m for m in marks if m.get("kind") == "copy_back"], path
    # the late ordinary submission, graded after the attacker by the same class run, kept its points
    zed = {p: world["scores"][p]["zed"] for p in ("nbgrader", "grade-class")}
    assert zed == {"nbgrader": 12.0, "grade-class": 12.0}, (zed, world["detail"]["grade-class"]["zed"])


def test_classmates_course_and_canaries_are_untouched(world):
    before, after = world["before"]["victims"], world["after_victims"]
    assert {k for k in before if before[k] != after[k]} == set()
    assert world["persisted"] == []


def test_nothing_outlives_its_sandbox(world):
    left = world["left"]
    assert left["processes"] == {}, left["processes"]
    assert left["cgroups"] == [], left["cgroups"]
    assert left["own_tmp"] == [] and left["tmp"] == [], (left["own_tmp"], left["tmp"])
    assert left["shm"] == [] and left["drops"] == [], (left["shm"], left["drops"])
    assert left["pth"] == [], left["pth"]


def test_links_and_special_files_are_not_followed(world):
    """d): the trusted side neither hangs on the FIFO nor reads /dev/zero or the root-only file;
    the kernel's FIFOs and links in its working copy stay in the sandbox."""
    course = world["course"]
    rejected = course / "rejected" / "h_links" / A
    assert (rejected / "REJECTED.txt").exists(), "grade-class did not quarantine the links"
    text = (rejected / "REJECTED.txt").read_text()
    for name in ("canary-link", "pipe", "zero"):
        assert name in text, text
    for path in PATHS:
        marks = world["marks"][path]["h_links"] or []
        did = " ".join(" ".join(m.get("did", [])) for m in marks)
        assert "output.txt->fifo" in did, (path, did, _why_silent(world, path, "h_links"))   # the kernel did replace its files
        assert world["canary_text"] not in json.dumps(world["marks"][path]["h_links"])


def test_the_trusted_side_stays_small(world):
    """Nothing a kernel or a worker sends (200 MB of output, 100 MB results, forged frames)
    makes a trusted grading process grow: each stays under 512 MB."""
    big = {tag: r["trusted_peak_mb"] for tag, r in world["runs"].items() if r.get("trusted_peak_mb", 0) >= 512}
    assert big == {}, big


def test_protocol_abuse_costs_the_student_only(world):
    """e): forged, huge and deep frames and 100 MB results: the exercise scores 0, the judge
    stays small and answers for every other exercise."""
    r = world["runs"]["grade-h_protocol"]
    rep = json.loads(r["stdout"])
    assert {e["id"] for e in rep["exercises"]} == set(S.EXERCISES)
    assert all(e["points"] == 0 for e in rep["exercises"]), rep
    assert r["trusted_peak_mb"] < 1024, r["trusted_peak_mb"]


def test_stored_notebooks_stay_small(world):
    """g): 200 MB of output (stream, display metadata, traceback) is not stored."""
    for path in PATHS:
        size = world["sizes"][path]["h_resources_out_cpu"]
        assert size is not None, (path, "no notebook stored: the grading of this submission failed",
                                  (world["record"].get("h_resources_out_cpu") or {}).get("reason"))
        assert size < 5 * 2**20, (path, size)


def test_process_and_memory_limits_hold_per_sandbox(world):
    """g): the kernel's fork bomb stops at the sandbox's process limit; twice the memory limit,
    asked for across 16 processes (the same limit on the three paths), stays within the
    sandbox's limit where a memory cgroup can be made (root). Without one (an ordinary user on a
    cgroup-v1 machine) memory is limited per process (RLIMIT_AS), as INSTRUCTOR.md and every
    record say: then no process holds more than the limit, and the sandbox at most the limit
    times its process count. What is compared is what the children still alive hold together
    once all are done or the attack's own 15 s are up (the attack's running sum can count a
    child killed for memory twice)."""
    limit = CLASS_LIMITS["memory_mb"]         # the same on the three paths
    per_sandbox = world["ident"].name == "root"
    for path in PATHS:
        marks = world["marks"][path]["h_resources_fork_mem"] or []
        forks = [m["forked"] for m in marks if m.get("kind") == "fork"]
        assert forks and max(forks) < CLASS_LIMITS["max_processes"], (path, forks,
                                                                      _why_silent(world, path, "h_resources_fork_mem"))
        settled = [m for m in marks if m.get("kind") == "memory" and m.get("final")]
        assert settled, (path, "the memory attack did not finish", _why_silent(world, path, "h_resources_fork_mem"))
        final = settled[-1]
        assert final["asked_mb"] > limit, (path, "the attack asked for no more than the limit", final)
        cap = limit if per_sandbox else limit * CLASS_LIMITS["max_processes"]
        assert final["settled_mb"] <= cap, (path, f"{final['settled_mb']} MB held at once in one sandbox under a "
                                                  f"{limit} MB limit", final)


def test_the_instructors_browser_runs_nothing(world, tmp_path):
    """i): the browser attack's feedback and formgrader page (class paths) and its executed copy
    (grade path, rendered by plain nbconvert) hold no script, event handler or javascript: URL
    of the attack, and in chromium none of its scripts runs (without chromium: skipped after
    the parsing, a failure under CI).
    (tests/test_browser_safety.py has the control that shows a script that ran.)"""
    token = world["token"]
    pages = {}
    for path, p in world["pages"].items():
        for run in p["runs"]:
            assert run["returncode"] == 0, (path, run["tag"], run["stderr"][-2000:])
        pages[f"{path} feedback"], pages[f"{path} formgrade"] = p["feedback"], p["formgrade"]
    executed = world["base"] / "out" / "h_browser.ipynb"
    assert executed.exists(), "the grade path wrote no executed copy"
    subprocess.run([str(Path(PY).parent / "jupyter"), "nbconvert", "--to", "html", "--output-dir", str(tmp_path),
                    str(executed)], cwd=tmp_path, env=BROWSER.course_env(tmp_path), check=True, capture_output=True)
    pages["grade executed"] = tmp_path / "h_browser.html"
    for name, page in pages.items():
        assert BROWSER.active_sinks(page.read_text(encoding="utf-8"), token) == [], name
    if BROWSER.chromium() is None:
        from conftest import missing_tool
        missing_tool("chromium", "ask for `apt-get install chromium` (`make setup` installs it as root)")
    for name, page in pages.items():
        assert BROWSER.fired(page, token, tmp_path / f"profile-{name.replace(' ', '-')}") == [], name


def test_a_leak_would_show(course_template, tmp_path_factory):
    """The suite's own control: the instructor_files attack aimed at a file every sandbox may
    read (the visible checks' core) "finds" it, and both channels show it: the kernel's report
    and the grade (its sigmoid pays, 2 points, where the blank notebook has 0)."""
    base = tmp_path_factory.mktemp("hostile-control")
    me = Identity("root" if IS_ROOT else "user", base)
    for d in ("home", "tmp", "nb"):
        (base / d).mkdir()
    release, source = S.load(course_template)
    cfg = S.attack_config(token=uuid.uuid4().hex, repo=base / "no-repo", courses=[], alone=base / "nb",
                          canary=base / "no-canary", canary_text="CANARY-none", sites=[])
    cfg["files"], cfg["dirs"], cfg["modules"], cfg["pathfinder"] = ["/opt/course/autograder/core.py"], [], [], []
    (base / "nb" / NB).write_text(json.dumps(S.build_attack("instructor_files", release, source, cfg)))
    r = me.run([PY, "-m", "autograder", "grade", base / "nb" / NB, "--json", "--cell-timeout", "30",
                "--executed", base / "executed.ipynb"], ROOT, "control")
    by = {e["id"]: e["points"] for e in json.loads(r["stdout"])["exercises"]}
    assert by["l4_sigmoid"] == 2 and by["l4_log_sigmoid"] == 0, by
    marks = S.markers(json.loads((base / "executed.ipynb").read_text()))
    assert [m["leaks"] for m in marks] == [{"files": ["/opt/course/autograder/core.py"]}], marks


# ----------------------------------------------------------------------------- i) load

def _total(run):
    try:
        return json.loads(run["stdout"])["total"]
    except (ValueError, KeyError):
        return None


def _lost(run) -> list:
    """Why points were lost: the messages of the exercises below full marks."""
    try:
        return sorted({e["message"][:120] for e in json.loads(run["stdout"])["exercises"] if e["points"] < e["max_points"]})
    except (ValueError, KeyError):
        return [run["stderr"][-300:]]


@pytest.mark.parametrize("identity", IDENTITIES)
def test_grades_do_not_depend_on_load(identity, course_template, tmp_path_factory):
    """One correct notebook graded alone, then eight gradings of it at once (2 cores here):
    the same points every time. No wall-clock budget: only the points are compared."""
    base = tmp_path_factory.mktemp("hostile-load")
    ident = Identity(identity, base)
    try:
        for d in ("home", "tmp", "nb"):
            (base / d).mkdir()
        release, source = S.load(course_template)
        nb = S.build("solved", release, source, {})
        for i in range(8):
            (base / "nb" / f"n{i}").mkdir()
            (base / "nb" / f"n{i}" / NB).write_text(json.dumps(nb))
        ident.own(base)

        def grade(i, tag):
            return ident.run([PY, "-m", "autograder", "grade", base / "nb" / f"n{i}" / NB, "--json"], ROOT, tag)
        alone = grade(0, "alone")
        with cf.ThreadPoolExecutor(max_workers=8) as pool:
            loaded = list(pool.map(lambda i: grade(i, f"loaded{i}"), range(8)))
        totals = [_total(r) for r in [alone] + loaded]
        assert totals == [12.0] * 9, (totals, [(r["tag"], _lost(r)) for r in [alone] + loaded if _total(r) != 12.0])
    finally:
        ident.remove()
