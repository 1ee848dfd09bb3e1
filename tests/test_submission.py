"""One bad submission never affects another (autograder/submission.py).

Unit tests of :func:`validate_folder`, :func:`check_notebooks`, :func:`normalise_notebook`,
the pre-convert hook and the sanitize preprocessor, on folders and notebooks made here; then
one real class: the course is built (build-course, nbgrader generate_assignment), a correct
submission is graded alone with plain ``nbgrader autograde``, then submissions with bad
nbgrader metadata, links, FIFOs and huge outputs are added and the whole class is graded by
one plain ``nbgrader autograde`` with the course's configuration, then ``generate_feedback``.
Everything happens in pytest's temporary folders.
"""
from __future__ import annotations

import copy
import json
import os
import socket
import stat
import subprocess
import sys
import uuid
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests" / "hostile"))
import submissions as S  # noqa: E402

from autograder.submission import (ClearHiddenTestsInChecks, Limits, NormaliseSubmission,  # noqa: E402
                                   SubmissionRejected, check_notebooks, normalise_notebook,
                                   pre_convert_hook, show, stored_bytes, validate_folder)

A = S.ASSIGNMENT
NB = f"{A}.ipynb"
PY = sys.executable
ENV = {**os.environ, "PATH": f"{Path(PY).parent}:{os.environ.get('PATH', '')}"}


# ----------------------------------------------------------------------------- small notebooks

def _meta(gid, grade=False, solution=False, locked=False, points=None, **extra):
    m = {"grade": grade, "grade_id": gid, "locked": locked, "schema_version": 3, "solution": solution}
    if points is not None:
        m["points"] = points
    m.update(extra)
    return {"nbgrader": m}


def _cell(cell_type, source, metadata=None, **extra):
    c = {"cell_type": cell_type, "metadata": metadata or {}, "source": source}
    if cell_type == "code":
        c.update(outputs=[], execution_count=None)
    c.update(extra)
    return c


def _nb(cells):
    return {"nbformat": 4, "nbformat_minor": 5, "cells": cells,
            "metadata": {"kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"}}}


def source_nb():
    """The instructor's notebook: setup (locked), a solution, its test, a markdown cell."""
    return _nb([
        _cell("code", "import math", _meta("setup", locked=True)),
        _cell("code", "def f(x):\n    return 2 * x", _meta("ex_f", solution=True)),
        _cell("code", "assert f(2) == 4", _meta("ex_f_check", grade=True, locked=True, points=2)),
        _cell("markdown", "Well done."),
    ])


def student_nb():
    """What the student hands in: the release (checksums, cell types) with an answer."""
    nb = source_nb()
    for c in nb["cells"]:
        if "nbgrader" in c["metadata"]:
            c["metadata"]["nbgrader"].update(checksum="0" * 32, cell_type=c["cell_type"])
    return nb


def _ids(nb):
    return [(c["cell_type"], (c["metadata"].get("nbgrader") or {}).get("grade_id")) for c in nb["cells"]]


def _valid_for_nbgrader(nb):
    """nbgrader's own checks of its sanitize step pass and DeduplicateIds has nothing to do."""
    from nbgrader.nbgraderformat import MetadataValidator
    MetadataValidator().validate_nb(nb)
    ids = [c.metadata.nbgrader["grade_id"] for c in nb.cells if "nbgrader" in c.metadata]
    assert len(ids) == len(set(ids)), ids


# ----------------------------------------------------------------------------- normalise_notebook

def test_clean_notebook_needs_no_change():
    nb, notes = normalise_notebook(student_nb(), source_nb())
    assert notes == []
    assert _ids(nb) == _ids(source_nb())
    _valid_for_nbgrader(nb)


def test_a_missing_check_cell_is_said():
    sub = student_nb()
    sub["cells"] = [c for c in sub["cells"] if c["metadata"].get("nbgrader", {}).get("grade_id") != "ex_f_check"]
    _, notes = normalise_notebook(sub, source_nb())
    assert notes == ["ex_f_check: the check cell is missing (deleted, or its metadata changed): its exercise "
                     "has no cell to take its points and scores 0"]


def test_missing_schema_version_is_restored():
    sub = student_nb()
    del sub["cells"][1]["metadata"]["nbgrader"]["schema_version"]
    nb, notes = normalise_notebook(sub, source_nb())
    assert nb.cells[1].metadata.nbgrader.schema_version == 3
    assert notes == ["cell 1 (ex_f): nbgrader schema_version restored from the source"]
    assert "schema_version" not in sub["cells"][1]["metadata"]["nbgrader"]     # the input is not changed
    _valid_for_nbgrader(nb)


def test_flags_points_and_types_come_from_the_source():
    sub = student_nb()
    sub["cells"][2]["metadata"]["nbgrader"].update(solution=True, locked=False, points=100)  # the test, unlocked
    sub["cells"][1]["metadata"]["nbgrader"].update(grade=True, points=5)                     # the answer, graded
    sub["cells"][0]["metadata"]["nbgrader"].update(grade="yes", locked="no", points="2", schema_version="3")
    sub["cells"][3]["metadata"]["nbgrader"] = {"grade": False, "solution": False, "locked": False}  # inert
    nb, notes = normalise_notebook(sub, source_nb())
    for got, want in zip(nb.cells, source_nb()["cells"]):
        mine = {k: v for k, v in got.metadata.get("nbgrader", {}).items() if k not in ("checksum", "cell_type")}
        assert mine == want["metadata"].get("nbgrader", {})
    assert nb.cells[1].metadata.nbgrader.checksum == "0" * 32          # nbgrader's own checksum is kept
    assert notes == ["cell 0 (setup): nbgrader grade, locked, points, schema_version restored from the source",
                     "cell 1 (ex_f): nbgrader grade, points restored from the source",
                     "cell 2 (ex_f_check): nbgrader locked, points, solution restored from the source"]
    _valid_for_nbgrader(nb)


def test_duplicates_after_the_first_lose_their_metadata():
    sub = student_nb()
    scratch = copy.deepcopy(sub["cells"][1])
    scratch["source"] = "# scratch"
    sub["cells"].append(scratch)
    sub["cells"].append(copy.deepcopy(sub["cells"][2]))
    nb, notes = normalise_notebook(sub, source_nb())
    assert nb.cells[1].source.startswith("def f") and nb.cells[1].metadata.nbgrader.grade_id == "ex_f"
    assert "nbgrader" not in nb.cells[4].metadata and "nbgrader" not in nb.cells[5].metadata
    assert nb.cells[4].cell_type == "code"                          # still run, as an ordinary cell
    assert "cell 4 (ex_f): nbgrader metadata dropped (a second cell with this grade_id (cell 1 keeps it))" \
        in notes[0], notes
    _valid_for_nbgrader(nb)


def test_raw_and_markdown_cells_lose_metadata_the_source_does_not_have():
    sub = student_nb()
    bonus = _cell("markdown", "I deserve points", _meta("bonus", grade=True, points=50))
    raw = _cell("raw", "def f(x): return 0", _meta("ex_f", solution=True))
    free = _cell("markdown", "no id", {"nbgrader": {"grade": True, "solution": True, "locked": False,
                                                    "schema_version": 3, "points": 1}})
    sub["cells"][1:1] = [raw]              # before the real answer: the code cell still keeps ex_f
    sub["cells"] += [bonus, free]
    nb, notes = normalise_notebook(sub, source_nb())
    assert _ids(nb) == [("code", "setup"), ("raw", None), ("code", "ex_f"), ("code", "ex_f_check"),
                        ("markdown", None), ("markdown", None), ("markdown", None)]
    assert "grade_id not in the source notebook" in " ".join(notes)
    assert "no grade_id" in " ".join(notes)
    _valid_for_nbgrader(nb)


def test_only_cell_with_an_id_gets_the_source_type_back():
    sub = student_nb()
    sub["cells"][2] = _cell("markdown", "assert f(2) == 4", sub["cells"][2]["metadata"])  # the test made markdown
    nb, notes = normalise_notebook(sub, source_nb())
    assert nb.cells[2].cell_type == "code" and nb.cells[2].outputs == []
    assert "cell 2 (ex_f_check): cell type markdown restored to code (as in the source)" in notes
    _valid_for_nbgrader(nb)


def test_unknown_ids_and_wrong_types_are_dropped():
    sub = student_nb()
    sub["cells"].append(_cell("code", "print('free')", _meta("extra_credit", grade=True, locked=True, points=100)))
    sub["cells"][3]["metadata"] = {"nbgrader": ["not", "a", "mapping"]}
    sub["cells"].append(_cell("markdown", "x", metadata=None))
    sub["cells"][-1]["metadata"] = ["not", "a", "mapping"]
    sub["cells"].append(_cell("code", "y = 1", {"nbgrader": {"grade_id": 7, "grade": True}}))
    nb, notes = normalise_notebook(sub, source_nb())
    assert _ids(nb)[3:] == [("markdown", None), ("code", None), ("markdown", None), ("code", None)]
    assert nb.cells[5].metadata == {}
    text = "\n".join(notes)
    assert "cell 4 (extra_credit): nbgrader metadata dropped (grade_id not in the source notebook)" in text
    assert "cell 3: nbgrader metadata dropped (not a mapping)" in text
    assert "cell 5: metadata was not a mapping; now empty" in text
    assert "cell 6: nbgrader metadata dropped (no grade_id)" in text
    _valid_for_nbgrader(nb)


def test_outputs_are_dropped_and_attachments_kept():
    sub = student_nb()
    sub["cells"][1]["outputs"] = [{"output_type": "stream", "name": "stdout", "text": "hi\n"}]
    sub["cells"][1]["execution_count"] = 3
    sub["cells"][3]["attachments"] = {"a.png": {"image/png": "iVBORw0KGgo="}}
    sub["cells"][3]["source"] = ["Well ", "done."]
    nb, notes = normalise_notebook(sub, source_nb())
    assert nb.cells[1].outputs == [] and nb.cells[1].execution_count is None
    assert nb.cells[3].attachments == {"a.png": {"image/png": "iVBORw0KGgo="}}
    assert nb.cells[3].source == "Well done."
    assert notes == ["outputs of 1 cells dropped (0 KiB; the notebook is run again)"]


def test_metadata_nbformat_rejects_is_removed_and_said():
    """A tag with a comma (nbformat's schema forbids it) made nbgrader refuse the notebook;
    each rejected key goes, with a note, and the rest of the metadata stays."""
    import nbformat
    sub = student_nb()
    sub["cells"][1]["metadata"].update(tags=["mine,yours"], collapsed=False)
    sub["cells"][3]["metadata"]["tags"] = ["fine"]
    sub["metadata"]["kernelspec"] = {"name": 3}
    nb, notes = normalise_notebook(sub, source_nb())
    nbformat.validate(nb)
    _valid_for_nbgrader(nb)
    assert "tags" not in nb.cells[1].metadata and nb.cells[1].metadata.collapsed is False
    assert nb.cells[3].metadata.tags == ["fine"] and "kernelspec" not in nb.metadata
    assert sorted(notes) == ["cell 1: metadata tags removed ('mine,yours' does not match '^[^,]+$')",
                             "notebook: metadata kernelspec removed (3 is not of type 'string')"]


@pytest.mark.parametrize("source", ["x = 1\n### BEGIN HIDDEN TESTS\ny = 2",                  # no END
                                    "### BEGIN HIDDEN TESTS\nnotes\n### END HIDDEN TESTS",   # not a test cell
                                    "### END HIDDEN TESTS\n### BEGIN HIDDEN TESTS\n### BEGIN HIDDEN TESTS",
                                    's = "BEGIN HIDDEN TESTS"'])                                # in a string
@pytest.mark.parametrize("cell", [1, 3])                # the student's solution, a markdown cell
def test_hidden_test_markers_the_student_wrote_are_left_as_written(source, cell):
    """nbgrader's ClearHiddenTests stopped on the instructor's markers in a student's own cell.
    The course's ClearHiddenTestsInChecks clears the check cells only (restored from the
    gradebook): the student's cells, strings included, stay exactly as written, so the code
    graded is the code submitted; a check cell still loses its hidden region."""
    sub = student_nb()
    sub["cells"][cell]["source"] = source
    nb, notes = normalise_notebook(sub, source_nb())
    assert nb.cells[cell].source == source and notes == []
    nb.cells[2].source = "assert f(2) == 4\n### BEGIN HIDDEN TESTS\nassert f(3) == 6\n### END HIDDEN TESTS"
    nb, _ = ClearHiddenTestsInChecks().preprocess(nb, {})
    assert nb.cells[cell].source == source
    assert nb.cells[2].source == "assert f(2) == 4"


def test_cell_ids_nbformat_rejects_are_replaced():
    sub = student_nb()
    for cell, bad in zip(sub["cells"], ["bad id!", "x" * 100, 12345]):
        cell["id"] = bad
    sub["cells"][3]["id"] = "fine-id_1"
    nb, notes = normalise_notebook(sub, source_nb())
    import nbformat
    nbformat.validate(nb)
    assert nb.cells[3].id == "fine-id_1" and len({c.id for c in nb.cells}) == 4
    assert notes == [f"cell {i}: id {show(repr(bad), 40)} is not a valid cell id; replaced"
                     for i, bad in enumerate(["bad id!", "x" * 100, 12345])]


@pytest.mark.parametrize("where", ["output data", "output metadata", "traceback", "attachment", "metadata"])
def test_size_cap_counts_everything_stored(where):
    big = "x" * 60_000
    sub = student_nb()
    c = sub["cells"][1]
    if where == "output data":
        c["outputs"] = [{"output_type": "display_data", "data": {"text/plain": big}, "metadata": {}}]
    elif where == "output metadata":
        c["outputs"] = [{"output_type": "display_data", "data": {"text/plain": "1"}, "metadata": {"junk": big}}]
    elif where == "traceback":
        c["outputs"] = [{"output_type": "error", "ename": "E", "evalue": "", "traceback": [big]}]
    elif where == "attachment":
        sub["cells"][3]["attachments"] = {"a.png": {"image/png": big}}
    else:
        sub["metadata"]["junk"] = big
    assert stored_bytes(sub) > 60_000
    normalise_notebook(sub, source_nb(), Limits(notebook_mb=0.1))
    with pytest.raises(SubmissionRejected, match="over the 0.05 MiB cap"):
        normalise_notebook(sub, source_nb(), Limits(notebook_mb=0.05))


@pytest.mark.parametrize("nb, words", [
    ([], "no list of cells"),
    ({"nbformat": 4, "cells": "x"}, "no list of cells"),
    ({"nbformat": 3, "cells": [], "metadata": {}}, "nbformat 3 is not supported"),
    (_nb([{"cell_type": "code"}, "not a cell"]), "cell 1 is malformed"),
    (_nb([{"cell_type": "html", "source": "", "metadata": {}}]), "cell 0 is malformed"),
    (_nb([{"cell_type": "code", "source": [1, 2], "metadata": {}}]), "cell 0 is malformed"),
    ({"nbformat": 4, "cells": []}, "notebook metadata missing"),
])
def test_what_is_not_a_notebook_is_rejected_in_one_line(nb, words):
    with pytest.raises(SubmissionRejected) as exc:
        normalise_notebook(nb, source_nb())
    assert words in str(exc.value) and "\n" not in str(exc.value)


def test_without_a_source_nbgraders_own_rules_apply():
    sub = student_nb()
    del sub["cells"][1]["metadata"]["nbgrader"]["schema_version"]
    sub["cells"].append(copy.deepcopy(sub["cells"][2]))
    sub["cells"].append(_cell("markdown", "?", _meta("bonus", grade=True, points=5)))
    nb, notes = normalise_notebook(sub, None)
    assert nb.cells[1].metadata.nbgrader.schema_version == 3
    assert _ids(nb)[4:] == [("code", None), ("markdown", None)]
    assert len(notes) == 3, notes
    _valid_for_nbgrader(nb)


# ----------------------------------------------------------------------------- validate_folder

def _write_nb(path: Path, nb=None) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(nb or student_nb()))
    return path


@pytest.fixture
def outside(tmp_path):
    """A secret outside the submission: readable by its owner only."""
    d = tmp_path / "outside"
    d.mkdir(mode=0o700)
    secret = d / "secret.txt"
    secret.write_text("SECRET\n")
    secret.chmod(0o600)
    os.mkfifo(d / "fifo")
    return d


def _by_path(problems):
    return {p.path: p for p in problems}


def test_clean_folder_has_no_problem(tmp_path):
    sub = tmp_path / "sub"
    _write_nb(sub / "a.ipynb")
    (sub / "data").mkdir()
    (sub / "data" / "x.csv").write_text("1,2\n")
    (sub / "timestamp.txt").write_text("2024-01-02 10:00:00.000000 UTC\n")
    assert validate_folder(sub, ["a"]) == []


def test_links_and_special_files_are_reported_never_followed(tmp_path, outside):
    sub = tmp_path / "sub"
    _write_nb(sub / "a.ipynb")
    (sub / "notes").mkdir(parents=True)
    os.symlink(outside / "secret.txt", sub / "data.txt")
    os.symlink(outside / "fifo", sub / "notes" / "pipe-link")      # followed, it would block
    os.symlink(outside, sub / "docs")
    os.symlink("/dev/zero", sub / "zero")
    os.symlink(tmp_path / "nowhere", sub / "dangling")
    os.link(outside / "secret.txt", sub / "copy.txt")
    os.mkfifo(sub / "notes" / "pipe")
    sock = socket.socket(socket.AF_UNIX)
    sock_path = sub / "s"
    try:
        sock.bind(str(sock_path))
        found = _by_path(validate_folder(sub, ["a"]))
    finally:
        sock.close()
    assert {k: p.kind for k, p in found.items()} == {
        "data.txt": "symlink", "notes/pipe-link": "symlink", "docs": "symlink", "zero": "symlink",
        "dangling": "symlink", "copy.txt": "hardlink", "notes/pipe": "special", "s": "special"}
    assert found["data.txt"].detail == f"a symbolic link to {outside / 'secret.txt'}"
    assert "FIFO" in found["notes/pipe"].detail and "socket" in found["s"].detail
    assert all(p.move and p.action for p in found.values())
    assert str(found["data.txt"]).endswith("(submit the file itself, not a link)")


def test_notebook_problems(tmp_path, outside):
    sub = tmp_path / "sub"
    sub.mkdir()
    os.symlink(outside / "secret.txt", sub / "a.ipynb")
    os.mkfifo(sub / "b.ipynb")
    (sub / "c.ipynb").write_text("not json {")
    (sub / "d.ipynb").write_text(json.dumps({"nbformat": 3, "nbformat_minor": 0, "metadata": {}, "cells": [],
                                             "worksheets": []}))
    _write_nb(sub / "e.ipynb")
    (sub / "extra.ipynb").write_text("not one of the assignment's notebooks: an ordinary file")
    found = _by_path(validate_folder(sub, ["a", "b", "c", "d", "e", "f"]))
    assert {k: p.kind for k, p in found.items()} == {
        "a.ipynb": "symlink", "b.ipynb": "special", "c.ipynb": "not_a_notebook",
        "d.ipynb": "not_a_notebook", "f.ipynb": "missing"}
    assert "not valid JSON" in found["c.ipynb"].detail and "nbformat 3" in found["d.ipynb"].detail
    assert not found["f.ipynb"].move


def test_size_and_shape_caps(tmp_path):
    sub = tmp_path / "sub"
    nb = student_nb()
    nb["cells"][1]["outputs"] = [{"output_type": "stream", "name": "stdout", "text": "y" * 80_000}]
    _write_nb(sub / "a.ipynb", nb)
    (sub / "big.bin").write_bytes(b"x" * 70_000)
    (sub / "f1").write_bytes(b"x" * 40_000)
    (sub / "f2").write_bytes(b"x" * 40_000)
    deep = sub / "d1" / "d2" / "d3"
    deep.mkdir(parents=True)
    limits = Limits(notebook_mb=0.05, file_mb=0.05, total_mb=0.07, entries=100, depth=2)
    found = _by_path(validate_folder(sub, ["a"], limits))
    assert {k: p.kind for k, p in found.items()} == {
        "a.ipynb": "too_large", "big.bin": "too_large", "f2": "too_large", "d1/d2/d3": "too_deep"}
    assert "outputs, their metadata and attachments count" in found["a.ipynb"].detail
    assert "exceeds 0.07 MiB" in found["f2"].detail
    many = _by_path(validate_folder(sub, ["a"], Limits(entries=3)))
    assert [k for k, p in many.items() if p.kind == "too_many"] == ["d1/d2", "f1", "f2"]     # d1/d2 is not entered


def test_the_folder_itself(tmp_path, outside):
    assert validate_folder(tmp_path / "none", ["a"])[0].kind == "missing"
    os.symlink(outside, tmp_path / "link")
    (p,) = validate_folder(tmp_path / "link", ["a"])
    assert (p.path, p.kind, p.move) == (".", "symlink", True)


@pytest.mark.parametrize("text, ok", [
    ("2024-01-02 10:00:00.000000 UTC", True), ("", True), ("2024-01-02 10:00:00 Europe/Paris", False),
    ("2024-01-02 10:00:00 ../../etc/shadow", False), ("yesterday-ish", False), ("1" * 300, False)])
def test_timestamp_must_be_a_time_nbgrader_reads_safely(tmp_path, text, ok):
    sub = tmp_path / "sub"
    _write_nb(sub / "a.ipynb")
    (sub / "timestamp.txt").write_text(text)
    found = validate_folder(sub, ["a"])
    assert (found == []) == ok, found
    if not ok:
        assert found[0].kind == "bad_timestamp"


@pytest.mark.parametrize("nb, words", [
    ({**_nb([]), "nbformat_minor": "5"}, "nbformat_minor '5' is not a version number"),
    ({**_nb([]), "nbformat_minor": 5.0}, "nbformat_minor 5.0 is not a version number"),
    ({k: v for k, v in _nb([]).items() if k != "nbformat_minor"}, "nbformat_minor is missing"),
    (_nb([_cell("markdown", "x", attachments={"a.png": "not a mapping"})]), "attachments of cell 0 are malformed"),
    (_nb([_cell("code", "# \ud800")]), "a lone surrogate"),
])
def test_what_nbformats_reader_stops_on_is_refused_in_one_line(tmp_path, nb, words):
    """What stops nbformat's reader (nbgrader's first step) before any repair can run: the
    class paths record it as invalid with this reason, and `grade` refuses it the same way
    (both read the file through grade.read_notebook)."""
    sub = tmp_path / "sub"
    sub.mkdir()
    (sub / "a.ipynb").write_text(json.dumps(nb))
    why = check_notebooks(sub, ["a"])
    assert why.startswith("a.ipynb: ") and words in why and "\n" not in why, why


def test_check_notebooks_reasons(tmp_path, outside):
    """The one-line reasons grade-class records for submissions it does not start nbgrader on."""
    sub = tmp_path / "sub"
    sub.mkdir()
    assert check_notebooks(sub, ["a"]) == "no notebook in sub/ (expected a)"
    os.symlink(outside / "fifo", sub / "a.ipynb")
    assert check_notebooks(sub, ["a"]) == "a.ipynb: is a symbolic link, not a notebook (submit the notebook file itself)"
    os.unlink(sub / "a.ipynb")
    os.mkfifo(sub / "a.ipynb")
    assert check_notebooks(sub, ["a"]) == "a.ipynb: is a FIFO (named pipe), not a notebook"
    os.unlink(sub / "a.ipynb")
    for content, words in [("nope", "not valid JSON"), (json.dumps({"nbformat": 3, "cells": []}), "nbformat 3"),
                           (json.dumps({"nbformat": 4, "nbformat_minor": 5, "cells": []}), "notebook metadata missing")]:
        (sub / "a.ipynb").write_text(content)
        why = check_notebooks(sub, ["a"])
        assert why.startswith("a.ipynb: ") and words in why and str(sub) not in why, why
    _write_nb(sub / "a.ipynb")
    assert check_notebooks(sub, ["a"]) is None


# ----------------------------------------------------------------------------- the hook

def _course(tmp_path, student="s"):
    course = tmp_path / "course"
    _write_nb(course / "source" / "a" / "a.ipynb", source_nb())
    folder = course / "submitted" / student / "a"
    return course, folder, _write_nb(folder / "a.ipynb")


def _rejected(course, student="s"):
    return (course / "rejected" / student / "a" / "REJECTED.txt").read_text()


def test_hook_moves_links_and_special_files_out(tmp_path, outside):
    course, folder, nb = _course(tmp_path)
    os.symlink(outside / "secret.txt", folder / "data.txt")
    (folder / "sub").mkdir()
    os.mkfifo(folder / "sub" / "pipe")
    (folder / "keep.csv").write_text("1\n")
    notebooks = [str(nb)]
    lines = pre_convert_hook(assignment="a", student="*", notebooks=notebooks)
    assert notebooks == [str(nb)]                          # the notebook itself is fine
    assert sorted(os.listdir(folder)) == ["a.ipynb", "keep.csv", "sub"] and os.listdir(folder / "sub") == []
    (run,) = [p for p in (course / "rejected" / "s" / "a").iterdir() if p.is_dir()]
    assert os.readlink(run / "data.txt") == str(outside / "secret.txt")     # the link itself, moved
    assert stat.S_ISFIFO(os.lstat(run / "sub" / "pipe").st_mode)
    record = _rejected(course)
    assert record.count("\n") == 2 and record == "".join(line + "\n" for line in lines)
    assert f"data.txt: a symbolic link to {outside / 'secret.txt'}; moved to rejected/s/a/{run.name}/data.txt" in record
    assert "sub/pipe: a FIFO (named pipe), not a file; moved to" in record
    assert (outside / "secret.txt").read_text() == "SECRET\n"
    assert pre_convert_hook(assignment="a", student="s", notebooks=notebooks) == []   # nothing left to do


def test_hook_drops_rejected_notebooks_from_nbgraders_list(tmp_path, outside):
    course, folder, nb = _course(tmp_path)
    os.unlink(nb)
    os.symlink(outside / "fifo", nb)
    notebooks = [str(nb)]
    pre_convert_hook(assignment="a", student="*", notebooks=notebooks)
    assert notebooks == [] and not os.path.lexists(nb)
    assert "a.ipynb: a symbolic link to" in _rejected(course)


def test_hook_moves_a_linked_folder(tmp_path, outside):
    course, folder, nb = _course(tmp_path)
    elsewhere = tmp_path / "elsewhere"
    folder.rename(elsewhere)
    os.symlink(elsewhere, folder)
    notebooks = [str(nb)]
    pre_convert_hook(assignment="a", student="s", notebooks=notebooks)
    assert notebooks == [] and not os.path.lexists(folder) and (elsewhere / "a.ipynb").exists()
    assert ".: the submission folder is a symbolic link to" in _rejected(course)


def test_hook_never_raises_and_fails_closed(tmp_path, monkeypatch):
    assert pre_convert_hook(assignment="a", student="*", notebooks=None) == []
    assert pre_convert_hook(assignment="a", student="*", notebooks=[str(tmp_path / "x" / "y" / "z" / "n.ipynb")]) == []
    course, folder, nb = _course(tmp_path)
    import autograder.submission as sub

    def broken(*a, **k):
        raise RuntimeError("boom")
    monkeypatch.setattr(sub, "validate_folder", broken)
    notebooks = [str(nb)]
    lines = pre_convert_hook(assignment="a", student="*", notebooks=notebooks)
    assert notebooks == [] and not folder.exists()         # nothing left for nbgrader to copy
    assert "could not be checked (RuntimeError: boom)" in lines[0] and lines[0] in _rejected(course)


def test_preprocessor_reads_the_source_notebook(tmp_path):
    import nbformat
    from traitlets.config import Config
    course, folder, _ = _course(tmp_path)
    cfg = Config()
    cfg.CourseDirectory.root = str(course)
    pp = NormaliseSubmission(config=cfg)
    sub = student_nb()
    del sub["cells"][2]["metadata"]["nbgrader"]["schema_version"]
    sub["cells"][2]["metadata"]["nbgrader"]["points"] = 99
    resources = {"nbgrader": {"student": "s", "assignment": "a", "notebook": "a"}}
    nb, _ = pp.preprocess(nbformat.from_dict(sub), resources)
    assert nb.cells[2].metadata.nbgrader.points == 2 and nb.cells[2].metadata.nbgrader.schema_version == 3
    nb, _ = pp.preprocess(nbformat.from_dict(sub), {"nbgrader": {"student": "s", "assignment": "b", "notebook": "a"}})
    assert nb.cells[2].metadata.nbgrader.points == 99 and nb.cells[2].metadata.nbgrader.schema_version == 3
    with pytest.raises(SubmissionRejected):
        pp.preprocess(nbformat.from_dict({"nbformat": 4, "cells": [], "metadata": {}}), resources)


# ----------------------------------------------------------------------------- one real class

CANARY = "CANARY-" + uuid.uuid4().hex


def _solved(release, source):
    return S.build("solved", release, source, {})


def _nbg(cell):
    return cell["metadata"]["nbgrader"]


def m_no_schema(nb):
    for gid in ("l4_sigmoid", "l4_sigmoid_check"):
        del _nbg(nb["cells"][S.cell_index(nb, gid)])["schema_version"]


def m_duplicate(nb):
    scratch = copy.deepcopy(nb["cells"][S.cell_index(nb, "l4_sigmoid")])
    scratch["source"] = "# scratch: nothing here\n"
    nb["cells"].append(scratch)
    nb["cells"].append(copy.deepcopy(nb["cells"][S.cell_index(nb, "l4_softmax_check")]))


def m_raw_markdown(nb):
    i = S.cell_index(nb, "l4_softmax")
    nb["cells"].insert(i, {"cell_type": "raw", "source": "def softmax(x):\n    return x",
                           "metadata": _meta("l4_softmax", solution=True)})
    nb["cells"].append({"cell_type": "markdown", "source": "Bonus: I deserve 50 points.",
                        "metadata": _meta("bonus", grade=True, points=50)})


def m_unknown_id(nb):
    nb["cells"].append({"cell_type": "code", "source": "print('extra credit')", "outputs": [],
                        "execution_count": None,
                        "metadata": _meta("extra_credit", grade=True, locked=True, points=100)})


def m_wrong_types(nb):
    _nbg(nb["cells"][S.cell_index(nb, "l4_sigmoid_check")]).update(
        grade="yes", solution=0, locked="no", points="200", schema_version="3")
    _nbg(nb["cells"][S.cell_index(nb, "l4_log_sigmoid")]).update(grade=True, points=5)   # an answer as a test
    _nbg(nb["cells"][S.cell_index(nb, "l4_softmax_check")]).update(solution=True, locked=False, points=100)
    nb["cells"][0]["metadata"]["nbgrader"] = ["not", "a", "mapping"]


METADATA_CASES = {"m_no_schema": m_no_schema, "m_duplicate": m_duplicate, "m_raw_markdown": m_raw_markdown,
                  "m_unknown_id": m_unknown_id, "m_wrong_types": m_wrong_types}


def _big_output(nb, mb: float):
    c = nb["cells"][S.cell_index(nb, "l4_sigmoid")]
    c["outputs"] = [
        {"output_type": "stream", "name": "stdout", "text": "x" * int(mb * 2**20 / 3)},
        {"output_type": "display_data", "data": {"text/plain": "1"}, "metadata": {"junk": "m" * int(mb * 2**20 / 3)}},
        {"output_type": "error", "ename": "E", "evalue": "e", "traceback": ["t" * int(mb * 2**20 / 3)]},
    ]
    c["execution_count"] = 1


def _folder(course, student) -> Path:
    return course / "submitted" / student / A


def write_class(course: Path, outside: Path):
    release, source = S.load(course)
    for student, edit in METADATA_CASES.items():
        nb = _solved(release, source)
        edit(nb)
        S.write(course, student, nb)

    S.write(course, "f_symlink", _solved(release, source))
    f = _folder(course, "f_symlink")
    (f / "notes").mkdir()
    os.symlink(outside / "canary.txt", f / "data.txt")
    os.symlink(outside / "canary.txt", f / "notes" / "more.txt")
    os.symlink(outside, f / "docs")
    os.link(outside / "canary.txt", f / "copy.txt")

    f = _folder(course, "f_symlink_nb")
    f.mkdir(parents=True)
    os.symlink(outside / "canary.ipynb", f / NB)

    S.write(course, "f_fifo", _solved(release, source))
    f = _folder(course, "f_fifo")
    (f / "nested").mkdir()
    os.mkfifo(f / "pipe")
    os.mkfifo(f / "nested" / "pipe2")
    os.symlink("/dev/zero", f / "zero")
    os.symlink(outside / "fifo", f / "fifo-link")

    f = _folder(course, "f_fifo_nb")
    f.mkdir(parents=True)
    os.mkfifo(f / NB)

    nb = _solved(release, source)
    _big_output(nb, 25)                 # over the 20 MiB notebook cap
    S.write(course, "o_huge", nb)
    nb = _solved(release, source)
    _big_output(nb, 6)                  # under it: outputs are dropped and the notebook graded
    S.write(course, "o_big", nb)


REJECTED_NOTEBOOK = {"f_symlink_nb", "f_fifo_nb", "o_huge"}
STUDENTS = {"alice", *METADATA_CASES, "f_symlink", "f_symlink_nb", "f_fifo", "f_fifo_nb", "o_huge", "o_big"}


def _nbgrader(course: Path, *args):
    return subprocess.run(["nbgrader", *args], env=ENV, cwd=course, capture_output=True, text=True)


def _scores(course: Path) -> dict:
    from nbgrader.api import Gradebook
    with Gradebook(f"sqlite:///{course}/gradebook.db", "anime-genre") as gb:
        return {s.student.id: (float(s.score), float(s.max_score)) for s in gb.assignment_submissions(A)}


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    base = tmp_path_factory.mktemp("submission-class")
    course = base / "course"
    subprocess.run([PY, "-m", "autograder", "build-course", str(course)], check=True, env=ENV, cwd=ROOT,
                   capture_output=True)
    subprocess.run(["nbgrader", "generate_assignment", A, "--force"], check=True, env=ENV, cwd=course,
                   capture_output=True)
    outside = base / "outside"
    outside.mkdir(mode=0o700)
    (outside / "canary.txt").write_text(CANARY + "\n")
    canary_nb = _nb([_cell("markdown", CANARY)])
    (outside / "canary.ipynb").write_text(json.dumps(canary_nb))
    for name in ("canary.txt", "canary.ipynb"):
        (outside / name).chmod(0o600)
    os.mkfifo(outside / "fifo")
    release, source = S.load(course)
    S.write(course, "alice", _solved(release, source))

    alone = _nbgrader(course, "autograde", A, "--student", "alice")
    assert alone.returncode == 0, alone.stderr[-3000:]
    alone_scores = _scores(course)

    write_class(course, outside)
    run = _nbgrader(course, "autograde", A, "--force")
    feedback = _nbgrader(course, "generate_feedback", A, "--force")
    return {"course": course, "outside": outside, "alone": alone_scores, "run": run, "feedback": feedback,
            "scores": _scores(course)}


def test_every_student_is_in_the_gradebook(graded):
    assert set(graded["scores"]) == STUDENTS, graded["run"].stderr[-3000:]


def test_correct_submission_scores_as_when_graded_alone(graded):
    assert graded["alone"]["alice"] == (12.0, 12.0)
    assert graded["scores"]["alice"] == graded["alone"]["alice"]


def test_bad_metadata_is_graded_on_the_real_answers(graded):
    err = graded["run"].stderr
    assert "old version" not in err and "Notebook failed to validate" not in err
    for student in [*METADATA_CASES, "f_symlink", "f_fifo", "o_big"]:
        assert graded["scores"][student] == (12.0, 12.0), (student, graded["scores"][student])
        assert (graded["course"] / "autograded" / student / A / NB).exists(), student
    for note in ["m_no_schema/04_sigmoid_vs_softmax: cell 3 (l4_sigmoid): nbgrader schema_version restored",
                 "a second cell with this grade_id", "grade_id not in the source notebook",
                 "m_wrong_types/04_sigmoid_vs_softmax: cell 0: nbgrader metadata dropped (not a mapping)"]:
        assert note in err, note


def test_only_the_rejected_notebooks_fail(graded):
    failed = {line.rsplit("'", 2)[-2] for line in graded["run"].stderr.splitlines()
              if "There was an error processing assignment" in line and "for student" in line}
    assert failed == REJECTED_NOTEBOOK
    assert graded["run"].returncode != 0            # nbgrader says some students failed
    for student in REJECTED_NOTEBOOK:
        assert graded["scores"][student] == (0.0, 12.0)


def test_canary_never_reaches_autograded_or_feedback(graded):
    course = graded["course"]
    assert graded["feedback"].returncode == 0, graded["feedback"].stderr[-3000:]
    assert (course / "feedback" / "alice" / A / f"{A}.html").exists()
    looked = 0
    for top in ("autograded", "feedback"):
        for dirpath, dirnames, filenames in os.walk(course / top):
            for name in dirnames + filenames:
                path = os.path.join(dirpath, name)
                assert not os.path.islink(path), path
                if name in filenames:
                    assert CANARY.encode() not in Path(path).read_bytes(), path
                    looked += 1
    assert looked >= 2 * len(STUDENTS - REJECTED_NOTEBOOK)
    assert not (course / "autograded" / "f_symlink" / A / "data.txt").exists()
    assert (graded["outside"] / "canary.txt").read_text() == CANARY + "\n"


def test_outputs_are_not_kept(graded):
    path = graded["course"] / "autograded" / "o_big" / A / NB
    assert path.stat().st_size < 200_000
    assert "mmmmmmmmmm" not in path.read_text()


def _record(graded, student) -> str:
    return (graded["course"] / "rejected" / student / A / "REJECTED.txt").read_text()


def test_the_record_says_what_was_rejected(graded):
    outside = graded["outside"]
    rec = _record(graded, "f_symlink")
    for words in [f"data.txt: a symbolic link to {outside / 'canary.txt'}; moved to rejected/f_symlink/",
                  "notes/more.txt: a symbolic link to", f"docs: a symbolic link to {outside};",
                  "copy.txt: a hard link (2 names for one file)"]:
        assert words in rec, (words, rec)
    rec = _record(graded, "f_fifo")
    for words in ["pipe: a FIFO (named pipe), not a file", "nested/pipe2: a FIFO", "zero: a symbolic link to /dev/zero",
                  "fifo-link: a symbolic link to"]:
        assert words in rec, (words, rec)
    assert f"{NB}: a FIFO (named pipe), not a file" in _record(graded, "f_fifo_nb")
    assert f"{NB}: a symbolic link to {outside / 'canary.ipynb'}" in _record(graded, "f_symlink_nb")
    assert f"{NB}: notebook of 25.0 MiB, over the 20 MiB cap" in _record(graded, "o_huge")
    for student in [*METADATA_CASES, "alice", "o_big"]:
        assert not (graded["course"] / "rejected" / student).exists(), student
    assert CANARY not in "".join(_record(graded, s) for s in ("f_symlink", "f_symlink_nb"))
