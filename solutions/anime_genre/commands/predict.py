"""``anime-genre predict``: ranked genres with probabilities from a run model.

One synopsis (``anime-genre predict "text"``, or ``-`` to read it from standard input) gives
a ranking. Many synopses (``--file PATH``: one per line; with ``--column NAME`` the column
of a CSV file; ``-`` for standard input) give a table, one row per synopsis, as TSV
(default) or JSON lines (``--format json``).

The model can only read words it saw in training. When none of a synopsis's words (after
cleaning: letters only, stop words removed) are in its vocabulary — text in another script,
invented words, binary data — there is nothing to rank on: a single synopsis stops with an
error, a row of a file is *rejected* (status ``rejected`` and the reason in the table, never
dropped), as are empty lines. When fewer than a quarter of the words are known the ranking
comes with a warning (on standard error, or status ``warning`` in a table).

Only numpy is imported on this path (``anime_genre.predictor``, which reads the small
``model.predict.npz`` that ``anime-genre run`` writes next to ``model.npz``).
"""
from __future__ import annotations

import re
from pathlib import Path

# below this share of known words the ranking comes with a warning
MIN_KNOWN_SHARE = 0.25
# synopses predicted at a time in a table (bounds memory, output flows as it goes)
CHUNK = 512
FORMATS = ("text", "tsv", "json")


def add_arguments(p):
    p.add_argument("text", nargs="?",
                   help="the synopsis (use - to read it from standard input); or --file")
    p.add_argument("--file", metavar="PATH",
                   help="many synopses, one per line (- = standard input); with --column, a CSV "
                        "file; prints a table, one row per synopsis")
    p.add_argument("--column", metavar="NAME", help="with --file: the CSV column holding the synopses")
    p.add_argument("--format", choices=FORMATS,
                   help="text (one synopsis, the default), tsv (the default with --file) or "
                        "json (one JSON object per line)")
    p.add_argument("--model", help="model file, or the run folder that holds it "
                                    "(default: <runs>/latest/model.npz)")
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


# ----------------------------------------------------------------------------- many synopses

def _read_text_file(arg: str, kind: str) -> tuple:
    """``(name, text)`` of a file (or standard input for ``-``), checked to be UTF-8 text."""
    import sys

    from ..errors import UserError, decode_text

    if arg == "-":
        name, data = "standard input", sys.stdin.buffer.read()
    else:
        name = arg
        try:
            data = Path(arg).read_bytes()
        except OSError as exc:
            raise UserError(f"{arg}: cannot read the file ({exc.strerror or exc}); check the path "
                            f"and its permissions") from None
    if not data.strip():
        raise UserError(f"{name}: the file is empty; expected {kind}")
    return name, decode_text(data, name, kind)


def read_lines(arg: str) -> list:
    """The synopses of a text file, one per line: ``[(row, text)]``, row = line number.
    Empty lines are kept (the table rejects them)."""
    from ..errors import UserError

    name, text = _read_text_file(arg, "one synopsis per line")
    if arg != "-" and arg.lower().endswith(".csv"):
        header = text.split("\n", 1)[0].strip()
        raise UserError(f"{name} looks like a CSV table: pass --column NAME to read the synopses "
                        f"from one of its columns (header: {header[:200]})")
    lines = text.split("\n")
    if lines[-1] == "":
        lines.pop()   # the final line break ends the last line, it does not start another
    return [(i, line[:-1] if line.endswith("\r") else line) for i, line in enumerate(lines, 1)]


def read_column(arg: str, column: str) -> list:
    """The synopses in column ``column`` of a CSV file: ``[(row, text)]``, row = data row
    (1 = the first row after the header). Malformed CSV, a missing column or a row with
    the wrong number of fields is a UserError naming the file, row and line; a blank line
    is kept as an empty synopsis (the table rejects it)."""
    from ..csvtext import strict_rows
    from ..errors import UserError

    name, text = _read_text_file(arg, "a CSV table with a header row")
    header, body, _ = strict_rows(text, name, blank_rows=True)
    header = [h.strip() for h in header]
    if header.count(column) > 1:
        raise UserError(f"{name}: column {column!r} appears more than once in the header")
    if column not in header:
        if len(header) == 1 and (len(header[0]) > 60 or " " in header[0].strip()):
            # one long field with spaces: a plain text file, not a CSV table with a header
            raise UserError(f"{name}: this does not look like a CSV table: its first line is one "
                            f"field of text ({header[0][:40]!r}...), not a header of column names. "
                            f"For one synopsis per line, leave out --column")
        raise UserError(f"{name}: no column {column!r}; the header has {', '.join(map(repr, header))}: "
                        f"pass one of them to --column")
    if not body:
        raise UserError(f"{name}: the table has a header but no rows")
    j = header.index(column)
    rows = [(i, fields[j] if fields else "") for i, fields in enumerate(body, 1)]
    return rows


def _none_known(words, of: str = "") -> str:
    """"none of the 9 words<of> is" or, for one word, "the one word<of> is not"."""
    return f"the one word{of} is not" if len(words) == 1 else f"none of the {len(words)} words{of} is"


def _judge(pred, text: str, empty: str) -> tuple:
    """``(words, known, status, note)`` of one synopsis: status ok, warning or rejected."""
    if not text.strip():
        return [], 0, "rejected", empty
    if "\x00" in text:
        return [], 0, "rejected", "NUL characters: binary data, not a synopsis"
    words = pred.words(text)
    if not words:
        return words, 0, "rejected", ("no words left after cleaning (letters only, stop words "
                                      "removed)")
    known = pred.n_known(words)
    if known == 0:
        return words, 0, "rejected", (_none_known(words) + f" in the model's "
                                      f"vocabulary of {len(pred.vocabulary)} terms")
    if known / len(words) < MIN_KNOWN_SHARE:
        return words, known, "warning", (f"only {known} of the {len(words)} words are known to "
                                         f"the model; the ranking says little about this text")
    return words, known, "ok", ""


def write_table(pred, rows, fmt: str, top: int, out, empty="empty line") -> dict:
    """Predict ``rows`` (``[(row, text)]``) and write one line per row to ``out``: TSV with a
    header, or JSON objects. Returns the number of rows per status."""
    import json

    import numpy as np

    genres, th = pred.genres, pred.thresholds
    top = min(top, len(genres))
    counts = {"ok": 0, "warning": 0, "rejected": 0}
    if fmt == "tsv":
        out.write("\t".join(["row", "status", "words", "known", "predicted",
                             *[f"{c}_{i}" for i in range(1, top + 1) for c in ("genre", "p")],
                             "note"]) + "\n")
    for start in range(0, len(rows), CHUNK):
        chunk = rows[start:start + CHUNK]
        judged = [_judge(pred, text, empty) for _, text in chunk]
        todo = [k for k, j in enumerate(judged) if j[2] != "rejected"]
        P = pred.predict_proba_words([judged[k][0] for k in todo])
        probs = dict(zip(todo, P))
        lines = []
        for k, ((row, _), (words, known, status, note)) in enumerate(zip(chunk, judged)):
            counts[status] += 1
            p = probs.get(k)
            order = np.argsort(-p, kind="stable")[:top] if p is not None else []
            predicted = [g for g, pj, t in zip(genres, p, th) if pj >= t] if p is not None else []
            if fmt == "tsv":
                pairs = ([x for j in order for x in (genres[j], f"{p[j]:.4f}")] if p is not None
                         else [""] * (2 * top))
                lines.append("\t".join([str(row), status, str(len(words)), str(known),
                                        ",".join(predicted), *pairs, note]))
            else:
                lines.append(json.dumps({
                    "row": row, "status": status, "words": len(words), "known": known,
                    "predicted": predicted,
                    "top": [[genres[j], float(p[j])] for j in order],
                    "probabilities": dict(zip(genres, map(float, p))) if p is not None else None,
                    "note": note}, ensure_ascii=False))
        out.write("\n".join(lines) + "\n")
        out.flush()
    return counts


# ----------------------------------------------------------------------------- main

def main(args) -> int:
    import sys

    import numpy as np

    from ..config import get_runs_home
    from ..errors import UserError
    from ..predictor import FastPredictor

    if args.top < 1:
        raise UserError(f"--top must be at least 1, got {args.top}")
    if args.text is not None and args.file is not None:
        raise UserError("give either one synopsis or --file PATH, not both")
    if args.text is None and args.file is None:
        raise UserError("nothing to classify: give a synopsis (anime-genre predict \"A young "
                        "ninja ...\"), - to read it from standard input, or --file PATH")
    if args.column is not None and args.file is None:
        raise UserError("--column NAME goes with --file PATH (the CSV file to read it from)")
    fmt = args.format or ("tsv" if args.file is not None else "text")
    if fmt == "text" and args.file is not None:
        raise UserError("--format text prints the ranking of one synopsis; with --file use "
                        "--format tsv or json")

    if args.file is not None:
        rows = read_column(args.file, args.column) if args.column else read_lines(args.file)
    else:
        text = read_synopsis(args.text)
    path = Path(args.model) if args.model else get_runs_home() / "latest" / "model.npz"
    if not args.model and not path.exists():
        raise UserError(f"no model at {path.resolve()}, the default (runs/latest/model.npz under "
                        "the current folder, or under $ANIME_GENRE_RUNS): train one with "
                        "`anime-genre run` from this folder, or name a model with --model PATH")
    pred = FastPredictor.load(path)
    if pred.note:
        print(f"anime-genre predict: note: {pred.note}", file=sys.stderr)

    if args.file is not None:
        counts = write_table(pred, rows, fmt, args.top, sys.stdout,
                             empty="empty field" if args.column else "empty line")
        if counts["rejected"] or counts["warning"]:
            print(f"anime-genre predict: {counts['rejected']} of {len(rows)} rows rejected, "
                  f"{counts['warning']} with a warning (see the status and note columns)",
                  file=sys.stderr)
        return 0

    words = pred.words(text)
    if not words:
        raise UserError("the synopsis has no words left after cleaning (letters only, stop "
                        "words removed): give a real synopsis")
    known = pred.n_known(words)
    if known == 0:
        distinct = list(dict.fromkeys(words))
        sample = ", ".join(distinct[:5]) + (", ..." if len(distinct) > 5 else "")
        raise UserError(_none_known(words, f" of the synopsis ({sample})") + f" in the "
                        f"model's vocabulary of {len(pred.vocabulary)} terms: it reads English "
                        f"synopses and has nothing to rank genres on for this text")
    if fmt != "text":
        write_table(pred, [(1, text)], fmt, args.top, sys.stdout)
        return 0
    if known / len(words) < MIN_KNOWN_SHARE:
        print(f"anime-genre predict: warning: only {known} of the {len(words)} words of the "
              f"synopsis are known to the model; the ranking below says little about this text",
              file=sys.stderr)
    p = pred.predict_proba_words([words])[0]
    ranking = np.argsort(-p, kind="stable")
    predicted = [j for j in ranking if p[j] >= pred.thresholds[j]]
    # the --top first, and every predicted genre however far down the ranking it is
    shown = sorted(set(ranking[: args.top]) | set(predicted), key=lambda j: -p[j])
    rank = {j: r for r, j in enumerate(ranking, 1)}
    print("predicted: " + (", ".join(pred.genres[j] for j in predicted) if predicted
                           else "no genre reaches its threshold"))
    width = max(len(pred.genres[j]) for j in shown)
    for j in shown:
        mark = "*" if p[j] >= pred.thresholds[j] else " "
        print(f"{rank[j]:>2}. {pred.genres[j]:<{width}}  {p[j]:.3f} {mark}")
    print(f"(* = above the genre's tuned threshold, i.e. predicted; model {path}, trained on "
          f"{pred.meta.get('source')}; {known} of {len(words)} words known)")
    return 0
