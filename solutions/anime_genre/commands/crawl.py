"""``anime-genre crawl IDS... --cache DIR --contact URL``: download anime pages politely.

IDS are ids (``21``) or inclusive ranges (``1-100``); ``--ids-file`` adds one id per line.
Pages go to ``DIR/<id>.html`` once they are complete anime pages; re-running skips every
cached page and retries every failure except 404s, so an interrupted crawl resumes. Each
request and the whole run are bounded (``--timeout``, ``--max-bytes``, ``--max-wait``,
``--max-hours``, ``--max-failures-in-row``). Feed the cache folder to ``anime-genre scrape``
afterwards.
"""
from __future__ import annotations

import os
from pathlib import Path

from ..crawl import DEFAULT_URL, Crawler
from ..errors import UserError

MAX_RANGE = 1_000_000  # ids in one A-B range (MyAnimeList's ids are below 70,000)


def add_arguments(parser) -> None:
    parser.add_argument("ids", nargs="*", metavar="ID", help="anime id or range A-B")
    parser.add_argument("--ids-file", help="text file with one anime id per line")
    parser.add_argument("--cache", required=True, help="folder for the cached pages")
    parser.add_argument("--contact", default=os.environ.get("ANIME_GENRE_CONTACT", ""),
                        help="URL or e-mail put in the User-Agent so the site can reach you "
                             "(default: $ANIME_GENRE_CONTACT)")
    parser.add_argument("--delay", nargs=2, type=float, default=(4.0, 7.0), metavar=("MIN", "MAX"),
                        help="random pause between requests, seconds (default 4 7)")
    parser.add_argument("--retries", type=int, default=4,
                        help="retries on 429/5xx/cut-off bodies (default 4)")
    parser.add_argument("--timeout", type=float, default=60.0,
                        help="deadline of one request, body included, in seconds (default 60)")
    parser.add_argument("--max-bytes", type=int, default=5_000_000,
                        help="largest page accepted, in bytes (default 5000000)")
    parser.add_argument("--max-wait", type=float, default=900.0,
                        help="longest Retry-After honoured, seconds; a longer one stops the "
                             "crawl (default 900)")
    parser.add_argument("--max-hours", type=float, default=None,
                        help="stop the whole crawl after this many hours (default: no limit)")
    parser.add_argument("--max-failures-in-row", type=int, default=5,
                        help="stop after this many ids in a row fail other than by 404 (default 5)")
    parser.add_argument("--url", default=DEFAULT_URL, help="page address with {id} (default %(default)s)")
    parser.add_argument("--retry-failed", action="store_true",
                        help="also retry ids recorded as permanent failures (e.g. 404)")
    parser.add_argument("--no-progress", action="store_true")


def parse_ids(tokens, ids_file=None) -> list[int]:
    """Ids from "N" and "A-B" tokens and an optional file, in order, without repeats."""
    items = list(tokens)
    if ids_file:
        try:
            items += Path(ids_file).read_text(encoding="utf-8").split()
        except UnicodeDecodeError as exc:
            raise UserError(f"{ids_file}: not UTF-8 text (byte {exc.start}): expected one "
                            f"anime id per line") from None
        except OSError as exc:
            raise UserError(f"{ids_file}: cannot read the ids file ({exc.strerror})") from None
    ids: list[int] = []
    for tok in items:
        try:
            if "-" in tok:
                a, b = (int(x) for x in tok.split("-", 1))
                if a < 0 or b < a or b - a >= MAX_RANGE:
                    raise UserError(f"range {tok!r}: expected A-B with 0 <= A <= B and at most "
                                    f"{MAX_RANGE} ids")
                ids.extend(range(a, b + 1))
            else:
                ids.append(int(tok))
                if ids[-1] < 0:
                    raise ValueError
        except ValueError:
            raise UserError(f"not an anime id or range A-B: {tok!r}") from None
    return list(dict.fromkeys(ids))


def main(args) -> int:
    ids = parse_ids(args.ids, args.ids_file)
    if not ids:
        raise UserError("no ids given: pass ids, ranges A-B or --ids-file")
    if args.max_hours is not None and args.max_hours <= 0:
        raise UserError(f"--max-hours must be positive, got {args.max_hours}")
    crawler = Crawler(args.cache, contact=args.contact, url=args.url, delay=tuple(args.delay),
                      max_retries=args.retries, timeout=args.timeout, max_bytes=args.max_bytes,
                      max_wait=args.max_wait, max_failures_in_row=args.max_failures_in_row,
                      deadline=None if args.max_hours is None else args.max_hours * 3600)
    report = crawler.crawl(ids, retry_failed=args.retry_failed, progress=not args.no_progress)
    print(f"{len(ids)} ids: {len(report.fetched)} fetched, {len(report.cached)} already cached, "
          f"{len(report.failed)} failed, {len(report.skipped_failed)} skipped (failed before), "
          f"{len(report.not_attempted)} not attempted; {report.requests} requests")
    for mal_id, reason in report.failed.items():
        print(f"  {mal_id}: {reason}")
    if report.stopped:
        print(f"stopped early: {report.stopped}")
    return 0 if not report.failed and not report.stopped else 1
