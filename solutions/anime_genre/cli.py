"""The ``anime-genre`` command line.

Each subcommand lives in its own module, which defines ``add_arguments(parser)`` and
``main(args) -> int``; this file only dispatches, so stages can be added independently.
"""
from __future__ import annotations

import argparse
import importlib
import os
import sys

from .errors import UserError

# name -> (module, one-line help)
COMMANDS = {
    "scrape": ("anime_genre.commands.scrape", "parse saved MyAnimeList pages into a table"),
    "crawl": ("anime_genre.commands.crawl", "download anime pages politely into a cache"),
    "clean": ("anime_genre.commands.clean", "clean a corpus table and write a cleaning report"),
    "vectorize": ("anime_genre.commands.vectorize", "turn a clean table into TF-IDF features"),
    "run": ("anime_genre.commands.run", "run the whole pipeline and write a report"),
    "predict": ("anime_genre.commands.predict", "predict the genres of a synopsis"),
    "benchmark": ("anime_genre.commands.benchmark", "compare methods on the canonical split"),
    "demo": ("anime_genre.commands.demo", "train the numpy core on a synthetic problem"),
}


def build_parser(only: str | None = None) -> argparse.ArgumentParser:
    """The parser; with ``only``, the other subcommands are listed but their modules are not
    imported (``predict`` need not load BeautifulSoup, pandas or scikit-learn)."""
    parser = argparse.ArgumentParser(
        prog="anime-genre",
        description="Anime genre classification from scratch: the reference solution, stage by stage.")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name, (module_name, help_text) in COMMANDS.items():
        if only is not None and name != only:
            sub.add_parser(name, help=help_text, description=help_text)
            continue
        try:
            module = importlib.import_module(module_name)
        except ModuleNotFoundError as exc:
            if exc.name != module_name:
                raise
            continue  # stage not built yet
        p = sub.add_parser(name, help=help_text, description=help_text)
        module.add_arguments(p)
        p.set_defaults(_main=module.main)
    return parser


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    first = next((a for a in argv if not a.startswith("-")), None)
    parser = build_parser(only=first if first in COMMANDS else None)
    args = parser.parse_args(argv)
    if not getattr(args, "_main", None):
        parser.print_help()
        return 2
    try:
        return int(args._main(args) or 0)
    except UserError as exc:
        print(f"anime-genre {args.command}: error: {exc}", file=sys.stderr)
        return 2
    except BrokenPipeError:  # output piped into a command that stopped reading (| head)
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
    except OSError as exc:
        if exc.filename is None:  # not about a file the user named: a bug, keep the traceback
            raise
        print(f"anime-genre {args.command}: error: {exc.filename}: {exc.strerror or exc} "
              f"(check the path and its permissions)", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
