"""nbgrader's ``Execute`` preprocessor, sandboxed and hardened: the only way the course runs
a student's notebook (plain ``nbgrader autograde`` with the course config, ``grade-class``).

:class:`ClassExecute` replaces ``Execute`` in ``Autograde.autograde_preprocessors``:

- the kernel is a :class:`autograder.sandbox.SandboxKernelManager` (bubblewrap allowlist);
  without a sandbox it refuses to run unless ``unsafe_no_sandbox`` is set;
- each cell gets ``min(cell timeout, what is left of the notebook budget)``; once the budget
  is spent the remaining cells are not run and get an error output;
- output beyond ``output_bytes`` per cell is dropped, counting everything a message would
  store (text, data of every MIME type, metadata, tracebacks);
- a kernel that dies (``os._exit``, killed, CPU limit) does not abort nbgrader: the cell
  and every later cell get an error output, so their grade cells score 0 and the
  submission is still recorded.

Every limit hit is appended to :data:`EVENTS` (this process's list, read by
:mod:`autograder.classroom` after each submission); :func:`verdict` turns them into a status
and a one-line reason.
"""
from __future__ import annotations

import dataclasses
import signal
import time

from nbclient.exceptions import CellTimeoutError, DeadKernelError
from nbformat.v4 import new_output
from traitlets import Bool, Dict, Float, Integer

from nbgrader.preprocessors import Execute

from . import sandbox
from .grade import TIMEOUT_REPLY, OutputCap, stored_size

EVENTS: list[dict] = []
PEAK = {"kernel_kb": 0}          # largest kernel resident set seen in this process (VmHWM)
TIMEOUT_ENAME = "CellTimeoutError"


class ClassExecute(OutputCap, Execute):
    notebook_timeout = Float(300.0, help="seconds all cells together may run").tag(config=True)
    output_bytes = Integer(1 << 20, help="output kept per cell (bytes)").tag(config=True)
    memory_mb = Integer(0, help="memory limit of the kernel's sandbox (MiB); 0 = 1024").tag(config=True)
    unsafe_no_sandbox = Bool(False, help="run kernels without a sandbox where none can be made "
                             "(every grade is then recorded as unsandboxed)").tag(config=True)
    sandbox_limits = Dict({}, help="SandboxLimits fields for each kernel").tag(config=True)

    def __init__(self, *args, **kwargs):
        kwargs["kernel_manager_class"] = sandbox.SandboxKernelManager
        super().__init__(*args, **kwargs)

    def create_kernel_manager(self):
        """Always a sandboxed kernel, with this executor's limits."""
        if not self.kernel_name:
            self.kernel_name = self.nb.metadata.get("kernelspec", {}).get("name") or "python3"
        lim = {"memory_mb": self.memory_mb or 1024, **self.sandbox_limits}
        self.km = sandbox.SandboxKernelManager(kernel_name=self.kernel_name, config=self.config, limits=lim)
        return self.km

    def preprocess(self, nb, resources=None, km=None):
        if self.unsafe_no_sandbox:
            sandbox.allow_unsandboxed()
        sandbox.require()              # refuse before any student code runs
        if km is not None and not isinstance(km, sandbox.SandboxKernelManager):
            raise ValueError("ClassExecute runs student code only in a sandboxed kernel")
        self._t0 = time.monotonic()
        self._dead = None
        # interrupt a cell that runs too long once, then go on (nbclient would otherwise
        # interrupt again and again a kernel that no longer answers)
        self.error_on_timeout = dict(TIMEOUT_REPLY)
        self.timeout_func = self._cell_budget
        return super().preprocess(nb, resources, km=km)

    def _left(self) -> float:
        return self.notebook_timeout - (time.monotonic() - self._t0)

    def _cell_budget(self, cell) -> int:
        return max(1, int(min(self.timeout or 1e9, self._left()) + 0.999))

    def preprocess_cell(self, cell, resources, index):
        if cell.cell_type != "code" or not cell.source.strip():
            return super().preprocess_cell(cell, resources, index)
        if self._dead is not None:
            cell.outputs = [_error("KernelDied", f"not run: {self._dead}")]
            return cell, resources
        if self._left() <= 0:
            cell.outputs = [_error("NotebookTimeout", "not run: the notebook time limit "
                                   f"of {self.notebook_timeout:g} s was used up")]
            return cell, resources
        budget = self._cell_budget(cell)
        forks = self._fork_hits()
        t0 = time.monotonic()
        try:
            cell, resources = super().preprocess_cell(cell, resources, index)
        except CellTimeoutError:
            # the kernel did not come back after its interrupt (stuck in C code): treat it as
            # gone, so that nbgrader records the notebook (grades come from the judge)
            self._dead = f"cell {index} did not stop after its {budget} s timeout"
            EVENTS.append({"kind": "timeout", "cell": index, "seconds": budget,
                           "detail": f"timeout in cell {index} after {budget:g} s (the kernel did not stop)"})
            cell.outputs = list(cell.get("outputs", [])) + [_error("CellTimeoutError", self._dead)]
            return cell, resources
        except DeadKernelError:
            why = self._death_reason()
            self._dead = f"the kernel died in cell {index} ({why})"
            EVENTS.append({"kind": "dead", "cell": index, "detail": why})
            cell.outputs = list(cell.get("outputs", [])) + [_error("KernelDied", self._dead)]
            return cell, resources
        spent = time.monotonic() - t0
        self._sample_memory()
        for out in cell.get("outputs", []):
            if out.get("output_type") != "error":
                continue
            if out.get("ename") == TIMEOUT_ENAME:
                # the kernel may never answer again: the cells after this one are not run
                self._dead = self._dead or f"cell {index} ran longer than its time limit"
                if budget < (self.timeout or 1e9):
                    EVENTS.append({"kind": "notebook-timeout", "cell": index, "seconds": round(spent, 1),
                                   "detail": f"notebook time limit {self.notebook_timeout:g} s used up in cell {index}"})
                else:
                    EVENTS.append({"kind": "timeout", "cell": index, "seconds": budget,
                                   "detail": f"timeout in cell {index} after {budget:g} s"})
            elif out.get("ename") == "MemoryError":
                EVENTS.append({"kind": "memory", "cell": index,
                               "detail": f"memory limit {self.memory_mb} MB exceeded in cell {index}"})
        refused = any(o.get("output_type") == "error" and o.get("ename") == "BlockingIOError"
                      and "fork" in "".join(o.get("traceback", [])) for o in cell.get("outputs", []))
        if self._fork_hits() > forks or refused:
            EVENTS.append({"kind": "processes", "cell": index,
                           "detail": f"process limit reached in cell {index} "
                                     f"({self.km.sandbox.limits.max_processes} processes and threads)"})
        if index in self._cap_dropped:
            n = self._cap_dropped[index]
            EVENTS.append({"kind": "output", "cell": index,
                           "detail": f"cell {index} printed too much: {n} bytes beyond {self.output_bytes} dropped"})
            cell.outputs.append(new_output("stream", name="stdout",
                                           text=f"\n[grader: {n} more bytes of output dropped]\n"))
        return cell, resources

    def on_cell_executed(self, **kwargs):
        """nbgrader adds the execute reply's error to the cell when no output of the cell has
        its ``ename``: charge it to the cell's output budget like any output (the reply is the
        kernel's, as large as a message may be), and put a short error in its place when over."""
        reply = kwargs.get("execute_reply") or {}
        content = reply.get("content") or {}
        if content.get("status") == "error" and not any(
                o.get("output_type") == "error" and o.get("ename") == content.get("ename")
                for o in kwargs["cell"].get("outputs", [])):
            err = {k: content.get(k) for k in ("ename", "evalue", "traceback")}
            if not self._charge(kwargs.get("cell_index"), stored_size(err)):
                kwargs["execute_reply"] = {**reply, "content": {
                    "status": "error", "ename": "OutputDropped", "evalue": "",
                    "traceback": ["the error was larger than the output left for this cell"]}}
        return super().on_cell_executed(**kwargs)

    def _sample_memory(self) -> None:
        """Largest resident set (VmHWM) of any process of the kernel's sandbox so far."""
        pid = getattr(getattr(self.km, "sandbox", None), "pid", None)
        if pid is None:
            return
        for p in sandbox.tree_pids(pid):
            try:
                with open(f"/proc/{p}/status") as f:
                    for line in f:
                        if line.startswith("VmHWM:"):
                            PEAK["kernel_kb"] = max(PEAK["kernel_kb"], int(line.split()[1]))
            except (OSError, ValueError):
                pass

    def _fork_hits(self) -> int:
        sb = getattr(self.km, "sandbox", None)
        return sb.fork_limit_hits() if sb is not None else 0

    def _death_reason(self) -> str:
        km = self.km
        code = None
        try:
            code = km.exit_status() if km is not None and hasattr(km, "exit_status") else None
        except Exception:   # noqa: BLE001 - only for the message
            code = None
        hits = km.sandbox.fork_limit_hits() if getattr(km, "sandbox", None) is not None else 0
        parts = []
        if code is None:
            parts.append("no exit status")
        elif code < 0:
            name = signal.Signals(-code).name
            parts.append({"SIGXCPU": "CPU-time limit", "SIGKILL": "killed with SIGKILL"}.get(name, f"signal {name}"))
        else:
            parts.append(f"the kernel process exited with code {code}")
        if hits:
            parts.append(f"process limit reached {hits} times")
        oom = km.sandbox.memory_limit_hits() if getattr(km, "sandbox", None) is not None else 0
        if oom:
            parts.append(f"memory limit of the sandbox ({self.memory_mb} MB) reached")
        return "; ".join(parts)


def _error(ename: str, evalue: str):
    return new_output("error", ename=ename, evalue=evalue, traceback=[f"{ename}: {evalue}"])


def verdict(events: list[dict]) -> tuple[str, str]:
    """``(status, reason)`` of a submission from its limit events."""
    if not events:
        return "graded", ""
    kinds = {e["kind"] for e in events}
    reason = "; ".join(dict.fromkeys(e["detail"] for e in events))
    if kinds <= {"output"}:
        return "graded", reason             # too much output is dropped, not a failure
    if "dead" in kinds:
        return "crashed", reason
    if kinds & {"timeout", "notebook-timeout"}:
        return "timeout", reason
    return "limit", reason


# ----------------------------------------------------------------------------- configuration

def configure(cfg, limits: dict, run_dir: str) -> None:
    """Point an nbgrader config at the sandboxed executor with the class limits."""
    from nbgrader.converters import Autograde
    pps = list(cfg.Autograde.get("autograde_preprocessors", Autograde.autograde_preprocessors.default()))
    pps = [ClassExecute if _is_execute(p) else p for p in pps]
    if ClassExecute not in pps:
        pps.insert(0, ClassExecute)
    cfg.Autograde.autograde_preprocessors = pps
    cfg.ClassExecute.timeout = int(limits["cell_timeout"])
    cfg.ClassExecute.notebook_timeout = float(limits["notebook_timeout"])
    cfg.ClassExecute.output_bytes = int(limits["output_kb"]) * 1024
    cfg.ClassExecute.memory_mb = int(limits["memory_mb"])
    # the kernel's own clean-up (atexit hooks) is untrusted code: do not wait for it, the
    # sandbox kills the whole tree anyway
    cfg.ClassExecute.shutdown_kernel = "immediate"
    cfg.ClassExecute.sandbox_limits = dataclasses.asdict(sandbox_limits(limits))
    cfg.SandboxKernelManager.base_dir = run_dir
    # The judge (nbgrader_plugin.TrustedGrades) keeps the course's own c.TrustedGrades settings,
    # as plain `nbgrader autograde` does, and `grade`'s defaults are the same: a grade never
    # depends on the path it took. (The cell limits above are wall-clock safety nets for the
    # kernel, which grades do not come from.) `grade-class --timeout-call` overrides.
    if limits.get("call_timeout"):
        cfg.TrustedGrades.call_timeout = float(limits["call_timeout"])


def _is_execute(p) -> bool:
    name = p if isinstance(p, str) else f"{p.__module__}.{p.__name__}"
    return name.rsplit(".", 1)[-1] in ("Execute", "ClassExecute")


def sandbox_limits(limits: dict) -> sandbox.SandboxLimits:
    return sandbox.SandboxLimits(memory_mb=int(limits["memory_mb"]), cpu_seconds=int(limits["cpu_seconds"]),
                                 max_processes=int(limits["max_processes"]), file_mb=int(limits["file_mb"]))
