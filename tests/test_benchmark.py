"""`anime-genre benchmark` on a small subset writes the JSON schema; the ablation switches
really change the model."""
from __future__ import annotations

import json
import os
import subprocess
import sys

import numpy as np

from anime_genre import benchmark as bm
from anime_genre.baselines import BowMLP, MissingOneOverN
from anime_genre.losses import FocalLoss

KEYS = {"name", "micro_f1", "macro_f1", "micro_ap", "fit_predict_seconds", "peak_mb",
        "micro_f1_at_05", "macro_f1_at_05"}


def cli(args, runs, data_home=None):
    env = dict(os.environ, ANIME_GENRE_RUNS=str(runs))
    if data_home:
        env["ANIME_GENRE_DATA_HOME"] = str(data_home)
    return subprocess.run([sys.executable, "-m", "anime_genre", *args], capture_output=True,
                          text=True, env=env, timeout=900)


def check_schema(result, names):
    assert set(result) >= {"split", "methods"}
    assert {"n_train", "n_val", "n_test", "n_genres"} <= set(result["split"])
    got = [m["name"] for m in result["methods"]]
    assert got == names
    for m in result["methods"]:
        assert KEYS <= set(m), m["name"]
        for k in KEYS - {"name"}:
            assert isinstance(m[k], float) and np.isfinite(m[k]), (m["name"], k)
        assert 0 <= m["micro_f1"] <= 1 and m["fit_predict_seconds"] > 0


def test_benchmark_subset_on_real_data(data_home, tmp_path):
    out = tmp_path / "b.json"
    pm = tmp_path / "POSTMORTEM.md"
    r = cli(["benchmark", "--subset", "900", "--quick", "--json", str(out), "--postmortem", str(pm),
             "--methods", "prior", "sklearn-logreg", "seed-method", "bow-mlp-wbce",
             "ablation: reference + IDF bug"], tmp_path, data_home)
    assert r.returncode == 0, r.stderr[-2000:]
    result = json.loads(out.read_text())
    check_schema(result, ["prior", "sklearn-logreg", "seed-method", "bow-mlp-wbce",
                          "ablation: reference + IDF bug", "reference"])
    by = {m["name"]: m for m in result["methods"]}
    assert by["reference"]["info"]["chosen"] == "bow-mlp-wbce"
    assert 0 < by["seed-method"]["info"]["coverage"] < 1
    assert by["sklearn-logreg"]["micro_f1"] > by["prior"]["micro_f1"]
    assert any(a["cause"] == "idf" for a in result["ablations"])
    assert "sklearn-logreg" in r.stdout and "micro-F1" in r.stdout
    assert "Cost of each cause" in pm.read_text()


def test_benchmark_synthetic_schema(tmp_path):
    out = tmp_path / "b.json"
    r = cli(["benchmark", "--synthetic", "--quick", "--json", str(out), "--methods", "prior",
             "bow-mlp-bce", "bow-linear-wbce"], tmp_path)
    assert r.returncode == 0, r.stderr[-2000:]
    result = json.loads(out.read_text())
    check_schema(result, ["prior", "bow-mlp-bce", "bow-linear-wbce", "reference"])
    env = result["environment"]
    assert env["blas_threads"] == 1 and len(env["load_average_start"]) == 3
    # --from-json re-renders a saved result without running anything
    pm = tmp_path / "PM.md"
    again = cli(["benchmark", "--from-json", str(out), "--postmortem", str(pm)], tmp_path)
    assert again.returncode == 0, again.stderr
    assert "bow-linear-wbce" in again.stdout and "BLAS threads capped at 1" in pm.read_text()
    out.write_text("{not json")
    bad = cli(["benchmark", "--from-json", str(out)], tmp_path)
    assert bad.returncode == 2 and str(out) in bad.stderr and "Traceback" not in bad.stderr


def test_unknown_method_is_a_user_error(tmp_path):
    r = cli(["benchmark", "--synthetic", "--methods", "nope"], tmp_path)
    assert r.returncode == 2 and "unknown method 'nope'" in r.stderr and "Traceback" not in r.stderr


def test_missing_one_over_n_multiplies_the_gradient_by_n():
    rng = np.random.default_rng(0)
    x, t = rng.standard_normal((7, 3)), (rng.random((7, 3)) < 0.5).astype(float)
    good, bad = FocalLoss(gamma=2.0), MissingOneOverN(FocalLoss(gamma=2.0))
    assert good.forward(x, t) == bad.forward(x, t)
    np.testing.assert_allclose(bad.backward(), 7 * good.backward(), rtol=1e-12)


def test_peak_memory_sees_a_large_allocation():
    with bm.PeakMemory() as mem:
        a = np.ones(64 * 2**20 // 8)   # 64 MB
        a[::512] += 1
        del a
    assert mem.peak_mb > 40
