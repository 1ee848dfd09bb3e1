"""`anime-genre benchmark` on a small subset writes the JSON schema; the ablation switches
really change the model; the tuned peers choose on validation only, and say so."""
from __future__ import annotations

import dataclasses
import itertools
import json
import os
import subprocess
import sys

import numpy as np
import pytest

from anime_genre import benchmark as bm
from anime_genre import peers
from anime_genre.baselines import BowMLP, MissingOneOverN, tuned_micro_f1
from anime_genre.features import BowVectorizer
from anime_genre.losses import FocalLoss

KEYS = {"name", "micro_f1", "macro_f1", "micro_ap", "fit_predict_seconds", "cpu_seconds",
        "peak_mb", "micro_f1_at_05", "macro_f1_at_05"}


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


# ----------------------------------------------------------------------------- tuned peers

@pytest.fixture(scope="module")
def synthetic_corpus(tmp_path_factory):
    from anime_genre.pipeline import load_corpus

    corpus, _, _ = load_corpus(synthetic=True, cache_dir=tmp_path_factory.mktemp("cache"),
                               n_docs=1200, log=lambda *a: None)
    return corpus


@pytest.fixture(scope="module")
def fitted_peers(synthetic_corpus):
    """The five scikit-learn peers and their ensemble, run as the benchmark runs them."""
    methods = peers.build_peers(include_fasttext=False)
    rows = bm.run_benchmark(synthetic_corpus, methods, log=lambda *a: None)["methods"]
    return methods, {r["name"]: r for r in rows}


def test_every_peer_has_a_row_with_its_choice(fitted_peers, synthetic_corpus):
    methods, by = fitted_peers
    assert [m.name for m in methods] == ["peer-logreg", "peer-linear-svm",
                                         "peer-sgd-modified-huber", "peer-multinomial-nb",
                                         "peer-ridge", "peer-nbsvm", "peer-ensemble"]
    for m in methods[:-1]:
        info = by[m.name]["info"]
        assert info["chosen"] in [g["setting"] for g in info["grid"]]
        # every setting of its own grid, with the reference's min_df (2) and with every term (1)
        assert [g["setting"] for g in info["grid"]] == m.settings()
        assert len(m.grid) >= 4 and {g["setting"]["min_df"] for g in info["grid"]} == {1, 2}
        vec = m.vectorizer(info["chosen"]["min_df"])
        vec.fit_transform(synthetic_corpus.part(synthetic_corpus.train))
        assert info["n_features"] == vec.n_features
        assert info["chosen_text"] and 0 < info["cpu_seconds_chosen"]
        # a peer learns: far above the genre frequencies on the planted signal
        assert by[m.name]["micro_f1"] > 0.8
    assert by["peer-ensemble"]["info"]["members"]


def test_chosen_setting_is_the_validation_best_and_the_record_is_real(fitted_peers,
                                                                      synthetic_corpus):
    c = synthetic_corpus
    methods, _ = fitted_peers
    features = {}
    for min_df in (1, 2):
        vec = BowVectorizer(min_df=min_df, max_df=0.5, bigrams=True)
        features[min_df] = vec.fit_transform(c.part(c.train)), vec.transform(c.part(c.val))
    for m in methods[:-1]:
        grid = m.info["grid"]
        scores = [g["val_micro_f1"] for g in grid]
        assert m.info["chosen"] == grid[int(np.argmax(scores))]["setting"], m.name
        # refitting the chosen setting and the worst one from scratch reproduces their scores
        for g in (grid[int(np.argmax(scores))], grid[int(np.argmin(scores))]):
            X, Xv = features[g["setting"]["min_df"]]
            model = m.make(g["setting"]).fit(X, c.Y[c.train])
            S = m.scores(model, Xv)
            P = peers.apply_platt(S, peers.platt(S, c.Y[c.val]))
            assert tuned_micro_f1(c.Y[c.val], P) == pytest.approx(g["val_micro_f1"], abs=1e-12)


def test_peers_never_look_at_the_test_split(synthetic_corpus):
    """Scrambling the test shows' labels and texts changes nothing a peer chooses or predicts
    for validation."""
    c = synthetic_corpus
    rng = np.random.default_rng(0)
    Y, texts = c.Y.copy(), list(c.texts)
    Y[c.test] = rng.permutation(Y[c.test])
    for i, j in zip(c.test, rng.permutation(c.test)):
        texts[i] = c.texts[j][::-1]
    scrambled = dataclasses.replace(c, Y=Y, texts=texts)
    for cls in (peers.LinearSVMPeer, peers.NaiveBayesPeer, peers.RidgePeer, peers.NBSVMPeer):
        a, b = cls(), cls()
        Pv_a, _ = a.fit_predict(c)
        Pv_b, _ = b.fit_predict(scrambled)
        assert a.info["chosen"] == b.info["chosen"]
        assert [g["val_micro_f1"] for g in a.info["grid"]] == \
            [g["val_micro_f1"] for g in b.info["grid"]]
        np.testing.assert_array_equal(Pv_a, Pv_b)


def test_ensemble_members_are_the_validation_best_subset(fitted_peers, synthetic_corpus):
    c = synthetic_corpus
    methods, by = fitted_peers
    singles, ens = methods[:-1], methods[-1]
    def log_odds_mean(Ps):
        L = np.mean([np.log(np.clip(P, 1e-6, 1 - 1e-6) / (1 - np.clip(P, 1e-6, 1 - 1e-6))) for P in Ps], axis=0)
        return 1 / (1 + np.exp(-L))
    means = {"probabilities": lambda Ps: np.mean(Ps, axis=0), "log-odds": log_odds_mean}
    best = max(((tuned_micro_f1(c.Y[c.val], mean([m.P_val for m in s])), [m.name for m in s], how)
                for k in range(2, len(singles) + 1) for s in itertools.combinations(singles, k)
                for how, mean in means.items()),
               key=lambda t: t[0])
    assert (ens.info["members"], ens.info["mean"]) == (best[1], best[2])
    assert ens.info["val_micro_f1"] == pytest.approx(best[0])
    chosen = [m for m in singles if m.name in best[1]]
    np.testing.assert_allclose(ens.P_test, means[best[2]]([m.P_test for m in chosen]))
    # its row costs what its members cost: their CPU seconds are counted in it
    assert by["peer-ensemble"]["cpu_seconds"] >= sum(by[n]["cpu_seconds"] for n in best[1])


def test_ensemble_alone_runs_its_members(synthetic_corpus):
    ens = peers.PeerEnsemble([peers.NaiveBayesPeer(), peers.RidgePeer()])
    P_val, P_test = ens.fit_predict(synthetic_corpus)
    assert ens.info["members"] == ["peer-multinomial-nb", "peer-ridge"]
    np.testing.assert_allclose(P_test, ens.average([m.P_test for m in ens.members], ens.info["mean"]))
    assert ens.info["chosen_text"].startswith(f"mean of {ens.info['mean']} of ")


def test_platt_is_increasing_and_recovers_a_logistic_model():
    rng = np.random.default_rng(1)
    S = rng.normal(size=(20000, 2)) * [1.0, 50.0]
    a_true, b_true = np.array([2.0, 0.04]), np.array([-1.0, 0.5])
    Y = rng.random(S.shape) < 1 / (1 + np.exp(-(a_true * S + b_true)))
    a, b = peers.platt(S, Y)
    np.testing.assert_allclose(a, a_true, rtol=0.08)
    np.testing.assert_allclose(b, b_true, atol=0.08)
    # perfectly separated scores stay finite and ordered
    sep = np.r_[np.zeros(50), np.ones(50)][:, None] * 10.0
    P = peers.apply_platt(sep, peers.platt(sep, sep > 5))
    assert np.all(np.isfinite(P)) and P[:50].max() < 0.5 < P[50:].min()


def test_fasttext_is_a_row_or_recorded_absent(monkeypatch):
    if peers.fasttext_status()[0] is None:
        assert "peer-fasttext" not in [m.name for m in peers.build_peers()]
        assert peers.absent_peers()[0]["reason"].startswith("fastText: not installed")
    else:
        assert "peer-fasttext" in [m.name for m in peers.build_peers()]
    monkeypatch.setattr(peers, "fasttext_status", lambda: (None, "not installed (test)"))
    assert "peer-fasttext" not in [m.name for m in peers.build_peers()]
    assert peers.absent_peers() == [{"name": "peer-fasttext",
                                     "reason": "fastText: not installed (test)"}]


def test_benchmark_cli_peers_on_synthetic(tmp_path):
    out = tmp_path / "b.json"
    r = cli(["benchmark", "--synthetic", "--quick", "--json", str(out), "--methods",
             "peer-*", "bow-linear-wbce"], tmp_path)
    assert r.returncode == 0, r.stderr[-2000:]
    result = json.loads(out.read_text())
    names = [m["name"] for m in result["methods"]]
    ft = ["peer-fasttext"] if "peer-fasttext" in names else []
    check_schema(result, ["peer-logreg", "peer-linear-svm", "peer-sgd-modified-huber",
                          "peer-multinomial-nb", "peer-ridge", "peer-nbsvm", *ft, "peer-ensemble",
                          "bow-linear-wbce", "reference"])
    by = {m["name"]: m for m in result["methods"]}
    # fastText is a real row or recorded absent, in the JSON and under the table
    if ft:
        assert by["peer-fasttext"]["info"]["chosen"] and result["absent"] == []
    else:
        assert result["absent"][0]["name"] == "peer-fasttext"
        assert "peer-fasttext" in r.stdout and "not installed" in r.stdout
    # the chosen hyper-parameters appear in the table and the JSON
    for name in ("peer-logreg", "peer-ridge"):
        info = by[name]["info"]
        assert info["chosen_text"] in r.stdout
        assert info["chosen"] == max(info["grid"], key=lambda g: g["val_micro_f1"])["setting"]
    assert "CPU s" in r.stdout and "chosen on validation" in r.stdout
    g = result["goals"]
    assert g["best_peer"].startswith("peer-")
    best_peer = max(by[n]["micro_f1"] for n in names if n.startswith("peer-"))
    assert g["micro_f1_margin_over_best_peer"] == pytest.approx(
        by["reference"]["micro_f1"] - best_peer)
