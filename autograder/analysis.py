"""What the judge reads of a notebook's source before any of it runs: which cells a worker
executes for an exercise, and whether they reach for the reference package.

Every code cell is parsed once per notebook (:class:`NotebookSource`), on the trusted side,
under bounds, because the source is the student's: a solution cell larger than
:data:`MAX_SOLUTION_CELL_BYTES` is not run at all; of the other cells only the first
:data:`MAX_SETUP_TOTAL_BYTES` (and none over :data:`MAX_SETUP_CELL_BYTES`) are analysed, and
at most :data:`MAX_SETUP_STATEMENTS` statements from them are offered; a cell nested too
deeply for the parser makes the exercises that need it score 0 (the judge cannot see what it
holds), instead of an exception in the grading process. Setup statements travel to the
worker as their own source text (never re-generated from the tree, which recursed on deep
expressions).
"""
from __future__ import annotations

import ast
import builtins
import dataclasses
import re
import symtable

FORBIDDEN_RE = re.compile(r"anime_genre|autograder[./]hidden|solutions[/\\]anime")

# A solution cell of the lessons holds a few hundred bytes to a few KB; a larger one costs the
# trusted side parsing and memory (a 2 MB cell took 1 GB and 46 s of grader CPU) and is
# not run: its exercise scores 0, with the reason.
MAX_SOLUTION_CELL_BYTES = 64_000
# A cell outside the solutions larger than this is not analysed for setup statements (parsing
# a 2 MB literal takes seconds and a GB of memory).
MAX_SETUP_CELL_BYTES = 100_000
# ... nor any after the first this many bytes of such cells (the lessons hold 2-20 KB).
MAX_SETUP_TOTAL_BYTES = 500_000
# The lessons hold a few hundred statements outside solution cells; beyond this many, the rest
# are not offered to the worker (a notebook of 50,000 assignments cost minutes of grader CPU).
MAX_SETUP_STATEMENTS = 3000

_MAGIC = re.compile(r"^(\s*)([%!].*)$")
_PARSE_ERRORS = (SyntaxError, ValueError)          # the worker reports these itself
_TOO_DEEP = (RecursionError, MemoryError)          # the judge cannot see what the cell holds


def nbgrader_meta(cell) -> dict:
    return (cell.get("metadata") or {}).get("nbgrader") or {}


def cell_source(cell) -> str:
    """A cell's source with its line breaks as ``\\n`` (one meaning of a line for the parser,
    the worker and the text cut out of it)."""
    src = cell.get("source", "")
    src = "".join(src) if isinstance(src, list) else str(src)
    return src.replace("\r\n", "\n").replace("\r", "\n")


def strip_magics(source: str) -> str:
    """IPython magics and shell escapes cannot run in plain Python: turn them into ``pass``
    (line for line, so positions in the parsed tree stay those of the text)."""
    return "\n".join(_MAGIC.sub(lambda m: f"{m.group(1)}pass  # {m.group(2)[:40]}", line)
                     for line in source.split("\n"))


def _bound(node: ast.stmt) -> set[str]:
    """Names a top-level statement binds."""
    if isinstance(node, (ast.Import, ast.ImportFrom)):
        return {(a.asname or a.name).split(".")[0] for a in node.names}
    if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
        return {node.name}
    out = set()
    for target in getattr(node, "targets", [getattr(node, "target", None)]):
        for n in ast.walk(target) if target is not None else []:
            if isinstance(n, ast.Name):
                out.add(n.id)
    return out


def _loads(node: ast.AST) -> set[str]:
    return {n.id for n in ast.walk(node) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load)}


def _global_loads(text: str, node: ast.AST) -> set[str]:
    """The global names ``text`` (the source of ``node``) reads: what it reads at its top
    level, and what its functions, classes, lambdas and comprehensions read without binding
    it themselves. A function's own locals (``keep``, ``docs``) are not needed from the
    notebook; counting them pulled a lesson's data-loading cells into every worker (3 s
    each). Falls back to every name read if the compiler's symbol table cannot be built."""
    try:
        top = symtable.symtable(text, "<cell>", "exec")
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return _loads(node)
    out: set[str] = set()
    tables = [top]
    while tables:
        t = tables.pop()
        kind = t.get_type()
        for sym in t.get_symbols():
            if sym.is_referenced() and (kind == "module" or sym.is_global()
                                        or (kind == "class" and not sym.is_local())):
                out.add(sym.get_name())
        tables += t.get_children()
    return out


def _forbidden(tree: ast.AST) -> str | None:
    """Why a tree uses the reference package or the hidden checks, or None."""
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for a in node.names:
                if a.name.split(".")[0] == "anime_genre" or a.name.startswith("autograder.hidden"):
                    return f"imports {a.name}"
        elif isinstance(node, ast.ImportFrom) and node.module:
            if node.module.split(".")[0] == "anime_genre" or node.module.startswith("autograder.hidden") \
                    or (node.module == "autograder" and any(a.name == "hidden" for a in node.names)):
                return f"imports from {node.module}"
        elif isinstance(node, ast.Constant) and isinstance(node.value, str) and FORBIDDEN_RE.search(node.value):
            return f"names the reference package in a string ({node.value[:60]!r})"
    return None


def _segment(lines: list[str], node: ast.stmt) -> str:
    """The source text of a top-level statement, decorators included. ``lines``: the cell's
    text split on ``\\n``; the tree's columns count UTF-8 bytes."""
    decorators = getattr(node, "decorator_list", None)
    first, col = (decorators[0].lineno, 0) if decorators else (node.lineno, node.col_offset)
    part = [line.encode("utf-8") for line in lines[first - 1: node.end_lineno]]
    if len(part) == 1:
        return part[0][col: node.end_col_offset].decode("utf-8")
    part[0], part[-1] = part[0][col:], part[-1][: node.end_col_offset]
    return b"\n".join(part).decode("utf-8")


@dataclasses.dataclass
class _Statement:
    """A setup statement: its text and what choosing it depends on."""
    cell: int
    text: str
    bound: set
    deps: set | None         # names it needs when it runs (None: nothing, an import)
    more: set                # names that make other statements needed when this one is
    forbidden: str | None


@dataclasses.dataclass
class _Solution:
    cell: int
    text: str
    loads: set
    bound: set
    refused: str | None      # why it is not run (too large, too deep), or None
    forbidden: str | None


def _setup_statements(index: int, source: str) -> list[_Statement]:
    """Candidate statements of a non-solution cell: imports (but not of the grader or the
    reference package), function and class definitions, plain assignments."""
    try:
        tree = ast.parse(source)
    except _PARSE_ERRORS + _TOO_DEEP:
        return []
    lines = source.split("\n")
    keep = []
    for node in tree.body:
        text = _segment(lines, node)
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else [node.module or ""]
            if any(n.split(".")[0] in ("autograder", "anime_genre") for n in names) or \
                    (isinstance(node, ast.ImportFrom) and node.level):
                continue
            deps, more = None, set()
        elif isinstance(node, (ast.FunctionDef, ast.ClassDef)):
            deps, more = set(), _global_loads(text, node)  # a body's names are looked up when called
        elif isinstance(node, ast.Assign) or (isinstance(node, ast.AnnAssign) and node.value is not None):
            deps = more = _global_loads(text, node)
        else:
            continue
        keep.append(_Statement(index, text, _bound(node), deps, more, _forbidden(node)))
    return keep


class NotebookSource:
    """A notebook's code cells, analysed once: its solution cells and the setup statements
    of the others, within the bounds of this module."""

    def __init__(self, nb):
        self.solutions: dict[int, _Solution] = {}
        self.setup: list[_Statement] = []
        analysed = 0
        for i, cell in enumerate(nb["cells"]):
            if cell.get("cell_type") != "code":
                continue
            meta = nbgrader_meta(cell)
            if meta.get("grade"):
                continue
            source = cell_source(cell)
            if meta.get("solution"):
                self.solutions[i] = self._solution(i, source)
            elif (len(self.setup) < MAX_SETUP_STATEMENTS and len(source) <= MAX_SETUP_CELL_BYTES
                  and analysed + len(source) <= MAX_SETUP_TOTAL_BYTES):
                analysed += len(source)
                found = _setup_statements(i, strip_magics(source))
                self.setup += found[: MAX_SETUP_STATEMENTS - len(self.setup)]

    @staticmethod
    def _solution(i: int, source: str) -> _Solution:
        if len(source) > MAX_SOLUTION_CELL_BYTES:
            return _Solution(i, "", set(), set(), f"cell {i} holds {len(source):,} characters, more than "
                             f"the {MAX_SOLUTION_CELL_BYTES:,} a solution cell may hold: not run", None)
        text = strip_magics(source)
        try:
            tree = ast.parse(text)
        except _PARSE_ERRORS:
            return _Solution(i, text, set(), set(), None, None)     # the worker says what is wrong
        except _TOO_DEEP:
            return _Solution(i, "", set(), set(), f"cell {i} is nested too deeply to be analysed: not run", None)
        bound = set()
        for node in tree.body:
            bound |= _bound(node)
        return _Solution(i, text, _global_loads(text, tree), bound, None, _forbidden(tree))

    def _upto(self, upto_index: int) -> tuple[list, list]:
        """The solution cells up to ``upto_index`` and the setup statements they need."""
        solutions = [s for i, s in self.solutions.items() if i <= upto_index]
        candidates = [s for s in self.setup if s.cell <= upto_index]
        chosen = _select_setup(candidates, solutions)
        return solutions, [s for k, s in enumerate(candidates) if k in chosen]

    def cells_for(self, upto_index: int) -> list[dict]:
        """The cells a worker executes for an exercise whose solution cell is ``upto_index``:
        a preamble, then in notebook order every solution cell up to and including the
        exercise's own, and from the other code cells only the statements those solutions
        need (imports, definitions and assignments that do not depend on data; each one
        separately, so one failing import does not hide the rest)."""
        solutions, setup = self._upto(upto_index)
        items = [(s.cell, 1, {"index": s.cell, "source": s.text}) for s in solutions]
        items += [(s.cell, 0, {"index": f"{s.cell} (setup)", "source": s.text}) for s in setup]
        items.sort(key=lambda t: (t[0], t[1]))          # stable: statements keep their order
        return [{"index": "preamble", "source": "import math\nimport re\nimport numpy as np"}] + \
            [cell for _, _, cell in items]

    def refusal(self, upto_index: int) -> str | None:
        """Why an exercise cannot be graded: its solution cell is too large or too deep to be
        analysed, or a cell it needs uses the reference package; None if it can."""
        own = self.solutions.get(upto_index)
        if own is not None and own.refused:
            return own.refused + " (0 points)"
        # (an earlier cell refused is simply not run: an exercise that needs it fails on its own)
        solutions, setup = self._upto(upto_index)
        for s in sorted(solutions + setup, key=lambda s: s.cell):
            if s.forbidden:
                where = s.cell if isinstance(s, _Solution) else f"{s.cell} (setup)"
                return f"cell {where} {s.forbidden}: exercises must be your own implementation, " \
                       "not the reference package's (0 points)"
        return None


def _select_setup(setup: list[_Statement], solutions: list[_Solution]) -> set[int]:
    """Which setup statements (positions in ``setup``) the solution cells need: those binding a
    name the solutions (or other needed statements) use, transitively, whose own inputs are all
    known (so a cell like ``short = rows[...]`` that needs the data is left out)."""
    needed: set[str] = set()
    solution_bound: set[str] = set()
    for s in solutions:
        needed |= s.loads
        solution_bound |= s.bound
    known = set(dir(builtins)) | solution_bound | {"np", "math", "re"}
    for s in setup:
        known |= s.bound
    binders: dict[str, list[int]] = {}
    for k, s in enumerate(setup):
        for name in s.bound:
            binders.setdefault(name, []).append(k)
    # a worklist, linear in the size of the notebook (a fixed-point loop over every statement
    # for every name found was quadratic: a long chain of assignments stalled the grader)
    chosen: set[int] = set()
    queue, seen = list(needed), set(needed)
    while queue:
        for k in binders.get(queue.pop(), ()):
            s = setup[k]
            if k in chosen or (s.deps is not None and not s.deps <= known):
                continue
            chosen.add(k)
            for name in s.more - seen:
                seen.add(name)
                queue.append(name)
    return chosen


def worker_cells(nb, upto_index: int) -> list[dict]:
    """:meth:`NotebookSource.cells_for` of a notebook analysed just for this."""
    return NotebookSource(nb).cells_for(upto_index)
