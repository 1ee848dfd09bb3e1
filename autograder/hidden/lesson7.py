"""Hidden checks of lesson 7: the reference package on inputs the student never saw.

Expected values are computed before the student's function sees the input, and every input
goes to the student as a copy. Tolerances: rtol 1e-9 (both functions are a few sums and one
division; any correct order of summation agrees to about 1e-13)."""
from __future__ import annotations

import numpy as np

from anime_genre import original as ref
from autograder.core import call, hidden, hidden_rng


def _corpus(rng, n_docs, vocab, dim, unknown=5):
    """Random documents over `vocab` known words and `unknown` words without a vector, word
    vectors (vocab, dim) stored in a random row order, and positive IDFs (some words never
    used, a few empty documents)."""
    words = [f"w{i}" for i in range(vocab)] + [f"oov{i}" for i in range(unknown)]
    rows = rng.permutation(vocab)
    word_to_id = {f"w{i}": int(rows[i]) for i in range(vocab)}
    docs = [[words[j] for j in rng.integers(0, len(words), rng.integers(0, 30))] for _ in range(n_docs)]
    docs[0] = []
    docs[-1] = [words[vocab]] * 3 if unknown else []
    vecs = rng.normal(size=(vocab, dim))
    idf = rng.uniform(0.1, 5.0, size=vocab)
    return docs, vecs, word_to_id, idf


@hidden("l7_sentence_vectors")
def hidden_sentence_vectors(c, sentence_vectors):
    rng = hidden_rng(71)
    for n_docs, vocab, dim in ((3, 4, 2), (40, 25, 7), (300, 200, 50)):
        docs, vecs, w2i, idf = _corpus(rng, n_docs, vocab, dim)
        expected = ref.sentence_vectors(docs, vecs, w2i, idf)
        c.close(call(sentence_vectors, [list(d) for d in docs], vecs.copy(), dict(w2i), idf.copy()), expected,
                f"{n_docs} random documents, {vocab} words of dimension {dim}", rtol=1e-9, atol=1e-12)
    # IDFs as the original computed them: some negative (df larger than the vocabulary), none 0
    docs, vecs, w2i, _ = _corpus(rng, 30, 12, 5)
    idf = rng.uniform(-0.5, 3.0, size=12)
    idf[np.abs(idf) < 0.05] = 0.5
    docs = [d + ["w0"] for d in docs]   # no document whose weights could sum to about 0 by chance
    idf[w2i["w0"]] = 50.0
    expected = ref.sentence_vectors(docs, vecs, w2i, idf)
    c.close(call(sentence_vectors, [list(d) for d in docs], vecs.copy(), dict(w2i), idf.copy()), expected,
            "negative IDFs are weights like any other", rtol=1e-9, atol=1e-12)


@hidden("l7_spearman")
def hidden_spearman(c, spearman):
    with c.answer("another value"):      # (see the visible check)
        _hidden_spearman(c, spearman)


def _hidden_spearman(c, spearman):
    rng = hidden_rng(72)
    for n in (3, 10, 41, 500):
        a, b = rng.normal(size=n), rng.normal(size=n)
        c.close(call(spearman, a.copy(), b.copy()), ref.spearman(a, b), f"{n} random values without ties",
                rtol=1e-9, atol=1e-12)
        a, b = np.round(rng.random(n) * 4), np.round(rng.random(n) * 3)   # many ties
        a[0], a[1], b[0], b[1] = 0.0, 4.0, 0.0, 3.0                       # neither constant
        c.close(call(spearman, a.copy(), b.copy()), ref.spearman(a, b), f"{n} values with many ties",
                rtol=1e-9, atol=1e-12)
    # the lesson's use: one show's probabilities against the genre frequencies (tied counts)
    counts = rng.integers(5, 40, size=41)
    freq = counts / 8000
    p = rng.dirichlet(np.ones(41))
    c.close(call(spearman, p.copy(), freq.copy()), ref.spearman(p, freq),
            "41 probabilities against genre frequencies with tied counts", rtol=1e-9, atol=1e-12)
