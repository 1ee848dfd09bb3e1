"""Where the project reads its data and writes its runs.

The data home holds the real datasets in the same layout as the shared data folder
(``mal2020/``, ``mal2023-sample/``, ``mal-html/``, ``dlfs2/``, ``seed-clean/``). It is read
from ``ANIME_GENRE_DATA_HOME``; without it, a per-user cache folder is used, and files are
downloaded there on first use.
"""
from __future__ import annotations

import os
from pathlib import Path

DATA_HOME_ENV = "ANIME_GENRE_DATA_HOME"
RUNS_HOME_ENV = "ANIME_GENRE_RUNS"


def get_data_home(data_home: str | os.PathLike | None = None) -> Path:
    """The data home: the argument, else ``$ANIME_GENRE_DATA_HOME``, else the user cache."""
    if data_home is not None:
        return Path(data_home).expanduser()
    env = os.environ.get(DATA_HOME_ENV)
    if env:
        return Path(env).expanduser()
    cache = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(cache) / "anime_genre"


def get_runs_home(runs_home: str | os.PathLike | None = None) -> Path:
    """Folder for run outputs: the argument, else ``$ANIME_GENRE_RUNS``, else ``./runs``."""
    if runs_home is not None:
        return Path(runs_home).expanduser()
    return Path(os.environ.get(RUNS_HOME_ENV, "runs")).expanduser()
