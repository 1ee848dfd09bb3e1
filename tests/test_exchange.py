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

        for step in (["collect", A], ["autograde", A], ["generate_feedback", A], ["release_feedback", A],
                     ["export"]):
            r = _ok(ins.run(["nbgrader", *step], course, step[0]), step[0])
            if step[0] == "autograde":
                autograde_log = r["stdout"] + r["stderr"]
        peeks = {}
        for role, ident in students.items():
            home = ident.base / "work"
            _ok(ident.run(["nbgrader", "fetch_feedback", A], home, f"feedback-{role}"), "fetch_feedback")
            if ident is not ins:       # what a student can see of the course and of the exchange
                probe = ("import os, sys\nfor p in sys.argv[1:]:\n    try:\n        os.listdir(p); print(p, 'open')\n"
                         "    except OSError as e:\n        print(p, type(e).__name__)\n")
                peeks[role] = ident.run([PY, "-c", probe, course, exchange / "anime-genre" / "inbound"],
                                        home, f"peek-{role}")["stdout"]
        yield {"course": course, "students": students, "names": names, "work": work, "peeks": peeks,
               "autograde_log": autograde_log}
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
    log = term["autograde_log"]
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
