"""Submission notebooks for class-run tests and the benchmark: ordinary ones and hostile ones.

Every notebook starts from the released lesson (what students receive). ``solved`` fills
each solution cell with the instructor's solution (markers removed); hostile variants then
add code to one cell. ``HOSTILE`` maps a student id to (builder, what the test expects).
Paths the hostile code aims at (course folder, repository, a canary file) are passed in.
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
        code = (f"\nimport os, shutil\nfor p in ['.', '..', '../..', '../../..', {str(targets['canary_dir'])!r},"
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
                "try:\n    _os.kill(_os.getppid(), 9)\n    _leaks.append('killed the grader')\nexcept OSError:\n    pass\n"
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
