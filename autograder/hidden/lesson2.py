"""Hidden checks of lesson 2: the reference package on inputs the student never saw."""
from __future__ import annotations

import numpy as np

from anime_genre import clean as ref
from autograder.core import hidden

TEXTS = ["", "   ", "a", "No synopsis information has been added.", "Innovation in the BD era, behalf of it",
         "ünter den Linden", "¿Quién? 2084: the year.", "x" * 50 + " Recap!", "\n\nThe end"]


@hidden("l2_is_placeholder")
def hidden_is_placeholder(c, f):
    for t in TEXTS + ["NO SYNOPSIS INFORMATION HAS BEEN ADDED", "No synopsis yet"]:
        c.equal(f(t), ref.is_placeholder(t), f"is_placeholder({t[:30]!r})")


@hidden("l2_find_ban_words")
def hidden_find_ban_words(c, f):
    for t in TEXTS:
        c.equal(f(t, ref.ORIGINAL_BAN_WORDS), ref.find_ban_words(t, ref.ORIGINAL_BAN_WORDS),
                f"original list on {t[:30]!r}")
    c.equal(f("anything", []), [], "empty ban list")


@hidden("l2_remove_non_alpha")
def hidden_remove_non_alpha(c, f):
    for t in TEXTS + ["tab\tand\u00a0nbsp", "日本語のテキスト123"]:
        c.equal(f(t), ref.remove_non_alpha(t), f"remove_non_alpha({t[:30]!r})")


@hidden("l2_remove_stop_words")
def hidden_remove_stop_words(c, f):
    toks = "the cat and the hat of an island it is you".split()
    c.equal(f(toks, ref.STOP_WORDS), ref.remove_stop_words(toks, ref.STOP_WORDS), "scikit-learn's list")
    c.equal(f(toks, set()), toks, "empty stop list keeps everything")


@hidden("l2_filter_vocabulary")
def hidden_filter_vocabulary(c, f):
    toks = ["a", "b", "a", "zz", ""]
    for vocab in ({"a": 1}, ["b", ""], set(), ("zz",)):
        c.equal(f(toks, vocab), ref.filter_vocabulary(toks, vocab), f"vocabulary {vocab!r}")


@hidden("l2_vocabulary_coverage")
def hidden_vocabulary_coverage(c, f):
    rng = np.random.default_rng(2)
    words = [f"w{i}" for i in range(30)]
    docs = [[words[j] for j in rng.integers(0, 30, rng.integers(0, 12))] for _ in range(40)]
    vocab = set(words[:11])
    c.close(f(docs, vocab), ref.vocabulary_coverage(docs, vocab), "40 random documents")
    c.close(f([["x"]], []), 0.0, "one token, empty vocabulary")


@hidden("l2_looks_truncated")
def hidden_looks_truncated(c, f):
    for t in TEXTS + ["éclair shop opens.", "Éclair shop opens.", "(Part two) begins", "—and then", "* Based on"]:
        c.equal(f(t), ref.looks_truncated(t), f"looks_truncated({t[:30]!r})")


@hidden("l2_frequent_genres")
def hidden_frequent_genres(c, f):
    lists = [["Space"], [], ["Space", "Cars"], ["Cars"], ["Yaoi"]]
    for m in (0, 1, 2, 3):
        c.equal(f(lists, m), ref.frequent_genres(lists, m), f"min_count {m}")
    c.equal(f([], 1), [], "no shows")


@hidden("l2_multi_hot")
def hidden_multi_hot(c, f):
    lists = [["Space"], [], ["Space", "Cars", "Never Seen"], ["Cars", "Cars"]]
    names = ["Cars", "Kids", "Space"]
    c.close(f(lists, names), ref.multi_hot(lists, names), "a genre never seen, a repeated genre")
    unsorted = ["Space", "Kids", "Cars"]
    c.close(f(lists, unsorted), ref.multi_hot(lists, unsorted), "genre_names not in alphabetical order")
    c.close(f([["Kids"]], ["Kids"]), ref.multi_hot([["Kids"]], ["Kids"]), "one show, one genre")
