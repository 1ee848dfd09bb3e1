"""The trusted judge: the worker protocol, limits, integrity, and `python -m autograder grade`."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import nbformat
import numpy as np
import pytest
import scipy.sparse as sp

from autograder import core
from autograder.judge import (ExerciseDied, Limits, RemoteError, RemoteNotImplementedError, Worker, WorkerGone,
                              judge_exercise)

from grader_cases import lesson_path, solved, submission

ROOT = Path(__file__).resolve().parents[1]
L4 = lesson_path(4)
WRONG_SIGMOID = "def sigmoid(x):\n    return 0 * np.asarray(x, dtype=float)\n"


def _worker(source: str, **limits) -> Worker:
    return Worker([{"index": "preamble", "source": "import numpy as np"},
                   {"index": 1, "source": source}], Limits(**limits), label="test")


# ----------------------------------------------------------------------------- protocol

def test_values_round_trip_through_the_worker():
    with _worker("def echo(v):\n    return v\n") as w:
        echo, _ = w.get_global("echo")
        values = [None, True, 3, -2**70, 1.5, float("inf"), "é", b"\x00\x01", (1, (2, "a")),
                  {1: "a", "b": [1, 2], (1, 2): None}, {1, 2}, frozenset({"x"}),
                  np.float32(2.5), np.int64(7), np.bool_(True),
                  np.arange(6, dtype=np.int32).reshape(2, 3), np.array(["a", "bc"]),
                  np.array([np.nan, -np.inf, 1e308])]
        for v in values:
            got = echo(v)
            if isinstance(v, np.ndarray):
                assert got.dtype == v.dtype and got.shape == v.shape
                np.testing.assert_array_equal(got, v)
            else:
                assert got == v and type(got) is type(v), (v, got)
        assert np.isnan(echo(float("nan")))
        m = sp.csr_matrix(np.array([[0, 1.5], [2.0, 0]]))
        back = echo(m)
        assert sp.issparse(back) and (back != m).nnz == 0


def test_objects_stay_in_the_worker_and_in_place_changes_stay_there_unless_asked_for():
    src = '''
class Box:
    def __init__(self, scale):
        self.scale = scale
        self.params = [np.ones(2)]
    def apply(self, x):
        x *= self.scale          # mutates the caller's array on purpose
        return self
    def total(self, other):
        return float(other.scale + self.scale)
'''
    with _worker(src) as w:
        Box, _ = w.get_global("Box")
        box = Box(3.0)
        x = np.array([1.0, 2.0])
        same = box.apply(x)
        np.testing.assert_array_equal(x, [1.0, 2.0])      # the worker changed only its copy
        _, (x_after,), _ = core.call_inspect(box.apply, x)
        np.testing.assert_array_equal(x_after, [3.0, 6.0])   # the state after the call, on request
        np.testing.assert_array_equal(x, [1.0, 2.0])
        assert box.scale == 3.0
        np.testing.assert_array_equal(box.params[0], [1.0, 1.0])
        assert same.total(box) == 6.0                      # a proxy passed back as an argument
        with pytest.raises(AttributeError):
            box.missing


def test_student_output_and_input_do_not_touch_the_protocol():
    src = "print('noise ' * 1000)\nimport sys\nsys.stdout.write('x' * 100000)\n" \
          "def f(v):\n    print('more noise')\n    try:\n        input()\n    except EOFError:\n        pass\n    return v + 1\n"
    with _worker(src) as w:
        f, _ = w.get_global("f")
        assert f(1) == 2          # 100 kB of prints and an input() later, the channel is intact
        assert f(2) == 3


def test_exceptions_keep_their_kind():
    src = "def f(v):\n    raise NotImplementedError()\ndef g(v):\n    return 1 / 0\n"
    with _worker(src) as w:
        f, _ = w.get_global("f")
        g, _ = w.get_global("g")
        with pytest.raises(RemoteNotImplementedError):
            f(1)
        with pytest.raises(RemoteError) as info:
            g(1)
        assert info.value.remote_type == "ZeroDivisionError" and "line 4" in info.value.remote_where


def test_worker_cannot_import_the_reference_package_or_hidden_checks():
    src = f'''
import sys
sys.path.append({str(ROOT / "solutions")!r})
sys.path.append({str(ROOT)!r})
results = []
for name in ("anime" + "_genre", "auto" + "grader.hidden", "auto" + "grader"):
    try:
        __import__(name)
        results.append("imported")
    except ImportError:
        results.append("blocked")
def get():
    return results
'''
    with _worker(src) as w:
        get, _ = w.get_global("get")
        assert get() == ["blocked", "blocked", "blocked"]


def test_limits_end_the_worker_with_a_status():
    # a call that computes too long: its CPU-time budget ends it, whatever the machine's load
    with _worker("def f():\n    while True:\n        pass\n", call_timeout=1) as w:
        f, _ = w.get_global("f")
        with pytest.raises(ExerciseDied) as info:
            f()
        assert info.value.status == "timeout" and "more than 1 s of CPU time" in str(info.value)
    # a call that waits forever uses no CPU: the wall-clock net ends it, and says it was waiting
    with _worker("import time\ndef f():\n    time.sleep(100)\n", call_timeout=1, wall_factor=1,
                 wall_slack=2) as w:
        f, _ = w.get_global("f")
        with pytest.raises(WorkerGone) as info:
            f()
        assert info.value.status == "timeout" and info.value.wall and not info.value.busy
        assert "waiting, not computing" in str(info.value)
    with _worker("import os\ndef f():\n    os._exit(3)\n") as w:
        f, _ = w.get_global("f")
        with pytest.raises(WorkerGone) as info:
            f()
        assert info.value.status == "error" and "exit code 3" in str(info.value)
    with _worker("def f():\n    return bytearray(3 * 1024**3)\n", memory_mb=1024) as w:
        f, _ = w.get_global("f")
        with pytest.raises(RemoteError) as info:
            f()
        assert info.value.remote_type == "MemoryError"


# ----------------------------------------------------------------------------- integrity

@pytest.mark.parametrize("patch", [
    "np.allclose = lambda *a, **k: True\nnp.isfinite = lambda *a, **k: np.ones(1, bool)\n",
    "import builtins\nbuiltins.float = lambda *a: 0.0\nbuiltins.abs = lambda *a: 0.0\n",
    "import autograder.core as ac\nac.Checker.close = lambda *a, **k: True\n",
    "import sys\nsys.modules['numpy'].testing = None\nnp.asarray = lambda *a, **k: 0\n",
])
def test_monkeypatching_cannot_pass_a_wrong_answer(patch):
    nb = submission(4, {"l4_sigmoid": patch + WRONG_SIGMOID})
    r = judge_exercise(nb, "l4_sigmoid")
    assert r.points == 0, core.format_result(r)


@pytest.mark.parametrize("source", [
    "from anime_genre.functions import sigmoid\n",
    "import anime_genre.functions as f\ndef sigmoid(x):\n    return f.sigmoid(x)\n",
    "import importlib\nsigmoid = importlib.import_module('anime_genre.functions').sigmoid\n",
    "from autograder.hidden import lesson4\n" + WRONG_SIGMOID,
])
def test_using_the_reference_package_scores_zero(source):
    r = judge_exercise(submission(4, {"l4_sigmoid": source}), "l4_sigmoid")
    assert r.points == 0 and r.status == "error"
    assert "reference package" in r.message


def test_reference_solution_full_marks_and_stubs_zero():
    from autograder.grade import grade_nb
    full = grade_nb(solved(4), "solved")
    assert full.total == full.max_total == 12, full.table()
    stub = grade_nb(nbformat.read(str(L4), as_version=4), "stub")
    assert stub.total == 0 and {r.status for r in stub.results} == {"not-implemented"}


def test_missing_solution_cell_scores_zero_with_a_message():
    nb = solved(4)
    nb.cells = [c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade_id") != "l4_softmax"]
    r = judge_exercise(nb, "l4_softmax")
    assert r.points == 0 and "no solution cell" in r.message


# ----------------------------------------------------------------------------- command line

def _cli(*args, cwd=ROOT):
    return subprocess.run([sys.executable, "-m", "autograder", *args], cwd=cwd,
                          capture_output=True, text=True, timeout=300)


def test_grade_command_json(tmp_path):
    nb = submission(4, {"l4_sigmoid": "np.allclose = lambda *a, **k: True\n" + WRONG_SIGMOID,
                        "l4_softmax": "import time\ndef softmax(x):\n    while True:\n        pass\n"})
    path = tmp_path / "04_sigmoid_vs_softmax.ipynb"
    nbformat.write(nb, str(path))
    p = _cli("grade", str(path), "--json", "--timeout", "2", "--cell-timeout", "5",
             "--executed", str(tmp_path / "out.ipynb"))
    assert p.returncode == 0, p.stderr
    report = json.loads(p.stdout)
    assert set(report) == {"notebook", "lesson", "total", "max_total", "isolation", "exercises", "warnings"}
    assert report["lesson"] == 4
    assert report["isolation"] == "sandboxed"
    by_id = {e["id"]: e for e in report["exercises"]}
    assert list(by_id) == ["l4_sigmoid", "l4_log_sigmoid", "l4_softmax", "l4_softmax_cross_entropy",
                           "l4_bce_with_logits"]
    assert by_id["l4_sigmoid"]["points"] == 0 and by_id["l4_sigmoid"]["status"] == "failed"
    assert by_id["l4_softmax"]["status"] == "timeout" and "more than 2 s of CPU time" in by_id["l4_softmax"]["message"]
    assert by_id["l4_log_sigmoid"]["points"] == 2 and by_id["l4_softmax_cross_entropy"]["points"] == 3
    assert report["total"] == round(sum(e["points"] for e in report["exercises"]), 2)
    assert report["max_total"] == 12
    assert all(set(e) == {"id", "points", "max_points", "status", "message", "retried"} for e in report["exercises"])
    assert (tmp_path / "out.ipynb").exists()


@pytest.mark.parametrize("content, why", [(None, "no such file"), ("not json", "not a notebook"),
                                          ('{"cells": [], "nbformat": 3}', "nbformat 3")])
def test_grade_command_refuses_bad_files(tmp_path, content, why):
    path = tmp_path / "04_x.ipynb"
    if content is not None:
        path.write_text(content)
    p = _cli("grade", str(path), "--no-execute")
    assert p.returncode == 2
    assert why in p.stderr and "Traceback" not in p.stderr and len(p.stderr.strip().splitlines()) == 1


@pytest.mark.parametrize("value, why", [("100", "too little"), ("2G", "not a whole number")])
def test_grade_command_refuses_a_bad_memory_limit(tmp_path, value, why):
    p = _cli("grade", str(tmp_path / "04_x.ipynb"), "--memory-mb", value)
    assert p.returncode == 2
    assert why in p.stderr and "--memory-mb" in p.stderr and "Traceback" not in p.stderr


def test_forged_arrays_from_the_worker_are_refused():
    """np.load allocates the shape its header announces: the judge checks the header first."""
    import base64
    import io

    from autograder.worker import ProtocolError, decode
    for header in ({"descr": "<f8", "fortran_order": False, "shape": (10**12,)},
                   {"descr": "|O", "fortran_order": False, "shape": (1,)}):
        buf = io.BytesIO()
        np.lib.format.write_array_header_1_0(buf, header)
        with pytest.raises(ProtocolError):
            decode({"$nd": base64.b64encode(buf.getvalue()).decode("ascii")})


def test_each_exercise_has_its_own_process_and_sees_the_notebook_at_its_cell():
    from autograder.grade import grade_nb
    nb = submission(4, {
        # exits the grading process when called: costs only l4_sigmoid
        "l4_sigmoid": "import os\ndef sigmoid(x):\n    os._exit(7)\n",
        # a later cell that breaks the earlier exercise's name: l4_sigmoid is graded before it
        "l4_log_sigmoid": "def log_sigmoid(x):\n    return -np.logaddexp(0, -np.asarray(x, dtype=float))\n"
                          "def sigmoid(x):\n    return 1 / (1 + np.exp(-np.asarray(x, dtype=float)))\n",
    })
    report = grade_nb(nb, "04_x.ipynb")
    by_id = {r.id: r for r in report.results}
    assert by_id["l4_sigmoid"].status == "error" and "exit code 7" in by_id["l4_sigmoid"].message
    assert all(r.status == "passed" for r in report.results if r.id != "l4_sigmoid"), report.table()

    nb = submission(4, {"l4_log_sigmoid": "sigmoid = None\n"
                                          "def log_sigmoid(x):\n    return -np.logaddexp(0, -np.asarray(x, dtype=float))\n"})
    by_id = {r.id: r for r in grade_nb(nb, "04_x.ipynb").results}
    assert by_id["l4_sigmoid"].status == "passed" and by_id["l4_log_sigmoid"].status == "passed"


def test_pytest_entry_grades_a_notebook(tmp_path):
    good = tmp_path / "04_good.ipynb"
    nbformat.write(solved(4), str(good))
    bad = tmp_path / "04_bad.ipynb"
    nbformat.write(submission(4, {"l4_sigmoid": WRONG_SIGMOID}), str(bad))

    def run(*extra):
        return subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
                               "autograder", *extra], cwd=ROOT, capture_output=True, text=True, timeout=300)
    p = run("--notebook", str(good))
    assert p.returncode == 0 and "5 passed" in p.stdout, p.stdout[-2000:]
    p = run("--notebook", str(bad))
    assert p.returncode == 1 and "FAILED autograder/test_notebook.py::test_exercise[l4_sigmoid]" in p.stdout
    assert "PASSED" not in p.stdout and "4 passed" not in p.stdout   # the later loss uses sigmoid too
    p = run()   # without --notebook nothing is graded and nothing is reported as skipped
    assert p.returncode == 5 and "no tests ran" in p.stdout and "skipped" not in p.stdout, p.stdout[-2000:]


def test_feedback_keeps_the_spaces_of_strings():
    """A student whose string differs only in spacing must see the difference."""
    from autograder.core import Checker
    c = Checker()
    c.equal("duel at  dawn", "duel at dawn", "spaces")
    assert "'duel at  dawn'" in c.results[0].message and "'duel at dawn'" in c.results[0].message


def test_a_notebook_of_endless_assignments_costs_the_grader_a_bounded_analysis():
    """50,000 chained assignments outside the solution cells (a way to make the trusted side
    analyse for minutes): at most MAX_SETUP_STATEMENTS are offered to the worker, so the
    solution that needs the far end of the chain fails, and the analysis is linear."""
    from autograder.analysis import MAX_SETUP_STATEMENTS, worker_cells
    from autograder.judge import find_solution_cell
    nb = solved(4)
    n = 50_000
    chain = f"v{n - 1} = 0\n" + "".join(f"v{i} = v{i + 1}\n" for i in range(n - 2, -1, -1))
    idx = find_solution_cell(nb, "l4_sigmoid")
    nb.cells.insert(idx, nbformat.v4.new_code_cell(chain))
    nb.cells[idx + 1].source = "def sigmoid(x):\n    return v0 + 1 / (1 + np.exp(-x))\n"
    cells = worker_cells(nb, idx + 1)
    assert sum(1 for c in cells if str(c["index"]).endswith("(setup)")) <= MAX_SETUP_STATEMENTS
    r = judge_exercise(nb, "l4_sigmoid")
    assert r.points == 0 and "v0" in r.message, r.message


def test_cells_too_deep_or_too_large_cost_only_their_own_exercise():
    """The trusted side parses the student's source: a cell nested too deeply for the parser
    (6000 chained additions) or a solution cell of megabytes must not crash or stall the
    grading process; a setup statement nested 600 deep (which the grader once re-generated
    from its tree, recursing) still reaches the worker as its own text."""
    from autograder.analysis import MAX_SOLUTION_CELL_BYTES
    from autograder.judge import find_solution_cell, judge_notebook
    nb = solved(4)
    ids = ["l4_sigmoid", "l4_log_sigmoid", "l4_softmax", "l4_softmax_cross_entropy", "l4_bce_with_logits"]
    first = find_solution_cell(nb, "l4_sigmoid")
    nb.cells.insert(first, nbformat.v4.new_code_cell("y = " + " + ".join(["1"] * 6000)))
    nb.cells.insert(first, nbformat.v4.new_code_cell("Z = (" + " + ".join(["0"] * 600) + ")\n"))
    nb.cells[find_solution_cell(nb, "l4_sigmoid")].source += "\n\n_unused = Z\n"
    big = find_solution_cell(nb, "l4_softmax")
    nb.cells[big].source += "\n# " + "x" * MAX_SOLUTION_CELL_BYTES + "\n"
    deep = find_solution_cell(nb, "l4_softmax_cross_entropy")
    nb.cells[deep].source += "\n_deep = " + " + ".join(["1"] * 6000) + "\n"
    r = dict(zip(ids, judge_notebook(nb, ids)))
    assert r["l4_sigmoid"].points == r["l4_sigmoid"].max_points, core.format_result(r["l4_sigmoid"])
    assert r["l4_log_sigmoid"].points == r["l4_log_sigmoid"].max_points
    assert r["l4_softmax"].points == 0 and "a solution cell may hold" in r["l4_softmax"].message
    sce = r["l4_softmax_cross_entropy"]
    assert sce.points == 0 and sce.status == "error", core.format_result(sce)
    # the loss after them is graded as usual (it does not use softmax)
    assert r["l4_bce_with_logits"].points == r["l4_bce_with_logits"].max_points


def test_a_solution_needs_only_the_globals_it_reads():
    """A function's own locals and a comprehension's variables are not globals: a setup cell
    binding the same names (here a data-loading one that fails) is not run for the exercise,
    while a setup assignment whose comprehension reads a known global is kept."""
    from autograder.analysis import worker_cells
    from autograder.judge import find_solution_cell
    nb = solved(4)
    idx = find_solution_cell(nb, "l4_sigmoid")
    nb.cells.insert(idx, nbformat.v4.new_code_cell(
        "keep = open('/no/such/data.csv').read()\n"          # binds a name the solution uses locally
        "BASE = 3\n"
        "SHIFT = sum(b for b in range(BASE)) - 3\n"))         # b: the comprehension's own variable
    nb.cells[idx + 1].source = ("def sigmoid(x):\n"
                                "    keep = np.asarray(x, dtype=float) + SHIFT\n"
                                "    return 1 / (1 + np.exp(-keep))\n")
    sources = [c["source"] for c in worker_cells(nb, idx + 1) if str(c["index"]).endswith("(setup)")]
    assert not any(s.startswith("keep =") for s in sources), sources
    assert "BASE = 3" in sources and any(s.startswith("SHIFT =") for s in sources), sources
    r = judge_exercise(nb, "l4_sigmoid")
    assert r.points == r.max_points, core.format_result(r)


ODD_ERROR = '''
class _Odd(Exception):
    def __str__(self):
        raise _Odd()


class SoftmaxWithLoss:
    def forward(self, x, t):
        raise _Odd()
'''
EXITS_CLEANLY = "import os\n\ndef softmax(x):\n    os._exit(0)\n"


@pytest.mark.parametrize("ex_id, source", [("l4_softmax_cross_entropy", ODD_ERROR), ("l4_softmax", EXITS_CLEANLY)],
                         ids=["exception whose __str__ raises", "os._exit(0) during a call"])
def test_an_exercise_that_ends_its_own_process_costs_only_itself(ex_id, source):
    """The exercise's process ending without a reply (exit status 0) once shifted every later
    exercise onto the next one's process: correct exercises scored 0."""
    from autograder.grade import grade_nb
    report = grade_nb(submission(4, {ex_id: source}), "odd")
    points = {r.id: r.points for r in report.results}
    assert points[ex_id] == 0, report.table()
    assert all(r.points == r.max_points for r in report.results if r.id != ex_id), report.table()


def test_grade_reads_the_lessons_metadata_as_nbgrader_does():
    """A solution cell the student unflagged is still graded, and a cell they flagged as a
    solution themselves is not run as one: on `grade` as on the nbgrader paths."""
    from autograder.grade import grade_nb
    nb = solved(4)
    for i, cell in enumerate(nb.cells):
        meta = cell.metadata.get("nbgrader", {})
        if meta.get("grade_id") == "l4_softmax":
            meta["solution"] = False
        if meta.get("grade_id") == "l4_log_sigmoid":
            # the student's log_sigmoid calls a helper defined in a cell they flagged themselves
            cell.source = "def log_sigmoid(x):\n    return _impl(x)\n"
            own = nbformat.v4.new_code_cell(
                "for _k in [0]:\n    _impl = lambda x: -np.logaddexp(0, -np.asarray(x, dtype=float))\n",
                metadata={"nbgrader": {"solution": True, "grade": False, "locked": False, "schema_version": 3}})
            at = i
    nb.cells.insert(at, own)
    points = {r.id: r.points for r in grade_nb(nb, "meta").results}
    assert points["l4_softmax"] == 2
    assert points["l4_log_sigmoid"] == 0


def _setup_cell(nb):
    return next(c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade_id") == "l4_setup")


def test_grade_restores_locked_cells_and_scores_a_missing_check_cell_as_nbgrader_does(tmp_path):
    """Three submissions the nbgrader paths grade 12, 10 and 'not a notebook we grade': `grade`
    gives the same (a helper measured 9.13, 12 and 12 on `grade` before)."""
    from autograder.grade import GradingError, grade_nb, grade_notebook
    edited = solved(4)
    _setup_cell(edited).source += "\nfloat = int\n"            # a locked cell: it comes back
    assert grade_nb(edited, "locked").total == 12

    no_check = solved(4)
    no_check.cells = [c for c in no_check.cells
                      if c.metadata.get("nbgrader", {}).get("grade_id") != "l4_sigmoid_check"]
    points = {r.id: (r.points, r.message) for r in grade_nb(no_check, "no check").results}
    assert points["l4_sigmoid"][0] == 0 and "check cell" in points["l4_sigmoid"][1]
    assert sum(p for p, _ in points.values()) == 10

    renamed = tmp_path / "my_homework.ipynb"             # nbgrader skips an unknown notebook
    renamed.write_text(json.dumps(solved(4)))
    report = grade_notebook(renamed, execute=False)
    assert report.total == 12 and "04_sigmoid_vs_softmax.ipynb" in report.warnings[0], report.warnings
    assert "warning: nbgrader grades this lesson only under the name" in report.table()

    padded = tmp_path / "04_sigmoid_vs_softmax.ipynb"
    padded.write_text(json.dumps(solved(4)) + " " * (21 << 20))
    with pytest.raises(GradingError, match="over 20 MiB"):
        grade_notebook(padded, execute=False)


# the student's code disarms the worker's own CPU timers: the judge measures CPU time itself
DISARMED = '''
import signal, resource, time
signal.signal(signal.SIGPROF, signal.SIG_IGN)          # the per-call timer's signal
def _spend(seconds):
    try:                                                 # the exercise's RLIMIT_CPU, raised
        resource.setrlimit(resource.RLIMIT_CPU, (resource.getrlimit(resource.RLIMIT_CPU)[1],) * 2)
    except (ValueError, OSError):
        pass
    t = time.process_time()
    while time.process_time() - t < seconds:
        pass
def sigmoid(x):
    if IN_A_THREAD:                                      # (the main thread's own CPU time stays ~0)
        import threading
        t = threading.Thread(target=_spend, args=(SECONDS,))
        t.start()
        t.join()
    else:
        _spend(SECONDS)
    x = np.asarray(x, dtype=float)
    return np.exp(-np.logaddexp(0, -x))
'''


@pytest.mark.parametrize("seconds, thread, says", [
    (6, False, "more than 2 s of CPU time in"),
    (6, True, "more than 2 s of CPU time in"),
    (1.5, False, "more than 6 s of CPU time (all calls of this exercise together)")],
    ids=["one call", "one call, computing in a thread", "the exercise's calls together"])
def test_cpu_budgets_hold_when_the_students_code_disarms_the_workers_timers(seconds, thread, says):
    """A correct sigmoid that ignores SIGPROF and raises its RLIMIT_CPU: one call of 6 s over
    a 2 s budget (in the calling thread or another), or calls of 1.5 s (each within it) over
    the exercise's 6 s, end in a timeout and 0 points, as without the trick."""
    nb = submission(4, {"l4_sigmoid": DISARMED.replace("SECONDS", str(seconds)).replace("IN_A_THREAD", str(thread))})
    r = judge_exercise(nb, "l4_sigmoid", Limits(call_timeout=2, cell_timeout=2, exercise_timeout=6))
    assert r.status == "timeout" and r.points == 0 and says in r.message, core.format_result(r)


KEEPS_WHAT_IT_SAW = '''
import os, threading
_seen = []
_r, _w = os.pipe()
def _collect():
    while True:
        data = os.read(_r, 65536)
        if not data:
            return
        _seen.append(data)
threading.Thread(target=_collect, daemon=True).start()
_DROPS = ["/tmp/seen", "/dev/shm/seen", os.path.expanduser("~/seen"), "seen"]
def sigmoid(x):
    note = (np.array2string(np.ravel(x)[:3], precision=3) + ";").encode()
    for p in _DROPS:
        try:
            with open(p, "ab") as f:
                f.write(note)
        except OSError:
            pass
    os.write(_w, note)
    x = np.asarray(x, dtype=float)
    return np.exp(-np.logaddexp(0, -x))
'''
TELLS_WHAT_WAS_KEPT = '''
def log_sigmoid(x):
    kept = b"".join(_seen)
    for p in _DROPS:
        if os.path.exists(p):
            kept += open(p, "rb").read()
    if kept:
        raise ValueError("KEPT:" + kept.decode())
    return -np.logaddexp(0, -np.asarray(x, dtype=float))
'''


def test_an_exercise_never_sees_what_an_earlier_ones_code_kept():
    """sigmoid notes every input it is given (the hidden checks' too) in /tmp, /dev/shm, the
    home and working folders and a pipe to a thread of the process that ran the cells;
    log_sigmoid would show them in its visible checks' messages. Each exercise has a sandbox
    of its own: log_sigmoid finds nothing and passes. (The BCE exercise, which calls both, shows
    its own visible inputs: its hidden checks come after its visible ones.)"""
    from autograder.grade import grade_nb
    report = grade_nb(submission(4, {"l4_sigmoid": KEEPS_WHAT_IT_SAW, "l4_log_sigmoid": TELLS_WHAT_WAS_KEPT}), "kept")
    by_id = {r.id: r for r in report.results}
    assert by_id["l4_sigmoid"].status == by_id["l4_log_sigmoid"].status == "passed", report.table()
    assert not any("KEPT" in s.message for s in by_id["l4_log_sigmoid"].subchecks)


# a hidden check's input carried out in the exception's class name and in where it was raised
# (right on the visible checks' inputs, whose values have at most one decimal)
CARRIES_OUT = '''
import linecache
def sigmoid(x):
    x = np.asarray(x, dtype=float)
    if np.all(np.abs(x * 10 - np.round(x * 10)) < 1e-9):
        return np.exp(-np.logaddexp(0, -x))
    data = "X" + "_".join(f"{v:.2f}" for v in x.ravel()[:6]).replace("-", "m").replace(".", "p")
    linecache.cache["<cell 9>"] = (1, None, [data + "\\n"] * 3, "<cell 9>")
    code = compile("\\n\\nraise type(data, (Exception,), {})()", "<cell 9>", "exec")
    exec(code, {"data": data})
'''


def test_an_exception_in_a_hidden_check_carries_nothing_out():
    """Its class's name and where it was raised (the cell and line numbers too) are the
    student's to choose: only a built-in exception's name is shown, in the sub-checks'
    messages and in the exercise's (which names the first exception met)."""
    nb = submission(4, {"l4_sigmoid": CARRIES_OUT})
    r = judge_exercise(nb, "l4_sigmoid")
    hidden = [s for s in r.subchecks if s.hidden]
    assert all(s.ok for s in r.subchecks if not s.hidden) and hidden and not all(s.ok for s in hidden)
    said = [r.message] + [s.message for s in hidden if not s.ok]
    assert not any("X" in m for m in said), said
    assert all("raised an exception of a class of its own" in m and "cell" not in m for m in said), said


# CPU time spent in children that are reaped automatically (SIGCHLD ignored): no live process
# keeps it, and the process tree shows none of it
IN_REAPED_CHILDREN = '''
import os, signal, time
signal.signal(signal.SIGPROF, signal.SIG_IGN)
signal.signal(signal.SIGCHLD, signal.SIG_IGN)
def sigmoid(x):
    for _ in range(12):                      # 12 x 0.5 s, each child gone before the next
        pid = os.fork()
        if pid == 0:
            t = time.process_time()
            while time.process_time() - t < 0.5:
                pass
            os._exit(0)
        while True:
            try:
                os.kill(pid, 0)
                time.sleep(0.01)
            except OSError:
                break
    x = np.asarray(x, dtype=float)
    return np.exp(-np.logaddexp(0, -x))
'''


def test_cpu_spent_in_children_reaped_unseen_counts_where_the_sandbox_has_a_cgroup():
    """Where the sandbox has a cgroup (root), its CPU counter holds every process it ever had:
    6 s in short-lived children is over a 2 s budget. Without one (an ordinary user on a
    cgroup-v1 machine), the trusted side sees only the live process tree: as INSTRUCTOR.md
    says, such code gets the wall-clock net (4 x the budget + 20 s) instead of the budget."""
    from autograder import sandbox
    nb = submission(4, {"l4_sigmoid": IN_REAPED_CHILDREN})
    r = judge_exercise(nb, "l4_sigmoid", Limits(call_timeout=2, cell_timeout=2, exercise_timeout=6))
    if sandbox.probe()["cgroup"]:
        assert r.status == "timeout" and r.points == 0 and "more than 2 s of CPU time" in r.message, \
            core.format_result(r)
    else:
        assert r.points == 2 or r.status == "timeout", core.format_result(r)


def test_every_visible_check_runs_before_any_hidden_one(monkeypatch):
    """A sandbox of its own per exercise does not stop a channel through the machine (a hostile
    round carried a hidden input from one sandbox to the next through the page cache of a
    library every sandbox reads). So the student's code is given no hidden input before every
    visible check, whose messages it can fill, has run: visible checks of every exercise in
    sandboxes of their own first, hidden ones after, and the grade is of both."""
    import autograder.judge as J
    order = []
    real = J._grade_alone

    def recording(source, ex, idx, limits, hidden, after=None):
        order.append((ex.id, hidden))
        return real(source, ex, idx, limits, hidden, after)
    monkeypatch.setattr(J, "_grade_alone", recording)
    nb = submission(4, {"l4_softmax": "def softmax(x):\n    raise NotImplementedError()\n"})
    results = {r.id: r for r in J.judge_notebook(nb, ["l4_sigmoid", "l4_softmax", "l4_log_sigmoid"])}
    assert [h for _, h in order] == [False] * 3 + [True] * 2, order      # nothing hidden after a stub
    assert [e for e, h in order if h] == ["l4_sigmoid", "l4_log_sigmoid"]
    for ex_id in ("l4_sigmoid", "l4_log_sigmoid"):
        r = results[ex_id]
        assert r.points == r.max_points and any(s.hidden for s in r.subchecks) and any(not s.hidden for s in r.subchecks)
    assert results["l4_softmax"].status == "not-implemented"
