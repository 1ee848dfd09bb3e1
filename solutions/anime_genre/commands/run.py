"""``anime-genre run``: the whole pipeline into a run folder (see ``anime_genre.pipeline``)."""
from __future__ import annotations

from datetime import datetime
from pathlib import Path


def add_arguments(p):
    p.add_argument("--out", help="run folder (default: <runs>/<timestamp>, runs = $ANIME_GENRE_RUNS or ./runs)")
    p.add_argument("--synthetic", action="store_true",
                   help="use the generated corpus with planted genre words instead of mal2020")
    p.add_argument("--data-home", help="folder with mal2020/ (default: $ANIME_GENRE_DATA_HOME)")
    p.add_argument("--cache-dir", help="stage cache (default: <run folder's parent>/cache)")
    p.add_argument("--max-epochs", type=int, help="epochs per network at most (default 14)")
    p.add_argument("--n-models", type=int, help="MLPs in the ensemble, beside the naive-Bayes, ridge and naive-Bayes-scaled ridge heads (default: the reference's, 1)")
    p.add_argument("--blas-threads", type=int, default=1,
                   help="OpenBLAS threads (default 1: measured faster on shared cores; 0 = library default)")
    p.add_argument("--n-docs", type=int, default=1500, help="synthetic corpus size")
    p.add_argument("--no-progress", action="store_true", help="no progress bars")


def main(args) -> int:
    from ..config import get_runs_home
    from ..pipeline import RunConfig, run_pipeline

    out = Path(args.out) if args.out else get_runs_home() / datetime.now().strftime("%Y%m%d-%H%M%S")
    from ..errors import UserError

    over = {k: v for k, v in (("max_epochs", args.max_epochs), ("n_models", args.n_models))
            if v is not None}
    for k, v in over.items():
        if v < 1:
            raise UserError(f"--{k.replace('_', '-')} must be at least 1, got {v}")
    cfg = RunConfig(synthetic=args.synthetic, data_home=args.data_home, n_docs=args.n_docs,
                    blas_threads=args.blas_threads or None, **over)
    result = run_pipeline(cfg, out, cache_dir=args.cache_dir, progress=not args.no_progress)
    t = result["test"]
    print(f"{result['source']}: test micro-F1 {t['micro_f1']:.3f}, macro-F1 {t['macro_f1']:.3f}, "
          f"micro AP {t['micro_ap']:.3f}; report: {out / 'report.html'}")
    if result["synthetic"]:
        print("NOTE: this run used the SYNTHETIC corpus, not MyAnimeList data.")
    return 0
