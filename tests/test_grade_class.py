"""grade-class: one class run with ordinary and hostile submissions of lesson 4.

A real course (build-course, nbgrader generate_assignment; built once per session by
``tests/hostile/harness.py``) gets ordinary submissions and the hostile ones of
``tests/hostile/submissions.py`` (``HOSTILE``: loops, sleeps, memory and fork bombs, dying
kernels, 100 MB of prints, deletions, snooping, monkeypatching, malformed notebooks), and one
``python -m autograder grade-class`` run grades them together with small limits, as the test's
own identity, under ``tests/hostile/runas.py`` (which lists every process that outlives the
run). Then: every hostile submission has its expected recorded result, the ordinary ones have
exactly the grade ``python -m autograder grade`` gives them alone, the gradebook works with
``nbgrader export`` and ``generate_feedback``, re-runs skip what is graded, and the machine is
left clean (no process left from the run's sandboxes, no ``ag-*`` / ``autograder-run-*`` /
``autograder-runtime-*`` folder in the run's temporary folder, no ``autograder-*`` cgroup).
Everything happens in pytest's temporary folders. (The attack classes of issue 15, on every
grading path and as root and as an ordinary user, are in ``tests/test_hostile.py``.)
"""
from __future__ import annotations

import csv
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests" / "hostile"))
import submissions as S  # noqa: E402
from harness import PY, Identity, cgroups, copy_course, course_template, left_cgroups, tmp_entries  # noqa: E402,F401

A = S.ASSIGNMENT
ENV = {**os.environ, "PATH": f"{Path(PY).parent}:{os.environ.get('PATH', '')}"}
# wall-clock limits are safety nets: an ordinary cell never comes near 30 s, however loaded the
# machine; the hostile ones below run into them on purpose
CELL_S = 30
LIMITS = ["--workers", "2", "--timeout-cell", str(CELL_S), "--timeout-notebook", "300", "--memory-mb", "512"]


@pytest.fixture(scope="module")
def run(course_template, tmp_path_factory):
    base = tmp_path_factory.mktemp("gradeclass")
    me = Identity("root" if os.geteuid() == 0 else "user", base)     # the test's own identity
    for d in ("home", "tmp"):
        (base / d).mkdir()
    course = base / "course"
    copy_course(course_template, course)
    canary_dir = base / "canary"
    canary_dir.mkdir()
    canary = canary_dir / "canary.txt"
    canary.write_text("still here\n")
    targets = {"course": course, "repo": ROOT, "canary": canary, "canary_dir": canary_dir}
    release, source = S.load(course)
    for student, kind in S.ORDINARY.items():
        S.write(course, student, S.build(kind, release, source, targets))
    for kind in S.HOSTILE:
        S.write(course, "h_" + kind, S.build(kind, release, source, targets))
    before = {"cgroups": cgroups(), "tmp": tmp_entries(str(base / "tmp"))}
    report = me.run([PY, "-m", "autograder", "grade-class", course, A, "--json", "--no-progress", *LIMITS],
                    ROOT, "grade-class")
    after = {"cgroups": left_cgroups(before["cgroups"], [str(base / "tmp")], {me.uid}),
             "tmp": tmp_entries(str(base / "tmp")) - before["tmp"]}
    out = json.loads(report["stdout"]) if report["returncode"] == 0 else {"outcomes": []}
    yield {"course": course, "report": report, "summary": out, "by": {o["student"]: o for o in out["outcomes"]},
           "after": after, "canary": canary, "base": base, "me": me}


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
    assert run["report"]["returncode"] == 0, run["report"]["stderr"][-3000:]
    by = run["by"]
    assert set(by) == set(S.ORDINARY) | {"h_" + k for k in S.HOSTILE}
    for o in by.values():
        assert o["score"] is not None, o            # in the gradebook, even when not gradable
        assert o["isolation"] == "sandboxed", o
    record = json.loads((run["course"] / "grade-class" / f"{A}.json").read_text())
    assert set(record) == set(by)


def test_ordinary_submissions_get_their_grades_alone(run):
    by = run["by"]
    for student in S.ORDINARY:
        o = by[student]
        assert o["status"] == "graded", o
        path = run["course"] / "submitted" / student / A / f"{A}.ipynb"
        assert o["score"] == _alone(path), student
    assert by["alice"]["score"] == by["alice"]["max_score"] == 12
    assert by["bob"]["score"] == 0
    assert by["carol"]["score"] == 4


def test_timeouts(run):
    by, course = run["by"], run["course"]
    loop = by["h_infinite_loop"]
    assert loop["status"] == "timeout" and f"timeout in cell 4 after {CELL_S} s" in loop["reason"], loop
    assert _grades(course, "h_infinite_loop")["l4_sigmoid_check"] == 0
    sleep = by["h_sleep_forever"]
    assert sleep["status"] == "timeout" and f"timeout in cell 7 after {CELL_S} s" in sleep["reason"], sleep
    g = _grades(course, "h_sleep_forever")
    assert g["l4_log_sigmoid_check"] == 0 and g["l4_sigmoid_check"] == 2


def test_resource_limits(run):
    by, course = run["by"], run["course"]
    mem = by["h_memory_bomb"]
    assert "memory limit" in mem["reason"] and "cell 9" in mem["reason"], mem
    assert _grades(course, "h_memory_bomb")["l4_softmax_check"] == 0
    fork = by["h_fork_bomb"]
    assert "process limit reached in cell 12" in fork["reason"], fork
    g = _grades(course, "h_fork_bomb")
    assert g["l4_softmax_cross_entropy_check"] == 0 and g["l4_softmax_check"] == 2
    big = by["h_print_100mb"]
    # 100 MB of prints: dropped beyond the cap (or the kernel's own buffer runs out of memory
    # first, which it survives); either way the grade and the stored notebook are unaffected.
    # On a loaded machine printing it may outlast the cell timeout: then the record says so.
    assert big["score"] == 12, big
    assert big["status"] == "graded" or (big["status"] == "timeout" and "cell 3" in big["reason"]), big
    autograded = course / "autograded" / "h_print_100mb" / A / f"{A}.ipynb"
    assert autograded.stat().st_size < 5 * 2**20


def test_dying_kernels(run):
    by, course = run["by"], run["course"]
    ex = by["h_os_exit"]
    assert ex["status"] == "crashed" and "exited with code 3" in ex["reason"], ex
    kill = by["h_kill_kernel"]
    # bubblewrap reports its child's death by SIGKILL as exit status 128 + 9
    assert kill["status"] == "crashed" and ("SIGKILL" in kill["reason"] or "137" in kill["reason"]), kill
    for student in ("h_os_exit", "h_kill_kernel"):
        g = _grades(course, student)
        assert g["l4_bce_with_logits_check"] == 0 and g["l4_sigmoid_check"] == 2, (student, g)


def test_cheating_does_not_pay(run):
    by, course = run["by"], run["course"]
    assert by["h_monkeypatch"]["score"] < 12
    assert _grades(course, "h_monkeypatch")["l4_sigmoid_check"] == 0
    snoop = by["h_snoop"]
    assert snoop["score"] == 12, snoop        # a leak would have made sigmoid wrong
    nb = json.loads((course / "autograded" / "h_snoop" / A / f"{A}.ipynb").read_text())
    printed = "".join("".join(o.get("text", "")) for o in nb["cells"][S.cell_index(nb, "l4_sigmoid")]["outputs"])
    assert printed.startswith("NOTHING LEAKED []"), printed


def test_malformed_notebooks(run):
    by = run["by"]
    expect = {"h_not_json": "not valid JSON", "h_wrong_nbformat": "nbformat 3",
              "h_missing_metadata": "metadata"}
    for student, words in expect.items():
        o = by[student]
        assert o["status"] == "invalid" and words in o["reason"] and o["score"] == 0, o


def test_course_and_machine_are_left_clean(run):
    course = run["course"]
    assert run["canary"].read_text() == "still here\n"
    assert (course / "source" / A / f"{A}.ipynb").exists()
    assert (course / "submitted" / "alice" / A / f"{A}.ipynb").exists()
    assert (course / "nbgrader_config.py").exists()
    # every process of the run's sandboxes ended with it (runas.py is the run's subreaper: an
    # orphan, a double-forked daemon, stays its descendant and is listed)
    assert run["report"]["outlived"] == [], run["report"]["outlived"]
    assert run["after"]["tmp"] == set(), run["after"]["tmp"]
    assert run["after"]["cgroups"] == [], run["after"]["cgroups"]


def test_export_feedback_and_reruns(run):
    course = run["course"]
    subprocess.run(["nbgrader", "export"], check=True, env=ENV, cwd=course, capture_output=True)
    rows = {r["student_id"]: r for r in csv.DictReader(open(course / "grades.csv"))}
    assert float(rows["alice"]["raw_score"]) == 12 and float(rows["carol"]["raw_score"]) == 4
    assert float(rows["h_not_json"]["raw_score"]) == 0
    subprocess.run(["nbgrader", "generate_feedback", A, "--student", "carol"], check=True, env=ENV,
                   cwd=course, capture_output=True)
    assert (course / "feedback" / "carol" / A / f"{A}.html").exists()

    tmp = str(run["base"] / "tmp")
    again = run["me"].run([PY, "-m", "autograder", "grade-class", course, A, "--json", "--no-progress", *LIMITS],
                          ROOT, "again")
    summary = json.loads(again["stdout"])
    assert summary["outcomes"] == [] and len(summary["skipped"]) == len(run["by"])
    one = run["me"].run([PY, "-m", "autograder", "grade-class", course, A, "--json", "--no-progress",
                         "--student", "carol", *LIMITS], ROOT, "carol")
    assert [(o["student"], o["score"]) for o in json.loads(one["stdout"])["outcomes"]] == [("carol", 4)]
    assert again["outlived"] == one["outlived"] == [] and tmp_entries(tmp) == set()


def test_cli_rejects_unknown_assignment(run, capsys):
    from autograder.__main__ import main
    assert main(["grade-class", str(run["course"]), "no_such_lesson", "--no-progress"]) == 2
    assert "no source/no_such_lesson/" in capsys.readouterr().err


def test_a_dying_grading_process_is_retried_once_then_zeroed(run, tmp_path, monkeypatch):
    """The trusted grading process itself may die (e.g. a C library's assertion): that
    submission is graded once more in a new process, and the record says so; a second death
    is recorded as crashed, with 0 in the gradebook (export shows it) and the reason."""
    from autograder import classroom
    course = tmp_path / "course"
    copy_course(run["course"], course)
    marks = tmp_path / "attempts"
    marks.mkdir()

    def flaky(course_dir, assignment, student, limits, run_dir):
        n = len(list(marks.glob(f"{student}.*")))
        (marks / f"{student}.{n}").touch()
        if student == "carol" or (student == "bob" and n == 0):
            import resource
            resource.setrlimit(resource.RLIMIT_CORE, (0, 0))     # no core file anywhere
            os.abort()
        return classroom.Outcome(student, "graded", "", 3.0, 12.0)

    monkeypatch.setattr(classroom, "grade_submission", flaky)    # the forked workers run it
    limits = {"notebook_timeout": 60.0}
    outcomes, _ = classroom._run_pool(course, A, ["alice", "bob", "carol"], limits, str(tmp_path),
                                      "autograder-test-retry-", 2, lambda o: None)
    by = {o.student: o for o in outcomes}
    assert sorted(by) == ["alice", "bob", "carol"] and len(outcomes) == 3
    assert sorted(p.name for p in marks.iterdir()) == ["alice.0", "bob.0", "bob.1", "carol.0", "carol.1"]
    assert by["alice"].reason == "" and by["alice"].events == []
    bob = by["bob"]
    assert bob.status == "graded" and bob.score == 3.0, bob
    assert "first one died (exit code -6)" in bob.reason and bob.events[0]["kind"] == "retried", bob
    carol = by["carol"]
    assert carol.status == "crashed" and carol.score is None, carol
    assert "grading process died (exit code -6)" in carol.reason and "first one died" in carol.reason

    before = _grades(course, "carol")
    assert sum(before.values()) == 4                      # what the class run gave her
    classroom._zero_crashed(course, A, outcomes)
    assert carol.score == 0 and carol.max_score == 12
    assert set(_grades(course, "carol").values()) == {0.0}
    assert _grades(course, "alice") == _grades(run["course"], "alice")   # nobody else touched
    assert _grades(run["course"], "carol") == before                     # nor the original course


def test_a_regraded_submission_that_became_invalid_keeps_no_old_points(run, tmp_path):
    """carol was graded 4; her folder now holds a file that is not a notebook: regrading gives
    0, not the 4 left in the gradebook from before (a helper found the old points kept)."""
    from autograder import classroom
    course = tmp_path / "course"
    copy_course(run["course"], course)
    assert sum(_grades(course, "carol").values()) == 4
    (course / "submitted" / "carol" / A / f"{A}.ipynb").write_text('{"not": "a notebook"')
    out = classroom.grade_submission(course, A, "carol", {}, str(tmp_path))
    assert out.status == "invalid" and out.score == 0, out
    assert set(_grades(course, "carol").values()) == {0.0}


def test_the_judge_keeps_the_course_settings_on_every_path(tmp_path):
    """grade-class's cell and memory limits are the kernel's; the judge, which grades come from,
    keeps the course's c.TrustedGrades settings, as plain `nbgrader autograde` does, and those
    default to `grade`'s own: a slow-but-correct function scores the same on every path.
    Only --timeout-call changes the judge's per-call budget."""
    from traitlets.config import Config

    from autograder import classexec, classroom, judge
    from autograder.nbgrader_plugin import TrustedGrades

    def judged(cfg, **overrides):
        classexec.configure(cfg, classroom.class_limits(cfg, overrides), str(tmp_path))
        t = TrustedGrades(config=cfg)
        return t.call_timeout, t.memory_mb

    default = judge.Limits.per_call()
    assert judged(Config(), cell_timeout=30, memory_mb=512) == (default.call_timeout, default.memory_mb) == (10.0, 2048)
    course = Config()
    course.TrustedGrades.call_timeout, course.TrustedGrades.memory_mb = 7.0, 1500
    assert judged(course, cell_timeout=45, memory_mb=512) == (7.0, 1500)
    assert judged(course, call_timeout=3) == (3.0, 1500)
    # the budget each path derives from one per-call figure is the same
    assert judge.Limits.per_call(7.0) == judge.Limits(call_timeout=7.0, cell_timeout=7.0, exercise_timeout=120.0)
