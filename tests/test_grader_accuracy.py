"""Grader accuracy: every known-buggy implementation loses points on its own exercise, every
alternative correct implementation gets full marks — graded through the trusted judge, with
the other exercises of the notebook holding the reference solution."""
from __future__ import annotations

import importlib
import pkgutil

import pytest

from autograder import core
from autograder.judge import judge_exercise

import grader_cases
from grader_cases import lesson_path, submission


def _cases(kind: str):
    out = []
    core.load_checks(hidden=True)
    for info in pkgutil.iter_modules(grader_cases.__path__):
        mod = importlib.import_module(f"{grader_cases.__name__}.{info.name}")
        number = int(info.name.replace("lesson", ""))
        for ex_id, label, source in getattr(mod, kind, []):
            marks = []
            if lesson_path(number) is None or ex_id not in core.REGISTRY:
                marks = [pytest.mark.skip(reason=f"lesson {number} or exercise {ex_id} not present yet")]
            out.append(pytest.param(number, ex_id, source, id=f"{ex_id}: {label}", marks=marks))
    return out


@pytest.mark.parametrize("number, ex_id, source", _cases("BUGGY"))
def test_buggy_implementation_loses_points(number, ex_id, source):
    r = judge_exercise(submission(number, {ex_id: source}), ex_id)
    assert r.points < r.max_points, f"{ex_id}: a buggy implementation got full marks ({r.message})"
    assert r.status in ("failed", "error"), r.status
    assert r.message


@pytest.mark.parametrize("number, ex_id, source", _cases("CORRECT"))
def test_correct_variant_gets_full_marks(number, ex_id, source):
    r = judge_exercise(submission(number, {ex_id: source}), ex_id)
    assert (r.status, r.points) == ("passed", r.max_points), core.format_result(r)
