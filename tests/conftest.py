"""Shared fixtures: where the real data is, and the repository's paths."""
from __future__ import annotations

import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
ON_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")


def _data_home() -> Path | None:
    env = os.environ.get("ANIME_GENRE_DATA_HOME")
    candidates = [Path(env)] if env else []
    candidates.append(ROOT.parent / "shared" / "datasets")
    for c in candidates:
        if (c / "mal2020" / "anime_with_synopsis.csv.zip").exists():
            return c
    return None


@pytest.fixture(scope="session")
def data_home() -> Path:
    """The folder with the real datasets. Skips on a developer machine without them;
    under CI (where ../shared/datasets is always present) their absence is a failure."""
    home = _data_home()
    if home is None:
        if ON_CI:
            pytest.fail("real data not found: set ANIME_GENRE_DATA_HOME (CI expects ../shared/datasets)")
        pytest.skip("real data not present: set ANIME_GENRE_DATA_HOME to run this test")
    return home


@pytest.fixture(scope="session")
def root() -> Path:
    return ROOT
