"""The sandbox itself (autograder/sandbox.py), with real bubblewrap processes.

What a sandboxed process can see and do: only the allowlist (no repository, no reference,
no hidden checks, no other sandbox), no network, its own /proc, private size-limited /tmp,
limits per sandbox, nothing left running after it. And what happens where no sandbox can be
made: a refusal, or with --unsafe-no-sandbox a grade marked unsandboxed. Runs as whoever
runs the tests; where root and an ordinary user differ (cgroups), each asserts its own case.
"""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from autograder import sandbox

ROOT = Path(__file__).resolve().parents[1]
PY = sys.executable
ENV = {**os.environ, "PATH": f"{Path(PY).parent}:{os.environ.get('PATH', '')}"}


def _needs_bwrap():
    info = sandbox.probe()
    assert info["userns"], f"the grading sandbox cannot be made here: {info['why']}"


def run_inside(code: str, limits: sandbox.SandboxLimits | None = None,
               copy_from: str | None = None, timeout: float = 300) -> subprocess.CompletedProcess:
    """Run Python code in a fresh sandbox; returns the finished process (stdout, stderr)."""
    _needs_bwrap()
    argv = [PY, "-c", textwrap.dedent(code)]
    proc = sandbox.spawn(argv, limits=limits, copy_from=copy_from, stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE, text=True)
    try:
        out, err = proc.communicate(timeout=timeout)
    finally:
        proc.release()
    return subprocess.CompletedProcess(argv, proc.returncode, out, err)


def test_a_sandbox_sees_only_its_allowlist():
    code = f"""
        import json, os, socket, sys
        repo = {str(ROOT)!r}
        out = {{
            "root": sorted(os.listdir("/")),
            "runtime": sorted(os.listdir("/opt/course/autograder")),
            "repo_entries": sorted(os.listdir(repo)) if os.path.isdir(repo) else [],
            "home": os.getcwd(), "uid": os.getuid(), "host": socket.gethostname(),
            "pids": sorted(int(p) for p in os.listdir("/proc") if p.isdigit()),
            "env": sorted(os.environ),
        }}
        for name in ("anime_genre", "autograder.hidden", "autograder.checks.lesson4"):
            try:
                __import__(name)
                out[name] = "imported"
            except ImportError:
                out[name] = "absent"
        try:
            socket.create_connection(("127.0.0.1", 22), timeout=2)
            out["net"] = "connected"
        except OSError as exc:
            out["net"] = type(exc).__name__
        print(json.dumps(out))
    """
    p = run_inside(code)
    assert p.returncode == 0, p.stderr
    seen = json.loads(p.stdout)
    # the repository is not there: at most the environment's folders bound at their own paths
    assert set(seen["repo_entries"]) <= {".venv"}, seen["repo_entries"]
    assert "hidden" not in seen["runtime"] and "checks" in seen["runtime"]
    assert seen["anime_genre"] == "absent" and seen["autograder.hidden"] == "absent"
    assert seen["autograder.checks.lesson4"] == "imported"      # the visible checks are there
    assert seen["home"] == "/home/student" and seen["uid"] == 1000 and seen["host"] == "sandbox"
    assert max(seen["pids"]) < 10, seen["pids"]                   # its own pid namespace
    assert seen["net"] != "connected"
    assert not {"ANIME_GENRE_SECRET", "SSH_AUTH_SOCK", "USER"} & set(seen["env"])


def test_tmp_is_private_to_each_sandbox_and_size_limited():
    lim = sandbox.SandboxLimits(tmp_mb=4)
    writer = """
        import os
        for d in ("/tmp", "/var/tmp", "/dev/shm"):
            open(os.path.join(d, "left-for-the-next"), "w").write("x")
        try:
            with open("/tmp/big", "wb") as f:
                f.write(b"0" * (8 << 20))
            print("wrote 8 MB")
        except OSError as exc:
            print("refused", exc.errno)
    """
    p = run_inside(writer, lim)
    assert p.stdout.strip() == "refused 28", p.stdout + p.stderr         # ENOSPC
    # the working folder too is a size-limited tmpfs: nothing reaches the host's disk
    home = """
        import os
        try:
            for i in range(10):
                with open(f"fill{i}", "wb") as f:
                    f.write(b"1" * (4 << 20))
            print("filled")
        except OSError as exc:
            print("refused", exc.errno)
        os.makedirs("locked/sub")
        os.chmod("locked/sub", 0)
        os.chmod("locked", 0)
    """
    assert run_inside(home, sandbox.SandboxLimits(home_mb=16)).stdout.strip() == "refused 28"
    reader = """
        import os
        print([d for d in ("/tmp", "/var/tmp", "/dev/shm") if os.path.exists(os.path.join(d, "left-for-the-next"))])
    """
    assert run_inside(reader, lim).stdout.strip() == "[]"


def test_the_working_copy_holds_only_regular_files(tmp_path):
    sub = tmp_path / "submission"
    sub.mkdir()
    (sub / "answer.ipynb").write_text("{}")
    secret = tmp_path / "secret.txt"
    secret.write_text("instructor only")
    os.symlink(secret, sub / "link.txt")
    os.mkfifo(sub / "pipe")
    p = run_inside("import os; print(sorted(os.listdir('.')))", copy_from=str(sub))
    assert p.stdout.strip() == "['answer.ipynb']", p.stdout + p.stderr


def _descendants(pid: int) -> set[int]:
    kids = {}
    for name in os.listdir("/proc"):
        if name.isdigit():
            try:
                ppid = int(open(f"/proc/{name}/stat").read().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            kids.setdefault(ppid, set()).add(int(name))
    out, todo = set(), [pid]
    while todo:
        for k in kids.get(todo.pop(), ()):
            if k not in out:
                out.add(k)
                todo.append(k)
    return out


def test_nothing_outlives_its_sandbox():
    _needs_bwrap()
    code = """
        import os, time
        if os.fork() == 0:
            os.setsid()
            if os.fork() == 0:
                time.sleep(3600)
            os._exit(0)
        print("daemon started", flush=True)
        time.sleep(3600)
    """
    proc = sandbox.spawn([PY, "-c", textwrap.dedent(code)], stdout=subprocess.PIPE, text=True)
    assert proc.stdout.readline().strip() == "daemon started"
    inside = _descendants(proc.pid)
    assert len(inside) >= 3                       # bubblewrap's init, the script, the daemon
    proc.release()
    for _ in range(100):
        alive = [p for p in inside if os.path.exists(f"/proc/{p}") and
                 open(f"/proc/{p}/stat").read().rsplit(")", 1)[1].split()[0] != "Z"]
        if not alive:
            break
        time.sleep(0.1)
    assert alive == []
    assert not os.path.exists(proc.sandbox.dir)


def test_limits_hold_per_sandbox():
    """Processes: at most max_processes in the sandbox. Memory: the whole sandbox under a
    memory cgroup where one can be made (root), else each process under RLIMIT_AS."""
    code = """
        import os, time
        n = 0
        try:
            for _ in range(200):
                if os.fork() == 0:
                    time.sleep(60)
                    os._exit(0)
                n += 1
        except OSError:
            pass
        print(n)
    """
    lim = sandbox.SandboxLimits(max_processes=12, memory_mb=600)
    forks = int(run_inside(code, lim).stdout.strip())
    assert 0 < forks < 12
    hog = """
        import os
        kids = []
        for _ in range(4):
            pid = os.fork()
            if pid == 0:
                try:
                    b = bytearray(400 << 20)
                    for i in range(0, len(b), 4096):
                        b[i] = 1
                    os._exit(0)
                except MemoryError:
                    os._exit(3)
            kids.append(pid)
        print(sorted(os.waitstatus_to_exitcode(os.waitpid(k, 0)[1]) for k in kids))
    """
    codes = json.loads(run_inside(hog, lim).stdout)
    if sandbox.probe()["cgroup"]:
        assert any(c != 0 for c in codes), codes     # 4 x 400 MB do not fit in 600 MB together
    else:
        assert codes == [0, 0, 0, 0]                 # per process only (recorded as such)
        assert "RLIMIT_AS" in sandbox.isolation()["memory"]
    big = "b = bytearray(800 << 20)\nprint('allocated')"
    assert "allocated" not in run_inside(big, lim).stdout


def test_grading_refuses_without_a_sandbox_unless_told(tmp_path):
    nb = json.loads((ROOT / "lessons" / "04_sigmoid_vs_softmax.ipynb").read_text())
    path = tmp_path / "04_sigmoid_vs_softmax.ipynb"
    path.write_text(json.dumps(nb))
    env = {**ENV, "AUTOGRADER_BWRAP": "/bin/false"}
    p = subprocess.run([PY, "-m", "autograder", "grade", str(path), "--json", "--no-execute"],
                       capture_output=True, text=True, env=env, cwd=tmp_path)
    assert p.returncode == 2 and "cannot sandbox student code" in p.stderr and "--unsafe-no-sandbox" in p.stderr
    assert "Traceback" not in p.stderr
    p = subprocess.run([PY, "-m", "autograder", "grade", str(path), "--json", "--no-execute",
                        "--unsafe-no-sandbox"], capture_output=True, text=True, env=env, cwd=tmp_path)
    assert p.returncode == 0, p.stderr
    report = json.loads(p.stdout)
    assert report["isolation"] == "unsandboxed" and report["total"] == 0


def test_a_root_run_gives_the_course_back_to_its_owner(tmp_path):
    from autograder.classroom import give_back
    course = tmp_path / "course"
    (course / "autograded" / "alice").mkdir(parents=True)
    (course / "autograded" / "alice" / "nb.ipynb").write_text("{}")
    (course / "gradebook.db").write_text("")
    os.symlink("/etc/hostname", course / "autograded" / "alice" / "link")
    if os.geteuid() != 0:
        assert give_back(course) == []               # nothing to hand back: it is all ours
        return
    os.chown(course, 54321, 54321)
    changed = give_back(course)
    assert len(changed) == 5
    assert all(os.lstat(p).st_uid == 54321 for p in changed)
    assert os.stat("/etc/hostname").st_uid == 0     # the link was not followed


def test_the_grader_never_follows_a_socket_path_the_kernel_replaced(tmp_path):
    """A kernel can replace its socket files (its folder is writable for it) with links to any
    host socket and drop the connection: the grader must not connect again."""
    import socket
    import threading

    import nbformat
    from nbformat.v4 import new_code_cell, new_notebook

    from autograder.grade import execute_notebook
    _needs_bwrap()
    bait = tmp_path / "bait.sock"
    server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    server.bind(str(bait))
    server.listen(16)
    server.settimeout(0.5)
    hits = []
    stop = threading.Event()

    def serve():
        while not stop.is_set():
            try:
                conn, _ = server.accept()
                hits.append(1)
                conn.close()
            except OSError:
                pass
    t = threading.Thread(target=serve, daemon=True)
    t.start()
    attack = f"""
import json, os
from ipykernel.connect import get_connection_file
info = json.load(open(get_connection_file()))
k = get_ipython().kernel
for name in ("shell", "iopub", "stdin", "control", "hb"):
    path = f"{{info['ip']}}-{{info[name + '_port']}}"
    os.unlink(path)
    os.symlink({str(bait)!r}, path)
for sock in (k.stdin_socket, k.iopub_socket):
    try:
        sock.close(linger=0)
    except Exception:
        pass
"""
    nb = new_notebook(cells=[new_code_cell("print('before')"), new_code_cell(attack),
                             new_code_cell("print('after')")])
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nb = nbformat.from_dict(nb)
    execute_notebook(nb, tmp_path, cell_timeout=15)
    time.sleep(2)
    stop.set()
    t.join(5)
    server.close()
    assert "before" in "".join(o.get("text", "") for o in nb.cells[0].outputs)
    assert hits == []


def test_a_killed_grader_leaves_nothing_after_the_next_run(tmp_path):
    """SIGKILL (the OOM killer) leaves no chance to clean up: the next grader removes the dead
    one's sandbox folders, runtime copy and cgroups, and ends its sandboxes (as an ordinary
    user, without cgroups, they used to sleep on for the hour they asked for)."""
    _needs_bwrap()
    env = {**ENV, "TMPDIR": str(tmp_path)}
    grader = subprocess.Popen([PY, "-c", textwrap.dedent("""
        import subprocess, sys, time
        from autograder import sandbox
        p = sandbox.spawn(["/bin/sleep", "3600"])
        print(p.pid, p.sandbox.dir, *p.sandbox.cgroups, flush=True)
        time.sleep(3600)
    """)], stdout=subprocess.PIPE, text=True, env=env, cwd=ROOT)
    pid, *left = grader.stdout.readline().split()
    grader.kill()
    grader.wait()
    try:
        _test_killed_grader_leftovers(env, int(pid), left, tmp_path)
    finally:
        try:
            os.killpg(int(pid), signal.SIGKILL)     # whatever the product missed: not left to run
        except OSError:
            pass


def _test_killed_grader_leftovers(env, pid, left, tmp_path):
    assert left and all(os.path.exists(p) for p in left)
    assert os.path.exists(f"/proc/{pid}"), "the sandbox outlives its killed grader until the next run"
    assert any(n.startswith("autograder-runtime-") for n in os.listdir(tmp_path))
    subprocess.run([PY, "-c", "from autograder import sandbox; sandbox.probe()"], env=env, cwd=ROOT,
                   check=True)
    for _ in range(100):
        if not any(os.path.exists(p) for p in left):
            break
        time.sleep(0.1)
    assert [p for p in left if os.path.exists(p)] == []
    assert [n for n in os.listdir(tmp_path) if n.startswith(("ag-", "autograder-runtime-"))] == []
    for _ in range(100):
        if not os.path.exists(f"/proc/{pid}") or _zombie(pid):
            break
        time.sleep(0.1)
    assert not os.path.exists(f"/proc/{pid}") or _zombie(pid), "the dead grader's sandbox still runs"


def _zombie(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat", "rb") as f:
            return f.read().rsplit(b")", 1)[1].split()[0] == b"Z"
    except OSError:
        return True


@pytest.mark.parametrize("path", ["grade", "nbgrader"])
def test_a_graded_notebook_leaves_no_open_zmq_context(tmp_path, path):
    """Every ZMQ context the kernel's manager and clients opened is ended when the notebook is
    done, on the grade path (``execute_notebook``) and in nbgrader's executor (``ClassExecute``,
    which grade-class and ``nbgrader autograde`` use). One left to the garbage collector hung a
    grade-class worker in its *next* notebook (the context's finalizer waited forever for
    sockets of the same dead cycle)."""
    import gc

    import nbformat
    import zmq
    from nbformat.v4 import new_code_cell, new_notebook

    from autograder.classexec import ClassExecute
    from autograder.grade import execute_notebook
    _needs_bwrap()

    def open_contexts():
        gc.collect()
        return {id(o) for o in gc.get_objects() if isinstance(o, zmq.Context) and not o.closed}

    before = open_contexts()
    for n in range(2):                      # the second notebook is where the worker hung
        nb = new_notebook(cells=[new_code_cell(f"print({n} + 1)")])
        nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
        nb = nbformat.from_dict(nb)
        if path == "grade":
            execute_notebook(nb, tmp_path, cell_timeout=60)
        else:
            nb, _ = ClassExecute(timeout=60).preprocess(nb, {"metadata": {"path": str(tmp_path)}})
        assert nb.cells[0].outputs[0]["text"].strip() == str(n + 1)
        assert open_contexts() - before == set(), f"notebook {n + 1} left a ZMQ context open"


def test_a_context_collected_with_its_sockets_in_one_cycle_does_not_hang(tmp_path):
    """The kernel's manager and clients use contexts that own their sockets: garbage made of a
    context, a socket with a message still queued and a reference cycle is collected at once
    (pyzmq's own context waits forever there: its finalizer can no longer see the socket)."""
    from autograder.sandbox import SandboxKernelManager
    km = SandboxKernelManager(kernel_name="python3")
    assert type(km.context).__name__ == "_OwningContext"
    assert type(km.client().context).__name__ == "_OwningContext"
    km.context.destroy()
    code = textwrap.dedent(f"""
        import gc
        import zmq
        from autograder.sandbox import SandboxKernelManager
        ctx = SandboxKernelManager(kernel_name="python3").client().context
        class Holder:
            pass
        h = Holder()
        h.ctx, h.sock, h.me = ctx, ctx.socket(zmq.DEALER), h
        h.sock.connect("ipc://{tmp_path}/nobody-listens")
        h.sock.send(b"queued")
        del h, ctx
        gc.collect()
        print("collected")
    """)
    # (the timeout is a safety net for the hang this test is about, not a budget)
    p = subprocess.run([PY, "-c", code], capture_output=True, text=True, timeout=300, cwd=ROOT)
    assert p.stdout.strip() == "collected", p.stderr[-2000:]


def test_a_kernel_runs_from_a_folder_too_deep_for_its_sockets(tmp_path):
    """A unix socket path holds 107 bytes: a kernel's sandbox asked for in a deeper folder goes
    to the temporary folder instead, and the notebook runs (it failed with 'File name too
    long' in every grade-class run under a deep course folder)."""
    import nbformat
    from nbformat.v4 import new_code_cell, new_notebook

    _needs_bwrap()
    deep = tmp_path / ("d" * 60) / ("e" * 60)
    deep.mkdir(parents=True)
    box = sandbox.Sandbox(base_dir=str(deep), ipc=True)
    try:
        assert len(os.path.join(box.ipcdir, "k-65535").encode()) <= 107
        assert not box.dir.startswith(str(deep))
    finally:
        box.close()
    assert not os.path.exists(box.dir)
    from autograder.classexec import ClassExecute
    nb = new_notebook(cells=[new_code_cell("print(6 * 7)")])
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nb = nbformat.from_dict(nb)
    from traitlets.config import Config
    cfg = Config()
    cfg.SandboxKernelManager.base_dir = str(deep)       # as grade-class points it at its run folder
    nb, _ = ClassExecute(config=cfg, timeout=60).preprocess(nb, {"metadata": {"path": str(tmp_path)}})
    assert nb.cells[0].outputs[0]["text"].strip() == "42"
