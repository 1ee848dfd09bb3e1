"""The instructor's workflow on a shared server, end to end with nbgrader's exchange and real
nbgrader commands, as INSTRUCTOR.md ("The exchange on a shared server") describes it:

build-course, generate_assignment, release_assignment (instructor) -> fetch_assignment, work,
submit (each student, in their own folder) -> collect, autograde, generate_feedback,
release_feedback, export (instructor) -> fetch_feedback (each student).

Run as root, the instructor and two students are system users the test creates (each in a
private mount namespace reaching only the interpreter, the repository, their own folder and the
exchange); run as an ordinary user, that user is the instructor and the one student. Everything
lives in the test's temporary folder: the exchange is ``c.Exchange.root`` there, not /srv.
"""
from __future__ import annotations

import csv
import json
import os
import sys
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests" / "hostile"))
from harness import IS_ROOT, PY, Identity  # noqa: E402

from autograder.grade import grade_nb  # noqa: E402

from grader_cases import WRONG_AXIS, solved, submission  # noqa: E402

A = "04_sigmoid_vs_softmax"
STUDENT_CONFIG = 'c = get_config()\nc.CourseDirectory.course_id = "anime-genre"\nc.Exchange.root = {root!r}\n'


def _ok(report: dict, what: str) -> dict:
    assert report["returncode"] == 0, f"{what}:\n{report['stdout'][-2000:]}\n{report['stderr'][-4000:]}"
    assert not report["outlived"], (what, report["outlived"])
    return report


TAMPER = r"""
import glob, os, shutil, sys
from jupyter_core.paths import jupyter_data_dir
inbound, a, victim, me, blank, mine = sys.argv[1:]
# my own secret from my real submission (nbgrader keeps it in my cache): the feedback for
# whatever is collected in my name is then still mine to fetch
secret = open(glob.glob(os.path.join(jupyter_data_dir(), "nbgrader_cache", "anime-genre", f"*+{a}+*",
                                     "submission_secret.txt"))[0]).read()
def folder(owner, when, tag, notebook):
    path = os.path.join(inbound, f"{owner}+{a}+{when}+{tag}")
    os.mkdir(path)
    shutil.copy(notebook, os.path.join(path, a + ".ipynb"))
    with open(os.path.join(path, "timestamp.txt"), "w") as f:
        f.write(when)
    with open(os.path.join(path, "submission_secret.txt"), "w") as f:
        f.write(secret)
    return path
# a blank notebook in the victim's name, dated in the future so that it would win
folder(victim, "2099-12-31 23:59:59.000000 UTC", "forged", blank)
# a folder nbgrader submit did not make (no secret): release_feedback would stop at it
os.remove(os.path.join(folder(me, "2099-12-31 23:59:58.000000 UTC", "nosecret", blank), "submission_secret.txt"))
# my own submission again, dated 2000 (no late penalty), with links into the course folder
# (nbgrader's collect runs in it: /proc/self/cwd is the course)
mine = folder(me, "2000-01-01 00:00:00.000000 UTC", "backdated", mine)
os.symlink("/proc/self/cwd/gradebook.db", os.path.join(mine, "leak.dat"))
os.symlink(f"/proc/self/cwd/source/{a}/{a}.ipynb", os.path.join(mine, "source.txt"))
print("tampered")
"""


def _tamper(ident: Identity, inbound: Path, victim: str, me: str, my_work) -> None:
    folder = ident.base / "tamper"
    folder.mkdir()
    nbformat.write(nbformat.read(str(ROOT / "lessons" / f"{A}.ipynb"), as_version=4), str(folder / "blank.ipynb"))
    nbformat.write(my_work, str(folder / "mine.ipynb"))
    ident.own(folder)
    r = ident.run([PY, "-c", TAMPER, inbound, A, victim, me, folder / "blank.ipynb", folder / "mine.ipynb"],
                  folder, "tamper")
    assert r["stdout"].strip() == "tampered", r["stderr"][-2000:]


@pytest.fixture(scope="module")
def term(tmp_path_factory):
    """One term: the instructor releases lesson 4, the students submit, the instructor grades
    and returns feedback. Yields what each step left."""
    base = tmp_path_factory.mktemp("exchange")
    os.chmod(base, 0o755)
    exchange = base / "exchange"
    exchange.mkdir()
    os.chmod(exchange, 0o777)          # what an administrator does once (INSTRUCTOR.md)
    people = {}
    for role in ("instructor", "student1", "student2") if IS_ROOT else ("instructor",):
        folder = base / role
        (folder / "home").mkdir(parents=True)
        ident = Identity("user", folder)
        ident.shared = [exchange]
        ident.own(folder)
        people[role] = ident
    # without root, the instructor is also the only student (same account, own folder)
    students = {r: p for r, p in people.items() if r != "instructor"} or {"student1": people["instructor"]}
    ins = people["instructor"]
    for ident in students.values():    # as on a server where the instructor's home can be entered
        ident.shared.append(ins.base)
    course = ins.base / "course"
    try:
        _ok(ins.run([PY, "-m", "autograder", "build-course", course], ROOT, "build"), "build-course")
        limits = course / "course_limits.py"
        limits.write_text(limits.read_text() + f"c.Exchange.root = {str(exchange)!r}\n")
        for step in (["generate_assignment", A], ["release_assignment", A]):
            _ok(ins.run(["nbgrader", *step], course, step[0]), step[0])
        inbound = exchange / "anime-genre" / "inbound"
        os.chmod(inbound, os.stat(inbound).st_mode | 0o1000)    # as INSTRUCTOR.md says

        work = {"student1": solved(4), "student2": submission(4, {"l4_softmax": WRONG_AXIS})}
        names = {}
        for role, ident in students.items():
            home = ident.base / "work"
            home.mkdir(exist_ok=True)
            (home / "nbgrader_config.py").write_text(STUDENT_CONFIG.format(root=str(exchange)))
            ident.own(home)
            _ok(ident.run(["nbgrader", "fetch_assignment", A], home, f"fetch-{role}"), "fetch_assignment")
            fetched = home / A / f"{A}.ipynb"
            assert fetched.is_file()
            nbformat.write(work[role], str(fetched))      # the student's work, saved over the release
            ident.own(home)
            _ok(ident.run(["nbgrader", "submit", A], home, f"submit-{role}"), "submit")
            who = ident.run([PY, "-c", "import getpass; print(getpass.getuser())"], home, f"who-{role}")
            names[role] = who["stdout"].strip()

        # the last student also tampers with the exchange by hand, in the name of another
        # account: the first student (as root), else root itself (one account only)
        attacker = "student2" if "student2" in students else "student1"
        victim = names["student1"] if attacker == "student2" else "root"
        _tamper(students[attacker], exchange / "anime-genre" / "inbound", victim, names[attacker],
                work[attacker])

        logs = {}
        for step in (["collect", A], ["autograde", A], ["generate_feedback", A], ["release_feedback", A],
                     ["export"]):
            r = _ok(ins.run(["nbgrader", *step], course, step[0]), step[0])
            logs[step[0]] = r["stdout"] + r["stderr"]
        peeks = {}
        for role, ident in students.items():
            home = ident.base / "work"
            _ok(ident.run(["nbgrader", "fetch_feedback", A], home, f"feedback-{role}"), "fetch_feedback")
            if ident is not ins:       # what a student can see of the course and of the exchange
                probe = ("import os, sys\nfor p in sys.argv[1:]:\n    try:\n        os.listdir(p); print(p, 'open')\n"
                         "    except OSError as e:\n        print(p, type(e).__name__)\n")
                peeks[role] = ident.run([PY, "-c", probe, course, exchange / "anime-genre" / "inbound"],
                                        home, f"peek-{role}")["stdout"]
        yield {"course": course, "students": students, "names": names, "attacker": attacker, "victim": victim, "work": work, "peeks": peeks,
               "logs": logs}
    finally:
        for ident in people.values():
            ident.remove()


def test_every_student_gets_the_grade_of_the_grade_command(term):
    with open(term["course"] / "grades.csv", newline="") as f:
        rows = {r["student_id"]: r for r in csv.DictReader(f) if r["assignment"] == A}
    assert set(rows) == set(term["names"].values()), rows
    for role, name in term["names"].items():
        path = term["course"] / "submitted" / name / A / f"{A}.ipynb"
        assert path.is_file(), f"collect did not bring {role}'s submission"
        want = grade_nb(term["work"][role], f"{A}.ipynb").total
        assert float(rows[name]["raw_score"]) == pytest.approx(want), role
    if "student2" in term["names"]:
        scores = {r: float(rows[n]["raw_score"]) for r, n in term["names"].items()}
        assert scores["student1"] == 12 and 0 < scores["student2"] < 12, scores


def test_students_fetch_their_own_feedback(term):
    for role, ident in term["students"].items():
        found = sorted((ident.base / "work" / A / "feedback").rglob(f"{A}.html"))
        assert len(found) == 1, (role, found)
        html = found[0].read_text()
        assert "[l4_sigmoid] PASSED" in html
        assert "HIDDEN TESTS" not in html and "hidden=True" not in html


def test_untouched_submissions_give_no_checksum_warning(term):
    log = term["logs"]["autograde"]
    assert "Autograding" in log or "autograd" in log.lower(), log[-2000:]
    assert not [line for line in log.splitlines() if "has changed" in line], log[-3000:]


def test_the_course_folder_is_private(term):
    course = term["course"]
    assert (course.stat().st_mode & 0o777) == 0o700
    for role, seen in term["peeks"].items():
        lines = dict(line.rsplit(" ", 1) for line in seen.splitlines())
        assert lines == {str(course): "PermissionError",
                         str(course.parent.parent / "exchange" / "anime-genre" / "inbound"): "PermissionError"}, \
            (role, seen)


def test_a_student_cannot_forge_a_submission_through_the_exchange(term):
    """Folders a student made by hand in inbound/: one in another account's name (refused: the
    student owns it; student1 keeps the grade of their own work, checked above), one not made
    by nbgrader submit, one of their own dated 2000 with links into the course folder
    (collected, dated by the file system, links moved out before anything opens them)."""
    course, names = term["course"], term["names"]
    me = names[term["attacker"]]
    collect = term["logs"]["collect"]
    assert f"claims to be {term['victim']}'s submission but {me} made it" in collect, collect
    assert "nosecret: not collected: not made by `nbgrader submit`" in collect, collect
    assert "sticky" not in collect, collect
    stamp = (course / "submitted" / me / A / "timestamp.txt").read_text()
    assert not stamp.startswith("2000"), stamp
    for tree in ("submitted", "autograded", "feedback"):
        for p in (course / tree).rglob("*"):
            if p.is_file() and not p.is_symlink():
                data = p.read_bytes()
                assert b"SQLite format 3" not in data and b"BEGIN SOLUTION" not in data, p
    rejected = course / "rejected" / me / A / "REJECTED.txt"
    assert "leak.dat" in rejected.read_text() and "source.txt" in rejected.read_text()
