"""i) the instructor's browser: nothing of a submission runs where its grading artifacts are shown.

One hostile submission (``tests/hostile/submissions.py``, ``browser_attack``: scripts in HTML,
JavaScript, SVG, markdown and widget outputs its code makes at grading time, and in markdown,
raw cells, stored outputs, tags, grade ids and widget state of the file itself) is autograded
with real ``nbgrader autograde`` in a copy of the course, then

- its feedback (``nbgrader generate_feedback``) and its formgrader page (the ``HTMLExporter``
  the formgrader extension builds from the course's configuration) hold no active content
  with the attack's token, and nothing of it runs in chromium;
- the stored autograded notebook is inert by itself: rendered by plain ``jupyter nbconvert``
  (no course configuration, as a formgrader started elsewhere would), nothing runs;
- the rendering configuration alone suffices (a course whose ``InertOutputs`` is switched off,
  as for notebooks autograded before it existed);
- ``python -m autograder grade --executed`` writes an inert notebook.

The control: the same notebooks rendered by plain nbconvert before the trusted side touched
them run the attack's scripts (so a script that ran would show). Everything happens in the
test's own temporary folders.
"""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import uuid
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests" / "hostile"))
import browser as B  # noqa: E402
import submissions as S  # noqa: E402
from harness import PY, copy_course, course_template  # noqa: E402,F401

A = S.ASSIGNMENT
NB = f"{A}.ipynb"
STUDENT = "mallory"


def _run(argv, cwd, env):
    p = subprocess.run([str(a) for a in argv], cwd=cwd, env=env, capture_output=True, text=True, timeout=900)
    assert p.returncode == 0, (argv, p.stdout[-2000:], p.stderr[-3000:])
    return p


def _nbconvert(nb: Path, out_dir: Path, env) -> Path:
    """Plain ``jupyter nbconvert --to html`` in a folder with no configuration."""
    out_dir.mkdir(parents=True, exist_ok=True)
    _run([Path(PY).parent / "jupyter", "nbconvert", "--to", "html", "--output-dir", out_dir, nb], out_dir, env)
    return out_dir / (nb.stem + ".html")


@pytest.fixture(scope="module")
def graded(course_template, tmp_path_factory):
    base = tmp_path_factory.mktemp("browser")
    token = uuid.uuid4().hex[:12]
    env = B.course_env(base / "home")
    (base / "home").mkdir()
    release, source = S.load(course_template)
    nb = S.build_attack("browser", release, source, {"token": token})
    courses = {}
    for name, extra in (("fixed", ""), ("filters_only", "\nc.InertOutputs.enabled = False\n")):
        course = base / name
        copy_course(course_template, course)
        if extra:
            with open(course / "course_limits.py", "a") as f:
                f.write(extra)
        S.write(course, STUDENT, nb)
        _run(["nbgrader", "autograde", A, "--student", STUDENT], course, env)
        _run(["nbgrader", "generate_feedback", A, "--student", STUDENT], course, env)
        autograded = course / "autograded" / STUDENT / A / NB
        courses[name] = {
            "course": course, "autograded": autograded,
            "feedback": course / "feedback" / STUDENT / A / f"{A}.html",
            "formgrade": base / f"formgrade-{name}.html"}
        B.formgrade_html(course, autograded, STUDENT, A, courses[name]["formgrade"], env)
    # the grade path's executed copy
    (base / "alone").mkdir()
    (base / "alone" / NB).write_text(json.dumps(nb))
    _run([PY, "-m", "autograder", "grade", base / "alone" / NB, "--json", "--executed", base / "executed.ipynb"],
         ROOT, env)
    return {"base": base, "token": token, "env": env, "courses": courses, "submitted": base / "alone" / NB,
            "executed": base / "executed.ipynb"}


def _browser_sees_nothing(page: Path, token: str, tmp_path) -> None:
    sinks = B.active_sinks(page.read_text(encoding="utf-8"), token)
    assert sinks == [], (page.name, sinks)
    if B.chromium() is None:
        from conftest import missing_tool
        missing_tool("chromium", "ask for `apt-get install chromium` (`make setup` installs it as root)")
    assert B.fired(page, token, tmp_path / "profile") == [], page.name


@pytest.mark.parametrize("course", ["fixed", "filters_only"])
@pytest.mark.parametrize("artifact", ["feedback", "formgrade"])
def test_nothing_runs_in_the_instructors_browser(graded, course, artifact, tmp_path):
    _browser_sees_nothing(graded["courses"][course][artifact], graded["token"], tmp_path)


def test_the_stored_notebook_is_inert_by_itself(graded, tmp_path):
    """A renderer without the course's configuration (plain nbconvert) runs nothing either."""
    page = _nbconvert(graded["courses"]["fixed"]["autograded"], tmp_path / "html", graded["env"])
    _browser_sees_nothing(page, graded["token"], tmp_path)
    nb = json.loads(graded["courses"]["fixed"]["autograded"].read_text())
    assert "widgets" not in nb["metadata"]


def test_the_grade_paths_executed_notebook_is_inert(graded, tmp_path):
    page = _nbconvert(graded["executed"], tmp_path / "html", graded["env"])
    _browser_sees_nothing(page, graded["token"], tmp_path)


def test_grading_is_unchanged(graded):
    """The attack earns nothing; the lesson's own markdown is not rewritten."""
    from nbgrader.api import Gradebook
    course = graded["courses"]["fixed"]["course"]
    with Gradebook(f"sqlite:///{course}/gradebook.db", "anime-genre") as gb:
        assert gb.find_submission(A, STUDENT).score == 0
    nb = json.loads(graded["courses"]["fixed"]["autograded"].read_text())
    fenced = [c for c in nb["cells"] if c["cell_type"] == "markdown" and "shown as text" in "".join(c["source"])]
    assert len(fenced) == 1 and "onerror" in "".join(fenced[0]["source"])   # the student's, shown verbatim
    assert sum(c["cell_type"] == "markdown" for c in nb["cells"]) == \
        1 + sum(c["cell_type"] == "markdown" for c in S.load(course)[0]["cells"])


def test_a_script_that_ran_would_show(graded, tmp_path):
    """The control: plain nbconvert renders the submission, and the autograded notebook of a
    course without InertOutputs, with the attack's scripts running."""
    if B.chromium() is None:
        from conftest import missing_tool
        missing_tool("chromium", "ask for `apt-get install chromium` (`make setup` installs it as root)")
    token = graded["token"]
    page = _nbconvert(graded["submitted"], tmp_path / "submitted", graded["env"])
    assert B.active_sinks(page.read_text(), token)
    ran = B.fired(page, token, tmp_path / "p1")
    assert {"md_script", "md_img_onerror", "md_details", "md_iframe_srcdoc"} <= set(ran), ran
    page = _nbconvert(graded["courses"]["filters_only"]["autograded"], tmp_path / "raw", graded["env"])
    ran = B.fired(page, token, tmp_path / "p2")
    assert {"html_script", "img_onerror", "execute_result", "png_width", "md_script"} <= set(ran), ran
