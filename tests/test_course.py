"""The nbgrader course, with real nbgrader commands in a temporary course folder:
generate_assignment gives back the lessons, autograde gives the points of
`python -m autograder grade`, edited check cells are restored, feedback hides the hidden
tests, export writes the grades. Plus: reference solution full marks, lessons as shipped 0."""
from __future__ import annotations

import csv
import json
import os
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

from autograder.course import build_course, compare_to_lesson, lesson_paths
from autograder.grade import grade_nb

from grader_cases import WRONG_AXIS, solved, submission

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
LESSONS = lesson_paths()
L4 = "04_sigmoid_vs_softmax"

WRONG_SIGMOID = "def sigmoid(x):\n    return 0 * np.asarray(x, dtype=float)\n"
NAIVE_WARNING = "def sigmoid(x):\n    return 1 / (1 + np.exp(-np.asarray(x, dtype=float)))\n"


def _nbgrader(course: Path, *args) -> subprocess.CompletedProcess:
    env = dict(os.environ, PATH=f"{BIN}:{os.environ.get('PATH', '')}")
    p = subprocess.run([str(BIN / "nbgrader"), *args], cwd=course, env=env,
                       capture_output=True, text=True, timeout=600)
    assert p.returncode == 0, f"nbgrader {' '.join(args)} failed:\n{p.stdout}\n{p.stderr[-3000:]}"
    return p


def _submissions() -> dict:
    lesson = nbformat.read(str(ROOT / "lessons" / f"{L4}.ipynb"), as_version=4)
    edited = submission(4, {"l4_sigmoid": WRONG_SIGMOID})
    for cell in edited.cells:   # claim the points in the check cell itself
        if cell.metadata.get("nbgrader", {}).get("grade_id") == "l4_sigmoid_check":
            cell.source = "2.0"
    return {
        "alice": solved(4),                                                     # reference
        "bob": lesson,                                                          # stubs
        "carol": submission(4, {"l4_softmax": WRONG_AXIS}),                     # partly wrong
        "dave": edited,                                                         # edits a check cell
        "erin": submission(4, {"l4_sigmoid": "np.allclose = lambda *a, **k: True\n" + WRONG_SIGMOID}),
        "frank": submission(4, {"l4_sigmoid": NAIVE_WARNING}),                  # warns on stderr
    }


@pytest.fixture(scope="module")
def course(tmp_path_factory):
    """A course with every lesson generated and lesson 4 submitted by six students,
    autograded, with feedback and exported grades."""
    import shutil
    lessons = tmp_path_factory.mktemp("lessons")   # a snapshot: lessons may change meanwhile
    for path in LESSONS:
        shutil.copy(path, lessons / path.name)
    course = build_course(tmp_path_factory.mktemp("course"), lessons_dir=lessons)
    assert not [p for p in (course / "source").rglob("*") if p.is_file() and p.suffix != ".ipynb"], \
        "only notebooks may be in source/ (nbgrader releases every other file)"
    for path in LESSONS:
        _nbgrader(course, "generate_assignment", path.stem, "--force")
    subs = _submissions()
    expected = {}
    for student, nb in subs.items():
        folder = course / "submitted" / student / L4
        folder.mkdir(parents=True)
        nbformat.write(nb, str(folder / f"{L4}.ipynb"))
        p = subprocess.run([sys.executable, "-m", "autograder", "grade", str(folder / f"{L4}.ipynb"),
                            "--json", "--no-execute"], capture_output=True, text=True, cwd=ROOT, timeout=300)
        assert p.returncode == 0, p.stderr
        expected[student] = json.loads(p.stdout)
    _nbgrader(course, "db", "student", "add", "alice", "--last-name", "A", "--first-name", "Alice")
    autograde = _nbgrader(course, "autograde", L4, "--create")
    feedback = _nbgrader(course, "generate_feedback", L4)
    # the course's preprocessors accept the configuration nbconvert gives every one of them
    assert "not recognized" not in feedback.stdout + feedback.stderr, feedback.stderr[-2000:]
    _nbgrader(course, "export")
    return course, expected, lessons, autograde.stdout + autograde.stderr


@pytest.mark.parametrize("path", LESSONS, ids=[p.stem for p in LESSONS])
def test_generate_assignment_gives_back_the_lesson(course, path):
    course_dir, _, lessons, _ = course
    released = json.loads((course_dir / "release" / path.stem / path.name).read_text())
    lesson = json.loads((lessons / path.name).read_text())
    assert compare_to_lesson(released, lesson) == []


def test_autograde_gives_the_points_of_the_grade_command(course):
    from nbgrader.api import Gradebook
    course_dir, expected, _, _ = course
    with Gradebook(f"sqlite:///{course_dir / 'gradebook.db'}") as gb:
        for student, report in expected.items():
            nb = gb.find_submission_notebook(L4, L4, student)
            got = {g.name[: -len("_check")]: g.score for g in nb.grades}
            want = {e["id"]: e["points"] for e in report["exercises"]}
            assert got == pytest.approx(want), student
    totals = {s: r["total"] for s, r in expected.items()}
    assert totals["alice"] == 12 and totals["frank"] == 12          # a warning does not cost points
    assert totals["bob"] == 0
    by_id = {s: {e["id"]: e["points"] for e in r["exercises"]} for s, r in expected.items()}
    assert 0 < by_id["carol"]["l4_softmax"] < 2 and totals["carol"] < 12
    assert by_id["dave"]["l4_sigmoid"] == 0 and by_id["erin"]["l4_sigmoid"] == 0


def test_edited_check_cells_are_restored(course):
    course_dir, _, _, _ = course
    nb = nbformat.read(str(course_dir / "autograded" / "dave" / L4 / f"{L4}.ipynb"), as_version=4)
    cell = [c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade_id") == "l4_sigmoid_check"][0]
    assert cell.source.startswith('check("l4_sigmoid", sigmoid)')
    assert "FAILED" in "".join(o.get("text", "") for o in cell.outputs)


def test_only_edited_check_cells_are_reported(course):
    """Untouched submissions give no "checksum has changed" warning (the gradebook keeps the
    check cells with their hidden tests); dave's edited check cell is reported, once."""
    log = course[3]
    changed = [line for line in log.splitlines() if "'checksum'" in line and "has changed" in line]
    assert len(changed) == 1 and "l4_sigmoid_check" in changed[0], changed


def test_build_course_keeps_the_instructors_limits_and_can_be_moved(tmp_path):
    from autograder.classroom import class_limits, load_course_config
    from autograder.course import LIMITS_FILE
    course = build_course(tmp_path / "course")
    limits = course / LIMITS_FILE
    assert (course.stat().st_mode & 0o777) == 0o700            # private by default
    assert class_limits(load_course_config(course), {})["cell_timeout"] == 30
    limits.write_text(limits.read_text().replace("c.GradeClass.cell_timeout = 30", "c.GradeClass.cell_timeout = 7")
                      + "c.GradeClass.workers = 3\n")
    build_course(course)                                        # a rebuild after the lessons changed
    assert "c.GradeClass.workers = 3" in limits.read_text()
    moved = tmp_path / "moved"
    course.rename(moved)
    cfg = load_course_config(moved)
    assert class_limits(cfg, {})["cell_timeout"] == 7 and class_limits(cfg, {})["workers"] == 3
    env = dict(os.environ, PATH=f"{BIN}:{os.environ.get('PATH', '')}")
    p = subprocess.run([sys.executable, "-c", "from nbgrader.coursedir import CourseDirectory;"
                        "from traitlets.config.loader import PyFileConfigLoader as L;"
                        "c = L('nbgrader_config.py', '.').load_config();"
                        "print(CourseDirectory(config=c).root); print(c.ClassExecute.timeout)"],
                       cwd=moved, env=env, capture_output=True, text=True, timeout=300)
    assert p.returncode == 0, p.stderr
    assert p.stdout.split() == [str(moved), "60"]


def test_feedback_does_not_reveal_hidden_tests(course):
    course_dir, _, _, _ = course
    for student in ("alice", "carol"):
        import html as html_lib
        import re
        raw = (course_dir / "feedback" / student / L4 / f"{L4}.html").read_text()
        html = html_lib.unescape(re.sub(r"<[^>]+>", "", raw))   # text without the highlighting
        assert 'check("l4_sigmoid", sigmoid)' in html          # the visible check line is there
        assert "[l4_sigmoid] PASSED" in html                    # and the trusted result
        for secret in ("HIDDEN TESTS", "hidden=True", "ref.sigmoid", "ref_losses"):
            assert secret not in html, f"{student}'s feedback shows {secret!r}"


def test_export_writes_the_grades(course):
    course_dir, expected, _, _ = course
    with open(course_dir / "grades.csv", newline="") as f:
        rows = {r["student_id"]: r for r in csv.DictReader(f) if r["assignment"] == L4}
    for student, report in expected.items():
        assert float(rows[student]["raw_score"]) == pytest.approx(report["total"]), student
        assert float(rows[student]["max_score"]) == report["max_total"]


@pytest.mark.parametrize("path", LESSONS, ids=[p.stem for p in LESSONS])
def test_reference_full_marks_and_shipped_lesson_zero(path):
    number = int(path.name[:2])
    full = grade_nb(solved(number), path.name)
    assert full.total == full.max_total > 0, full.table()
    shipped = grade_nb(nbformat.read(str(path), as_version=4), path.name)
    assert shipped.total == 0, shipped.table()


def test_a_notebook_is_graded_as_the_lesson_its_file_name_says():
    """A solved lesson 5 handed in as lesson 4 is lesson 4 with nothing done (its grade_ids are
    the student's to edit; the file name is what was asked for)."""
    report = grade_nb(solved(5), f"{L4}.ipynb")
    assert report.lesson == 4 and report.total == 0 and report.as_dict()["lesson"] == 4, report.table()


def test_a_submission_that_became_invalid_keeps_no_old_points(course):
    """Plain `nbgrader autograde`: graded 12, then the file is replaced by one that is not a
    notebook and graded again: the rejected submission gets 0, not the 12 of before."""
    from nbgrader.api import Gradebook
    course_dir = course[0]
    folder = course_dir / "submitted" / "stale" / L4
    folder.mkdir(parents=True)
    nbformat.write(solved(4), str(folder / f"{L4}.ipynb"))
    _nbgrader(course_dir, "autograde", L4, "--student", "stale", "--create")

    def score():
        with Gradebook(f"sqlite:///{course_dir / 'gradebook.db'}") as gb:
            return gb.find_submission(L4, "stale").score

    assert score() == 12
    (folder / f"{L4}.ipynb").write_text('{"not": "a notebook"')
    p = subprocess.run([str(BIN / "nbgrader"), "autograde", L4, "--student", "stale", "--force"], cwd=course_dir,
                       env=dict(os.environ, PATH=f"{BIN}:{os.environ.get('PATH', '')}"),
                       capture_output=True, text=True, timeout=600)
    assert "rejected" in p.stdout + p.stderr
    assert score() == 0, (p.stdout + p.stderr)[-3000:]
