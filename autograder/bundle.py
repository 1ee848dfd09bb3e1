"""The student bundle: what a student of a graded course receives.

    python -m autograder student-bundle OUT.zip

Inside: the lessons, the visible part of the autograder (the check core, the judge and
worker, the grading command, the pytest entry, the visible checks), the project's fixtures,
a student README and a ``pyproject.toml``/``requirements.txt`` to install it. Not inside: the
reference package (``solutions/``), the hidden checks (``autograder/hidden``), the instructor
notebooks and course, the nbgrader plugin and the class-grading tools. :func:`audit` is the
list of reasons a bundle would be wrong; the builder refuses to write one that fails it.
"""
from __future__ import annotations

import re
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TOP = "anime-genre-course"

# the autograder files a student needs, nothing else
AUTOGRADER_FILES = ["__init__.py", "__main__.py", "core.py", "local.py", "analysis.py", "judge.py", "worker.py",
                    "grade.py", "sandbox.py", "sandbox_launch.py", "safe_html.py", "conftest.py",
                    "test_notebook.py", "STUDENT.md"]

FORBIDDEN_TEXT = ("BEGIN SOLUTION", "END SOLUTION", "BEGIN HIDDEN TESTS", "END HIDDEN TESTS")
IMPORT_REFERENCE = re.compile(r"^\s*(from\s+anime_genre\b|import\s+anime_genre\b)", re.M)

PYPROJECT = '''\
[build-system]
requires = ["setuptools>=68", "wheel"]
build-backend = "setuptools.build_meta"

[project]
name = "anime-genre-course"
version = "0.1.0"
description = "Anime genre classification from scratch: lessons and their checks"
requires-python = ">=3.10"
dependencies = [
    "numpy>=1.26", "scipy>=1.11", "pandas>=2.0", "beautifulsoup4>=4.12", "matplotlib>=3.8",
    "scikit-learn>=1.4", "jupyter", "nbformat>=5.9", "nbclient>=0.10", "ipykernel", "pytest>=8",
]

[tool.setuptools.packages.find]
include = ["autograder", "autograder.*"]

[tool.setuptools.package-data]
autograder = ["*.md"]
'''

REQUIREMENTS = """\
numpy>=1.26
scipy>=1.11
pandas>=2.0
beautifulsoup4>=4.12
matplotlib>=3.8
scikit-learn>=1.4
jupyter
nbformat>=5.9
nbclient>=0.10
ipykernel
pytest>=8
"""


def bundle_files(root: Path = ROOT) -> dict[str, Path]:
    """Archive name -> source file."""
    files: dict[str, Path] = {}
    for p in sorted((root / "lessons").glob("[0-9][0-9]_*.ipynb")):
        files[f"lessons/{p.name}"] = p
    for name in AUTOGRADER_FILES:
        p = root / "autograder" / name
        if p.exists():
            files[f"autograder/{name}"] = p
    for p in sorted((root / "autograder" / "checks").glob("*.py")):
        files[f"autograder/checks/{p.name}"] = p
    fixtures = root / "datasets" / "fixtures"
    for p in sorted(fixtures.rglob("*")):
        if p.is_file() and "__pycache__" not in p.parts and p.suffix != ".pyc":
            files[f"datasets/fixtures/{p.relative_to(fixtures).as_posix()}"] = p
    return files


def audit(names_and_text: dict[str, bytes]) -> list[str]:
    """Why these bundle contents must not go to a student (empty list: fine)."""
    problems = []
    for name, data in names_and_text.items():
        parts = name.split("/")
        if "solutions" in parts or "hidden" in parts or "course" in parts or "source" in parts:
            problems.append(f"{name}: instructor material")
        if name.endswith(".py") and name.startswith("autograder/") and IMPORT_REFERENCE.search(
                data.decode("utf-8", "replace")):
            problems.append(f"{name}: imports the reference package")
        text = data.decode("utf-8", "replace")
        for marker in FORBIDDEN_TEXT:
            if f"### {marker}" in text:
                problems.append(f"{name}: contains {marker!r}")
    return problems


def _student_readme(root: Path) -> str:
    guide = root / "autograder" / "STUDENT.md"
    text = guide.read_text(encoding="utf-8") if guide.exists() else ""
    return ("# Anime Genre Classification from Scratch — student copy\n\n"
            "Set up once (Python >= 3.10):\n\n"
            "```bash\npython -m venv .venv\n. .venv/bin/activate\npip install -e .\n"
            "jupyter lab lessons/\n```\n\n"
            "Lessons 1-3 read the real MyAnimeList data from the folder in `ANIME_GENRE_DATA_HOME` "
            "(ask your instructor where it is; without it they use the small fixtures in "
            "`datasets/fixtures/`). `python -m autograder grade` runs your code in a sandbox made "
            "with bubblewrap (Debian/Ubuntu package `bubblewrap`); where it cannot be made, add "
            "`--unsafe-no-sandbox` to check your own notebook anyway. If your course hands out "
            "and collects lessons through nbgrader's exchange, install nbgrader too "
            "(`pip install nbgrader`) and use `nbgrader fetch_assignment` / `nbgrader submit`.\n\n"
            + text)


def build_bundle(out: str | Path, root: Path = ROOT) -> tuple[Path, list[str]]:
    """Write the zip; returns its path and the archive names. Refuses a bundle that
    :func:`audit` rejects."""
    out = Path(out)
    files = bundle_files(root)
    if not any(n.startswith("lessons/") for n in files):
        raise ValueError(f"no lessons in {root / 'lessons'}")
    contents = {name: path.read_bytes() for name, path in files.items()}
    contents["README.md"] = _student_readme(root).encode("utf-8")
    contents["pyproject.toml"] = PYPROJECT.encode("utf-8")
    contents["requirements.txt"] = REQUIREMENTS.encode("utf-8")
    problems = audit(contents)
    if problems:
        raise ValueError("refusing to write the bundle: " + "; ".join(problems[:5]))
    out.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as z:
        for name, data in sorted(contents.items()):
            z.writestr(f"{TOP}/{name}", data)
    return out, sorted(contents)
