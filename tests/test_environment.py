"""The locked environment (uv.lock), as the grading processes see it."""
from __future__ import annotations

import subprocess
import sys


def test_importing_nbformat_compiles_no_grammar():
    """Every grade, nbgrader command and grading worker imports nbformat, whose validator imports
    jsonschema. With rfc3987-syntax installed (jsonschema's "format-nongpl" extra), that import
    compiled a Lark grammar: 1.5-3.5 CPU-s per process. pyproject.toml's override keeps it out."""
    code = ("import sys, nbformat, jsonschema, nbclient\n"
            "print(sorted(m for m in ('lark', 'rfc3987_syntax') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]", out.stdout
