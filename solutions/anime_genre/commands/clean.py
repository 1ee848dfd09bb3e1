"""``anime-genre clean TABLE.csv -o CLEAN.csv [--report REPORT.json]``: clean a corpus table.

TABLE.csv has the columns ``MAL_ID, Name, Type, Genres, Synopsis`` (as written by
``anime-genre scrape``); ``--mal2020`` reads the mal2020 corpus from the data home instead.
Writes the clean table (with ``Text``, the normalised tokens, and ``Truncated``) and a JSON
report in which every input row is accounted for: rows in = rows out + rows removed.

The table is read strictly (UTF-8, every row with the header's number of fields, whole-number
ids): a file that breaks these rules stops the command with one line naming the file and the
row, before anything is written.
"""
from __future__ import annotations

import json
from pathlib import Path

from ..errors import UserError

KEEP_TYPES_DEFAULT = "TV,Movie,OVA,Special"  # anime_genre.clean.KEEP_TYPES (not imported: slow)
REQUIRED_COLUMNS = ("MAL_ID", "Name", "Type", "Genres", "Synopsis")  # anime_genre.clean's


def add_arguments(parser) -> None:
    parser.add_argument("table", metavar="TABLE.csv", nargs="?",
                        help="corpus table (MAL_ID, Name, Type, Genres, Synopsis)")
    parser.add_argument("--mal2020", action="store_true",
                        help="clean the mal2020 corpus from the data home instead of TABLE.csv")
    parser.add_argument("-o", "--output", metavar="CLEAN.csv", required=True, help="clean table to write")
    parser.add_argument("--report", metavar="REPORT.json",
                        help="cleaning report to write (default: CLEAN.report.json)")
    parser.add_argument("--types", default=KEEP_TYPES_DEFAULT,
                        help="comma-separated types to keep (default: %(default)s)")
    parser.add_argument("--min-words", type=int, default=20, help="shortest synopsis kept, in words")
    parser.add_argument("--min-genre-count", type=int, default=20,
                        help="keep genres carried by at least this many shows")
    parser.add_argument("--original-ban-words", action="store_true",
                        help="also apply the original project's ban-word filter")
    parser.add_argument("--ptb", action="store_true",
                        help="also filter the tokens to the PTB vocabulary (the original's step)")
    parser.add_argument("--data-home", help="data home (default: $ANIME_GENRE_DATA_HOME)")


def read_table(path: str):
    """Read a corpus table strictly (:func:`anime_genre.datasets.read_csv_file`); a missing
    file, a folder, an empty or header-only file, a ragged row, bad bytes, a missing column
    or an id that is not a whole number is a UserError naming the file and the row."""
    from ..datasets import read_csv_file, to_int_column

    df = read_csv_file(path, required=REQUIRED_COLUMNS)
    if df.empty:
        raise UserError(f"{path}: the table has a header but no rows; nothing to clean")
    df["MAL_ID"] = to_int_column(df, "MAL_ID", str(path))
    return df


def main(args) -> int:
    if args.mal2020 == bool(args.table):
        raise UserError("give either TABLE.csv or --mal2020 (exactly one)")
    types = tuple(t.strip() for t in args.types.split(",") if t.strip())
    if not types:
        raise UserError(f"--types {args.types!r} names no type; e.g. --types TV,Movie")
    if args.min_words < 0 or args.min_genre_count < 1:
        raise UserError("--min-words must be >= 0 and --min-genre-count >= 1")
    out = Path(args.output)
    if out.is_dir():
        raise UserError(f"{out}: is a folder; -o expects the clean table's file name")
    if args.mal2020:
        from ..datasets import load_mal2020
        df = load_mal2020(args.data_home)
        source = "mal2020"
    else:
        df = read_table(args.table)
        source = args.table
    # imported once the input is read: a bad table is answered before scikit-learn loads
    from ..clean import ORIGINAL_BAN_WORDS, clean_corpus, format_report

    vocabulary = None
    if args.ptb:
        from ..datasets import load_ptb_cbow
        vocabulary = load_ptb_cbow(args.data_home)[1]
    clean, report = clean_corpus(df, keep_types=types, min_words=args.min_words,
                                 min_genre_count=args.min_genre_count,
                                 ban_words=ORIGINAL_BAN_WORDS if args.original_ban_words else None,
                                 vocabulary=vocabulary, vocabulary_name="ptb", source=str(source))
    report["source"] = source
    out.parent.mkdir(parents=True, exist_ok=True)
    clean.to_csv(out, index=False)
    rep = Path(args.report) if args.report else out.with_name(out.stem + ".report.json")
    rep.write_text(json.dumps(report, indent=2, ensure_ascii=False) + "\n")
    print(format_report(report))
    print(f"wrote {out} and {rep}")
    if report["rows_out"] == 0:
        most = max(report["removed"], key=report["removed"].get)
        raise UserError(f"{source}: every one of the {report['rows_in']} rows was removed (most by "
                        f"{most!r}: {report['reasons'][most]}); check the table and the --types, "
                        f"--min-words and --min-genre-count settings")
    return 0
