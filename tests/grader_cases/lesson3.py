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
    sims[i] = -np.inf
    return [int(j) for j in np.argsort(-sims, kind="mergesort")[:k]]
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
