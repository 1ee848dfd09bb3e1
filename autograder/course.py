"""Build the nbgrader course from ``lessons/`` and the reference package.

    python -m autograder build-course [DIR]      # default autograder/course/ (git-ignored)

writes ``DIR/nbgrader_config.py`` (and ``DIR/course_limits.py`` if it is missing: the
instructor's limits, never overwritten) and ``DIR/source/<lesson>/<lesson>.ipynb`` for every
``lessons/NN_name.ipynb``. In each solution cell, every stub body

    # YOUR CODE HERE
    raise NotImplementedError()

becomes ``### BEGIN SOLUTION`` / the reference body / ``### END SOLUTION`` at the stub's
indentation, so that ``nbgrader generate_assignment`` (which puts the stub back at the
indentation of the BEGIN line) returns exactly the lesson. Each check cell gains a hidden-test
region after its visible line. The hidden checks themselves stay in ``autograder/hidden``:
nothing but the notebook is written to ``source/<lesson>/`` (nbgrader would release any other
file it finds there).

:func:`solve_source` is also what the lesson tests use to run a lesson with the reference code.
"""
from __future__ import annotations

import ast
import inspect
import json
import os
import re
import textwrap
from pathlib import Path

from . import core
from .analysis import nbgrader_meta

ROOT = Path(__file__).resolve().parents[1]
LESSONS = ROOT / "lessons"
STUB_FIRST = "# YOUR CODE HERE"
STUB_SECOND = "raise NotImplementedError()"
BEGIN_SOLUTION, END_SOLUTION = "### BEGIN SOLUTION", "### END SOLUTION"
BEGIN_HIDDEN, END_HIDDEN = "### BEGIN HIDDEN TESTS", "### END HIDDEN TESTS"


def _source(cell) -> str:
    src = cell.get("source", "")
    return "".join(src) if isinstance(src, list) else src


def stub_lines(lines: list[str]) -> list[int]:
    """0-based indices of every ``# YOUR CODE HERE`` line followed by the raise, same indent."""
    found = []
    for i in range(len(lines) - 1):
        a, b = lines[i], lines[i + 1]
        if a.strip() == STUB_FIRST and b.strip() == STUB_SECOND and \
                a[: len(a) - len(a.lstrip())] == b[: len(b) - len(b.lstrip())]:
            found.append(i)
    return found


def _enclosing_function(tree: ast.AST, lineno: int) -> list[str]:
    """Qualified name parts (["Class", "method"] or ["func"]) of the innermost def around a line."""
    best: list[str] = []

    def visit(node, prefix):
        nonlocal best
        for child in ast.iter_child_nodes(node):
            if isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                if child.lineno <= lineno <= child.end_lineno:
                    path = prefix + [child.name]
                    if not isinstance(child, ast.ClassDef):
                        best = path
                    visit(child, path)
    visit(tree, [])
    return best


def reference_body(func) -> list[str]:
    """The body of a reference function without its docstring, dedented to column 0."""
    func = inspect.unwrap(getattr(func, "__func__", func))
    src = textwrap.dedent(inspect.getsource(func))
    lines = src.split("\n")
    node = ast.parse(src).body[0]
    if not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
        raise ValueError(f"the source of {func.__qualname__} cannot be read "
                         "(was its file edited after it was imported?)")
    body = node.body
    if body and isinstance(body[0], ast.Expr) and isinstance(getattr(body[0], "value", None), ast.Constant) \
            and isinstance(body[0].value.value, str):
        if len(body) == 1:
            raise ValueError(f"{func.__qualname__} has only a docstring")
        start = body[0].end_lineno            # 1-based line after the docstring
    else:
        start = body[0].lineno - 1
        while start - 1 > node.lineno - 1 and lines[start - 1].strip().startswith("#"):
            start -= 1
    out = lines[start: node.end_lineno]
    while out and not out[0].strip():
        out.pop(0)
    while out and not out[-1].strip():
        out.pop()
    return textwrap.dedent("\n".join(out)).split("\n")


def _reference_member(ref, path: list[str], ex_id: str):
    obj = ref
    name = getattr(ref, "__name__", "?")
    for part in path[1:]:
        try:
            obj = inspect.getattr_static(obj, part)
        except AttributeError:
            raise ValueError(f"{ex_id}: the reference {name} has no method {part!r} "
                             "(stub methods must match the reference by name)") from None
    return obj


def solve_source(source: str, ex: core.Exercise, markers: bool = True) -> str:
    """Replace each stub body in a solution cell's source by the reference body; with
    ``markers`` the body is wrapped in BEGIN/END SOLUTION lines (the instructor version)."""
    lines = source.split("\n")
    stubs = stub_lines(lines)
    if not stubs:
        return source
    tree = ast.parse(source)
    ref = core.resolve_reference(ex)
    out, i = [], 0
    for s in stubs:
        out.extend(lines[i:s])
        indent = lines[s][: len(lines[s]) - len(lines[s].lstrip())]
        path = _enclosing_function(tree, s + 1)
        if not path:
            raise ValueError(f"{ex.id}: stub at line {s + 1} is not inside a function")
        member = _reference_member(ref, path, ex.id) if len(path) > 1 else ref
        body = [indent + ln if ln.strip() else "" for ln in reference_body(member)]
        if any(BEGIN_SOLUTION in ln or END_SOLUTION in ln for ln in body):
            raise ValueError(f"{ex.id}: the reference body contains a solution delimiter")
        if markers:
            out.extend([indent + BEGIN_SOLUTION] + body + [indent + END_SOLUTION])
        else:
            out.extend(body)
        i = s + 2
    out.extend(lines[i:])
    return "\n".join(out)


def hidden_region(ex: core.Exercise, visible_source: str) -> str:
    """The check cell with its hidden-test region appended."""
    m = re.search(r"check\(\s*['\"][^'\"]+['\"]\s*,\s*([A-Za-z_][A-Za-z0-9_]*)", visible_source)
    name = m.group(1) if m else (ex.name or ex.reference.partition(":")[2].split(".")[-1])
    return (visible_source.rstrip("\n") + "\n" + BEGIN_HIDDEN + "\n"
            + f'check("{ex.id}", {name}, hidden=True)\n' + END_HIDDEN)


def check_cell_exercise(cell) -> str | None:
    """The exercise id a check cell grades: from its ``check("id", ...)`` call, else its grade_id."""
    m = re.search(r"check\(\s*['\"]([A-Za-z0-9_]+)['\"]", _source(cell))
    if m:
        return m.group(1)
    gid = str(nbgrader_meta(cell).get("grade_id", ""))
    return gid[: -len("_check")] if gid.endswith("_check") else None


def instructor_notebook(nb: dict, markers: bool = True, hidden: bool = True) -> dict:
    """A copy of a lesson with reference solutions (and hidden-test regions) filled in."""
    import copy
    nb = copy.deepcopy(nb)
    core.load_checks(hidden=hidden)
    for cell in nb["cells"]:
        meta = nbgrader_meta(cell)
        if cell.get("cell_type") != "code":
            continue
        if meta.get("solution"):
            ex_id = meta.get("grade_id")
            if ex_id not in core.REGISTRY:
                raise ValueError(f"solution cell {ex_id!r} has no exercise in the autograder")
            cell["source"] = solve_source(_source(cell), core.REGISTRY[ex_id], markers=markers)
        elif meta.get("grade") and hidden and markers:
            ex_id = check_cell_exercise(cell)
            if ex_id in core.REGISTRY and core.REGISTRY[ex_id].hidden:
                cell["source"] = hidden_region(core.REGISTRY[ex_id], _source(cell))
    return nb


def lesson_paths(lessons_dir: Path = LESSONS) -> list[Path]:
    return sorted(p for p in Path(lessons_dir).glob("[0-9][0-9]_*.ipynb"))


CONFIG = '''\
# nbgrader configuration written by `python -m autograder build-course` (do not edit by hand).
from nbgrader.preprocessors import (Execute, IgnorePattern, LimitOutput,
                                    SaveAutoGrades, AssignLatePenalties, CheckCellMetadata)
from nbconvert.preprocessors import ClearMetadataPreprocessor, CSSHTMLHeaderPreprocessor
from nbgrader.preprocessors import GetGrades

from autograder.classexec import ClassExecute
from autograder.submission import ClearHiddenTestsInChecks
from autograder.nbgrader_plugin import TrustedGrades
from autograder.safe_html import InertOutputs

import os

c = get_config()  # noqa: F821

c.CourseDirectory.course_id = "anime-genre"
# the folder of this file: the course folder can be moved or copied
c.CourseDirectory.root = os.path.dirname(os.path.abspath(__file__))

# Autograde: hidden tests are removed before the student's notebook runs (they never execute
# in the student's kernel); ClassExecute runs the notebook in a sandboxed kernel (bubblewrap:
# it sees only the Python environment, the visible checks and an empty working folder, not
# the submission folder; no network; memory, CPU, process and output limits) and refuses to run without
# one; then TrustedGrades replaces every grade cell's outputs with the result of the trusted
# judge (student code in a sandboxed worker; visible and hidden checks evaluated here). Its
# score is the cell's result, so partial credit works and stderr from the student's own code
# cannot zero a correct answer. InertOutputs: see "the instructor's browser" below.
c.Autograde.autograde_preprocessors = [
    ClearHiddenTestsInChecks,
    ClassExecute,
    TrustedGrades,
    IgnorePattern,
    ClearMetadataPreprocessor,
    LimitOutput,
    InertOutputs,
    SaveAutoGrades,
    AssignLatePenalties,
    CheckCellMetadata,
]
c.ClassExecute.interrupt_on_timeout = True
c.ClassExecute.shutdown_kernel = "immediate"
# Where bubblewrap or user namespaces are missing, grading refuses to run. To grade anyway
# (every grade then says "unsandboxed"), set both:
# c.ClassExecute.unsafe_no_sandbox = True
# c.TrustedGrades.unsafe_no_sandbox = True
c.IgnorePattern.pattern = r"Warning"
c.IgnorePattern.enabled = True

# Submissions (autograder/submission.py): before nbgrader copies a submission folder, the hook
# moves every link, FIFO, socket, device and oversized file out of it to
# rejected/<student>/<assignment>/ (with REJECTED.txt); NormaliseSubmission then makes each
# cell's nbgrader metadata agree with the source notebook, so that one student's notebook
# cannot stop the run for the others. nbgrader's own sanitize steps follow unchanged.
# RestoreLockedCells is nbgrader's OverwriteCells, silent about check cells the student did not
# touch (the gradebook keeps them with their hidden tests, so their checksums always differed).
from nbgrader.preprocessors import ClearOutput, DeduplicateIds, OverwriteKernelspec
from autograder.submission import NormaliseSubmission, RestoreLockedCells, pre_convert_hook
c.Autograde.sanitize_preprocessors = [NormaliseSubmission, ClearOutput, DeduplicateIds, OverwriteKernelspec,
                                      RestoreLockedCells, CheckCellMetadata]
c.Autograde.pre_convert_hook = pre_convert_hook

# nbgrader collect: only folders owned by the student their name claims, dated by the file
# system rather than by their name, links copied as links (autograder/exchange.py).
c.ExchangeFactory.collect = "autograder.exchange.SafeCollect"

# Feedback never shows hidden-test code (nbgrader's own feedback does, jupyter/nbgrader#1363).
# ClearHiddenTestsInChecks: the hidden regions of check cells only; a student's own cells are
# shown as they were written (autograder/submission.py).
c.GenerateFeedback.preprocessors = [GetGrades, ClearHiddenTestsInChecks, CSSHTMLHeaderPreprocessor]

# The instructor's browser: the formgrader shows a submission as HTML in a page of the
# instructor's own Jupyter server, and feedback is HTML. nbconvert would copy a student's
# scripts, event handlers and markdown HTML into it (nbgrader's templates render markdown
# unsanitized), where they would act with the instructor's session. InertOutputs (also run at
# autograde time, above) keeps only inert outputs and shows active markdown as text; the two
# filters clean every rendering of markdown and HTML (autograder/safe_html.py). The formgrader
# gets this only when its Jupyter server is started in this folder (it reads this file).
c.HTMLExporter.preprocessors = [InertOutputs]
c.HTMLExporter.sanitize_html = True
c.HTMLExporter.filters = {"markdown2html": "autograder.safe_html.SafeMarkdown",
                          "clean_html": "autograder.safe_html.clean_html"}

# Your limits and settings (exchange, time limits, workers...): course_limits.py, which
# build-course writes once and never overwrites. What it sets wins over the lines above.
load_subconfig("course_limits.py")  # noqa: F821
'''

LIMITS_FILE = "course_limits.py"
LIMITS_CONFIG = '''\
# Limits and settings of this course: yours to edit. `python -m autograder build-course` wrote
# this file once and never overwrites it; nbgrader_config.py loads it last, so what is set here
# wins. See autograder/GRADE_CLASS.md and autograder/INSTRUCTOR.md.
c = get_config()  # noqa: F821

# python -m autograder grade-class (command-line options win over these)
c.GradeClass.cell_timeout = 30        # s, one cell in the kernel (grades do not come from it)
c.GradeClass.notebook_timeout = 300   # s, all cells of a notebook together
c.GradeClass.memory_mb = 1024         # each kernel's sandbox
c.GradeClass.cpu_seconds = 0          # per process; 0 = notebook_timeout + 60
c.GradeClass.max_processes = 64       # processes + threads of one sandbox
c.GradeClass.file_mb = 64             # largest file a submission may write
c.GradeClass.output_kb = 1024         # output kept per cell, the rest dropped
c.GradeClass.workers = 0              # 0 = one per core

# plain `nbgrader autograde` (grades come from the judge; the kernel's limits are safety nets)
c.ClassExecute.timeout = 60           # s per cell in the kernel
c.ClassExecute.notebook_timeout = 600
c.ClassExecute.memory_mb = 2048
# the judge, on both paths (grades come from it; `python -m autograder grade` has the same defaults)
c.TrustedGrades.call_timeout = 10.0   # CPU-seconds per call of student code in the judge
c.TrustedGrades.exercise_timeout = 120.0  # CPU-seconds, all checks of one exercise (>= 12 x call)
c.TrustedGrades.memory_mb = 2048

# nbgrader's exchange (release_assignment, fetch_assignment, submit, collect, feedback): a folder
# every student can reach; see INSTRUCTOR.md, "The exchange on a shared server"
# c.Exchange.root = "/srv/nbgrader/exchange"
'''


def build_course(course_dir: str | Path | None = None, lessons_dir: str | Path = LESSONS) -> Path:
    """Write the nbgrader course; returns its folder."""
    import nbformat
    course = Path(course_dir) if course_dir else ROOT / "autograder" / "course"
    lessons = lesson_paths(Path(lessons_dir))
    if not lessons:
        raise FileNotFoundError(f"no lessons (NN_name.ipynb) in {lessons_dir}")
    new = not course.exists()
    course.mkdir(parents=True, exist_ok=True)
    if new:
        os.chmod(course, 0o700)    # gradebook, submissions and hidden tests: the instructor's alone
    for path in lessons:
        nb = nbformat.read(str(path), as_version=4)
        inst = instructor_notebook(nb)
        out = course / "source" / path.stem / path.name
        out.parent.mkdir(parents=True, exist_ok=True)
        nbformat.write(nbformat.from_dict(inst), str(out))
    (course / "nbgrader_config.py").write_text(CONFIG, encoding="utf-8")
    limits = course / LIMITS_FILE
    if not limits.exists():        # the instructor's own settings: written once, never replaced
        limits.write_text(LIMITS_CONFIG, encoding="utf-8")
    return course


def compare_to_lesson(released: dict, lesson: dict) -> list[str]:
    """Differences (cell sources, types and nbgrader metadata but its checksum) between a
    released notebook and its lesson; empty when they are equal."""
    diffs = []
    a, b = released["cells"], lesson["cells"]
    if len(a) != len(b):
        return [f"{len(a)} cells released, {len(b)} in the lesson"]
    for i, (x, y) in enumerate(zip(a, b)):
        if x["cell_type"] != y["cell_type"]:
            diffs.append(f"cell {i}: type {x['cell_type']} vs {y['cell_type']}")
        if _source(x) != _source(y):
            diffs.append(f"cell {i}: source differs:\n{json.dumps(_source(x))}\n{json.dumps(_source(y))}")
        # nbgrader adds its checksum and the cell type to the metadata it releases
        mx = {k: v for k, v in nbgrader_meta(x).items() if k not in ("checksum", "cell_type")}
        my = {k: v for k, v in nbgrader_meta(y).items() if k != "cell_type"}
        if mx != my:
            diffs.append(f"cell {i}: nbgrader metadata {mx} vs {my}")
    return diffs
