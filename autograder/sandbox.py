"""Run untrusted code (a student's kernel, the judge's worker) in a bubblewrap sandbox.

The sandbox is an allowlist: a process inside sees a new root that holds only

- the system's ``/usr`` (and the ``/bin``, ``/lib`` links to it), read-only;
- the Python interpreter and the environment's ``site-packages``, read-only (with any
  installed copy of ``anime_genre`` or ``autograder`` covered by an empty folder);
- the *visible* course runtime at ``/opt/course``: a copy, made by the trusted side, of the
  check core, the worker and the visible checks (``autograder/hidden`` is never copied), and
  the project's own fixtures — never the repository, its ``.git``, ``tests/`` or ``solutions/``;
- the real data home at ``/opt/data`` (public data, read-only) when one is configured;
- its private working copy at ``/home/student`` (regular files of the submission only) and,
  for a kernel, its own folder of ZMQ sockets;
- private, size-limited tmpfs on ``/tmp``, ``/var/tmp`` and ``/dev/shm``; its own ``/proc``
  and a minimal ``/dev``.

It runs in new user, pid, ipc, net, uts (and cgroup) namespaces, in a new session, cannot
create further user namespaces, and dies with its parent. Before ``exec``-ing bubblewrap, a
small trusted launcher (``sandbox_launch.py``) puts the process into a memory and a pids
cgroup when one can be created (root, or a delegated cgroup v2), and sets rlimits (address
space, CPU time, file size, open files; the process count through ``RLIMIT_NPROC`` when no
pids cgroup exists, which a new user namespace counts separately since Linux 5.14).

Where no user namespace can be created, :func:`require` refuses (``SandboxUnavailable``)
unless :func:`allow_unsandboxed` was called (``--unsafe-no-sandbox``): then commands run with
rlimits only, and every grade says "unsandboxed".
"""
from __future__ import annotations

import dataclasses
import json
import os
import re
import shutil
import signal
import stat
import subprocess
import sys
import sysconfig
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)
LAUNCHER = os.path.join(HERE, "sandbox_launch.py")
INSIDE_RUNTIME = "/opt/course"
INSIDE_DATA = "/opt/data"
INSIDE_HOME = "/home/student"
INSIDE_SUBMISSION = "/opt/submission"
CGROUP_ROOT = "/sys/fs/cgroup"
CGROUP_PREFIX = "autograder-"      # grade-class sets a per-run prefix so that it can sweep its own
# the visible runtime: what a kernel or a worker may import from the course
RUNTIME_FILES = ("__init__.py", "core.py", "local.py", "analysis.py", "worker.py")
RUNTIME_DIRS = ("checks",)


class SandboxUnavailable(RuntimeError):
    """No sandbox can be made here (no bubblewrap, or no user namespaces)."""


@dataclasses.dataclass
class SandboxLimits:
    """Limits for one untrusted process tree. Times in seconds, sizes in MiB."""
    memory_mb: int = 1024          # the whole sandbox (memory cgroup) and each process (RLIMIT_AS)
    cpu_seconds: int = 600         # RLIMIT_CPU of each process
    max_processes: int = 64        # pids cgroup, else RLIMIT_NPROC in the sandbox's user namespace
    file_mb: int = 64              # RLIMIT_FSIZE: largest file it may write
    open_files: int = 256          # RLIMIT_NOFILE
    tmp_mb: int = 64               # each of /tmp, /var/tmp, /dev/shm
    home_mb: int = 256             # the working folder /home/student (a tmpfs too)
    copy_mb: int = 64              # the most of a submission folder copied into the sandbox


# ----------------------------------------------------------------------------- what the host allows

_PROBE: dict | None = None
_UNSAFE = False


def allow_unsandboxed(flag: bool = True) -> None:
    """``--unsafe-no-sandbox``: run untrusted code without a sandbox when none can be made."""
    global _UNSAFE
    _UNSAFE = bool(flag)


def probe() -> dict:
    """What this machine lets us do, found once per process:
    ``{"bwrap", "userns", "why", "root", "cgroup", "warnings"}``; ``cgroup`` is
    ``"v1"``, ``"v2"`` or ``None`` (then the process count is an rlimit)."""
    global _PROBE
    if _PROBE is not None:
        return _PROBE
    # AUTOGRADER_BWRAP names another bubblewrap binary (the tests use it to see a refusal)
    bwrap = os.environ.get("AUTOGRADER_BWRAP") or shutil.which("bwrap") \
        or next((p for p in ("/usr/bin/bwrap", "/bin/bwrap") if os.path.exists(p)), None)
    info = {"bwrap": bwrap, "userns": False, "why": "", "root": os.geteuid() == 0, "cgroup": None,
            "warnings": []}
    if bwrap is None:
        info["why"] = ("bubblewrap is not installed (Debian/Ubuntu: apt-get install bubblewrap; "
                       "Fedora: dnf install bubblewrap)")
    else:
        try:
            out = subprocess.run([bwrap, "--unshare-all", "--unshare-user", "--disable-userns",
                                  "--die-with-parent", "--ro-bind", "/usr", "/usr", "--proc", "/proc",
                                  "--dev", "/dev"] + _system_links() + ["/usr/bin/true"],
                                 capture_output=True, text=True, timeout=60)
            info["userns"] = out.returncode == 0
            if not info["userns"]:
                info["why"] = ("bubblewrap cannot create a user namespace here: "
                               + (out.stderr.strip().splitlines() or ["no reason given"])[-1]
                               + " (ask the administrator to allow unprivileged user namespaces, "
                               "e.g. sysctl kernel.unprivileged_userns_clone=1)")
        except (OSError, subprocess.TimeoutExpired) as exc:
            info["why"] = f"bubblewrap does not run: {exc}"
    info["cgroup"] = _cgroup_kind()
    reap_stale()
    if info["userns"] and info["cgroup"] is None:
        info["warnings"].append("no cgroup can be created (not root, no delegated cgroup): memory is "
                                "limited per process (RLIMIT_AS), the process count per sandbox by "
                                "RLIMIT_NPROC in its user namespace")
    _PROBE = info
    return info


def mode() -> str:
    """``"sandboxed"`` or ``"unsandboxed"`` (only with :func:`allow_unsandboxed`)."""
    return "sandboxed" if probe()["userns"] else "unsandboxed"


def require() -> str:
    """The mode to grade in; raises :class:`SandboxUnavailable` when no sandbox can be made
    and unsandboxed grading was not asked for."""
    info = probe()
    if info["userns"]:
        return "sandboxed"
    if _UNSAFE:
        return "unsandboxed"
    raise SandboxUnavailable(f"cannot sandbox student code: {info['why']}. Refusing to grade; "
                             "pass --unsafe-no-sandbox to grade anyway (every grade is then "
                             "recorded as unsandboxed)")


def isolation() -> dict:
    """What protects this grading run, for records: mode, limits' mechanism, warnings."""
    info = probe()
    return {"mode": mode() if (info["userns"] or _UNSAFE) else "refused",
            "memory": "memory cgroup per sandbox" if info["cgroup"] else "RLIMIT_AS per process",
            "processes": "pids cgroup per sandbox" if info["cgroup"] else "RLIMIT_NPROC per user namespace",
            "warnings": list(info["warnings"])}


def _system_links() -> list[str]:
    """``/bin``, ``/lib``... as on the host: links into ``/usr`` (merged-usr) or read-only binds."""
    args = []
    for d in ("/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32"):
        if os.path.islink(d):
            args += ["--symlink", os.readlink(d), d]
        elif os.path.isdir(d):
            args += ["--ro-bind", d, d]
    return args


def _cgroup_kind() -> str | None:
    """Which cgroup hierarchy we can create children in: v1 (memory + pids), v2, or none."""
    v1 = [os.path.join(CGROUP_ROOT, c) for c in ("memory", "pids")]
    if all(os.path.isdir(p) for p in v1):
        probe_dirs = [os.path.join(p, f"{CGROUP_PREFIX}probe-{os.getpid()}") for p in v1]
        try:
            for p in probe_dirs:
                os.mkdir(p)
            return "v1"
        except OSError:
            pass
        finally:
            for p in probe_dirs:
                try:
                    os.rmdir(p)
                except OSError:
                    pass
    parent = _v2_parent()
    if parent:
        p = os.path.join(parent, f"{CGROUP_PREFIX}probe-{os.getpid()}")
        try:
            os.mkdir(p)
            ok = os.path.exists(os.path.join(p, "memory.max")) and os.path.exists(os.path.join(p, "pids.max"))
            os.rmdir(p)
            return "v2" if ok else None
        except OSError:
            return None
    return None


def _v2_parent() -> str | None:
    """A cgroup v2 folder we may create sandboxes in (root: the hierarchy's root; otherwise our
    own cgroup when it is delegated to us, e.g. under ``systemd-run --user --scope``)."""
    if not os.path.exists(os.path.join(CGROUP_ROOT, "cgroup.controllers")):
        unified = os.path.join(CGROUP_ROOT, "unified")
        if not os.path.exists(os.path.join(unified, "cgroup.controllers")):
            return None
        root = unified
    else:
        root = CGROUP_ROOT
    try:
        with open("/proc/self/cgroup") as f:
            own = next((ln.split(":", 2)[2].strip() for ln in f if ln.startswith("0::")), None)
    except OSError:
        return None
    if own is None:
        return None
    folder = os.path.join(root, own.lstrip("/"))
    if not os.access(folder, os.W_OK):
        return None
    try:
        with open(os.path.join(folder, "cgroup.subtree_control")) as f:
            enabled = f.read().split()
    except OSError:
        return None
    return folder if {"memory", "pids"} <= set(enabled) else None


# ----------------------------------------------------------------------------- the visible runtime

_RUNTIME: dict = {}


def runtime_dir() -> str:
    """A private copy of what untrusted code may see of the course (made once per process):
    ``autograder/`` with the check core, the worker and the visible checks, and
    ``datasets/fixtures/``. Never the hidden checks, the reference, the tests or ``.git``."""
    pid = os.getpid()
    if _RUNTIME.get("dir") and os.path.isdir(_RUNTIME["dir"]):
        return _RUNTIME["dir"]          # (forked grading processes share their parent's)
    top = tempfile.mkdtemp(prefix=f"autograder-runtime-{pid}-")
    pkg = os.path.join(top, "autograder")
    os.mkdir(pkg)
    for name in RUNTIME_FILES:
        shutil.copyfile(os.path.join(HERE, name), os.path.join(pkg, name))
    for d in RUNTIME_DIRS:
        os.mkdir(os.path.join(pkg, d))
        for name in sorted(os.listdir(os.path.join(HERE, d))):
            if name.endswith(".py"):
                shutil.copyfile(os.path.join(HERE, d, name), os.path.join(pkg, d, name))
    fixtures = os.path.join(REPO, "datasets", "fixtures")
    if os.path.isdir(fixtures):
        shutil.copytree(fixtures, os.path.join(top, "datasets", "fixtures"), symlinks=False,
                        ignore=shutil.ignore_patterns("*.py", "__pycache__"))
    for dirpath, dirnames, filenames in os.walk(top):
        os.chmod(dirpath, 0o755)
        for n in filenames:
            os.chmod(os.path.join(dirpath, n), 0o644)
    os.chmod(top, 0o700)
    _RUNTIME.update(pid=pid, dir=top)
    import atexit
    atexit.register(_remove_runtime, pid, top)
    return top


def _remove_runtime(pid: int, top: str) -> None:
    if os.getpid() == pid:
        shutil.rmtree(top, ignore_errors=True)


def python_paths() -> list[str]:
    """Folders the interpreter needs, to be bound read-only: its prefix, the environment's
    ``pyvenv.cfg``/``bin``/``lib``, and any other ``site-packages`` on ``sys.path`` outside
    the repository (e.g. a user site). Editable installs point into the repository, which is
    not bound, so the reference package cannot be found inside."""
    out = []

    def add(p):
        p = os.path.realpath(p)
        if os.path.exists(p) and not _inside(p, REPO + "/.git") and p not in out:
            out.append(p)

    add(sys.base_prefix)
    venv = _venv_root()
    if venv:
        for part in ("pyvenv.cfg", "bin", "lib", "lib64"):
            path = os.path.join(venv, part)
            if os.path.exists(path) and not os.path.islink(path):
                out.append(os.path.abspath(path))
    exe = os.path.realpath(sys.executable)
    if not any(_inside(exe, p) for p in out):
        add(os.path.dirname(exe))
    for key in ("purelib", "platlib", "stdlib", "platstdlib"):
        p = sysconfig.get_paths().get(key)
        if p and not any(_inside(os.path.realpath(p), os.path.realpath(q)) for q in out):
            add(p)
    for p in sys.path:
        if p.endswith(("site-packages", "dist-packages")) and os.path.isdir(p) \
                and not _inside(os.path.realpath(p), os.path.realpath(REPO)) \
                and not any(_inside(os.path.realpath(p), os.path.realpath(q)) for q in out):
            add(p)
    return [p for p in out if not p.startswith("/usr/") and p != "/usr"]


def _venv_root() -> str | None:
    """The virtual environment of this interpreter (also under ``python -S``, where
    ``sys.prefix`` is not set to it): the folder above ``bin/`` holding ``pyvenv.cfg``."""
    for candidate in (sys.prefix, os.path.dirname(os.path.dirname(os.path.abspath(sys.executable)))):
        if os.path.exists(os.path.join(candidate, "pyvenv.cfg")):
            return candidate
    return None


def _inside(path: str, folder: str) -> bool:
    return path == folder or path.startswith(folder.rstrip("/") + "/")


def _installed_copies() -> list[str]:
    """Installed (non-editable) copies of the reference or the grader in a bound folder:
    covered by an empty folder inside the sandbox."""
    found = []
    for p in sys.path:
        if not p.endswith(("site-packages", "dist-packages")) or not os.path.isdir(p):
            continue
        for name in ("anime_genre", "autograder", "solutions", "tests"):
            cand = os.path.join(p, name)
            if os.path.isdir(cand) and not _inside(os.path.realpath(cand), REPO):
                found.append(cand)
    return found


# ----------------------------------------------------------------------------- one sandbox

def copy_regular_files(src: str, dst: str, budget: int) -> list[str]:
    """Copy the regular files and folders under ``src`` into ``dst`` without following any
    link (links, FIFOs, devices and sockets are skipped and listed), at most ``budget``
    bytes in all. Returns what was skipped."""
    skipped = []
    os.makedirs(dst, exist_ok=True)
    own = os.path.realpath(dst)
    total = 0
    for root, dirs, files in os.walk(src, followlinks=False):
        if _inside(os.path.realpath(root), own):
            dirs[:] = []                    # the copy itself (the sandbox folder is under src)
            continue
        rel = os.path.relpath(root, src)
        out_root = dst if rel == "." else os.path.join(dst, rel)
        for d in list(dirs):
            full = os.path.join(root, d)
            st = os.lstat(full)
            if not stat.S_ISDIR(st.st_mode) or d in (".ipynb_checkpoints", "__pycache__"):
                dirs.remove(d)
                if not stat.S_ISDIR(st.st_mode):
                    skipped.append(os.path.join(rel, d))
                continue
            os.makedirs(os.path.join(out_root, d), exist_ok=True)
        for n in files:
            full = os.path.join(root, n)
            try:
                fd = os.open(full, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
            except OSError:
                skipped.append(os.path.join(rel, n))
                continue
            try:
                st = os.fstat(fd)
                if not stat.S_ISREG(st.st_mode) or total + st.st_size > budget:
                    skipped.append(os.path.join(rel, n))
                    continue
                total += st.st_size
                with os.fdopen(os.dup(fd), "rb") as fin, open(os.path.join(out_root, n), "wb") as fout:
                    shutil.copyfileobj(fin, fout)
            finally:
                os.close(fd)
    return skipped


# A unix socket's path holds at most 107 bytes (sun_path). A kernel's sockets are
# ``<folder>/ag-<pid>-XXXXXXXX/ipc/k-<port>``: at most 32 bytes past the folder.
_SOCKET_PATH_MAX = 107
_SOCKET_SUFFIX = len("/ag-4194304-XXXXXXXX/ipc/k-65535")


def _socket_parent(base_dir: str | None) -> str | None:
    """Where a sandbox with kernel sockets may live: ``base_dir`` when its sockets' paths fit,
    else the temporary folder, else /tmp (a deep course or test folder made every kernel fail
    with ``File name too long``)."""
    for d in (base_dir, tempfile.gettempdir(), "/tmp"):
        if d is not None and len(os.path.abspath(d).encode()) + _SOCKET_SUFFIX <= _SOCKET_PATH_MAX:
            return d
    raise SandboxUnavailable(f"no folder for a kernel's sockets: {base_dir or tempfile.gettempdir()!r} "
                             f"is too deep for a unix socket path ({_SOCKET_PATH_MAX} bytes); "
                             "set TMPDIR to a shorter folder")


class Sandbox:
    """A private folder, cgroups and a bubblewrap command line for one untrusted process tree.

    ``sandbox.workdir`` is the private working copy (``copy_from`` copied in, regular files
    only); ``sandbox.command(argv)`` wraps a command; ``sandbox.close()`` kills every process
    of the tree and removes the folder and the cgroups. ``close`` may be called twice.
    """

    def __init__(self, limits: SandboxLimits | None = None, copy_from: str | None = None,
                 base_dir: str | None = None, label: str = "sandbox", ipc: bool = False):
        self.limits = limits or SandboxLimits()
        self.mode = require()
        self.label = label
        # 0700: ours alone; the pid in the name lets a later run remove what a killed one left
        self.dir = tempfile.mkdtemp(prefix=f"ag-{os.getpid()}-", dir=_socket_parent(base_dir) if ipc else base_dir)
        self.workdir = os.path.join(self.dir, "work")
        self.skipped = copy_regular_files(copy_from, self.workdir, self.limits.copy_mb << 20) \
            if copy_from else (os.mkdir(self.workdir) or [])
        self.has_files = bool(os.listdir(self.workdir))
        self.ipcdir = os.path.join(self.dir, "ipc")
        os.mkdir(self.ipcdir)
        self.ipc = ipc
        self.runtime = runtime_dir()
        self.cgroups: list[str] = []
        self._make_cgroups()
        self.pid: int | None = None
        self.closed = False
        _LIVE.add(self)

    # -- cgroups
    def _make_cgroups(self) -> None:
        kind = probe()["cgroup"] if self.mode == "sandboxed" else None
        name = CGROUP_PREFIX + os.path.basename(self.dir)
        mem = self.limits.memory_mb << 20
        try:
            if kind == "v1":
                m = os.path.join(CGROUP_ROOT, "memory", name)
                p = os.path.join(CGROUP_ROOT, "pids", name)
                for folder in (m, p):
                    os.mkdir(folder)
                    self.cgroups.append(folder)
                _write(os.path.join(m, "memory.limit_in_bytes"), mem)
                _write(os.path.join(m, "memory.memsw.limit_in_bytes"), mem, missing_ok=True)
                _write(os.path.join(p, "pids.max"), self.limits.max_processes)
                c = os.path.join(CGROUP_ROOT, "cpuacct", name)     # CPU time only: no limit
                try:
                    os.mkdir(c)
                    self.cgroups.append(c)
                except OSError:
                    pass
            elif kind == "v2":
                folder = os.path.join(_v2_parent(), name)
                os.mkdir(folder)
                self.cgroups.append(folder)
                _write(os.path.join(folder, "memory.max"), mem)
                _write(os.path.join(folder, "memory.swap.max"), 0, missing_ok=True)
                _write(os.path.join(folder, "pids.max"), self.limits.max_processes)
        except OSError:
            self._remove_cgroups()
            self.cgroups = []

    # -- launching
    def bwrap_args(self, env: dict) -> list[str]:
        """The bubblewrap command line (without the command)."""
        lim = self.limits
        tmp = str(lim.tmp_mb << 20)
        a = [probe()["bwrap"], "--unshare-user", "--unshare-pid", "--unshare-ipc", "--unshare-net",
             "--unshare-uts", "--unshare-cgroup-try", "--disable-userns", "--die-with-parent",
             "--new-session", "--hostname", "sandbox", "--uid", "1000", "--gid", "1000", "--clearenv"]
        for k, v in sorted(env.items()):
            a += ["--setenv", k, v]
        a += ["--ro-bind", "/usr", "/usr"] + _system_links()
        for f in ("/etc/ld.so.cache", "/etc/localtime", "/etc/mime.types"):
            a += ["--ro-bind-try", f, f]
        a += ["--proc", "/proc", "--dev", "/dev"]
        for t in ("/tmp", "/var/tmp", "/dev/shm"):
            a += ["--perms", "1777", "--size", tmp, "--tmpfs", t]
        for p in python_paths():
            a += ["--ro-bind", p, p]
        for p in _installed_copies():
            a += ["--perms", "0555", "--size", "4096", "--tmpfs", p]
        a += ["--ro-bind", self.runtime, INSIDE_RUNTIME]
        home = data_home()
        if home:
            a += ["--ro-bind", home, INSIDE_DATA]
        # the working folder is a size-limited tmpfs (nothing the code writes reaches the host's
        # disk); the submission's copy is read-only at /opt/submission and copied in at start
        a += ["--ro-bind", self.workdir, INSIDE_SUBMISSION,
              "--perms", "0755", "--size", str(lim.home_mb << 20), "--tmpfs", INSIDE_HOME]
        if self.ipc:
            a += ["--bind", self.ipcdir, self.ipcdir]
        a += ["--chdir", INSIDE_HOME]
        return a

    def env(self, base: dict | None = None) -> dict:
        """The whole environment of the untrusted process (nothing else is inherited)."""
        base = base if base is not None else os.environ
        env = {k: v for k, v in base.items() if k in ("LANG", "LC_ALL", "TERM", "JPY_PARENT_PID",
                                                      "PYDEVD_DISABLE_FILE_VALIDATION")}
        inside = self.mode == "sandboxed"
        home = INSIDE_HOME if inside else self.workdir
        tmp = "/tmp" if inside else self.workdir
        env.update(HOME=home, TMPDIR=tmp, MPLCONFIGDIR=os.path.join(tmp, "mpl"),
                   IPYTHONDIR=os.path.join(tmp, "ipython"), JUPYTER_RUNTIME_DIR=self.ipcdir,
                   JUPYTER_CONFIG_DIR=os.path.join(tmp, "jupyter"), JUPYTER_DATA_DIR=os.path.join(tmp, "jupyter-data"),
                   PATH=os.pathsep.join([os.path.dirname(sys.executable), "/usr/bin", "/bin"]),
                   PYTHONPATH=INSIDE_RUNTIME if inside else self.runtime,
                   OMP_NUM_THREADS="1", OPENBLAS_NUM_THREADS="1", MKL_NUM_THREADS="1",
                   MALLOC_ARENA_MAX="2", MPLBACKEND="Agg", PYTHONDONTWRITEBYTECODE="1",
                   PYTHONHASHSEED="0", LANG=env.get("LANG", "C.UTF-8"))
        home_data = data_home()
        if home_data:
            env["ANIME_GENRE_DATA_HOME"] = INSIDE_DATA if inside else home_data
        return env

    def runtime_path(self, *parts: str) -> str:
        """A file of the visible runtime, as the sandboxed process sees it."""
        top = INSIDE_RUNTIME if self.mode == "sandboxed" else self.runtime
        return os.path.join(top, *parts)

    def launcher_spec(self) -> dict:
        lim = self.limits
        procs = [os.path.join(c, "cgroup.procs") for c in self.cgroups]
        return {"cgroups": procs,
                "rlimits": {"AS": lim.memory_mb << 20, "CPU": lim.cpu_seconds, "FSIZE": lim.file_mb << 20,
                            "NOFILE": lim.open_files, "CORE": 0},
                # a pids cgroup counts this sandbox alone; in a sandbox without one, command()
                # sets RLIMIT_NPROC inside the user namespace; unsandboxed, the launcher does
                "nproc": lim.max_processes if not self.cgroups and self.mode != "sandboxed" else 0,
                "chdir": None if self.mode == "sandboxed" else self.workdir}

    def command(self, argv: list[str], env: dict | None = None) -> list[str]:
        """``argv`` as it must be started: the launcher, then bubblewrap, then the command.
        ``env`` (see :meth:`env`) goes inside the sandbox; start the result with an empty
        environment."""
        env = env if env is not None else self.env()
        head = [sys.executable, "-I", "-S", LAUNCHER, json.dumps(self.launcher_spec()), "--"]
        if self.mode == "sandboxed":
            if not self.cgroups:
                # No pids cgroup: RLIMIT_NPROC, set *inside* the new user namespace, where the
                # kernel counts only the sandbox's own tasks (set outside, it would count all
                # of this user's processes, other sandboxes included).
                n = self.limits.max_processes
                argv = [sys.executable, "-I", "-S", "-c",
                        "import os, resource, sys; resource.setrlimit(resource.RLIMIT_NPROC, "
                        f"({n}, {n})); os.execv(sys.argv[1], sys.argv[1:])"] + list(argv)
            if self.has_files:
                argv = ["/bin/sh", "-c", f'cp -R {INSIDE_SUBMISSION}/. {INSIDE_HOME}/ 2>/dev/null; exec "$@"',
                        "sh"] + list(argv)
            return head + self.bwrap_args(env) + ["--"] + list(argv)
        return head + ["/usr/bin/env", "-i"] + [f"{k}={v}" for k, v in sorted(env.items())] + list(argv)

    # -- what happened
    def _read_cg(self, name: str, key: str | None = None) -> int:
        for c in self.cgroups:
            path = os.path.join(c, name)
            try:
                with open(path) as f:
                    text = f.read()
            except OSError:
                continue
            if key is None:
                return int(text.split()[0])
            for line in text.splitlines():
                parts = line.split()
                if len(parts) == 2 and parts[0] == key:
                    return int(parts[1])
        return 0

    def cpu_seconds(self) -> float | None:
        """CPU time of every process and thread the sandbox has held, ended ones included
        (whoever reaped them, or nobody), from its cgroup (v1 cpuacct, v2 cpu.stat); None
        without one. Written by the kernel, not the sandbox."""
        for c in self.cgroups:
            for name, key, scale in (("cpuacct.usage", None, 1e-9), ("cpu.stat", "usage_usec", 1e-6)):
                try:
                    with open(os.path.join(c, name)) as f:
                        text = f.read(65536)
                except OSError:
                    continue
                try:
                    if key is None:
                        return int(text.split()[0]) * scale
                    for line in text.splitlines():
                        parts = line.split()
                        if len(parts) == 2 and parts[0] == key:
                            return int(parts[1]) * scale
                except (ValueError, IndexError):
                    continue
        return None

    def fork_limit_hits(self) -> int:
        """How many times the pids cgroup refused a fork or a thread."""
        return self._read_cg("pids.events", "max")

    def memory_limit_hits(self) -> int:
        """How many processes the memory cgroup's OOM killer ended."""
        return self._read_cg("memory.oom_control", "oom_kill") or self._read_cg("memory.events", "oom_kill")

    # -- the end
    def kill(self) -> None:
        """SIGKILL the sandbox: bubblewrap's death takes its pid namespace with it (and every
        process left in the cgroups is killed too)."""
        if self.pid is not None:
            try:
                os.kill(self.pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass
            try:
                os.waitpid(self.pid, os.WNOHANG)
            except ChildProcessError:
                pass
        for _ in range(200):
            pids = self._cgroup_pids()
            if not pids:
                break
            for pid in pids:
                try:
                    os.kill(pid, signal.SIGKILL)
                except (ProcessLookupError, PermissionError):
                    pass
            time.sleep(0.01)
        if self.mode != "sandboxed" and self.pid is not None:
            try:
                os.killpg(self.pid, signal.SIGKILL)     # the launcher made it a session leader
            except (ProcessLookupError, PermissionError):
                pass

    def _cgroup_pids(self) -> list[int]:
        out = set()
        for c in self.cgroups:
            try:
                with open(os.path.join(c, "cgroup.procs")) as f:
                    out.update(int(x) for x in f.read().split())
            except OSError:
                pass
        out.discard(os.getpid())
        return sorted(out)

    def _remove_cgroups(self) -> None:
        for c in self.cgroups:
            for _ in range(100):
                try:
                    os.rmdir(c)
                    break
                except FileNotFoundError:
                    break
                except OSError:        # zombies not yet reaped
                    time.sleep(0.02)

    def close(self) -> None:
        if self.closed:
            return
        self.closed = True
        try:
            self.kill()
        finally:
            self._remove_cgroups()
            force_rmtree(self.dir)
            _LIVE.discard(self)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


def force_rmtree(path: str) -> None:
    """Remove a sandbox's folder even where its code took the permissions away (a folder of
    mode 000 in its socket folder): give them back, never following a link."""
    def fix(func, p, exc):
        parent = os.path.dirname(p)
        for q in (parent, p):
            try:
                if not os.path.islink(q):
                    os.chmod(q, 0o700)
            except OSError:
                pass
        try:
            if os.path.isdir(p) and not os.path.islink(p):
                shutil.rmtree(p, onerror=lambda *a: None)
            else:
                os.unlink(p)
        except OSError:
            pass
    shutil.rmtree(path, onerror=fix)
    if os.path.lexists(path):
        shutil.rmtree(path, ignore_errors=True)


def _write(path: str, value, missing_ok: bool = False) -> None:
    try:
        with open(path, "w") as f:
            f.write(str(value))
    except FileNotFoundError:
        if not missing_ok:
            raise
    except OSError:
        if not missing_ok:
            raise


_STALE = re.compile(r"(?:^|-)(?:ag|autograder-runtime)-(\d+)-[^-]*$")


def _dead(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False
    return False


def reap_stale() -> list[str]:
    """Remove what graders that were killed (out of memory, SIGKILL: no clean-up ran) left:
    sandbox folders, runtime copies and cgroups named after a process that no longer exists,
    and only ours. Returns what was removed."""
    removed = []
    tmp = tempfile.gettempdir()
    try:
        names = os.listdir(tmp)
    except OSError:
        names = []
    for name in names:
        m = _STALE.search(name)
        path = os.path.join(tmp, name)
        if not m or not name.startswith(("ag-", "autograder-runtime-")) or not _dead(int(m.group(1))):
            continue
        try:
            if os.lstat(path).st_uid != os.geteuid() or os.path.islink(path):
                continue
        except OSError:
            continue
        _kill_sandboxes_of(path)
        force_rmtree(path)
        removed.append(path)
    for parent in _cgroup_parents():
        try:
            names = os.listdir(parent)
        except OSError:
            continue
        for name in names:
            m = _STALE.search(name)
            if name.startswith("autograder-") and m and _dead(int(m.group(1))):
                sweep_cgroups(name, parents=[parent])
                removed.append(os.path.join(parent, name))
    return removed


def _kill_sandboxes_of(folder: str) -> None:
    """Kill the bubblewrap processes still running on a dead grader's sandbox ``folder`` (it is
    in their bind arguments): without cgroups (an ordinary user) nothing else ends them, and
    ``--die-with-parent`` only ties a sandbox to bubblewrap, not bubblewrap to the grader.
    Killing the inner one, the pid namespace's first process, ends everything inside."""
    needle = os.fsencode(folder.rstrip("/") + "/")
    me = os.geteuid()
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        try:
            if os.stat(f"/proc/{name}").st_uid != me:
                continue
            with open(f"/proc/{name}/cmdline", "rb") as f:
                argv = f.read().split(b"\0")
        except OSError:
            continue
        if argv and os.path.basename(argv[0]) == b"bwrap" and any(a.startswith(needle) for a in argv):
            try:
                os.kill(int(name), signal.SIGKILL)
            except OSError:
                pass


def _cgroup_parents() -> list[str]:
    """Folders our sandboxes' cgroups are made in (v1 memory, pids and cpuacct, or our v2 cgroup)."""
    parents = [os.path.join(CGROUP_ROOT, c) for c in ("memory", "pids", "cpuacct")]
    v2 = _v2_parent()
    return parents + [v2] if v2 else parents


def sweep_cgroups(prefix: str, parents: list | None = None) -> None:
    """Kill every process left in the cgroups whose names start with ``prefix`` (a grading
    process that died mid-run leaves its sandboxes' cgroups behind) and remove them."""
    for parent in parents if parents is not None else _cgroup_parents():
        try:
            names = [n for n in os.listdir(parent) if n.startswith(prefix)]
        except OSError:
            continue
        for name in names:
            path = os.path.join(parent, name)
            for _ in range(100):
                try:
                    with open(os.path.join(path, "cgroup.procs")) as f:
                        pids = [int(x) for x in f.read().split()]
                except OSError:
                    break
                if not pids:
                    break
                for pid in pids:
                    try:
                        os.kill(pid, signal.SIGKILL)
                    except OSError:
                        pass
                time.sleep(0.02)
            for _ in range(50):
                try:
                    os.rmdir(path)
                    break
                except FileNotFoundError:
                    break
                except OSError:
                    time.sleep(0.02)


def tree_pids(pid: int) -> list[int]:
    """``pid`` and its live descendants, from the host's ``/proc``."""
    children: dict[int, list[int]] = {}
    for name in os.listdir("/proc"):
        if name.isdigit():
            try:
                with open(f"/proc/{name}/stat", "rb") as f:
                    ppid = int(f.read().rsplit(b")", 1)[1].split()[1])
            except (OSError, ValueError, IndexError):
                continue
            children.setdefault(ppid, []).append(int(name))
    out, todo = [], [pid]
    while todo:
        p = todo.pop()
        if p not in out:
            out.append(p)
            todo.extend(children.get(p, ()))
    return out


def _is_socket(path: str) -> bool:
    try:
        return stat.S_ISSOCK(os.lstat(path).st_mode)
    except OSError:
        return False


def data_home() -> str | None:
    """The real data home, exposed read-only (public data) when configured and present."""
    home = os.environ.get("ANIME_GENRE_DATA_HOME")
    return os.path.realpath(home) if home and os.path.isdir(home) else None


_LIVE: set = set()


def _close_all() -> None:
    for sb in list(_LIVE):
        sb.close()


import atexit  # noqa: E402  (registered once the helpers exist)
atexit.register(_close_all)


def spawn(argv: list[str], limits: SandboxLimits | None = None, label: str = "process",
          base_dir: str | None = None, copy_from: str | None = None, **popen_kw) -> "SandboxedPopen":
    """Start ``argv`` in a new sandbox; returns a Popen whose ``release()`` closes it
    (``wait()`` also releases it once the process has ended). ``argv`` names files as the
    sandbox sees them (see :meth:`Sandbox.runtime_path`)."""
    sb = Sandbox(limits, copy_from=copy_from, label=label, base_dir=base_dir)
    popen_kw.pop("cwd", None)
    popen_kw.pop("env", None)
    popen_kw.setdefault("close_fds", True)
    try:
        proc = SandboxedPopen(sb.command(argv), cwd=sb.dir, env={}, **popen_kw)
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
        """Kill the whole tree, reap, remove the sandbox folder and cgroups."""
        self.sandbox.close()
        try:
            subprocess.Popen.wait(self, timeout=30)
        except subprocess.TimeoutExpired:
            pass


# ----------------------------------------------------------------------------- kernels

try:
    import zmq
    from jupyter_client.asynchronous import AsyncKernelClient
    from jupyter_client.manager import AsyncKernelManager
    from jupyter_client.utils import run_sync as _run_sync
    import zmq.asyncio
    from traitlets import DottedObjectName as _TDotted, Type as _TType, default as _tdefault
    from traitlets import Dict as _TDict, Integer as _TInt, Unicode as _TUnicode
except ImportError:  # a worker-only install: no jupyter
    AsyncKernelManager = None

if AsyncKernelManager is not None:
    # A day: longer than any grading, so a socket connects once, to the kernel's own freshly
    # bound socket, and never again. Not -1 ("never reconnect"): then libzmq ends the pipe as
    # soon as the kernel dies, and if that lands between two parts of a message being read it
    # aborts the whole grading process (assertion "!_more" in fq.cpp; 2 kernels of ~100 that
    # printed fast and called os._exit, measured with libzmq 4.3.5).
    RECONNECT_AFTER_MS = 24 * 3600 * 1000

    class _OwningContext(zmq.asyncio.Context):
        """A context that holds its sockets strongly and closes them before it ends.

        pyzmq's context knows its sockets only by weak reference. When a context and its
        sockets become garbage in one reference cycle (a kernel client and its channels),
        the weak references are cleared before any finalizer runs: the context's finalizer
        then waits in ``term()`` for sockets it can no longer see or close - forever. A
        grade-class worker hung there, inside the garbage collection of a later notebook."""

        _owned_sockets: list           # (declared: pyzmq takes undeclared attributes for options)

        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            self._owned_sockets = []

        def socket(self, *args, **kwargs):
            sock = super().socket(*args, **kwargs)
            self._owned_sockets.append(sock)
            return sock

        def _close_owned(self) -> None:
            for sock in getattr(self, "_owned_sockets", ()):
                try:
                    sock.close(linger=0)
                except Exception:   # noqa: BLE001 - already closed
                    pass
            self._owned_sockets = []

        def destroy(self, linger=None):
            self._close_owned()
            super().destroy(linger=0 if linger is None else linger)

        def __del__(self):
            self._close_owned()       # (in a dead cycle the sockets are still intact here)
            super().__del__()

    def _bounded_context(max_message_bytes: int):
        """A ZMQ context whose sockets drop any message over ``max_message_bytes`` and do not
        reconnect while a notebook is graded."""
        ctx = _OwningContext()
        ctx.setsockopt(zmq.MAXMSGSIZE, int(max_message_bytes))
        ctx.setsockopt(zmq.RECONNECT_IVL, RECONNECT_AFTER_MS)
        return ctx

    class SandboxKernelClient(AsyncKernelClient):
        """A client that never opens a socket path after the kernel's code has started to run:
        no heartbeat channel (it re-creates its socket, which would resolve the path again;
        nbclient watches the process instead) and, through the manager's context, no
        automatic reconnection. The socket files live in a folder the sandbox can write, so
        a path resolved later could lead anywhere the student's code pointed it."""

        max_message_bytes = _TInt(8 << 20, help="largest ZMQ message read from the kernel").tag(config=True)

        @_tdefault("context")
        def _sandbox_context(self):
            return _bounded_context(self.max_message_bytes)

        def start_channels(self, shell=True, iopub=True, stdin=True, hb=True, control=True):
            super().start_channels(shell=shell, iopub=iopub, stdin=stdin, hb=False, control=control)

    class SandboxKernelManager(AsyncKernelManager):
        """A Jupyter kernel in a :class:`Sandbox`, talking over unix sockets (ZMQ ``ipc``:
        TCP does not cross the network namespace) in a folder of its own.

        Configure with ``c.SandboxKernelManager.limits = {"memory_mb": 512, ...}`` (fields of
        :class:`SandboxLimits`). The kernel's working directory is an empty private folder, never
        a copy of the folder nbclient names (the notebook's): a submission folder may hold
        files that were links in the exchange (``nbgrader collect`` follows links), and the
        kernel needs nothing but the cells it is sent. Messages from the kernel larger than
        ``max_message_bytes`` drop the connection instead of being read."""

        limits = _TDict({}, help="SandboxLimits fields").tag(config=True)
        base_dir = _TUnicode("", help="where sandbox folders go (default: the temp dir)").tag(config=True)
        max_message_bytes = _TInt(8 << 20, help="largest ZMQ message read from the kernel").tag(config=True)

        sandbox: Sandbox | None = None

        client_class = _TDotted("autograder.sandbox.SandboxKernelClient")
        client_factory = _TType(klass="autograder.sandbox.SandboxKernelClient")

        @_tdefault("context")
        def _sandbox_context(self):
            self._created_context = True
            return _bounded_context(self.max_message_bytes)

        def client(self, **kwargs):
            kwargs.setdefault("max_message_bytes", self.max_message_bytes)
            kc = super().client(**kwargs)
            self._clients = getattr(self, "_clients", []) + [kc]
            return kc

        async def _async_pre_start_kernel(self, **kw):
            self.sandbox = Sandbox(SandboxLimits(**dict(self.limits)), copy_from=None,
                                   base_dir=self.base_dir or None, label="kernel", ipc=True)
            self.transport = "ipc"
            self.connection_file = os.path.join(self.sandbox.ipcdir, "kernel.json")
            self.ip = os.path.join(self.sandbox.ipcdir, "k")
            kw["cwd"] = self.sandbox.dir
            env = self.sandbox.env(kw.get("env") or os.environ)
            cmd, kw = await super()._async_pre_start_kernel(**kw)
            kw["env"] = {}
            kw["stdout"] = kw["stderr"] = subprocess.DEVNULL   # the kernel's own chatter
            return self.sandbox.command(cmd, env), kw

        async def _async_launch_kernel(self, kernel_cmd, **kw):
            await super()._async_launch_kernel(kernel_cmd, **kw)
            proc = getattr(self.provisioner, "process", None)
            if proc is not None and self.sandbox is not None:
                self.sandbox.pid = proc.pid
            await self._sockets_bound(proc)

        async def _sockets_bound(self, proc, timeout: float = 300.0) -> None:
            """Wait until the kernel has bound all its sockets (before any cell runs), since
            the client connects once and never again."""
            import asyncio
            paths = [f"{self.ip}-{getattr(self, name)}" for name in
                     ("shell_port", "iopub_port", "stdin_port", "control_port", "hb_port")]
            end = time.monotonic() + timeout
            while time.monotonic() < end:
                if all(_is_socket(p) for p in paths) or (proc is not None and proc.poll() is not None):
                    await asyncio.sleep(0.05)       # bound; give listen() its moment
                    return
                await asyncio.sleep(0.02)

        async def _async_interrupt_kernel(self) -> None:
            """Interrupt by message on the control channel: a signal would reach bubblewrap,
            not the kernel inside its pid namespace (ipykernel then signals itself)."""
            if not self.has_kernel:
                raise RuntimeError("Cannot interrupt kernel. No kernel is running!")
            msg = self.session.msg("interrupt_request", content={})
            self._connect_control_socket()
            self.session.send(self._control_socket, msg)

        interrupt_kernel = _run_sync(_async_interrupt_kernel)

        async def _async_cleanup_resources(self, restart: bool = False) -> None:
            try:
                await super()._async_cleanup_resources(restart=restart)
            finally:
                if not restart:
                    self._close_clients()
                if self.sandbox is not None:
                    self.sandbox.close()

        # (jupyter_client binds ``cleanup_resources`` to its own coroutine, not to the method:
        # without this, nbclient's clean-up after a kernel that died would skip ours)
        cleanup_resources = _async_cleanup_resources

        def _close_clients(self) -> None:
            """Close our clients' sockets and end their contexts now. Left to the garbage
            collector, a context and its sockets die in one cycle: the context's finalizer
            runs first, no longer sees the sockets (their weak references are gone) and
            waits forever for them to close - a grading process that grades a second
            notebook hung there (zmq ``Context.term`` inside a later, unrelated collection)."""
            for kc in getattr(self, "_clients", []):
                try:
                    kc.stop_channels()
                except Exception:   # noqa: BLE001 - a channel already closed
                    pass
                try:
                    kc.context.destroy(linger=0)
                except Exception:   # noqa: BLE001
                    pass
            self._clients = []

        def exit_status(self):
            """The kernel process's return code (negative: killed by that signal), or None."""
            proc = getattr(self.provisioner, "process", None)
            return None if proc is None else proc.poll()
else:  # pragma: no cover
    SandboxKernelManager = None
