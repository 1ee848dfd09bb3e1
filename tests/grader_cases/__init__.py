"""Known-buggy and alternative-correct implementations, one module per lesson.

Each module defines ``BUGGY`` and ``CORRECT``: lists of ``(exercise_id, label, source)``
where ``source`` replaces the exercise's whole solution cell in a notebook whose other
exercises hold the reference solution (see :func:`submission`). ``source`` may instead be
``mutate((old, new), ...)``: the reference cell with those exact replacements (each ``old``
must occur, so a case cannot silently stop testing anything when the reference changes)."""
from __future__ import annotations

from pathlib import Path

import nbformat

from autograder.course import instructor_notebook

ROOT = Path(__file__).resolve().parents[2]


def lesson_path(number: int) -> Path | None:
    found = sorted((ROOT / "lessons").glob(f"{number:02d}_*.ipynb"))
    return found[0] if found else None


# a softmax normalised over the wrong axis: partly right (1-D inputs pass), a classic
WRONG_AXIS = '''def softmax(x):
    x = np.asarray(x, dtype=float)
    e = np.exp(x - x.max(axis=0, keepdims=True))
    return e / e.sum(axis=0, keepdims=True)
'''


def solved(number: int):
    """The lesson with every stub replaced by the reference body."""
    nb = nbformat.read(str(lesson_path(number)), as_version=4)
    return nbformat.from_dict(instructor_notebook(nb, markers=False, hidden=False))


class mutate(tuple):
    """Replacements applied to the reference solution cell."""

    def __new__(cls, *pairs):
        return super().__new__(cls, pairs)

    def apply(self, source: str) -> str:
        for old, new in self:
            if old not in source:
                raise ValueError(f"mutation target not in the reference cell: {old!r}")
            source = source.replace(old, new)
        return source


def submission(number: int, replacements: dict):
    """The solved lesson with some solution cells' sources replaced ({grade_id: source})."""
    nb = solved(number)
    seen = set()
    for cell in nb.cells:
        gid = cell.metadata.get("nbgrader", {}).get("grade_id")
        if cell.metadata.get("nbgrader", {}).get("solution") and gid in replacements:
            new = replacements[gid]
            cell.source = new.apply(cell.source) if isinstance(new, mutate) else new
            seen.add(gid)
    missing = set(replacements) - seen
    if missing:
        raise KeyError(f"no solution cell for {sorted(missing)}")
    return nb
