"""``anime-genre clean TABLE.csv -o CLEAN.csv [--report REPORT.json]``: clean a corpus table.

TABLE.csv has the columns ``MAL_ID, Name, Type, Genres, Synopsis`` (as written by
``anime-genre scrape``); ``--mal2020`` reads the mal2020 corpus from the data home instead.
Writes the clean table (with ``Text``, the normalised tokens, and ``Truncated``) and a JSON
report in which every input row is accounted for.
"""
from __future__ import annotations

import json
from pathlib import Path

import pandas as pd

from ..clean import KEEP_TYPES, ORIGINAL_BAN_WORDS, REQUIRED_COLUMNS, clean_corpus, format_report
from ..errors import UserError


def add_arguments(parser) -> None:
    parser.add_argument("table", metavar="TABLE.csv", nargs="?",
                        help="corpus table (MAL_ID, Name, Type, Genres, Synopsis)")
    parser.add_argument("--mal2020", action="store_true",
                        help="clean the mal2020 corpus from the data home instead of TABLE.csv")
    parser.add_argument("-o", "--output", metavar="CLEAN.csv", required=True, help="clean table to write")
    parser.add_argument("--report", metavar="REPORT.json",
                        help="cleaning report to write (default: CLEAN.report.json)")
    parser.add_argument("--types", default=",".join(KEEP_TYPES),
                        help="comma-separated types to keep (default: %(default)s)")
    parser.add_argument("--min-words", type=int, default=20, help="shortest synopsis kept, in words")
    parser.add_argument("--min-genre-count", type=int, default=20,
                        help="keep genres carried by at least this many shows")
    parser.add_argument("--original-ban-words", action="store_true",
                        help="also apply the original project's ban-word filter")
    parser.add_argument("--ptb", action="store_true",
                        help="also filter the tokens to the PTB vocabulary (the original's step)")
    parser.add_argument("--data-home", help="data home (default: $ANIME_GENRE_DATA_HOME)")


def read_table(path: str) -> pd.DataFrame:
    """Read a corpus table; a missing file or column is a UserError naming it."""
    p = Path(path)
    if not p.exists():
        raise UserError(f"{p}: no such file")
    try:
        df = pd.read_csv(p, dtype={"Name": str, "Type": str, "Genres": str, "Synopsis": str},
                         keep_default_na=False, na_values=[""], encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise UserError(f"{p}: not UTF-8 text ({exc.reason} at byte {exc.start})") from None
    except (pd.errors.ParserError, pd.errors.EmptyDataError) as exc:
        raise UserError(f"{p}: cannot read the CSV: {exc}") from None
    missing = [c for c in REQUIRED_COLUMNS if c not in df.columns]
    if missing:
        raise UserError(f"{p}: missing column(s) {', '.join(missing)}; expected "
                        f"{', '.join(REQUIRED_COLUMNS)}")
    return df


def main(args) -> int:
    if args.mal2020 == bool(args.table):
        raise UserError("give either TABLE.csv or --mal2020 (exactly one)")
    if args.mal2020:
        from ..datasets import load_mal2020
        df = load_mal2020(args.data_home)
        source = "mal2020"
    else:
        df = read_table(args.table)
        source = args.table
    vocabulary = None
    if args.ptb:
        from ..datasets import load_ptb_cbow
        vocabulary = load_ptb_cbow(args.data_home)[1]
    types = tuple(t.strip() for t in args.types.split(",") if t.strip())
    clean, report = clean_corpus(df, keep_types=types, min_words=args.min_words,
                                 min_genre_count=args.min_genre_count,
                                 ban_words=ORIGINAL_BAN_WORDS if args.original_ban_words else None,
                                 vocabulary=vocabulary, vocabulary_name="ptb")
    report["source"] = source
    out = Path(args.output)
    out.parent.mkdir(parents=True, exist_ok=True)
    clean.to_csv(out, index=False)
    rep = Path(args.report) if args.report else out.with_name(out.stem + ".report.json")
    rep.write_text(json.dumps(report, indent=2, ensure_ascii=False) + "\n")
    print(format_report(report))
    print(f"wrote {out} and {rep}")
    return 0
