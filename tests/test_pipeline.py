"""`anime-genre run --synthetic` end to end in a temporary folder, and its stage cache."""
from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

FIGURES = {"genre_distribution", "cooccurrence", "learning_curves", "focal_gamma",
           "per_genre_f1", "precision_recall"}


def run_cli(args, runs, extra_env=None):
    env = dict(os.environ, ANIME_GENRE_RUNS=str(runs))
    env.pop("ANIME_GENRE_DATA_HOME", None)
    env.update(extra_env or {})
    return subprocess.run([sys.executable, "-m", "anime_genre", *args], capture_output=True,
                          text=True, env=env, timeout=600)


@pytest.fixture(scope="module")
def two_runs(tmp_path_factory):
    runs = tmp_path_factory.mktemp("runs")
    args = ["run", "--synthetic", "--n-docs", "600", "--max-epochs", "8", "--no-progress"]
    first = run_cli([*args, "--out", str(runs / "first")], runs)
    second = run_cli([*args, "--out", str(runs / "second")], runs)
    return runs, first, second


def test_run_writes_the_run_folder(two_runs):
    runs, first, _ = two_runs
    assert first.returncode == 0, first.stderr
    out = runs / "first"
    for name in ("metrics.json", "predictions_test.csv", "model.npz", "report.md", "report.html"):
        assert (out / name).stat().st_size > 0, name
    assert {p.stem for p in (out / "figures").glob("*.png")} == FIGURES
    m = json.loads((out / "metrics.json").read_text())
    assert m["source"] == "synthetic" and m["synthetic"] is True
    # planted genre words: the model must find them
    assert m["test"]["micro_f1"] > 0.8
    assert set(m["thresholds"]) == set(m["test"]["per_genre_f1"])
    lines = (out / "predictions_test.csv").read_text().splitlines()
    assert len(lines) == m["split"]["n_test"] + 1


def test_synthetic_is_said_loudly(two_runs):
    runs, first, _ = two_runs
    assert "RUNNING ON THE SYNTHETIC CORPUS" in first.stdout
    md = (runs / "first" / "report.md").read_text()
    html = (runs / "first" / "report.html").read_text()
    assert "RUNNING ON THE SYNTHETIC CORPUS" in md.split("\n## ")[0]
    assert 'class="warning"' in html and "SYNTHETIC CORPUS" in html


def test_second_run_redoes_nothing(two_runs):
    runs, first, second = two_runs
    assert second.returncode == 0, second.stderr
    m1 = json.loads((runs / "first" / "metrics.json").read_text())
    m2 = json.loads((runs / "second" / "metrics.json").read_text())
    assert not any(s["cached"] for s in m1["stages"])
    assert [s["stage"] for s in m2["stages"]] == [s["stage"] for s in m1["stages"]]
    assert all(s["cached"] for s in m2["stages"]), m2["stages"]
    assert "computing" not in second.stdout
    # the cache files were not rewritten
    for s1, s2 in zip(m1["stages"], m2["stages"]):
        assert s1["file"] == s2["file"]
    assert m1["test"] == m2["test"]
    assert (runs / "latest").resolve() == (runs / "second").resolve()


def test_changed_setting_recomputes_downstream_only(two_runs):
    runs, _, _ = two_runs
    third = run_cli(["run", "--synthetic", "--n-docs", "600", "--max-epochs", "9",
                     "--no-progress", "--out", str(runs / "third")], runs)
    assert third.returncode == 0, third.stderr
    stages = {s["stage"]: s["cached"] for s in json.loads((runs / "third" / "metrics.json").read_text())["stages"]}
    assert stages["load"] and stages["clean"] and stages["split"] and stages["vectorize"]
    assert stages["gamma_sweep"]          # does not depend on max_epochs
    assert not stages["train"] and not stages["evaluate"] and not stages["report"]


def test_missing_corpus_in_explicit_data_home_is_one_line_error(tmp_path):
    r = run_cli(["run", "--data-home", str(tmp_path / "empty"), "--out", str(tmp_path / "r")],
                tmp_path, {"ANIME_GENRE_DATA_HOME": str(tmp_path / "empty")})
    assert r.returncode == 2
    assert "Traceback" not in r.stderr
    err = r.stderr.strip().splitlines()
    assert len(err) == 1 and "anime_with_synopsis.csv.zip" in err[0] and "ANIME_GENRE_DATA_HOME" in err[0]
