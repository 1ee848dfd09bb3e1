"""Visible checks of lesson 7 (the postmortem). Small literal values and properties only:
this module ships to students, who do not have ``anime_genre``."""
from __future__ import annotations

import numpy as np

from autograder.core import call, call_inspect, exercise, readonly

# Three words with 2-dimensional vectors and their IDFs, used by several sub-checks (the dicts
# are passed as copies: a function under test run in this process might change them).
VECS = readonly([[1.0, 0.0], [0.0, 1.0], [1.0, 1.0]])
W2I = {"a": 0, "b": 1, "c": 2}
IDF = readonly([1.0, 2.0, 0.5])
# The same words stored in other rows: the result must not change.
VECS_SHUFFLED = readonly([[0.0, 1.0], [1.0, 1.0], [1.0, 0.0]])
W2I_SHUFFLED = {"a": 2, "b": 0, "c": 1}
IDF_SHUFFLED = readonly([2.0, 0.5, 1.0])

DOCS = [["a", "b"], ["b", "c", "b"], ["a", "zzz", "a"], ["zzz"], []]
EXPECTED = [[1 / 3, 2 / 3], [1 / 9, 1.0], [1.0, 0.0], [0.0, 0.0], [0.0, 0.0]]


def _docs():
    """A fresh copy of DOCS (the function under test might change the lists it is given)."""
    return [list(d) for d in DOCS]


@exercise("l7_sentence_vectors", points=3, reference="anime_genre.original:sentence_vectors")
def check_sentence_vectors(c, sentence_vectors):
    tol = {"rtol": 1e-9, "atol": 1e-12}
    c.close(call(sentence_vectors, [["a", "b"]], VECS, dict(W2I), IDF), [EXPECTED[0]],
            "each word weighs its IDF: (1 * v_a + 2 * v_b) / (1 + 2)", **tol,
            hint="the weight of a word is count * idf_values[word_to_id[word]]; divide by the sum of the weights")
    c.close(call(sentence_vectors, [["b", "c", "b"]], VECS, dict(W2I), IDF), [EXPECTED[1]],
            "a word that occurs twice weighs twice: (2 * 2 * v_b + 0.5 * v_c) / 4.5", **tol,
            hint="count every occurrence of a word, not every distinct word")
    c.close(call(sentence_vectors, [["a", "zzz", "a"]], VECS, dict(W2I), IDF), [EXPECTED[2]],
            "a token without a vector is skipped (not counted in the denominator either)", **tol,
            hint="skip tokens that are not in word_to_id; divide by the sum of the weights of the kept ones")
    with c.properties():
        c.close(call(sentence_vectors, [["zzz"], []], VECS, dict(W2I), IDF), [[0.0, 0.0], [0.0, 0.0]],
                "a document without any known token gets a row of zeros (no nan)", **tol,
                hint="when the weights sum to 0, leave the row at 0 instead of dividing")
    c.close(call(sentence_vectors, _docs(), VECS, dict(W2I), IDF), EXPECTED,
            "five documents at once: one row each, float64 (n, D)", dtype="float64", **tol,
            hint="return an array of shape (len(token_lists), word_vecs.shape[1])")
    c.close(call(sentence_vectors, _docs(), VECS_SHUFFLED, dict(W2I_SHUFFLED), IDF_SHUFFLED), EXPECTED,
            "the vector and the IDF of a word are both found at its row word_to_id[word]", **tol,
            hint="idf_values and word_vecs are indexed by word_to_id[word], not by the word's position")
    with c.properties():    # an unweighted mean passes these
        c.close(call(sentence_vectors, [["c"]], VECS, dict(W2I), readonly([1.0, 2.0, 7.0])), [[1.0, 1.0]],
                "a document of one word is that word's vector, whatever its IDF", **tol)
        c.true(call(_tokens_unchanged, sentence_vectors), "the token lists passed in are not modified",
               hint="build new lists; do not remove the unknown tokens from the caller's lists")


def _tokens_unchanged(sentence_vectors):
    _, (tokens_after, *_), _ = call_inspect(sentence_vectors, _docs(), VECS, dict(W2I), IDF)
    same = [list(t) for t in tokens_after] == DOCS
    return same, "" if same else f"the token lists became {tokens_after!r}"


@exercise("l7_spearman", points=2, reference="anime_genre.original:spearman")
def check_spearman(c, spearman):
    tol = {"rtol": 1e-9, "atol": 1e-12}
    # (answers: a function that returns 1.0, or -1.0, whatever it is given earns nothing)
    with c.answer(1.0):
        c.close(call(spearman, [1.0, 2.0, 3.0, 4.0], [10.0, 20.0, 30.0, 40.0]), 1.0, "same order: 1", **tol)
        c.close(call(spearman, [1.0, 2.0, 3.0, 4.0, 5.0], [1.0, 4.0, 9.0, 100.0, 1000.0]), 1.0,
                "only the order counts, not the values: 1 for any increasing b", **tol,
                hint="correlate the ranks of a and b, not their values")
    with c.answer(-1.0):
        c.close(call(spearman, [1.0, 2.0, 3.0, 4.0], [40.0, 30.0, 20.0, 10.0]), -1.0, "reverse order: -1", **tol)
        c.close(call(spearman, [1.0, 2.0], [3.0, 1.0]), -1.0, "two values", **tol)
    with c.answer("another value"):
        _spearman_values(c, spearman, tol)


def _spearman_values(c, spearman, tol):
    c.close(call(spearman, [0.2, 0.3, 0.1, 0.4, 0.5], [5.0, 1.0, 4.0, 2.0, 3.0]), -0.5,
            "ranks [2, 3, 1, 4, 5] and [5, 1, 4, 2, 3]: -0.5", **tol,
            hint="np.argsort(x) gives the order of the indices, not the ranks: the rank of x[i] is "
                 "the position of i in that order (argsort of argsort, or ranks[order] = 1..n)")
    c.close(call(spearman, [10.0, 20.0, 20.0, 30.0], [1.0, 2.0, 3.0, 4.0]), 0.9486832980505138,
            "a tie shares the mean rank: [10, 20, 20, 30] has ranks [1, 2.5, 2.5, 4]", **tol,
            hint="tied values get the mean of the ranks they occupy")
    c.close(call(spearman, [1.0, 1.0, 1.0, 2.0, 3.0], [1.0, 2.0, 3.0, 4.0, 5.0]), 0.8944271909999159,
            "three tied values: ranks [2, 2, 2, 4, 5]", **tol,
            hint="mean ranks, not 1 + the number of distinct smaller values; and the shortcut "
                 "1 - 6 sum d^2 / (n (n^2 - 1)) is wrong with ties: compute the Pearson correlation of the ranks")
    c.close(call(spearman, [1.0, 1.0, 2.0, 2.0, 5.0], [3.0, 1.0, 2.0, 2.0, 7.0]), 0.5407380704358752,
            "ties in both arrays", **tol)
    c.close(call(spearman, [3, 1, 4, 1, 5, 9, 2, 6], [2, 7, 1, 8, 2, 8, 1, 8]), 0.19885368120992464,
            "Python lists of ints", **tol)
    c.close(call(spearman, [10.0, 20.0, 20.0, 30.0], [1.0, 2.0, 3.0, 4.0]), 0.9486832980505138,
            "returns a Python float", kind=float, **tol, hint="return float(...)")
    c.true(call(_arguments_unchanged, spearman), "the arrays passed in are not modified",
           hint="np.sort(a) makes a sorted copy; a.sort() sorts the caller's array")


def _arguments_unchanged(spearman):
    a, b = np.array([0.2, 0.3, 0.1, 0.4, 0.5]), np.array([5.0, 1.0, 4.0, 2.0, 3.0])
    _, (a_after, b_after), _ = call_inspect(spearman, a, b)
    same = np.array_equal(np.asarray(a_after), a) and np.array_equal(np.asarray(b_after), b)
    return same, "" if same else f"a became {np.asarray(a_after)}, b became {np.asarray(b_after)}"
