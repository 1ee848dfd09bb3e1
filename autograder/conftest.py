"""``pytest autograder --notebook PATH``: one test per exercise of the notebook's lesson,
graded exactly like ``python -m autograder grade`` (trusted judge, visible and hidden checks
where the hidden ones are installed). Without ``--notebook`` the grading test is not
collected, so ``pytest`` over the whole repository neither grades nor reports a skip."""
from __future__ import annotations


def pytest_addoption(parser):
    group = parser.getgroup("autograder")
    group.addoption("--notebook", action="store", default=None, metavar="PATH",
                    help="grade this notebook: one test per exercise")
    group.addoption("--grade-timeout", action="store", type=float, default=10.0,
                    help="seconds allowed for one call of the student's code (default 10)")


def pytest_ignore_collect(collection_path, config):
    if collection_path.name == "test_notebook.py" and not config.getoption("notebook"):
        return True
    return None


def pytest_generate_tests(metafunc):
    if "exercise_id" not in metafunc.fixturenames:
        return
    path = metafunc.config.getoption("notebook")
    from autograder.grade import GradingError, read_notebook
    from autograder.judge import exercises_of_lesson, lesson_of
    try:
        nb = read_notebook(path)
    except GradingError as exc:
        raise SystemExit(f"error: {exc}") from None
    lesson = lesson_of(nb, path)
    ids = [ex.id for ex in exercises_of_lesson(lesson)] if lesson is not None else []
    if not ids:
        raise SystemExit(f"error: {path}: no exercises found for this notebook")
    metafunc.parametrize("exercise_id", ids)
