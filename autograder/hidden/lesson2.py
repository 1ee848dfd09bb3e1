"""Hidden checks of lesson 2: the reference package on inputs the student never saw.

Each expected value is computed before the student's function sees the input: a student
function run in the same process (a notebook's check cell) could change a list it is given."""
from __future__ import annotations

from anime_genre import clean as ref
from autograder.core import call, hidden, hidden_rng

TEXTS = ("", "   ", "a", "No synopsis information has been added.", "Innovation in the BD era, behalf of it",
         "ünter den Linden", "¿Quién? 2084: the year.", "x" * 50 + " Recap!", "\n\nThe end")


@hidden("l2_is_placeholder")
def hidden_is_placeholder(c, f):
    for t in TEXTS + ("NO SYNOPSIS INFORMATION HAS BEEN ADDED", "No synopsis yet"):
        c.equal(call(f, t), ref.is_placeholder(t), f"is_placeholder({t[:30]!r})")


@hidden("l2_find_ban_words")
def hidden_find_ban_words(c, f):
    for t in TEXTS:
        expected = ref.find_ban_words(t, ref.ORIGINAL_BAN_WORDS)
        c.equal(call(f, t, ref.ORIGINAL_BAN_WORDS), expected, f"original list on {t[:30]!r}")
    c.equal(call(f, "anything", []), [], "empty ban list")


@hidden("l2_remove_non_alpha")
def hidden_remove_non_alpha(c, f):
    for t in TEXTS + ("tab\tand\u00a0nbsp", "日本語のテキスト123"):
        c.equal(call(f, t), ref.remove_non_alpha(t), f"remove_non_alpha({t[:30]!r})")


@hidden("l2_remove_stop_words")
def hidden_remove_stop_words(c, f):
    toks = "the cat and the hat of an island it is you".split()
    expected = ref.remove_stop_words(toks, ref.STOP_WORDS)
    c.equal(call(f, toks, ref.STOP_WORDS), expected, "scikit-learn's list")
    toks = "the cat and the hat of an island it is you".split()
    c.equal(call(f, toks, set()), list(toks), "empty stop list keeps everything")


@hidden("l2_filter_vocabulary")
def hidden_filter_vocabulary(c, f):
    for vocab in ({"a": 1}, ["b", ""], set(), ("zz",)):
        toks = ["a", "b", "a", "zz", ""]
        expected = ref.filter_vocabulary(toks, vocab)
        c.equal(call(f, toks, vocab), expected, f"vocabulary {vocab!r}")


@hidden("l2_vocabulary_coverage")
def hidden_vocabulary_coverage(c, f):
    rng = hidden_rng(21)
    words = [f"w{i}" for i in range(30)]
    docs = [[words[j] for j in rng.integers(0, 30, rng.integers(0, 12))] for _ in range(40)]
    vocab = set(words[:11])
    expected = ref.vocabulary_coverage(docs, vocab)
    c.close(call(f, docs, vocab), expected, "40 random documents")
    c.close(call(f, [["x"]], []), 0.0, "one token, empty vocabulary")


@hidden("l2_looks_truncated")
def hidden_looks_truncated(c, f):
    for t in TEXTS + ("éclair shop opens.", "Éclair shop opens.", "(Part two) begins", "—and then", "* Based on"):
        c.equal(call(f, t), ref.looks_truncated(t), f"looks_truncated({t[:30]!r})")


@hidden("l2_frequent_genres")
def hidden_frequent_genres(c, f):
    for m in (0, 1, 2, 3):
        lists = [["Space"], [], ["Space", "Cars"], ["Cars"], ["Yaoi"]]   # fresh: f may change it
        expected = ref.frequent_genres(lists, m)
        c.equal(call(f, lists, m), expected, f"min_count {m}")
    c.equal(call(f, [], 1), [], "no shows")
    nested = [["Shoujo Ai"], ["Shoujo Ai", "Shoujo"], ["Ai", "Shoujo Ai"], ["Shoujo"]]
    expected = ref.frequent_genres([list(g) for g in nested], 2)
    c.equal(call(f, [list(g) for g in nested], 2), expected, "names that contain one another")


def _lists() -> list[list[str]]:
    """A genre never seen in genre_names, an empty list, a genre repeated for one show."""
    return [["Space"], [], ["Space", "Cars", "Never Seen"], ["Cars", "Cars"]]


@hidden("l2_multi_hot")
def hidden_multi_hot(c, f):
    names = ["Cars", "Kids", "Space"]
    expected = ref.multi_hot(_lists(), names)
    c.close(call(f, _lists(), list(names)), expected, "a genre never seen, a repeated genre")
    unsorted = ["Space", "Kids", "Cars"]
    expected = ref.multi_hot(_lists(), unsorted)
    c.close(call(f, _lists(), list(unsorted)), expected, "genre_names not in alphabetical order")
    nested = [["Shoujo Ai", "Kids"], ["Shoujo"], ["Ai"], ["Kids Ai"]]
    names = ["Ai", "Shoujo", "Kids", "Shoujo Ai"]
    expected = ref.multi_hot([list(g) for g in nested], names)
    c.close(call(f, [list(g) for g in nested], list(names)), expected, "names that contain one another")
    expected = ref.multi_hot([["Kids"]], ["Kids"])
    c.close(call(f, [["Kids"]], ["Kids"]), expected, "one show, one genre")
