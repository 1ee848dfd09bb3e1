"""``anime-genre scrape PAGES -o TABLE.csv``: saved anime pages to a table.

PAGES is a folder (searched recursively) or a ``.zip`` archive of ``.html`` pages. Writes
TABLE.csv (``MAL_ID, Name, Type, Genres, Synopsis``) and, beside it,
``TABLE.rejected.csv`` (``file, reason``) for every page that could not be used.
"""
from __future__ import annotations

from pathlib import Path

from ..errors import UserError
from ..scrape import scrape_pages


def add_arguments(parser) -> None:
    parser.add_argument("pages", metavar="PAGES", help="folder or .zip archive of saved anime pages")
    parser.add_argument("-o", "--output", metavar="TABLE.csv", required=True,
                        help="table to write; rejected pages go to TABLE.rejected.csv")
    parser.add_argument("--no-progress", action="store_true", help="no progress bar")


def rejected_path(output: Path) -> Path:
    """``runs/table.csv`` -> ``runs/table.rejected.csv``."""
    return output.with_name(output.stem + ".rejected" + (output.suffix or ".csv"))


def main(args) -> int:
    output = Path(args.output)
    if output.is_dir():
        raise UserError(f"{output}: is a folder; -o expects the table's file name (.csv)")
    table, rejected = scrape_pages(args.pages, progress=not args.no_progress)
    output.parent.mkdir(parents=True, exist_ok=True)
    table.to_csv(output, index=False)
    rej = rejected_path(output)
    rejected.to_csv(rej, index=False)
    total = len(table) + len(rejected)
    print(f"{total} pages: {len(table)} written to {output}, {len(rejected)} rejected "
          f"(reasons in {rej})")
    reasons = rejected["reason"].str.split(":", n=1).str[0].value_counts()
    if len(reasons):
        print("rejected: " + ", ".join(f"{n} {why}" for why, n in reasons.items()))
    differ = rejected[rejected["reason"].str.contains("pages DIFFER", regex=False)]
    for file, reason in zip(differ["file"], differ["reason"]):
        print(f"  {file}: {reason}")
    if total == 0:
        raise UserError(f"{args.pages}: no .html or .htm page found")
    return 0
