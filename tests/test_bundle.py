"""The student bundle: unpacked into a fresh folder, the visible checks work from it alone (in
a Python that cannot import anime_genre), and nothing of the instructor's is inside."""
from __future__ import annotations

import json
import re
import subprocess
import sys
import sysconfig
import zipfile
from pathlib import Path

import nbformat
import pytest

from autograder import core
from autograder.bundle import TOP, build_bundle
from autograder.course import reference_body

from grader_cases import solved

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def bundle(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("bundle")
    out, names = build_bundle(tmp / "student.zip")
    with zipfile.ZipFile(out) as z:
        z.extractall(tmp / "unpacked")
    return tmp / "unpacked" / TOP, names


def _isolated(bundle_dir: Path, code: str) -> subprocess.CompletedProcess:
    """Run ``code`` in ``python -I -S`` with only the bundle and the third-party packages on
    sys.path: no .pth processing, so the editable install of anime_genre is invisible."""
    paths = [str(bundle_dir)] + sorted({sysconfig.get_paths()["purelib"], sysconfig.get_paths()["platlib"]})
    prog = f"import sys\nsys.path[:0] = {paths!r}\n" + code
    return subprocess.run([sys.executable, "-I", "-S", "-c", prog], cwd=bundle_dir,
                          capture_output=True, text=True, timeout=300)


def test_nothing_of_the_instructor_is_inside(bundle):
    bundle_dir, names = bundle
    files = [p for p in bundle_dir.rglob("*") if p.is_file()]
    rel = [p.relative_to(bundle_dir).as_posix() for p in files]
    assert not [r for r in rel if r.startswith(("solutions/", "autograder/hidden", "autograder/course"))]
    assert not [r for r in rel if "nbgrader_plugin" in r or r.startswith("source/")]
    assert sorted(r for r in rel if r.startswith("lessons/")) == \
        sorted(f"lessons/{p.name}" for p in (ROOT / "lessons").glob("[0-9][0-9]_*.ipynb"))
    texts = {r: p.read_bytes().decode("utf-8", "replace") for r, p in zip(rel, files)}
    for r, text in texts.items():
        for marker in ("BEGIN SOLUTION", "BEGIN HIDDEN TESTS"):
            assert f"### {marker}" not in text, f"{r} contains {marker}"
        if r.startswith("autograder/") and r.endswith(".py"):
            assert not re.search(r"^\s*(import|from)\s+anime_genre\b", text, re.M), r
    # no reference body of any exercise appears anywhere (its longest line is the fingerprint)
    core.load_checks()
    for ex in core.REGISTRY.values():
        obj = core.resolve_reference(ex)
        members = [obj] if not isinstance(obj, type) else [
            v for v in vars(obj).values() if callable(v) and getattr(v, "__name__", "") != "__init__"]
        for m in members:
            try:
                body = reference_body(m)
            except (TypeError, ValueError, OSError):
                continue
            lines = [ln.strip() for ln in body if ln.strip() and not ln.strip().startswith("#")]
            longest = max(lines, key=len)
            if len(lines) < 3 or len(longest) < 40:   # one-liners may legitimately be hinted at
                continue
            for r, text in texts.items():
                assert longest not in text, f"{r} contains reference code of {ex.id}: {longest!r}"


def test_visible_checks_work_from_the_bundle_alone(bundle, tmp_path):
    bundle_dir, _ = bundle
    nbformat.write(solved(4), str(bundle_dir / "solved.ipynb"))
    nbformat.write(nbformat.read(str(ROOT / "lessons" / "04_sigmoid_vs_softmax.ipynb"), as_version=4),
                   str(bundle_dir / "stub.ipynb"))
    code = '''
import json
try:
    import anime_genre
    print("REFERENCE IMPORTABLE")
except ImportError:
    pass
import autograder
assert autograder.__file__.startswith(sys.path[0]), autograder.__file__
from autograder.grade import grade_notebook
out = {}
for name in ("solved", "stub"):
    out[name] = grade_notebook(name + ".ipynb", execute=False).as_dict()
import numpy as np
from autograder import check
def sigmoid(x):
    return 1 / (1 + np.exp(-np.asarray(x, dtype=float)))
out["check"] = check("l4_sigmoid", sigmoid)
print(json.dumps(out))
'''
    p = _isolated(bundle_dir, code)
    assert p.returncode == 0, p.stderr
    assert "REFERENCE IMPORTABLE" not in p.stdout
    result = json.loads(p.stdout.strip().splitlines()[-1])
    assert result["solved"]["total"] == result["solved"]["max_total"] == 12
    assert result["stub"]["total"] == 0
    assert {e["status"] for e in result["stub"]["exercises"]} == {"not-implemented"}
    assert result["check"] == 2.0
    assert "[l4_sigmoid] PASSED" in p.stdout


def test_the_documented_commands_work_from_the_bundle(bundle, tmp_path):
    """`python -m autograder --help` and `python -m autograder grade NOTEBOOK` (executing a
    notebook saved the usual way, with list-valued cell sources) from the unpacked bundle,
    with nothing of the instructor importable."""
    bundle_dir, _ = bundle
    nb = solved(4)
    for cell in nb.cells:                       # how Jupyter saves: lists of lines
        cell.source = cell.source.splitlines(keepends=True)
    path = bundle_dir / "mine.ipynb"
    path.write_text(json.dumps(nb))
    run = ("import runpy, sys\nsys.argv = ['autograder'] + {args!r}\n"
           "try:\n    runpy.run_module('autograder', run_name='__main__')\nexcept SystemExit as e:\n"
           "    print('EXIT', e.code)\n")
    p = _isolated(bundle_dir, run.format(args=["--help"]))
    assert "EXIT 0" in p.stdout and "grade" in p.stdout and "grade-class" not in p.stdout, p.stdout + p.stderr
    p = _isolated(bundle_dir, run.format(args=["grade", "mine.ipynb", "--json", "--executed", "out.ipynb"]))
    assert "EXIT 0" in p.stdout, p.stdout + p.stderr
    report = json.loads(p.stdout[: p.stdout.rindex("EXIT")])
    assert report["total"] == report["max_total"] == 12
    executed = json.loads((bundle_dir / "out.ipynb").read_text())
    outputs = [o for c in executed["cells"] for o in c.get("outputs", [])]
    assert any("PASSED" in "".join(o.get("text", "")) for o in outputs)   # it really ran
