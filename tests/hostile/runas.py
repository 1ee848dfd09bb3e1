"""Run one grading command as a chosen identity and report what it left running.

    python runas.py SPEC.json

SPEC (JSON): ``argv``, ``cwd``, ``env`` (the whole environment), ``stdout``/``stderr`` (files
to write), ``report`` (the JSON report to write), ``timeout`` (a safety net, seconds),
``grace`` (seconds the command's processes get to vanish after it exits), and optionally
``user``: ``{"uid", "gid", "expose": [folders]}``.

With ``user`` and when this helper runs as root, the command runs as that user (``setpriv``)
inside a private mount namespace (``unshare -m --propagation private``, which this helper
re-executes itself under): every folder of ``expose`` whose ancestors the user cannot traverse
(``/root`` holding the interpreter, a 0700 clone folder, pytest's 0700 base) gets its outermost
closed ancestor covered by a tmpfs in which the exposed folders are bind-mounted back. So the
user reaches the interpreter, the repository and its own folders, as on a machine where it has
its own environment; nothing changes outside this namespace, which ends with the command.

This helper is a child subreaper (``PR_SET_CHILD_SUBREAPER``): every process the command starts
stays its descendant even when orphaned (double fork, ``setsid``). After the command exits and
``grace`` seconds have passed, any descendant still alive has outlived its grading: it is
listed in the report (pid, uid, command line), then killed. While the command runs, the peak
memory (VmHWM) of the *trusted* processes (descendants not inside a bubblewrap sandbox) is
sampled.

The report: ``returncode``, ``seconds``, ``timed_out``, ``outlived`` (list), ``trusted_peak_mb``.
"""
from __future__ import annotations

import ctypes
import json
import os
import signal
import stat
import subprocess
import sys
import time

PR_SET_CHILD_SUBREAPER = 36
MS_BIND, MS_REC = 4096, 16384
_libc = ctypes.CDLL(None, use_errno=True)


def _mount(source: str, target: str, fstype: str | None, flags: int, data: str | None) -> None:
    rc = _libc.mount(source.encode() if source else None, target.encode(),
                     fstype.encode() if fstype else None, ctypes.c_ulong(flags),
                     data.encode() if data else None)
    if rc != 0:
        err = ctypes.get_errno()
        raise OSError(err, f"mount {source} on {target}: {os.strerror(err)}")


def _closed(path: str) -> bool:
    """Can an arbitrary other user not traverse this folder?"""
    return not (os.stat(path).st_mode & stat.S_IXOTH)


def expose(folders: list[str]) -> None:
    """In this (private) mount namespace, make each folder reachable by any user: cover the
    outermost closed ancestor of each with a tmpfs and bind the folder back into it."""
    folders = [os.path.realpath(f) for f in folders]
    fds = {f: os.open(f, os.O_PATH | os.O_DIRECTORY) for f in folders}   # reachable after covering
    covers: dict[str, list[str]] = {}
    for f in folders:
        parts = f.strip("/").split("/")
        for i in range(1, len(parts)):
            anc = "/" + "/".join(parts[:i])
            if _closed(anc):
                covers.setdefault(anc, []).append(f)
                break
    # drop covers inside another cover (the outer tmpfs recreates the path anyway)
    outer = [c for c in covers if not any(c != o and c.startswith(o + "/") for o in covers)]
    for c in sorted(outer, key=len):
        inside = [f for k, fs in covers.items() if k == c or k.startswith(c + "/") for f in fs]
        _mount("tmpfs", c, "tmpfs", 0, "mode=0755,size=1m")
        for f in sorted(set(inside), key=len):
            os.makedirs(f, mode=0o755, exist_ok=True)
            _mount(f"/proc/self/fd/{fds[f]}", f, None, MS_BIND | MS_REC, None)
    for fd in fds.values():
        os.close(fd)


def _stat(pid: int):
    try:
        with open(f"/proc/{pid}/stat", "rb") as f:
            raw = f.read()
        comm = raw[raw.index(b"(") + 1: raw.rindex(b")")].decode(errors="replace")
        fields = raw.rsplit(b")", 1)[1].split()
        return comm, fields[0].decode(), int(fields[1])
    except (OSError, ValueError, IndexError):
        return None


def descendants(root: int) -> dict[int, tuple[str, int, bool]]:
    """pid -> (comm, ppid, inside a sandbox) of every live (non-zombie) descendant of ``root``."""
    info = {}
    for name in os.listdir("/proc"):
        if name.isdigit():
            st = _stat(int(name))
            if st is not None:
                info[int(name)] = st
    out = {}
    for pid, (comm, state, ppid) in info.items():
        if state == "Z":
            continue
        p, sandboxed = ppid, comm == "bwrap"
        for _ in range(200):
            if p == root:
                out[pid] = (comm, ppid, sandboxed)
                break
            if p not in info or p in (0, 1):
                break
            sandboxed = sandboxed or info[p][0] == "bwrap"
            p = info[p][2]
    return out


def _vmhwm_kb(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1])
    except (OSError, ValueError):
        pass
    return 0


def _describe(pid: int) -> dict:
    try:
        uid = os.stat(f"/proc/{pid}").st_uid
        with open(f"/proc/{pid}/cmdline", "rb") as f:
            cmd = f.read().replace(b"\0", b" ").decode(errors="replace")[:300]
    except OSError:
        uid, cmd = None, "?"
    return {"pid": pid, "uid": uid, "cmdline": cmd}


def _reap() -> None:
    while True:
        try:
            pid, _ = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            return


def run(spec: dict) -> dict:
    me = os.getpid()
    _libc.prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0)
    user = spec.get("user")
    argv = list(spec["argv"])
    if user and os.geteuid() == 0:
        expose(user.get("expose", []))
        argv = ["setpriv", f"--reuid={user['uid']}", f"--regid={user['gid']}", "--clear-groups",
                "--inh-caps=-all", "--"] + argv
    t0 = time.monotonic()
    with open(spec["stdout"], "wb") as out, open(spec["stderr"], "wb") as err:
        proc = subprocess.Popen(argv, cwd=spec["cwd"], env=spec["env"], stdout=out, stderr=err,
                                stdin=subprocess.DEVNULL)
    peak_kb, timed_out = 0, False
    deadline = t0 + float(spec.get("timeout", 1800))
    while proc.poll() is None:
        for pid, (_, _, sandboxed) in descendants(me).items():
            if not sandboxed:
                peak_kb = max(peak_kb, _vmhwm_kb(pid))
        if time.monotonic() > deadline:
            timed_out = True
            for pid in descendants(me):
                try:
                    os.kill(pid, signal.SIGKILL)
                except OSError:
                    pass
        time.sleep(0.25)
        _reap_others(proc.pid)
    seconds = time.monotonic() - t0
    end = time.monotonic() + float(spec.get("grace", 3))
    left = descendants(me)
    while left and time.monotonic() < end:
        time.sleep(0.2)
        _reap_others(proc.pid)
        left = descendants(me)
    outlived = [_describe(pid) for pid in sorted(left)]
    for _ in range(50):                     # end them: nothing may stay on the machine
        left = descendants(me)
        if not left:
            break
        for pid in left:
            try:
                os.kill(pid, signal.SIGKILL)
            except OSError:
                pass
        time.sleep(0.1)
        _reap()
    _reap()
    import resource
    ru = resource.getrusage(resource.RUSAGE_CHILDREN)
    return {"returncode": proc.returncode, "seconds": round(seconds, 2), "timed_out": timed_out,
            "outlived": outlived, "trusted_peak_mb": round(peak_kb / 1024, 1),
            "cpu_seconds": round(ru.ru_utime + ru.ru_stime, 1)}


def _reap_others(main_pid: int) -> None:
    """Reap orphans reparented to us (never the main child: Popen reaps it)."""
    try:
        with open(f"/proc/{os.getpid()}/task/{os.getpid()}/children") as f:
            kids = [int(x) for x in f.read().split()]
    except OSError:
        kids = []
    for pid in kids:
        if pid == main_pid:
            continue
        st = _stat(pid)
        if st is not None and st[1] == "Z":
            try:
                os.waitpid(pid, os.WNOHANG)
            except ChildProcessError:
                pass


def main() -> None:
    path = sys.argv[1]
    with open(path) as f:
        spec = json.load(f)
    if spec.get("user") and os.geteuid() == 0 and os.environ.get("RUNAS_IN_NS") != "1":
        # a private mount namespace for the exposures; this helper runs again inside it
        env = dict(os.environ, RUNAS_IN_NS="1")
        os.execvpe("unshare", ["unshare", "-m", "--propagation", "private", sys.executable, "-I",
                               os.path.abspath(__file__), path], env)
    report = run(spec)
    with open(spec["report"], "w") as f:
        json.dump(report, f)


if __name__ == "__main__":
    main()
