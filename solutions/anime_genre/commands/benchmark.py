"""``anime-genre benchmark``: all methods side by side on the canonical mal2020 split."""
from __future__ import annotations

import json
from pathlib import Path


def add_arguments(p):
    p.add_argument("--json", help="write the result here (default: <runs>/benchmark.json)")
    p.add_argument("--methods", nargs="+", help="only these methods (a trailing * matches a prefix)")
    p.add_argument("--data-home", help="folder with mal2020/ (default: $ANIME_GENRE_DATA_HOME)")
    p.add_argument("--no-ablations", action="store_true", help="leave out the ablation rows")
    p.add_argument("--subset", type=int, help="use only the first N cleaned shows (quick check)")
    p.add_argument("--quick", action="store_true", help="few epochs for the numpy models")
    p.add_argument("--synthetic", action="store_true", help="benchmark the synthetic corpus")
    p.add_argument("--postmortem", help="also write the postmortem Markdown here")
    p.add_argument("--cache-dir", help="cache for load/clean/split (default: <runs>/cache)")
    p.add_argument("--blas-threads", type=int, default=1,
                   help="OpenBLAS/OpenMP threads for every method (default 1; 0 = library default)")
    p.add_argument("--from-json", metavar="PATH",
                   help="run nothing: print the table of a saved result (and write --postmortem)")


def main(args) -> int:
    import numpy as np

    from .. import benchmark as bm
    from .. import postmortem
    from ..config import get_runs_home
    from ..datasets import load_ptb_cbow
    from ..errors import DataNotFoundError
    from ..pipeline import build_corpus, load_corpus

    if args.from_json:
        return _from_json(args)
    runs = get_runs_home()
    corpus, report, banner = load_corpus(
        data_home=args.data_home, synthetic=args.synthetic,
        cache_dir=args.cache_dir or runs / "cache", n_docs=2000)
    if corpus.source != "mal2020" and not args.synthetic:
        from ..errors import UserError
        raise UserError("the benchmark is defined on mal2020, which was not found: set "
                        "ANIME_GENRE_DATA_HOME or --data-home (or pass --synthetic)")
    if args.subset:
        import pandas as pd
        n = min(args.subset, len(corpus.texts))
        frame = pd.DataFrame({"Genres": [", ".join(g for g, y in zip(corpus.genres, corpus.Y[i]) if y)
                                         for i in range(n)],
                              "Text": corpus.texts[:n], "MAL_ID": corpus.ids[:n], "Name": corpus.names[:n]})
        keep = [g for j, g in enumerate(corpus.genres) if corpus.Y[:n, j].sum() >= 3]
        frame = frame[[any(g in keep for g in s.split(", ")) for s in frame["Genres"]]]
        corpus = build_corpus(frame.reset_index(drop=True), keep, corpus.source)
    try:
        vecs, w2i, _ = load_ptb_cbow(args.data_home, download_if_missing=not args.synthetic)
        ptb = (vecs, w2i)
    except DataNotFoundError as exc:
        print(f"PTB vectors not available ({exc}); seed-method rows left out")
        ptb = None
    print(f"benchmark on {corpus.source}: train {len(corpus.train)}, validation {len(corpus.val)}, "
          f"test {len(corpus.test)}, {len(corpus.genres)} genres")
    methods = bm.build_methods(ptb, ablations=not args.no_ablations, quick=args.quick)
    methods = bm.select(methods, args.methods)
    result = bm.run_benchmark(corpus, methods, blas_threads=args.blas_threads or None)
    result["goals"] = bm.goals(result)
    print()
    print(bm.format_table(result))
    if result["goals"]:
        print("goals:", json.dumps(result["goals"]))
    path = Path(args.json) if args.json else runs / "benchmark.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(result, indent=2, default=lambda o: o.item() if isinstance(o, np.generic) else str(o)))
    print(f"wrote {path}")
    if args.postmortem:
        Path(args.postmortem).write_text(postmortem.markdown(result), encoding="utf-8")
        print(f"wrote {args.postmortem}")
    return 0


def _from_json(args) -> int:
    from .. import benchmark as bm
    from .. import postmortem
    from ..errors import UserError

    path = Path(args.from_json)
    try:
        result = json.loads(path.read_text())
        result["methods"]
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise UserError(f"{path}: not a readable benchmark result ({type(exc).__name__}); "
                        f"write one with `anime-genre benchmark --json {path}`") from None
    result["goals"] = bm.goals(result)
    print(bm.format_table(result))
    if result["goals"]:
        print("goals:", json.dumps(result["goals"]))
    if args.postmortem:
        Path(args.postmortem).write_text(postmortem.markdown(result), encoding="utf-8")
        print(f"wrote {args.postmortem}")
    return 0
