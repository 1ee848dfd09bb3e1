"""``anime-genre predict "synopsis"``: ranked genres with probabilities from a run model."""
from __future__ import annotations

from pathlib import Path


def add_arguments(p):
    p.add_argument("text", help="the synopsis (use - to read it from standard input)")
    p.add_argument("--model", help="model file (default: <runs>/latest/model.npz)")
    p.add_argument("--top", type=int, default=5, help="how many genres to print (default 5)")


def main(args) -> int:
    import sys

    from ..clean import normalize
    from ..config import get_runs_home
    from ..errors import UserError
    from ..pipeline import Predictor

    text = sys.stdin.read() if args.text == "-" else args.text
    if not text or not text.strip():
        raise UserError("the synopsis is empty: pass the text to classify, e.g. "
                        "anime-genre predict \"A young ninja ...\"")
    if args.top < 1:
        raise UserError(f"--top must be at least 1, got {args.top}")
    path = Path(args.model) if args.model else get_runs_home() / "latest" / "model.npz"
    pred = Predictor.load(path)
    if not normalize(text):
        raise UserError("the synopsis has no words left after cleaning (letters only, stop "
                        "words removed): give a real synopsis")
    p = pred.predict_proba([text])[0]
    order = p.argsort()[::-1][: args.top]
    width = max(len(pred.genres[j]) for j in order)
    for rank, j in enumerate(order, 1):
        mark = "*" if p[j] >= pred.thresholds[j] else " "
        print(f"{rank:>2}. {pred.genres[j]:<{width}}  {p[j]:.3f} {mark}")
    print(f"(* = above the genre's tuned threshold; model {path}, trained on {pred.meta.get('source')})")
    return 0
