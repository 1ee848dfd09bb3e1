"""What the hostile tests share: who runs a grading command, the course they grade.

- :class:`Identity`: the test itself, or a system user created for the test (when the tests run
  as root), and :meth:`Identity.run`, which runs a command as that identity under ``runas.py``
  (a private mount namespace exposing the interpreter, the repository and the test's folder;
  a child subreaper reporting every process that outlived the command);
- :func:`course_template` (a session fixture): the lesson-4 course, built once;
  :func:`copy_course` makes a test's own copy of it.
"""
from __future__ import annotations

import json
import os
import pwd
import shutil
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PY = sys.executable
BIN = str(Path(PY).parent)
RUNAS = Path(__file__).with_name("runas.py")
IS_ROOT = os.geteuid() == 0
# who grades: root and a new ordinary user when the tests run as root; otherwise the test's own
# identity, an ordinary user (a different list, not a skip)
IDENTITIES = ["root", "user"] if IS_ROOT else ["user"]
SAFETY_NET = 1800                  # seconds: only so that a hung run cannot hang CI forever
A = "04_sigmoid_vs_softmax"


class Identity:
    """Who runs the grading: the test itself, or a system user created for the test."""

    def __init__(self, name: str, base: Path):
        self.name, self.base = name, base
        self.shared: list[Path] = []   # more folders this identity reaches (an exchange)
        self.user = None
        if name == "user" and IS_ROOT:
            self.user = f"aghost{uuid.uuid4().hex[:8]}"
            subprocess.run(["useradd", "--system", "--no-create-home", "--user-group", "--shell",
                            "/usr/sbin/nologin", self.user], check=True, capture_output=True)
            pw = pwd.getpwnam(self.user)
            self.uid, self.gid = pw.pw_uid, pw.pw_gid
        else:
            self.uid, self.gid = os.getuid(), os.getgid()

    @property
    def label(self) -> str:
        return self.user or ("root" if IS_ROOT else "self")

    def own(self, path: Path) -> None:
        """Give a folder tree to the identity (links themselves, never their targets)."""
        if self.user is None:
            return
        for dirpath, dirnames, filenames in os.walk(path):
            os.lchown(dirpath, self.uid, self.gid)
            for n in dirnames + filenames:
                os.lchown(os.path.join(dirpath, n), self.uid, self.gid)

    def remove(self) -> None:
        if self.user is not None:
            subprocess.run(["userdel", self.user], capture_output=True)

    def env(self) -> dict:
        return {"PATH": f"{BIN}:/usr/bin:/bin", "HOME": str(self.base / "home"), "TMPDIR": str(self.base / "tmp"),
                "LANG": "C.UTF-8", "PYTHONDONTWRITEBYTECODE": "1"}

    def run(self, argv: list, cwd: Path, tag: str, timeout: float = SAFETY_NET) -> dict:
        """Run ``argv`` as this identity under runas.py; returns its report plus stdout/stderr."""
        runs = self.base / "runs"
        runs.mkdir(exist_ok=True)
        spec = {"argv": [str(a) for a in argv], "cwd": str(cwd), "env": self.env(),
                "stdout": str(runs / f"{tag}.out"), "stderr": str(runs / f"{tag}.err"),
                "report": str(runs / f"{tag}.json"), "timeout": timeout, "grace": 3}
        if self.user is not None:
            expose = {os.path.realpath(sys.base_prefix), str(ROOT), str(self.base), *map(str, self.shared)}
            if not os.path.realpath(sys.prefix).startswith(str(ROOT) + "/"):
                expose.add(os.path.realpath(sys.prefix))
            spec["user"] = {"uid": self.uid, "gid": self.gid, "expose": sorted(expose)}
        (runs / f"{tag}.spec").write_text(json.dumps(spec))
        t0 = time.monotonic()
        done = subprocess.run([PY, "-I", str(RUNAS), str(runs / f"{tag}.spec")], capture_output=True,
                              text=True, timeout=timeout + 120)
        report = json.loads(Path(spec["report"]).read_text()) if Path(spec["report"]).exists() else \
            {"returncode": None, "outlived": [], "helper_error": done.stderr[-2000:]}
        report["stdout"] = Path(spec["stdout"]).read_text(errors="replace") if Path(spec["stdout"]).exists() else ""
        report["stderr"] = Path(spec["stderr"]).read_text(errors="replace") if Path(spec["stderr"]).exists() else ""
        report["wall"] = round(time.monotonic() - t0, 1)
        report["tag"] = tag
        return report


# ----------------------------------------------------------------------------- the class

_BUILT: dict = {}


def built_course(tmp_path_factory) -> Path:
    """The lesson-4 course (build-course + generate_assignment), built once per test session
    (whichever test module asks first); tests grade copies of it (:func:`copy_course`)."""
    if "course" not in _BUILT:
        base = tmp_path_factory.mktemp("course-template")
        course = base / "course"
        env = {**os.environ, "PATH": f"{BIN}:{os.environ.get('PATH', '')}", "HOME": str(base)}
        subprocess.run([PY, "-m", "autograder", "build-course", str(course)], check=True, env=env, cwd=ROOT,
                       capture_output=True)
        subprocess.run(["nbgrader", "generate_assignment", A, "--force"], check=True, env=env, cwd=course,
                       capture_output=True)
        _BUILT["course"] = course
    return _BUILT["course"]


@pytest.fixture(scope="session")
def course_template(tmp_path_factory):
    return built_course(tmp_path_factory)


def copy_course(src: Path, dst: Path) -> None:
    """A copy of the course works where it lands (its config names no absolute folder)."""
    shutil.copytree(src, dst, symlinks=True)
    assert str(src) not in (dst / "nbgrader_config.py").read_text()


# ----------------------------------------------------------------------------- what is left

def tmp_entries(folder: str) -> set:
    try:
        return {n for n in os.listdir(folder)
                if n.startswith(("ag-", "autograder-run-", "autograder-runtime-", "autograder-grade-"))}
    except OSError:
        return set()


def cgroups() -> set:
    out = set()
    for c in ("memory", "pids", "cpuacct"):
        d = f"/sys/fs/cgroup/{c}"
        if os.path.isdir(d):
            out |= {f"{c}/{n}" for n in os.listdir(d) if n.startswith("autograder-")}
    return out


def left_cgroups(before: set, own_tmp: list, uids=None, settle: float = 240) -> list:
    """Sandbox cgroups made since ``before`` and still there. A cgroup is named after its
    sandbox's folder (``...ag-XXXX``): one whose folder still exists in /tmp belongs to a live
    sandbox of another run on this machine and is not counted; ours live in ``own_tmp``. With
    ``uids``, only cgroups made by those users count (cgroups are machine-wide: a root test
    run beside this one makes its own, owned by root).

    Tests run in parallel (one pytest worker per core), and another test's sandbox may keep its
    folder in that test's own temporary folder: its cgroup looks new here while it lives. Every
    run of ours is over when this is called, so a cgroup of ours never goes away by itself; one
    that disappears within ``settle`` seconds (a safety net, longer than any test's notebook
    timeout) was another test's."""
    out = _new_cgroups(before, own_tmp, uids)
    deadline = time.monotonic() + settle
    while out and time.monotonic() < deadline:
        time.sleep(1)
        out = [cg for cg in out if os.path.exists(f"/sys/fs/cgroup/{cg}")]
    return out


def _new_cgroups(before: set, own_tmp: list, uids=None) -> list:
    out = []
    for cg in sorted(cgroups() - before):
        if uids is not None:
            try:
                if os.stat(f"/sys/fs/cgroup/{cg}").st_uid not in uids:
                    continue
            except FileNotFoundError:
                continue
        name = cg.rsplit("/", 1)[-1]
        folder = "ag-" + name.rsplit("ag-", 1)[-1] if "ag-" in name else None
        if folder and os.path.exists(os.path.join("/tmp", folder)) and \
                not any(os.path.exists(os.path.join(d, folder)) for d in own_tmp):
            continue
        out.append(cg)
    return out
