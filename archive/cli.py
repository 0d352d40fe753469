"""The ``archive`` command line: a thin layer over :class:`archive.Archive`.

Each command makes one library call and formats its result. An
:class:`~archive.errors.ArchiveError` becomes one line on stderr and exit code 1;
usage errors exit 2; anything else is a bug and keeps its traceback.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Sequence
from typing import Any, TextIO

from archive import __version__
from archive.arabic import Profile
from archive.core import Archive
from archive.errors import ArchiveError
from archive.models import Passage, SearchResults

DEFAULT_INDEX = "index"

_BOLD_RED = "\x1b[1;31m"
_DIM = "\x1b[2m"
_RESET = "\x1b[0m"


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of the ``archive`` command."""
    parser = argparse.ArgumentParser(
        prog="archive",
        description="A searchable archive of Arabic passages.",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def command(name: str, help_text: str) -> argparse.ArgumentParser:
        sub = commands.add_parser(name, help=help_text, description=help_text)
        sub.add_argument(
            "--index",
            default=DEFAULT_INDEX,
            metavar="DIR",
            help=f"the index folder (default: {DEFAULT_INDEX})",
        )
        return sub

    ingest = command("ingest", "Ingest a file or a folder of .txt and .jsonl passages.")
    ingest.add_argument("path", metavar="PATH", help="a file or a folder")
    folding = ingest.add_argument_group(
        "folding profile",
        "chosen when the index is created; an existing index keeps its own, and a "
        "different choice is an error",
    )
    folding.add_argument(
        "--hamza-seats", action="store_true", help="fold ؤ to و and ئ to ي (ء is kept)"
    )
    folding.add_argument("--no-ta-marbuta", action="store_true", help="keep ة apart from ه")
    folding.add_argument("--no-alef-maqsura", action="store_true", help="keep ى apart from ي")
    folding.add_argument(
        "--no-digits", action="store_true", help="keep Arabic-Indic digits apart from 0-9"
    )

    search = command("search", "Search the archive.")
    search.add_argument("query", metavar="QUERY", help='words; AND, OR, NOT, "phrase", prefix*')
    search.add_argument(
        "--limit", type=_positive, default=10, metavar="N", help="hits per page (default: 10)"
    )
    search.add_argument(
        "--page", type=_positive, default=1, metavar="N", help="the page to show (default: 1)"
    )
    search.add_argument(
        "--exact",
        action="store_true",
        help="letters as written; marks in the query must stand on the same letters",
    )
    search.add_argument(
        "--match",
        choices=("all", "any"),
        default="all",
        help="all words must match (default), or any, ranked, question words dropped",
    )
    search.add_argument("--json", action="store_true", help="print one JSON object")

    show = command("show", "Show one passage by its id.")
    show.add_argument("id", metavar="ID", help="the passage id")
    show.add_argument("--json", action="store_true", help="print one JSON object")

    stats = command("stats", "Show figures about the index.")
    stats.add_argument("--json", action="store_true", help="print one JSON object")
    return parser


def _positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not an integer: {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1: {text!r}")
    return value


def _print_json(data: Any, out: TextIO) -> None:
    out.write(json.dumps(data, ensure_ascii=False, indent=2, allow_nan=False) + "\n")


def _print_results(results: SearchResults, out: TextIO, color: bool) -> None:
    before, after = (_BOLD_RED, _RESET) if color else ("**", "**")
    out.write(
        f"{results.total} passage(s) match {results.query!r}"
        f" (page {results.page} of {results.pages})\n"
    )
    for hit in results.hits:
        p = hit.passage
        meta = f"id {p.id} · {p.source} · score {hit.score:.3f}"
        if color:
            meta = _DIM + meta + _RESET
        out.write(f"\n{hit.rank}. {p.title or '(untitled)'}\n   {meta}\n")
        out.write(f"   {hit.excerpt(before=before, after=after)}\n")


def _print_passage(passage: Passage, out: TextIO) -> None:
    out.write(f"{passage.title or '(untitled)'}\n")
    out.write(f"id: {passage.id}\nsource: {passage.source}\n")
    if passage.caption:
        out.write(f"caption: {passage.caption}\n")
    if passage.citations:
        out.write(f"citations: {', '.join(passage.citations)}\n")
    for key, value in passage.metadata.items():
        out.write(f"{key}: {value}\n")
    out.write(f"\n{passage.text}\n")


def _profile(args: argparse.Namespace) -> Profile | None:
    """The folding profile the flags ask for, or None when none was given."""
    chosen = {
        "hamza_seats": args.hamza_seats,
        "ta_marbuta": not args.no_ta_marbuta,
        "alef_maqsura": not args.no_alef_maqsura,
        "digits": not args.no_digits,
    }
    if chosen == Profile().to_dict():
        return None
    return Profile(**chosen)


def run(args: argparse.Namespace, out: TextIO) -> None:
    """Run one parsed command, writing to ``out``."""
    if args.command == "ingest":
        report = Archive(args.index, profile=_profile(args)).ingest(args.path)
        out.write(f"{report}\n")
        return
    arc = Archive(args.index, create=False)
    if args.command == "search":
        results = arc.search(
            args.query, limit=args.limit, page=args.page, exact=args.exact, match=args.match
        )
        if args.json:
            _print_json(results.to_dict(), out)
        else:
            _print_results(results, out, color=out.isatty())
    elif args.command == "show":
        passage = arc.get(args.id)
        if args.json:
            _print_json(passage.to_dict(), out)
        else:
            _print_passage(passage, out)
    elif args.command == "stats":
        figures = arc.stats()
        if args.json:
            _print_json(figures, out)
        else:
            for key, value in figures.items():
                out.write(f"{key}: {value}\n")


def main(argv: Sequence[str] | None = None) -> int:
    """The ``archive`` command; returns the exit code."""
    args = build_parser().parse_args(argv)
    try:
        run(args, sys.stdout)
        sys.stdout.flush()
    except ArchiveError as exc:
        sys.stderr.write(f"archive: error: {exc}\n")
        return 1
    except BrokenPipeError:
        # The reader went away (archive search ... | head): stop quietly, and keep
        # Python from complaining again when it flushes stdout at exit.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
    return 0
