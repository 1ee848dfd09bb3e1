"""Visible checks of lesson 2 (cleaning). Invented sentences and small literal values only:
this module ships to students, who have neither ``anime_genre`` nor MyAnimeList text."""
from __future__ import annotations

import numpy as np

from autograder.core import call, call_inspect, exercise

BAN = ("no synopsis", "recap", "ova", "music video", "station ID")
STOP = frozenset({"the", "a", "an", "of", "at", "is", "and", "to", "her"})


@exercise("l2_is_placeholder", points=1, reference="anime_genre.clean:is_placeholder")
def check_is_placeholder(c, is_placeholder):
    with c.answer(True):
        c.equal(call(is_placeholder, "No synopsis information has been added to this title. Help improve"), True,
                "the long placeholder", hint="use PLACEHOLDER_RE.match(text)")
        c.equal(call(is_placeholder, "No synopsis has been added for this series yet."), True,
                "the short placeholder", hint="'information ' is optional in the pattern")
        c.equal(call(is_placeholder, "  no synopsis has been added for this series yet."), True,
                "leading spaces and lower case", hint="the pattern ignores case and leading spaces")
    with c.answer(False):
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
    with c.properties():
        c.equal(call(find_ban_words, "Two sisters open a bakery.", BAN), [], "no ban word: empty list")
        c.equal(call(find_ban_words, "", BAN), [], "empty text")


@exercise("l2_remove_non_alpha", points=1, reference="anime_genre.clean:remove_non_alpha")
def check_remove_non_alpha(c, remove_non_alpha):
    c.equal(call(remove_non_alpha, "duel at 5:00!"), "duel at" + " " * 6, "digits and punctuation become spaces",
            hint="one output character per input character: ch if ch.isalpha() else ' '")
    c.equal(call(remove_non_alpha, "Rin's café—night"), "Rin s café night", "accents stay, apostrophe and dash go",
            hint="str.isalpha() is true for accented letters too")
    with c.properties():
        c.equal(call(remove_non_alpha, ""), "", "empty text")


@exercise("l2_remove_stop_words", points=1, reference="anime_genre.clean:remove_stop_words")
def check_remove_stop_words(c, remove_stop_words):
    c.equal(call(remove_stop_words, ["the", "duel", "at", "dawn", "the", "duel", "end"], STOP),
            ["duel", "dawn", "duel", "end"], "stop words removed, order and repeats kept",
            hint="keep every other token, repeats too: [t for t in tokens if t not in stop_words]")
    with c.properties():
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
    with c.properties():
        c.equal(call(filter_vocabulary, ["idol"], vocab), [], "nothing kept")
        c.equal(call(lambda: call_inspect(filter_vocabulary, ["duel", "vampire"], vocab)[1][0]),
                ["duel", "vampire"], "the tokens passed in are not modified",
                hint="build a new list; do not remove words from the caller's list")


@exercise("l2_vocabulary_coverage", points=2, reference="anime_genre.clean:vocabulary_coverage")
def check_vocabulary_coverage(c, vocabulary_coverage):
    docs = [["duel", "vampire", "dawn"], ["duel"], ["mecha", "idol"]]
    c.close(call(vocabulary_coverage, docs, {"duel", "dawn"}), 0.5, "3 of 6 tokens covered",
            hint="count tokens with repetition over all documents, not distinct words")
    c.close(call(vocabulary_coverage, [["a", "a", "b"]], ["a"]), 2 / 3, "repeats count")
    with c.properties():
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
        with c.answer(expected):
            c.equal(call(looks_truncated, text), expected, name,
                    hint="look at the first non-space character: lower case, or not a letter, digit "
                         "or one of SENTENCE_OPENERS, means truncated")


@exercise("l2_frequent_genres", points=1, reference="anime_genre.clean:frequent_genres")
def check_frequent_genres(c, frequent_genres):
    lists = [["Action", "Drama"], ["Action"], ["Drama", "Action"], ["Mecha"], ["Action", "Action"]]
    c.equal(call(frequent_genres, lists, 2), ["Action", "Drama"], "genres with >= 2 shows, sorted by name",
            hint="a genre listed twice for one show counts once; keep a genre whose count is at least "
                 "min_count (>=, not >)")
    with c.properties():
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
    with c.properties():
        c.close(call(multi_hot, [], ["Action"]), np.zeros((0, 1)), "no shows: shape (0, n_genres)",
                hint="np.zeros((len(genre_lists), len(genre_names)))")
    c.close(call(multi_hot, [["Shoujo Ai"], ["Shoujo"], ["Ai"]], ["Shoujo", "Shoujo Ai", "Ai"]),
            [[0.0, 1.0, 0.0], [1.0, 0.0, 0.0], [0.0, 0.0, 1.0]],
            "genre names that contain one another (Shoujo, Shoujo Ai): whole names only",
            hint="compare whole names (a set or dict of names), not substrings of a joined string")


# ----------------------------------------------------------------------------- the cleaning report

RULES = ("type", "missing", "placeholder", "no_genre_information", "too_short", "ban_words",
         "only_rare_genres")
# (type, synopsis, genres, the first rule the row fails) with min_words=5, min_genre_count=2
ROWS = (
    ("TV", "A girl finds a sword in the lake.", "Action, Fantasy", None),
    ("ONA", "No synopsis has been added for this series yet.", "Action", "type"),       # + placeholder
    ("Movie", None, "Action", "missing"),
    ("TV", "No synopsis information has been added to this title.", "Unknown", "placeholder"),  # + no genre
    ("OVA", "Two rival pilots duel over the city.", "Unknown", "no_genre_information"),
    ("Special", "Recap episode.", "Action", "too_short"),
    ("TV", "A boy trains to become the best cook.", "Gourmet", "only_rare_genres"),
    ("Music", None, "Music", "type"),                                                   # + missing
    ("TV", "   ", "Drama", "missing"),                                                  # blank
    ("Movie", "Her sword sings at night in the old castle.", "Fantasy , Action", None),
    ("TV", "Short one.", "Unknown, ", "no_genre_information"),                          # + too short
    ("TV", "The cook opens a tiny shop by the sea.", "Drama", "only_rare_genres"),      # Drama: row 8 is gone
)


def _columns():
    """Fresh lists (types, synopses, genres): the student's function may change what it gets."""
    return [r[0] for r in ROWS], [r[1] for r in ROWS], [r[2] for r in ROWS]


def _report(removed_by) -> dict:
    out = {"rows in": len(removed_by)}
    out.update({rule: sum(1 for r in removed_by if r == rule) for rule in RULES})
    out["rows out"] = sum(1 for r in removed_by if r is None)
    return out


def _once(f, *args, **kwargs):
    """A function giving ``f(*args, **kwargs)``, computed on its first successful call only."""
    box = []

    def get():
        if not box:
            box.append(f(*args, **kwargs))
        return box[0]
    return get


def _adds_up(result):
    removed_by, report = result
    lost = report["rows in"] - report["rows out"] - sum(report[rule] for rule in RULES)
    return lost == 0, f"rows in - rows out - the removals = {lost}, not 0"


def _agrees(result):
    removed_by, report = result
    if len(removed_by) != report["rows in"]:
        return False, f"{len(removed_by)} entries in removed_by for {report['rows in']} rows in"
    stray = sorted({str(r) for r in removed_by if r is not None and r not in RULES})
    if stray:
        return False, f"removed_by names rules that do not exist: {stray}"
    wrong = {k: (v, _report(removed_by)[k]) for k, v in report.items() if _report(removed_by).get(k) != v}
    return not wrong, f"the report and removed_by disagree (report, removed_by): {wrong}"


@exercise("l2_clean_rows", points=3, reference="anime_genre.clean:clean_rows")
def check_clean_rows(c, clean_rows):
    got = _once(clean_rows, *_columns(), min_words=5, min_genre_count=2)
    with c.properties():    # a report of a cleaning that removes nothing has them all
        c.true(call(lambda: _adds_up(got())), "the report adds up: rows in = rows out + every removal",
               hint="count each removed row once, under one rule; 'rows out' is the number of rows kept")
        c.true(call(lambda: _agrees(got())), "no row dropped silently: the report counts removed_by",
               hint="removed_by has one entry per row: None, or the name of a rule in CLEANING_RULES")
        c.equal(call(lambda: list(got()[1])), ["rows in", *RULES, "rows out"], "the report's keys, in rule order",
                hint='report = {"rows in": n}; then report[rule] for rule in CLEANING_RULES (0 too); '
                     'then "rows out"')
    c.equal(call(lambda: got()[0]), [r[3] for r in ROWS],
            "12 rows, several failing two rules: each row under the FIRST rule it fails",
            hint="go through the rules in order and give a row a rule only while it has none "
                 "(an ONA placeholder is 'type', a short text without genres 'no_genre_information'); "
                 "clean_rows uses your find_ban_words and frequent_genres: their checks must pass first")
    c.equal(call(lambda: got()[1]), _report([r[3] for r in ROWS]), "the report of those 12 rows",
            hint="frequent genres are counted over the rows left after the rules before "
                 "only_rare_genres, not over every row")
    ban = _once(clean_rows, *_columns(), min_words=5, min_genre_count=2, ban_words=("COOK", "recap"))
    expected = [r[3] for r in ROWS]
    expected[6] = expected[11] = "ban_words"
    c.equal(call(lambda: ban()[0]), expected, "ban_words ('COOK', 'recap'): after too_short, before only_rare_genres",
            hint="with ban words, a row whose synopsis contains one (find_ban_words) is 'ban_words'; "
                 "'Recap episode.' is already 'too_short'")
    c.equal(call(lambda: ban()[1]), _report(expected), "the report with ban words")
    tv = _once(clean_rows, *_columns(), keep_types=("TV",), min_words=5, min_genre_count=1)
    expected = ["type" if r[0] != "TV" else r[3] for r in ROWS]
    expected[6] = expected[11] = None                  # every genre is frequent with min_count 1
    c.equal(call(lambda: tv()[0]), expected, "keep_types ('TV',) and min_genre_count 1",
            hint="use the arguments, not KEEP_TYPES or 20")
    with c.properties():
        c.equal(call(clean_rows, [], [], []), ([], _report([])), "no rows: every count 0",
                hint="the report still has every rule, with 0")


# ----------------------------------------------------------------------------- the stratified split

# 10 shows x 3 genres (genre 2 the rarest, one show without a genre)
YS = np.array([[1, 0, 0], [1, 1, 0], [0, 1, 0], [1, 0, 1], [0, 0, 0],
               [1, 1, 1], [0, 1, 0], [1, 0, 0], [0, 0, 1], [1, 1, 0]])
YS.flags.writeable = False
# genre 0 is rare (3 shows): one in each of three equal parts
YR = np.zeros((12, 2))
YR[[1, 5, 9], 0] = 1.0
YR[:8, 1] = 1.0
YR.flags.writeable = False


def _parts(part, m: int):
    part = np.asarray(part)
    if part.shape != (len(YS),) or part.dtype.kind not in "iu":
        return False, f"expected an integer array of shape ({len(YS)},), got {part.dtype} {part.shape}"
    bad = sorted(set(part.tolist()) - set(range(m)))
    return not bad, f"part numbers outside range({m}): {bad}"


def _raises_value_error(f, *args):
    """(True, "") if ``f(*args)`` raises a ValueError (also through the grader's proxy, which
    names the student's exception type in ``remote_type``)."""
    try:
        f(*args)
    except NotImplementedError:
        raise
    except Exception as exc:  # noqa: BLE001 - the student's error
        name = getattr(exc, "remote_type", type(exc).__name__)
        return name == "ValueError", f"raised {name}, not ValueError"
    return False, "returned normally, no ValueError"


@exercise("l2_iterative_stratification", points=3, reference="anime_genre.split:iterative_stratification")
def check_iterative_stratification(c, iterative_stratification):
    with c.properties():    # any array of part numbers has it
        c.true(call(lambda: _parts(iterative_stratification(YS.copy(), (0.5, 0.3, 0.2), 0), 3)),
               "every show in exactly one part: an int array (n,) of part numbers 0..m-1",
               hint="part = np.full(n, -1, dtype=np.int64), filled in; return part (not the permuted order)")
    c.equal(call(lambda: iterative_stratification(YS.copy(), (0.5, 0.3, 0.2), 0)),
            [0, 1, 0, 0, 1, 1, 0, 0, 2, 2], "10 shows, proportions (0.5, 0.3, 0.2), seed 0",
            hint="follow steps 1-4 of the docstring exactly: the permutation, then the coins, both from one rng")
    c.equal(call(lambda: iterative_stratification(YS.copy(), (0.5, 0.3, 0.2), 1)),
            [0, 0, 0, 2, 1, 1, 2, 0, 0, 1], "the same with seed 1",
            hint="rng = np.random.default_rng(seed) once; order = rng.permutation(n) first, then rng.random((n, m))")
    c.equal(call(lambda: iterative_stratification(YS.copy(), (2, 1, 1), 3)),
            [1, 0, 1, 2, 0, 0, 2, 2, 1, 0], "proportions (2, 1, 1), seed 3: ties broken by the coins",
            hint="divide the proportions by their sum; when parts tie on need and on need_rows, take "
                 "the largest coin[i, j] among the tied parts only (and return that part, not its rank)")
    c.equal(call(lambda: iterative_stratification(YS.copy(), (0.6, 0.4), 2)),
            [0, 0, 1, 1, 1, 0, 0, 0, 0, 1], "two parts (0.6, 0.4), seed 2", hint="m = len(proportions)")
    c.equal(call(lambda: iterative_stratification(YR.copy(), (1, 1, 1), 0)),
            [2, 1, 2, 0, 1, 0, 1, 0, 2, 2, 1, 0], "a rare genre (3 shows) lands in each of 3 equal parts",
            hint="the genre with the fewest shows still without a part goes first")
    c.equal(call(lambda: iterative_stratification(np.zeros((6, 2)), (0.5, 0.25, 0.25), 4)),
            [1, 0, 0, 1, 0, 2], "no show has a genre: step 4 only",
            hint="each goes to the part with the largest need_rows (the lowest j on ties)")
    with c.properties():
        c.true(call(lambda: (np.array_equal(iterative_stratification(YS.copy(), (0.7, 0.1, 0.2), 5),
                                            iterative_stratification(YS.copy(), (0.7, 0.1, 0.2), 5)), "")),
               "the same seed gives the same split", hint="draw everything from np.random.default_rng(seed)")
        c.equal(call(lambda: np.asarray(iterative_stratification(np.zeros((0, 3)))).shape), (0,),
                "no shows: an empty array", hint="the loops simply do nothing")
        c.true(call(_raises_value_error, iterative_stratification, np.zeros(5)), "a 1-d Y raises ValueError",
               hint="if Y.ndim != 2: raise ValueError(...)")
        c.true(call(_raises_value_error, iterative_stratification, YS.copy(), (0, 0, 0)),
               "proportions all 0 raise ValueError", hint="check the proportions before dividing by their sum")
