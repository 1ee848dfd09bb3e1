"""Cleaning the synopsis corpus, one small step per function.

The steps follow the original project (yh08037/anime-genre-classification, clean_data/):
type filter, missing values, the unusable-synopsis filter, lower-casing, removal of
non-alphabetic characters, stop words, vocabulary filter. Three steps are new: removal of the
source note that ends many synopses ("(Source: ANN)", "[Written by MAL Rewrite]": lesson 1's
``split_source_tail``), detection of the mal2020 synopses that lost their leading characters,
and a genre filter with a minimum count.

The text functions take and return plain values (a string, a list of tokens) so that lesson 2
can mirror them one by one; :func:`clean_corpus` does the DataFrame plumbing and returns a
report in which every input row is accounted for.
"""
from __future__ import annotations

import hashlib
import inspect
import re
from collections import Counter

import numpy as np
import pandas as pd
from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS

from . import words
from .errors import UserError
# The cleaning's source-note step is lesson 1's function (one definition for both).
from .scrape import split_source_tail  # noqa: F401

# The types the original kept; ONA, Music and Unknown were dropped.
KEEP_TYPES = ("TV", "Movie", "OVA", "Special")
# Every type value MyAnimeList used in the 2020 export; anything else is recorded as unknown.
KNOWN_TYPES = ("TV", "Movie", "OVA", "Special", "ONA", "Music", "Unknown")

# The original's list, as written in its clean_data notebook. It matched each entry as a
# case-insensitive regular expression *anywhere* in the synopsis (pandas str.contains), so
# "ova" also removes "nova" and "innovation", "bd" removes "abducted", "half" removes "behalf"
# and "season" removes "seasoned": on its scraped table it cut 14,086 rows to 6,984.
ORIGINAL_BAN_WORDS = (
    "no synopsis", "anime", "animation", "animated", "movie", "cinema", "film", "screened",
    "tv series", "manga", "novel", "prequel", "sequel", "compilation", "recap", "project",
    "summary", "based on", "season", "half", "commercial", "episode", "condensed", "collection",
    "ova", "dvd", "blu-ray", "bd", "spin-off", "spin off", "station ID", "chapter", "television",
    "continuation", "advertisement", "tv show", "tv program", "tv special", "promotional", "aired",
    "graduation", "safety", "educational", "retelling", "remake", "released", "collaboration",
    "education", "featured", "featuring",
)
# Words the original removed after the PTB filter (its second "ban" list, on tokens).
ORIGINAL_BAN_TOKENS = (
    "short", "story", "stories", "video", "series", "extra", "version", "special", "included",
    "created", "continuing", "continued", "continues", "main", "characters", "involving",
    "involved", "involves", "plot", "named", "chan", "san", "character",
)

# MyAnimeList's two placeholder texts, both matched by PLACEHOLDER_RE: the newer wording
# (709 rows of mal2020) and the older one (36 rows), each followed by a request for help.
PLACEHOLDER_FORMS = ("No synopsis information has been added to this title.",
                     "No synopsis has been added for this series yet.")
PLACEHOLDER_RE = re.compile(r"^\s*no synopsis (information )?has been added", re.IGNORECASE)

# scikit-learn's list (318 words), kept by its maintainers, rather than one typed here.
STOP_WORDS = frozenset(ENGLISH_STOP_WORDS)

# Characters a real synopsis may start with besides letters and digits.
SENTENCE_OPENERS = "\"'([“‘¡¿*«<#$"


# ----------------------------------------------------------------------------- rows

def keep_type(type_: str, keep=KEEP_TYPES) -> bool:
    """True if an anime of this type is kept (the original kept TV, Movie, OVA, Special)."""
    return type_ in keep


def is_missing(value) -> bool:
    """True for None, NaN and text that is empty after stripping white space."""
    if value is None:
        return True
    if isinstance(value, float) and value != value:  # NaN from pandas
        return True
    return isinstance(value, str) and not value.strip()


def is_placeholder(text: str) -> bool:
    """True for MyAnimeList's 'No synopsis ... has been added' texts."""
    return bool(PLACEHOLDER_RE.match(text))


def placeholder_form(text: str) -> str | None:
    """Which of :data:`PLACEHOLDER_FORMS` ``text`` is (its first sentence as listed there),
    or None if it is not a placeholder."""
    match = PLACEHOLDER_RE.match(text)
    if match is None:
        return None
    return PLACEHOLDER_FORMS[0] if match.group(1) else PLACEHOLDER_FORMS[1]


def find_ban_words(text: str, ban_words=ORIGINAL_BAN_WORDS) -> list:
    """The ban words found in ``text``, in list order, matched as the original did:
    case-insensitive, anywhere in the text, also inside longer words."""
    low = text.lower()
    return [w for w in ban_words if w.lower() in low]


def count_words(text: str) -> int:
    """Number of white-space separated words."""
    return len(text.split())


def looks_truncated(text: str) -> bool:
    """True if a synopsis seems to have lost its leading characters.

    The mal2020 export cut 1-10 characters off about 30% of its synopses ("ches are
    individuals..." for "Witches are individuals..."). A real synopsis starts with a capital
    letter, a digit, a quote or a bracket; a cut one usually starts mid-word in lower case.
    Measured against the mal2023 sample on the ids it shares with mal2020 (white space
    collapsed): 403 of the 424 synopses whose 2023 text is the same with 1-10 more characters
    at its start are flagged, and none of the 1,082 identical ones
    (``tests/test_clean.py::test_looks_truncated_against_the_intact_2023_text``).
    Cuts that happen to end before a capitalised word ("Chinese Ghost Story is..." for
    "A Chinese Ghost Story is...") cannot be seen from the text alone.
    """
    stripped = text.lstrip()
    if not stripped:
        return False
    first = stripped[0]
    if first.islower():
        return True
    return not (first.isalnum() or first in SENTENCE_OPENERS)


# ----------------------------------------------------------------------------- tokens

def to_lower(text: str) -> str:
    """Lower-cased text."""
    return text.lower()


def remove_non_alpha(text: str) -> str:
    """Every character that is not a letter becomes a space (digits and punctuation too).

    Uses ``str.isalpha``, as the original did, so accented letters stay."""
    return "".join(ch if ch.isalpha() else " " for ch in text)


def tokenize(text: str) -> list:
    """Split on white space."""
    return text.split()


def remove_stop_words(tokens: list, stop_words=STOP_WORDS) -> list:
    """Tokens that are not stop words, in order."""
    return [t for t in tokens if t not in stop_words]


def filter_vocabulary(tokens: list, vocabulary) -> list:
    """Tokens that are in ``vocabulary`` (a set, dict or list), in order."""
    vocab = vocabulary if isinstance(vocabulary, (set, frozenset, dict)) else set(vocabulary)
    return [t for t in tokens if t in vocab]


def strip_source_tail(text: str) -> str:
    """The synopsis without its final source note ("(Source: ANN)", "[Written by MAL
    Rewrite]", ...), white space collapsed: the text part of :func:`split_source_tail`."""
    return split_source_tail(text)[0]


def normalize(text: str, stop_words=STOP_WORDS) -> list:
    """Source note removed, lower-case, letters only, split, stop words removed.

    The same steps as the ``Text`` column of :func:`clean_corpus` (canonical settings), so a
    synopsis given at prediction time is cleaned exactly like the training synopses (one
    definition, in :mod:`anime_genre.words`, which prediction imports without pandas)."""
    return words.normalize(text, stop_words or frozenset())


def vocabulary_coverage(token_lists: list, vocabulary) -> float:
    """Share of all tokens (counted with repetition) that are in ``vocabulary``; 0.0 if there
    are no tokens at all."""
    vocab = vocabulary if isinstance(vocabulary, (set, frozenset, dict)) else set(vocabulary)
    total = 0
    kept = 0
    for tokens in token_lists:
        total += len(tokens)
        kept += sum(1 for t in tokens if t in vocab)
    return kept / total if total else 0.0


# ----------------------------------------------------------------------------- genres

def split_genres(value: str) -> list:
    """'Action, Sci-Fi' -> ['Action', 'Sci-Fi']; empty entries dropped; 'Unknown' kept as is
    (the caller decides what an unknown genre means)."""
    return [g.strip() for g in value.split(",") if g.strip()]


def genre_counts(genre_lists: list) -> dict:
    """Number of shows per genre, most frequent first (ties by name)."""
    counts = Counter(g for genres in genre_lists for g in set(genres))
    return dict(sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])))


def frequent_genres(genre_lists: list, min_count: int = 20) -> list:
    """Genres carried by at least ``min_count`` shows, sorted by name."""
    counts = Counter(g for genres in genre_lists for g in set(genres))
    return sorted(g for g, n in counts.items() if n >= min_count)


def multi_hot(genre_lists: list, genre_names: list) -> np.ndarray:
    """(n_shows, n_genres) float64 matrix: 1.0 where show i has genre ``genre_names[j]``.

    Genres not in ``genre_names`` are ignored (count them with :func:`unknown_genres`)."""
    index = {g: j for j, g in enumerate(genre_names)}
    Y = np.zeros((len(genre_lists), len(genre_names)), dtype=np.float64)
    for i, genres in enumerate(genre_lists):
        for g in genres:
            j = index.get(g)
            if j is not None:
                Y[i, j] = 1.0
    return Y


def unknown_genres(genre_lists: list, genre_names: list) -> dict:
    """Genres outside ``genre_names`` with the number of shows carrying each."""
    known = set(genre_names)
    counts = Counter(g for genres in genre_lists for g in set(genres) if g not in known)
    return dict(sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])))


# ----------------------------------------------------------------------------- the pipeline

# The row rules of the cleaning, in the order they are applied (lesson 2's clean_rows).
CLEANING_RULES = ("type", "missing", "placeholder", "no_genre_information", "too_short",
                  "ban_words", "only_rare_genres")


def clean_rows(types: list, synopses: list, genres: list, keep_types=KEEP_TYPES, min_words: int = 20,
               min_genre_count: int = 20, ban_words=()):
    """The cleaning's row rules, applied in the order of :data:`CLEANING_RULES`: each row is
    kept, or removed by the first rule it fails (and counted under that rule only).

    ``types``, ``synopses``, ``genres``: lists of n values, one per row (str; a value that is
    not a str, e.g. None or NaN, is missing); ``genres`` are comma-separated names. Rules: type
    not in ``keep_types``; synopsis or genres missing or blank; a placeholder
    (:func:`is_placeholder`); no genre but "Unknown"; fewer than ``min_words`` words (a source
    note's words count); a ban word (only if ``ban_words`` is not empty); none of the row's
    genres carried by ``min_genre_count`` of the rows left by the rules before.

    Returns ``(removed_by, report)``: ``removed_by`` a list of n values, None for a kept row,
    else the rule's name; ``report`` = {"rows in": n, each rule in order: rows it removed,
    "rows out": rows kept}, which adds up. Shared by :func:`clean_corpus` and lesson 2.
    """
    n = len(types)
    removed_by = [None] * n

    def drop(rule, fails):
        for i in range(n):
            if removed_by[i] is None and fails(i):
                removed_by[i] = rule

    def present(value):
        return isinstance(value, str) and value.strip() != ""

    drop("type", lambda i: types[i] not in keep_types)
    drop("missing", lambda i: not (present(synopses[i]) and present(genres[i])))
    drop("placeholder", lambda i: is_placeholder(synopses[i]))
    # 'Unknown' is MyAnimeList's way of saying that the show has no genre information
    genre_lists = [[g.strip() for g in x.split(",") if g.strip() not in ("", "Unknown")]
                   if present(x) else [] for x in genres]
    drop("no_genre_information", lambda i: not genre_lists[i])
    drop("too_short", lambda i: len(synopses[i].split()) < min_words)
    drop("ban_words", lambda i: len(ban_words) > 0 and len(find_ban_words(synopses[i], ban_words)) > 0)
    frequent = set(frequent_genres([genre_lists[i] for i in range(n) if removed_by[i] is None],
                                   min_genre_count))
    drop("only_rare_genres", lambda i: frequent.isdisjoint(genre_lists[i]))
    report = {"rows in": n}
    for rule in CLEANING_RULES:
        report[rule] = removed_by.count(rule)
    report["rows out"] = removed_by.count(None)
    return removed_by, report


# Increase when the output of clean_corpus changes for the same input. The pipeline's cache
# keys use cleaning_version(), which also hashes the code itself, so a forgotten increase still
# cannot reuse stale cleaned text or the features computed from it.
# 2: source notes removed from Synopsis and Text; SourceTail column; placeholder_forms
CLEAN_VERSION = 2


def cleaning_version() -> str:
    """``"<CLEAN_VERSION>-<hash>"``: the hash covers this module's source, the source-note
    splitter's and the stop-word list, i.e. everything :func:`clean_corpus` computes with.
    Part of the pipeline's cache key of the clean stage."""
    import sys

    h = hashlib.sha256()
    h.update(inspect.getsource(sys.modules[__name__]).encode())
    h.update(inspect.getsource(split_source_tail).encode())
    h.update(" ".join(sorted(STOP_WORDS)).encode())
    return f"{CLEAN_VERSION}-{h.hexdigest()[:12]}"


REQUIRED_COLUMNS = ("MAL_ID", "Name", "Type", "Genres", "Synopsis")


def _check_columns(df: pd.DataFrame) -> None:
    missing = [c for c in REQUIRED_COLUMNS if c not in df.columns]
    if missing:
        raise UserError(f"the corpus table lacks the column(s) {', '.join(missing)}; "
                        f"expected {', '.join(REQUIRED_COLUMNS)} (as written by `anime-genre scrape`)")


def _duplicate_masks(ids: np.ndarray, df: pd.DataFrame):
    """``(copies, conflicting, conflicting_ids)``: rows that repeat an earlier row exactly
    (same MAL_ID, same fields), rows whose MAL_ID is shared by rows that disagree, and those
    ids sorted."""
    keys = [tuple(None if is_missing(v) else str(v) for v in row)
            for row in df[list(REQUIRED_COLUMNS)].itertuples(index=False, name=None)]
    first: dict = {}
    copies = np.zeros(len(ids), dtype=bool)
    clash = set()
    for i, (mal_id, key) in enumerate(zip(ids.tolist(), keys)):
        if mal_id not in first:
            first[mal_id] = key
        elif first[mal_id] == key:
            copies[i] = True
        else:
            clash.add(mal_id)
    conflicting = np.isin(ids, list(clash)) if clash else np.zeros(len(ids), dtype=bool)
    return copies & ~conflicting, conflicting, sorted(clash)


def clean_corpus(df: pd.DataFrame, keep_types=KEEP_TYPES, min_words: int = 20,
                 min_genre_count: int = 20, ban_words=None, stop_words=STOP_WORDS,
                 vocabulary=None, vocabulary_name: str = "vocabulary", source: str = "the table",
                 strip_source_tails: bool = True):
    """Clean a corpus table; returns ``(clean_df, report)``.

    ``df`` has the columns MAL_ID (whole numbers), Name, Type, Genres, Synopsis. The
    canonical settings (the defaults) keep TV/Movie/OVA/Special with a real synopsis of at
    least ``min_words`` words and the genres carried by at least ``min_genre_count`` of the
    remaining shows. ``ban_words`` (e.g. :data:`ORIGINAL_BAN_WORDS`) switches on the
    original's unusable-synopsis filter. Rules are applied in order and each row is removed by
    the first rule it fails, so the counts in ``report["removed"]`` add up to rows in minus
    rows out. The first two rules remove repeated ids: an exact copy of an earlier row, and
    every row of an id whose rows disagree (listed in ``report["conflicting_ids"]``: which
    one is right cannot be told). A MAL_ID that is not a whole number is a
    :class:`UserError` naming ``source`` and the row.

    Placeholders (both of MyAnimeList's wordings, :data:`PLACEHOLDER_FORMS`) are removed by
    the rule "placeholder"; ``report["placeholder_forms"]`` counts each wording. Rules that
    look at the text (placeholder, too_short, ban_words) see the synopsis as published, so
    ``min_words`` counts a source note's words too (on mal2020, counting without them would
    remove 62 more rows).

    ``clean_df`` keeps the input columns (Synopsis without its source note, white space
    collapsed; Genres reduced to the kept genres, joined by ", ") and adds ``SourceTail`` (the
    note removed from the synopsis, "" if none), ``Text`` (the synopsis normalised by
    :func:`normalize`: source note removed, lower case, letters only, stop words removed;
    tokens joined by spaces) and ``Truncated`` (see :func:`looks_truncated`). If
    ``vocabulary`` is given, ``Text`` is also filtered to it and the report gives its
    coverage. ``strip_source_tails=False`` keeps the notes in the text (the cleaning before
    they were removed, for comparisons).
    """
    from .datasets import to_int_column

    _check_columns(df)
    if min_words < 0 or min_genre_count < 1:
        raise UserError(f"min_words must be >= 0 and min_genre_count >= 1, got {min_words} "
                        f"and {min_genre_count}")
    df = df.reset_index(drop=True).copy()
    df["MAL_ID"] = to_int_column(df, "MAL_ID", source)
    n_in = len(df)
    removed: dict = {}
    reasons: dict = {}
    alive = np.ones(n_in, dtype=bool)

    def drop(rule: str, mask, reason: str) -> None:
        hit = np.asarray(mask, dtype=bool).reshape(n_in) & alive
        removed[rule] = int(hit.sum())
        reasons[rule] = reason
        alive[hit] = False

    copies, conflicting, conflicting_ids = _duplicate_masks(df["MAL_ID"].to_numpy(), df)
    drop("duplicate_id", copies, "an exact copy of an earlier row (same MAL_ID, same fields)")
    drop("conflicting_id", conflicting, "MAL_ID shared by rows that disagree: every copy removed")
    types = df["Type"].tolist()
    synopses = df["Synopsis"].tolist()
    genres_raw = df["Genres"].tolist()
    names = df["Name"].tolist()

    unknown_types = Counter(t for t in types if not is_missing(t) and t not in KNOWN_TYPES)
    type_counts = Counter("<missing>" if is_missing(t) else t for t in types)
    text = ["" if is_missing(s) else str(s) for s in synopses]
    # The row rules proper (lesson 2's exercise) on the rows left by the two duplicate rules;
    # a missing name counts as a missing value, like a missing synopsis (rule "missing").
    rest = np.flatnonzero(alive)
    removed_by, counts = clean_rows(
        [types[i] for i in rest],
        [None if is_missing(synopses[i]) or is_missing(names[i]) else text[i] for i in rest],
        [None if is_missing(genres_raw[i]) else str(genres_raw[i]) for i in rest],
        keep_types, min_words, min_genre_count, ban_words or ())
    rule_of = dict(zip(rest.tolist(), removed_by))
    rule_reasons = {
        "type": f"type not in {', '.join(keep_types)}",
        "missing": "empty or missing synopsis, genres or name",
        "placeholder": "MyAnimeList placeholder ("
                       + " or ".join(f"'{f[:-1]}...'" for f in PLACEHOLDER_FORMS) + ")",
        "no_genre_information": "genres empty or 'Unknown'",
        "too_short": f"synopsis shorter than {min_words} words",
        "ban_words": "synopsis contains one of the original project's ban words",
        "only_rare_genres": f"every genre of the show has fewer than {min_genre_count} shows",
    }
    for rule in CLEANING_RULES:
        if rule == "ban_words" and not ban_words:
            continue
        removed[rule] = counts[rule]
        reasons[rule] = rule_reasons[rule]
        alive[[i for i, r in rule_of.items() if r == rule]] = False

    def removed_by_rule(rule: str) -> list:
        return [i for i, r in rule_of.items() if r == rule]

    forms = [placeholder_form(text[i]) for i in removed_by_rule("placeholder")]
    placeholder_forms = {f: forms.count(f) for f in PLACEHOLDER_FORMS}
    ban_hits: Counter = Counter()
    for i in removed_by_rule("ban_words"):
        ban_hits.update(find_ban_words(text[i], ban_words))
    # 'Unknown' is MyAnimeList's way of saying the show has no genre information.
    genre_lists = [[g for g in ([] if is_missing(g) else split_genres(str(g))) if g != "Unknown"]
                   for g in genres_raw]
    # the genres are counted over the rows the last rule, only_rare_genres, saw
    kept_lists = [genre_lists[i] for i, r in rule_of.items() if r in (None, "only_rare_genres")]
    all_counts = genre_counts(kept_lists)
    genre_names = frequent_genres(kept_lists, min_genre_count)
    rare = {g: n for g, n in all_counts.items() if n < min_genre_count}
    keep_set = set(genre_names)
    genre_lists = [[g for g in gl if g in keep_set] for gl in genre_lists]

    # Tokens kept by each text step, over the surviving rows.
    idx = np.flatnonzero(alive)
    tokens_steps = {"words": 0, "without_source_tail": 0, "letters_only": 0,
                    "without_stop_words": 0}
    bodies, tails = [], []
    token_lists = []
    for i in idx:
        s = text[i]
        tokens_steps["words"] += len(s.split())
        if strip_source_tails:
            s, tail = split_source_tail(s)
        else:
            tail = ""
        bodies.append(s)
        tails.append(tail)
        tokens_steps["without_source_tail"] += len(s.split())
        letters = remove_non_alpha(s.lower()).split()
        tokens_steps["letters_only"] += len(letters)
        toks = remove_stop_words(letters, stop_words) if stop_words else letters
        tokens_steps["without_stop_words"] += len(toks)
        token_lists.append(toks)
    coverage = None
    if vocabulary is not None:
        vocab = set(vocabulary)
        coverage = vocabulary_coverage(token_lists, vocab)
        token_lists = [filter_vocabulary(t, vocab) for t in token_lists]
        tokens_steps[f"in_{vocabulary_name}"] = sum(len(t) for t in token_lists)
    texts_out = [" ".join(t) for t in token_lists]

    out = df.iloc[idx].copy().reset_index(drop=True)
    out["Genres"] = [", ".join(g for g in genre_lists[i]) for i in idx]
    out["Synopsis"] = bodies
    out["SourceTail"] = tails
    out["Text"] = texts_out
    out["Truncated"] = [looks_truncated(text[i]) for i in idx]

    report = {
        "rows_in": n_in,
        "removed": removed,
        "reasons": reasons,
        "rows_out": int(alive.sum()),
        "types_in": dict(sorted(type_counts.items())),
        "unknown_types": dict(unknown_types),
        "genres": genre_names,
        "n_genres": len(genre_names),
        "genre_counts": {g: all_counts[g] for g in genre_names},
        "genres_dropped_rare": rare,
        "conflicting_ids": [int(i) for i in conflicting_ids],
        "unknown_genre_rows": int(sum(1 for g in genres_raw
                                      if not is_missing(g) and "Unknown" in split_genres(str(g)))),
        "ban_word_hits": dict(ban_hits.most_common()),
        "placeholder_forms": placeholder_forms,
        "source_tail_rows": sum(1 for t in tails if t),
        # the notes by source, most frequent first ("(Source: ANN)" and "(Source: ANN) Based
        # on ..." both count as "(Source: ANN)")
        "source_tails": dict(Counter(_tail_source(t) for t in tails if t).most_common()),
        "tokens": tokens_steps,
        "truncated_rows": int(out["Truncated"].sum()),
        "settings": {"keep_types": list(keep_types), "min_words": min_words,
                     "min_genre_count": min_genre_count, "ban_words": bool(ban_words),
                     "stop_words": bool(stop_words), "strip_source_tails": bool(strip_source_tails),
                     "vocabulary": vocabulary_name if vocabulary is not None else None},
    }
    if coverage is not None:
        report["vocabulary_coverage"] = coverage
        # Share of the synopses' words that survive stop words *and* the vocabulary filter:
        # what the original's model actually saw.
        words = tokens_steps["words"]
        report["vocabulary_kept_share"] = tokens_steps[f"in_{vocabulary_name}"] / words if words else 0.0
    assert report["rows_in"] - sum(removed.values()) == report["rows_out"]
    return out, report


def _tail_source(tail: str) -> str:
    """The source note of a tail without what follows it: "(Source: ANN) Based on ..." ->
    "(Source: ANN)"."""
    match = re.match(r"[\[(][^\[\]()]*[\])]", tail)
    return match.group(0) if match else tail


def format_report(report: dict) -> str:
    """The cleaning report as a few lines of text."""
    lines = [f"rows in: {report['rows_in']}"]
    for rule, n in report["removed"].items():
        lines.append(f"  removed by {rule:<22} {n:>6}  ({report['reasons'][rule]})")
    lines.append(f"rows out: {report['rows_out']}  ({report['n_genres']} genres)")
    if report.get("conflicting_ids"):
        ids = report["conflicting_ids"]
        lines.append(f"MAL_IDs whose rows disagree (every copy removed): "
                     f"{', '.join(map(str, ids[:10]))}" + (f" and {len(ids) - 10} more" if len(ids) > 10 else ""))
    if report.get("unknown_types"):
        lines.append(f"unknown types: {report['unknown_types']}")
    if report.get("genres_dropped_rare"):
        lines.append(f"genres dropped (too rare): {report['genres_dropped_rare']}")
    if report.get("placeholder_forms"):
        lines.append("placeholders removed: " + ", ".join(
            f"{n} '{form}'" for form, n in report["placeholder_forms"].items()))
    if "source_tail_rows" in report:
        top = list(report.get("source_tails", {}).items())[:5]
        lines.append(f"source notes removed from the kept synopses: {report['source_tail_rows']} of "
                     f"{report['rows_out']}" + (" (" + ", ".join(f"{t} {n}" for t, n in top) + ", ...)"
                                                 if top else ""))
    lines.append("tokens: " + ", ".join(f"{k} {v}" for k, v in report["tokens"].items()))
    if "vocabulary_coverage" in report:
        lines.append(f"vocabulary coverage: {report['vocabulary_coverage']:.3f} of the tokens left "
                     f"after stop words; {report['vocabulary_kept_share']:.3f} of all words kept")
    lines.append(f"synopses that look truncated: {report['truncated_rows']}")
    return "\n".join(lines)
