"""Run untrusted code (a student's notebook kernel, the judge's worker) in a sandbox.

One :class:`Sandbox` is one untrusted process tree. The trusted side (root, usually) creates
it, then starts the process through a small launcher — this file run as a script, standard
library only — which, before ``exec``-ing the real command:

- joins a fresh ``pids`` cgroup (process-count limit, and a reliable "kill everything" at
  the end: a process that calls ``setsid`` leaves its process group, never its cgroup);
- unshares the network namespace (no network: only a loopback that is down);
- unshares the mount namespace and overmounts the instructor's folders (course directory,
  hidden tests, reference package) with empty read-only tmpfs;
- sets RLIMIT_AS (memory), RLIMIT_CPU, RLIMIT_FSIZE, RLIMIT_NPROC, RLIMIT_CORE=0;
- changes to a private working copy of the submission and drops to an unprivileged uid
  unique to this sandbox (``UID_BASE + pid``), so file permissions protect everything else
  and no two concurrent sandboxes can read or signal each other.

Where a feature is unavailable (not root, no cgroup v1 ``pids`` hierarchy, ``unshare``
refused) it is skipped and the reason is recorded in :func:`capabilities` warnings; the
rlimits, the private copy, the session and the process-tree kill always apply.

Kernels talk to the trusted process over ZMQ ``ipc`` (unix sockets in the sandbox folder):
TCP on 127.0.0.1 does not cross network namespaces. :class:`SandboxKernelManager` is a
jupyter_client kernel manager doing all this (use it as nbclient's ``kernel_manager_class``).
:func:`spawn` starts any other command (the judge's worker) the same way.
"""
from __future__ import annotations

import dataclasses
import marshal
import os
import resource
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import warnings as _warnings

from .sandbox_launch import _closed_ancestor

UID_BASE = 2_000_000          # sandbox uid = UID_BASE + launcher pid (unique while it lives)
CGROUP_PIDS = "/sys/fs/cgroup/pids"
LAUNCHER = os.path.join(os.path.dirname(os.path.abspath(__file__)), "sandbox_launch.py")
CGROUP_PREFIX = "autograder-"  # grade-class sets a per-run prefix so that it can sweep its cgroups


@dataclasses.dataclass
class SandboxLimits:
    """Limits for one untrusted process tree. Times in seconds, sizes in MiB."""
    memory_mb: int = 1024          # RLIMIT_AS of each process
    cpu_seconds: int = 600         # RLIMIT_CPU of each process
    max_processes: int = 64        # pids cgroup (and RLIMIT_NPROC of the sandbox uid); threads count
    file_mb: int = 64              # RLIMIT_FSIZE: largest file it may write
    open_files: int = 256          # RLIMIT_NOFILE
    network: bool = False          # False: own network namespace
    hide: tuple = ()               # paths overmounted with empty tmpfs (dirs) or /dev/null (files)
    drop_privileges: bool = True   # run as UID_BASE + pid when root


# ----------------------------------------------------------------------------- capabilities

_CAPS: dict | None = None


def capabilities() -> dict:
    """What this machine lets us do, probed once per process:
    ``{"root", "cgroup", "netns", "mountns", "warnings": [...]}``."""
    global _CAPS
    if _CAPS is not None:
        return _CAPS
    caps = {"root": os.geteuid() == 0, "cgroup": False, "netns": False, "mountns": False,
            "warnings": []}
    if not caps["root"]:
        caps["warnings"].append("not running as root: untrusted code keeps this user's uid "
                                "(file permissions do not protect the course), no cgroup, "
                                "no namespaces; only rlimits and the process-group kill apply")
    else:
        probe = os.path.join(CGROUP_PIDS, f"autograder-probe-{os.getpid()}")
        try:
            os.mkdir(probe)
            os.rmdir(probe)
            caps["cgroup"] = True
        except OSError as exc:
            caps["warnings"].append(f"no pids cgroup ({exc}): process count limited by RLIMIT_NPROC only")
        for flag, key in (("-n", "netns"), ("-m", "mountns")):
            try:
                ok = subprocess.run(["unshare", flag, "true"], capture_output=True, timeout=10).returncode == 0
            except (OSError, subprocess.TimeoutExpired):
                ok = False
            caps[key] = ok
            if not ok:
                what = "network stays reachable" if key == "netns" else "instructor files are protected by permissions only"
                caps["warnings"].append(f"unshare {flag} refused: {what}")
    for w in caps["warnings"]:
        _warnings.warn("sandbox: " + w, RuntimeWarning, stacklevel=2)
    _CAPS = caps
    return caps


# ----------------------------------------------------------------------------- trusted side

class Sandbox:
    """A private folder, a cgroup and a launcher command for one untrusted process tree.

    ``sandbox.workdir`` is the private working copy (``copy_from`` is copied into it);
    ``sandbox.command(argv)`` wraps a command; ``sandbox.close()`` kills every process of
    the tree and removes the folder and the cgroup. Safe to call ``close`` twice.
    """

    def __init__(self, limits: SandboxLimits | None = None, copy_from: str | None = None,
                 base_dir: str | None = None, label: str = "sandbox", workdir: str | None = None):
        self.limits = limits or SandboxLimits()
        self.caps = capabilities()
        self.label = label
        self.dir = tempfile.mkdtemp(prefix="ag-", dir=base_dir)
        os.chmod(self.dir, 0o711)           # others may traverse to their files, never list
        self.workdir = workdir or os.path.join(self.dir, "work")
        self.ipcdir = os.path.join(self.dir, "ipc")
        if workdir:
            pass                                # the caller's folder (the caller removes it)
        elif copy_from:
            shutil.copytree(copy_from, self.workdir, symlinks=True,
                            ignore=shutil.ignore_patterns(".ipynb_checkpoints"))
        else:
            os.mkdir(self.workdir)
        os.mkdir(self.ipcdir)
        self.cgroup = None
        if self.caps["cgroup"]:
            self.cgroup = os.path.join(CGROUP_PIDS, CGROUP_PREFIX + os.path.basename(self.dir))
            os.mkdir(self.cgroup)
            with open(os.path.join(self.cgroup, "pids.max"), "w") as f:
                f.write(str(self.limits.max_processes))
        self.pid: int | None = None
        self.closed = False
        _LIVE.add(self)

    # -- launching
    def spec(self) -> dict:
        lim = self.limits
        root = self.caps["root"]
        expose = _unreachable_prefixes() if root and lim.drop_privileges else []
        setuid = root and lim.drop_privileges
        if expose and not self.caps["mountns"]:
            setuid = False
            _warnings.warn(f"sandbox: the interpreter under {expose[0]} is not reachable by an "
                           "unprivileged uid and no mount namespace is available: running as root",
                           RuntimeWarning, stacklevel=2)
        return {
            "cgroup": self.cgroup,
            "netns": (not lim.network) and self.caps["netns"],
            "mountns": self.caps["mountns"],
            "hide": [os.path.realpath(p) for p in lim.hide if os.path.exists(p)],
            "expose": expose,
            "rlimits": {"AS": lim.memory_mb * 1024 * 1024, "CPU": lim.cpu_seconds,
                        "FSIZE": lim.file_mb * 1024 * 1024, "NOFILE": lim.open_files, "CORE": 0},
            "nproc": lim.max_processes,
            "setuid": setuid,
            "own": [self.workdir, self.ipcdir],
            "workdir": self.workdir,
        }

    def command(self, argv: list[str]) -> list[str]:
        """``argv`` wrapped by the launcher (which ``exec``s it: same pid)."""
        spec_path = os.path.join(self.dir, "spec.marshal")
        with open(spec_path, "wb") as f:
            marshal.dump(self.spec(), f)       # marshal, not json: the launcher reads it 13 ms faster
        return [sys.executable, "-I", "-S", LAUNCHER, spec_path, "--"] + list(argv)

    def env(self, base: dict | None = None) -> dict:
        """A clean environment for the untrusted process."""
        env = {k: v for k, v in (base if base is not None else os.environ).items()
               if k in ("PATH", "LANG", "LC_ALL", "TERM", "PYTHONPATH", "VIRTUAL_ENV",
                        "JPY_PARENT_PID", "PYDEVD_DISABLE_FILE_VALIDATION")}
        env.update(HOME=self.workdir, TMPDIR=self.workdir, MPLCONFIGDIR=self.workdir,
                   IPYTHONDIR=os.path.join(self.workdir, ".ipython"),
                   JUPYTER_RUNTIME_DIR=self.ipcdir, JUPYTER_CONFIG_DIR=os.path.join(self.workdir, ".jupyter"),
                   OMP_NUM_THREADS="1", OPENBLAS_NUM_THREADS="1", MKL_NUM_THREADS="1",
                   MALLOC_ARENA_MAX="2", MPLBACKEND="Agg", PYTHONDONTWRITEBYTECODE="1")
        env.setdefault("PATH", "/usr/bin:/bin")
        return env

    # -- what happened
    def fork_limit_hits(self) -> int:
        """How many times a fork/thread creation was refused by the pids cgroup."""
        if not self.cgroup:
            return 0
        try:
            with open(os.path.join(self.cgroup, "pids.events")) as f:
                return int(f.read().split()[1])
        except (OSError, ValueError, IndexError):
            return 0

    def processes(self) -> list[int]:
        """Pids still alive in this sandbox."""
        pids = set()
        if self.cgroup and os.path.isdir(self.cgroup):
            try:
                with open(os.path.join(self.cgroup, "cgroup.procs")) as f:
                    pids.update(int(x) for x in f.read().split())
            except OSError:
                pass
        if self.pid is not None:
            pids.update(_session_members(self.pid))
            if self.caps["root"] and self.limits.drop_privileges:
                pids.update(_uid_members(UID_BASE + self.pid))
        pids.discard(os.getpid())
        return sorted(pids)

    # -- the end
    def kill(self) -> None:
        """SIGKILL every process of the tree until none is left (a fork bomb cannot outrun
        it: the cgroup caps its size and each round kills what exists)."""
        for _ in range(200):
            pids = self.processes()
            if not pids:
                return
            for pid in pids:
                try:
                    os.kill(pid, signal.SIGKILL)
                except (ProcessLookupError, PermissionError):
                    pass
            _reap(pids)
            time.sleep(0.01)

    def close(self) -> None:
        if self.closed:
            return
        self.closed = True
        try:
            self.kill()
        finally:
            if self.cgroup:
                for _ in range(100):
                    try:
                        os.rmdir(self.cgroup)
                        break
                    except FileNotFoundError:
                        break
                    except OSError:        # zombies not yet reaped by their parent
                        time.sleep(0.02)
            shutil.rmtree(self.dir, ignore_errors=True)
            _LIVE.discard(self)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


_LIVE: set = set()


def _close_all() -> None:
    for sb in list(_LIVE):
        sb.close()


import atexit  # noqa: E402  (registered once the helpers exist)
atexit.register(_close_all)


def _reap(pids) -> None:
    for pid in pids:
        try:
            os.waitpid(pid, os.WNOHANG)
        except ChildProcessError:
            pass


def _proc_stat(pid: int):
    try:
        with open(f"/proc/{pid}/stat") as f:
            data = f.read()
    except OSError:
        return None
    fields = data.rsplit(")", 1)[1].split()
    return fields  # fields[0] = state, [3] = pgrp, [4] = session


def _session_members(sid: int) -> set:
    out = set()
    for name in os.listdir("/proc"):
        if name.isdigit():
            st = _proc_stat(int(name))
            if st and st[0] != "Z" and int(st[3]) == sid:
                out.add(int(name))
    return out


def _uid_members(uid: int) -> set:
    out = set()
    for name in os.listdir("/proc"):
        if name.isdigit():
            try:
                if os.stat(f"/proc/{name}").st_uid == uid:
                    st = _proc_stat(int(name))
                    if st and st[0] != "Z":
                        out.add(int(name))
            except OSError:
                pass
    return out


def spawn(argv: list[str], limits: SandboxLimits | None = None, copy_from: str | None = None,
          env: dict | None = None, label: str = "process", workdir: str | None = None,
          base_dir: str | None = None, **popen_kw) -> "SandboxedPopen":
    """Start ``argv`` in a new sandbox; returns a Popen whose ``release()`` closes it
    (``wait()`` also releases it once the process has ended)."""
    sb = Sandbox(limits, copy_from=copy_from, label=label, workdir=workdir, base_dir=base_dir)
    popen_kw.pop("cwd", None)
    popen_kw.setdefault("close_fds", True)
    try:
        proc = SandboxedPopen(sb.command(argv), cwd=sb.workdir, env=sb.env(env),
                              start_new_session=True, **popen_kw)
    except BaseException:
        sb.close()
        raise
    proc.sandbox = sb
    sb.pid = proc.pid
    return proc


class SandboxedPopen(subprocess.Popen):
    sandbox: Sandbox

    def wait(self, timeout=None):
        code = super().wait(timeout)
        sb = getattr(self, "sandbox", None)
        if sb is not None and not sb.closed:
            sb.close()                          # the main process is gone: sweep the rest
        return code

    def release(self) -> None:
        """Kill the whole tree, reap, remove the sandbox folder and cgroup."""
        self.sandbox.close()
        try:
            subprocess.Popen.wait(self, timeout=5)
        except subprocess.TimeoutExpired:
            pass


# ----------------------------------------------------------------------------- kernels

try:
    from jupyter_client.manager import AsyncKernelManager
    from traitlets import Dict as _TDict, Unicode as _TUnicode
except ImportError:  # the launcher runs with -S: no third-party packages
    AsyncKernelManager = None

if AsyncKernelManager is not None:
    class SandboxKernelManager(AsyncKernelManager):
        """A kernel in a :class:`Sandbox`, talking over unix sockets.

        Configure with ``c.SandboxKernelManager.limits = {"memory_mb": 512, ...}`` (the
        fields of :class:`SandboxLimits`). The kernel's working directory is a private copy
        of the folder nbclient asks for (the notebook's folder)."""

        limits = _TDict({}, help="SandboxLimits fields").tag(config=True)
        base_dir = _TUnicode("", help="where sandbox folders go (default: the temp dir)").tag(config=True)

        sandbox: Sandbox | None = None

        async def _async_pre_start_kernel(self, **kw):
            lim = dict(self.limits)
            if "hide" in lim:
                lim["hide"] = tuple(lim["hide"])
            self.sandbox = Sandbox(SandboxLimits(**lim), copy_from=kw.get("cwd"),
                                   base_dir=self.base_dir or None, label="kernel")
            self.transport = "ipc"
            self.connection_file = os.path.join(self.sandbox.ipcdir, "kernel.json")
            self.ip = os.path.join(self.sandbox.ipcdir, "k")
            kw["cwd"] = self.sandbox.workdir
            kw["env"] = self.sandbox.env(kw.get("env") or os.environ)
            cmd, kw = await super()._async_pre_start_kernel(**kw)
            return self.sandbox.command(cmd), kw

        async def _async_launch_kernel(self, kernel_cmd, **kw):
            await super()._async_launch_kernel(kernel_cmd, **kw)
            proc = getattr(self.provisioner, "process", None)
            if proc is not None and self.sandbox is not None:
                self.sandbox.pid = proc.pid

        async def _async_cleanup_resources(self, restart: bool = False) -> None:
            try:
                await super()._async_cleanup_resources(restart=restart)
            finally:
                if self.sandbox is not None:
                    self.sandbox.close()

        def exit_status(self):
            """The kernel process's return code (negative: killed by that signal), or None."""
            proc = getattr(self.provisioner, "process", None)
            return None if proc is None else proc.poll()
else:  # pragma: no cover
    SandboxKernelManager = None


def _unreachable_prefixes() -> list:
    """Folders untrusted code needs that an unprivileged uid could not reach (to be exposed
    in the sandbox's mount namespace): the interpreter, the environment and this package,
    whose judge worker runs there (its ``hidden/`` folder is overmounted afterwards)."""
    out = []
    here = os.path.dirname(os.path.realpath(__file__))
    for p in {os.path.realpath(sys.base_prefix), os.path.realpath(sys.prefix), here}:
        if _closed_ancestor(p) is not None:
            out.append(p)
    return sorted(out)
