"""Lesson 2 (cleaning): mistakes students make in each text and genre step, and correct
answers written differently from the reference (loops, regular expressions, pandas, other
names). The lesson's setup cells define PLACEHOLDER_RE, ORIGINAL_BAN_WORDS, STOP_WORDS and
SENTENCE_OPENERS, which these sources may use like a student's would."""
from grader_cases import mutate

BUGGY = [
    # ---------------------------------------------------------------- is_placeholder
    ("l2_is_placeholder", "only the long phrasing ('information' not optional)", '''
def is_placeholder(text):
    return text.strip().lower().startswith("no synopsis information has been added")
'''),
    ("l2_is_placeholder", "case-sensitive prefix test", '''
def is_placeholder(text):
    return text.lstrip().startswith(("No synopsis information has been added", "No synopsis has been added"))
'''),
    ("l2_is_placeholder", "an unanchored re.search finds the phrase inside a real synopsis", '''
def is_placeholder(text):
    return re.search(r"no synopsis (information )?has been added", text, re.IGNORECASE) is not None
'''),
    ("l2_is_placeholder", "any text starting with 'no synopsis'", '''
def is_placeholder(text):
    return text.strip().lower().startswith("no synopsis")
'''),
    # ---------------------------------------------------------------- find_ban_words
    ("l2_find_ban_words", "whole words only (misses 'ova' inside 'Nova', unlike the original)", '''
def find_ban_words(text, ban_words=ORIGINAL_BAN_WORDS):
    return [w for w in ban_words if re.search(r"\\b" + re.escape(w) + r"\\b", text, re.IGNORECASE)]
'''),
    ("l2_find_ban_words", "case-sensitive: the text is not lower-cased",
     mutate(("low = text.lower()", "low = text"))),
    ("l2_find_ban_words", "returns the lower-cased ban word ('station id')",
     mutate(("[w for w in ban_words if w.lower() in low]", "[w.lower() for w in ban_words if w.lower() in low]"))),
    ("l2_find_ban_words", "words in the order they occur in the text, not the list's", '''
def find_ban_words(text, ban_words=ORIGINAL_BAN_WORDS):
    low = text.lower()
    found = [(low.find(w.lower()), w) for w in ban_words if w.lower() in low]
    return [w for _, w in sorted(found)]
'''),
    # ---------------------------------------------------------------- looks_truncated
    ("l2_looks_truncated", "anything but an upper-case letter counts as truncated (digits, quotes)", '''
def looks_truncated(text):
    stripped = text.strip()
    return bool(stripped) and not stripped[0].isupper()
'''),
    ("l2_looks_truncated", "leading spaces not skipped",
     mutate(("stripped = text.lstrip()", "stripped = text"))),
    ("l2_looks_truncated", "only a lower-case first letter is flagged (a comma start is missed)", '''
def looks_truncated(text):
    stripped = text.lstrip()
    return bool(stripped) and stripped[0].islower()
'''),
    ("l2_looks_truncated", "text[0] on an empty text raises IndexError", '''
def looks_truncated(text):
    first = text.lstrip()[0]
    return first.islower() or not (first.isalnum() or first in SENTENCE_OPENERS)
'''),
    # ---------------------------------------------------------------- remove_non_alpha
    ("l2_remove_non_alpha", "drops non-letters instead of replacing them: words glued together", '''
def remove_non_alpha(text):
    return "".join(ch for ch in text if ch.isalpha())
'''),
    ("l2_remove_non_alpha", "drops spaces too: letters only, words glued", '''
def remove_non_alpha(text):
    return re.sub(r"[^A-Za-zÀ-ÿ]", "", text)
'''),
    ("l2_remove_non_alpha", "ASCII-only class [^a-zA-Z] removes accented letters", '''
def remove_non_alpha(text):
    return re.sub(r"[^a-zA-Z]", " ", text)
'''),
    ("l2_remove_non_alpha", "a run of non-letters becomes one space (length changes)", '''
def remove_non_alpha(text):
    return re.sub(r"[^\\w]+|[\\d_]+", " ", text)
'''),
    ("l2_remove_non_alpha", "isalnum keeps the digits", mutate(("ch.isalpha()", "ch.isalnum()"))),
    ("l2_remove_non_alpha", "white space other than ' ' (tab, no-break space) kept as is", '''
def remove_non_alpha(text):
    return "".join(ch if ch.isalpha() or ch.isspace() else " " for ch in text)
'''),
    # ---------------------------------------------------------------- remove_stop_words
    ("l2_remove_stop_words", "removes substrings: a token containing a stop word goes too", '''
def remove_stop_words(tokens, stop_words=STOP_WORDS):
    return [t for t in tokens if not any(s in t for s in stop_words)]
'''),
    ("l2_remove_stop_words", "stop words cut out of the joined text with str.replace", '''
def remove_stop_words(tokens, stop_words=STOP_WORDS):
    text = " ".join(tokens)
    for s in stop_words:
        text = text.replace(s, " ")
    return text.split()
'''),
    ("l2_remove_stop_words", "lower-cases the tokens before comparing",
     mutate(("if t not in stop_words", "if t.lower() not in stop_words"))),
    ("l2_remove_stop_words", "a set of tokens: repeats and order lost", '''
def remove_stop_words(tokens, stop_words=STOP_WORDS):
    return sorted(set(tokens) - set(stop_words))
'''),
    ("l2_remove_stop_words", "list.remove while iterating skips the token after each removal", '''
def remove_stop_words(tokens, stop_words=STOP_WORDS):
    tokens = list(tokens)
    for t in tokens:
        if t in stop_words:
            tokens.remove(t)
    return tokens
'''),
    # ---------------------------------------------------------------- filter_vocabulary
    ("l2_filter_vocabulary", "a dict vocabulary tested on its values (the ids)", '''
def filter_vocabulary(tokens, vocabulary):
    vocab = set(vocabulary.values()) if isinstance(vocabulary, dict) else set(vocabulary)
    return [t for t in tokens if t in vocab]
'''),
    ("l2_filter_vocabulary", "set intersection: repeats and order lost", '''
def filter_vocabulary(tokens, vocabulary):
    return sorted(set(tokens) & set(vocabulary))
'''),
    ("l2_filter_vocabulary", "keeps the words NOT in the vocabulary",
     mutate(("[t for t in tokens if t in vocab]", "[t for t in tokens if t not in vocab]"))),
    # ---------------------------------------------------------------- vocabulary_coverage
    ("l2_vocabulary_coverage", "coverage over word types (distinct words) instead of tokens", '''
def vocabulary_coverage(token_lists, vocabulary):
    types = {t for tokens in token_lists for t in tokens}
    if not types:
        return 0.0
    return len(types & set(vocabulary)) / len(types)
'''),
    ("l2_vocabulary_coverage", "mean of the per-document coverages", '''
def vocabulary_coverage(token_lists, vocabulary):
    vocab = set(vocabulary)
    shares = [sum(t in vocab for t in doc) / len(doc) for doc in token_lists if doc]
    return sum(shares) / len(shares) if shares else 0.0
'''),
    ("l2_vocabulary_coverage", "no guard: ZeroDivisionError without tokens",
     mutate(("return kept / total if total else 0.0", "return kept / total"))),
    ("l2_vocabulary_coverage", "share of the vocabulary used, not of the tokens covered", '''
def vocabulary_coverage(token_lists, vocabulary):
    vocab = set(vocabulary)
    used = {t for tokens in token_lists for t in tokens if t in vocab}
    return len(used) / len(vocab) if vocab else 0.0
'''),
    # ---------------------------------------------------------------- frequent_genres
    ("l2_frequent_genres", "a genre listed twice for one show counted twice",
     mutate(("for g in set(genres))", "for g in genres)"))),
    ("l2_frequent_genres", "strictly more than min_count",
     mutate(("if n >= min_count", "if n > min_count"))),
    ("l2_frequent_genres", "sorted by frequency instead of by name", '''
def frequent_genres(genre_lists, min_count=20):
    counts = Counter(g for genres in genre_lists for g in set(genres))
    return [g for g, n in counts.most_common() if n >= min_count]
'''),
    # ---------------------------------------------------------------- multi_hot
    ("l2_multi_hot", "columns in alphabetical order instead of genre_names' order",
     mutate(("index = {g: j for j, g in enumerate(genre_names)}",
             "index = {g: j for j, g in enumerate(sorted(genre_names))}"))),
    ("l2_multi_hot", "off by one: genre j written into column j + 1 (wrapping)", '''
def multi_hot(genre_lists, genre_names):
    k = len(genre_names)
    Y = np.zeros((len(genre_lists), k))
    for i, genres in enumerate(genre_lists):
        for g in genres:
            if g in genre_names:
                Y[i, (genre_names.index(g) + 1) % k] = 1.0
    return Y
'''),
    ("l2_multi_hot", "counts instead of 0/1 (a repeated genre gives 2)",
     mutate(("Y[i, j] = 1.0", "Y[i, j] += 1.0"))),
    ("l2_multi_hot", "integer matrix instead of float64",
     mutate(("dtype=np.float64", "dtype=int"))),
    ("l2_multi_hot", "columns in order of first appearance in the data", '''
def multi_hot(genre_lists, genre_names):
    wanted = set(genre_names)
    order = []
    for genres in genre_lists:
        for g in genres:
            if g in wanted and g not in order:
                order.append(g)
    order += [g for g in genre_names if g not in order]
    Y = np.zeros((len(genre_lists), len(genre_names)))
    for i, genres in enumerate(genre_lists):
        for g in genres:
            if g in wanted:
                Y[i, order.index(g)] = 1.0
    return Y
'''),
]

CORRECT = [
    # ---------------------------------------------------------------- is_placeholder
    ("l2_is_placeholder", "str methods on the stripped, lower-cased text", '''
def is_placeholder(text):
    start = text.lstrip().lower()
    return start.startswith("no synopsis information has been added") or \\
        start.startswith("no synopsis has been added")
'''),
    ("l2_is_placeholder", "its own regular expression with re.match and a flag", '''
def is_placeholder(text):
    return re.match(r"\\s*no\\s+synopsis\\s+(?:information\\s+)?has\\s+been\\s+added", text, flags=re.I) is not None
'''),
    # ---------------------------------------------------------------- find_ban_words
    ("l2_find_ban_words", "a loop with re.search(re.escape(word), re.I)", '''
def find_ban_words(text, ban_words=ORIGINAL_BAN_WORDS):
    hits = []
    for word in ban_words:
        if re.search(re.escape(word), text, re.IGNORECASE):
            hits.append(word)
    return hits
'''),
    ("l2_find_ban_words", "casefold and str.find", '''
def find_ban_words(text, ban_words=ORIGINAL_BAN_WORDS):
    folded = text.casefold()
    return list(filter(lambda w: folded.find(w.casefold()) != -1, ban_words))
'''),
    # ---------------------------------------------------------------- looks_truncated
    ("l2_looks_truncated", "a loop over the characters, skipping white space", '''
def looks_truncated(text):
    for ch in text:
        if ch.isspace():
            continue
        if ch.islower():
            return True
        return not (ch.isalnum() or ch in SENTENCE_OPENERS)
    return False
'''),
    ("l2_looks_truncated", "a regular expression for the first non-space character", '''
def looks_truncated(text):
    m = re.match(r"\\s*(\\S)", text)
    if m is None:
        return False
    c = m.group(1)
    ok_start = (c.isalnum() and not c.islower()) or c in SENTENCE_OPENERS
    return not ok_start
'''),
    # ---------------------------------------------------------------- remove_non_alpha
    ("l2_remove_non_alpha", "a loop appending to a list", '''
def remove_non_alpha(text):
    out = []
    for character in text:
        if character.isalpha():
            out.append(character)
        else:
            out.append(" ")
    return "".join(out)
'''),
    ("l2_remove_non_alpha", "str.translate with a table of the text's non-letters", '''
def remove_non_alpha(text):
    table = {ord(ch): " " for ch in set(text) if not ch.isalpha()}
    return text.translate(table)
'''),
    ("l2_remove_non_alpha", "re.sub with a function deciding per character", '''
def remove_non_alpha(text):
    return re.sub(r".", lambda m: m.group() if m.group().isalpha() else " ", text, flags=re.DOTALL)
'''),
    # ---------------------------------------------------------------- remove_stop_words
    ("l2_remove_stop_words", "a loop appending the kept tokens", '''
def remove_stop_words(tokens, stop_words=STOP_WORDS):
    kept = []
    for token in tokens:
        if token in stop_words:
            continue
        kept.append(token)
    return kept
'''),
    ("l2_remove_stop_words", "filter() with a lambda over a frozenset copy", '''
def remove_stop_words(tokens, stop_words=STOP_WORDS):
    stops = frozenset(stop_words)
    return list(filter(lambda w: w not in stops, tokens))
'''),
    # ---------------------------------------------------------------- filter_vocabulary
    ("l2_filter_vocabulary", "always a set (set(dict) gives its keys)", '''
def filter_vocabulary(tokens, vocabulary):
    known = set(vocabulary)
    return [w for w in tokens if w in known]
'''),
    ("l2_filter_vocabulary", "a loop, dict keys taken explicitly", '''
def filter_vocabulary(tokens, vocabulary):
    if isinstance(vocabulary, dict):
        allowed = set(vocabulary.keys())
    else:
        allowed = set(vocabulary)
    result = []
    for tok in tokens:
        if tok in allowed:
            result.append(tok)
    return result
'''),
    # ---------------------------------------------------------------- vocabulary_coverage
    ("l2_vocabulary_coverage", "flattened tokens and np.mean", '''
def vocabulary_coverage(token_lists, vocabulary):
    vocab = set(vocabulary)
    flat = [t for doc in token_lists for t in doc]
    if len(flat) == 0:
        return 0.0
    return float(np.mean([t in vocab for t in flat]))
'''),
    ("l2_vocabulary_coverage", "a Counter of all tokens", '''
def vocabulary_coverage(token_lists, vocabulary):
    counts = Counter()
    for doc in token_lists:
        counts.update(doc)
    total = sum(counts.values())
    if total == 0:
        return 0.0
    inside = sum(n for word, n in counts.items() if word in set(vocabulary))
    return inside / total
'''),
    # ---------------------------------------------------------------- frequent_genres
    ("l2_frequent_genres", "a plain dict of counts, one increment per show and genre", '''
def frequent_genres(genre_lists, min_count=20):
    shows_per_genre = {}
    for show in genre_lists:
        for genre in set(show):
            shows_per_genre[genre] = shows_per_genre.get(genre, 0) + 1
    return sorted(genre for genre, n in shows_per_genre.items() if n >= min_count)
'''),
    ("l2_frequent_genres", "pandas value_counts over the de-duplicated genres", '''
def frequent_genres(genre_lists, min_count=20):
    flat = pd.Series([g for genres in genre_lists for g in dict.fromkeys(genres)], dtype=object)
    counts = flat.value_counts()
    return sorted(counts[counts >= min_count].index.tolist())
'''),
    # ---------------------------------------------------------------- multi_hot
    ("l2_multi_hot", "a nested comprehension", '''
def multi_hot(genre_lists, genre_names):
    rows = [[1.0 if name in set(genres) else 0.0 for name in genre_names] for genres in genre_lists]
    return np.array(rows, dtype=np.float64).reshape(len(genre_lists), len(genre_names))
'''),
    ("l2_multi_hot", "column by column with a boolean list", '''
def multi_hot(genre_lists, genre_names):
    Y = np.zeros((len(genre_lists), len(genre_names)))
    for j, name in enumerate(genre_names):
        Y[:, j] = [name in genres for genres in genre_lists]
    return Y
'''),
    ("l2_multi_hot", "fancy indexing with collected (row, column) pairs", '''
def multi_hot(genre_lists, genre_names):
    col = {name: j for j, name in enumerate(genre_names)}
    pairs = [(i, col[g]) for i, genres in enumerate(genre_lists) for g in genres if g in col]
    Y = np.zeros((len(genre_lists), len(genre_names)), dtype=np.float64)
    if pairs:
        r, c = zip(*pairs)
        Y[list(r), list(c)] = 1.0
    return Y
'''),
]

# ----------------------------------------------------------------------------- more cases
# (issue 10, item 3: at least 5 buggy and 3 correct implementations per exercise)

BUGGY += [
    ("l2_is_placeholder", "returns the match object (or None), not a bool", '''
def is_placeholder(text):
    return PLACEHOLDER_RE.match(text)
'''),
    ("l2_find_ban_words", "ban words not lower-cased: 'station ID' can never match the lower-cased text", '''
def find_ban_words(text, ban_words=ORIGINAL_BAN_WORDS):
    text = text.lower()
    return [word for word in ban_words if word in text]
'''),
    ("l2_looks_truncated", "SENTENCE_OPENERS forgotten: a synopsis starting with a quote is flagged", '''
def looks_truncated(text):
    text = text.strip()
    if not text:
        return False
    return text[0].islower() or not text[0].isalnum()
'''),
    ("l2_filter_vocabulary", "vocabulary.get(t) as the test: the word with id 0 is dropped", '''
def filter_vocabulary(tokens, vocabulary):
    if isinstance(vocabulary, dict):
        return [t for t in tokens if vocabulary.get(t)]
    return [t for t in tokens if t in set(vocabulary)]
'''),
    ("l2_filter_vocabulary", "assumes a dict vocabulary (.keys() on a list fails)", '''
def filter_vocabulary(tokens, vocabulary):
    keys = set(vocabulary.keys())
    return [t for t in tokens if t in keys]
'''),
    ("l2_vocabulary_coverage", "rounded to two decimals for display", '''
def vocabulary_coverage(token_lists, vocabulary):
    vocab = set(vocabulary)
    total = sum(len(tokens) for tokens in token_lists)
    if total == 0:
        return 0.0
    covered = sum(1 for tokens in token_lists for t in tokens if t in vocab)
    return round(covered / total, 2)
'''),
    ("l2_frequent_genres", "genres counted as substrings of the joined list ('Shoujo' inside 'Shoujo Ai')", '''
def frequent_genres(genre_lists, min_count=20):
    names = {g for genres in genre_lists for g in genres}
    joined = [", ".join(genres) for genres in genre_lists]
    return sorted(g for g in names if sum(g in row for row in joined) >= min_count)
'''),
    ("l2_frequent_genres", "(genre, count) pairs returned instead of the names", '''
def frequent_genres(genre_lists, min_count=20):
    counts = Counter(g for genres in genre_lists for g in set(genres))
    return sorted((g, n) for g, n in counts.items() if n >= min_count)
'''),
]

CORRECT += [
    ("l2_is_placeholder", "str.removeprefix step by step", '''
def is_placeholder(text):
    rest = text.lstrip().lower()
    after = rest.removeprefix("no synopsis ")
    if after == rest:
        return False
    after = after.removeprefix("information ")
    return after.startswith("has been added")
'''),
    ("l2_find_ban_words", "filter() with a lambda on the lower-cased text", '''
def find_ban_words(text, ban_words=ORIGINAL_BAN_WORDS):
    haystack = text.lower()
    return list(filter(lambda word: haystack.find(word.lower()) != -1, ban_words))
'''),
    ("l2_looks_truncated", "the first character of the stripped text by slicing", '''
def looks_truncated(text):
    first = text.strip()[:1]
    if first == "":
        return False
    allowed = first.isalnum() or first in SENTENCE_OPENERS
    return first.islower() or not allowed
'''),
    ("l2_remove_stop_words", "itertools.filterfalse with the set's __contains__", '''
from itertools import filterfalse

def remove_stop_words(tokens, stop_words=STOP_WORDS):
    return list(filterfalse(stop_words.__contains__, tokens))
'''),
    ("l2_filter_vocabulary", "keys() when the vocabulary has them, filter() with __contains__", '''
def filter_vocabulary(tokens, vocabulary):
    keys = set(vocabulary.keys()) if hasattr(vocabulary, "keys") else set(vocabulary)
    return list(filter(keys.__contains__, tokens))
'''),
    ("l2_vocabulary_coverage", "itertools.chain and sum(map(...))", '''
from itertools import chain

def vocabulary_coverage(token_lists, vocabulary):
    known = set(vocabulary)
    flat = list(chain.from_iterable(token_lists))
    if not flat:
        return 0.0
    return sum(map(known.__contains__, flat)) / len(flat)
'''),
    ("l2_frequent_genres", "np.unique per show, then np.unique with counts", '''
def frequent_genres(genre_lists, min_count=20):
    per_show = [np.unique(np.array(genres, dtype=object).astype(str)) for genres in genre_lists if genres]
    if not per_show:
        return []
    names, counts = np.unique(np.concatenate(per_show), return_counts=True)
    return [str(name) for name, k in zip(names, counts) if k >= min_count]
'''),
]

# ---------------------------------------------------------------- clean_rows, iterative_stratification
# (the whole cleaning report as one function; the stratified split)

# a correct clean_rows, for the buggy variants below to change one thing in
_CLEAN_ROWS = '''
def clean_rows(types, synopses, genres, keep_types=KEEP_TYPES, min_words=20, min_genre_count=20,
               ban_words=()):
    n = len(types)
    fate = [None] * n
    ok = lambda v: isinstance(v, str) and bool(v.strip())
    lists = [[g.strip() for g in x.split(",") if g.strip() and g.strip() != "Unknown"] if ok(x) else []
             for x in genres]
    rules = [
        ("type", lambda i: types[i] not in keep_types),
        ("missing", lambda i: not ok(synopses[i]) or not ok(genres[i])),
        ("placeholder", lambda i: is_placeholder(synopses[i])),
        ("no_genre_information", lambda i: not lists[i]),
        ("too_short", lambda i: len(synopses[i].split()) < min_words),
        ("ban_words", lambda i: bool(ban_words) and bool(find_ban_words(synopses[i], ban_words))),
    ]
    for rule, fails in rules:
        for i in range(n):
            if fate[i] is None and fails(i):
                fate[i] = rule
    frequent = set(frequent_genres([lists[i] for i in range(n) if fate[i] is None], min_genre_count))
    for i in range(n):
        if fate[i] is None and not frequent & set(lists[i]):
            fate[i] = "only_rare_genres"
    report = {"rows in": n}
    report.update({rule: fate.count(rule) for rule in CLEANING_RULES})
    report["rows out"] = fate.count(None)
    return fate, report
'''


def _clean(*pairs):
    """``_CLEAN_ROWS`` with exact replacements (each must occur)."""
    return mutate(*pairs).apply(_CLEAN_ROWS)


# a correct iterative_stratification written with Python lists, for the buggy variants
_STRATIFY = '''
def iterative_stratification(Y, proportions=(0.7, 0.1, 0.2), seed=0):
    Y = np.asarray(Y)
    if Y.ndim != 2:
        raise ValueError("Y must be 2-d")
    p = [float(x) for x in proportions]
    if min(p) < 0 or sum(p) <= 0:
        raise ValueError("bad proportions")
    total = sum(p)
    r = [x / total for x in p]
    n, k = Y.shape
    m = len(r)
    rng = np.random.default_rng(seed)
    order = rng.permutation(n)
    coin = rng.random((n, m))
    genres = [[g for g in range(k) if Y[order[i], g] != 0] for i in range(n)]
    left = [sum(1 for i in range(n) if g in genres[i]) for g in range(k)]
    need_rows = [r[j] * n for j in range(m)]
    need = [[r[j] * left[g] for g in range(k)] for j in range(m)]
    part = np.zeros(n, dtype=np.int64)
    placed = [False] * n
    while any(left):
        g = min((c, g) for g, c in enumerate(left) if c > 0)[1]
        for i in range(n):
            if placed[i] or g not in genres[i]:
                continue
            j = max(range(m), key=lambda j: (need[j][g], need_rows[j], coin[i, j]))
            part[order[i]] = j
            placed[i] = True
            need_rows[j] -= 1
            for h in genres[i]:
                need[j][h] -= 1
                left[h] -= 1
    for i in range(n):
        if not placed[i]:
            j = max(range(m), key=lambda j: (need_rows[j], -j))
            part[order[i]] = j
            need_rows[j] -= 1
    return part
'''


def _stratify(*pairs):
    """``_STRATIFY`` with exact replacements (each must occur)."""
    return mutate(*pairs).apply(_STRATIFY)


BUGGY += [
    # ---------------------------------------------------------------- clean_rows
    ("l2_clean_rows", "each rule counts every row it matches: a row failing two rules is counted twice", '''
def clean_rows(types, synopses, genres, keep_types=KEEP_TYPES, min_words=20, min_genre_count=20,
               ban_words=()):
    n = len(types)
    ok = lambda v: isinstance(v, str) and bool(v.strip())
    lists = [[g.strip() for g in x.split(",") if g.strip() and g.strip() != "Unknown"] if ok(x) else []
             for x in genres]
    text = [s if ok(s) else "" for s in synopses]
    hits = {
        "type": [t not in keep_types for t in types],
        "missing": [not ok(s) or not ok(g) for s, g in zip(synopses, genres)],
        "placeholder": [is_placeholder(s) for s in text],
        "no_genre_information": [not gl for gl in lists],
        "too_short": [len(s.split()) < min_words for s in text],
        "ban_words": [bool(ban_words) and bool(find_ban_words(s, ban_words)) for s in text],
    }
    bad = [any(h[i] for h in hits.values()) for i in range(n)]
    frequent = set(frequent_genres([gl for gl, b in zip(lists, bad) if not b], min_genre_count))
    hits["only_rare_genres"] = [not frequent & set(gl) for gl in lists]
    removed_by = [next((rule for rule in CLEANING_RULES if hits[rule][i]), None) for i in range(n)]
    report = {"rows in": n}
    report.update({rule: sum(hits[rule]) for rule in CLEANING_RULES})
    report["rows out"] = removed_by.count(None)
    return removed_by, report
'''),
    ("l2_clean_rows", "frequent genres counted over every row, not over the rows the earlier rules kept",
     _clean(("frequent_genres([lists[i] for i in range(n) if fate[i] is None], min_genre_count)",
             "frequent_genres(lists, min_genre_count)"))),
    ("l2_clean_rows", "too_short before no_genre_information: the rules in another order",
     _clean(('''        ("no_genre_information", lambda i: not lists[i]),
        ("too_short", lambda i: len(synopses[i].split()) < min_words),''',
             '''        ("too_short", lambda i: len(synopses[i].split()) < min_words),
        ("no_genre_information", lambda i: not lists[i]),'''))),
    ("l2_clean_rows", "'Unknown' kept as a genre: shows without genre information are kept",
     _clean(('if g.strip() and g.strip() != "Unknown"]', 'if g.strip()]'))),
    ("l2_clean_rows", "only None is missing: a blank synopsis or a NaN slips through",
     _clean(("ok = lambda v: isinstance(v, str) and bool(v.strip())", "ok = lambda v: v is not None"))),
    ("l2_clean_rows", "ban_words ignored", _clean(("bool(ban_words) and bool(", "False and bool("))),
    ("l2_clean_rows", "the report lists only the rules that removed a row",
     _clean(("report.update({rule: fate.count(rule) for rule in CLEANING_RULES})",
             "report.update({rule: fate.count(rule) for rule in CLEANING_RULES if rule in fate})"))),
    ("l2_clean_rows", "the rows of the only_rare_genres rule are dropped without a count",
     _clean(('fate[i] = "only_rare_genres"', 'fate[i] = "rare"'))),
    ("l2_clean_rows", "'rows out' counted as rows in minus the rows of the first six rules",
     _clean(('report["rows out"] = fate.count(None)',
             'report["rows out"] = n - sum(fate.count(r) for r in CLEANING_RULES[:6])'))),
    # ---------------------------------------------------------------- iterative_stratification
    ("l2_iterative_stratification", "a coin tie returns the rank among the tied parts, not the part (part 0)",
     mutate(("j = int(best[np.argmax(tie[i, best])]) if best.size > 1 else int(best[0])",
             "j = int(np.argmax(tie[i, best])) if best.size > 1 else int(best[0])"))),
    ("l2_iterative_stratification", "the coins drawn before the permutation",
     mutate(("    order = rng.permutation(n)\n", "    tie = rng.random((n, m))\n    order = rng.permutation(n)\n"),
            ("    tie = rng.random((n, m))                       # pre-drawn coins: deterministic per row\n",
             ""))),
    ("l2_iterative_stratification", "the proportions are not divided by their sum",
     _stratify(("r = [x / total for x in p]", "r = p"))),
    ("l2_iterative_stratification", "the rarest genre by its total number of shows, not by those left",
     _stratify(("g = min((c, g) for g, c in enumerate(left) if c > 0)[1]",
                "g = min((sum(1 for gs in genres if h in gs), h) for h, c in enumerate(left) if c > 0)[1]"))),
    ("l2_iterative_stratification", "the need of only genre g is lowered, not of the show's other genres",
     _stratify(("                need[j][h] -= 1\n", "                need[j][g] -= 1 if h == g else 0\n"))),
    ("l2_iterative_stratification", "returns the parts in the shuffled order (part[i], not part[order[i]])",
     _stratify(("            part[order[i]] = j\n            placed[i] = True",
                "            part[i] = j\n            placed[i] = True"),
               ("            part[order[i]] = j\n            need_rows[j] -= 1",
                "            part[i] = j\n            need_rows[j] -= 1"))),
    ("l2_iterative_stratification", "shows without a genre dealt round-robin",
     _stratify(("            j = max(range(m), key=lambda j: (need_rows[j], -j))", "            j = i % m"))),
    ("l2_iterative_stratification", "ties on need go straight to the coin (need_rows skipped)",
     _stratify(("key=lambda j: (need[j][g], need_rows[j], coin[i, j])", "key=lambda j: (need[j][g], coin[i, j])"))),
]

CORRECT += [
    ("l2_clean_rows", "one rule list of predicates, two passes", _CLEAN_ROWS),
    ("l2_clean_rows", "boolean numpy masks and an alive array, like a DataFrame filter", '''
def clean_rows(types, synopses, genres, keep_types=KEEP_TYPES, min_words=20, min_genre_count=20,
               ban_words=()):
    n = len(types)
    alive = np.ones(n, dtype=bool)
    which = np.array([None] * n, dtype=object)

    def apply(rule, mask):
        hit = np.asarray(mask, dtype=bool) & alive
        which[hit] = rule
        alive[hit] = False

    def usable(v):
        return isinstance(v, str) and v.strip() != ""
    apply("type", [t not in keep_types for t in types])
    apply("missing", [not (usable(s) and usable(g)) for s, g in zip(synopses, genres)])
    text = [s if usable(s) else "" for s in synopses]
    apply("placeholder", [PLACEHOLDER_RE.match(s) is not None for s in text])
    names = []
    for g in genres:
        parts = [x.strip() for x in g.split(",")] if usable(g) else []
        names.append([x for x in parts if x not in ("", "Unknown")])
    apply("no_genre_information", [len(x) == 0 for x in names])
    apply("too_short", [len(s.split()) < min_words for s in text])
    if len(ban_words):
        apply("ban_words", [len(find_ban_words(s, ban_words)) > 0 for s in text])
    common = frequent_genres([names[i] for i in np.flatnonzero(alive)], min_genre_count)
    apply("only_rare_genres", [not any(x in common for x in gs) for gs in names])
    removed_by = which.tolist()
    report = {"rows in": n, **{rule: int((which == rule).sum()) for rule in CLEANING_RULES},
              "rows out": int(alive.sum())}
    return removed_by, report
'''),
    ("l2_clean_rows", "row by row: the first failing rule of each row, with Counter for the report", '''
from collections import Counter

def clean_rows(types, synopses, genres, keep_types=KEEP_TYPES, min_words=20, min_genre_count=20,
               ban_words=()):
    def genre_names(g):
        if not isinstance(g, str):
            return []
        return [x.strip() for x in g.split(",") if x.strip() not in ("", "Unknown")]

    def first_rule(t, s, g):
        if t not in keep_types:
            return "type"
        if not isinstance(s, str) or not s.strip() or not isinstance(g, str) or not g.strip():
            return "missing"
        if is_placeholder(s):
            return "placeholder"
        if not genre_names(g):
            return "no_genre_information"
        if len(s.split()) < min_words:
            return "too_short"
        if ban_words and find_ban_words(s, ban_words):
            return "ban_words"
        return None

    removed_by = [first_rule(t, s, g) for t, s, g in zip(types, synopses, genres)]
    survivors = [genre_names(g) for g, r in zip(genres, removed_by) if r is None]
    frequent = set(frequent_genres(survivors, min_genre_count))
    for i, g in enumerate(genres):
        if removed_by[i] is None and not frequent.intersection(genre_names(g)):
            removed_by[i] = "only_rare_genres"
    counts = Counter(removed_by)
    report = {"rows in": len(removed_by)}
    for rule in CLEANING_RULES:
        report[rule] = counts[rule]
    report["rows out"] = counts[None]
    return removed_by, report
'''),
    ("l2_iterative_stratification", "Python lists, a max over (need, need_rows, coin) tuples", _STRATIFY),
    ("l2_iterative_stratification", "numpy arrays in the original row order, np.lexsort for the ties", '''
def iterative_stratification(Y, proportions=(0.7, 0.1, 0.2), seed=0):
    Y = np.asarray(Y)
    if Y.ndim != 2:
        raise ValueError(f"Y must be 2-d, got {Y.ndim}-d")
    r = np.array(proportions, dtype=float)
    if (r < 0).any() or r.sum() <= 0:
        raise ValueError("proportions must be >= 0 and not all 0")
    r = r / r.sum()
    n, k = Y.shape
    m = len(r)
    rng = np.random.default_rng(seed)
    order = rng.permutation(n)
    coin = rng.random((n, m))
    rank = np.empty(n, dtype=np.int64)
    rank[order] = np.arange(n)                 # position of each row in the shuffled order
    has = Y != 0
    need_rows = r * n
    need = r[:, None] * has.sum(axis=0)[None, :]
    part = np.full(n, -1, dtype=np.int64)
    left = has.sum(axis=0)
    while (left > 0).any():
        g = int(np.argmin(np.where(left > 0, left, n + 1)))
        rows = np.flatnonzero(has[:, g] & (part < 0))
        for row in rows[np.argsort(rank[rows])]:
            i = rank[row]
            j = int(np.lexsort((coin[i], need_rows, need[:, g]))[-1])
            part[row] = j
            need_rows[j] -= 1
            need[j, has[row]] -= 1
            left[has[row]] -= 1
    for row in order:
        if part[row] < 0:
            j = int(np.argmax(need_rows))
            part[row] = j
            need_rows[j] -= 1
    return part
'''),
    ("l2_iterative_stratification", "the reference's loop with explicit candidate lists", '''
def iterative_stratification(Y, proportions=(0.7, 0.1, 0.2), seed=0):
    Y = np.asarray(Y)
    if Y.ndim != 2:
        raise ValueError("Y is not a matrix")
    props = np.asarray(proportions, dtype=np.float64)
    if props.ndim != 1 or props.size == 0 or np.any(props < 0) or props.sum() <= 0:
        raise ValueError("bad proportions")
    r = props / props.sum()
    n, k = Y.shape
    m = r.size
    rng = np.random.default_rng(seed)
    order = rng.permutation(n)
    coin = rng.random((n, m))
    L = Y[order] != 0
    need_rows = r * n
    need = np.outer(r, L.sum(axis=0))
    left = L.sum(axis=0)
    out = -np.ones(n, dtype=np.int64)
    while left.max(initial=0) > 0:
        g = min(range(k), key=lambda h: (left[h] if left[h] > 0 else float("inf"), h))
        for i in range(n):
            if out[i] >= 0 or not L[i, g]:
                continue
            cands = [j for j in range(m) if need[j, g] == need[:, g].max()]
            if len(cands) > 1:
                top = max(need_rows[j] for j in cands)
                cands = [j for j in cands if need_rows[j] == top]
            if len(cands) > 1:
                cands = [max(cands, key=lambda j: coin[i, j])]
            j = cands[0]
            out[i] = j
            need_rows[j] -= 1
            need[j, L[i]] -= 1
            left[L[i]] -= 1
    for i in [i for i in range(n) if out[i] < 0]:
        out[i] = j = int(np.argmax(need_rows))
        need_rows[j] -= 1
    return out[np.argsort(order)]             # row order[i] gets out[i]
'''),
]
