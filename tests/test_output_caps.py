"""The per-cell output cap holds on both execution paths (``grade.execute_notebook`` and
``classexec.ClassExecute``) for messages that do not go through nbclient's ``output()``:

- comm messages carrying widget ``state`` (nbclient keeps every state in memory by default);
- display-id updates (``update_display`` and a second ``display`` with the same id), which
  rewrite earlier outputs in place.

Each test runs a real sandboxed kernel with a low cap, then checks the stored notebook's size,
that the client kept no widget state, and that a following ordinary cell still prints."""
from __future__ import annotations

import json

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_notebook

from autograder import classexec, grade, sandbox

CAP = 64 << 10            # bytes of output per cell, for these tests
MARGIN = 16 << 10         # room for the notebook's own JSON (sources, metadata, notices)
BLOB = 200 << 10          # each attack message carries this much

COMM = f"""
try:
    from comm import create_comm
    c = create_comm(target_name="t", data={{"state": {{"x": "y" * {BLOB}}}}})
except Exception:
    from ipykernel.comm import Comm
    c = Comm(target_name="t", data={{"state": {{"x": "y" * {BLOB}}}}})
blob = "x" * {BLOB}
for i in range(40):
    c.send({{"state": {{f"k{{i}}": blob}}, "buffer_paths": []}})
print("comm done")
"""

UPDATE = f"""
from IPython.display import display, update_display
for i in range(40):
    display({{"text/plain": "."}}, raw=True, display_id=f"d{{i}}")
blob = "x" * {BLOB}
for i in range(40):
    update_display({{"text/plain": blob + str(i)}}, raw=True, display_id=f"d{{i}}")
print("update done")
"""

# one display id shown many times, then one update of each: every copy would be rewritten
SHARED = f"""
from IPython.display import display, update_display
for i in range(200):
    display({{"text/plain": "."}}, raw=True, display_id="same")
update_display({{"text/plain": "x" * {BLOB // 8}}}, raw=True, display_id="same")
display({{"text/plain": "x" * {BLOB // 8}}}, raw=True, display_id="same")
"""

SMALL_UPDATE = """
from IPython.display import display, update_display
display({"text/plain": "old"}, raw=True, display_id="p")
update_display({"text/plain": "new"}, raw=True, display_id="p")
"""

AFTER = "print('after', 6 * 7)"


def _needs_bwrap():
    info = sandbox.probe()
    assert info["userns"], f"the grading sandbox cannot be made here: {info['why']}"


def _notebook(*sources):
    nb = new_notebook(cells=[new_code_cell(s) for s in sources])
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    return nbformat.from_dict(nb)


def _run_grade_path(nb, tmp_path):
    """``python -m autograder grade``'s executor; returns (client-side state, notes)."""
    seen = {}
    from nbclient import NotebookClient
    real = NotebookClient.set_widgets_metadata

    def spy(self):      # called once at the end of execute(): the client's widget memory then
        seen["widget_state"] = dict(self.widget_state)
        seen["widget_buffers"] = dict(self.widget_buffers)
        seen["comm_objects"] = dict(self.comm_objects)
        return real(self)

    NotebookClient.set_widgets_metadata = spy
    try:
        result = grade.execute_notebook(nb, tmp_path, cell_timeout=60, output_bytes=CAP, memory_mb=1024)
    finally:
        NotebookClient.set_widgets_metadata = real
    return seen, result["notes"]


def _run_class_path(nb, tmp_path):
    """nbgrader autograde's executor (``ClassExecute``); returns (client-side state, events)."""
    classexec.EVENTS.clear()
    ep = classexec.ClassExecute(timeout=60, notebook_timeout=300, output_bytes=CAP, memory_mb=1024)
    ep.preprocess(nb, {"metadata": {"path": str(tmp_path)}})
    seen = {"widget_state": ep.widget_state, "widget_buffers": ep.widget_buffers,
            "comm_objects": ep.comm_objects}
    return seen, list(classexec.EVENTS)


PATHS = {"grade": _run_grade_path, "class": _run_class_path}


def _text(cell) -> str:
    return "".join(o.get("text", "") for o in cell.get("outputs", []) if o.get("output_type") == "stream")


def _cell_size(cell) -> int:
    return len(json.dumps(cell.get("outputs", [])))


@pytest.mark.parametrize("path", sorted(PATHS))
def test_comm_state_is_neither_kept_nor_stored(path, tmp_path):
    _needs_bwrap()
    nb = _notebook(COMM, AFTER)
    seen, _ = PATHS[path](nb, tmp_path)
    assert seen["widget_state"] == {} and seen["widget_buffers"] == {} and seen["comm_objects"] == {}
    stored = nbformat.writes(nb)
    assert len(stored) < CAP + MARGIN
    assert "widgets" not in nb.metadata
    assert "comm done" in _text(nb.cells[0])
    assert "after 42" in _text(nb.cells[1])


@pytest.mark.parametrize("path", sorted(PATHS))
def test_display_updates_count_against_the_cap(path, tmp_path):
    _needs_bwrap()
    nb = _notebook(UPDATE, SHARED, AFTER)
    seen, report = PATHS[path](nb, tmp_path)
    assert seen["widget_state"] == {}
    for cell in nb.cells[:2]:
        assert _cell_size(cell) < CAP + MARGIN
    assert len(nbformat.writes(nb)) < 2 * CAP + MARGIN
    # the displays are still there, only the updates over the cap were dropped
    assert sum(o.get("output_type") == "display_data" for o in nb.cells[0].outputs) == 40
    assert "update done" in _text(nb.cells[0])
    assert "after 42" in _text(nb.cells[2])
    # the cap says so, as for any output over it
    if path == "grade":
        assert any(n.startswith("cell 0 printed more than") for n in report), report
        assert any(n.startswith("cell 1 printed more than") for n in report), report
    else:
        assert {e["cell"] for e in report if e["kind"] == "output"} >= {0, 1}, report
        assert "bytes of output dropped" in _text(nb.cells[0])


@pytest.mark.parametrize("path", sorted(PATHS))
def test_a_small_update_still_updates(path, tmp_path):
    _needs_bwrap()
    nb = _notebook(SMALL_UPDATE, AFTER)
    PATHS[path](nb, tmp_path)
    shown = [o["data"]["text/plain"] for o in nb.cells[0].outputs if o.get("output_type") == "display_data"]
    assert shown == ["new"]
    assert "after 42" in _text(nb.cells[1])


# an exception whose message is far larger than the cap: the error output and the
# execute_reply's traceback carry it; neither may grow the stored notebook past the cap
BIG_ERROR = f"raise ValueError('x' * {10 * CAP})"


@pytest.mark.parametrize("path", sorted(PATHS))
def test_a_huge_error_message_counts_against_the_cap(path, tmp_path):
    _needs_bwrap()
    nb = _notebook(BIG_ERROR, AFTER)
    PATHS[path](nb, tmp_path)
    assert _cell_size(nb.cells[0]) < CAP + MARGIN
    assert len(nbformat.writes(nb)) < CAP + MARGIN
    assert "after 42" in _text(nb.cells[1])
