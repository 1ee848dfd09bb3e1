"""``anime-genre predict "synopsis"``: ranked genres with probabilities from a run model.

The model can only read words it saw in training. When none of the synopsis's words (after
cleaning: letters only, stop words removed) are in its vocabulary — text in another script,
invented words, binary data — there is nothing to rank on, and the command stops with an
error; when fewer than a quarter are known, it prints the ranking after a warning on
standard error.
"""
from __future__ import annotations

import re
from pathlib import Path

# below this share of known words the ranking comes with a warning
MIN_KNOWN_SHARE = 0.25


def add_arguments(p):
    p.add_argument("text", help="the synopsis (use - to read it from standard input)")
    p.add_argument("--model", help="model file (default: <runs>/latest/model.npz)")
    p.add_argument("--top", type=int, default=5, help="how many genres to print (default 5)")


def read_synopsis(arg: str) -> str:
    """The synopsis from the argument, or from standard input for ``-``; bytes that are not
    UTF-8 text are a UserError."""
    import sys

    from ..errors import UserError

    if arg == "-":
        data = sys.stdin.buffer.read()
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise UserError(f"standard input is not UTF-8 text (byte 0x{data[exc.start]:02x} at "
                            f"offset {exc.start}): pipe in the synopsis as text") from None
        where = "standard input"
    else:
        text, where = arg, "the synopsis argument"
        bad = re.search(r"[\udc80-\udcff]", text)  # undecodable argv bytes (surrogateescape)
        if bad:
            raise UserError(f"{where} is not UTF-8 text (a byte that is not UTF-8 at character "
                            f"{bad.start()}): pass the synopsis as text")
    if "\x00" in text:
        raise UserError(f"{where} holds NUL bytes: binary data, not a synopsis")
    if not text.strip():
        raise UserError("the synopsis is empty: pass the text to classify, e.g. "
                        "anime-genre predict \"A young ninja ...\"")
    return text


def main(args) -> int:
    import sys

    from ..clean import normalize
    from ..config import get_runs_home
    from ..errors import UserError
    from ..pipeline import Predictor

    if args.top < 1:
        raise UserError(f"--top must be at least 1, got {args.top}")
    text = read_synopsis(args.text)
    path = Path(args.model) if args.model else get_runs_home() / "latest" / "model.npz"
    pred = Predictor.load(path)
    words = normalize(text)
    if not words:
        raise UserError("the synopsis has no words left after cleaning (letters only, stop "
                        "words removed): give a real synopsis")
    vocabulary = pred.vec.tfidf.vocabulary_
    known = sum(1 for w in words if w in vocabulary)
    if known == 0:
        sample = ", ".join(dict.fromkeys(words[:5]))
        raise UserError(f"none of the {len(words)} words of the synopsis ({sample}, ...) is in the "
                        f"model's vocabulary of {len(vocabulary)} terms: it reads English synopses "
                        f"and has nothing to rank genres on for this text")
    if known / len(words) < MIN_KNOWN_SHARE:
        print(f"anime-genre predict: warning: only {known} of the {len(words)} words of the "
              f"synopsis are known to the model; the ranking below says little about this text",
              file=sys.stderr)
    p = pred.predict_proba([text])[0]
    order = p.argsort()[::-1][: args.top]
    width = max(len(pred.genres[j]) for j in order)
    for rank, j in enumerate(order, 1):
        mark = "*" if p[j] >= pred.thresholds[j] else " "
        print(f"{rank:>2}. {pred.genres[j]:<{width}}  {p[j]:.3f} {mark}")
    print(f"(* = above the genre's tuned threshold; model {path}, trained on {pred.meta.get('source')}; "
          f"{known} of {len(words)} words known)")
    return 0
