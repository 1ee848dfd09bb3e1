"""``anime-genre vectorize CLEAN.csv -o FEATURES.npz``: TF-IDF features of a clean table.

Reads the ``Text`` column written by ``anime-genre clean`` (or ``--column Synopsis`` for raw
text) and writes one ``.npz`` holding the CSR arrays (``data``, ``indices``, ``indptr``,
``shape``), the vocabulary (``feature_names``), ``idf``, ``mal_id`` and, when the table has
genres, the multi-hot targets ``Y`` with ``genre_names``. Load it with
:func:`load_features`.

The table is read strictly (see :func:`anime_genre.datasets.read_csv_file`): every row
becomes one row of features (an empty text gives an all-zero row), so rows in = rows out;
a file that cannot be read that way stops the command with one line naming the file and row.
"""
from __future__ import annotations

from pathlib import Path

from ..errors import UserError


def add_arguments(parser) -> None:
    parser.add_argument("table", metavar="CLEAN.csv", help="clean table from `anime-genre clean`")
    parser.add_argument("-o", "--output", metavar="FEATURES.npz", required=True)
    parser.add_argument("--column", default="Text", help="text column (default: %(default)s)")
    parser.add_argument("--min-df", type=float, default=2, help="int: documents; <1: share")
    parser.add_argument("--max-df", type=float, default=0.5, help="int > 1: documents; <=1: share")
    parser.add_argument("--max-features", type=int, default=None)
    parser.add_argument("--sublinear-tf", action="store_true")
    parser.add_argument("--stop-words", choices=["english", "none"], default="english")


def _df_bound(x: float, one_is_share: bool):
    """A whole number counts documents, a fraction is a share; 1 means one document for
    --min-df and all documents (share 1.0) for --max-df."""
    if x != x or x < 0:
        raise UserError(f"document-frequency bound {x} must be a whole number of documents or a share in [0, 1]")
    if x == int(x) and (x > 1 or (x == 1 and not one_is_share) or x == 0):
        return int(x)
    if x > 1:
        raise UserError(f"document-frequency bound {x} must be a whole number of documents or a share in [0, 1]")
    return float(x)


def main(args) -> int:
    import numpy as np

    from ..datasets import read_csv_file, to_int_column

    path = Path(args.table)
    if args.max_features is not None and args.max_features < 1:
        raise UserError(f"--max-features must be at least 1, got {args.max_features}")
    out = Path(args.output)
    if out.is_dir():
        raise UserError(f"{out}: is a folder; -o expects the features file's name (.npz)")
    df = read_csv_file(path)
    if args.column not in df.columns:
        raise UserError(f"{path}: no column {args.column!r}; columns are {', '.join(df.columns)}")
    if df.empty:
        raise UserError(f"{path}: the table has a header but no rows; nothing to vectorize")
    docs = df[args.column].fillna("").astype(str).tolist()
    from ..text import TfidfVectorizer  # after the input is read: scikit-learn is slow to load

    vec = TfidfVectorizer(min_df=_df_bound(args.min_df, False), max_df=_df_bound(args.max_df, True),
                          max_features=args.max_features, sublinear_tf=args.sublinear_tf,
                          stop_words=None if args.stop_words == "none" else "english")
    try:
        X = vec.fit_transform(docs)
    except ValueError as exc:
        raise UserError(f"{path}: column {args.column}: {exc}") from None
    arrays = {"data": X.data, "indices": X.indices, "indptr": X.indptr,
              "shape": np.array(X.shape), "feature_names": vec.get_feature_names_out().astype(str),
              "idf": vec.idf_}
    if "MAL_ID" in df.columns:
        arrays["mal_id"] = to_int_column(df, "MAL_ID", str(path)).to_numpy()
    if "Genres" in df.columns:
        from ..clean import multi_hot, split_genres
        lists = [split_genres(g) for g in df["Genres"].fillna("").astype(str)]
        names = sorted({g for gl in lists for g in gl})
        arrays["Y"] = multi_hot(lists, names)
        arrays["genre_names"] = np.array(names, dtype=str)
    out.parent.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(out, **arrays)
    empty = int((np.diff(X.indptr) == 0).sum())
    print(f"{X.shape[0]} documents x {X.shape[1]} terms, {X.nnz} non-zeros "
          f"({X.nnz / max(1, X.shape[0]):.1f} per document) -> {out}"
          + (f"; {empty} documents have no term of the vocabulary (all-zero rows)" if empty else ""))
    return 0


def load_features(path):
    """``(X csr_matrix, feature_names list, extras dict)`` from a FEATURES.npz; a file that
    is not one is a UserError naming it."""
    import zipfile

    import numpy as np
    import scipy.sparse as sp

    try:
        with np.load(path, allow_pickle=False) as z:
            X = sp.csr_matrix((z["data"], z["indices"], z["indptr"]), shape=tuple(z["shape"]))
            extras = {k: z[k] for k in z.files
                      if k not in ("data", "indices", "indptr", "shape", "feature_names")}
            return X, z["feature_names"].tolist(), extras
    except (OSError, ValueError, KeyError, EOFError, zipfile.BadZipFile) as exc:
        raise UserError(f"{path}: not a features file written by `anime-genre vectorize` "
                        f"({type(exc).__name__}: {exc}); run vectorize again") from None
