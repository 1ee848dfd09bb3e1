"""Every claim true where it stands (issue 12, item 2): a measured number in a lesson's prose is
one that the lesson's own code cells print.

Each lesson runs once (module-scoped), with the reference bodies substituted for the stubs and
the real data home, in a real Jupyter kernel, as in tests/test_lessons.py. Then every number in
its markdown prose that looks like a measurement must appear among the numbers its code cells
print.

**The rule: which numbers are measurements.** In a markdown cell, after removing fenced code
blocks, `code spans`, and the headings' section numbers, a number is checked when it has

- a decimal point (0.478, 28.4), or
- a percent sign (52%), or
- at least three digits (543, 40,584, 16,214),

except

- a four-digit year between 1900 and 2099 written without a separator (1989, 2022+), and
- a number that the lesson's own code writes as a literal (a setting the prose restates: batches
  of 512, learning rate 0.01, 3000 words; a percentage whose fraction the code writes: 70%
  training for ``0.7``): it is a setting, not a measurement, and
- the few numbers of :data:`NOT_MEASURED` below, each with its reason.

Smaller integers without a point or a percent (41 genres, 4 epochs, 1/N, 2t - 1, lesson 4) are
never checked. A number inside LaTeX math is checked by the same rule (``5{,}918`` reads as
5,918), so formula constants written in math with a point (0.5, 0.81) are settings of the
formula or of the code, or listed below.

**The match** allows formatting differences: thousands separators; trailing zeros and rounding
to the precision the prose shows (prose 0.48 matches a printed 0.4781; prose 30% a printed 29.6%
or 0.296; prose 17,000 matches a printed 16,9xx: an integer ending in zeros is read to its
significant digits); a percentage matches a printed fraction and a fraction a printed
percentage. A number may be printed by any code cell of the lesson, not only the next one.

The lessons' prose quotes the real data's numbers, so the test that applies the rule to each
lesson, ``test_prose_numbers_are_printed`` in tests/test_lessons.py (it reads the run that checks
the reference solution: each lesson runs once), needs the data home (tests/conftest.py's
``data_home``: skipped without it, a failure under CI); the tests of the rule here run anywhere.
"""
from __future__ import annotations

import re
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parents[1]
LESSONS = sorted((ROOT / "lessons").glob("[0-9][0-9]_*.ipynb"))

# Numbers that pass the rule but are not measurements of this lesson's data, per lesson (the
# number as the prose writes it, and why it is not a measurement). Keep this short: a measured
# number the lesson does not print belongs in the lesson's output or out of its prose.
NOT_MEASURED: dict[str, dict[str, str]] = {
    "01_scraping": {
        "17,000": "the size of the original project's archive of pages: its history, not data "
                  "this lesson has (it parses a handful of pages)",
    },
    "04_sigmoid_vs_softmax": {
        "709": "where exp overflows in float64 (a property of the number format)",
    },
    "05_focal_loss": {
        "0.81": "(1 - 0.1)^2 in a worked example of the formula (p_t = 0.1 chosen by the prose)",
    },
}

_NUMBER = re.compile(r"(?<![\w.])(\d{1,3}(?:,\d{3})+|\d+)(\.\d+)?(\s*%)?(?![\w])")


# ---------------------------------------------------------------------------------------------
# the prose's numbers


def _prose(markdown: str) -> str:
    """The prose of a markdown cell: without fenced code, code spans and section numbers."""
    text = re.sub(r"```.*?```", " ", markdown, flags=re.S)
    text = re.sub(r"`[^`\n]*`", " ", text)
    text = re.sub(r"^(#+\s*)\d+(\.\d+)*\.?", r"\1", text, flags=re.M)   # "## 3. The title"
    text = re.sub(r"(\d)\{,\}(\d)", r"\1,\2", text)                     # LaTeX 5{,}918
    text = re.sub(r"\\[,;:! ]", " ", text)                              # LaTeX spacing
    return text


def quoted_numbers(markdown: str) -> list[str]:
    """The numbers of a markdown cell's prose that the rule checks, as written."""
    found = []
    for m in _NUMBER.finditer(_prose(markdown)):
        whole, frac, pct = m.group(1), m.group(2) or "", m.group(3) or ""
        digits = whole.replace(",", "")
        if "," not in whole and not frac and not pct and re.fullmatch(r"(19|20)\d\d", digits):
            continue                                                        # a year
        if frac or pct or len(digits) >= 3:
            found.append(whole + frac + ("%" if pct else ""))
    return found


def code_literals(nb) -> set[float]:
    """The numeric literals written in the lesson's code cells (settings, not measurements)."""
    values = set()
    for cell in nb.cells:
        if cell.cell_type == "code":
            for m in re.finditer(r"(?<![\w.])(\d[\d_]*(?:\.\d+)?(?:e-?\d+)?)(?![\w.])", cell.source):
                values.add(float(m.group(1).replace("_", "")))
    return values


# ---------------------------------------------------------------------------------------------
# the outputs' numbers


def output_text(nb) -> str:
    parts = []
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        for o in cell.get("outputs", []):
            if o.get("output_type") == "stream":
                parts.append(o.get("text", ""))
            elif "data" in o:
                parts.append(str(o["data"].get("text/plain", "")))
    return "\n".join(parts)


def printed_numbers(text: str) -> list[tuple[float, bool]]:
    """(value, printed as a percentage) for every number in the printed text. A comma-grouped
    number is read both ways (16,214 and the list 16, 214)."""
    out = []
    pattern = re.compile(r"(?<![\w.])(\d{1,3}(?:,\d{3})+|\d+)(\.\d+)?(?:[eE]([+-]?\d+))?(\s*%)?")
    for m in pattern.finditer(text):
        whole, frac, exp, pct = m.group(1), m.group(2) or "", m.group(3), bool(m.group(4))
        value = float(whole.replace(",", "") + frac) * (10 ** int(exp) if exp else 1)
        out.append((value, pct))
        if "," in whole:
            out.extend((float(p), False) for p in whole.split(","))
    return out


def _decimals(number: str) -> int:
    return len(number.split(".")[1]) if "." in number else 0


def _matches(quoted: str, printed: list[tuple[float, bool]]) -> bool:
    is_pct = quoted.endswith("%")
    body = quoted.rstrip("%").replace(",", "")
    value, dec = float(body), _decimals(body)
    if dec == 0 and not is_pct:
        zeros = len(body) - len(body.rstrip("0"))
        step = 10 ** zeros if zeros else 1                  # 17,000: to the thousand
    else:
        step = 10 ** -dec

    def close(x):
        return abs(x - value) <= step / 2 + 1e-9 * max(1.0, abs(value))

    for x, x_pct in printed:
        candidates = [x]
        if is_pct and not x_pct:
            candidates = [x * 100]                          # 52% vs 0.523
        elif not is_pct and x_pct:
            candidates = [x / 100]                          # 0.52 vs 52.3%
        if any(close(c) for c in candidates):
            return True
    return False


def unprinted(nb, lesson: str) -> list[str]:
    """Every checked prose number of the lesson that its outputs do not show."""
    printed = printed_numbers(output_text(nb))
    literals = code_literals(nb)
    allowed = NOT_MEASURED.get(lesson, {})
    missing = []
    for i, cell in enumerate(nb.cells):
        if cell.cell_type != "markdown":
            continue
        for q in quoted_numbers(cell.source):
            if q in allowed:
                continue
            value = float(q.rstrip("%").replace(",", ""))
            if (value / 100 if q.endswith("%") else value) in literals:
                continue
            if not _matches(q, printed):
                missing.append(f"markdown cell {i}: {q!r} is not among the printed numbers")
    return missing


# ---------------------------------------------------------------------------------------------
# the rule on its own (no kernel)


def test_rule_picks_measurements_and_skips_the_rest():
    md = ("# Lesson 4 — x\n## 3. Title\nAbout 52% of 40,584 terms, 0.478 F1, 543 placeholders "
          "($V = 5{,}918$); 41 genres, 1/N, 2t - 1, 0.5 threshold, 1989 text, `code 12345`.")
    assert quoted_numbers(md) == ["52%", "40,584", "0.478", "543", "5,918", "0.5"]


@pytest.mark.parametrize("quoted, text, ok", [
    ("52%", "share: 0.523", True), ("52%", "share: 51.6%", True), ("52%", "share: 0.50", False),
    ("0.478", "micro-F1 0.4781", True), ("0.478", "micro-F1 47.8 %", True),
    ("0.478", "micro-F1 0.480", False), ("40,584", "40584 terms", True),
    ("40,584", "45,000 terms", False), ("17,000", "16,914 pages", True),
    ("17,000", "15,914 pages", False), ("543", "[543, 12]", True), ("1,139", "1139", True),
    ("0.105", "1.05e-01", True),
])
def test_match_allows_formatting_only(quoted, text, ok):
    assert _matches(quoted, printed_numbers(text)) is ok


def test_a_changed_number_is_caught():
    """The check can fail: a notebook whose prose quotes a number its output does not print."""
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_markdown_cell("The cleaning keeps 9,260 rows (41.7% of them)."),
                nbformat.v4.new_code_cell("print(n)")]
    nb.cells[1].outputs = [nbformat.v4.new_output("stream", name="stdout",
                                                  text="kept 9,260 rows (0.417)\n")]
    assert unprinted(nb, "99_demo") == []
    nb.cells[0].source = "The cleaning keeps 9,360 rows (about 40% of them)."
    assert unprinted(nb, "99_demo") == [
        "markdown cell 0: '9,360' is not among the printed numbers",
        "markdown cell 0: '40%' is not among the printed numbers"]


def test_allowlist_names_only_numbers_the_prose_quotes():
    """Each allowlisted number is in its lesson's prose and passes the rule (no stale entries)."""
    by_stem = {p.stem: p for p in LESSONS}
    for lesson, allowed in NOT_MEASURED.items():
        nb = nbformat.read(str(by_stem[lesson]), as_version=4)
        quoted = {q for c in nb.cells if c.cell_type == "markdown" for q in quoted_numbers(c.source)}
        for number, reason in allowed.items():
            assert reason and number in quoted, f"{lesson}: {number!r} is not quoted (stale entry)"
