"""The checks can be trusted whatever the student's code does to its arguments, and whatever
the run's secret seed of the hidden inputs is.

* Over many seeds: the reference gets full marks on every exercise and every known-buggy
  case of ``tests/grader_cases`` loses points on its exercise. These sweeps run in this
  process (a judge worker per seed would take minutes), with the student's object behind
  :class:`Isolated`, which gives it what the judge's ``RemoteObject`` gives: copies of the
  arguments, nothing copied back, results as copies.
* Through the real judge: a submission that writes garbage into its inputs gains nothing
  and changes no fixture; a function that modifies an input its docstring promises to leave
  alone loses that sub-check; an error in trusted code shows no trusted source or message.
"""
from __future__ import annotations

import ast
import copy
import importlib
import os
import pkgutil
import subprocess
import sys
from pathlib import Path

import nbformat
import numpy as np
import pytest
import scipy.sparse as sp

from autograder import core
from autograder.analysis import worker_cells
from autograder.judge import RemoteError, RemoteNotImplementedError, judge_exercise, judge_notebook

import grader_cases
from grader_cases import lesson_path, submission

ROOT = Path(__file__).resolve().parents[1]
SEEDS = range(1000, 1030)   # 30 runs' worth of hidden inputs

# buggy and hostile submissions overflow, divide by zero...: their warnings are expected
pytestmark = pytest.mark.filterwarnings("ignore::RuntimeWarning")


# ----------------------------------------------------------------------------- in-process judge

def _plain(value) -> bool:
    return value is None or isinstance(value, (bool, int, float, complex, str, bytes, np.ndarray,
                                               np.generic)) or sp.issparse(value)


def _out(value):
    """A result as the judge hands it to a check: data as copies, anything else a proxy."""
    if isinstance(value, list):
        return [_out(v) for v in value]
    if isinstance(value, tuple):
        return tuple(_out(v) for v in value)
    if isinstance(value, dict):
        return {k: _out(v) for k, v in value.items()}
    if isinstance(value, (set, frozenset)):
        return copy.deepcopy(value)
    return copy.deepcopy(value) if _plain(value) else Isolated(value)


class Isolated:
    """A student object as the judge's ``RemoteObject`` shows it, without a worker: calls get
    copies of the arguments and change nothing of the caller's, results are copies, and the
    student's exceptions arrive as ``RemoteError`` (with ``remote_type``, ``remote_where``)."""

    __slots__ = ("_obj",)

    def __init__(self, obj):
        object.__setattr__(self, "_obj", obj)

    def _call(self, args, kwargs):
        args, kwargs = copy.deepcopy(list(args)), copy.deepcopy(kwargs)
        try:
            result = self._obj(*args, **kwargs)
        except Exception as exc:  # noqa: BLE001 - the student's code may raise anything
            info = {"type": type(exc).__name__, "message": str(exc), "where": "cell 7, line 4: raise KeyError(...)"}
            raise (RemoteNotImplementedError if isinstance(exc, NotImplementedError) else RemoteError)(info) from None
        return _out(result), _out(args), _out(kwargs)

    def __call__(self, *args, **kwargs):
        return self._call(args, kwargs)[0]

    def __call_inspect__(self, args, kwargs):
        result, args_after, kwargs_after = self._call(args, kwargs)
        return result, list(args_after), kwargs_after

    def __getattr__(self, name):
        return _out(getattr(self._obj, name))

    def __setattr__(self, name, value):
        setattr(self._obj, name, copy.deepcopy(value))

    def __getitem__(self, key):
        return _out(self._obj[key])

    def __len__(self):
        return len(self._obj)

    def __iter__(self):
        return iter(_out(list(self._obj)))


def _calls_notebook_function(source: str, defined: set[str]) -> bool:
    """Whether a setup statement calls a function the notebook defined (it computes data,
    e.g. ``corpus = load_corpus()``, seconds of work no exercise object depends on)."""
    return any(isinstance(n, ast.Call) and isinstance(n.func, ast.Name) and n.func.id in defined
               for n in ast.walk(ast.parse(source)))


def _student_object(nb, ex: core.Exercise):
    """The exercise's object after running, here, the cells the judge's worker would run
    (compiled as ``<cell N>`` like in the worker, so tracebacks name no trusted file), less
    the setup statements that compute data."""
    idx = next(i for i, c in enumerate(nb.cells) if c.metadata.get("nbgrader", {}).get("grade_id") == ex.id
               and c.metadata["nbgrader"].get("solution"))
    ns = {"__name__": "__main__"}
    for cell in worker_cells(nb, idx):
        defined = {k for k, v in ns.items() if callable(v) and getattr(v, "__module__", None) == "__main__"}
        if str(cell["index"]).endswith("(setup)") and _calls_notebook_function(cell["source"], defined):
            continue
        try:
            exec(compile(cell["source"], f"<cell {cell['index']}>", "exec"), ns)
        except Exception:  # noqa: BLE001 - as in the worker, a failing cell does not stop the rest
            pass
    name = ex.name or ex.reference.partition(":")[2].split(".")[-1]
    return Isolated(ns[name])


@pytest.fixture
def hidden_seed():
    """Yields ``core.set_hidden_seed``; afterwards the process draws its own secret again."""
    yield core.set_hidden_seed
    core.set_hidden_seed(None)


@pytest.fixture
def without_course_data(monkeypatch, tmp_path):
    """No course data on the grading machine: grades must be the same (lesson 1's hidden
    checks use only the project's own pages)."""
    monkeypatch.setenv("ANIME_GENRE_DATA_HOME", str(tmp_path))
    yield


def _buggy_cases():
    """(exercise id, label, submission notebook) of every known-buggy case."""
    core.load_checks(hidden=True)
    out = []
    for info in pkgutil.iter_modules(grader_cases.__path__):
        number = int(info.name.replace("lesson", ""))
        if lesson_path(number) is None:
            continue
        module = importlib.import_module(f"{grader_cases.__name__}.{info.name}")
        for ex_id, label, source in getattr(module, "BUGGY", []):
            if ex_id in core.REGISTRY:
                out.append((ex_id, label, submission(number, {ex_id: source})))
    return out


# ----------------------------------------------------------------------------- the seed

def _seeded_draws(seed: str | None) -> list[str]:
    """hidden_rng and hidden_random draws in a fresh process (AUTOGRADER_HIDDEN_SEED=seed)."""
    env = {k: v for k, v in os.environ.items() if k != core.HIDDEN_SEED_ENV}
    if seed is not None:
        env[core.HIDDEN_SEED_ENV] = seed
    code = ("from autograder import core\n"
            "print(core.hidden_rng(1).random(), core.hidden_rng(2).random(), core.hidden_random(1).random())")
    p = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=60,
                       cwd=ROOT)
    assert p.returncode == 0, p.stderr
    return [float(v) for v in p.stdout.split()]


def test_hidden_inputs_are_secret_per_process_unless_the_instructor_sets_the_seed(hidden_seed):
    fresh_a, fresh_b = _seeded_draws(None), _seeded_draws(None)
    assert fresh_a != fresh_b                            # a new secret per grading process
    assert len(set(fresh_a)) == 3                        # salts give different streams
    hidden_seed(12345)                                   # the tests' way to an instructor's seed
    here = [core.hidden_rng(1).random(), core.hidden_rng(2).random(), core.hidden_random(1).random()]
    assert _seeded_draws("12345") == here
    hidden_seed(12346)
    assert core.hidden_rng(1).random() != here[0]


def test_a_bad_seed_variable_stops_the_grader():
    env = dict(os.environ, **{core.HIDDEN_SEED_ENV: "twelve"})
    p = subprocess.run([sys.executable, "-c", "import autograder.core"], env=env, capture_output=True,
                       text=True, timeout=60, cwd=ROOT)
    assert p.returncode != 0 and core.HIDDEN_SEED_ENV in p.stderr


# ----------------------------------------------------------------------------- sweeps over seeds

def test_reference_gets_full_marks_for_every_seed(hidden_seed, without_course_data):
    exercises = sorted(core.load_checks(hidden=True).values(), key=lambda ex: ex.id)
    failures = []
    for seed in SEEDS:
        hidden_seed(seed)
        for ex in exercises:
            r = core.run_exercise(ex.id, Isolated(core.resolve_reference(ex)), hidden=True)
            if (r.status, r.points) != ("passed", ex.points):
                failures.append(f"seed {seed}: {core.format_result(r)}")
    assert not failures, "\n".join(failures[:5])


def test_visible_checks_draw_nothing_from_the_hidden_seed():
    """Visible checks stay fixed and literal: students see them, and the sweep below relies
    on a visible failure being the same for every seed."""
    for path in sorted((ROOT / "autograder" / "checks").glob("*.py")):
        source = path.read_text(encoding="utf-8")
        assert "hidden_rng" not in source and "hidden_random" not in source, path.name


def test_every_buggy_case_loses_points_for_every_seed(hidden_seed):
    cases = _buggy_cases()
    assert cases
    full_marks = []
    for ex_id, label, nb in cases:
        ex = core.get_exercise(ex_id, hidden=True)
        obj = _student_object(nb, ex)
        if core.run_exercise(ex_id, obj).points < ex.points:
            continue   # a failed visible sub-check costs points whatever the hidden inputs
        for seed in SEEDS:
            hidden_seed(seed)
            r = core.run_exercise(ex_id, obj, hidden=True)
            if r.points >= r.max_points:
                full_marks.append(f"{ex_id} ({label}) got full marks with seed {seed}")
    assert not full_marks, "\n".join(full_marks[:10])


# ----------------------------------------------------------------------------- fixtures

def _module_arrays() -> dict[str, np.ndarray]:
    """Every module-level array of the check modules, by ``module.NAME``."""
    core.load_checks(hidden=True)
    return {f"{name}.{key}": value for name, module in list(sys.modules.items())
            if name.startswith(("autograder.checks.", "autograder.hidden.")) and module is not None
            for key, value in vars(module).items() if isinstance(value, np.ndarray)}


def test_module_level_arrays_of_the_checks_are_read_only():
    arrays = _module_arrays()
    assert "autograder.checks.lesson4.X" in arrays
    assert [name for name, a in arrays.items() if a.flags.writeable] == []


# ----------------------------------------------------------------------------- through the judge

def _notebook(*cells: tuple[str, str]) -> dict:
    """A notebook of solution cells ``(grade_id, source)``, in this order."""
    return nbformat.v4.new_notebook(cells=[
        nbformat.v4.new_code_cell(source, metadata={"nbgrader": {"solution": True, "grade": False,
                                                                 "grade_id": gid, "locked": False}})
        for gid, source in cells])


L4_IDS = ["l4_sigmoid", "l4_log_sigmoid", "l4_softmax", "l4_softmax_cross_entropy", "l4_bce_with_logits"]

# Each function first overwrites its arguments with garbage (inf where |x| is large, so that
# not even "the loss is finite" holds by luck), then returns the right answer *for the
# garbage*: what a check that read its arrays back after the call would have accepted.
GARBAGE_L4 = [("l4_sigmoid", '''
def garbage(x):
    x[...] = np.where(np.abs(x) < 900, np.cos(3 * x + np.arange(x.size).reshape(x.shape)) + 0.25, np.inf)
    return x

def sigmoid(x):
    x = garbage(x)
    return np.exp(-np.logaddexp(0, -x))
'''), ("l4_log_sigmoid", '''
def log_sigmoid(x):
    return -np.logaddexp(0, -garbage(x))
'''), ("l4_softmax", '''
def softmax(x):
    x = garbage(x)
    e = np.exp(x - x.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)
'''), ("l4_softmax_cross_entropy", '''
class SoftmaxWithLoss:
    def forward(self, x, t):
        x, t = garbage(x), np.asarray(t)
        t[...] = 1 - t
        if t.ndim == x.ndim - 1:
            t = np.eye(x.shape[-1])[t]
        total = t.sum(axis=-1, keepdims=True)
        self.t = t / np.where(total > 0, total, 1)
        log_y = x - x.max(axis=-1, keepdims=True)
        log_y = log_y - np.log(np.exp(log_y).sum(axis=-1, keepdims=True))
        self.y = np.exp(log_y)
        return float(-(self.t * log_y).sum() / len(x))

    def backward(self, dout=1.0):
        return (self.y * self.t.sum(axis=-1, keepdims=True) - self.t) * (dout / len(self.y))
'''), ("l4_bce_with_logits", '''
class SigmoidWithLoss:
    def forward(self, x, t):
        x, t = garbage(x), np.asarray(t)
        t[...] = 1 - t
        self.y, self.t = sigmoid(x), t
        return float((np.logaddexp(0, -x) * t + np.logaddexp(0, x) * (1 - t)).sum() / len(x))

    def backward(self, dout=1.0):
        return (self.y - self.t) * (dout / len(self.y))
''')]

STUBS_L4 = [("l4_sigmoid", "def sigmoid(x):\n    raise NotImplementedError()\n"),
            ("l4_log_sigmoid", "def log_sigmoid(x):\n    raise NotImplementedError()\n"),
            ("l4_softmax", "def softmax(x):\n    raise NotImplementedError()\n"),
            ("l4_softmax_cross_entropy", "class SoftmaxWithLoss:\n    def forward(self, x, t):\n"
                                         "        raise NotImplementedError()\n"),
            ("l4_bce_with_logits", "class SigmoidWithLoss:\n    def forward(self, x, t):\n"
                                   "        raise NotImplementedError()\n")]


def test_writing_garbage_into_the_inputs_gains_nothing_and_changes_no_fixture():
    ns = {"np": np}
    for _, source in GARBAGE_L4:
        exec(source, ns)
    x = np.array([1.0, -2.0, 3.0])
    ns["sigmoid"](x)
    assert not np.array_equal(x, [1.0, -2.0, 3.0])       # the submission really is hostile

    before = {name: a.copy() for name, a in _module_arrays().items()}
    garbage = judge_notebook(_notebook(*GARBAGE_L4), L4_IDS)
    stubs = judge_notebook(_notebook(*STUBS_L4), L4_IDS)
    assert {r.status for r in stubs} == {"not-implemented"}
    assert sum(r.points for r in garbage) <= sum(r.points for r in stubs), \
        "\n".join(core.format_result(r) for r in garbage)
    after = _module_arrays()
    assert sorted(after) == sorted(before)
    assert [name for name, a in before.items() if not np.array_equal(after[name], a)] == []


# An input changed by a function whose docstring promises to leave it alone: the values are
# right, so exactly the "not modified" sub-check is lost.
MODIFIES_ITS_INPUT = [
    ("l3_tfidf", "the input counts are not modified", '''
import scipy.sparse as sp

def tfidf(X, idf_values, sublinear=False, norm="l2"):
    X.data = X.data.astype(np.float64)         # works on the caller's matrix
    if sublinear:
        X.data = np.log(X.data) + 1.0
    X.data *= np.asarray(idf_values, dtype=np.float64)[X.indices]
    if norm is not None:
        row = np.repeat(np.arange(X.shape[0]), np.diff(X.indptr))
        norms = np.bincount(row, weights=X.data ** 2 if norm == "l2" else np.abs(X.data), minlength=X.shape[0])
        norms = np.sqrt(norms) if norm == "l2" else norms
        X.data /= np.where(norms == 0, 1.0, norms)[row]
    return X
'''),
    ("l6_relu", "backward does not modify dout", '''
class Relu:
    def __init__(self):
        self.params, self.grads = [], []
        self.positive = None

    def forward(self, x):
        self.positive = x > 0
        return np.maximum(x, 0)

    def backward(self, dout):
        dout[~self.positive] = 0
        return dout
'''),
    ("l6_relu", "forward does not modify x", '''
class Relu:
    def __init__(self):
        self.params, self.grads = [], []
        self.positive = None

    def forward(self, x):
        self.positive = x > 0
        x[~self.positive] = 0
        return x

    def backward(self, dout):
        return dout * self.positive
'''),
    ("l6_adam_step", "the arguments passed in (param, grad, m, v) are not modified", '''
def adam_step(param, grad, m, v, t, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8):
    m *= beta1
    m += (1 - beta1) * grad
    v *= beta2
    v += (1 - beta2) * grad ** 2
    param -= lr * (m / (1 - beta1 ** t)) / (np.sqrt(v / (1 - beta2 ** t)) + eps)
    return param, m, v
'''),
]


@pytest.mark.parametrize("ex_id, subcheck, source", MODIFIES_ITS_INPUT,
                         ids=[f"{e}: {s}" for e, s, _ in MODIFIES_ITS_INPUT])
def test_modifying_an_input_the_docstring_promises_to_keep_loses_that_subcheck(ex_id, subcheck, source):
    r = judge_exercise(_notebook((ex_id, source)), ex_id)
    assert [s.name for s in r.subchecks if not s.ok] == [subcheck], core.format_result(r)
    assert r.points < r.max_points


# ----------------------------------------------------------------------------- error messages

TRUSTED_TRACES = ("anime_genre", "solutions", "autograder", ".py", "line ", "broadcast", "shape")


def test_an_error_in_trusted_code_shows_no_trusted_source_or_message():
    """Thresholds of the wrong length: the visible check stops at its shape sub-check, the
    hidden one hands them to the reference, which raises."""
    r = judge_exercise(_notebook(("l6_tune_thresholds", "def tune_thresholds(Y, P, grid=None, default=0.5):\n"
                                                        "    return np.full(Y.shape[1] + 1, 0.5)\n")),
                       "l6_tune_thresholds")
    text = core.format_result(r)
    assert r.status == "error" and r.message == "the check could not use your result (ValueError)", text
    assert not [t for t in TRUSTED_TRACES if t in text.split("\n", 1)[1]], text


def _hidden_only_failure(Y, P, grid=None, default=0.5):
    """Right on the visible check's small inputs, raises on the hidden check's larger ones."""
    if len(Y) > 200:
        raise KeyError(f"{len(Y)} rows")       # the message holds a hidden input's size
    return np.full(Y.shape[1], 0.5)


@pytest.mark.parametrize("wrap", [lambda f: f, Isolated], ids=["in a notebook", "through the judge's proxy"])
def test_the_students_own_error_shows_what_and_where_only_in_visible_checks(wrap):
    r = core.run_exercise("l6_tune_thresholds", wrap(_hidden_only_failure), hidden=True)
    # (where it was raised is not said: a cell and line number are the student's to choose)
    assert r.status == "error" and r.message == "your code raised KeyError in a hidden check", r.message
    assert "400 rows" not in core.format_result(r)

    def visible_failure(Y, P, grid=None, default=0.5):
        raise ValueError("grid must be sorted")
    r = core.run_exercise("l6_tune_thresholds", wrap(visible_failure), hidden=True)
    assert r.message.startswith("your code raised ValueError: grid must be sorted"), r.message


def test_a_local_result_that_trusted_code_cannot_use_is_named_by_its_type_only():
    r = core.run_exercise("l6_tune_thresholds", lambda Y, P, grid=None, default=0.5: np.full(Y.shape[1] + 1, 0.5), hidden=True)
    assert r.message == "the check could not use your result (ValueError)", core.format_result(r)


def test_a_grade_does_not_depend_on_the_course_data(data_home, monkeypatch, tmp_path):
    """Lesson 1's hidden checks once graded the data home's saved pages when present: the same
    parser scored differently on a machine with the course data and on one without."""
    assert (data_home / "mal-html").is_dir()
    ns = {}
    exec("def parse_type(html):\n    return 'TV'\n", ns)
    from autograder.hidden import lesson1
    results = []
    for home in (data_home, tmp_path):
        monkeypatch.setenv("ANIME_GENRE_DATA_HOME", str(home))
        lesson1._fixed_pages.cache_clear()         # as on another machine: nothing remembered
        lesson1._fixed_expected.cache_clear()
        results.append(core.run_exercise("l1_type", ns["parse_type"], hidden=True))
    with_data, without = results
    assert (with_data.points, len(with_data.subchecks)) == (without.points, len(without.subchecks))
