"""The trusted side of grading: evaluate a student's exercise outside the student's process.

For one exercise the judge starts a fresh worker (:mod:`autograder.worker`) under resource
limits, lets it execute the notebook's solution cells, and then runs the exercise's checks
(visible and hidden, the same functions a check cell runs) in *this* process, with a
:class:`RemoteObject` standing in for the student's function or class. Every call goes over
a pipe as JSON; arrays come back as ``np.save(allow_pickle=False)`` bytes. So the numpy the
checks use here is never touched by student code, and whatever the student's cells patch
(``np.allclose``, ``builtins``, the checker) only changes the worker.

Public API::

    limits = Limits(call_timeout=10, memory_mb=2048)
    results = judge_notebook(nb, exercises, limits)      # list[core.Result]
    result = judge_exercise(nb, "l4_sigmoid", limits)    # core.Result

(``autograder.grade.grade_notebook`` adds reading, executing and reporting.)
"""
from __future__ import annotations

import ast
import dataclasses
import os
import re
import resource
import select
import signal
import subprocess
import sys
import sysconfig
import tempfile
import time
from pathlib import Path

import numpy as np

from . import core
from .worker import ProtocolError, decode, encode

WORKER = Path(__file__).with_name("worker.py")
FORBIDDEN_MODULES = ("anime_genre", "autograder.hidden")
FORBIDDEN_RE = re.compile(r"anime_genre|autograder[./]hidden|solutions[/\\]anime")


@dataclasses.dataclass
class Limits:
    """Resource limits for one exercise's worker. Times in seconds, sizes in MiB."""
    call_timeout: float = 10.0        # one call of the student's code
    exercise_timeout: float = 60.0    # all checks of one exercise, start-up included
    cell_timeout: float = 10.0        # executing one solution cell in the worker
    startup_timeout: float = 60.0     # executing all solution cells
    memory_mb: int = 2048             # RLIMIT_AS
    cpu_seconds: int = 120            # RLIMIT_CPU (hard stop if the wall clock is not enough)
    nproc: int = 0                    # RLIMIT_NPROC; 0 = leave unchanged (root ignores it anyway)
    file_mb: int = 64                 # RLIMIT_FSIZE: largest file the worker may write
    output_chars: int = 4000          # captured prints kept for the message


class WorkerGone(core.Aborted):
    """The worker timed out, crashed or broke a limit. A BaseException so that a check's
    ``except Exception`` cannot swallow it; :func:`core.run_exercise` turns it into a status."""



class ExerciseDied(core.Aborted):
    """The process serving one exercise died (e.g. ``os._exit``); the worker goes on."""


class RemoteError(Exception):
    """The student's code raised an exception in the worker."""

    def __init__(self, info: dict):
        self.remote_type = str(info.get("type", "Exception"))
        self.remote_where = str(info.get("where", ""))
        super().__init__(str(info.get("message", "")))


class RemoteNotImplementedError(RemoteError, NotImplementedError):
    pass


# ----------------------------------------------------------------------------- worker session

def _third_party_paths() -> list[str]:
    """Folders with numpy, scipy, pandas, bs4 and matplotlib — without processing .pth files."""
    paths = []   # (the interpreter adds its standard library itself)
    for key in ("purelib", "platlib"):
        p = sysconfig.get_paths()[key]
        if p not in paths:
            paths.append(p)
    # a venv created with --system-site-packages also sees the base interpreter's packages
    for p in sys.path:
        if p.endswith("site-packages") and p not in paths and Path(p).is_dir():
            paths.append(p)
    return paths


def _set_limits(limits: Limits):
    def apply():   # runs in the child between fork and exec
        os.setsid()
        mem = limits.memory_mb * 1024 * 1024
        for res, value in ((resource.RLIMIT_AS, mem), (resource.RLIMIT_CPU, limits.cpu_seconds),
                           (resource.RLIMIT_FSIZE, limits.file_mb * 1024 * 1024),
                           (resource.RLIMIT_CORE, 0)):
            try:
                resource.setrlimit(res, (value, value))
            except (ValueError, OSError):
                pass
        if limits.nproc:
            try:
                resource.setrlimit(resource.RLIMIT_NPROC, (limits.nproc, limits.nproc))
            except (ValueError, OSError):
                pass
    return apply


def start_process(cmd: list[str], cwd: str, env: dict, limits: Limits) -> subprocess.Popen:
    """Start the worker: its own session (so the whole group can be killed), rlimits, pipes
    for the protocol. Replaceable (e.g. by a sandbox that also drops privileges)."""
    return subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                            stderr=subprocess.DEVNULL, cwd=cwd, env=env,
                            preexec_fn=_set_limits(limits), close_fds=True)


class Worker:
    """One worker process: start it with the cells, then call into it."""

    def __init__(self, cells: list[dict], limits: Limits, label: str = "exercise"):
        self.limits = limits
        self.label = label
        self.closed = False
        self.tmp = tempfile.TemporaryDirectory(prefix="autograder-worker-")
        env = {
            "PATH": "/usr/bin:/bin", "HOME": self.tmp.name, "LANG": "C.UTF-8",
            "OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1", "MKL_NUM_THREADS": "1",
            "MPLBACKEND": "Agg", "MPLCONFIGDIR": self.tmp.name, "PYTHONHASHSEED": "0",
        }
        self.proc = start_process([sys.executable, "-I", "-S", "-B", str(WORKER)],
                                  cwd=self.tmp.name, env=env, limits=limits)
        self.deadline = time.monotonic() + limits.startup_timeout
        self._send({"paths": _third_party_paths(), "cells": cells,
                    "cell_timeout": limits.cell_timeout})
        self.ready = None
        self.next_ready()

    def next_ready(self) -> dict:
        """Wait until the worker has run the cells of the next exercise and serves it.
        Returns the ready message (or a ``child_died`` one); starts the exercise's clock."""
        self.deadline = time.monotonic() + self.limits.startup_timeout
        self.exercise_dead = False
        self.ready = self._receive(self.limits.startup_timeout, "while running your solution cells")
        if isinstance(self.ready, dict) and "child_died" in self.ready:
            self.exercise_dead = True
        self.deadline = time.monotonic() + self.limits.exercise_timeout
        if not isinstance(self.ready, dict):
            self._gone("error", "the worker sent a malformed message")
        return self.ready

    def finish_exercise(self) -> None:
        """Tell the exercise's process to exit (the worker then runs the next cells)."""
        self._send({"op": "done"})

    # -- low level
    def _send(self, msg) -> None:
        import json
        import struct
        data = json.dumps(msg, separators=(",", ":")).encode("utf-8")
        try:
            self.proc.stdin.write(struct.pack(">Q", len(data)) + data)
            self.proc.stdin.flush()
        except (BrokenPipeError, OSError, ValueError):
            self._gone("error", "the worker process stopped unexpectedly" + self._death())

    def _receive(self, timeout: float, doing: str):
        import json
        import struct
        end = min(time.monotonic() + timeout, self.deadline)
        limit = timeout if end < self.deadline else self.limits.exercise_timeout
        header = self._read(8, end, limit, doing)
        (length,) = struct.unpack(">Q", header)
        if length > 512 * 1024 * 1024:
            self._gone("error", "the worker sent an oversized message")
        body = self._read(length, end, limit, doing)
        try:
            return json.loads(body.decode("utf-8"))
        except ValueError as exc:
            self._gone("error", f"the worker sent a malformed message ({exc})")

    def _read(self, n: int, end: float, limit: float, doing: str) -> bytes:
        fd = self.proc.stdout.fileno()
        chunks, got = [], 0
        while got < n:
            left = end - time.monotonic()
            if left <= 0:
                self._gone("timeout", f"timeout after {limit:g} s in {self.label} ({doing})")
            ready, _, _ = select.select([fd], [], [], left)
            if not ready:
                continue
            chunk = os.read(fd, min(n - got, 1 << 20))
            if not chunk:
                self._gone("error", f"the worker process died in {self.label} ({doing})" + self._death())
            chunks.append(chunk)
            got += len(chunk)
        return b"".join(chunks)

    def _death(self) -> str:
        try:
            code = self.proc.wait(timeout=2)
        except subprocess.TimeoutExpired:
            return ""
        if code < 0:
            name = signal.Signals(-code).name
            why = {"SIGKILL": " (killed: memory or CPU-time limit?)", "SIGXCPU": " (CPU-time limit)",
                   "SIGSEGV": " (crash)"}.get(name, "")
            return f": signal {name}{why}"
        if code == 0 or code:
            hint = " (memory limit?)" if "MemoryError" in self.output() else ""
            return f": exit code {code}{hint}"
        return ""

    def _gone(self, status: str, message: str):
        self.close()
        raise WorkerGone(status, message)

    def output(self) -> str:
        """What the student's code printed (the last ``output_chars`` characters)."""
        path = Path(self.tmp.name) / "output.txt"
        try:
            with open(path, "rb") as f:
                f.seek(0, 2)
                size = f.tell()
                f.seek(max(0, size - self.limits.output_chars))
                return f.read().decode("utf-8", "replace")
        except OSError:
            return ""

    def request(self, msg: dict, doing: str) -> dict:
        if self.proc.poll() is not None:
            self._gone("error", f"the worker process is gone in {self.label}" + self._death())
        self._send(msg)
        reply = self._receive(self.limits.call_timeout, doing)
        if not isinstance(reply, dict):
            self._gone("error", "the worker sent a malformed reply")
        if "child_died" in reply:
            code = reply.get("child_died")
            why = f"signal {signal.Signals(-code).name}" if isinstance(code, int) and code < 0 and \
                -code in signal.valid_signals() else f"exit code {code}"
            self.exercise_dead = True
            raise ExerciseDied("error", f"your code ended the grading process ({why}) in {self.label} ({doing})")
        if "error" in reply:
            info = reply["error"] if isinstance(reply["error"], dict) else {"message": str(reply["error"])}
            if info.get("not_implemented"):
                raise RemoteNotImplementedError(info)
            raise RemoteError(info)
        return reply

    def value(self, reply: dict):
        try:
            return decode(reply.get("value"), make_remote=lambda h, info: RemoteObject(self, h, info))
        except (ProtocolError, ValueError, TypeError, KeyError) as exc:
            self._gone("error", f"the worker sent a value that cannot be read safely ({exc})")

    def get_global(self, name: str):
        reply = self.request({"op": "global", "name": name}, f"looking up {name}")
        if reply.get("missing"):
            return None, None
        return self.value(reply), reply.get("describe", {})

    @property
    def alive(self) -> bool:
        return not self.closed and self.proc.poll() is None

    def close(self) -> None:
        self.closed = True
        if self.proc.poll() is None:
            try:
                os.killpg(self.proc.pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass
        try:
            self.proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            pass
        for stream in (self.proc.stdin, self.proc.stdout):
            try:
                stream.close()
            except OSError:
                pass
        self.tmp.cleanup()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


class RemoteObject:
    """Stands for an object living in the worker. Calling it, reading its attributes,
    indexing it and ``len`` go over the pipe; results are copies (or new proxies)."""

    __slots__ = ("_worker", "_handle", "_info")

    def __init__(self, worker: Worker, handle: int, info: dict | None = None):
        object.__setattr__(self, "_worker", worker)
        object.__setattr__(self, "_handle", handle)
        object.__setattr__(self, "_info", info or {})

    @property
    def __remote_handle__(self) -> int:
        return self._handle

    def _enc(self, value):
        try:
            return encode(value)
        except TypeError as exc:
            raise TypeError(f"check error: {exc}") from None

    def __call__(self, *args, **kwargs):
        w = self._worker
        reply = w.request({"op": "call", "target": self._handle,
                           "args": [self._enc(a) for a in args],
                           "kwargs": {k: self._enc(v) for k, v in kwargs.items()}},
                          f"calling {self._info.get('type', 'your code')}")
        after = reply.get("after") or {}
        for key, payload in after.items():   # copy in-place changes back into our arrays
            orig = kwargs.get(key) if not key.isdigit() else (args[int(key)] if int(key) < len(args) else None)
            if type(orig) is np.ndarray and orig.flags.writeable:
                try:
                    new = decode(payload)
                except (ProtocolError, ValueError, TypeError):
                    continue
                if isinstance(new, np.ndarray) and new.shape == orig.shape and not np.array_equal(new, orig, equal_nan=new.dtype.kind in "fc"):
                    np.copyto(orig, new, casting="unsafe")
        return w.value(reply)

    def __getattr__(self, name: str):
        if name.startswith("__") and name.endswith("__"):
            raise AttributeError(name)
        w = self._worker
        try:
            reply = w.request({"op": "getattr", "target": self._handle, "name": name}, f"reading .{name}")
        except RemoteError as exc:
            if exc.remote_type == "AttributeError":
                raise AttributeError(f"your object has no attribute {name!r}") from None
            raise
        return w.value(reply)

    def __setattr__(self, name, value):
        w = self._worker
        w.request({"op": "setattr", "target": self._handle, "name": name, "value": self._enc(value)},
                  f"setting .{name}")

    def __getitem__(self, key):
        w = self._worker
        return w.value(w.request({"op": "getitem", "target": self._handle, "key": self._enc(key)}, "indexing"))

    def __len__(self):
        w = self._worker
        n = w.value(w.request({"op": "len", "target": self._handle}, "len()"))
        if type(n) is not int:
            raise TypeError("len() did not return an int")
        return n

    def __iter__(self):
        w = self._worker
        items = w.value(w.request({"op": "list", "target": self._handle}, "iterating"))
        return iter(items)

    def __repr__(self):
        return f"<student object {self._info.get('type', '?')}>"


# ----------------------------------------------------------------------------- notebooks

def _nbgrader(cell) -> dict:
    return (cell.get("metadata") or {}).get("nbgrader") or {}


def _source(cell) -> str:
    src = cell.get("source", "")
    return "".join(src) if isinstance(src, list) else str(src)


_MAGIC = re.compile(r"^(\s*)([%!].*)$")


def _strip_magics(source: str) -> str:
    """IPython magics and shell escapes cannot run in plain Python: turn them into ``pass``."""
    return "\n".join(_MAGIC.sub(lambda m: f"{m.group(1)}pass  # {m.group(2)[:40]}", line)
                     for line in source.split("\n"))


def _bound(node: ast.stmt) -> set[str]:
    """Names a top-level statement binds."""
    if isinstance(node, (ast.Import, ast.ImportFrom)):
        return {(a.asname or a.name).split(".")[0] for a in node.names}
    if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
        return {node.name}
    out = set()
    for target in getattr(node, "targets", [getattr(node, "target", None)]):
        for n in ast.walk(target) if target is not None else []:
            if isinstance(n, ast.Name):
                out.add(n.id)
    return out


def _loads(node: ast.AST) -> set[str]:
    return {n.id for n in ast.walk(node) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load)}


def _setup_statements(source: str) -> list[ast.stmt]:
    """Candidate statements of a non-solution cell: imports (but not of the grader or the
    reference package), function and class definitions, plain assignments."""
    try:
        tree = ast.parse(_strip_magics(source))
    except SyntaxError:
        return []
    keep = []
    for node in tree.body:
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else [node.module or ""]
            if any(n.split(".")[0] in ("autograder", "anime_genre") for n in names) or \
                    (isinstance(node, ast.ImportFrom) and node.level):
                continue
            keep.append(node)
        elif isinstance(node, (ast.FunctionDef, ast.ClassDef, ast.Assign, ast.AnnAssign)):
            if not isinstance(node, ast.AnnAssign) or node.value is not None:
                keep.append(node)
    return keep


def _select_setup(setup: list[tuple[int, ast.stmt]], solutions: list[str]) -> set[int]:
    """Which setup statements the solution cells need: those binding a name the solutions
    (or other needed statements) use, transitively, whose own inputs are all known (so a
    cell like ``short = rows[...]`` that needs the data is left out). Returns ids of nodes."""
    import builtins
    needed: set[str] = set()
    solution_bound: set[str] = set()
    for src in solutions:
        try:
            tree = ast.parse(_strip_magics(src))
        except SyntaxError:
            continue
        needed |= _loads(tree)
        for node in tree.body:
            solution_bound |= _bound(node)
    known = set(dir(builtins)) | solution_bound | {"np", "math", "re"}
    for _, node in setup:
        known |= _bound(node)
    chosen: set[int] = set()
    changed = True
    while changed:
        changed = False
        for _, node in setup:
            if id(node) in chosen or not (_bound(node) & needed):
                continue
            if isinstance(node, (ast.Import, ast.ImportFrom)):
                deps = set()
            else:
                deps = _loads(node)
                if isinstance(node, (ast.FunctionDef, ast.ClassDef)):
                    deps = set()     # names inside a body are looked up only when called
                if not deps <= known:
                    continue
            chosen.add(id(node))
            needed |= deps | (_loads(node) if isinstance(node, (ast.FunctionDef, ast.ClassDef)) else set())
            changed = True
    return chosen


def forbidden_use(source: str) -> str | None:
    """Why a solution cell's source uses the reference package or hidden checks, or None."""
    try:
        tree = ast.parse(_strip_magics(source))
    except SyntaxError:
        return None
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for a in node.names:
                if a.name.split(".")[0] == "anime_genre" or a.name.startswith("autograder.hidden"):
                    return f"imports {a.name}"
        elif isinstance(node, ast.ImportFrom) and node.module:
            if node.module.split(".")[0] == "anime_genre" or node.module.startswith("autograder.hidden") \
                    or (node.module == "autograder" and any(a.name == "hidden" for a in node.names)):
                return f"imports from {node.module}"
        elif isinstance(node, ast.Constant) and isinstance(node.value, str) and FORBIDDEN_RE.search(node.value):
            return f"names the reference package in a string ({node.value[:60]!r})"
    return None


def worker_cells(nb, upto_index: int) -> list[dict]:
    """The cells a worker executes for an exercise whose solution cell is ``upto_index``:
    a preamble, then in notebook order every solution cell up to and including the
    exercise's own, and from the other code cells only the statements those solutions need
    (imports, definitions and assignments that do not depend on data; each one separately,
    so one failing import does not hide the rest)."""
    cells = [{"index": "preamble", "source": "import math\nimport re\nimport numpy as np"}]
    order: list[tuple[int, object]] = []
    setup: list[tuple[int, ast.stmt]] = []
    solutions: list[str] = []
    for i, cell in enumerate(nb["cells"][: upto_index + 1]):
        if cell.get("cell_type") != "code":
            continue
        meta = _nbgrader(cell)
        if meta.get("grade"):
            continue
        if meta.get("solution"):
            src = _strip_magics(_source(cell))
            solutions.append(src)
            order.append((i, src))
        else:
            for node in _setup_statements(_source(cell)):
                setup.append((i, node))
                order.append((i, node))
    chosen = _select_setup(setup, solutions)
    for i, item in order:
        if isinstance(item, str):
            cells.append({"index": i, "source": item})
        elif id(item) in chosen:
            cells.append({"index": f"{i} (setup)", "source": ast.unparse(item)})
    return cells


def find_solution_cell(nb, exercise_id: str) -> int | None:
    for i, cell in enumerate(nb["cells"]):
        meta = _nbgrader(cell)
        if cell.get("cell_type") == "code" and meta.get("solution") and meta.get("grade_id") == exercise_id:
            return i
    return None


def object_name(ex: core.Exercise) -> str:
    """The global the exercise's solution defines (last part of its reference name)."""
    if ex.name:
        return ex.name
    return ex.reference.partition(":")[2].split(".")[-1]


def _zero(ex: core.Exercise, status: str, message: str) -> core.Result:
    return core.Result(ex.id, 0.0, ex.points, status, message,
                       [core.SubCheck("exercise could be graded", False, message)])


def _grade_served(worker: Worker, ex: core.Exercise, idx: int, hidden: bool) -> core.Result:
    """Grade one exercise whose process is ready in ``worker``. Raises WorkerGone when the
    whole worker is lost (timeout, broken channel)."""
    name = object_name(ex)
    ready = worker.ready or {}
    if "child_died" in ready:
        return _zero(ex, "error", f"your code ended the grading process (exit code {ready['child_died']})")
    own = [c for c in ready.get("cells", []) if c.get("index") == idx]
    try:
        obj, where = worker.get_global(name)
        if obj is None:
            detail = ""
            if own and not own[0].get("ok"):
                err = own[0].get("error", {})
                detail = f" Your cell raised {err.get('type')}: {err.get('message')}" \
                         + (f" ({err.get('where')})" if err.get("where") else "")
            return _zero(ex, "error", f"`{name}` is not defined after running your solution cells.{detail}")
        if not isinstance(obj, RemoteObject) and not callable(obj):
            return _zero(ex, "error", f"`{name}` should be a function or class, got a value of type {type(obj).__name__}")
        blob = " ".join(where.get("files", []) + where.get("modules", []))
        if FORBIDDEN_RE.search(blob):
            return _zero(ex, "error", f"`{name}` comes from the reference package ({blob[:120]}): "
                                      "exercises must be your own implementation (0 points)")
        # (what the student's code printed is deliberately not shown: it could echo hidden inputs)
        return core.run_exercise(ex.id, obj, hidden=hidden)
    except ExerciseDied as exc:
        return _zero(ex, exc.status, str(exc))
    except RemoteError as exc:      # e.g. the student's cells broke the worker's own machinery
        return _zero(ex, "error", f"your code raised {exc.remote_type} while the grader looked up "
                                  f"`{name}`: {exc}")


def judge_notebook(nb, exercise_ids: list[str], limits: Limits | None = None,
                   hidden: bool = True) -> list[core.Result]:
    """Grade several exercises of a notebook; results in the order of ``exercise_ids``.

    One worker runs the solution cells in notebook order and forks a fresh process for each
    exercise at that exercise's cell, so the imports are paid once and each exercise sees
    the notebook as it was at its own cell. A timeout or a lost worker costs that exercise
    only: a new worker takes over the remaining ones."""
    limits = limits or Limits()
    results: dict[str, core.Result] = {}
    pending: list[tuple[int, core.Exercise]] = []
    for ex_id in exercise_ids:
        ex = core.get_exercise(ex_id, hidden=hidden)
        idx = find_solution_cell(nb, ex_id)
        if idx is None:
            results[ex_id] = _zero(ex, "error", f"no solution cell with grade_id {ex_id!r} in the notebook "
                                                "(was the cell deleted or its metadata changed?)")
            continue
        bad = None
        for cell in worker_cells(nb, idx):
            why = forbidden_use(cell["source"]) if cell["index"] != "preamble" else None
            if why:
                bad = f"cell {cell['index']} {why}: exercises must be your own implementation, " \
                      "not the reference package's (0 points)"
                break
        if bad:
            results[ex_id] = _zero(ex, "error", bad)
        else:
            pending.append((idx, ex))
    pending.sort(key=lambda p: p[0])
    while pending:
        cells = worker_cells(nb, pending[-1][0])
        stops = {idx: ex.id for idx, ex in pending}
        for cell in cells:
            if cell["index"] in stops:
                cell["stop"] = stops[cell["index"]]
        worker = None
        try:
            worker = Worker(cells, limits, label=pending[0][1].id)
            while pending:
                idx, ex = pending[0]
                worker.label = ex.id
                results[ex.id] = _grade_served(worker, ex, idx, hidden)
                pending.pop(0)
                if not worker.alive:      # lost during the checks (timeout, crash): start afresh
                    break
                if pending:
                    if not worker.exercise_dead:
                        worker.finish_exercise()
                    worker.next_ready()
        except WorkerGone as exc:
            idx, ex = pending.pop(0)      # the exercise being graded (or started) when it happened
            results[ex.id] = _zero(ex, exc.status, str(exc))
        finally:
            if worker is not None:
                worker.close()
    return [results[i] for i in exercise_ids]


def judge_exercise(nb, exercise_id: str, limits: Limits | None = None, hidden: bool = True) -> core.Result:
    """Grade one exercise of a notebook (a dict as read by nbformat/json)."""
    return judge_notebook(nb, [exercise_id], limits, hidden=hidden)[0]


def lesson_of(nb, filename: str | None = None) -> int | None:
    """The lesson number of a notebook: from its grade_ids (``l4_...``), else its file name."""
    for cell in nb.get("cells", []):
        m = re.match(r"l(\d+)_", str(_nbgrader(cell).get("grade_id", "")))
        if m:
            return int(m.group(1))
    if filename:
        m = re.match(r"(\d+)_", Path(filename).name)
        if m:
            return int(m.group(1))
    return None


def exercises_of_lesson(lesson: int, hidden: bool = True) -> list[core.Exercise]:
    core.load_checks(hidden=hidden, lesson=lesson)
    return [ex for ex in core.REGISTRY.values() if ex.lesson == lesson]


