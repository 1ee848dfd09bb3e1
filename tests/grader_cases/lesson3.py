"""Lesson 3 (TF-IDF): the original project's IDF bug, the functions as scikit-learn's and
textbooks' code writes them (Counter and dict loops, COO building, np.bincount, sklearn-like
normalisation) and realistic mistakes, the promises of the docstrings included (float64
counts, the input not modified, no stored zeros, stable tie order)."""
from grader_cases import mutate

BUGGY = [
    ("l3_idf", "IDF over the vocabulary size instead of the number of documents",
     mutate(("np.log((1.0 + n_docs) / (1.0 + df)) + 1.0", "np.log((1.0 + len(df)) / (1.0 + df)) + 1.0"),
            ("np.log(n_docs / df) + 1.0", "np.log(len(df) / df) + 1.0"))),
    ("l3_idf", "no + 1 (terms in every document get weight 0)", '''
def idf(df, n_docs, smooth=True):
    df = np.asarray(df, dtype=float)
    return np.log((1 + n_docs) / (1 + df)) if smooth else np.log(n_docs / df)
'''),
    ("l3_idf", "log10 instead of ln", '''
def idf(df, n_docs, smooth=True):
    df = np.asarray(df, dtype=float)
    return (np.log10((1 + n_docs) / (1 + df)) if smooth else np.log10(n_docs / df)) + 1
'''),
    ("l3_idf", "smooth ignored", '''
def idf(df, n_docs, smooth=True):
    return np.log((1 + n_docs) / (1 + np.asarray(df, dtype=float))) + 1
'''),
    ("l3_idf", "integer division in Python 2 style (n // df)", '''
def idf(df, n_docs, smooth=True):
    df = np.asarray(df)
    return (np.log((1 + n_docs) // (1 + df)) if smooth else np.log(n_docs // df)) + 1.0
'''),
    ("l3_idf", "log(n / df + 1) (another smoothing)", '''
def idf(df, n_docs, smooth=True):
    df = np.asarray(df, dtype=float)
    return np.log(n_docs / df + 1) + (0 if smooth else 1)
'''),
    # --- count_matrix
    ("l3_count_matrix", "integer counts (int64 data)", '''
def count_matrix(token_lists, vocabulary):
    rows, cols = [], []
    for i, tokens in enumerate(token_lists):
        for tok in tokens:
            if tok in vocabulary:
                rows.append(i)
                cols.append(vocabulary[tok])
    data = np.ones(len(rows), dtype=np.int64)
    return sp.csr_matrix((data, (rows, cols)), shape=(len(token_lists), len(vocabulary)))
'''),
    ("l3_count_matrix", "presence (1) instead of counts", '''
def count_matrix(token_lists, vocabulary):
    M = sp.lil_matrix((len(token_lists), len(vocabulary)))
    for i, tokens in enumerate(token_lists):
        for tok in set(tokens):
            if tok in vocabulary:
                M[i, vocabulary[tok]] = 1.0
    return M.tocsr()
'''),
    ("l3_count_matrix", "as many columns as the largest index seen", '''
def count_matrix(token_lists, vocabulary):
    rows, cols = [], []
    for i, tokens in enumerate(token_lists):
        for tok in tokens:
            if tok in vocabulary:
                rows.append(i)
                cols.append(vocabulary[tok])
    return sp.csr_matrix((np.ones(len(rows)), (rows, cols)), shape=(len(token_lists), max(cols, default=-1) + 1))
'''),
    ("l3_count_matrix", "empty documents dropped", '''
def count_matrix(token_lists, vocabulary):
    kept = [t for t in token_lists if any(w in vocabulary for w in t)]
    rows, cols = [], []
    for i, tokens in enumerate(kept):
        for tok in tokens:
            if tok in vocabulary:
                rows.append(i)
                cols.append(vocabulary[tok])
    return sp.csr_matrix((np.ones(len(rows)), (rows, cols)), shape=(len(kept), len(vocabulary)))
'''),
    ("l3_count_matrix", "a dense numpy array", '''
def count_matrix(token_lists, vocabulary):
    M = np.zeros((len(token_lists), len(vocabulary)))
    for i, tokens in enumerate(token_lists):
        for tok in tokens:
            if tok in vocabulary:
                M[i, vocabulary[tok]] += 1
    return M
'''),
    # --- tfidf
    ("l3_tfidf", "multiplies X.data in place (the input counts change)", '''
def tfidf(X, idf_values, sublinear=False, norm="l2"):
    W = X
    W.data = W.data.astype(np.float64)
    if sublinear:
        W.data = 1 + np.log(W.data)
    W.data *= idf_values[W.indices]
    if norm is not None:
        n = np.sqrt(W.multiply(W).sum(axis=1)).A1 if norm == "l2" else abs(W).sum(axis=1).A1
        n[n == 0] = 1
        W = sp.csr_matrix(sp.diags(1 / n) @ W)
    return W
'''),
    ("l3_tfidf", "norm ignored: always l2", '''
def tfidf(X, idf_values, sublinear=False, norm="l2"):
    W = sp.csr_matrix(X, dtype=np.float64, copy=True)
    if sublinear:
        W.data = 1 + np.log(W.data)
    W.data *= idf_values[W.indices]
    n = np.sqrt(np.asarray(W.multiply(W).sum(axis=1))).ravel()
    n[n == 0] = 1
    return sp.csr_matrix(sp.diags(1 / n) @ W)
'''),
    ("l3_tfidf", "sublinear as log(count) without the 1 +", '''
def tfidf(X, idf_values, sublinear=False, norm="l2"):
    W = sp.csr_matrix(X, dtype=np.float64, copy=True)
    if sublinear:
        W.data = np.log(W.data)
    W.data *= idf_values[W.indices]
    if norm:
        n = np.sqrt(np.asarray(W.multiply(W).sum(axis=1))).ravel() if norm == "l2" else np.asarray(abs(W).sum(axis=1)).ravel()
        n[n == 0] = 1
        W = sp.csr_matrix(sp.diags(1 / n) @ W)
    return W
'''),
    ("l3_tfidf", "columns normalised instead of rows", '''
def tfidf(X, idf_values, sublinear=False, norm="l2"):
    W = sp.csr_matrix(X, dtype=np.float64, copy=True)
    if sublinear:
        W.data = 1 + np.log(W.data)
    W.data *= idf_values[W.indices]
    if norm:
        n = np.sqrt(np.asarray(W.multiply(W).sum(axis=0))).ravel() if norm == "l2" else np.asarray(abs(W).sum(axis=0)).ravel()
        n[n == 0] = 1
        W = sp.csr_matrix(W @ sp.diags(1 / n))
    return W
'''),
    ("l3_tfidf", "idf indexed by row instead of column", '''
def tfidf(X, idf_values, sublinear=False, norm="l2"):
    W = sp.csr_matrix(X, dtype=np.float64, copy=True)
    if sublinear:
        W.data = 1 + np.log(W.data)
    rows = np.repeat(np.arange(W.shape[0]), np.diff(W.indptr))
    W.data *= idf_values[rows % len(idf_values)]
    if norm:
        n = np.sqrt(np.asarray(W.multiply(W).sum(axis=1))).ravel() if norm == "l2" else np.asarray(abs(W).sum(axis=1)).ravel()
        n[n == 0] = 1
        W = sp.csr_matrix(sp.diags(1 / n) @ W)
    return W
'''),
    # --- nearest_rows
    ("l3_nearest_rows", "np.argsort default kind: ties in any order", '''
def nearest_rows(S, i, k=5):
    S = np.asarray(S, dtype=float)
    norms = np.linalg.norm(S, axis=1)
    norms[norms == 0] = 1
    sims = S @ S[i] / (norms * norms[i])
    sims[i] = -np.inf
    order = np.argsort(-sims, kind="heapsort")
    return [int(j) for j in order[:k]]
'''),
    ("l3_nearest_rows", "ties broken by the highest index (argsort of sims reversed)", '''
def nearest_rows(S, i, k=5):
    S = np.asarray(S, dtype=float)
    norms = np.linalg.norm(S, axis=1)
    norms[norms == 0] = 1
    sims = S @ S[i] / (norms * norms[i])
    sims[i] = -np.inf
    order = np.argsort(sims, kind="stable")[::-1]
    return [int(j) for j in order[:k]]
'''),
    ("l3_nearest_rows", "dot products, not cosine", '''
def nearest_rows(S, i, k=5):
    S = np.asarray(S, dtype=float)
    sims = S @ S[i]
    sims[i] = -np.inf
    return [int(j) for j in np.argsort(-sims, kind="stable")[:k]]
'''),
    ("l3_nearest_rows", "the row itself not excluded", '''
def nearest_rows(S, i, k=5):
    S = np.asarray(S, dtype=float)
    norms = np.linalg.norm(S, axis=1)
    norms[norms == 0] = 1
    sims = S @ S[i] / (norms * norms[i])
    return [int(j) for j in np.argsort(-sims, kind="stable")[:k]]
'''),
    ("l3_nearest_rows", "zero rows give nan similarities", '''
def nearest_rows(S, i, k=5):
    S = np.asarray(S, dtype=float)
    with np.errstate(all="ignore"):
        U = S / np.linalg.norm(S, axis=1, keepdims=True)
        sims = U @ U[i]
    sims[i] = -np.inf
    return [int(j) for j in np.argsort(-sims, kind="stable")[:k]]
'''),
    # --- ppmi
    ("l3_ppmi", "negative PMI kept (PMI, not PPMI)", '''
def ppmi(C, eps=0.0):
    C = sp.csr_matrix(C, dtype=np.float64)
    N = C.sum()
    r = np.asarray(C.sum(axis=1)).ravel()
    c = np.asarray(C.sum(axis=0)).ravel()
    rows = np.repeat(np.arange(C.shape[0]), np.diff(C.indptr))
    data = np.log(C.data * N / (r[rows] * c[C.indices]) + eps)
    return sp.csr_matrix((data, C.indices.copy(), C.indptr.copy()), shape=C.shape)
'''),
    ("l3_ppmi", "zeros left stored after the max(0, .)", '''
def ppmi(C, eps=0.0):
    C = sp.csr_matrix(C, dtype=np.float64)
    N = C.sum()
    r = np.asarray(C.sum(axis=1)).ravel()
    c = np.asarray(C.sum(axis=0)).ravel()
    rows = np.repeat(np.arange(C.shape[0]), np.diff(C.indptr))
    data = np.maximum(0, np.log(C.data * N / (r[rows] * c[C.indices]) + eps))
    return sp.csr_matrix((data, C.indices.copy(), C.indptr.copy()), shape=C.shape)
'''),
    ("l3_ppmi", "row sums used for both r and c (wrong for a non-symmetric C)", '''
def ppmi(C, eps=0.0):
    C = sp.csr_matrix(C, dtype=np.float64)
    N = C.sum()
    r = np.asarray(C.sum(axis=1)).ravel()
    rows = np.repeat(np.arange(C.shape[0]), np.diff(C.indptr))
    data = np.maximum(0, np.log(C.data * N / (r[rows] * r[C.indices]) + eps))
    M = sp.csr_matrix((data, C.indices.copy(), C.indptr.copy()), shape=C.shape)
    M.eliminate_zeros()
    return M
'''),
]

CORRECT = [
    # subclasses of the plain types, as honest code returns them (the judge once scored both 0)
    ("l3_build_vocabulary", "an OrderedDict (a dict subclass)", '''
from collections import Counter, OrderedDict


def build_vocabulary(token_lists, min_df=1, max_df=1.0):
    n = len(token_lists)
    df = Counter(t for toks in token_lists for t in set(toks))
    lo = min_df if isinstance(min_df, int) else min_df * n
    hi = max_df if isinstance(max_df, int) else max_df * n
    return OrderedDict((t, i) for i, t in enumerate(sorted(t for t in df if lo <= df[t] <= hi)))
'''),
    ("l3_weighted_mean_rows", "an np.matrix: the row sums of a sparse matrix are one", '''
def weighted_mean_rows(X, W):
    sums = X.sum(axis=1)
    return (X @ W) / np.maximum(sums, 1e-300)
'''),
    ("l3_idf", "a loop with math.log and other names", '''
import math

def idf(df, n_docs, smooth=True):
    counts = np.asarray(df, dtype=float)
    weights = np.empty(len(counts))
    for j, count in enumerate(counts):
        if smooth:
            weights[j] = math.log((n_docs + 1) / (count + 1)) + 1
        else:
            weights[j] = math.log(n_docs / count) + 1
    return weights
'''),
    ("l3_idf", "scikit-learn's form: smooth adds one to n and df", '''
def idf(df, n_docs, smooth=True):
    df = np.asarray(df, dtype=np.float64)
    n_samples = n_docs + int(smooth)
    df = df + int(smooth)
    return np.log(n_samples / df) + 1
'''),
    ("l3_idf", "log of a difference of logs", '''
def idf(df, n_docs, smooth=True):
    df = np.asarray(df, dtype=np.float64)
    if smooth:
        return np.log1p(n_docs) - np.log1p(df) + 1.0
    return np.log(n_docs) - np.log(df) + 1.0
'''),
    ("l3_count_matrix", "collections.Counter per document, COO then CSR", '''
from collections import Counter

def count_matrix(token_lists, vocabulary):
    rows, cols, vals = [], [], []
    for i, tokens in enumerate(token_lists):
        for term, n in Counter(t for t in tokens if t in vocabulary).items():
            rows.append(i)
            cols.append(vocabulary[term])
            vals.append(float(n))
    return sp.coo_matrix((np.array(vals, dtype=np.float64), (rows, cols)),
                         shape=(len(token_lists), len(vocabulary))).tocsr()
'''),
    ("l3_count_matrix", "scikit-learn's CountVectorizer way: j_indices and indptr", '''
def count_matrix(token_lists, vocabulary):
    j_indices, values, indptr = [], [], [0]
    for tokens in token_lists:
        counts = {}
        for tok in tokens:
            j = vocabulary.get(tok)
            if j is not None:
                counts[j] = counts.get(j, 0) + 1
        j_indices.extend(counts.keys())
        values.extend(counts.values())
        indptr.append(len(j_indices))
    X = sp.csr_matrix((np.asarray(values, dtype=np.float64), np.asarray(j_indices, dtype=np.int64),
                       np.asarray(indptr, dtype=np.int64)), shape=(len(token_lists), len(vocabulary)))
    X.sort_indices()
    return X
'''),
    ("l3_count_matrix", "a lil_matrix filled by +=", '''
def count_matrix(token_lists, vocabulary):
    M = sp.lil_matrix((len(token_lists), len(vocabulary)), dtype=np.float64)
    for i, tokens in enumerate(token_lists):
        for tok in tokens:
            if tok in vocabulary:
                M[i, vocabulary[tok]] += 1
    return sp.csr_matrix(M)
'''),
    ("l3_tfidf", "diagonal matrices: X @ diag(idf), then diag(1 / norms) @ X (sklearn-like)", '''
def tfidf(X, idf_values, sublinear=False, norm="l2"):
    X = sp.csr_matrix(X, dtype=np.float64, copy=True)
    if sublinear:
        X.data = np.log(X.data) + 1
    X = X @ sp.diags(np.asarray(idf_values, dtype=np.float64))
    if norm == "l2":
        norms = np.sqrt(np.asarray(X.multiply(X).sum(axis=1)).ravel())
    elif norm == "l1":
        norms = np.asarray(abs(X).sum(axis=1)).ravel()
    else:
        return sp.csr_matrix(X)
    norms[norms == 0.0] = 1.0
    return sp.csr_matrix(sp.diags(1.0 / norms) @ X)
'''),
    ("l3_tfidf", "row loop over indptr", '''
def tfidf(X, idf_values, sublinear=False, norm="l2"):
    W = sp.csr_matrix(X, dtype=np.float64, copy=True)
    data = W.data
    if sublinear:
        data[:] = 1.0 + np.log(data)
    data *= np.asarray(idf_values)[W.indices]
    for i in range(W.shape[0]):
        row = data[W.indptr[i]:W.indptr[i + 1]]
        if norm is None or row.size == 0:
            continue
        n = np.sqrt((row ** 2).sum()) if norm == "l2" else np.abs(row).sum()
        if n > 0:
            row /= n
    return W
'''),
    ("l3_tfidf", "multiply by a broadcast idf row, normalise with sklearn-like preprocessing code", '''
def tfidf(X, idf_values, sublinear=False, norm="l2"):
    W = sp.csr_matrix(X, dtype=np.float64, copy=True)
    if sublinear:
        np.log(W.data, W.data)
        W.data += 1
    W = sp.csr_matrix(W.multiply(np.asarray(idf_values, dtype=np.float64)[None, :]))
    if norm is not None:
        if norm == "l2":
            n = np.sqrt(np.asarray(W.power(2).sum(axis=1)).ravel())
        else:
            n = np.asarray(np.abs(W).sum(axis=1)).ravel()
        scale = np.divide(1.0, n, out=np.zeros_like(n), where=n > 0)
        W = sp.csr_matrix(W.multiply(scale[:, None]))
    return W
'''),
    ("l3_nearest_rows", "normalise first, sorted() with a (−sim, index) key", '''
def nearest_rows(S, i, k=5):
    S = np.asarray(S, dtype=float)
    norms = np.linalg.norm(S, axis=1, keepdims=True)
    U = np.divide(S, norms, out=np.zeros_like(S), where=norms > 0)
    sims = U @ U[i]
    candidates = [j for j in range(len(S)) if j != i]
    candidates.sort(key=lambda j: (-sims[j], j))
    return candidates[:k]
'''),
    ("l3_nearest_rows", "np.lexsort on (index, -similarity)", '''
def nearest_rows(S, i, k=5):
    S = np.asarray(S, dtype=np.float64)
    n = np.sqrt((S * S).sum(axis=1))
    n = np.where(n == 0, 1.0, n)
    sims = (S @ S[i]) / (n * n[i])
    idx = np.array([j for j in range(len(S)) if j != i])
    order = idx[np.lexsort((idx, -sims[idx]))]
    return order[:k].tolist()
'''),
    ("l3_nearest_rows", "mergesort (stable) on the negated similarities", '''
def nearest_rows(S, i, k=5):
    S = np.asarray(S, dtype=float)
    norms = np.linalg.norm(S, axis=1)
    safe = np.where(norms > 0, norms, 1.0)
    sims = (S / safe[:, None]) @ (S[i] / safe[i])
    order = np.argsort(-sims, kind="mergesort")
    return [int(j) for j in order[order != i][:k]]
'''),
    ("l3_ppmi", "COO with row and column sums, then eliminate_zeros", '''
def ppmi(C, eps=0.0):
    coo = sp.coo_matrix(C, dtype=np.float64)
    N = coo.sum()
    r = np.asarray(coo.sum(axis=1)).ravel()
    c = np.asarray(coo.sum(axis=0)).ravel()
    with np.errstate(divide="ignore"):
        vals = np.maximum(0.0, np.log(coo.data * N / (r[coo.row] * c[coo.col]) + eps))
    M = sp.csr_matrix((vals, (coo.row, coo.col)), shape=coo.shape)
    M.eliminate_zeros()
    return M
'''),
    ("l3_ppmi", "DLFS 2 style formula on the stored entries of a copy", '''
def ppmi(C, eps=0.0):
    M = sp.csr_matrix(C, dtype=np.float64, copy=True)
    total = M.sum()
    S = np.asarray(M.sum(axis=0)).ravel()
    R = np.asarray(M.sum(axis=1)).ravel()
    for i in range(M.shape[0]):
        start, end = M.indptr[i], M.indptr[i + 1]
        cols = M.indices[start:end]
        pmi = np.log(M.data[start:end] * total / (R[i] * S[cols]) + eps)
        M.data[start:end] = np.maximum(0, pmi)
    M.eliminate_zeros()
    return M
'''),
]

# ----------------------------------------------------------------------------- more cases
# (issue 10, item 3: at least 5 buggy and 3 correct implementations per exercise)

BUGGY += [
    # --- tokenize
    ("l3_tokenize", "str.split on whitespace: punctuation stays attached", '''
def tokenize(text, token_pattern=TOKEN_PATTERN, lowercase=True):
    return (text.lower() if lowercase else text).split()
'''),
    ("l3_tokenize", "always lower-cased (lowercase=False ignored)", '''
def tokenize(text, token_pattern=TOKEN_PATTERN, lowercase=True):
    return re.findall(token_pattern, text.lower())
'''),
    ("l3_tokenize", "never lower-cased (the flag tested the wrong way round)", '''
def tokenize(text, token_pattern=TOKEN_PATTERN, lowercase=True):
    if not lowercase:
        text = text.lower()
    return re.findall(token_pattern, text)
'''),
    ("l3_tokenize", "a hard-coded \\w+ instead of token_pattern (one-letter tokens kept)", '''
def tokenize(text, token_pattern=TOKEN_PATTERN, lowercase=True):
    if lowercase:
        text = text.lower()
    return re.findall(r"\\w+", text)
'''),
    ("l3_tokenize", "textbook tokenizer: split, strip punctuation, drop short words", '''
import string

def tokenize(text, token_pattern=TOKEN_PATTERN, lowercase=True):
    if lowercase:
        text = text.lower()
    words = [w.strip(string.punctuation) for w in text.split()]
    return [w for w in words if len(w) >= 2]
'''),
    # --- build_vocabulary
    ("l3_build_vocabulary", "term frequency (all occurrences) instead of document frequency", '''
from collections import Counter

def build_vocabulary(token_lists, min_df=1, max_df=1.0):
    n = len(token_lists)
    counts = Counter(t for tokens in token_lists for t in tokens)
    low = min_df if isinstance(min_df, int) else min_df * n
    high = max_df if isinstance(max_df, int) else max_df * n
    return {t: j for j, t in enumerate(sorted(t for t, d in counts.items() if low <= d <= high))}
'''),
    ("l3_build_vocabulary", "a float max_df compared as a count (max_df=0.5 keeps nothing)", '''
def build_vocabulary(token_lists, min_df=1, max_df=1.0):
    n = len(token_lists)
    df = {}
    for tokens in token_lists:
        for t in set(tokens):
            df[t] = df.get(t, 0) + 1
    low = min_df if isinstance(min_df, int) else min_df * n
    high = max_df if max_df != 1.0 else n
    return {t: j for j, t in enumerate(sorted(t for t in df if low <= df[t] <= high))}
'''),
    ("l3_build_vocabulary", "strict bounds: min_df < d < max_df", '''
def build_vocabulary(token_lists, min_df=1, max_df=1.0):
    n = len(token_lists)
    df = {}
    for tokens in token_lists:
        for t in set(tokens):
            df[t] = df.get(t, 0) + 1
    low = min_df if isinstance(min_df, int) else min_df * n
    high = max_df if isinstance(max_df, int) else max_df * n
    return {t: j for j, t in enumerate(sorted(t for t in df if low < df[t] < high))}
'''),
    ("l3_build_vocabulary", "columns in order of first appearance, not alphabetical", '''
def build_vocabulary(token_lists, min_df=1, max_df=1.0):
    n = len(token_lists)
    df = {}
    for tokens in token_lists:
        for t in dict.fromkeys(tokens):
            df[t] = df.get(t, 0) + 1
    low = min_df if isinstance(min_df, int) else min_df * n
    high = max_df if isinstance(max_df, int) else max_df * n
    vocab = {}
    for t, d in df.items():
        if low <= d <= high:
            vocab[t] = len(vocab)
    return vocab
'''),
    ("l3_build_vocabulary", "indices from 1 (0 kept for padding, Keras-style)", '''
def build_vocabulary(token_lists, min_df=1, max_df=1.0):
    n = len(token_lists)
    df = {}
    for tokens in token_lists:
        for t in set(tokens):
            df[t] = df.get(t, 0) + 1
    low = min_df if isinstance(min_df, int) else min_df * n
    high = max_df if isinstance(max_df, int) else max_df * n
    return {t: j for j, t in enumerate(sorted(t for t in df if low <= df[t] <= high), start=1)}
'''),
    # --- document_frequency
    ("l3_document_frequency", "column sums: total counts, not documents", '''
def document_frequency(X):
    return np.asarray(X.sum(axis=0)).ravel().astype(np.int64)
'''),
    ("l3_document_frequency", "wrong axis: non-zeros per document", '''
def document_frequency(X):
    return np.diff(sp.csr_matrix(X).indptr).astype(np.int64)
'''),
    ("l3_document_frequency", "a float array", '''
def document_frequency(X):
    return np.asarray((X > 0).sum(axis=0), dtype=np.float64).ravel()
'''),
    ("l3_document_frequency", "np.bincount without minlength: trailing unused terms missing", '''
def document_frequency(X):
    X = sp.csr_matrix(X)
    return np.bincount(X.indices).astype(np.int64)
'''),
    ("l3_document_frequency", "a (1, n_terms) np.matrix from .sum(axis=0)", '''
def document_frequency(X):
    return (X != 0).sum(axis=0).astype(np.int64)
'''),
    # --- weighted_mean_rows
    ("l3_weighted_mean_rows", "a weighted sum: no division by the weights", '''
def weighted_mean_rows(X, W):
    return np.asarray(sp.csr_matrix(X, dtype=np.float64) @ np.asarray(W, dtype=np.float64))
'''),
    ("l3_weighted_mean_rows", "divided by the number of words present, not by the weight sum", '''
def weighted_mean_rows(X, W):
    X = sp.csr_matrix(X, dtype=np.float64)
    S = np.asarray(X @ np.asarray(W, dtype=np.float64))
    n = np.diff(X.indptr)
    S[n > 0] /= n[n > 0, None]
    return S
'''),
    ("l3_weighted_mean_rows", "no guard: a document without weight gives nan", '''
def weighted_mean_rows(X, W):
    X = sp.csr_matrix(X, dtype=np.float64)
    total = np.asarray(X.sum(axis=1))
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.asarray(X @ np.asarray(W, dtype=np.float64)) / total
'''),
    ("l3_weighted_mean_rows", "the output takes W's dtype (float32 from float32 W)", '''
def weighted_mean_rows(X, W):
    X = sp.csr_matrix(X)
    W = np.asarray(W)
    out = np.zeros((X.shape[0], W.shape[1]), dtype=W.dtype)
    for i in range(X.shape[0]):
        lo, hi = X.indptr[i], X.indptr[i + 1]
        w = X.data[lo:hi]
        if w.sum() != 0:
            out[i] = w @ W[X.indices[lo:hi]] / w.sum()
    return out
'''),
    ("l3_weighted_mean_rows", "weight sums over the wrong axis (column sums)", '''
def weighted_mean_rows(X, W):
    X = sp.csr_matrix(X, dtype=np.float64)
    S = np.asarray(X @ np.asarray(W, dtype=np.float64))
    total = np.asarray(X.sum(axis=0)).ravel()[: S.shape[0]]
    total = np.pad(total, (0, S.shape[0] - len(total)))
    ok = total != 0
    S[ok] /= total[ok, None]
    return S
'''),
    ("l3_weighted_mean_rows", "sklearn's normalize() default: rows divided by their L2 norm", '''
from sklearn.preprocessing import normalize

def weighted_mean_rows(X, W):
    return np.asarray(normalize(sp.csr_matrix(X, dtype=np.float64)) @ np.asarray(W, dtype=np.float64))
'''),
    # --- ppmi
    ("l3_ppmi", "log2 as in DLFS 2 instead of the natural log", '''
def ppmi(C, eps=0.0):
    C = sp.csr_matrix(C, dtype=np.float64)
    N = C.sum()
    r = np.asarray(C.sum(axis=1)).ravel()
    c = np.asarray(C.sum(axis=0)).ravel()
    rows = np.repeat(np.arange(C.shape[0]), np.diff(C.indptr))
    data = np.maximum(0, np.log2(C.data * N / (r[rows] * c[C.indices]) + eps))
    M = sp.csr_matrix((data, C.indices.copy(), C.indptr.copy()), shape=C.shape)
    M.eliminate_zeros()
    return M
'''),
    ("l3_ppmi", "the input's data overwritten in place", '''
def ppmi(C, eps=0.0):
    N = C.sum()
    r = np.asarray(C.sum(axis=1)).ravel()
    c = np.asarray(C.sum(axis=0)).ravel()
    rows = np.repeat(np.arange(C.shape[0]), np.diff(C.indptr))
    C.data = np.maximum(0, np.log(C.data * N / (r[rows] * c[C.indices]) + eps))
    C.eliminate_zeros()
    return C
'''),
    ("l3_ppmi", "N = number of stored entries instead of the total count", '''
def ppmi(C, eps=0.0):
    C = sp.csr_matrix(C, dtype=np.float64)
    N = C.nnz
    r = np.asarray(C.sum(axis=1)).ravel()
    c = np.asarray(C.sum(axis=0)).ravel()
    rows = np.repeat(np.arange(C.shape[0]), np.diff(C.indptr))
    data = np.maximum(0, np.log(C.data * N / (r[rows] * c[C.indices]) + eps))
    M = sp.csr_matrix((data, C.indices.copy(), C.indptr.copy()), shape=C.shape)
    M.eliminate_zeros()
    return M
'''),
]

CORRECT += [
    # --- tokenize
    ("l3_tokenize", "a compiled pattern and finditer", '''
def tokenize(text, token_pattern=TOKEN_PATTERN, lowercase=True):
    pattern = re.compile(token_pattern)
    source = text.lower() if lowercase else text
    return [m.group(0) for m in pattern.finditer(source)]
'''),
    ("l3_tokenize", "tokens lower-cased one by one after findall", '''
def tokenize(text, token_pattern=TOKEN_PATTERN, lowercase=True):
    tokens = re.findall(token_pattern, text)
    if lowercase:
        tokens = [token.lower() for token in tokens]
    return tokens
'''),
    ("l3_tokenize", "scikit-learn's analyzer: a preprocessor then a tokenizer", '''
def tokenize(text, token_pattern=TOKEN_PATTERN, lowercase=True):
    preprocess = str.lower if lowercase else (lambda s: s)
    tokenizer = re.compile(token_pattern).findall
    return list(tokenizer(preprocess(text)))
'''),
    # --- build_vocabulary
    ("l3_build_vocabulary", "Counter.update with each document's set", '''
from collections import Counter

def build_vocabulary(token_lists, min_df=1, max_df=1.0):
    df = Counter()
    for doc in token_lists:
        df.update(set(doc))
    n = len(token_lists)
    lo = min_df * n if isinstance(min_df, float) else min_df
    hi = max_df * n if isinstance(max_df, float) else max_df
    kept = sorted(term for term, count in df.items() if lo <= count <= hi)
    return dict(zip(kept, range(len(kept))))
'''),
    ("l3_build_vocabulary", "scikit-learn's _limit_features: a df array and a boolean mask", '''
import numbers

def build_vocabulary(token_lists, min_df=1, max_df=1.0):
    n_doc = len(token_lists)
    terms = sorted({t for doc in token_lists for t in doc})
    index = {t: j for j, t in enumerate(terms)}
    dfs = np.zeros(len(terms), dtype=np.int64)
    for doc in token_lists:
        for t in set(doc):
            dfs[index[t]] += 1
    max_doc_count = max_df if isinstance(max_df, numbers.Integral) else max_df * n_doc
    min_doc_count = min_df if isinstance(min_df, numbers.Integral) else min_df * n_doc
    mask = (dfs >= min_doc_count) & (dfs <= max_doc_count)
    kept = [t for t, keep in zip(terms, mask) if keep]
    return {t: j for j, t in enumerate(kept)}
'''),
    ("l3_build_vocabulary", "document sets, df by membership, plain Python", '''
def build_vocabulary(token_lists, min_df=1, max_df=1.0):
    docs = [set(doc) for doc in token_lists]
    all_terms = set().union(*docs)
    n = len(docs)
    low = min_df if type(min_df) is int else min_df * n
    high = max_df if type(max_df) is int else max_df * n
    vocabulary = {}
    for term in sorted(all_terms):
        d = sum(1 for doc in docs if term in doc)
        if low <= d <= high:
            vocabulary[term] = len(vocabulary)
    return vocabulary
'''),
    # --- document_frequency
    ("l3_document_frequency", "(X != 0) summed over the documents", '''
def document_frequency(X):
    return np.asarray((X != 0).sum(axis=0)).ravel().astype(np.int64)
'''),
    ("l3_document_frequency", "CSC copy without stored zeros: np.diff of indptr", '''
def document_frequency(X):
    C = sp.csc_matrix(X, copy=True)
    C.sum_duplicates()
    C.eliminate_zeros()
    return np.diff(C.indptr).astype(np.int64)
'''),
    ("l3_document_frequency", "dense: np.count_nonzero per column", '''
def document_frequency(X):
    dense = X.toarray() if sp.issparse(X) else np.asarray(X)
    return np.count_nonzero(dense, axis=0).astype(np.int64)
'''),
    ("l3_document_frequency", "a loop over the rows of the CSR matrix", '''
def document_frequency(X):
    X = sp.csr_matrix(X)
    df = np.zeros(X.shape[1], dtype=np.int64)
    for i in range(X.shape[0]):
        row = X.getrow(i)
        for j in set(row.indices[row.data != 0].tolist()):
            df[j] += 1
    return df
'''),
    # --- weighted_mean_rows
    ("l3_weighted_mean_rows", "rows scaled by a diagonal matrix of 1 / sums (sklearn-like)", '''
def weighted_mean_rows(X, W):
    X = sp.csr_matrix(X, dtype=np.float64)
    sums = np.asarray(X.sum(axis=1)).ravel()
    inv = np.divide(1.0, sums, out=np.zeros_like(sums), where=sums != 0)
    return np.asarray(sp.diags(inv) @ X @ np.asarray(W, dtype=np.float64), dtype=np.float64)
'''),
    ("l3_weighted_mean_rows", "a loop over the CSR rows", '''
def weighted_mean_rows(X, W):
    X = sp.csr_matrix(X)
    W = np.asarray(W, dtype=np.float64)
    out = np.zeros((X.shape[0], W.shape[1]))
    for i in range(X.shape[0]):
        lo, hi = X.indptr[i], X.indptr[i + 1]
        weights = X.data[lo:hi].astype(np.float64)
        total = weights.sum()
        if total != 0:
            out[i] = weights @ W[X.indices[lo:hi]] / total
    return out
'''),
    ("l3_weighted_mean_rows", "dense arrays and np.where", '''
def weighted_mean_rows(X, W):
    A = X.toarray().astype(np.float64)
    total = A.sum(axis=1, keepdims=True)
    S = A @ np.asarray(W, dtype=np.float64)
    return np.where(total != 0, S / np.where(total != 0, total, 1.0), 0.0)
'''),
    # --- ppmi
    ("l3_ppmi", "dense numpy: outer product of the sums, zeros masked, back to CSR", '''
def ppmi(C, eps=0.0):
    D = sp.csr_matrix(C).toarray().astype(np.float64)
    N = D.sum()
    expected = np.outer(D.sum(axis=1), D.sum(axis=0))
    with np.errstate(divide="ignore", invalid="ignore"):
        pmi = np.log(D * N / expected + eps)
    M = np.where(D > 0, np.maximum(pmi, 0.0), 0.0)
    return sp.csr_matrix(M)
'''),
]

# eps of ppmi: the docstring puts it inside the logarithm (DLFS 2 writes the same formula)
BUGGY += [
    ("l3_ppmi", "eps ignored (never added)", '''
def ppmi(C, eps=0.0):
    C = sp.csr_matrix(C, dtype=np.float64)
    N = C.sum()
    r = np.asarray(C.sum(axis=1)).ravel()
    c = np.asarray(C.sum(axis=0)).ravel()
    rows = np.repeat(np.arange(C.shape[0]), np.diff(C.indptr))
    data = np.maximum(0, np.log(C.data * N / (r[rows] * c[C.indices])))
    M = sp.csr_matrix((data, C.indices.copy(), C.indptr.copy()), shape=C.shape)
    M.eliminate_zeros()
    return M
'''),
    ("l3_ppmi", "eps added after the logarithm", '''
def ppmi(C, eps=0.0):
    C = sp.csr_matrix(C, dtype=np.float64)
    N = C.sum()
    r = np.asarray(C.sum(axis=1)).ravel()
    c = np.asarray(C.sum(axis=0)).ravel()
    rows = np.repeat(np.arange(C.shape[0]), np.diff(C.indptr))
    data = np.maximum(0, np.log(C.data * N / (r[rows] * c[C.indices])) + eps)
    M = sp.csr_matrix((data, C.indices.copy(), C.indptr.copy()), shape=C.shape)
    M.eliminate_zeros()
    return M
'''),
]

# nearest_rows promises "i itself excluded" for any k, also k >= the number of rows
BUGGY += [
    ("l3_nearest_rows", "the row itself (similarity -inf) returned last when k >= n", '''
def nearest_rows(S, i, k=5):
    S = np.asarray(S, dtype=np.float64)
    norms = np.linalg.norm(S, axis=1)
    norms[norms == 0] = 1.0
    sims = (S @ S[i]) / (norms * norms[i])
    sims[i] = -np.inf
    return [int(j) for j in np.argsort(-sims, kind="stable")[:k]]
'''),
]
