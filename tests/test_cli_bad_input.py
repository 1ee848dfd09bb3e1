"""Every command on bad input: one clear line on standard error naming the file, row or
field, exit status 2, no traceback; and when a command does finish, rows in = rows out +
rows removed or rejected. All files here are written by the tests (invented text)."""
from __future__ import annotations

import io
import json
import subprocess
import sys
import warnings

import numpy as np
import pandas as pd
import pytest

from anime_genre import cli
from anime_genre.datasets import read_csv_bytes
from anime_genre.errors import UserError
from anime_genre.synthetic import make_synthetic_corpus

HEADER = b"MAL_ID,Name,Type,Genres,Synopsis\n"
ROW = b'7,Seven Lanterns,TV,"Drama, Mystery",A keeper counts lanterns every autumn night.\n'


def one_line_error(code, err, *needles):
    assert code == 2, err
    assert "Traceback" not in err
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    for n in needles:
        assert n in lines[0], lines[0]


def run(capsys, *args):
    code = cli.main([str(a) for a in args])
    out, err = capsys.readouterr()
    return code, out, err


# ----------------------------------------------------------------------------- clean

CLEAN_CASES = [
    ("header_only", HEADER, ["header but no rows"]),
    ("empty", b"", ["the file is empty"]),
    ("latin1", HEADER + "8,Caf\u00e9,TV,Drama,Text.\n".encode("latin-1"), ["line 2", "not valid UTF-8"]),
    ("binary", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)), ["NUL byte", "binary"]),
    ("extra_field_first_row", HEADER + b'7,Seven,TV,Drama,"Text.",surplus\n' + ROW,
     ["row 1 (line 2) has 6 fields, expected 5"]),
    ("ragged_last_row", HEADER + ROW + b"8,Eight,TV\n", ["row 2 (line 3) has 3 fields", "cut off"]),
    ("non_integer_id", HEADER + ROW + ROW.replace(b"7,", b"x7,", 1), ["row 2", "MAL_ID", "'x7'"]),
    ("missing_column", b"MAL_ID,Name\n1,A\n", ["missing column(s) Type, Genres, Synopsis"]),
    ("bad_quote", HEADER + b'9,"Nine" Lives,TV,Drama,Text.\n' + ROW, ["line 2", "malformed CSV"]),
]


@pytest.mark.parametrize("name, content, needles", CLEAN_CASES, ids=[c[0] for c in CLEAN_CASES])
def test_clean_bad_table(tmp_path, capsys, name, content, needles):
    table = tmp_path / f"{name}.csv"
    table.write_bytes(content)
    code, out, err = run(capsys, "clean", table, "-o", tmp_path / "out" / "clean.csv")
    one_line_error(code, err, f"{name}.csv", *needles)
    assert not (tmp_path / "out").exists()  # nothing written


def test_clean_folder_and_missing_file(tmp_path, capsys):
    one_line_error(*run(capsys, "clean", tmp_path, "-o", tmp_path / "c.csv")[::2], "is a folder")
    one_line_error(*run(capsys, "clean", tmp_path / "nope.csv", "-o", tmp_path / "c.csv")[::2],
                   "nope.csv: no such file")


def test_clean_duplicate_ids_are_accounted_for(tmp_path, capsys):
    df = make_synthetic_corpus(400, 6, seed=3)
    copies = df.iloc[[0, 1]]                               # exact copies: one kept each
    clash = df.iloc[[2, 3]].assign(Genres="Comedy")        # same ids, other genres
    table = pd.concat([df, copies, clash], ignore_index=True)
    path = tmp_path / "t.csv"
    table.to_csv(path, index=False)
    code, out, err = run(capsys, "clean", path, "-o", tmp_path / "c.csv", "--min-words", "5",
                         "--min-genre-count", "5")
    assert code == 0, err
    report = json.loads((tmp_path / "c.report.json").read_text())
    clean = pd.read_csv(tmp_path / "c.csv")
    assert report["rows_in"] == 404 == len(clean) + sum(report["removed"].values())
    assert report["removed"]["duplicate_id"] == 2 and report["removed"]["conflicting_id"] == 4
    assert report["conflicting_ids"] == sorted(int(i) for i in df.MAL_ID.iloc[[2, 3]])
    assert clean["MAL_ID"].is_unique
    assert "MAL_IDs whose rows disagree (every copy removed)" in out


def test_clean_removing_every_row_is_an_error(tmp_path, capsys):
    path = tmp_path / "t.csv"
    path.write_bytes(HEADER + ROW.replace(b"TV", b"Music"))
    code, out, err = run(capsys, "clean", path, "-o", tmp_path / "c.csv")
    one_line_error(code, err, "every one of the 1 rows was removed", "'type'")
    assert json.loads((tmp_path / "c.report.json").read_text())["rows_out"] == 0


def test_clean_then_vectorize_then_load(tmp_path, capsys):
    df = make_synthetic_corpus(300, 6, seed=4)
    df["MAL_ID"] = df["MAL_ID"].astype(str)  # ids written as text still read as whole numbers
    df.to_csv(tmp_path / "t.csv", index=False)
    assert run(capsys, "clean", tmp_path / "t.csv", "-o", tmp_path / "c.csv", "--min-words", "5",
               "--min-genre-count", "5")[0] == 0
    assert run(capsys, "vectorize", tmp_path / "c.csv", "-o", tmp_path / "f.npz")[0] == 0
    from anime_genre.commands.vectorize import load_features
    X, names, extras = load_features(tmp_path / "f.npz")
    clean = pd.read_csv(tmp_path / "c.csv")
    assert X.shape[0] == len(clean) and extras["mal_id"].dtype == np.int64
    assert extras["mal_id"].tolist() == clean["MAL_ID"].tolist()


# ----------------------------------------------------------------------------- vectorize

CLEAN_HEADER = b"MAL_ID,Genres,Text\n"


VECTORIZE_CASES = [
    ("latin1", CLEAN_HEADER + "1,Drama,caf\u00e9 duel\n".encode("latin-1"), ["not valid UTF-8"]),
    ("binary", bytes(range(256)) * 4, ["binary"]),
    ("empty", b"", ["the file is empty"]),
    ("ragged", CLEAN_HEADER + b"1,Drama,duel dawn\n2,Drama\n3,Action,rain\n", ["row 2 (line 3) has 2 fields"]),
    ("header_only", CLEAN_HEADER, ["header but no rows"]),
    ("non_integer_id", CLEAN_HEADER + b"1,Drama,duel dawn\n2.5,Drama,dawn city\n", ["row 2", "'2.5'"]),
    ("cut_off_quote", CLEAN_HEADER + b'1,Drama,duel dawn\n2,Drama,"dawn ci', ["cut off"]),
]


@pytest.mark.parametrize("name, content, needles", VECTORIZE_CASES, ids=[c[0] for c in VECTORIZE_CASES])
def test_vectorize_bad_table(tmp_path, capsys, name, content, needles):
    table = tmp_path / f"{name}.csv"
    table.write_bytes(content)
    code, out, err = run(capsys, "vectorize", table, "-o", tmp_path / "f.npz", "--min-df", "1")
    one_line_error(code, err, f"{name}.csv", *needles)
    assert not (tmp_path / "f.npz").exists()


def test_vectorize_folder_missing_file_and_bad_bounds(tmp_path, capsys):
    one_line_error(*run(capsys, "vectorize", tmp_path, "-o", tmp_path / "f.npz")[::2], "is a folder")
    one_line_error(*run(capsys, "vectorize", tmp_path / "no.csv", "-o", tmp_path / "f.npz")[::2], "no such file")
    table = tmp_path / "t.csv"
    table.write_bytes(CLEAN_HEADER + b"1,Drama,duel dawn\n2,Drama,dawn city\n")
    one_line_error(*run(capsys, "vectorize", table, "-o", tmp_path / "f.npz", "--min-df", "-1")[::2],
                   "document-frequency bound")
    one_line_error(*run(capsys, "vectorize", table, "-o", tmp_path / "f.npz", "--max-features", "0")[::2],
                   "--max-features")


def test_vectorize_rows_in_equal_rows_out(tmp_path, capsys):
    table = tmp_path / "t.csv"
    table.write_bytes(CLEAN_HEADER + b"1,Drama,duel dawn\n2,,\n3,Action,dawn city\n")
    code, out, err = run(capsys, "vectorize", table, "-o", tmp_path / "f.npz", "--min-df", "1",
                         "--max-df", "1.0")
    assert code == 0, err
    from anime_genre.commands.vectorize import load_features
    X, names, extras = load_features(tmp_path / "f.npz")
    assert X.shape[0] == 3 and X[1].nnz == 0 and "1 documents have no term" in out
    assert "nan" not in names


def test_load_features_on_a_file_that_is_not_one(tmp_path):
    from anime_genre.commands.vectorize import load_features
    bad = tmp_path / "f.npz"
    bad.write_bytes(b"not an npz")
    with pytest.raises(UserError, match="f.npz: not a features file"):
        load_features(bad)


# ----------------------------------------------------------------------------- strict loader

def test_loader_reads_a_synopsis_longer_than_the_csv_field_limit():
    long = "word " * 40_000  # 200,000 characters, more than csv's default 131,072
    data = b'MAL_ID,Name,Synopsis\n1,A,"' + long.encode() + b'"\n2,B,short\n'
    frame = read_csv_bytes(data, "x.csv")
    assert len(frame) == 2 and len(frame.Synopsis.iloc[0]) == len(long)


def test_loader_blames_a_bad_quote_not_a_cut_off_row():
    with pytest.raises(UserError) as info:
        read_csv_bytes(b'MAL_ID,Name\n1,"A"B\n2,C\n', "x.csv")
    assert "line 2" in str(info.value) and "cut off" not in str(info.value)


# ----------------------------------------------------------------------------- TfidfVectorizer

def test_tfidf_integer_dtype_is_converted_like_scikit_learn():
    from sklearn.feature_extraction.text import TfidfVectorizer as Sk

    from anime_genre.text import TfidfVectorizer
    docs = ["duel at dawn", "dawn again duel", "rain"]
    with pytest.warns(UserWarning, match="converted to float64"):
        X = TfidfVectorizer(dtype=np.int32).fit_transform(docs)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ref = Sk(dtype=np.int32).fit_transform(docs)
    assert X.dtype == np.float64 == ref.dtype and abs(X - ref).max() < 1e-12 and X.nnz > 0


@pytest.mark.parametrize("kw, match", [({"dtype": np.float16}, "float16"),
                                       ({"dtype": np.complex128}, "Complex"),
                                       ({"token_pattern": r"(\w)(\w+)"}, "More than 1 capturing group"),
                                       ({"token_pattern": "("}, "not a regular expression")])
def test_tfidf_refuses_what_scikit_learn_refuses(kw, match):
    from anime_genre.text import TfidfVectorizer
    with pytest.raises(ValueError, match=match):
        TfidfVectorizer(**kw).fit(["duel at dawn", "dawn again"])


def test_tfidf_one_group_pattern_uses_the_group_like_scikit_learn():
    from sklearn.feature_extraction.text import TfidfVectorizer as Sk

    from anime_genre.text import TfidfVectorizer
    docs = ["duel at dawn", "dawn again duel"]
    ours = TfidfVectorizer(token_pattern=r"\w(\w+)").fit(docs)
    assert list(ours.get_feature_names_out()) == list(Sk(token_pattern=r"\w(\w+)").fit(docs).get_feature_names_out())


# ----------------------------------------------------------------------------- predict

@pytest.fixture(scope="module")
def tiny_model(tmp_path_factory):
    """A saved run model over a few invented words (no training: the check is about which
    words the model knows, not about its probabilities)."""
    from anime_genre.features import BowVectorizer
    from anime_genre.model import MultiLabelClassifier
    from anime_genre.model import MeanModel
    from anime_genre.pipeline import save_run_model

    texts = ["ninja sword village fight", "school club love letter", "space robot pilot war",
             "ninja village secret", "love school festival", "robot war space colony"]
    vec = BowVectorizer(min_df=1, max_df=1.0)
    vec.fit_transform(texts)
    net = MultiLabelClassifier(vec.n_features, 3, hidden_sizes=(4,), sparse_input=True, seed=0)
    path = tmp_path_factory.mktemp("model") / "model.npz"
    save_run_model(path, MeanModel([net]), vec, ["Action", "Romance", "Sci-Fi"],
                   np.array([0.5, 0.5, 0.5]), "invented")
    return path


@pytest.mark.parametrize("text, needles", [
    ("忍者の村で育った少年が剣を学ぶ。", ["the one word", "is not in the model's vocabulary"]),
    ("Zorblat quenched the vimmering flonx.", ["none of the 4 words", "zorblat"]),
    ("   ", ["empty"]),
    ("1999 2000 ... !!!", ["no words left"]),
], ids=["cjk_only", "unknown_words", "blank", "no_letters"])
def test_predict_text_it_cannot_read(tiny_model, capsys, text, needles):
    one_line_error(*run(capsys, "predict", text, "--model", tiny_model)[::2], *needles)


def test_predict_binary_on_stdin(tiny_model, capsys, monkeypatch):
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(b"\xff\xfe\x00\x01junk\x89PNG")))
    one_line_error(*run(capsys, "predict", "-", "--model", tiny_model)[::2], "standard input", "not UTF-8")
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(b"ninja \x00\x00 sword")))
    one_line_error(*run(capsys, "predict", "-", "--model", tiny_model)[::2], "NUL")


def test_predict_warns_when_almost_no_word_is_known(tiny_model, capsys):
    code, out, err = run(capsys, "predict", "A ninja met zorblat, quenched vimmering flonx, "
                         "grobbled the hask and wibbered off.", "--model", tiny_model, "--top", "2")
    assert code == 0
    assert err.strip().startswith("anime-genre predict: warning: only 1 of the 9 words")
    lines = out.strip().splitlines()
    assert lines[0].startswith("predicted: ") and lines[1].startswith(" 1.") and lines[2].startswith(" 2.")
    assert "1 of 9 words known" in lines[-1]


def test_predict_undecodable_argument_in_a_real_process(tiny_model, tmp_path):
    r = subprocess.run([sys.executable, "-m", "anime_genre", "predict", b"ninja \xff\xfe sword",
                        "--model", str(tiny_model)], capture_output=True, text=True, timeout=300)
    one_line_error(r.returncode, r.stderr, "not UTF-8")


# ----------------------------------------------------------------------------- any command

def test_unwritable_output_is_one_line(tmp_path, capsys):
    table = tmp_path / "t.csv"
    table.write_bytes(CLEAN_HEADER + b"1,Drama,duel dawn\n2,Drama,dawn city\n")
    blocker = tmp_path / "file"
    blocker.write_text("x")
    code, out, err = run(capsys, "vectorize", table, "-o", blocker / "f.npz", "--min-df", "1")
    one_line_error(code, err, str(blocker))


# ----------------------------------------------------------------------------- issue 13, real processes
#
# The report's cases once more through `python -m anime_genre` in a process of its own (this
# checkout's code): what a person at a terminal sees, exit status included.

def _process(tmp_path, *args, stdin: bytes | None = None):
    from pathlib import Path
    import os

    solutions = Path(__file__).resolve().parents[1] / "solutions"
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(
        [str(solutions)] + [p for p in os.environ.get("PYTHONPATH", "").split(os.pathsep) if p]))
    r = subprocess.run([sys.executable, "-m", "anime_genre", *map(str, args)], cwd=tmp_path,
                       input=stdin if stdin is not None else b"", capture_output=True, env=env,
                       timeout=600)
    return r.returncode, r.stdout.decode("utf-8", "replace"), r.stderr.decode("utf-8", "replace")


PROCESS_CASES = [
    ("clean", "header_only.csv", HEADER, ["header but no rows"]),
    ("clean", "extra_field_first_row.csv", HEADER + b'7,Seven,TV,Drama,"Text.",surplus\n' + ROW,
     ["row 1 (line 2) has 6 fields, expected 5"]),
    ("clean", "non_integer_id.csv", HEADER + ROW + ROW.replace(b"7,", b"x7,", 1), ["row 2", "'x7'"]),
    ("vectorize", "latin1.csv", CLEAN_HEADER + "1,Drama,caf\u00e9 duel\n".encode("latin-1"),
     ["line 2", "not valid UTF-8"]),
    ("vectorize", "junk.bin", bytes(range(256)) * 16, ["binary"]),
    ("vectorize", "empty.csv", b"", ["the file is empty"]),
    ("vectorize", "ragged.csv", CLEAN_HEADER + b"1,Drama,duel dawn\n2,Drama\n3,Action,rain\n",
     ["row 2 (line 3) has 2 fields"]),
    ("vectorize", "a_folder", None, ["is a folder"]),
]


@pytest.mark.parametrize("command, name, content, needles", PROCESS_CASES,
                         ids=[f"{c[0]}-{c[1]}" for c in PROCESS_CASES])
def test_bad_input_in_a_real_process(tmp_path, command, name, content, needles):
    if content is None:
        (tmp_path / name).mkdir()
    else:
        (tmp_path / name).write_bytes(content)
    out = "out.csv" if command == "clean" else "out.npz"
    code, _, err = _process(tmp_path, command, name, "-o", out)
    one_line_error(code, err, f"anime-genre {command}: error: {name}", *needles)
    assert sorted(p.name for p in tmp_path.iterdir()) == [name]  # nothing written


def test_scrape_zip_with_a_corrupt_entry_in_a_real_process(tmp_path):
    """Each page of the archive is a row in or a row rejected; the damaged entry is named."""
    import zipfile
    from pathlib import Path

    valid = Path(__file__).resolve().parents[1] / "datasets" / "fixtures" / "mal-html-2022"
    archive = tmp_path / "pages.zip"
    with zipfile.ZipFile(archive, "w", compression=zipfile.ZIP_DEFLATED) as z:
        for p in sorted(valid.glob("*.html")):
            z.write(p, p.name)
    data = bytearray(archive.read_bytes())
    with zipfile.ZipFile(archive) as z:
        info = z.getinfo("invented-2021-anime-90002.html")
    start = info.header_offset + 30 + len(info.filename) + len(info.extra)
    for k in range(start + 10, start + 40):
        data[k] ^= 0xFF
    archive.write_bytes(bytes(data))
    code, out, err = _process(tmp_path, "scrape", archive, "-o", "t.csv", "--no-progress")
    assert code == 0 and "Traceback" not in err, err
    assert "5 pages: 4 written to t.csv, 1 rejected" in out
    rejected = pd.read_csv(tmp_path / "t.rejected.csv")
    assert rejected["file"].tolist() == ["invented-2021-anime-90002.html"]
    assert rejected["reason"].iloc[0].startswith("file: cannot read the archive entry")
    (tmp_path / "junk.zip").write_bytes(b"PK\x03\x04" + bytes(range(256)))
    code, out, err = _process(tmp_path, "scrape", "junk.zip", "-o", "j.csv", "--no-progress")
    one_line_error(code, err, "junk.zip")


def test_clean_keeps_a_synopsis_longer_than_the_csv_field_limit(tmp_path, capsys):
    df = make_synthetic_corpus(60, 4, seed=5)
    long = df.loc[0, "Synopsis"] + " lantern" * 25_000  # 200,000+ characters, in one field
    df.loc[0, ["Synopsis", "Type"]] = [long, "TV"]
    df.to_csv(tmp_path / "t.csv", index=False)
    code, out, err = run(capsys, "clean", tmp_path / "t.csv", "-o", tmp_path / "c.csv",
                         "--min-words", "5", "--min-genre-count", "2")
    assert code == 0, err
    clean = pd.read_csv(tmp_path / "c.csv")
    report = json.loads((tmp_path / "c.report.json").read_text())
    assert report["rows_in"] == 60 == len(clean) + sum(report["removed"].values())
    assert clean.set_index("MAL_ID").loc[df.loc[0, "MAL_ID"], "Synopsis"] == long


@pytest.mark.parametrize("text, needles", [
    ("忍者の村で育った少年が剣を学ぶ。".encode(), ["the one word", "is not in the model's vocabulary"]),
    (b"Zorblat quenched the vimmering flonx.", ["none of the 4 words"]),
    (b"\xff\xfe\x00\x01junk\x89PNG\r\n\x1a\n", ["standard input", "not UTF-8"]),
    (b"\x7fELF\x02\x01\x01\x00\x00\x00", ["standard input", "NUL"]),
], ids=["cjk_only", "unknown_words", "binary", "binary_utf8_with_nul"])
def test_predict_on_stdin_in_a_real_process(tiny_model, tmp_path, text, needles):
    code, out, err = _process(tmp_path, "predict", "-", "--model", tiny_model, stdin=text)
    one_line_error(code, err, "anime-genre predict: error:", *needles)
    assert out == ""
