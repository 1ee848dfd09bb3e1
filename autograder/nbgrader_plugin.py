"""nbgrader preprocessor that puts the trusted judge's result into every grade cell.

Configured by the ``nbgrader_config.py`` that ``python -m autograder build-course`` writes,
right after ``Execute`` in ``c.Autograde.autograde_preprocessors``. For each grade cell it
finds the exercise (the ``check("id", ...)`` call of the restored cell), grades the student's
solution cells with :func:`autograder.judge.judge_exercise` (visible and hidden checks, the
student's code in a separate limited process), and replaces the cell's outputs with

- a stdout stream: the same text a check cell prints (hidden sub-checks by name only), and
- an ``execute_result`` whose value is the points, which nbgrader reads as partial credit.

So ``nbgrader autograde`` gives exactly the points of ``python -m autograder grade``: whatever
the kernel printed (a stderr warning, a monkeypatched check's fake success) is discarded.
"""
from __future__ import annotations

from nbformat.v4 import new_output
from traitlets import Bool, Float, Int

from nbgrader.preprocessors import NbGraderPreprocessor

from . import core
from .course import check_cell_exercise
from .analysis import nbgrader_meta
from .judge import Limits, judge_notebook, lesson_of


class TrustedGrades(NbGraderPreprocessor):
    """Replace grade cells' outputs with the trusted judge's score and messages."""

    call_timeout = Float(10.0, help="CPU seconds allowed for one call of the student's code").tag(config=True)
    exercise_timeout = Float(120.0, help="CPU seconds allowed for all checks of one exercise").tag(config=True)
    memory_mb = Int(2048, help="Memory limit of the worker's sandbox (MiB)").tag(config=True)
    unsafe_no_sandbox = Bool(False, help="judge without a sandbox where none can be made "
                             "(every grade is then marked unsandboxed)").tag(config=True)

    def preprocess(self, nb, resources):
        from . import sandbox
        if self.unsafe_no_sandbox:
            sandbox.allow_unsandboxed()
        mode = sandbox.require()          # refuse before any student code runs
        limits = Limits.per_call(self.call_timeout, self.memory_mb)
        limits.exercise_timeout = max(limits.exercise_timeout, self.exercise_timeout)
        core.load_checks(hidden=True, lesson=lesson_of(nb, (resources.get("nbgrader") or {}).get("notebook")))
        grade_cells = []
        for cell in nb.cells:
            meta = nbgrader_meta(cell)
            if cell.cell_type == "code" and meta.get("grade") and not meta.get("solution"):
                grade_cells.append((cell, meta, check_cell_exercise(cell)))
        # (each exercise in a sandbox of its own, as on every path: judge_notebook)
        known = list(dict.fromkeys(e for _, _, e in grade_cells if e in core.REGISTRY))
        try:
            judged = dict(zip(known, judge_notebook(nb, known, limits, hidden=True))) if known else {}
        except Exception as exc:  # noqa: BLE001 - one notebook never stops the class's grading
            self.log.exception("the judge failed on this notebook")
            judged = {e: core.Result(e, 0.0, core.get_exercise(e, hidden=True).points, "error",
                                     f"the grader could not judge this notebook ({type(exc).__name__}); "
                                     "ask your instructor") for e in known}
        for cell, meta, ex_id in grade_cells:
            if ex_id not in judged:
                result = core.Result(str(ex_id), 0.0, float(meta.get("points", 0)), "error",
                                     f"grade cell {meta.get('grade_id')!r} names no known exercise")
            else:
                result = judged[ex_id]
            points = min(float(result.points), float(meta.get("points", result.max_points)))
            self.log.info("%s: %s %g/%g", ex_id, result.status, points, result.max_points)
            text = core.format_result(result) + "\n"
            if mode != "sandboxed":
                text = "[UNSANDBOXED: graded without a sandbox]\n" + text
            cell.outputs = [
                new_output("stream", name="stdout", text=text),
                new_output("execute_result", data={"text/plain": repr(float(points))},
                           execution_count=cell.get("execution_count") or 1),
            ]
        return nb, resources
