"""grade-class: one class run with ordinary and hostile submissions of lesson 4.

A real course is built (build-course, nbgrader generate_assignment), sixteen submissions are
written (tests/hostile/submissions.py) and graded together by ``grade_class`` with small
limits. Then: every hostile submission has its expected recorded result, the ordinary ones
have exactly the grade ``python -m autograder grade`` gives them alone, the gradebook works
with ``nbgrader export`` and ``generate_feedback``, and the machine is left clean.
"""
from __future__ import annotations

import csv
import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests" / "hostile"))
import submissions as S  # noqa: E402

from autograder import sandbox  # noqa: E402

A = S.ASSIGNMENT
PY = sys.executable
ENV = {**os.environ, "PATH": f"{Path(PY).parent}:{os.environ.get('PATH', '')}"}


def _ours() -> set:
    """Processes the grading could have left: sandbox uids and descendants of this test."""
    me, found = os.getpid(), set()
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        pid = int(name)
        try:
            uid = os.stat(f"/proc/{pid}").st_uid
            stat = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if stat[0] == "Z":
            continue
        if uid >= sandbox.UID_BASE:
            found.add(pid)
            continue
        ppid = int(stat[1])
        for _ in range(50):                # walk up: a descendant of this test?
            if ppid in (me, 0, 1):
                break
            try:
                ppid = int(open(f"/proc/{ppid}/stat").read().rsplit(")", 1)[1].split()[1])
            except OSError:
                break
        if ppid == me:
            found.add(pid)
    return found


def _tmp_entries() -> set:
    """Temporary folders of class runs. The judge's worker folders (``autograder-worker-*``)
    count only when owned by a sandbox uid: in a class run the sandbox gives each one to its
    worker's uid, while other runs of the judge on this machine (other tests) leave them
    root's."""
    tmp = tempfile.gettempdir()
    out = set()
    for n in os.listdir(tmp):
        if n.startswith(("ag-", "autograder-run-")):
            out.add(n)
        elif n.startswith("autograder-worker-"):
            try:
                if os.stat(os.path.join(tmp, n)).st_uid >= sandbox.UID_BASE:
                    out.add(n)
            except OSError:
                pass
    return out


def _cgroups() -> set:
    root = sandbox.CGROUP_PIDS
    return {n for n in os.listdir(root) if n.startswith("autograder-")} if os.path.isdir(root) else set()


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    base = tmp_path_factory.mktemp("gradeclass")
    course = base / "course"
    subprocess.run([PY, "-m", "autograder", "build-course", str(course)], check=True, env=ENV, cwd=ROOT)
    subprocess.run(["nbgrader", "generate_assignment", A, "--force"], check=True, env=ENV, cwd=course,
                   capture_output=True)
    canary_dir = Path(tempfile.mkdtemp(prefix="canary-gradeclass-"))
    os.chmod(canary_dir, 0o755)
    canary = canary_dir / "canary.txt"
    canary.write_text("still here\n")
    os.chmod(canary, 0o644)
    targets = {"course": course, "repo": ROOT, "canary": canary, "canary_dir": canary_dir}
    release, source = S.load(course)
    for student, kind in S.ORDINARY.items():
        S.write(course, student, S.build(kind, release, source, targets))
    for kind in S.HOSTILE:
        S.write(course, "h_" + kind, S.build(kind, release, source, targets))
    before = {"procs": _ours(), "tmp": _tmp_entries(), "cgroups": _cgroups()}

    from autograder.classroom import grade_class
    summary = grade_class(course, A, workers=2, cell_timeout=10, notebook_timeout=60, memory_mb=512,
                          progress_bar=False)
    after = {"procs": _ours(), "tmp": _tmp_entries(), "cgroups": _cgroups()}
    yield {"course": course, "summary": summary, "by": {o.student: o for o in summary.outcomes},
           "before": before, "after": after, "canary": canary}
    shutil.rmtree(canary_dir, ignore_errors=True)


def _grades(course: Path, student: str) -> dict:
    from nbgrader.api import Gradebook
    with Gradebook(f"sqlite:///{course}/gradebook.db", "anime-genre") as gb:
        nb = gb.find_submission_notebook(A, A, student)
        return {g.name: float(g.score) for g in nb.grades}


def _alone(path: Path) -> float:
    out = subprocess.run([PY, "-m", "autograder", "grade", str(path), "--json", "--no-execute"],
                         capture_output=True, text=True, env=ENV, cwd=ROOT, check=True)
    return json.loads(out.stdout)["total"]


def test_every_submission_has_a_recorded_result(run):
    by = run["by"]
    assert set(by) == set(S.ORDINARY) | {"h_" + k for k in S.HOSTILE}
    for o in by.values():
        assert o.score is not None, o            # in the gradebook, even when not gradable
    record = json.loads((run["course"] / "grade-class" / f"{A}.json").read_text())
    assert set(record) == set(by)


def test_ordinary_submissions_get_their_grades_alone(run):
    by = run["by"]
    for student in S.ORDINARY:
        o = by[student]
        assert o.status == "graded", o
        path = run["course"] / "submitted" / student / A / f"{A}.ipynb"
        assert o.score == _alone(path), student
    assert by["alice"].score == by["alice"].max_score == 12
    assert by["bob"].score == 0
    assert by["carol"].score == 4


def test_timeouts(run):
    by, course = run["by"], run["course"]
    loop = by["h_infinite_loop"]
    assert loop.status == "timeout" and "timeout in cell 4 after 10 s" in loop.reason
    assert _grades(course, "h_infinite_loop")["l4_sigmoid_check"] == 0
    sleep = by["h_sleep_forever"]
    assert sleep.status == "timeout" and "timeout in cell 7 after 10 s" in sleep.reason
    g = _grades(course, "h_sleep_forever")
    assert g["l4_log_sigmoid_check"] == 0 and g["l4_sigmoid_check"] == 2


def test_resource_limits(run):
    by, course = run["by"], run["course"]
    mem = by["h_memory_bomb"]
    assert "memory limit 512 MB exceeded in cell 9" in mem.reason, mem
    assert _grades(course, "h_memory_bomb")["l4_softmax_check"] == 0
    fork = by["h_fork_bomb"]
    assert "process limit reached in cell 12" in fork.reason, fork
    g = _grades(course, "h_fork_bomb")
    assert g["l4_softmax_cross_entropy_check"] == 0 and g["l4_softmax_check"] == 2
    big = by["h_print_100mb"]
    # 100 MB of prints: dropped beyond the cap (or the kernel's own buffer runs out of memory
    # first, which it survives); either way the grade and the stored notebook are unaffected
    assert big.status == "graded" and big.score == 12, big
    autograded = course / "autograded" / "h_print_100mb" / A / f"{A}.ipynb"
    assert autograded.stat().st_size < 5 * 2**20


def test_dying_kernels(run):
    by, course = run["by"], run["course"]
    ex = by["h_os_exit"]
    assert ex.status == "crashed" and "exited with code 3" in ex.reason, ex
    kill = by["h_kill_kernel"]
    assert kill.status == "crashed" and "SIGKILL" in kill.reason, kill
    for student in ("h_os_exit", "h_kill_kernel"):
        g = _grades(course, student)
        assert g["l4_bce_with_logits_check"] == 0 and g["l4_sigmoid_check"] == 2, (student, g)


def test_cheating_does_not_pay(run):
    by, course = run["by"], run["course"]
    assert by["h_monkeypatch"].score < 12
    assert _grades(course, "h_monkeypatch")["l4_sigmoid_check"] == 0
    snoop = by["h_snoop"]
    assert snoop.score == 12, snoop        # a leak would have made sigmoid wrong
    nb = json.loads((course / "autograded" / "h_snoop" / A / f"{A}.ipynb").read_text())
    printed = "".join("".join(o.get("text", "")) for o in nb["cells"][S.cell_index(nb, "l4_sigmoid")]["outputs"])
    assert printed.startswith("NOTHING LEAKED []"), printed


def test_malformed_notebooks(run):
    by = run["by"]
    expect = {"h_not_json": "not valid JSON", "h_wrong_nbformat": "nbformat 3",
              "h_missing_metadata": "metadata"}
    for student, words in expect.items():
        o = by[student]
        assert o.status == "invalid" and words in o.reason and o.score == 0, o


def test_course_and_machine_are_left_clean(run):
    course = run["course"]
    assert run["canary"].read_text() == "still here\n"
    assert (course / "source" / A / f"{A}.ipynb").exists()
    assert (course / "submitted" / "alice" / A / f"{A}.ipynb").exists()
    assert (course / "nbgrader_config.py").exists()
    assert run["after"]["procs"] - run["before"]["procs"] == set()
    assert run["after"]["tmp"] - run["before"]["tmp"] == set()
    assert run["after"]["cgroups"] - run["before"]["cgroups"] == set()


def test_export_feedback_and_reruns(run):
    course = run["course"]
    subprocess.run(["nbgrader", "export"], check=True, env=ENV, cwd=course, capture_output=True)
    rows = {r["student_id"]: r for r in csv.DictReader(open(course / "grades.csv"))}
    assert float(rows["alice"]["raw_score"]) == 12 and float(rows["carol"]["raw_score"]) == 4
    assert float(rows["h_not_json"]["raw_score"]) == 0
    subprocess.run(["nbgrader", "generate_feedback", A, "--student", "carol"], check=True, env=ENV,
                   cwd=course, capture_output=True)
    assert (course / "feedback" / "carol" / A / f"{A}.html").exists()

    from autograder.classroom import grade_class
    again = grade_class(course, A, workers=2, cell_timeout=10, memory_mb=512, progress_bar=False)
    assert again.outcomes == [] and len(again.skipped) == len(run["by"])
    one = grade_class(course, A, student="carol", cell_timeout=10, memory_mb=512, progress_bar=False)
    assert [(o.student, o.score) for o in one.outcomes] == [("carol", 4)]


def test_cli_rejects_unknown_assignment(run, capsys):
    from autograder.__main__ import main
    assert main(["grade-class", str(run["course"]), "no_such_lesson", "--no-progress"]) == 2
    assert "no source/no_such_lesson/" in capsys.readouterr().err
