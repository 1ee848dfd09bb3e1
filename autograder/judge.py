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

import dataclasses
import os
import re
import select
import signal
import subprocess
import sys
import sysconfig
import time
from pathlib import Path

import numpy as np

from . import core
from .analysis import FORBIDDEN_RE, NotebookSource, nbgrader_meta
from .worker import decode, encode

WORKER = Path(__file__).with_name("worker.py")


@dataclasses.dataclass
class Limits:
    """Limits for one exercise's worker. Budgets that decide a grade are CPU seconds (a loaded
    machine does not make correct code fail); each has a wall-clock safety net of
    ``wall_factor`` times the budget plus ``wall_slack`` seconds. Sizes in MiB."""
    call_timeout: float = 10.0        # CPU s, one call of the student's code
    exercise_timeout: float = 120.0   # CPU s, all checks of one exercise (hard RLIMIT_CPU)
    cell_timeout: float = 10.0        # CPU s, one solution cell in the worker
    startup_timeout: float = 120.0    # CPU s, all solution cells before an exercise
    memory_mb: int = 2048             # the worker's sandbox
    max_processes: int = 16           # processes and threads of the worker's sandbox
    file_mb: int = 64                 # largest file the worker may write
    wall_factor: float = 4.0          # wall-clock net = factor x CPU budget + slack ...
    wall_slack: float = 20.0          # ... and, when it fires on busy code, one retry
    idle_timeout: float = 30.0        # s the code may wait (sleep, input) in one exercise

    @classmethod
    def per_call(cls, call_timeout: float = 10.0, memory_mb: int = 2048) -> "Limits":
        """The limits every grading path derives from one per-call budget (``grade --timeout``,
        ``c.TrustedGrades.call_timeout``), so that a grade never depends on the path it took."""
        return cls(call_timeout=call_timeout, cell_timeout=call_timeout,
                   exercise_timeout=max(120.0, 12 * call_timeout), memory_mb=memory_mb)


class WorkerGone(core.Aborted):
    """The worker timed out, crashed or broke a limit. A BaseException so that a check's
    ``except Exception`` cannot swallow it; :func:`core.run_exercise` turns it into a status.
    ``wall`` says a wall-clock net fired; ``busy`` that the code was computing (not waiting),
    so that a loaded machine, not the code, may be the cause: the exercise is retried."""

    def __init__(self, status: str, message: str, wall: bool = False, busy: bool = False):
        super().__init__(status, message)
        self.wall = wall
        self.busy = busy


class ExerciseDied(core.Aborted):
    """The process serving one exercise died (e.g. ``os._exit``) or used up a CPU budget;
    the worker goes on with the next exercise."""


class RemoteError(Exception):
    """The student's code raised an exception in the worker."""

    def __init__(self, info: dict):
        self.remote_type = str(info.get("type", "Exception"))[:100]
        self.remote_where = str(info.get("where", ""))[:400]
        super().__init__(str(info.get("message", ""))[:2000])


class RemoteNotImplementedError(RemoteError, NotImplementedError):
    pass


class RemoteAttributeError(RemoteError, AttributeError):
    """The student's object has no such attribute (a mistake in their code, shown as such)."""


# ----------------------------------------------------------------------------- worker session

def _third_party_paths() -> list[str]:
    """Folders with numpy, scipy, pandas, bs4 and matplotlib — without processing .pth files
    (the same paths inside the sandbox, which binds them read-only)."""
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


def _tree_times(pid: int) -> tuple[float, float]:
    """``(cpu, waiting_for_cpu)`` seconds of ``pid`` and its live descendants so far, read from
    the host's ``/proc`` (written by the kernel, not the sandbox): CPU time including reaped
    children, and time spent runnable but not running (``schedstat``: the machine's load).
    Wall time minus both is time the code chose to wait (sleep, input, a lock)."""
    from .sandbox import tree_pids
    tick = os.sysconf("SC_CLK_TCK")
    cpu = wait = 0.0
    for p in tree_pids(pid):
        try:
            with open(f"/proc/{p}/stat", "rb") as f:
                fields = f.read().rsplit(b")", 1)[1].split()
            children = (int(fields[13]) + int(fields[14])) / tick       # reaped children
            own = (int(fields[11]) + int(fields[12])) / tick             # every thread's
        except (OSError, ValueError, IndexError):
            continue
        # /proc/PID/schedstat is the main thread's alone: a thread computing would not count.
        # Each thread's (ns, more precise than stat's ticks) summed, stat's total if higher.
        on_cpu = queued = 0.0
        try:
            for task in os.listdir(f"/proc/{p}/task")[:4096]:
                try:
                    with open(f"/proc/{p}/task/{task}/schedstat") as f:
                        run, q = (int(x) for x in f.read().split()[:2])
                    on_cpu += run / 1e9
                    queued += q / 1e9
                except (OSError, ValueError):
                    continue
        except OSError:
            pass
        cpu += max(own, on_cpu) + children
        wait += queued
    return cpu, wait


class Worker:
    """One sandboxed worker process: start it with the cells, then call into it."""

    def __init__(self, cells: list[dict], limits: Limits, label: str = "exercise"):
        from . import sandbox
        self.limits = limits
        self.label = label
        self.closed = False
        lim = sandbox.SandboxLimits(memory_mb=limits.memory_mb, max_processes=limits.max_processes,
                                    file_mb=limits.file_mb,
                                    cpu_seconds=int(limits.startup_timeout + 4 * limits.exercise_timeout) + 60)
        self.sandbox = sandbox.Sandbox(lim, label="judge-worker")
        self.mode = self.sandbox.mode
        cmd = self.sandbox.command([sys.executable, "-I", "-S", "-B",
                                    self.sandbox.runtime_path("autograder", "worker.py")])
        try:
            self.proc = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                         stderr=subprocess.DEVNULL, cwd=self.sandbox.dir, env={},
                                         close_fds=True)
        except BaseException:
            self.sandbox.close()
            raise
        self.sandbox.pid = self.proc.pid
        self._send({"paths": _third_party_paths(), "cells": cells,
                    "cell_timeout": limits.cell_timeout, "call_timeout": limits.call_timeout,
                    "exercise_timeout": limits.exercise_timeout})
        self.ready = self.early_ready = None
        self.cpu_before = 0.0      # what the exercise's visible checks used in another worker
        self.next_ready()

    def _wall(self, cpu: float) -> float:
        return self.limits.wall_factor * cpu + self.limits.wall_slack

    def next_ready(self) -> dict:
        """Wait until the worker has run the cells of the next exercise and serves it.
        Returns the ready message (or a ``child_died`` one)."""
        self.exercise_dead = False
        self.requests = 0
        self.idle_used = 0.0
        self.cpu_at_ready = None
        early, self.early_ready = self.early_ready, None
        self.ready = early or self._receive(self._wall(self.limits.startup_timeout),
                                            "while running your solution cells", cpu=self.limits.startup_timeout)
        self.idle_used = 0.0           # the exercise's own waiting starts now
        self.cpu_at_ready = self._times()[0]      # and its CPU time
        if "child_died" in self.ready:
            self.exercise_dead = True
        return self.ready

    # -- low level
    def _send(self, msg, blobs=None) -> None:
        from .worker import write_message
        try:
            write_message(self.proc.stdin.fileno(), msg, blobs)
        except (BrokenPipeError, OSError, ValueError):
            self._gone("error", "the worker process stopped unexpectedly" + self._death())

    def _times(self) -> tuple[float, float]:
        """``(cpu, waiting_for_cpu)`` seconds of the sandbox so far. CPU time from its cgroup
        where it has one (root): that counts processes that ended unseen, e.g. children the
        student's code had reaped automatically (SIGCHLD ignored), whose time no live process
        keeps. Else from the process tree (:func:`_tree_times`)."""
        cpu, wait = _tree_times(self.proc.pid)
        total = self.sandbox.cpu_seconds()
        return (total if total is not None else cpu), wait

    def exercise_cpu(self, now: float | None = None) -> float:
        """CPU seconds the exercise's checks have used: in this worker since it was ready
        (``now``: a reading of :meth:`_times`), plus ``cpu_before`` (its visible checks')."""
        now = self._times()[0] if now is None else now
        return self.cpu_before + max(0.0, now - (self.cpu_at_ready or now))

    def _receive(self, wall: float, doing: str, cpu: float | None = None) -> dict:
        """One message, within ``wall`` seconds, within ``cpu`` seconds of CPU time and what is
        left of the exercise's ``exercise_timeout`` once it is served, and within what is left
        of the exercise's idle budget (time the code spends neither computing nor waiting for a
        CPU). CPU time is measured here, from the host's /proc: the worker's own timer and
        rlimit only answer sooner, with a clearer message, and are the student's to disarm.
        Anything malformed means the worker is gone."""
        from .worker import read_message_with
        start = time.monotonic()
        end = start + wall
        cpu0, wait0 = self._times()

        def idle() -> float:
            used, waited = self._times()
            if cpu is not None and used - cpu0 > cpu + CPU_GRACE:
                raise _CPUOver(cpu, "")
            if self.cpu_at_ready is not None and \
                    self.exercise_cpu(used) > self.limits.exercise_timeout + CPU_GRACE:
                raise _CPUOver(self.limits.exercise_timeout, " (all calls of this exercise together)")
            return max(0.0, time.monotonic() - start - (used - cpu0) - (waited - wait0))

        try:
            msg, blobs = read_message_with(lambda n: self._read(n, end, idle))
        except _CPUOver as exc:
            limit, scope = exc.args
            self._gone("timeout", f"timeout: your code used more than {limit:g} s of CPU time{scope} in "
                                  f"{self.label} ({doing})")
        except _Idle:
            self._gone("timeout", f"timeout: your code waited (sleep, input, a lock?) more than "
                       f"{self.limits.idle_timeout:g} s in {self.label} ({doing}) without computing")
        except _WallClock:
            cpu, _ = self._times()
            busy = cpu - cpu0 > 0.05 * wall
            self._gone("timeout", f"no answer within the wall-clock limit of {wall:g} s in {self.label} ({doing})"
                       + ("" if busy else ": your code was waiting, not computing (sleep, input, a lock?)"),
                       wall=True, busy=busy)
        except EOFError:
            self._gone("error", f"the worker process died in {self.label} ({doing})" + self._death())
        except (Exception, RecursionError, MemoryError) as exc:   # noqa: BLE001 - any malformed frame
            self._gone("error", f"the worker sent a malformed message ({type(exc).__name__})")
        if time.monotonic() - start > 1.0:
            self.idle_used += idle()
        msg["$blobs"] = blobs
        return msg

    def _read(self, n: int, end: float, idle) -> bytes:
        fd = self.proc.stdout.fileno()
        chunks, got = [], 0
        while got < n:
            left = end - time.monotonic()
            if left <= 0:
                raise _WallClock()
            ready, _, _ = select.select([fd], [], [], min(left, 1.0))
            if not ready:
                if self.idle_used + idle() > self.limits.idle_timeout:
                    raise _Idle()
                continue
            chunk = os.read(fd, min(n - got, 1 << 20))
            if not chunk:
                raise EOFError()
            chunks.append(chunk)
            got += len(chunk)
        return b"".join(chunks)

    def _death(self) -> str:
        try:
            code = self.proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            return ""
        if code < 0:
            name = signal.Signals(-code).name
            why = {"SIGKILL": " (killed: memory limit?)", "SIGXCPU": " (CPU-time limit)",
                   "SIGSEGV": " (crash)"}.get(name, "")
            return f": signal {name}{why}"
        return f": exit code {code}"

    def _gone(self, status: str, message: str, wall: bool = False, busy: bool = False):
        self.close()
        raise WorkerGone(status, message, wall=wall, busy=busy)

    def request(self, msg: dict, doing: str, blobs=None) -> dict:
        self.requests = getattr(self, "requests", 0) + 1
        if self.requests > MAX_REQUESTS:
            self.exercise_dead = True
            raise ExerciseDied("error", f"the checks had to ask your objects more than {MAX_REQUESTS} "
                                        f"questions in {self.label} ({doing}): return plain values (arrays, "
                                        "numbers, lists) as the docstring says")
        if self.proc.poll() is not None:
            self._gone("error", f"the worker process is gone in {self.label}" + self._death())
        self._send(msg, blobs)
        reply = self._receive(self._wall(self.limits.call_timeout), doing, cpu=self.limits.call_timeout)
        if "ready" in reply:
            # the exercise's process ended cleanly (os._exit(0)) without answering, and the
            # worker went on to the next exercise: this message is that one's, kept for it
            self.early_ready = reply
            self.exercise_dead = True
            raise ExerciseDied("error", f"your code ended the grading process (exit code 0) in "
                                        f"{self.label} ({doing})")
        if "child_died" in reply:
            code = reply.get("child_died")
            name = signal.Signals(-code).name if isinstance(code, int) and code < 0 and \
                -code in signal.valid_signals() else None
            why = {"SIGXCPU": f"it used up the exercise's {self.limits.exercise_timeout:g} s of CPU time",
                   "SIGKILL": "killed: memory limit?"}.get(name, f"signal {name}" if name else f"exit code {code}")
            self.exercise_dead = True
            raise ExerciseDied("timeout" if name == "SIGXCPU" else "error",
                               f"your code ended the grading process ({why}) in {self.label} ({doing})")
        if "cpu_timeout" in reply:
            raise ExerciseDied("timeout", f"timeout: your code used more than {self.limits.call_timeout:g} s "
                                          f"of CPU time in {self.label} ({doing})")
        if "error" in reply:
            info = reply["error"] if isinstance(reply["error"], dict) else {"message": str(reply["error"])}
            if info.get("type") == "MemoryError":
                info = {**info, "message": f"out of memory (the limit is {self.limits.memory_mb} MB)"}
            if info.get("not_implemented"):
                raise RemoteNotImplementedError(info)
            raise RemoteError(info)
        return reply

    def value(self, reply: dict, key: str = "value"):
        try:
            return decode(reply.get(key), make_remote=lambda h, info: RemoteObject(self, h, info),
                          blobs=reply.get("$blobs"))
        except (Exception, RecursionError) as exc:   # noqa: BLE001 - anything unreadable
            self._gone("error", f"the worker sent a value that cannot be read safely ({type(exc).__name__})")

    def get_global(self, name: str):
        reply = self.request({"op": "global", "name": name}, f"looking up {name}")
        if reply.get("missing"):
            return None, None
        describe = reply.get("describe")
        return self.value(reply), describe if isinstance(describe, dict) else {}

    def close(self) -> None:
        if self.closed:
            return
        self.closed = True
        self.sandbox.close()
        try:
            self.proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            pass
        for stream in (self.proc.stdin, self.proc.stdout):
            try:
                stream.close()
            except OSError:
                pass

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


class _WallClock(Exception):
    pass


class _Idle(Exception):
    pass


class _CPUOver(Exception):
    """(limit, what it covers): the worker's processes used more CPU time than allowed."""


# s of CPU time over a budget before the trusted side ends the worker: the worker's own timer
# fires at the budget and answers with a clearer message, unless the student's code disarmed it
CPU_GRACE = 2.0


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

    def _enc(self, value, blobs: list):
        try:
            return encode(value, blobs=blobs)
        except TypeError as exc:
            raise TypeError(f"check error: {exc}") from None

    def __call__(self, *args, **kwargs):
        # Arguments travel as copies and nothing comes back into them: a student function
        # that writes into its input changes only the worker's copy, never a trusted array.
        return self._call(args, kwargs, inspect=False)[0]

    def __call_inspect__(self, args, kwargs):
        """Call, and also return the state of every argument after the call, as new copies:
        ``(result, args_after, kwargs_after)`` (what ``core.call_inspect`` asks for)."""
        return self._call(args, kwargs, inspect=True)

    def _call(self, args, kwargs, inspect: bool):
        w = self._worker
        blobs: list = []
        msg = {"op": "call", "target": self._handle, "args": [self._enc(a, blobs) for a in args],
               "kwargs": {k: self._enc(v, blobs) for k, v in kwargs.items()}}
        if inspect:
            msg["inspect"] = True
        reply = w.request(msg, f"calling {str(self._info.get('type', 'your code'))[:80]}", blobs)
        result = w.value(reply)
        if not inspect:
            return result, None, None
        after = w.value(reply, "after")
        after_kw = w.value(reply, "after_kwargs")
        if type(after) is not tuple or len(after) != len(args) or type(after_kw) is not dict:
            w._gone("error", "the worker sent a malformed reply")
        return result, list(after), after_kw

    def __getattr__(self, name: str):
        if name.startswith("__") and name.endswith("__"):
            raise AttributeError(name)
        w = self._worker
        try:
            reply = w.request({"op": "getattr", "target": self._handle, "name": name}, f"reading .{name}")
        except RemoteError as exc:
            if exc.remote_type == "AttributeError":
                raise RemoteAttributeError({"type": "AttributeError", "where": exc.remote_where,
                                            "message": f"your object has no attribute {name!r}"}) from None
            raise
        return w.value(reply)

    def __setattr__(self, name, value):
        w = self._worker
        blobs: list = []
        w.request({"op": "setattr", "target": self._handle, "name": name, "value": self._enc(value, blobs)},
                  f"setting .{name}", blobs)

    def __getitem__(self, key):
        w = self._worker
        blobs: list = []
        return w.value(w.request({"op": "getitem", "target": self._handle, "key": self._enc(key, blobs)},
                                 "indexing", blobs))

    def __array__(self, *args, **kwargs):
        # numpy would otherwise walk the object as a sequence, one request per element:
        # minutes of the trusted side's CPU for a small tree built by the student
        raise TypeError(f"{self!r} is not an array")

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

# Each request to the worker costs the trusted side a few ms; the checks of one exercise make
# at most a few hundred.
MAX_REQUESTS = 5000
def find_solution_cell(nb, exercise_id: str) -> int | None:
    for i, cell in enumerate(nb["cells"]):
        meta = nbgrader_meta(cell)
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
                       [core.SubCheck("exercise could be graded", False, message)], final=True)


def _grade_served(worker: Worker, ex: core.Exercise, idx: int, hidden: bool,
                  after: core.Result | None = None) -> core.Result:
    """Grade one exercise whose process is ready in ``worker`` (``after``: its visible checks'
    result, see :func:`core.run_exercise`). Raises WorkerGone when the whole worker is lost
    (timeout, broken channel)."""
    name = object_name(ex)
    ready = worker.ready or {}
    if ready.get("stop", ex.id) != ex.id:    # never expected: start afresh rather than mix them up
        worker._gone("error", f"the worker served {str(ready.get('stop'))[:40]!r} where {ex.id} was expected")
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
        return core.run_exercise(ex.id, obj, hidden=hidden, after=after)
    except ExerciseDied as exc:
        return _zero(ex, exc.status, str(exc))
    except RemoteError as exc:      # e.g. the student's cells broke the worker's own machinery
        return _zero(ex, "error", f"your code raised {exc.remote_type} while the grader looked up "
                                  f"`{name}`: {exc}")


def judge_notebook(nb, exercise_ids: list[str], limits: Limits | None = None,
                   hidden: bool = True) -> list[core.Result]:
    """Grade several exercises of a notebook; results in the order of ``exercise_ids``.

    Each exercise has a worker of its own (:func:`_grade_alone`) for its visible checks and
    another for its hidden checks, which runs the solution cells in notebook order up to that
    exercise's cell: the exercise sees the notebook as it was at its own cell, and a timeout or
    a lost worker costs that exercise only."""
    limits = limits or Limits()
    results: dict[str, core.Result] = {}
    pending: list[tuple[int, core.Exercise]] = []
    source = NotebookSource(nb)          # parsed once, within bounds
    for ex_id in exercise_ids:
        ex = core.get_exercise(ex_id, hidden=hidden)
        idx = find_solution_cell(nb, ex_id)
        if idx is None:
            results[ex_id] = _zero(ex, "error", f"no solution cell with grade_id {ex_id!r} in the notebook "
                                                "(was the cell deleted or its metadata changed?)")
            continue
        bad = source.refusal(idx)
        if bad:
            results[ex_id] = _zero(ex, "error", bad)
        else:
            pending.append((idx, ex))
    pending.sort(key=lambda p: p[0])
    # Every exercise's visible checks first, each in a sandbox of its own; then the hidden
    # checks, each in another. The student reads the visible checks' messages, which their code
    # can fill: none of it runs after any hidden input was given to their code. (Sandboxes of
    # their own do not stop a channel through the machine between two of them: the page cache
    # of the files all sandboxes read, a timing.) What a hidden check shows is fixed text.
    for idx, ex in pending:
        results[ex.id] = _grade_alone(source, ex, idx, limits, hidden=False)
    if hidden:
        for idx, ex in pending:
            visible = results[ex.id]
            if not visible.final:
                results[ex.id] = _grade_alone(source, ex, idx, limits, hidden=True, after=visible)
                if visible.retried and not results[ex.id].retried:
                    _note_retry(results[ex.id])
    return [results[i] for i in exercise_ids]


def _grade_alone(source: NotebookSource, ex: core.Exercise, idx: int, limits: Limits, hidden: bool,
                 after: core.Result | None = None) -> core.Result:
    """Grade one exercise in a worker (a sandbox) of its own, started with the solution cells
    up to the exercise's cell. Nothing an exercise's code saw, the hidden checks' inputs among
    it, can reach the code of another exercise, whose visible checks' messages the student
    reads. A wall-clock net that fired while the code was computing (a loaded machine?) costs
    nothing the first time: the exercise is graded again in a fresh worker."""
    for attempt in (1, 2):
        cells = source.cells_for(idx)
        for cell in cells:
            if cell["index"] == idx:
                cell["stop"] = ex.id
        worker = None
        try:
            worker = Worker(cells, limits, label=ex.id)
            worker.cpu_before = after.cpu if after is not None else 0.0     # one budget for both
            result = _grade_served(worker, ex, idx, hidden, after)
            result.cpu = worker.exercise_cpu()
        except WorkerGone as exc:
            if exc.wall and exc.busy and attempt == 1:
                continue
            result = _zero(ex, exc.status, str(exc))
        finally:
            if worker is not None:
                worker.close()
        if attempt == 2:
            _note_retry(result)
        return result
    raise AssertionError("unreachable")


def _note_retry(result: core.Result) -> None:
    """Say in the record that a wall-clock timeout made us grade this exercise twice."""
    note = "graded twice: the first attempt hit a wall-clock limit while computing (a loaded machine?)"
    result.message = f"{result.message} [{note}]" if result.message else note
    result.retried = True


def judge_exercise(nb, exercise_id: str, limits: Limits | None = None, hidden: bool = True) -> core.Result:
    """Grade one exercise of a notebook (a dict as read by nbformat/json)."""
    return judge_notebook(nb, [exercise_id], limits, hidden=hidden)[0]


def lesson_of(nb, filename: str | None = None) -> int | None:
    """The lesson number of a notebook: from its file name (``04_...``: what the student was
    asked to hand in), else from its grade_ids (``l4_...``, for a renamed file). The name comes
    first: grade_ids are the student's to edit, and a solved lesson 5 handed in as lesson 4
    must be graded as lesson 4 (0 points), not as lesson 5."""
    if filename:
        m = re.match(r"(\d+)_", Path(filename).name)
        if m:
            return int(m.group(1))
    for cell in nb.get("cells", []):
        m = re.match(r"l(\d+)_", str(nbgrader_meta(cell).get("grade_id", "")))
        if m:
            return int(m.group(1))
    return None


def exercises_of_lesson(lesson: int, hidden: bool = True) -> list[core.Exercise]:
    core.load_checks(hidden=hidden, lesson=lesson)
    return [ex for ex in core.REGISTRY.values() if ex.lesson == lesson]


