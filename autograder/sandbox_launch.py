"""The sandbox launcher: ``python -I -S sandbox_launch.py SPEC_JSON -- COMMAND...``.

Trusted code, started by :class:`autograder.sandbox.Sandbox` in the untrusted process's place
(standard library only: it runs once per sandbox). Before ``exec``-ing the command (normally
bubblewrap, which keeps this pid) it starts a new session, joins the sandbox's cgroups and
sets its rlimits, so that every process of the sandbox inherits them.
"""
import json
import os
import resource
import sys


def launch(spec: dict, argv: list) -> None:
    try:
        os.setsid()
    except OSError:
        pass                                   # already a session leader
    for procs in spec.get("cgroups", []):
        with open(procs, "w") as f:
            f.write(str(os.getpid()))
    for name, value in spec["rlimits"].items():
        value = int(value)
        resource.setrlimit(getattr(resource, "RLIMIT_" + name), (value, value))
    nproc = int(spec.get("nproc") or 0)
    if nproc:
        # No pids cgroup: RLIMIT_NPROC. The kernel checks it in the sandbox's user namespace
        # and again against all of this user's processes, so allow what the user already runs.
        mine = sum(1 for d in os.listdir("/proc") if d.isdigit() and _owned(d))
        resource.setrlimit(resource.RLIMIT_NPROC, (mine + nproc, mine + nproc))
    if spec.get("chdir"):
        os.chdir(spec["chdir"])
    os.execv(argv[0], argv)


def _owned(pid: str) -> bool:
    try:
        return os.stat(f"/proc/{pid}").st_uid == os.getuid()
    except OSError:
        return False


if __name__ == "__main__":
    if len(sys.argv) < 4 or sys.argv[2] != "--":
        sys.stderr.write("usage: sandbox_launch.py SPEC_JSON -- COMMAND...\n")
        sys.exit(2)
    try:
        launch(json.loads(sys.argv[1]), sys.argv[3:])
    except BaseException as exc:  # report, never run the command unconfined
        sys.stderr.write(f"sandbox launcher: {type(exc).__name__}: {exc}\n")
        os._exit(126)
