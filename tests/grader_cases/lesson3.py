"""Lesson 3 (TF-IDF): the original project's IDF bug must lose points."""
from grader_cases import mutate

BUGGY = [
    ("l3_idf", "IDF over the vocabulary size instead of the number of documents",
     mutate(("np.log((1.0 + n_docs) / (1.0 + df)) + 1.0", "np.log((1.0 + len(df)) / (1.0 + df)) + 1.0"),
            ("np.log(n_docs / df) + 1.0", "np.log(len(df) / df) + 1.0"))),
]

CORRECT = [
    ("l3_idf", "a loop with math.log and other names", '''
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
]
