"""Lesson 7 (postmortem): realistic mistakes in the original's sentence vector and in the
rank correlation, and correct implementations written other ways (loops, Counter, dense
matrices, scipy, pandas)."""

BUGGY = [
    # --- sentence_vectors
    ("l7_sentence_vectors", "plain mean of the word vectors (no TF-IDF weights)", '''
def sentence_vectors(token_lists, word_vecs, word_to_id, idf_values):
    word_vecs = np.asarray(word_vecs, dtype=np.float64)
    out = np.zeros((len(token_lists), word_vecs.shape[1]))
    for d, tokens in enumerate(token_lists):
        rows = [word_to_id[w] for w in tokens if w in word_to_id]
        if rows:
            out[d] = word_vecs[rows].mean(axis=0)
    return out
'''),
    ("l7_sentence_vectors", "distinct words only: a repeated word counts once", '''
def sentence_vectors(token_lists, word_vecs, word_to_id, idf_values):
    word_vecs = np.asarray(word_vecs, dtype=np.float64)
    out = np.zeros((len(token_lists), word_vecs.shape[1]))
    for d, tokens in enumerate(token_lists):
        rows = [word_to_id[w] for w in set(tokens) if w in word_to_id]
        if rows:
            weights = np.asarray(idf_values, dtype=float)[rows]
            if weights.sum() != 0:
                out[d] = weights @ word_vecs[rows] / weights.sum()
    return out
'''),
    ("l7_sentence_vectors", "divides by the number of tokens, unknown ones included", '''
def sentence_vectors(token_lists, word_vecs, word_to_id, idf_values):
    word_vecs = np.asarray(word_vecs, dtype=np.float64)
    out = np.zeros((len(token_lists), word_vecs.shape[1]))
    for d, tokens in enumerate(token_lists):
        for w in tokens:
            if w in word_to_id:
                out[d] += idf_values[word_to_id[w]] * word_vecs[word_to_id[w]]
        if tokens:
            out[d] /= len(tokens)
    return out
'''),
    ("l7_sentence_vectors", "no guard: a document without known words gives nan", '''
def sentence_vectors(token_lists, word_vecs, word_to_id, idf_values):
    word_vecs = np.asarray(word_vecs, dtype=np.float64)
    out = np.zeros((len(token_lists), word_vecs.shape[1]))
    for d, tokens in enumerate(token_lists):
        total, weight = np.zeros(word_vecs.shape[1]), 0.0
        for w in tokens:
            if w in word_to_id:
                total += idf_values[word_to_id[w]] * word_vecs[word_to_id[w]]
                weight += idf_values[word_to_id[w]]
        with np.errstate(invalid="ignore", divide="ignore"):
            out[d] = total / weight
    return out
'''),
    ("l7_sentence_vectors", "looks every token up: KeyError on a word without a vector", '''
def sentence_vectors(token_lists, word_vecs, word_to_id, idf_values):
    word_vecs = np.asarray(word_vecs, dtype=np.float64)
    out = np.zeros((len(token_lists), word_vecs.shape[1]))
    for d, tokens in enumerate(token_lists):
        rows = [word_to_id[w] for w in tokens]
        weights = np.asarray(idf_values, dtype=float)[rows]
        if weights.sum() != 0:
            out[d] = weights @ word_vecs[rows] / weights.sum()
    return out
'''),
    ("l7_sentence_vectors", "the weighted sum, never divided by the weights", '''
def sentence_vectors(token_lists, word_vecs, word_to_id, idf_values):
    word_vecs = np.asarray(word_vecs, dtype=np.float64)
    out = np.zeros((len(token_lists), word_vecs.shape[1]))
    for d, tokens in enumerate(token_lists):
        for w in tokens:
            if w in word_to_id:
                out[d] += idf_values[word_to_id[w]] * word_vecs[word_to_id[w]]
    return out
'''),
    ("l7_sentence_vectors", "IDF looked up by the word's position in the vocabulary's insertion order", '''
def sentence_vectors(token_lists, word_vecs, word_to_id, idf_values):
    word_vecs = np.asarray(word_vecs, dtype=np.float64)
    position = {w: j for j, w in enumerate(word_to_id)}
    out = np.zeros((len(token_lists), word_vecs.shape[1]))
    for d, tokens in enumerate(token_lists):
        known = [w for w in tokens if w in word_to_id]
        weights = np.array([idf_values[position[w]] for w in known])
        if known and weights.sum() != 0:
            out[d] = weights @ word_vecs[[word_to_id[w] for w in known]] / weights.sum()
    return out
'''),
    ("l7_sentence_vectors", "drops the unknown tokens from the caller's lists", '''
def sentence_vectors(token_lists, word_vecs, word_to_id, idf_values):
    word_vecs = np.asarray(word_vecs, dtype=np.float64)
    out = np.zeros((len(token_lists), word_vecs.shape[1]))
    for d, tokens in enumerate(token_lists):
        tokens[:] = [w for w in tokens if w in word_to_id]
        rows = [word_to_id[w] for w in tokens]
        weights = np.asarray(idf_values, dtype=float)[rows]
        if rows and weights.sum() != 0:
            out[d] = weights @ word_vecs[rows] / weights.sum()
    return out
'''),
    # --- spearman
    ("l7_spearman", "Pearson correlation of the values, not of the ranks", '''
def spearman(a, b):
    return float(np.corrcoef(np.asarray(a, dtype=float), np.asarray(b, dtype=float))[0, 1])
'''),
    ("l7_spearman", "argsort taken for the ranks", '''
def spearman(a, b):
    ra = np.argsort(np.asarray(a, dtype=float)).astype(float)
    rb = np.argsort(np.asarray(b, dtype=float)).astype(float)
    return float(np.corrcoef(ra, rb)[0, 1])
'''),
    ("l7_spearman", "ranks by argsort of argsort: ties not averaged", '''
def spearman(a, b):
    ra = np.argsort(np.argsort(np.asarray(a, dtype=float))).astype(float)
    rb = np.argsort(np.argsort(np.asarray(b, dtype=float))).astype(float)
    return float(np.corrcoef(ra, rb)[0, 1])
'''),
    ("l7_spearman", "the textbook shortcut 1 - 6 sum d^2 / (n (n^2 - 1)), wrong with ties", '''
def spearman(a, b):
    from scipy.stats import rankdata
    d = rankdata(a) - rankdata(b)
    n = len(d)
    return float(1 - 6 * np.sum(d ** 2) / (n * (n ** 2 - 1)))
'''),
    ("l7_spearman", "dense ranks (np.unique's inverse): ties keep their spacing wrong", '''
def spearman(a, b):
    ra = np.unique(np.asarray(a, dtype=float), return_inverse=True)[1].astype(float)
    rb = np.unique(np.asarray(b, dtype=float), return_inverse=True)[1].astype(float)
    return float(np.corrcoef(ra, rb)[0, 1])
'''),
    ("l7_spearman", "returns numpy's whole 2 x 2 correlation matrix", '''
def spearman(a, b):
    from scipy.stats import rankdata
    return np.corrcoef(rankdata(a), rankdata(b))
'''),
    ("l7_spearman", "sorts the caller's arrays in place to find the ranks", '''
def spearman(a, b):
    def ranks(x):
        original = np.array(x, dtype=float)
        x.sort()
        return np.array([np.mean(np.flatnonzero(x == v)) + 1 for v in original])
    ra, rb = ranks(a), ranks(b)
    ra, rb = ra - ra.mean(), rb - rb.mean()
    return float(ra @ rb / np.sqrt((ra @ ra) * (rb @ rb)))
'''),
]

CORRECT = [
    # --- sentence_vectors
    ("l7_sentence_vectors", "a loop over the tokens with a dict of weights", '''
def sentence_vectors(token_lists, word_vecs, word_to_id, idf_values):
    word_vecs = np.asarray(word_vecs, dtype=np.float64)
    out = np.zeros((len(token_lists), word_vecs.shape[1]))
    for d, tokens in enumerate(token_lists):
        weights = {}
        for w in tokens:
            if w in word_to_id:
                i = word_to_id[w]
                weights[i] = weights.get(i, 0.0) + float(idf_values[i])
        total = sum(weights.values())
        if total != 0:
            for i, weight in weights.items():
                out[d] += weight * word_vecs[i]
            out[d] /= total
    return out
'''),
    ("l7_sentence_vectors", "collections.Counter and one matrix product per document", '''
from collections import Counter


def sentence_vectors(token_lists, word_vecs, word_to_id, idf_values):
    word_vecs = np.asarray(word_vecs, dtype=np.float64)
    idf_values = np.asarray(idf_values, dtype=np.float64)
    rows = []
    for tokens in token_lists:
        counts = Counter(word_to_id[w] for w in tokens if w in word_to_id)
        ids = np.array(list(counts), dtype=int)
        weights = np.array(list(counts.values()), dtype=float) * idf_values[ids] if counts else np.zeros(0)
        total = weights.sum()
        rows.append(weights @ word_vecs[ids] / total if total != 0 else np.zeros(word_vecs.shape[1]))
    return np.array(rows, dtype=np.float64).reshape(len(token_lists), word_vecs.shape[1])
'''),
    ("l7_sentence_vectors", "a dense count matrix, then two matrix products", '''
def sentence_vectors(token_lists, word_vecs, word_to_id, idf_values):
    word_vecs = np.asarray(word_vecs, dtype=np.float64)
    counts = np.zeros((len(token_lists), word_vecs.shape[0]))
    for d, tokens in enumerate(token_lists):
        for w in tokens:
            if w in word_to_id:
                counts[d, word_to_id[w]] += 1
    weights = counts * np.asarray(idf_values, dtype=np.float64)
    totals = weights.sum(axis=1, keepdims=True)
    safe = np.where(totals == 0, 1.0, totals)
    return np.where(totals == 0, 0.0, (weights @ word_vecs) / safe)
'''),
    ("l7_sentence_vectors", "np.add.at on a sparse list of (document, word) pairs", '''
def sentence_vectors(token_lists, word_vecs, word_to_id, idf_values):
    word_vecs = np.asarray(word_vecs, dtype=np.float64)
    pairs = [(d, word_to_id[w]) for d, tokens in enumerate(token_lists) for w in tokens if w in word_to_id]
    out = np.zeros((len(token_lists), word_vecs.shape[1]))
    totals = np.zeros(len(token_lists))
    if pairs:
        docs, ids = map(np.array, zip(*pairs))
        w = np.asarray(idf_values, dtype=np.float64)[ids]
        np.add.at(out, docs, w[:, None] * word_vecs[ids])
        np.add.at(totals, docs, w)
    keep = totals != 0
    out[keep] /= totals[keep, None]
    out[~keep] = 0.0
    return out
'''),
    # --- spearman
    ("l7_spearman", "scipy.stats.spearmanr", '''
from scipy.stats import spearmanr


def spearman(a, b):
    return float(spearmanr(a, b)[0])
'''),
    ("l7_spearman", "scipy's rankdata and numpy's corrcoef", '''
from scipy.stats import rankdata


def spearman(a, b):
    return float(np.corrcoef(rankdata(a), rankdata(b))[0, 1])
'''),
    ("l7_spearman", "pandas: Series.corr(method='spearman')", '''
def spearman(a, b):
    return float(pd.Series(np.asarray(a, dtype=float)).corr(pd.Series(np.asarray(b, dtype=float)),
                                                           method="spearman"))
'''),
    ("l7_spearman", "plain Python: mean ranks by counting smaller and equal values", '''
def spearman(a, b):
    def ranks(x):
        x = [float(v) for v in x]
        return [sum(u < v for u in x) + (sum(u == v for u in x) + 1) / 2 for v in x]
    ra, rb = ranks(a), ranks(b)
    n = len(ra)
    ma, mb = sum(ra) / n, sum(rb) / n
    cov = sum((p - ma) * (q - mb) for p, q in zip(ra, rb))
    va = sum((p - ma) ** 2 for p in ra)
    vb = sum((q - mb) ** 2 for q in rb)
    return float(cov / (va * vb) ** 0.5)
'''),
]
