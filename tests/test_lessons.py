"""Every lesson in lessons/ (found at collection time): nbgrader metadata, no outputs, and a
real Jupyter kernel runs it to the end both as shipped (every check says NOT IMPLEMENTED YET)
and with the reference bodies substituted for the stubs (every check passes, and every measured
number of its prose is one it prints: one run serves both)."""
from __future__ import annotations

import json
import os
import re
import time
from pathlib import Path

import nbformat
import pytest

from autograder import core
from autograder.course import (BEGIN_HIDDEN, BEGIN_SOLUTION, END_HIDDEN, END_SOLUTION,
                               check_cell_exercise, instructor_notebook, stub_lines)

from test_lesson_numbers import unprinted

ROOT = Path(__file__).resolve().parents[1]
LESSONS = sorted((ROOT / "lessons").glob("[0-9][0-9]_*.ipynb"))
ALLOWED_KEYS = {"schema_version", "grade", "solution", "locked", "grade_id", "points", "task"}
# a safety net only (a hung kernel must not hang the suite): the per-lesson time goal is measured
# by benchmarks/bench_lessons.py, which prints a table, never asserted here
CELL_TIMEOUT = 900


def _ids(paths):
    return [p.stem for p in paths]


def _meta(cell) -> dict:
    return cell.metadata.get("nbgrader", {})


def _lesson_number(path: Path) -> int:
    return int(path.name[:2])


def _data_env(monkeypatch):
    if not os.environ.get("ANIME_GENRE_DATA_HOME"):
        shared = ROOT.parent / "shared" / "datasets"
        if shared.is_dir():
            monkeypatch.setenv("ANIME_GENRE_DATA_HOME", str(shared))


def _execute(nb) -> float:
    from nbclient import NotebookClient
    t0 = time.monotonic()
    NotebookClient(nb, timeout=CELL_TIMEOUT, allow_errors=True, kernel_name="python3",
                   resources={"metadata": {"path": str(ROOT / "lessons")}}).execute()
    return time.monotonic() - t0


def _errors(nb) -> list[str]:
    out = []
    for i, cell in enumerate(nb.cells):
        for o in cell.get("outputs", []):
            if o.get("output_type") == "error":
                out.append(f"cell {i}: {o.get('ename')}: {o.get('evalue')}")
    return out


def _text(cell) -> str:
    parts = []
    for o in cell.get("outputs", []):
        if o.get("output_type") == "stream":
            parts.append(o.get("text", ""))
        elif "data" in o:
            parts.append(str(o["data"].get("text/plain", "")))
    return "".join(parts)


def _check_cells(nb):
    return [c for c in nb.cells if c.cell_type == "code" and _meta(c).get("grade")]


def test_lessons_exist():
    assert LESSONS, "no lessons/NN_name.ipynb found"


@pytest.mark.parametrize("path", LESSONS, ids=_ids(LESSONS))
def test_metadata_and_no_outputs(path):
    raw = json.loads(path.read_text(encoding="utf-8"))
    assert raw["nbformat"] == 4
    nb = nbformat.reads(path.read_text(encoding="utf-8"), as_version=4)
    nbformat.validate(nb)
    core.load_checks()
    lesson = _lesson_number(path)
    ids, solutions, checks = [], {}, {}
    for i, cell in enumerate(nb.cells):
        src = cell.source
        for marker in (BEGIN_SOLUTION, END_SOLUTION, BEGIN_HIDDEN, END_HIDDEN):
            assert marker not in src, f"cell {i} contains {marker!r}"
        if cell.cell_type == "code":
            assert cell.outputs == [], f"cell {i} has outputs (commit notebooks without outputs)"
            assert cell.execution_count is None, f"cell {i} has an execution count"
        meta = _meta(cell)
        is_stub = bool(stub_lines(src.split("\n")))
        is_check = cell.cell_type == "code" and re.search(r"^check\(", src, re.M) is not None
        if is_stub or is_check:
            assert meta, f"cell {i} needs nbgrader metadata"
        if not meta:
            continue
        assert set(meta) <= ALLOWED_KEYS, f"cell {i}: unexpected nbgrader keys {set(meta) - ALLOWED_KEYS}"
        assert meta["schema_version"] == 3
        assert re.fullmatch(r"[A-Za-z0-9_-]+", meta.get("grade_id", "")), f"cell {i}: bad grade_id"
        ids.append(meta["grade_id"])
        if meta.get("solution"):
            assert meta == {"grade": False, "solution": True, "locked": False,
                            "grade_id": meta["grade_id"], "schema_version": 3}, f"cell {i}: {meta}"
            assert is_stub, f"solution cell {meta['grade_id']} has no stub body"
            solutions[meta["grade_id"]] = i
        elif meta.get("grade"):
            assert meta["locked"] is True and meta["solution"] is False and meta.get("points", 0) > 0
            ex_id = check_cell_exercise(cell)
            assert src == f'check("{ex_id}", {src.split(",", 1)[1].strip()[:-1]})', \
                f"check cell {i} must be exactly check(\"id\", name)"
            assert meta["grade_id"] == ex_id + "_check"
            checks[ex_id] = meta["points"]
        else:
            assert meta.get("locked") is True, f"cell {i}: nbgrader cell that is neither graded nor locked"
        if is_stub:
            assert meta.get("solution"), f"cell {i} has a stub but is not a solution cell"
    assert len(ids) == len(set(ids)), f"duplicate grade_ids: {sorted(i for i in ids if ids.count(i) > 1)}"
    registered = {ex.id: ex for ex in core.REGISTRY.values() if ex.lesson == lesson}
    assert set(solutions) == set(registered), "solution cells and the autograder's exercises differ"
    assert set(checks) == set(registered), "check cells and the autograder's exercises differ"
    for ex_id, points in checks.items():
        assert points == registered[ex_id].points, f"{ex_id}: cell has {points} points, check {registered[ex_id].points}"
        assert solutions[ex_id] < [i for i, c in enumerate(nb.cells) if _meta(c).get("grade_id") == ex_id + "_check"][0]


@pytest.mark.parametrize("path", LESSONS, ids=_ids(LESSONS))
def test_runs_as_shipped(path, monkeypatch):
    _data_env(monkeypatch)
    nb = nbformat.read(str(path), as_version=4)
    seconds = _execute(nb)
    print(f"{path.name} as shipped: {seconds:.1f} s")
    assert _errors(nb) == []
    checks = _check_cells(nb)
    assert checks
    for cell in checks:
        assert "NOT IMPLEMENTED YET" in _text(cell), _text(cell)


@pytest.fixture(scope="module", params=LESSONS, ids=_ids(LESSONS))
def reference_run(request):
    """``(path, executed notebook)``: the lesson with the reference bodies, run once in a real
    kernel with the real data when there is a data home (see ``_data_env``); the two tests
    below read the same run."""
    path = request.param
    with pytest.MonkeyPatch.context() as mp:
        _data_env(mp)
        nb = _reference_notebook(path)
        seconds = _execute(nb)
    print(f"{path.name} with the reference solution: {seconds:.1f} s")
    return path, nb


def test_runs_with_reference_solution(reference_run):
    _assert_every_check_passes(reference_run[1])


def test_prose_numbers_are_printed(reference_run, data_home):
    """A measured number in the lesson's prose is one its code cells print (the rule:
    tests/test_lesson_numbers.py). Needs the real data, whose numbers the prose quotes."""
    path, nb = reference_run
    assert _errors(nb) == []
    assert unprinted(nb, path.stem) == []


def _reference_notebook(path):
    return nbformat.from_dict(instructor_notebook(nbformat.read(str(path), as_version=4),
                                                  markers=False, hidden=False))


def _assert_every_check_passes(nb):
    assert _errors(nb) == []
    for cell in _check_cells(nb):
        text = _text(cell)
        assert "PASSED" in text and "FAIL" not in text, text


def _run_reference_and_check(path, label: str):
    """Run the lesson with the reference bodies in a real kernel; every check must pass."""
    nb = _reference_notebook(path)
    seconds = _execute(nb)
    print(f"{path.name} {label}: {seconds:.1f} s")
    _assert_every_check_passes(nb)
    return nb


@pytest.mark.parametrize("path", LESSONS, ids=_ids(LESSONS))
def test_runs_without_any_data(path, monkeypatch, tmp_path):
    """A student with no data home and no network: the lesson falls back to the project's
    fixtures or a synthetic stand-in, says so, and every check still passes."""
    monkeypatch.delenv("ANIME_GENRE_DATA_HOME", raising=False)
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    nb = _run_reference_and_check(path, "without data")
    said = " ".join(_text(c) for c in nb.cells if c.cell_type == "code").lower()
    reads_data = "ANIME_GENRE_DATA_HOME" in "".join(c.source for c in nb.cells)
    assert not reads_data or re.search(r"synthetic|fixture|stand-in|no data home|not found", said), \
        f"{path.name} does not tell the student that it runs without the real data"
    assert not (tmp_path / "cache" / "anime_genre").exists() or not any(
        (tmp_path / "cache" / "anime_genre").rglob("*.zip")), "a lesson tried to download data"


WRONG_EXERCISES = [
    # a document_frequency summed over the wrong axis (one number per document)
    (3, "l3_document_frequency", "def document_frequency(X):\n    return np.asarray((X > 0).sum(axis=1)).ravel()\n"),
    # a parse_name that assumes every page has an <h1> (AttributeError, not a PageParseError)
    (1, "l1_name", "def parse_name(html):\n"
                   "    return ' '.join(BeautifulSoup(html, 'html.parser').find('h1').get_text().split())\n"),
]


@pytest.mark.parametrize("lesson, grade_id, wrong", WRONG_EXERCISES, ids=[g for _, g, _ in WRONG_EXERCISES])
def test_a_wrong_exercise_is_named_and_the_cells_after_it_still_run(monkeypatch, lesson, grade_id, wrong):
    """A lesson with one wrong exercise: the demonstrations that use it say it was skipped and
    why, instead of a traceback in the first and NameErrors in the cells after it."""
    from grader_cases import submission
    monkeypatch.delenv("ANIME_GENRE_DATA_HOME", raising=False)
    nb = submission(lesson, {grade_id: wrong})
    _execute(nb)
    assert _errors(nb) == []
    said = [_text(c) for c in nb.cells if c.cell_type == "code" and "Skipped: an exercise" in _text(c)]
    assert said, "no cell said it was skipped"
