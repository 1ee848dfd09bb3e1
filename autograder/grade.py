"""Grade one notebook: execute it in a fresh kernel, then judge every exercise of its lesson.

    report = grade_notebook("submission.ipynb", execute=True, limits=Limits())
    print(report.table())          # or report.as_dict() for JSON

The exercises graded are the registry's exercises of the notebook's lesson (found from the
grade_ids, else the file name), not whatever the student's cells claim; an exercise whose
solution cell is missing scores 0 with a message. Points come only from the judge
(:mod:`autograder.judge`); executing the notebook gives the student's executed copy and
reports cells that time out or fail, but never changes a grade.
"""
from __future__ import annotations

import dataclasses
import json
import os
import stat
import time
from pathlib import Path

from . import core
from .judge import Limits, exercises_of_lesson, judge_notebook, lesson_of


MAX_NOTEBOOK = 64 << 20


class GradingError(Exception):
    """The notebook cannot be graded at all (missing file, not a notebook, unknown lesson)."""


@dataclasses.dataclass
class GradeReport:
    notebook: str
    lesson: int
    results: list                                   # list[core.Result], registry order
    execution: dict = dataclasses.field(default_factory=dict)   # errors/timeouts, seconds
    seconds: float = 0.0
    isolation: str = "sandboxed"                    # or "unsandboxed" (--unsafe-no-sandbox)
    warnings: list = dataclasses.field(default_factory=list)   # what the grade does not show

    @property
    def total(self) -> float:
        return round(sum(r.points for r in self.results), 2)

    @property
    def max_total(self) -> float:
        return round(sum(r.max_points for r in self.results), 2)

    def as_dict(self) -> dict:
        return {"notebook": self.notebook, "lesson": self.lesson, "total": self.total, "max_total": self.max_total,
                "isolation": self.isolation, "exercises": [r.as_dict() for r in self.results],
                "warnings": list(self.warnings)}

    def table(self) -> str:
        width = max([len(r.id) for r in self.results] + [8])
        lines = [f"{self.notebook}  (lesson {self.lesson})",
                 f"{'exercise':<{width}}  {'points':>11}  status           message",
                 "-" * (width + 60)]
        for r in self.results:
            msg = r.message.splitlines()[0] if r.message else ""
            if len(msg) > 100:
                msg = msg[:97] + "..."
            lines.append(f"{r.id:<{width}}  {r.points:>5g} / {r.max_points:<3g}  {r.status:<15}  {msg}")
        lines.append("-" * (width + 60))
        lines.append(f"{'total':<{width}}  {self.total:>5g} / {self.max_total:<3g}")
        for note in self.execution.get("notes", []):
            lines.append(f"note: {note}")
        lines += [f"warning: {w}" for w in self.warnings]
        return "\n".join(lines)


class Node(dict):
    """A dict with attribute access, like nbformat's NotebookNode — without importing
    nbformat, whose JSON-schema dependencies take about 2 s to import."""

    def __getattr__(self, key):
        try:
            return self[key]
        except KeyError:
            raise AttributeError(key) from None

    def __setattr__(self, key, value):
        self[key] = value


def _node(obj):
    if isinstance(obj, dict):
        return Node({k: _node(v) for k, v in obj.items()})
    if isinstance(obj, list):
        return [_node(v) for v in obj]
    return obj


def read_notebook(path: str | Path) -> Node:
    """Read a notebook (nbformat 4), or raise GradingError with a one-line reason."""
    path = Path(path)
    try:
        st = os.lstat(path)
    except FileNotFoundError:
        raise GradingError(f"{path}: no such file") from None
    except OSError as exc:
        raise GradingError(f"{path}: cannot be read ({exc.strerror})") from None
    if stat.S_ISLNK(st.st_mode):
        # a student's notebook that links elsewhere (another student's file, a device) is not
        # followed: grade the real file instead
        raise GradingError(f"{path}: is a symbolic link, not a notebook (grade the file it points to)")
    if stat.S_ISDIR(st.st_mode):
        raise GradingError(f"{path}: is a directory, not a notebook")
    try:
        # never block on a FIFO or read a device: a regular file, at most MAX_NOTEBOOK bytes
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_NOFOLLOW)
        with os.fdopen(fd, "rb") as f:
            if not stat.S_ISREG(os.fstat(f.fileno()).st_mode):
                raise GradingError(f"{path}: not a regular file")
            data = f.read(MAX_NOTEBOOK + 1)
        if len(data) > MAX_NOTEBOOK:
            raise GradingError(f"{path}: larger than {MAX_NOTEBOOK >> 20} MiB, not graded")
        text = data.decode("utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise GradingError(f"{path}: cannot be read ({exc})") from None
    try:
        raw = json.loads(text)
    except ValueError as exc:
        raise GradingError(f"{path}: not a notebook (not valid JSON: {exc})") from None
    if not isinstance(raw, dict) or not isinstance(raw.get("cells"), list):
        raise GradingError(f"{path}: not a notebook (no list of cells)")
    if raw.get("nbformat") != 4:
        raise GradingError(f"{path}: nbformat {raw.get('nbformat')!r} is not supported (need 4)")
    # Only the structure the grader reads is checked: full schema validation costs ~2 s of
    # start-up and a notebook with, say, odd output metadata can still be graded.
    for i, cell in enumerate(raw["cells"]):
        if not isinstance(cell, dict) or cell.get("cell_type") not in ("code", "markdown", "raw") \
                or not isinstance(cell.get("source", ""), (str, list)) \
                or not isinstance(cell.get("metadata", {}), dict):
            raise GradingError(f"{path}: not a valid notebook (cell {i} is malformed)")
    why = structure_problem(raw)
    if why:
        raise GradingError(f"{path}: {why}")
    return _node(raw)


def structure_problem(raw: dict) -> str | None:
    """What stops nbformat's own reader (nbgrader's first step, before any repair can run) in
    a notebook with a list of cells, or None; each path of the grader refuses it the same way."""
    minor = raw.get("nbformat_minor")
    if not isinstance(minor, int) or isinstance(minor, bool) or minor < 0:
        what = "is missing" if "nbformat_minor" not in raw else f"{core._short(minor, 40)} is not a version number"
        return f"not a valid notebook (nbformat_minor {what}: open it in Jupyter and save it again)"
    for i, cell in enumerate(raw["cells"]):
        att = cell.get("attachments") if isinstance(cell, dict) else None
        if att is not None and not (isinstance(att, dict) and all(isinstance(v, dict) for v in att.values())):
            return f"not a valid notebook (the attachments of cell {i} are malformed)"
    try:
        json.dumps(raw, ensure_ascii=False).encode("utf-8")
    except UnicodeEncodeError:
        return "not a valid notebook (it holds text that is not Unicode: a lone surrogate such as \\ud800)"
    except (RecursionError, ValueError, TypeError):
        return "not a valid notebook (nested too deeply)"
    return None


# what a cell that timed out shows (nbclient's error_on_timeout: interrupt once, then go on)
TIMEOUT_REPLY = {"ename": "CellTimeoutError", "evalue": "the cell ran longer than its time limit",
                 "traceback": ["CellTimeoutError: the cell ran longer than its time limit"]}


def stored_size(content) -> int:
    """Bytes an output would take in the notebook: all of it (text, every MIME type's data,
    metadata, traceback), not just the text."""
    try:
        return len(json.dumps(content, default=str))
    except (TypeError, ValueError, RecursionError):
        return 1 << 30


class OutputCap:
    """Mixin for an nbclient ``NotebookClient`` (``CappedClient`` below, and
    :class:`autograder.classexec.ClassExecute`): at most ``self.output_bytes`` stored per cell,
    whatever route a kernel message takes into the notebook or into the client's memory.

    - ``output()``: every output is charged its :func:`stored_size`; over the cap it is dropped.
    - display-id updates (``update_display_data``, or a ``display_data``/``execute_result``
      reusing a display id) rewrite earlier outputs in place through ``_update_display_id``,
      never through ``output()``: each is charged its new data and metadata times the number of
      outputs it rewrites, to the cell that sends it, and dropped over the cap.
    - comm messages are ignored: nbclient would keep every widget ``state`` and buffer in
      memory (``widget_state``, unbounded) and mimic Output widgets; no grade depends on a
      widget, and outputs sent inside an Output widget simply land in the cell, capped.
    - ``execution_count`` from the kernel is kept only when it is a small integer.

    ``_cap_dropped`` maps a cell index to the bytes dropped there (reset with the client's
    other per-run trackers)."""

    output_bytes: int

    def reset_execution_trackers(self) -> None:
        super().reset_execution_trackers()
        self.store_widget_state = False
        self._cap_used: dict[int, int] = {}
        self._cap_dropped: dict[int, int] = {}
        self._cap_cell: int | None = None

    def _charge(self, cell_index, size: int) -> bool:
        """Count ``size`` bytes against the cell's budget; False (and counted as dropped) if
        they do not fit."""
        used = self._cap_used.get(cell_index, 0)
        if used + size > self.output_bytes:
            self._cap_dropped[cell_index] = self._cap_dropped.get(cell_index, 0) + size
            return False
        self._cap_used[cell_index] = used + size
        return True

    def process_message(self, msg, cell, cell_index):
        self._cap_cell = cell_index
        content = msg.get("content")
        if isinstance(content, dict) and "execution_count" in content:
            n = content["execution_count"]
            if not (n is None or (type(n) is int and 0 <= n < 1 << 31)):
                del content["execution_count"]
        return super().process_message(msg, cell, cell_index)

    def output(self, outs, msg, display_id, cell_index):
        if not self._charge(cell_index, stored_size(msg.get("content", {}))):
            return None
        return super().output(outs, msg, display_id, cell_index)

    def _update_display_id(self, display_id, msg):
        places = sum(len(ix) for ix in self._display_id_map.get(display_id, {}).values())
        if not places:
            return None
        content = msg.get("content", {})
        size = stored_size({"data": content.get("data"), "metadata": content.get("metadata")})
        if not self._charge(self._cap_cell, size * places):
            return None
        return super()._update_display_id(display_id, msg)

    def handle_comm_msg(self, outs, msg, cell_index):
        return None


def execute_notebook(nb, cwd: Path, cell_timeout: float = 60.0, kernel_name: str = "python3",
                     output_bytes: int = 1 << 20, memory_mb: int = 2048,
                     notebook_timeout: float = 600.0) -> dict:
    """Run the notebook in a fresh *sandboxed* kernel (outputs are written into ``nb``; at most
    ``output_bytes`` of output kept per cell; cells not started once ``notebook_timeout``
    seconds are spent). Returns ``{"seconds", "notes"}``: one note per cell that raised or
    timed out."""
    from nbclient import NotebookClient
    from nbclient.exceptions import CellTimeoutError, DeadKernelError

    from .sandbox import SandboxKernelManager

    class CappedClient(OutputCap, NotebookClient):
        async def async_execute_cell(self, cell, cell_index, *args, **kwargs):
            if cell.cell_type == "code" and (self._stuck or time.monotonic() - t0 > notebook_timeout):
                self._skipped.add(cell_index)
                return cell
            return await super().async_execute_cell(cell, cell_index, *args, **kwargs)

        async def _async_handle_timeout(self, timeout, cell=None):
            # interrupt once, then move on: the cells after it are not run (a kernel that did
            # not answer in time may never answer; grades come from the judge anyway)
            self._stuck = True
            return await super()._async_handle_timeout(timeout, cell)

    t0 = time.monotonic()
    notes = []
    km = SandboxKernelManager(kernel_name=kernel_name, limits={"memory_mb": memory_mb},
                              max_message_bytes=max(output_bytes, 1 << 20) + (1 << 20))
    client = CappedClient(nb, km=km, timeout=cell_timeout, allow_errors=True, kernel_name=kernel_name,
                          interrupt_on_timeout=True, error_on_timeout=TIMEOUT_REPLY,
                          shutdown_kernel="immediate",
                          resources={"metadata": {"path": str(cwd)}})
    client.output_bytes, client._skipped, client._stuck = output_bytes, set(), False
    try:
        client.execute()
    except CellTimeoutError as exc:
        notes.append(f"execution stopped: a cell ran longer than {cell_timeout:g} s ({str(exc).splitlines()[0]})")
    except DeadKernelError as exc:
        notes.append(f"execution stopped: the kernel died ({str(exc).splitlines()[0][:120]})")
    except Exception as exc:   # a kernel that cannot start is reported, grading goes on
        notes.append(f"execution failed: {type(exc).__name__}: {str(exc).splitlines()[0][:160] if str(exc) else ''}")
    finally:
        # the manager is ours (nbclient cleans up only managers it made): stop the kernel,
        # end its sandbox and close every ZMQ socket and context now
        client.km = km
        client._cleanup_kernel()
    if client._skipped:
        why = (f"a cell ran longer than {cell_timeout:g} s" if client._stuck
               else f"the notebook time limit of {notebook_timeout:g} s was used up")
        notes.append(f"cells {min(client._skipped)} to {max(client._skipped)} not run: {why}")
    for i in sorted(client._cap_dropped):
        notes.append(f"cell {i} printed more than {output_bytes} bytes: the rest was dropped")
    for i, cell in enumerate(nb.cells):
        for out in cell.get("outputs", []):
            if out.get("output_type") == "error":
                notes.append(f"cell {i} raised {out.get('ename')}: {str(out.get('evalue'))[:100]}")
    return {"seconds": round(time.monotonic() - t0, 2), "notes": notes}


def _lesson_file(lesson: int) -> Path | None:
    """The course's own notebook of ``lesson`` (None in a copy without lessons)."""
    found = sorted((Path(__file__).resolve().parents[1] / "lessons").glob(f"{lesson:02d}_*.ipynb"))
    return found[0] if found else None


def _as_released(nb, lesson: int, name: str):
    """``(notebook, the grade ids of its check cells)``: the notebook as nbgrader's paths grade
    it. The nbgrader metadata comes from the lesson as released (``NormaliseSubmission``), and
    the locked cells, check cells included, get their source back (``RestoreLockedCells``): a
    solution cell the student unflagged, a cell they flagged themselves or an edited locked
    cell must not change what is run and graded here either. ``None`` for the ids where
    there is no lesson to compare with (a student's copy of the checks, without nbgrader)."""
    try:
        from .submission import SubmissionRejected, normalise_notebook
    except ImportError:
        return nb, None
    found = _lesson_file(lesson)
    if found is None:
        return nb, None
    source = json.loads(found.read_text(encoding="utf-8"))
    try:
        nb = normalise_notebook(nb, source)[0]
    except SubmissionRejected as exc:
        raise GradingError(f"{name}: {exc}") from None
    released = {}
    for cell in source["cells"]:
        meta = (cell.get("metadata") or {}).get("nbgrader") or {}
        if meta.get("grade_id") and (meta.get("locked") or meta.get("grade")) and not meta.get("solution"):
            released[meta["grade_id"]] = cell
    checks = set()
    for cell in nb["cells"]:
        meta = (cell.get("metadata") or {}).get("nbgrader") or {}
        gid = meta.get("grade_id")
        if gid in released:
            cell["source"] = released[gid]["source"]
            if meta.get("grade"):
                checks.add(gid)
    return nb, checks


def _without_check_cell(result, check_id: str):
    """The result of an exercise whose check cell is gone: nbgrader has no cell to put its
    points in, so the nbgrader paths give it 0 (this says why)."""
    why = (f"its check cell ({check_id}) is missing from the notebook (deleted, or its metadata changed): "
           "the graded notebook has no cell for these points")
    return core.Result(result.id, 0.0, result.max_points, "error", why,
                       [core.SubCheck("check cell present", False, why)])


def grade_nb(nb, name: str = "notebook", limits: Limits | None = None,
             hidden: bool = True) -> GradeReport:
    """Judge every exercise of the notebook's lesson (no execution)."""
    t0 = time.monotonic()
    lesson = lesson_of(nb, name)
    if lesson is None:
        raise GradingError(f"{name}: cannot tell which lesson this is (no grade_id like 'l4_...' "
                           "and the file name does not start with the lesson number)")
    exercises = exercises_of_lesson(lesson, hidden=hidden)
    if not exercises:
        raise GradingError(f"{name}: lesson {lesson} has no exercises in the autograder")
    nb, checks = _as_released(nb, lesson, name)
    results = judge_notebook(nb, [ex.id for ex in exercises], limits, hidden=hidden)
    if checks is not None:
        results = [r if f"{r.id}_check" in checks else _without_check_cell(r, f"{r.id}_check") for r in results]
    return GradeReport(notebook=name, lesson=lesson, results=results,
                       seconds=round(time.monotonic() - t0, 2))


def grade_notebook(path: str | Path, execute: bool = True, limits: Limits | None = None,
                   hidden: bool = True, executed_path: str | Path | None = None,
                   cell_timeout: float = 60.0, memory_mb: int = 2048) -> GradeReport:
    """Grade the notebook at ``path`` (``memory_mb``: the kernel's sandbox; the judge's is in
    ``limits``). Raises :class:`GradingError` only when the file is not
    a gradable notebook; everything the student's code does becomes a status."""
    from . import sandbox
    t0 = time.monotonic()
    path = Path(path)
    try:     # the nbgrader paths' own test of the file (its size on disk, for one)
        from .submission import check_notebook
    except ImportError:     # a student's copy of the checks, without nbgrader
        check_notebook = None
    why = check_notebook(path) if check_notebook is not None else None
    if why:
        raise GradingError(why)
    nb = read_notebook(path)
    try:
        mode = sandbox.require()
    except sandbox.SandboxUnavailable as exc:
        raise GradingError(str(exc)) from None
    execution = {}
    if execute:
        import nbformat
        # reads() joins list-valued sources (how notebooks are saved) into strings
        executed = nbformat.reads(json.dumps(nb), as_version=4)
        # the kernel starts in an empty folder, not the notebook's: that folder could be
        # anything (a repository root with solutions/, another student's folder)
        import tempfile
        with tempfile.TemporaryDirectory(prefix="autograder-grade-") as alone:
            execution = execute_notebook(executed, Path(alone), cell_timeout, memory_mb=memory_mb)
        if executed_path:
            from .safe_html import make_inert
            # someone else (an instructor) may open or convert this copy: nothing in it runs
            nbformat.write(make_inert(executed), str(executed_path))
    report = grade_nb(nb, name=str(path), limits=limits, hidden=hidden)
    if mode != "sandboxed":
        execution.setdefault("notes", []).insert(0, "UNSANDBOXED: graded without a sandbox (--unsafe-no-sandbox)")
    report.execution = execution
    report.isolation = mode
    lesson_file = _lesson_file(report.lesson)
    if lesson_file is not None and path.name != lesson_file.name:
        report.warnings.append(f"nbgrader grades this lesson only under the name {lesson_file.name}: handed in as "
                               f"{path.name}, it would score 0 there")
    report.seconds = round(time.monotonic() - t0, 2)
    return report
