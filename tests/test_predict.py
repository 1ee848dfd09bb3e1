"""`anime-genre predict` on a model trained on the synthetic corpus, and its bad input."""
from __future__ import annotations

import json
import os
import subprocess
import sys

import numpy as np
import pytest

from anime_genre.pipeline import RunConfig, run_pipeline
from anime_genre.synthetic import make_synthetic_corpus


def cli(args, runs):
    env = dict(os.environ, ANIME_GENRE_RUNS=str(runs))
    return subprocess.run([sys.executable, "-m", "anime_genre", *args], capture_output=True,
                          text=True, env=env, timeout=300)


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    runs = tmp_path_factory.mktemp("runs")
    cfg = RunConfig(synthetic=True, n_docs=1500, max_epochs=30, gammas=(2.0,), gamma_epochs=1)
    m = run_pipeline(cfg, runs / "run", cache_dir=runs / "cache", log=lambda *a: None, progress=False)
    return runs, m


def planted_text(genre_pos):
    """A synopsis made of one genre's indicative words: the synthetic corpus' generator
    plants 8 words per genre, recovered here from its own vocabulary (same seed)."""
    from anime_genre.synthetic import _genre_vocab

    vocab = _genre_vocab(8, np.random.default_rng(0))
    name = list(vocab)[genre_pos]
    return name, " ".join(vocab[name] * 3) + " and the of to"


@pytest.mark.parametrize("genre_pos", [0, 3, 6])
def test_planted_genre_ranks_first(trained, genre_pos):
    runs, _ = trained
    name, text = planted_text(genre_pos)
    r = cli(["predict", text, "--top", "3"], runs)   # default model: <runs>/latest/model.npz
    assert r.returncode == 0, r.stderr
    first = r.stdout.splitlines()[0].split()
    assert first[0] == "1."
    assert r.stdout.splitlines()[0][4:].startswith(name), r.stdout
    probs = [float(line.split()[-2] if line.rstrip().endswith("*") else line.split()[-1])
             for line in r.stdout.splitlines()[:3]]
    assert probs == sorted(probs, reverse=True) and 0 <= probs[-1] <= probs[0] <= 1


def test_model_path_option(trained, tmp_path):
    runs, _ = trained
    name, text = planted_text(1)
    r = cli(["predict", text, "--model", str(runs / "run" / "model.npz"), "--top", "1"], tmp_path)
    assert r.returncode == 0, r.stderr
    assert name in r.stdout.splitlines()[0]


def one_line_error(r, *needles):
    assert r.returncode == 2, (r.stdout, r.stderr)
    assert "Traceback" not in r.stderr
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1, r.stderr
    for n in needles:
        assert n in lines[0], lines[0]


def test_empty_text(trained):
    runs, _ = trained
    one_line_error(cli(["predict", "   "], runs), "empty")


def test_corrupt_model(trained, tmp_path):
    runs, _ = trained
    bad = tmp_path / "model.npz"
    bad.write_bytes((runs / "run" / "model.npz").read_bytes()[:500])   # truncated
    one_line_error(cli(["predict", "a ninja", "--model", str(bad)], runs), str(bad), "retrain")
    bad.write_bytes(b"not a zip at all")
    one_line_error(cli(["predict", "a ninja", "--model", str(bad)], runs), str(bad))


def test_model_from_another_version(trained, tmp_path):
    runs, _ = trained
    with np.load(runs / "run" / "model.npz") as data:
        arrays = {k: data[k] for k in data.files}
    meta = json.loads(str(arrays["meta"]))
    meta["format_version"] = 99
    arrays["meta"] = np.array(json.dumps(meta))
    other = tmp_path / "other.npz"
    np.savez(other, **arrays)
    one_line_error(cli(["predict", "a ninja", "--model", str(other)], runs), "version 99")


def test_core_model_file_is_not_a_run_model(trained, tmp_path):
    from anime_genre.model import MultiLabelClassifier

    path = tmp_path / "core.npz"
    MultiLabelClassifier(4, 2, hidden_sizes=(3,)).save(path)
    one_line_error(cli(["predict", "a ninja", "--model", str(path)], tmp_path), "not an anime-genre run model")


def test_missing_model(tmp_path):
    one_line_error(cli(["predict", "a ninja"], tmp_path), "model file not found")


def test_saved_model_round_trip(tmp_path):
    """Several networks in one file, weight matrices as float16: the loaded model gives the
    probabilities of the trained one to within float16 rounding, and thresholds, genres and
    vocabulary come back exactly."""
    from anime_genre.features import BowVectorizer
    from anime_genre.model import MultiLabelClassifier
    from anime_genre.pipeline import MeanModel, Predictor, save_run_model

    texts = ["ninja sword village fight", "school club love letter", "space robot pilot war",
             "ninja village secret", "love school festival", "robot war space colony"]
    vec = BowVectorizer(min_df=1, max_df=1.0)
    X = vec.fit_transform(texts)
    nets = [MultiLabelClassifier(vec.n_features, 3, hidden_sizes=(5,), sparse_input=True, seed=s)
            for s in (0, 1)]
    rng = np.random.default_rng(0)
    for net in nets:                       # weights far from the initialisation
        for p in net.params:
            p[...] = rng.standard_normal(p.shape)
    model = MeanModel(nets)
    th = np.array([0.3, 0.5, 0.7])
    path = tmp_path / "m.npz"
    save_run_model(path, model, vec, ["Action", "Romance", "Sci-Fi"], th, "synthetic")
    with np.load(path) as data:
        assert data["model1_param_0"].dtype == np.float16 and data["model1_param_1"].dtype == np.float32
    pred = Predictor.load(path)
    assert len(pred.model.models) == 2 and pred.genres == ["Action", "Romance", "Sci-Fi"]
    np.testing.assert_array_equal(pred.thresholds, th)
    np.testing.assert_allclose(pred.model.predict_proba(pred.vec.transform(texts)),
                               model.predict_proba(X), atol=5e-3)
    expected = np.mean([n.eval().predict_proba(X) for n in nets], axis=0)
    np.testing.assert_allclose(model.predict_proba(X), expected, rtol=1e-6)
