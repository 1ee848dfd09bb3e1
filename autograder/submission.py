"""Make a student's submission safe to grade, so that one bad submission never affects another.

nbgrader 0.9.6 trusts what it finds in ``COURSE/submitted/<student>/<assignment>/``:

- it copies every other file of the folder into ``autograded/`` as the grader (often root),
  following symbolic links: a link to ``/etc/shadow`` is copied readable, a link to
  ``/dev/zero`` fills the disk, a FIFO named like the notebook blocks the run forever;
- a cell whose nbgrader metadata lacks ``schema_version`` raises ``SchemaTooOldError``, which
  ends the run for every student not graded yet; a markdown "grade" cell, a grade_id that is
  not in the gradebook, flags or points of the wrong type fail that student's notebook.

Here:

- :func:`validate_folder` lists what is wrong with a submission folder (links, FIFOs, sockets,
  devices, files or notebooks over the size caps, notebooks that are not notebooks), each
  with its path relative to the folder and what to do about it. It never follows a link.
- :func:`check_notebook` / :func:`check_notebooks`: why a notebook cannot be graded at all,
  in one line (also used by ``grade-class`` before it starts nbgrader).
- :func:`normalise_notebook` makes a parsed student notebook safe for nbgrader's sanitize
  step, given the instructor's source notebook: every cell's nbgrader metadata is that of the
  source cell with the same grade_id, or removed; outputs are dropped (the notebook is run
  again). Every change is returned as a note.

Both are wired into plain ``nbgrader autograde`` by the course's ``nbgrader_config.py``
(written by ``python -m autograder build-course``):

- :func:`pre_convert_hook` (``c.Autograde.pre_convert_hook``) runs before nbgrader copies the
  folder and moves every offending entry to ``COURSE/rejected/<student>/<assignment>/<time>/``
  (``os.rename`` moves a link itself, never its target), with one line per entry in
  ``COURSE/rejected/<student>/<assignment>/REJECTED.txt``. A rejected notebook is also
  removed from nbgrader's list of notebooks to convert: that student's run then ends with
  nbgrader's "No notebooks found" error (a submission row stays in the gradebook, score 0),
  and every other student is graded as usual.
- :class:`NormaliseSubmission` is the first of ``c.Autograde.sanitize_preprocessors``: it reads
  ``COURSE/source/<assignment>/<notebook>.ipynb`` and normalises the notebook in memory.
- :class:`RestoreLockedCells` replaces nbgrader's ``OverwriteCells`` there: the same restoring
  of locked cells, without a "checksum has changed" warning for cells nobody edited.
"""
from __future__ import annotations

import copy
import dataclasses
import errno
import json
import logging
import os
import re
import shutil
import stat
import time
from pathlib import Path

from nbformat.notebooknode import NotebookNode
from nbgrader.api import MissingEntry
from nbgrader import utils as nbgrader_utils
from nbgrader.preprocessors import ClearHiddenTests, NbGraderPreprocessor, OverwriteCells
from traitlets import Float, List

MIB = 2 ** 20
# the keys of nbgrader's cell metadata (schema 3) that come from the source notebook
SOURCE_KEYS = ("schema_version", "grade", "solution", "locked", "task", "grade_id", "points")
FLAGS = ("grade", "solution", "locked", "task")


@dataclasses.dataclass(frozen=True)
class Limits:
    """Size caps of one submission folder."""
    notebook_mb: float = 20.0   # one notebook: everything stored in it counts (sources, outputs
    #                             with their metadata and tracebacks, attachments, metadata)
    file_mb: float = 20.0       # any other file
    total_mb: float = 100.0     # all files together
    entries: int = 1000         # files and folders
    depth: int = 8              # levels of folders (a/b/c is 3)


LIMITS = Limits()


class SubmissionRejected(ValueError):
    """A notebook that cannot be graded at all; ``str()`` is a one-line reason."""


@dataclasses.dataclass(frozen=True)
class Problem:
    """One offending entry of a submission folder."""
    path: str           # relative to the submission folder ("." is the folder itself)
    kind: str           # symlink, hardlink, special, too_large, too_many, too_deep,
    #                     not_a_notebook, bad_timestamp, missing, unreadable
    detail: str         # what is wrong, one line
    action: str         # what to do about it
    move: bool = True   # pre_convert_hook moves it out of the submission folder

    def __str__(self) -> str:
        return f"{show(self.path)}: {self.detail} ({self.action})"


def show(text, limit: int = 200) -> str:
    """Student-controlled text (a file name, a link target) made safe for one line of a log."""
    text = "".join(c if c.isprintable() else repr(c)[1:-1] for c in str(text))
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _mib(n: float) -> str:
    return f"{n / MIB:.1f} MiB"


SPECIAL = ((stat.S_ISFIFO, "a FIFO (named pipe)"), (stat.S_ISSOCK, "a socket"),
           (stat.S_ISCHR, "a character device"), (stat.S_ISBLK, "a block device"))


def _special_kind(mode: int) -> str:
    return next((what for test, what in SPECIAL if test(mode)), "not a regular file")


def _link_target(path) -> str:
    try:
        return show(os.readlink(path))
    except OSError:
        return "?"


# ----------------------------------------------------------------------------- notebooks

def notebook_problem(nb, name: str = "notebook") -> str | None:
    """Why a parsed notebook (a dict) is not one this course can grade, or None."""
    if not isinstance(nb, dict) or not isinstance(nb.get("cells"), list):
        return f"{name}: not a notebook (no list of cells)"
    if nb.get("nbformat") != 4:
        return f"{name}: nbformat {nb.get('nbformat')!r} is not supported (need 4)"
    for i, cell in enumerate(nb["cells"]):
        src = cell.get("source", "") if isinstance(cell, dict) else None
        if not isinstance(cell, dict) or cell.get("cell_type") not in ("code", "markdown", "raw") \
                or not (isinstance(src, str) or isinstance(src, list) and all(isinstance(s, str) for s in src)):
            return f"{name}: not a valid notebook (cell {i} is malformed)"
    meta = nb.get("metadata")
    if not isinstance(meta, dict) or "kernelspec" not in meta and "language_info" not in meta:
        return f"{name}: not a notebook this course can run (notebook metadata missing)"
    return None


def check_notebook(path, limits: Limits = LIMITS) -> str | None:
    """Why the file at ``path`` is not a notebook this course can grade (one line starting
    with its name), or None. A link, FIFO or device is never opened."""
    from .grade import GradingError, read_notebook
    path = Path(path)
    name = show(path.name)
    try:
        st = os.lstat(path)
    except FileNotFoundError:
        return f"{name}: no such file"
    except OSError as exc:
        return f"{name}: cannot be read ({exc.strerror})"
    if stat.S_ISLNK(st.st_mode):
        return f"{name}: is a symbolic link, not a notebook (submit the notebook file itself)"
    if stat.S_ISDIR(st.st_mode):
        return f"{name}: is a directory, not a notebook"
    if not stat.S_ISREG(st.st_mode):
        return f"{name}: is {_special_kind(st.st_mode)}, not a notebook"
    if st.st_size > limits.notebook_mb * MIB:
        return (f"{name}: is {_mib(st.st_size)}; notebooks over {limits.notebook_mb:g} MiB are not graded "
                "(outputs, their metadata and attachments count: clear the outputs and submit again)")
    try:
        nb = read_notebook(path)
    except GradingError as exc:
        return str(exc).replace(str(path), name)
    return notebook_problem(nb, name)


def check_notebooks(folder, expected: list[str], limits: Limits = LIMITS) -> str | None:
    """Why the notebooks of a submission folder cannot be graded, or None. ``expected``: the
    assignment's notebook names (without ``.ipynb``); other notebooks are not checked."""
    folder = Path(folder)
    try:
        st = os.lstat(folder)
    except OSError:
        return f"{show(folder.name)}/: no such folder"
    if not stat.S_ISDIR(st.st_mode):
        return f"{show(folder.name)}/: is not a folder (a link or a file)"
    names = sorted(e.name for e in os.scandir(folder) if e.name.endswith(".ipynb") and not e.name.startswith("."))
    if not names:
        return f"no notebook in {show(folder.name)}/ (expected {', '.join(expected) or 'a notebook'})"
    for name in names:
        if expected and name[: -len(".ipynb")] not in expected:
            continue
        why = check_notebook(folder / name, limits)
        if why:
            return why
    return None


def stored_bytes(nb) -> int:
    """Bytes a notebook stores: sources, outputs with their metadata and tracebacks,
    attachments, metadata (its compact JSON)."""
    return len(json.dumps(nb, ensure_ascii=False, separators=(",", ":")).encode("utf-8", "surrogatepass"))


def _grade_id(cell) -> str | None:
    meta = cell["metadata"].get("nbgrader") if isinstance(cell.get("metadata"), dict) else None
    gid = meta.get("grade_id") if isinstance(meta, dict) else None
    return gid if isinstance(gid, str) and gid else None


def _typed(meta: dict, key: str):
    """A metadata value with its type (0 is not False), a missing flag counting as False."""
    value = meta.get(key, False if key in FLAGS else None)
    return type(value), value


def _set_type(cell, cell_type: str) -> None:
    cell["cell_type"] = cell_type
    if cell_type == "code":
        cell["outputs"], cell["execution_count"] = [], None
        cell.pop("attachments", None)
    else:
        cell.pop("outputs", None)
        cell.pop("execution_count", None)


def _source_index(source_nb) -> dict:
    """grade_id -> (cell type, nbgrader metadata) of the source notebook's cells."""
    index = {}
    for cell in source_nb.get("cells", []):
        if not isinstance(cell, dict):
            continue
        gid = _grade_id(cell)
        if gid and gid not in index:
            meta = {k: v for k, v in cell["metadata"]["nbgrader"].items() if k in SOURCE_KEYS}
            meta["schema_version"] = 3
            index[gid] = (cell.get("cell_type"), meta)
    return index


def _against_source(cells: list, source_nb, notes: list) -> None:
    index = _source_index(source_nb)
    ids = [_grade_id(c) for c in cells]
    keep = {}           # grade_id -> the cell that keeps it: the first of the source's type, else the first
    for gid, (cell_type, _) in index.items():
        found = [i for i, g in enumerate(ids) if g == gid]
        if found:
            keep[gid] = next((i for i in found if cells[i]["cell_type"] == cell_type), found[0])
    for i, cell in enumerate(cells):
        meta = cell["metadata"]
        if "nbgrader" not in meta:
            continue
        old, gid = meta["nbgrader"], ids[i]
        label = f"cell {i}" + (f" ({show(gid, 60)})" if gid else "")
        if gid in keep and keep[gid] == i:
            cell_type, new = index[gid]
            new = dict(new)
            checksum = old.get("checksum") if isinstance(old, dict) else None
            if isinstance(checksum, str) and len(checksum) == 32:
                new["checksum"] = checksum
            new["cell_type"] = cell_type
            if cell["cell_type"] != cell_type:
                notes.append(f"{label}: cell type {cell['cell_type']} restored to {cell_type} (as in the source)")
                _set_type(cell, cell_type)
            if not isinstance(old, dict):
                notes.append(f"{label}: nbgrader metadata was not a mapping; restored from the source")
            else:
                changed = sorted(k for k in SOURCE_KEYS if _typed(old, k) != _typed(new, k))
                if changed:
                    notes.append(f"{label}: nbgrader {', '.join(changed)} restored from the source")
            meta["nbgrader"] = new
            continue
        del meta["nbgrader"]
        if not isinstance(old, dict):
            why = "not a mapping"
        elif gid is None:
            if not any(old.get(f) for f in FLAGS):
                continue        # inert metadata (no flag set): nothing changes for grading
            why = "no grade_id"
        elif gid not in index:
            why = "grade_id not in the source notebook"
        else:
            why = f"a second cell with this grade_id (cell {keep[gid]} keeps it)"
        notes.append(f"{label}: nbgrader metadata dropped ({why}); graded as an ordinary {cell['cell_type']} cell")
    for gid, (_, meta) in index.items():
        if meta.get("grade") and gid not in keep:
            notes.append(f"{show(gid, 60)}: the check cell is missing (deleted, or its metadata changed): "
                         "its exercise has no cell to take its points and scores 0")


def _on_its_own(cells: list, notes: list) -> None:
    """Without a source notebook: keep what nbgrader's own validator accepts, first of each id."""
    from nbformat import from_dict
    from nbgrader.nbgraderformat import MetadataValidator
    validator, seen = MetadataValidator(), set()
    for i, cell in enumerate(cells):
        meta = cell["metadata"]
        if "nbgrader" not in meta:
            continue
        old = meta["nbgrader"]
        if isinstance(old, dict) and "schema_version" not in old:
            old["schema_version"] = 3
            notes.append(f"cell {i}: nbgrader schema_version 3 added")
        gid = _grade_id(cell)
        try:
            if not isinstance(old, dict):
                raise ValueError("not a mapping")
            validator.validate_cell(from_dict(cell))
            if any(old.get(f) for f in ("grade", "solution", "locked")):
                if gid in seen:
                    raise ValueError("a second cell with this grade_id")
                seen.add(gid)
        except Exception as exc:  # noqa: BLE001 - whatever nbgrader's validator objects to
            del meta["nbgrader"]
            notes.append(f"cell {i}: nbgrader metadata dropped ({show(str(exc).splitlines()[0], 120)})")


def normalise_notebook(nb, source_nb=None, limits: Limits = LIMITS):
    """``(notebook, notes)``: a copy of the student's notebook that nbgrader's sanitize step
    accepts, and one note per change. With ``source_nb`` (the instructor's notebook), every
    cell's nbgrader metadata becomes that of the source cell with the same grade_id (its
    schema_version, flags and points; a cell of the wrong type gets the source's type back);
    metadata that matches no source cell, the second and later cells with one grade_id and
    metadata that is not a mapping are removed (the cell is graded as an ordinary cell).
    Other cell and notebook metadata that nbformat's schema rejects (a tag with a comma, say)
    is removed, and a cell id it rejects is replaced. The student's code and text are never
    changed (hidden-test markers they wrote are left to :class:`ClearHiddenTestsInChecks`).
    Outputs are dropped. Raises :class:`SubmissionRejected` for a notebook that cannot be
    graded at all (not a notebook, over ``limits.notebook_mb``)."""
    import nbformat
    why = notebook_problem(nb)
    if why:
        raise SubmissionRejected(why)
    size = stored_bytes(nb)
    if size > limits.notebook_mb * MIB:
        raise SubmissionRejected(f"notebook: stores {_mib(size)}, over the {limits.notebook_mb:g} MiB cap "
                                 "(outputs, their metadata and attachments count)")
    nb = copy.deepcopy(nb)
    notes = []
    cells = nb["cells"]
    dropped = n_outputs = 0
    for i, cell in enumerate(cells):
        if not isinstance(cell.get("metadata"), dict):
            notes.append(f"cell {i}: metadata was not a mapping; now empty")
            cell["metadata"] = {}
        src = cell.get("source", "")
        cell["source"] = "".join(src) if isinstance(src, list) else src
        if cell["cell_type"] == "code":
            if cell.get("outputs"):
                n_outputs += 1
                dropped += stored_bytes(cell["outputs"])
            cell["outputs"], cell["execution_count"] = [], None
        else:
            cell.pop("outputs", None)
            cell.pop("execution_count", None)
    if n_outputs:
        notes.append(f"outputs of {n_outputs} cells dropped ({dropped / 1024:.0f} KiB; the notebook is run again)")
    _valid_ids(cells, notes)
    if source_nb is not None:
        _against_source(cells, source_nb, notes)
    else:
        _on_its_own(cells, notes)
    _drop_invalid_metadata(nb, notes)
    return nbformat.from_dict(nb), notes


CELL_ID = re.compile(r"^[a-zA-Z0-9-_]{1,64}$")       # nbformat 4.5's rule for a cell id


def _valid_ids(cells: list, notes: list) -> None:
    """A cell id nbformat's schema rejects (not a string, odd characters, over 64 characters)
    is replaced by a new one; nbgrader refuses the whole notebook otherwise."""
    from nbformat.v4.nbbase import random_cell_id
    for i, cell in enumerate(cells):
        if "id" in cell and not (isinstance(cell["id"], str) and CELL_ID.match(cell["id"])):
            notes.append(f"cell {i}: id {show(repr(cell['id']), 40)} is not a valid cell id; replaced")
            cell["id"] = random_cell_id()


def _drop_invalid_metadata(nb: dict, notes: list) -> None:
    """Remove each cell or notebook metadata key that nbformat's schema rejects (nbgrader
    refuses the whole notebook otherwise); nbgrader metadata was made valid above."""
    from nbformat.validator import iter_validate, normalize
    for _ in range(5):                       # a few rounds: one error can hide another under it
        bad = []
        # validated as nbgrader will read it: cell ids filled in (a copy; nbformat adds them on
        # reading, and iter_validate would otherwise stop at their absence)
        try:
            errors = list(iter_validate(normalize(nb)[1]))
        except Exception:  # noqa: BLE001 - a shape nbformat cannot even walk: nbgrader says so
            return
        for err in errors:
            path = list(err.absolute_path)
            if len(path) >= 4 and path[0] == "cells" and path[2] == "metadata" and path[3] != "nbgrader":
                bad.append((path[1], path[3], err.message))
            elif len(path) >= 2 and path[0] == "metadata":
                bad.append((None, path[1], err.message))
        if not bad:
            return
        for i, key, why in {(i, k): (i, k, w) for i, k, w in bad}.values():
            meta = nb["metadata"] if i is None else nb["cells"][i]["metadata"]
            if key in meta:
                del meta[key]
                where = "notebook" if i is None else f"cell {i}"
                notes.append(f"{where}: metadata {show(str(key), 40)} removed ({show(why, 100)})")


# ----------------------------------------------------------------------------- folders

def _timestamp_problem(path: str, size: int) -> str | None:
    """Why nbgrader cannot read this timestamp.txt safely, or None."""
    if size > 256:
        return f"timestamp.txt of {size} bytes is not a timestamp"
    try:
        with open(path, "rb") as f:
            text = f.read(257).decode("ascii").strip()
    except (OSError, UnicodeDecodeError):
        return "timestamp.txt is not ASCII text"
    if not text:
        return None
    parts = text.split(" ")
    # nbgrader looks a third part up as a time-zone name (dateutil reads a path as a tz file)
    if len(parts) == 3 and (os.sep in parts[2] or "\\" in parts[2] or parts[2].startswith(".")):
        return "timestamp.txt names a file as its time zone"
    from nbgrader.utils import parse_utc
    try:
        parse_utc(text)
    except Exception:  # noqa: BLE001 - dateutil raises several kinds
        return f"timestamp.txt ({show(text, 60)}) is not a time nbgrader can read"
    return None


def validate_folder(folder, expected_notebooks=(), limits: Limits = LIMITS) -> list[Problem]:
    """Everything wrong with one submission folder, each entry with its path relative to the
    folder and what to do. Links are reported, never followed; FIFOs and devices are never
    opened. ``expected_notebooks``: the assignment's notebook names (with or without
    ``.ipynb``; empty: every top-level ``*.ipynb``); they get the notebook cap and are read."""
    folder = os.fspath(folder)
    expected = {n if n.endswith(".ipynb") else n + ".ipynb" for n in expected_notebooks}
    try:
        st = os.lstat(folder)
    except FileNotFoundError:
        return [Problem(".", "missing", "the submission folder does not exist", "nothing to grade", move=False)]
    except OSError as exc:
        return [Problem(".", "unreadable", f"the submission folder cannot be read ({exc.strerror})",
                        "check its permissions", move=False)]
    if stat.S_ISLNK(st.st_mode):
        return [Problem(".", "symlink", f"the submission folder is a symbolic link to {_link_target(folder)}",
                        "submit a folder, not a link")]
    if not stat.S_ISDIR(st.st_mode):
        return [Problem(".", "special", f"the submission folder is {_special_kind(st.st_mode)}",
                        "submit a folder")]
    problems: list[Problem] = []
    state = {"entries": 0, "bytes": 0}
    seen_notebooks = set()

    def regular(path: str, rel: str, name: str, st) -> None:
        notebook = rel == name and (name in expected if expected else name.endswith(".ipynb"))
        cap = (limits.notebook_mb if notebook else limits.file_mb) * MIB
        if notebook:
            seen_notebooks.add(name)
        if st.st_nlink > 1 and not notebook:
            # a notebook is parsed and validated, never copied as it is; any other file is
            # copied to autograded/ verbatim, so it must not share its content with a file outside
            problems.append(Problem(rel, "hardlink", f"a hard link ({st.st_nlink} names for one file)",
                                    "submit a copy of the file, not a link"))
        elif st.st_size > cap:
            what = "notebook" if notebook else "file"
            extra = " (outputs, their metadata and attachments count: clear the outputs)" if notebook else ""
            problems.append(Problem(rel, "too_large", f"{what} of {_mib(st.st_size)}, over the "
                                    f"{cap / MIB:g} MiB cap{extra}", "submit a smaller " + what))
        elif state["bytes"] + st.st_size > limits.total_mb * MIB:
            problems.append(Problem(rel, "too_large", f"with this file the submission exceeds "
                                    f"{limits.total_mb:g} MiB", "submit fewer or smaller files"))
        else:
            state["bytes"] += st.st_size
            why = check_notebook(path, limits) if notebook else \
                _timestamp_problem(path, st.st_size) if rel == "timestamp.txt" else None
            if why:
                kind = "not_a_notebook" if notebook else "bad_timestamp"
                problems.append(Problem(rel, kind, why.split(": ", 1)[-1] if notebook else why,
                                        "submit the notebook saved by Jupyter" if notebook
                                        else "submit again with nbgrader (it writes this file)"))

    def walk(path: str, rel: str, depth: int) -> None:
        try:
            with os.scandir(path) as it:
                entries = sorted(it, key=lambda e: e.name)
        except OSError as exc:
            problems.append(Problem(rel or ".", "unreadable", f"cannot be listed ({exc.strerror})",
                                    "check its permissions", move=bool(rel)))
            return
        for entry in entries:
            r = f"{rel}/{entry.name}" if rel else entry.name
            state["entries"] += 1
            if state["entries"] > limits.entries:
                problems.append(Problem(r, "too_many", f"more than {limits.entries} files and folders",
                                        "submit fewer files"))
                continue
            try:
                est = entry.stat(follow_symlinks=False)
            except OSError as exc:
                problems.append(Problem(r, "unreadable", f"cannot be read ({exc.strerror})", "remove it"))
                continue
            mode = est.st_mode
            if stat.S_ISLNK(mode):
                problems.append(Problem(r, "symlink", f"a symbolic link to {_link_target(entry.path)}",
                                        "submit the file itself, not a link"))
            elif stat.S_ISDIR(mode):
                if depth + 1 > limits.depth:
                    problems.append(Problem(r, "too_deep", f"folders nested more than {limits.depth} deep",
                                            "flatten the folders"))
                else:
                    walk(entry.path, r, depth + 1)
            elif stat.S_ISREG(mode):
                regular(entry.path, r, entry.name, est)
            else:
                problems.append(Problem(r, "special", f"{_special_kind(mode)}, not a file",
                                        "submit regular files only"))

    walk(folder, "", 0)
    for name in sorted(expected - seen_notebooks):
        if not any(p.path == name for p in problems):
            problems.append(Problem(name, "missing", "the notebook was not submitted",
                                    "submit it (it is graded 0)", move=False))
    return problems


# ----------------------------------------------------------------------------- nbgrader hook

def _log():
    from traitlets.config import Application
    if Application.initialized():
        return Application.instance().log
    return logging.getLogger(__name__)


def _move(src: str, dst: str) -> str:
    """Move one entry without following it; returns what was done."""
    os.makedirs(os.path.dirname(dst), mode=0o700, exist_ok=True)
    try:
        os.rename(src, dst)
        return "moved"
    except OSError as exc:
        if exc.errno != errno.EXDEV:
            raise
    mode = os.lstat(src).st_mode          # another file system: copy what can be copied safely
    if stat.S_ISLNK(mode):
        os.symlink(os.readlink(src), dst)
        os.unlink(src)
        return "moved"
    if stat.S_ISREG(mode):
        shutil.copyfile(src, dst, follow_symlinks=False)
        os.unlink(src)
        return "moved"
    if stat.S_ISDIR(mode):
        def regular_only(s, d):
            if stat.S_ISREG(os.lstat(s).st_mode):
                shutil.copyfile(s, d, follow_symlinks=False)
        shutil.copytree(src, dst, symlinks=True, copy_function=regular_only)
        shutil.rmtree(src)
        return "moved"
    os.unlink(src)
    return "removed (it cannot be moved to another file system)"


def _record(dest_root: str, lines: list[str]) -> None:
    os.makedirs(dest_root, mode=0o700, exist_ok=True)
    fd = os.open(os.path.join(dest_root, "REJECTED.txt"),
                 os.O_WRONLY | os.O_APPEND | os.O_CREAT | os.O_NOFOLLOW, 0o600)
    with os.fdopen(fd, "a", encoding="utf-8", errors="backslashreplace") as f:
        f.write("".join(line + "\n" for line in lines))


def _fresh_dir(dest_root: str, stamp: str) -> str:
    os.makedirs(dest_root, mode=0o700, exist_ok=True)
    for n in range(1, 1000):
        path = os.path.join(dest_root, stamp if n == 1 else f"{stamp}-{n}")
        try:
            os.mkdir(path, 0o700)
            return path
        except FileExistsError:
            continue
    raise OSError(f"no free folder name under {dest_root}")


def quarantine(folder, notebooks: list | None = None, limits: Limits = LIMITS) -> list[str]:
    """Move every offending entry of one submission folder
    (``COURSE/submitted/<student>/<assignment>``) to ``COURSE/rejected/<student>/<assignment>/<time>/``
    and append one line per entry to ``.../REJECTED.txt``; remove rejected notebooks from
    ``notebooks`` (nbgrader's list, changed in place). Returns the record lines."""
    folder = os.path.abspath(os.fspath(folder))
    assignment_dir, student_dir = folder, os.path.dirname(folder)
    assignment, student = os.path.basename(assignment_dir), os.path.basename(student_dir)
    course = os.path.dirname(os.path.dirname(student_dir))
    dest_root = os.path.join(course, "rejected", student, assignment)
    source_dir = os.path.join(course, "source", assignment)
    expected = sorted(n for n in os.listdir(source_dir) if n.endswith(".ipynb")) \
        if os.path.isdir(source_dir) else [os.path.basename(p) for p in notebooks or [] if
                                           os.path.dirname(os.path.abspath(p)) == folder]
    if os.path.islink(student_dir):
        problems = [Problem("..", "symlink", f"the student's folder is a symbolic link to {_link_target(student_dir)}",
                            "submit a folder, not a link")]
    else:
        problems = validate_folder(folder, expected, limits)
    problems = [p for p in problems if p.move]
    if not problems:
        return []
    stamp = time.strftime("%Y-%m-%dT%H%M%SZ", time.gmtime())
    run_dir = _fresh_dir(dest_root, stamp)
    lines = []
    for p in problems:
        src = student_dir if p.path == ".." else folder if p.path == "." else os.path.join(folder, p.path)
        where = {"..": "student-folder", ".": "submission-folder"}.get(p.path, p.path)
        dst = os.path.join(run_dir, where)
        try:
            done = _move(src, dst) if os.path.lexists(src) else "already gone"
        except OSError as exc:
            done = f"could not be moved ({exc.strerror or exc})"
        if done == "moved":
            done = f"moved to rejected/{show(student)}/{show(assignment)}/{os.path.basename(run_dir)}/{show(where)}"
        lines.append(f"{stamp}  {show(p.path)}: {p.detail}; {done}; {p.action}")
        if notebooks is not None:
            gone = [n for n in notebooks if p.path in (".", "..") or
                    os.path.abspath(n) == os.path.join(folder, p.path)]
            for n in gone:
                notebooks.remove(n)
    _record(dest_root, lines)
    return lines


def pre_convert_hook(assignment=None, student=None, notebooks=None, limits: Limits = LIMITS, **_) -> list[str]:
    """``c.Autograde.pre_convert_hook``: before nbgrader copies a submission folder, move every
    link, FIFO, socket, device, oversized or unreadable file and every notebook that is not a
    notebook out of it (see :func:`quarantine`). nbgrader calls it once per submission folder
    with that folder's notebooks; ``student`` is ``'*'`` in a class-wide run, so the folder
    is taken from the notebook paths. Never raises: if quarantining fails, the whole folder
    is moved out instead, so that nothing is copied through a link."""
    log = _log()
    lines: list[str] = []
    if not notebooks:
        return lines
    folders = []
    for nb in list(notebooks):
        d = os.path.dirname(os.path.abspath(os.fspath(nb)))
        if d not in folders:
            folders.append(d)
    for folder in folders:
        # (quarantine takes the notebooks it moves out of nbgrader's list)
        own = [nb for nb in notebooks if os.path.dirname(os.path.abspath(os.fspath(nb))) == folder]
        try:
            found = quarantine(folder, notebooks, limits)
        except Exception as exc:  # noqa: BLE001 - one submission never stops the run
            log.error("submission %s could not be checked (%s: %s); moving the whole folder out",
                      show(folder), type(exc).__name__, show(exc))
            try:
                found = _quarantine_whole(folder, f"could not be checked ({type(exc).__name__}: {show(exc)})",
                                          notebooks)
            except Exception:  # noqa: BLE001
                log.error("submission %s could not be moved out either", show(folder), exc_info=True)
                continue
        for line in found:
            log.warning("%s/%s rejected: %s", show(os.path.basename(os.path.dirname(folder))),
                        show(os.path.basename(folder)), line.split("  ", 1)[-1])
        lines += found
        if any(not os.path.lexists(nb) for nb in own):
            _zero_rejected(folder, "; ".join(line.split("  ", 1)[-1] for line in found)[:300] or "rejected")
    return lines


def _zero_rejected(folder: str, why: str) -> None:
    """A submission whose notebook was moved out is not graded by nbgrader at all ("no
    notebooks found"): scores from an earlier grading of the folder would stay in the
    gradebook. Record 0 instead, with the reason. Never raises (logged)."""
    from .classroom import load_course_config, waiting_db_url, zero_submission
    try:
        from nbgrader.coursedir import CourseDirectory
        student_dir = os.path.dirname(folder)
        cd = CourseDirectory(config=load_course_config(Path(student_dir).parents[1]))
        zero_submission(waiting_db_url(cd.db_url), cd.course_id, os.path.basename(folder),
                        os.path.basename(student_dir), why, reset=True)
    except Exception:  # noqa: BLE001 - the rejection itself is done and logged
        _log().error("the rejected submission %s could not be zeroed in the gradebook", show(folder),
                     exc_info=True)


def _quarantine_whole(folder: str, why: str, notebooks: list) -> list[str]:
    student_dir = os.path.dirname(folder)
    dest_root = os.path.join(os.path.dirname(os.path.dirname(student_dir)), "rejected",
                             os.path.basename(student_dir), os.path.basename(folder))
    stamp = time.strftime("%Y-%m-%dT%H%M%SZ", time.gmtime())
    run_dir = _fresh_dir(dest_root, stamp)
    os.rename(folder, os.path.join(run_dir, "submission-folder"))
    for n in [n for n in notebooks if os.path.dirname(os.path.abspath(n)) == folder]:
        notebooks.remove(n)
    lines = [f"{stamp}  .: the submission {why}; moved to {os.path.basename(run_dir)}/submission-folder; "
             "ask the instructor"]
    _record(dest_root, lines)
    return lines


# ----------------------------------------------------------------------------- nbgrader preprocessor

class NormaliseSubmission(NbGraderPreprocessor):
    """First of ``c.Autograde.sanitize_preprocessors``: makes the student's notebook agree with
    ``COURSE/source/<assignment>/<notebook>.ipynb`` (see :func:`normalise_notebook`), so that
    nbgrader's ``DeduplicateIds``, ``OverwriteCells`` and ``CheckCellMetadata`` accept it. A
    notebook that cannot be graded at all fails that student's notebook only."""

    notebook_mb = Float(LIMITS.notebook_mb, help="largest notebook graded (MiB): everything stored in it "
                        "counts (outputs, their metadata and tracebacks, attachments)").tag(config=True)

    def preprocess(self, nb, resources):
        info = resources.get("nbgrader") or {}
        student, notebook = info.get("student", "?"), info.get("notebook", "?")
        source = self._source_notebook(info.get("assignment"), info.get("notebook"))
        limits = dataclasses.replace(LIMITS, notebook_mb=self.notebook_mb)
        try:
            nb, notes = normalise_notebook(nb, source, limits)
        except SubmissionRejected as exc:
            self.log.error("%s/%s: not graded: %s", show(student), show(notebook), exc)
            raise
        for note in notes:
            self.log.warning("%s/%s: %s", show(student), show(notebook), note)
        return nb, resources

    def _source_notebook(self, assignment, notebook):
        from nbgrader.coursedir import CourseDirectory
        if not assignment or not notebook:
            return None
        coursedir = CourseDirectory(config=self.config)
        path = os.path.join(coursedir.format_path(coursedir.source_directory, ".", assignment),
                            notebook + ".ipynb")
        try:
            with open(path, encoding="utf-8") as f:
                return json.load(f)
        except (OSError, ValueError) as exc:
            self.log.warning("no source notebook %s (%s): nbgrader metadata checked on its own", path, exc)
            return None


class ClearHiddenTestsInChecks(ClearHiddenTests):
    """nbgrader's ``ClearHiddenTests`` on the check (grade) cells only, at autograde and feedback
    time. Those come back from the gradebook, so their hidden-test regions are the instructor's.
    Every other cell is the student's own: markers they wrote there (a BEGIN without its END,
    a pair in a markdown cell) made nbgrader fail on their notebook, and rewriting them would
    grade code that is not what they wrote. Those cells are left exactly as submitted."""

    # nbconvert's HTML exporter sets NbConvertBase.display_data_priority for the feedback's
    # preprocessors; nbgrader's base class declares it without config=True, so every
    # generate_feedback warned "not recognized". Accepted here, and unused.
    display_data_priority = List(["text/html", "text/plain"]).tag(config=True)

    def preprocess_cell(self, cell, resources, cell_index):
        if not nbgrader_utils.is_grade(cell):
            return cell, resources
        return super().preprocess_cell(cell, resources, cell_index)


class RestoreLockedCells(OverwriteCells):
    """nbgrader's ``OverwriteCells`` (locked cells come back from the gradebook), without its
    "checksum has changed" warning for a cell the student did not touch: the gradebook keeps
    each check cell *with* its hidden tests, the released notebook has them removed, so every
    untouched check cell used to differ. A cell that equals its released form is restored
    silently; one the student edited is still restored and reported."""

    def preprocess_cell(self, cell, resources, cell_index):
        grade_id = (cell.metadata.get("nbgrader") or {}).get("grade_id")
        if grade_id is not None and cell.cell_type == "code":
            try:
                source_cell = self.gradebook.find_source_cell(grade_id, self.notebook_id, self.assignment_id)
            except MissingEntry:
                source_cell = None
            if source_cell is not None and source_cell.locked and source_cell.cell_type == "code":
                released = NotebookNode(cell_type="code", source=source_cell.source, metadata={})
                try:
                    ClearHiddenTests()._remove_hidden_test_region(released)
                except RuntimeError:      # a malformed source region: leave it to nbgrader
                    released.source = None
                if released.source is not None and cell.source == released.source:
                    cell.source = source_cell.source
        return super().preprocess_cell(cell, resources, cell_index)
