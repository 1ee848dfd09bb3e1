"""The sandbox launcher: ``python -I -S sandbox_launch.py SPEC -- COMMAND...``.

Started by :class:`autograder.sandbox.Sandbox` (as root, normally) in the untrusted process's
place; applies the spec (cgroup, namespaces, hidden folders, rlimits, uid) and ``exec``s the
command, which keeps its pid. Standard library only and few imports: it runs once per
sandbox, so its start-up time is grading time.
"""
import marshal
import os
import resource
import sys

def _libc():
    import ctypes
    libc = ctypes.CDLL(None, use_errno=True)
    libc.mount.argtypes = [ctypes.c_char_p, ctypes.c_char_p, ctypes.c_char_p, ctypes.c_ulong, ctypes.c_char_p]
    return libc


def _check(rc: int, what: str) -> None:
    if rc != 0:
        import ctypes
        err = ctypes.get_errno()
        raise OSError(err, f"{what}: {os.strerror(err)}")


def _launch(spec_path: str, argv: list[str]) -> None:
    """Runs in the child, as root (normally), just before ``exec``."""
    with open(spec_path, "rb") as f:
        spec = marshal.load(f)              # written by the trusted side, in a root-owned folder
    pid = os.getpid()
    try:
        os.setsid()
    except OSError:
        pass                                   # already a session leader
    if spec["cgroup"]:
        with open(os.path.join(spec["cgroup"], "cgroup.procs"), "w") as f:
            f.write(str(pid))
    libc = _libc() if (spec["netns"] or spec["mountns"]) else None
    if spec["netns"]:
        _check(libc.unshare(0x40000000), "unshare(CLONE_NEWNET)")
    if spec["mountns"]:
        MS_RDONLY, MS_NOSUID, MS_NODEV, MS_NOEXEC, MS_BIND, MS_REC, MS_PRIVATE = 1, 2, 4, 8, 4096, 16384, 1 << 18
        _check(libc.unshare(0x00020000), "unshare(CLONE_NEWNS)")
        _check(libc.mount(None, b"/", None, MS_REC | MS_PRIVATE, None), "mount --make-rprivate /")
        # e.g. the interpreter lives in /root/.pyenv and /root is 0700, or the repository is
        # in a 0700 mktemp folder: put an empty tmpfs on each closed ancestor (hiding the rest
        # of it) and bind the needed folders back. Plan and open every folder before the first
        # mount, since a cover hides the folders under it.
        plan = [(path, _closed_ancestor(path)) for path in spec["expose"]]
        fds = {path: os.open(path, os.O_PATH | os.O_DIRECTORY) for path, anc in plan if anc}
        covered = set()
        for path, anc in plan:
            if anc is None:
                continue
            if anc not in covered:
                _check(libc.mount(b"tmpfs", anc.encode(), b"tmpfs", MS_NOSUID | MS_NODEV,
                                  b"size=64k,mode=0755"), f"cover {anc}")
                covered.add(anc)
            os.makedirs(path, exist_ok=True)
            _check(libc.mount(f"/proc/self/fd/{fds[path]}".encode(), path.encode(), None,
                              MS_BIND | MS_REC, None), f"expose {path}")
        for fd in fds.values():
            os.close(fd)
        for path in spec["hide"]:
            p = path.encode()
            if not os.path.exists(path):
                continue                       # already under a covered folder
            if os.path.isdir(path):
                _check(libc.mount(b"tmpfs", p, b"tmpfs", MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC,
                                  b"size=4k,mode=0555"), f"hide {path}")
            else:
                _check(libc.mount(b"/dev/null", p, None, MS_BIND, None), f"hide {path}")
    uid = 0
    if spec["setuid"]:
        uid = 2_000_000 + pid
        for top in spec["own"]:
            for dirpath, dirnames, filenames in os.walk(top):
                for name in [dirpath] + [os.path.join(dirpath, n) for n in dirnames + filenames]:
                    os.lchown(name, uid, uid)
    lim = spec["rlimits"]
    for name in ("AS", "CPU", "FSIZE", "NOFILE", "CORE"):
        value = int(lim[name])
        resource.setrlimit(getattr(resource, "RLIMIT_" + name), (value, value))
    if spec["setuid"]:
        # counts this uid only (unique per sandbox); a backstop above the cgroup's limit, so
        # that the cgroup (which records its refusals in pids.events) refuses first
        n = int(spec["nproc"]) + (16 if spec["cgroup"] else 0)
        resource.setrlimit(resource.RLIMIT_NPROC, (n, n))
    else:
        # not root: RLIMIT_NPROC counts every process of the user, so allow what exists plus the limit
        mine = sum(1 for d in os.listdir("/proc") if d.isdigit() and _owned(d))
        n = mine + int(spec["nproc"])
        try:
            resource.setrlimit(resource.RLIMIT_NPROC, (n, n))
        except (ValueError, OSError):
            pass
    os.chdir(spec["workdir"])
    if spec["setuid"]:
        os.setgroups([])
        os.setgid(uid)
        os.setuid(uid)
    os.execvp(argv[0], argv)


def _closed_ancestor(path: str):
    """The highest folder on ``path`` that others may not traverse (no o+x), or None."""
    parts = path.strip("/").split("/")
    for i in range(1, len(parts) + 1):
        d = "/" + "/".join(parts[:i])
        try:
            if not os.stat(d).st_mode & 0o001:
                return d
        except OSError:
            return None
    return None


def _owned(pid: str) -> bool:
    try:
        return os.stat(f"/proc/{pid}").st_uid == os.getuid()
    except OSError:
        return False


if __name__ == "__main__":
    # python -I -S sandbox_launch.py SPEC -- COMMAND...
    if len(sys.argv) < 4 or sys.argv[2] != "--":
        sys.stderr.write("usage: sandbox_launch.py SPEC -- COMMAND...\n")
        sys.exit(2)
    try:
        _launch(sys.argv[1], sys.argv[3:])
    except BaseException as exc:  # report, never run the command unconfined
        sys.stderr.write(f"sandbox launcher: {type(exc).__name__}: {exc}\n")
        os._exit(126)
