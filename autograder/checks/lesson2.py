"""Visible checks of lesson 2 (cleaning). Invented sentences and small literal values only:
this module ships to students, who have neither ``anime_genre`` nor MyAnimeList text."""
from __future__ import annotations

import numpy as np

from autograder.core import call, exercise

BAN = ("no synopsis", "recap", "ova", "music video", "station ID")
STOP = frozenset({"the", "a", "an", "of", "at", "is", "and", "to", "her"})


@exercise("l2_is_placeholder", points=1, reference="anime_genre.clean:is_placeholder")
def check_is_placeholder(c, is_placeholder):
    c.equal(call(is_placeholder, "No synopsis information has been added to this title. Help improve"), True,
            "the long placeholder", hint="use PLACEHOLDER_RE.match(text)")
    c.equal(call(is_placeholder, "No synopsis has been added for this series yet."), True,
            "the short placeholder", hint="'information ' is optional in the pattern")
    c.equal(call(is_placeholder, "  no synopsis has been added for this series yet."), True,
            "leading spaces and lower case", hint="the pattern ignores case and leading spaces")
    c.equal(call(is_placeholder, "A girl says there is no synopsis has been added."), False,
            "the phrase in the middle of a real text", hint="match only at the start")


@exercise("l2_find_ban_words", points=2, reference="anime_genre.clean:find_ban_words")
def check_find_ban_words(c, find_ban_words):
    c.equal(call(find_ban_words, "A recap of the first season.", BAN), ["recap"], "one ban word")
    c.equal(call(find_ban_words, "The Nova fleet sends a MUSIC VIDEO.", BAN), ["ova", "music video"],
            "case-insensitive, inside words, in list order",
            hint="lower-case the text and each ban word; test `word in text`")
    c.equal(call(find_ban_words, "A STATION id jingle", BAN), ["station ID"],
            "a ban word with capitals is returned as written in the list")
    c.equal(call(find_ban_words, "Two sisters open a bakery.", BAN), [], "no ban word: empty list")
    c.equal(call(find_ban_words, "", BAN), [], "empty text")


@exercise("l2_remove_non_alpha", points=1, reference="anime_genre.clean:remove_non_alpha")
def check_remove_non_alpha(c, remove_non_alpha):
    c.equal(call(remove_non_alpha, "duel at 5:00!"), "duel at" + " " * 6, "digits and punctuation become spaces",
            hint="one output character per input character: ch if ch.isalpha() else ' '")
    c.equal(call(remove_non_alpha, "Rin's café—night"), "Rin s café night", "accents stay, apostrophe and dash go",
            hint="str.isalpha() is true for accented letters too")
    c.equal(call(remove_non_alpha, ""), "", "empty text")


@exercise("l2_remove_stop_words", points=1, reference="anime_genre.clean:remove_stop_words")
def check_remove_stop_words(c, remove_stop_words):
    c.equal(call(remove_stop_words, ["the", "duel", "at", "dawn", "the", "end"], STOP),
            ["duel", "dawn", "end"], "stop words removed, order and repeats kept")
    c.equal(call(remove_stop_words, ["The", "duel"], STOP), ["The", "duel"],
            "no lower-casing inside this step", hint="compare tokens exactly; lower-casing is an earlier step")
    c.equal(call(remove_stop_words, [], STOP), [], "no tokens")


@exercise("l2_filter_vocabulary", points=1, reference="anime_genre.clean:filter_vocabulary")
def check_filter_vocabulary(c, filter_vocabulary):
    vocab = {"duel": 0, "dawn": 1, "city": 2}
    c.equal(call(filter_vocabulary, ["duel", "vampire", "dawn", "duel", "mecha"], vocab),
            ["duel", "dawn", "duel"], "a dict vocabulary")
    c.equal(call(filter_vocabulary, ["city", "idol"], ["city", "town"]), ["city"], "a list vocabulary",
            hint="turn a list into a set first: `in` on a list is slow")
    c.equal(call(filter_vocabulary, ["idol"], vocab), [], "nothing kept")


@exercise("l2_vocabulary_coverage", points=2, reference="anime_genre.clean:vocabulary_coverage")
def check_vocabulary_coverage(c, vocabulary_coverage):
    docs = [["duel", "vampire", "dawn"], ["duel"], ["mecha", "idol"]]
    c.close(call(vocabulary_coverage, docs, {"duel", "dawn"}), 0.5, "3 of 6 tokens covered",
            hint="count tokens with repetition over all documents, not distinct words")
    c.close(call(vocabulary_coverage, [["a", "a", "b"]], ["a"]), 2 / 3, "repeats count")
    c.close(call(vocabulary_coverage, [[], []], {"a"}), 0.0, "no tokens at all: 0.0, not a division error")
    c.close(call(vocabulary_coverage, [["duel", "dawn"], ["city"]], {"duel": 0, "city": 1}), 2 / 3,
            "a dict vocabulary (its keys)")


@exercise("l2_looks_truncated", points=2, reference="anime_genre.clean:looks_truncated")
def check_looks_truncated(c, looks_truncated):
    cases = [("ches are individuals with strange powers.", True, "starts mid-word in lower case"),
             ("other day, another bounty.", True, "a lower-case first letter"),
             ("Witches are individuals with strange powers.", False, "a capital letter"),
             ('"Cowboys" roam the solar system.', False, "a quotation mark"),
             ("12-year-old Mia moves to Osaka.", False, "a digit"),
             (", and the city sleeps.", True, "a comma cannot start a synopsis"),
             ("   Deep in the forest...", False, "leading spaces are ignored"),
             ("", False, "empty text: nothing to say")]
    for text, expected, name in cases:
        c.equal(call(looks_truncated, text), expected, name,
                hint="look at the first non-space character: lower case, or not a letter, digit "
                     "or one of SENTENCE_OPENERS, means truncated")


@exercise("l2_frequent_genres", points=1, reference="anime_genre.clean:frequent_genres")
def check_frequent_genres(c, frequent_genres):
    lists = [["Action", "Drama"], ["Action"], ["Drama", "Action"], ["Mecha"], ["Action", "Action"]]
    c.equal(call(frequent_genres, lists, 2), ["Action", "Drama"], "genres with >= 2 shows, sorted by name",
            hint="a genre listed twice for one show counts once")
    c.equal(call(frequent_genres, lists, 5), [], "none frequent enough")
    c.equal(call(frequent_genres, lists, 1), ["Action", "Drama", "Mecha"], "min_count 1 keeps all")
    c.equal(call(frequent_genres, [["Shoujo Ai"], ["Shoujo Ai", "Shoujo"], ["Ai"]], 2), ["Shoujo Ai"],
            "genre names that contain one another (Shoujo, Shoujo Ai) are different genres",
            hint="count whole names (collections.Counter over set(genres) of each show)")


@exercise("l2_multi_hot", points=2, reference="anime_genre.clean:multi_hot")
def check_multi_hot(c, multi_hot):
    c.close(call(multi_hot, [["Action", "Drama"], [], ["Mecha", "Drama"]], ["Action", "Drama"]),
            [[1.0, 1.0], [0.0, 0.0], [0.0, 1.0]], "3 shows x 2 genres; Mecha ignored",
            hint="Y[i, j] = 1.0 if genre_names[j] is among show i's genres")
    c.close(call(multi_hot, [["Action", "Drama"], [], ["Mecha", "Drama"]], ["Mecha", "Action"]),
            [[0.0, 1.0], [0.0, 0.0], [1.0, 0.0]], "columns in the order of genre_names (not sorted)",
            hint="column j is genre_names[j]: {name: j for j, name in enumerate(genre_names)}")
    c.close(call(multi_hot, [["Action"]], ["Action", "Drama"]), [[1.0, 0.0]], "a float64 numpy array",
            dtype="float64", kind=np.ndarray, hint="np.zeros((n, k)) is float64")
    c.close(call(multi_hot, [], ["Action"]), np.zeros((0, 1)), "no shows: shape (0, n_genres)",
            hint="np.zeros((len(genre_lists), len(genre_names)))")
    c.close(call(multi_hot, [["Shoujo Ai"], ["Shoujo"], ["Ai"]], ["Shoujo", "Shoujo Ai", "Ai"]),
            [[0.0, 1.0, 0.0], [1.0, 0.0, 0.0], [0.0, 0.0, 1.0]],
            "genre names that contain one another (Shoujo, Shoujo Ai): whole names only",
            hint="compare whole names (a set or dict of names), not substrings of a joined string")
