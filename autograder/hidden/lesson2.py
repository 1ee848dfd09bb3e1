"""Hidden checks of lesson 2: the reference package on inputs the student never saw.

Each expected value is computed before the student's function sees the input: a student
function run in the same process (a notebook's check cell) could change a list it is given."""
from __future__ import annotations

import numpy as np

from anime_genre import clean as ref
from anime_genre import split as ref_split
from autograder.core import call, hidden, hidden_rng

TEXTS = ("", "   ", "a", "No synopsis information has been added.", "Innovation in the BD era, behalf of it",
         "ünter den Linden", "¿Quién? 2084: the year.", "x" * 50 + " Recap!", "\n\nThe end")


@hidden("l2_is_placeholder")
def hidden_is_placeholder(c, f):
    for t in TEXTS + ("NO SYNOPSIS INFORMATION HAS BEEN ADDED", "No synopsis yet",
                      # the phrase inside a real text: not a placeholder
                      "Her diary says: no synopsis has been added to this life.",
                      "Rin writes 'No synopsis information has been added' on the board."):
        expected = ref.is_placeholder(t)
        with c.answer(expected):
            c.equal(call(f, t), expected, f"is_placeholder({t[:30]!r})")


@hidden("l2_find_ban_words")
def hidden_find_ban_words(c, f):
    for t in TEXTS:
        expected = ref.find_ban_words(t, ref.ORIGINAL_BAN_WORDS)
        with c.properties(when=not expected):
            c.equal(call(f, t, ref.ORIGINAL_BAN_WORDS), expected, f"original list on {t[:30]!r}")
    with c.properties():
        c.equal(call(f, "anything", []), [], "empty ban list")


@hidden("l2_remove_non_alpha")
def hidden_remove_non_alpha(c, f):
    for t in TEXTS + ("tab\tand\u00a0nbsp", "日本語のテキスト123"):
        expected = ref.remove_non_alpha(t)
        with c.properties(when=expected == t):     # the text as it came: identity passes
            c.equal(call(f, t), expected, f"remove_non_alpha({t[:30]!r})")


@hidden("l2_remove_stop_words")
def hidden_remove_stop_words(c, f):
    toks = "the cat and the hat of an island it is you".split()
    expected = ref.remove_stop_words(toks, ref.STOP_WORDS)
    c.equal(call(f, toks, ref.STOP_WORDS), expected, "scikit-learn's list")
    toks = "the cat and the hat of an island it is you".split()
    with c.properties():
        c.equal(call(f, toks, set()), list(toks), "empty stop list keeps everything")


@hidden("l2_filter_vocabulary")
def hidden_filter_vocabulary(c, f):
    for vocab in ({"a": 1}, ["b", ""], set(), ("zz",)):
        toks = ["a", "b", "a", "zz", ""]
        expected = ref.filter_vocabulary(toks, vocab)
        with c.properties(when=not expected):
            c.equal(call(f, toks, vocab), expected, f"vocabulary {vocab!r}")


@hidden("l2_vocabulary_coverage")
def hidden_vocabulary_coverage(c, f):
    rng = hidden_rng(21)
    words = [f"w{i}" for i in range(30)]
    docs = [[words[j] for j in rng.integers(0, 30, rng.integers(0, 12))] for _ in range(40)]
    vocab = set(words[:11])
    expected = ref.vocabulary_coverage(docs, vocab)
    c.close(call(f, docs, vocab), expected, "40 random documents")
    with c.properties():
        c.close(call(f, [["x"]], []), 0.0, "one token, empty vocabulary")


@hidden("l2_looks_truncated")
def hidden_looks_truncated(c, f):
    for t in TEXTS + ("éclair shop opens.", "Éclair shop opens.", "(Part two) begins", "—and then", "* Based on"):
        expected = ref.looks_truncated(t)
        with c.answer(expected):
            c.equal(call(f, t), expected, f"looks_truncated({t[:30]!r})")


@hidden("l2_frequent_genres")
def hidden_frequent_genres(c, f):
    for m in (0, 1, 2, 3):
        lists = [["Space"], [], ["Space", "Cars"], ["Cars"], ["Yaoi"]]   # fresh: f may change it
        expected = ref.frequent_genres(lists, m)
        with c.properties(when=not expected):
            c.equal(call(f, lists, m), expected, f"min_count {m}")
    with c.properties():
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


# ----------------------------------------------------------------------------- the cleaning report

_TYPES = ("TV", "Movie", "OVA", "Special") * 4 + ("ONA", "Music", "Unknown", " TV", "tv", None, float("nan"))
_GENRES = ("Action", "Drama", "Comedy", "Slice of Life", "Shoujo Ai", "Shoujo", "Cars", "Dementia")
_WORDS = ("the", "duel", "nova", "seasoned", "Recap", "girl", "city", "abducted", "film", "of",
          "robot", "behalf", "love", "(Source: ANN)", "[Written by MAL Rewrite]", "ghost", "a", "boy",
          "school", "sea", "war", "friend", "is", "in", "his", "her", "to", "and", "night", "town")
_BAN = ("ova", "season", "bd", "film", "half", "recap", "DUEL")
_SPECIAL = (None, float("nan"), "", "   \n", "No synopsis information has been added to this title.",
            "  no synopsis has been added for this series yet. Click here", "No synopsis yet, sorry.",
            "A girl. No synopsis has been added here.")


def _frame(rng, n):
    """Columns (types, synopses, genres) of n random rows: every rule, and rows failing several."""
    types = [_TYPES[rng.integers(len(_TYPES))] for _ in range(n)]
    synopses = []
    for _ in range(n):
        if rng.random() < 0.25:
            synopses.append(_SPECIAL[rng.integers(len(_SPECIAL))])
        else:
            words = [_WORDS[j] for j in rng.integers(0, len(_WORDS), rng.integers(1, 16))]
            synopses.append(" ".join(words).capitalize() + ".")
    genres = []
    for _ in range(n):
        u = rng.random()
        if u < 0.06:
            genres.append([None, float("nan"), "", " , "][rng.integers(4)])
        elif u < 0.14:
            genres.append("Unknown" if rng.random() < 0.7 else "Unknown, ")
        else:
            # Zipf-like: the last genres are rare
            gs = [g for j, g in enumerate(_GENRES) if rng.random() < 0.6 / (j + 1)] or [_GENRES[rng.integers(8)]]
            genres.append((", " if rng.random() < 0.8 else " ,").join(gs))
    return types, synopses, genres


def _settings(rng):
    keep = ["TV", "Movie"] + [t for t in ("OVA", "Special", "ONA") if rng.random() < 0.6]
    ban = tuple(str(w) for w in rng.choice(_BAN, 2, replace=False)) if rng.random() < 0.6 else ()
    return {"keep_types": tuple(keep), "min_words": int(rng.integers(0, 12)),
            "min_genre_count": int(rng.integers(1, 7)), "ban_words": ban}


@hidden("l2_clean_rows")
def hidden_clean_rows(c, f):
    rng = hidden_rng(22)
    for case in range(4):
        n = int(rng.integers(40, 160))
        kw = _settings(rng)
        seed = int(rng.integers(2**31))      # the same frame, made afresh, for each side
        expected = ref.clean_rows(*_frame(np.random.default_rng(seed), n), **kw)
        got: list = []

        def result(seed=seed, kw=kw, n=n, got=got):
            if not got:
                got.append(f(*_frame(np.random.default_rng(seed), n), **kw))
            return got[0]
        c.equal(call(lambda r=result: r()[0]), expected[0], f"random frame {case + 1} ({n} rows): the rule of each row")
        c.equal(call(lambda r=result: r()[1]), expected[1], f"random frame {case + 1}: the report")
    kw = {"keep_types": ("TV", "Movie"), "min_words": 3, "min_genre_count": 2, "ban_words": ()}
    seed = int(rng.integers(2**31))
    expected = ref.clean_rows(*_frame(np.random.default_rng(seed), 1), **kw)
    c.equal(call(lambda: f(*_frame(np.random.default_rng(seed), 1), **kw)), expected, "one row")


# ----------------------------------------------------------------------------- the stratified split

def _labels(rng, n, k):
    p = rng.uniform(0.3, 0.6) / (np.arange(k) + 1) ** rng.uniform(0.5, 1.5)
    Y = (rng.random((n, k)) < p).astype(np.float64)
    Y[rng.random(n) < 0.1] = 0.0                         # shows without a genre
    return Y if rng.random() < 0.5 else Y.astype(np.int64)


@hidden("l2_iterative_stratification")
def hidden_iterative_stratification(c, f):
    rng = hidden_rng(23)
    choices = ((0.7, 0.1, 0.2), (0.8, 0.2), (1, 1, 1), (2, 1, 1, 1), (0.6, 0.2, 0.2), (5, 0, 1))
    for case in range(5):
        n, k = int(rng.integers(5, 260)), int(rng.integers(1, 9))
        Y = _labels(rng, n, k)
        props = choices[rng.integers(len(choices))]
        seed = int(rng.integers(1000))
        expected = ref_split.iterative_stratification(Y.copy(), props, seed)
        c.equal(call(lambda Y=Y, props=props, seed=seed: f(Y.copy(), props, seed)), expected,
                f"random labels {case + 1}: {n} shows x {k} genres, proportions {props}")
    Y = np.zeros((7, 3))
    Y[:, 1] = 1.0                                         # every show has the same one genre
    expected = ref_split.iterative_stratification(Y.copy(), (0.5, 0.5), 11)
    c.equal(call(lambda: f(Y.copy(), (0.5, 0.5), 11)), expected, "every show with the same genre: coins decide")
