"""One test per exercise of ``--notebook PATH`` (see ``autograder/conftest.py``)."""
from __future__ import annotations

import pytest


@pytest.fixture(scope="session")
def notebook(request):
    path = request.config.getoption("notebook")
    from autograder.grade import read_notebook
    return read_notebook(path)


def test_exercise(notebook, exercise_id, request):
    from autograder import core
    from autograder.judge import Limits, judge_exercise
    t = request.config.getoption("grade_timeout")
    result = judge_exercise(notebook, exercise_id, Limits(call_timeout=t, cell_timeout=t))
    print(core.format_result(result))
    assert result.status == "passed", f"{result.points:g}/{result.max_points:g} points: {result.message}"
