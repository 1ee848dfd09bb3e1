"""`anime-genre predict` on a model trained on the synthetic corpus, and its bad input: one
synopsis, many (`--file`, `--column`), the numpy-only path (`anime_genre.predictor`, the
small `model.predict.npz` written by `run`) against `pipeline.Predictor`. Speed is measured
by benchmarks/bench_predict.py, never asserted here."""
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
    lines = r.stdout.splitlines()
    assert lines[0].startswith("predicted: ")
    first = lines[1].split()
    assert first[0] == "1."
    assert lines[1][4:].startswith(name), r.stdout
    probs = [float(line.split()[-2] if line.rstrip().endswith("*") else line.split()[-1])
             for line in lines[1:4]]
    assert probs == sorted(probs, reverse=True) and 0 <= probs[-1] <= probs[0] <= 1


def test_every_predicted_genre_is_shown_beyond_top(trained):
    """--top 1 still lists each genre above its threshold (what --format json predicts)."""
    runs, _ = trained
    text = " ".join(planted_text(i)[1] for i in (0, 3, 6))     # three genres' words at once
    as_json = json.loads(cli(["predict", text, "--format", "json"], runs).stdout)
    assert len(as_json["predicted"]) >= 2, as_json
    r = cli(["predict", text, "--top", "1"], runs)
    assert r.returncode == 0, r.stderr
    lines = r.stdout.splitlines()
    # (the text is ranked by probability; the table lists genres in the model's order)
    assert sorted(lines[0].removeprefix("predicted: ").split(", ")) == sorted(as_json["predicted"])
    starred = [line[4:].rsplit(None, 2)[0] for line in lines[1:-1] if line.rstrip().endswith("*")]
    assert sorted(starred) == sorted(as_json["predicted"]), r.stdout


def test_model_path_option(trained, tmp_path):
    runs, _ = trained
    name, text = planted_text(1)
    r = cli(["predict", text, "--model", str(runs / "run" / "model.npz"), "--top", "1"], tmp_path)
    assert r.returncode == 0, r.stderr
    assert name in r.stdout.splitlines()[0]


def test_model_option_may_name_the_run_folder(trained, tmp_path):
    runs, _ = trained
    name, text = planted_text(1)
    r = cli(["predict", text, "--model", str(runs / "run"), "--top", "1"], tmp_path)
    assert r.returncode == 0, r.stderr
    assert name in r.stdout.splitlines()[0]
    one_line_error(cli(["predict", text, "--model", str(tmp_path)], tmp_path), "without model.npz")


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
    one_line_error(cli(["predict", "a ninja"], tmp_path), "no model at", str(tmp_path / "latest"),
                   "anime-genre run", "--model")
    one_line_error(cli(["predict", "a ninja", "--model", str(tmp_path / "m.npz")], tmp_path),
                   "model file not found")


def test_saved_model_round_trip(tmp_path):
    """Several networks in one file, weight matrices as float16: the loaded model gives the
    probabilities of the trained one to within float16 rounding, and thresholds, genres and
    vocabulary come back exactly."""
    from anime_genre.features import BowVectorizer
    from anime_genre.model import MultiLabelClassifier
    from anime_genre.model import MeanModel
    from anime_genre.pipeline import Predictor, save_run_model

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


# ----------------------------------------------------------------------------- the fast path
# `anime-genre run` writes model.predict.npz next to model.npz; `predict` reads it with numpy
# only (anime_genre.predictor) and must give the probabilities of pipeline.Predictor.

TRICKY = [
    "A boy who can see ghosts joins a secret school of exorcists.",
    "High school girls form a band to win the festival. (Source: ANN)",
    "Two pilots fight a war in space.\n\n[Written by MAL Rewrite]",
    "İstanbul CAFÉ naïve straße — ΣΑΣ ½ ² Ⅷ 五 ninja_sword x y z",
    "ninja\u2028village\x1cboy\ttab\r\nnext", "A b c d e f g", "",
]


def synthetic_texts(n=200):
    return list(make_synthetic_corpus(n_docs=n, n_genres=8, seed=1)["Synopsis"])


def test_run_writes_a_small_predict_file(trained):
    runs, _ = trained
    small, full = runs / "run" / "model.predict.npz", runs / "run" / "model.npz"
    assert small.is_file() and small.stat().st_size < full.stat().st_size / 2
    with np.load(small) as data:
        meta = json.loads(str(data["meta"]))
        assert meta["format"] == "anime-genre-predictor" and meta["source"] == "synthetic"
        assert not any(k.startswith("model") and k.endswith("_param_0") for k in data.files)
        assert meta["model_file"]["size"] == full.stat().st_size


def test_normalize_is_clean_normalize():
    """The predictor cleans text without importing anime_genre.clean (pandas, scikit-learn),
    as clean.normalize does it in this version."""
    from anime_genre import clean
    from anime_genre.predictor import cleaning_of_this_version, normalize

    how = cleaning_of_this_version()
    assert how["stop_words"] == clean.STOP_WORDS
    for text in TRICKY + synthetic_texts(50) + ["".join(map(chr, range(0x3000)))]:
        assert normalize(text, how["stop_words"], how["strip_source_tail"]) == clean.normalize(text)


@pytest.mark.parametrize("block", [None, 50])
def test_fast_predictor_equals_predictor(trained, monkeypatch, block):
    from anime_genre import predictor
    from anime_genre.clean import normalize as clean_normalize
    from anime_genre.pipeline import Predictor
    from anime_genre.predictor import FastPredictor

    runs, _ = trained
    path = runs / "run" / "model.npz"
    fast, old = FastPredictor.load(path), Predictor.load(path)
    assert fast.fast and fast.note is None
    assert fast.genres == old.genres
    np.testing.assert_array_equal(fast.thresholds, old.thresholds)
    texts = TRICKY + synthetic_texts(400) + [planted_text(g)[1] for g in range(8)]
    texts.append(" ".join(texts[:20]))
    if block:   # blocks of rows in the first layer, and a synopsis longer than one block
        monkeypatch.setattr(predictor, "BLOCK_NNZ", block)
        assert len(fast.tfidf([fast.words(texts[-1])])[1]) > block
    P = fast.predict_proba(texts)
    assert P.dtype == np.float64 and P.shape == (len(texts), len(old.genres))
    np.testing.assert_allclose(P, old.predict_proba(texts), rtol=0, atol=1e-6)
    np.testing.assert_allclose(fast.predict_proba(texts[:1]), P[:1], rtol=0, atol=1e-7)
    assert [fast.words(t) for t in texts] == [clean_normalize(t) for t in texts]
    assert fast.vocabulary == old.vec.tfidf.vocabulary_


def test_predict_imports_neither_scikit_learn_nor_pandas(trained):
    runs, _ = trained
    code = ("import sys\nfrom anime_genre.cli import main\n"
            f"code = main(['predict', {planted_text(2)[1]!r}, '--model', {str(runs / 'run' / 'model.npz')!r}])\n"
            "heavy = sorted({m.split('.')[0] for m in sys.modules} & {'sklearn', 'pandas', 'scipy', "
            "'matplotlib'})\nprint('HEAVY', heavy, code, file=sys.stderr)\n")
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)
    assert "HEAVY [] 0" in r.stderr, r.stderr


def planted_lines():
    names, lines = [], []
    for g in (0, 3, 6):
        name, text = planted_text(g)
        names.append(name)
        lines.append(text)
    return names, lines


def read_tsv(text):
    rows = [line.split("\t") for line in text.splitlines()]
    header = rows[0]
    assert all(len(r) == len(header) for r in rows), text
    return [dict(zip(header, r)) for r in rows[1:]]


def test_file_of_lines_gives_a_table_with_rejections(trained, tmp_path):
    from anime_genre.pipeline import Predictor

    runs, _ = trained
    names, lines = planted_lines()
    content = [lines[0], "", "   ", "Zorblat quenched the vimmering flonx.", lines[1], "1999 !!!",
               lines[2]]
    f = tmp_path / "synopses.txt"
    f.write_text("\n".join(content) + "\n", encoding="utf-8")
    r = cli(["predict", "--file", str(f), "--top", "3"], runs)
    assert r.returncode == 0, r.stderr
    rows = read_tsv(r.stdout)
    assert [int(row["row"]) for row in rows] == list(range(1, 8))
    assert [row["status"] for row in rows] == ["ok", "rejected", "rejected", "rejected", "ok",
                                               "rejected", "ok"]
    assert rows[1]["note"] == rows[2]["note"] == "empty line"
    assert "none of the 4 words" in rows[3]["note"] and "no words left" in rows[5]["note"]
    assert rows[3]["genre_1"] == rows[3]["p_1"] == ""
    assert [rows[i]["genre_1"] for i in (0, 4, 6)] == names
    P = Predictor.load(runs / "run" / "model.npz").predict_proba(lines)
    for i, p in zip((0, 4, 6), P):
        assert abs(float(rows[i]["p_1"]) - p.max()) <= 5e-5
    assert r.stderr.strip() == ("anime-genre predict: 4 of 7 rows rejected, 0 with a warning "
                                "(see the status and note columns)")


def test_file_on_standard_input_as_json(trained):
    from anime_genre.pipeline import Predictor

    runs, _ = trained
    word = planted_text(0)[1].split()[0]
    texts = synthetic_texts(30) + [f"A {word} met zorblat, quenched vimmering flonx, grobbled "
                                   f"the hask and wibbered off."]
    env = dict(os.environ, ANIME_GENRE_RUNS=str(runs))
    r = subprocess.run([sys.executable, "-m", "anime_genre", "predict", "--file", "-", "--format",
                        "json"], input="\r\n".join(texts) + "\r\n", capture_output=True,
                       text=True, env=env, timeout=300)
    assert r.returncode == 0, r.stderr
    rows = [json.loads(line) for line in r.stdout.splitlines()]
    assert [row["row"] for row in rows] == list(range(1, len(texts) + 1))
    old = Predictor.load(runs / "run" / "model.npz")
    ok = [row for row in rows if row["status"] != "rejected"]
    P = old.predict_proba([texts[row["row"] - 1] for row in ok])
    got = np.array([[row["probabilities"][g] for g in old.genres] for row in ok])
    np.testing.assert_allclose(got, P, rtol=0, atol=1e-6)
    assert rows[-1]["status"] == "warning" and "only" in rows[-1]["note"]
    for row, p in zip(ok, P):
        assert row["predicted"] == [g for g, pj, t in zip(old.genres, p, old.thresholds) if pj >= t]
        assert [g for g, _ in row["top"]] == [old.genres[j] for j in np.argsort(-p)[:5]]


def test_csv_column(trained, tmp_path):
    runs, _ = trained
    names, lines = planted_lines()
    f = tmp_path / "shows.csv"
    f.write_text('id,synopsis,note\n1,"' + lines[0] + ', said the narrator.\nSecond line."'
                 ',x\n2,,empty\n3,' + lines[1] + ',"a, b"\n', encoding="utf-8")
    r = cli(["predict", "--file", str(f), "--column", "synopsis", "--top", "1"], runs)
    assert r.returncode == 0, r.stderr
    rows = read_tsv(r.stdout)
    assert [(row["row"], row["status"], row["genre_1"]) for row in rows] == [
        ("1", "ok", names[0]), ("2", "rejected", ""), ("3", "ok", names[1])]
    assert rows[1]["note"] == "empty field"


@pytest.mark.parametrize("name, content, args, needles", [
    ("missing", None, [], ["missing", "cannot read"]),
    ("empty", b"", [], ["the file is empty"]),
    ("binary", b"line one\nline \x00\x01 two\n", [], ["line 2", "NUL", "binary"]),
    ("latin1", "ninja\ncaf\u00e9 ninja\n".encode("latin-1"), [], ["line 2", "not valid UTF-8"]),
    ("shows.csv", b"id,synopsis\n1,ninja\n", [], ["looks like a CSV", "--column", "id,synopsis"]),
    ("no_column.csv", b"id,text\n1,ninja\n", ["--column", "synopsis"],
     ["no column 'synopsis'", "'id', 'text'"]),
    ("ragged.csv", b"id,synopsis\n1,ninja\n2,ninja,extra\n", ["--column", "synopsis"],
     ["row 2 (line 3) has 3 fields, expected 2"]),
    ("open_quote.csv", b'id,synopsis\n1,"ninja\n', ["--column", "synopsis"], ["line 2", "cut off"]),
    ("header_only.csv", b"id,synopsis\n", ["--column", "synopsis"], ["header but no rows"]),
    ("plain.txt", b"A girl joins a band and learns the guitar\nA ninja\n", ["--column", "synopsis"],
     ["does not look like a CSV", "leave out --column"]),
], ids=lambda v: v if isinstance(v, str) else None)
def test_bad_file(trained, tmp_path, name, content, args, needles):
    runs, _ = trained
    f = tmp_path / name
    if content is not None:
        f.write_bytes(content)
    r = cli(["predict", "--file", str(f), *args], runs)
    one_line_error(r, str(f), *needles)


@pytest.mark.parametrize("args, needles", [
    (["ninja", "--file", "x.txt"], ["either one synopsis or --file"]),
    ([], ["nothing to classify"]),
    (["ninja", "--column", "synopsis"], ["--column NAME goes with --file"]),
    (["--file", "x.txt", "--format", "text"], ["--format text"]),
])
def test_bad_arguments(tmp_path, args, needles):
    one_line_error(cli(["predict", *args], tmp_path), *needles)


def test_run_folder_without_predict_file(trained, tmp_path):
    """A run folder from before the predict file: same ranking, read from model.npz, with
    a note saying to rerun."""
    runs, _ = trained
    old = tmp_path / "old"
    old.mkdir()
    (old / "model.npz").write_bytes((runs / "run" / "model.npz").read_bytes())
    text = planted_text(4)[1]
    a = cli(["predict", text, "--model", str(old / "model.npz")], tmp_path)
    b = cli(["predict", text, "--model", str(runs / "run" / "model.npz")], tmp_path)
    assert a.returncode == 0 and b.returncode == 0, a.stderr + b.stderr
    assert a.stdout.splitlines()[:5] == b.stdout.splitlines()[:5]
    assert b.stderr == ""
    assert a.stderr.startswith("anime-genre predict: note: no model.predict.npz next to model.npz")
    assert "rerun `anime-genre run`" in a.stderr and len(a.stderr.splitlines()) == 1


def small_model(path, seed=0):
    from anime_genre.features import BowVectorizer
    from anime_genre.model import MultiLabelClassifier
    from anime_genre.model import MeanModel
    from anime_genre.pipeline import save_run_model

    texts = ["ninja sword village fight", "school club love letter", "space robot pilot war",
             "ninja village secret", "love school festival", "robot war space colony"]
    vec = BowVectorizer(min_df=1, max_df=1.0)
    vec.fit_transform(texts)
    net = MultiLabelClassifier(vec.n_features, 3, hidden_sizes=(5,), sparse_input=True, seed=seed)
    save_run_model(path, MeanModel([net]), vec, ["Action", "Romance", "Sci-Fi"],
                   np.array([0.5, 0.5, 0.5]), "invented")


def test_predict_file_of_another_model_is_ignored(trained, tmp_path):
    from anime_genre.pipeline import Predictor
    from anime_genre.predictor import FastPredictor

    runs, _ = trained
    path = tmp_path / "model.npz"
    small_model(path)
    (tmp_path / "model.predict.npz").write_bytes((runs / "run" / "model.predict.npz").read_bytes())
    fast = FastPredictor.load(path)
    assert not fast.fast and "was not made from this model.npz" in fast.note
    text = ["a ninja village at war with a robot school"]
    np.testing.assert_allclose(fast.predict_proba(text), Predictor.load(path).predict_proba(text),
                               atol=1e-6)
    r = cli(["predict", text[0], "--model", str(path)], tmp_path)
    assert r.returncode == 0 and "was not made from this model.npz" in r.stderr, r.stderr


def test_model_option_may_name_the_predict_file(trained, tmp_path):
    runs, _ = trained
    name, text = planted_text(5)
    r = cli(["predict", text, "--model", str(runs / "run" / "model.predict.npz"), "--top", "1",
             "--format", "tsv"], tmp_path)
    assert r.returncode == 0 and r.stderr == "", r.stderr
    rows = read_tsv(r.stdout)
    assert len(rows) == 1 and rows[0]["genre_1"] == name and rows[0]["status"] == "ok"


def test_other_network_shapes(tmp_path):
    """Two hidden layers with sigmoid, a softmax output, no hidden layer, no bigrams, an MLP
    and a network without hidden layer combined by the mean of their logits (the reference's
    heads): the fast path computes what the networks compute."""
    from anime_genre.features import BowVectorizer
    from anime_genre.model import MultiLabelClassifier
    from anime_genre.model import MeanModel
    from anime_genre.pipeline import Predictor, save_run_model
    from anime_genre.predictor import FastPredictor

    texts = synthetic_texts(60)
    rng = np.random.default_rng(0)
    for i, (kw, bigrams, combine) in enumerate([
            (dict(hidden_sizes=(7, 5), activation="sigmoid"), True, "proba"),
            (dict(hidden_sizes=(6,), loss="softmax"), True, "proba"),
            (dict(hidden_sizes=()), False, "proba"),
            (dict(hidden_sizes=(6,)), True, "logit")]):
        vec = BowVectorizer(min_df=1, max_df=1.0, bigrams=bigrams)
        vec.fit_transform([" ".join(w for w in t.lower().split()) for t in texts[:40]])
        nets = [MultiLabelClassifier(vec.n_features, 4, sparse_input=True, seed=s,
                                     **(kw if s == 0 or combine == "proba" else {"hidden_sizes": ()}))
                for s in (0, 1)]
        for net in nets:
            for p in net.params:
                p[...] = rng.standard_normal(p.shape)
        path = tmp_path / f"m{i}.npz"
        save_run_model(path, MeanModel(nets, combine=combine), vec, list("ABCD"), np.full(4, 0.5),
                       "invented")
        fast = FastPredictor.load(path)
        assert fast.fast and fast.combine == combine
        np.testing.assert_allclose(fast.predict_proba(texts), Predictor.load(path).predict_proba(texts),
                                   rtol=0, atol=2e-6)
