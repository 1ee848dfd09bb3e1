"""The fixture pages are derived: `datasets/fixtures/make_mal_html.py` writes them. Regenerate
them in a temporary folder and compare byte for byte with what is committed."""
from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

FIXTURES = Path(__file__).resolve().parents[1] / "datasets" / "fixtures"


def _generator():
    spec = importlib.util.spec_from_file_location("make_mal_html", FIXTURES / "make_mal_html.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize("folder, writer", [("mal-html-2022", "write_valid"), ("mal-html-edge", "write_edge")])
def test_committed_fixtures_equal_the_generator_output(folder, writer, tmp_path):
    out = tmp_path / folder
    out.mkdir()
    getattr(_generator(), writer)(out)
    made = {p.name: p.read_bytes() for p in out.iterdir()}
    committed = {p.name: p.read_bytes() for p in (FIXTURES / folder).iterdir() if p.is_file()}
    assert sorted(made) == sorted(committed), "regenerate with: python datasets/fixtures/make_mal_html.py"
    stale = [name for name in made if made[name] != committed[name]]
    assert not stale, f"out of date (run datasets/fixtures/make_mal_html.py): {stale}"
