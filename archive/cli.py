"""The ``archive`` command line: a thin layer over :class:`archive.Archive` (and
:class:`archive.ShardedArchive` for a sharded folder), opened by
:func:`archive.open_archive`.

Each command makes one library call and formats its result. An
:class:`~archive.errors.ArchiveError` becomes one line on stderr and exit code 1;
usage errors exit 2; anything else is a bug and keeps its traceback.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import sys
import unicodedata
from collections.abc import Callable, Iterator, Sequence
from typing import Any, TextIO

import attrs

from archive import __version__
from archive.arabic import Profile
from archive.core import Archive
from archive.engines import ENGINES
from archive.errors import ArchiveError, QueryError
from archive.models import (
    HIT_FIELDS,
    JSON_ONLY_FIELDS,
    Citation,
    Context,
    Counts,
    Hit,
    IngestProgress,
    KwicLine,
    Passage,
    SearchResults,
    table_cell,
)
from archive.query.filters import condition
from archive.sharded import open_archive

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
    ingest.add_argument(
        "--column",
        action="append",
        type=_key_value,
        default=[],
        metavar="FIELD=NAME",
        help="the CSV/TSV column or JSON Lines key that holds FIELD "
        "(id, title, text, source, caption, citations; repeatable)",
    )
    ingest.add_argument(
        "--quiet", action="store_true", help="no progress bar (there is none in a pipe either)"
    )
    ingest.add_argument(
        "--exclude",
        action="append",
        default=[],
        metavar="GLOB",
        help="pass over the files of a folder that match (SOURCES.txt, drafts/*; repeatable)",
    )
    ingest.add_argument(
        "--prune",
        action="store_true",
        help="also remove the passages of files under PATH that are gone",
    )
    ingest.add_argument(
        "--encoding",
        metavar="NAME",
        help="the files' encoding (default: detected: UTF-8, UTF-16, Windows-1256, ISO-8859-6, "
        "cp720, Mac Arabic)",
    )
    ingest.add_argument(
        "--engine",
        choices=ENGINES,
        help="the search engine of a new index (default: whoosh; the folder remembers)",
    )
    ingest.add_argument(
        "--shards",
        type=_positive,
        metavar="N",
        help="create a sharded archive of N shards, searched on Dask (the folder remembers)",
    )
    _scheduler(ingest)
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
    folding.add_argument(
        "--roots", action="store_true", help="also index each word's root, for root:كتب queries"
    )

    def searching(name: str, help_text: str) -> argparse.ArgumentParser:
        sub = command(name, help_text)
        sub.add_argument(
            "query", metavar="QUERY", help='words; AND, OR, NOT, "phrase", prefix*, *suffix'
        )
        sub.add_argument(
            "--exact",
            action="store_true",
            help="letters as written; marks in the query must stand on the same letters",
        )
        sub.add_argument(
            "--match",
            choices=("all", "any"),
            default="all",
            help="all words must match (default), or any, ranked, question words dropped",
        )
        sub.add_argument(
            "--source", metavar="GLOB", help="only passages whose source matches the glob"
        )
        sub.add_argument(
            "--where",
            action="append",
            type=_condition,
            default=[],
            metavar="KEY=VALUE",
            help="only passages whose metadata KEY has VALUE, or a number in LOW..HIGH "
            "(page=10..50, died_ah=..300; repeatable)",
        )
        sub.add_argument(
            "--strict",
            default="",
            metavar="FOLDS",
            help="keep these letters apart for this search: alef-maqsura, ta-marbuta, "
            "hamza-seats (comma-separated)",
        )
        _scheduler(sub)
        sub.add_argument(
            "--raw-cells",
            action="store_true",
            help="csv/tsv: write cells starting with = + - @ as they are (default: a ' first)",
        )
        sub.add_argument(
            "--bom", action="store_true", help="csv/tsv: start with a UTF-8 byte order mark (Excel)"
        )
        return sub

    def coloring(sub: argparse.ArgumentParser) -> None:
        sub.add_argument(
            "--color",
            choices=("auto", "always", "never"),
            default="auto",
            help="colour the matches: on a terminal unless NO_COLOR is set (auto, the default), "
            "always or never",
        )

    def citing(sub: argparse.ArgumentParser) -> None:
        sub.add_argument(
            "--cite",
            choices=CITE_STYLES,
            default="short",
            help="the citation a table shows: short (book, section, volume/page; the "
            "default) or full (author and death year too)",
        )

    search = searching("search", "Search the archive.")
    search.add_argument(
        "--limit", type=_positive, default=10, metavar="N", help="hits per page (default: 10)"
    )
    search.add_argument(
        "--page", type=_positive, default=1, metavar="N", help="the page to show (default: 1)"
    )
    search.add_argument(
        "--all", action="store_true", help="every hit, streamed (instead of --limit and --page)"
    )
    search.add_argument(
        "--sort",
        default="score",
        metavar="ORDER",
        help="score (default), source (the order in the sources), or meta:KEY",
    )
    search.add_argument(
        "--facet",
        action="append",
        default=[],
        metavar="KEY",
        help="count the hits by source or meta:KEY (repeatable)",
    )
    search.add_argument(
        "--group-by",
        metavar="KEY",
        help="hits grouped by source or meta:KEY, groups ranked by their best hit "
        "(--limit groups a page)",
    )
    search.add_argument(
        "--per-group",
        type=_positive,
        default=3,
        metavar="N",
        help="hits shown of each group with --group-by (default: 3)",
    )
    search.add_argument(
        "--format", choices=FORMATS, default=None, help="output format (default: table)"
    )
    search.add_argument(
        "--fields",
        type=_names,
        default=None,
        metavar="A,B",
        help="fields of csv, tsv, jsonl and json output: "
        "id,title,source,score,rank,snippet,citation,citation_full,cite,highlights,text,"
        "caption,citations,meta.KEY",
    )
    search.add_argument("--json", action="store_true", help="the same as --format json")
    coloring(search)
    citing(search)

    kwic = searching("kwic", "A keyword-in-context concordance: one line per occurrence.")
    kwic.add_argument(
        "--width",
        type=_positive,
        default=40,
        metavar="N",
        help="characters of context on each side (default: 40)",
    )
    kwic.add_argument(
        "--sort", default="score", metavar="ORDER", help="score (default), source, or meta:KEY"
    )
    kwic.add_argument(
        "--format", choices=FORMATS, default="table", help="output format (default: table)"
    )
    coloring(kwic)
    citing(kwic)

    count = searching("count", "Count the passages and occurrences that match.")
    count.add_argument("--by", metavar="KEY", help="group by source, title, or a metadata key")
    count.add_argument(
        "--format", choices=FORMATS, default="table", help="output format (default: table)"
    )

    show = command("show", "Show one passage by its id.")
    show.add_argument("id", metavar="ID", help="the passage id")
    show.add_argument("--json", action="store_true", help="print one JSON object")
    show.add_argument(
        "--context",
        type=_positive,
        metavar="N",
        help="also the N passages before and after it in its source, in order",
    )

    stats = command("stats", "Show figures about the index.")
    stats.add_argument("--json", action="store_true", help="print one JSON object")
    _serve_parser(command)
    return parser


def _scheduler(sub: argparse.ArgumentParser) -> None:
    sub.add_argument(
        "--scheduler",
        metavar="ADDRESS",
        help="a sharded archive's Dask scheduler (default: a local cluster)",
    )


#: The output formats of search, kwic and count.
FORMATS = ("table", "json", "jsonl", "csv", "tsv")

#: The citation styles a table shows (``--cite``): :attr:`Citation.short`, :attr:`Citation.full`.
CITE_STYLES = ("short", "full")


def _key_value(text: str) -> tuple[str, str]:
    key, sep, value = text.partition("=")
    if not sep or not key:
        raise argparse.ArgumentTypeError(f"expected KEY=VALUE, not {text!r}")
    return key, value


def _condition(text: str) -> tuple[str, Any]:
    try:
        return condition(text)
    except QueryError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def _names(text: str) -> list[str]:
    names = [name.strip() for name in text.split(",") if name.strip()]
    if not names:
        raise argparse.ArgumentTypeError(f"expected names separated by commas, not {text!r}")
    return names


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


#: The output formats read by programs, written in UTF-8 whatever the locale.
MACHINE_FORMATS = ("json", "jsonl", "csv", "tsv")


#: Control characters (C0, DEL, C1) as the ``\xNN`` escapes tables show them as.
_CONTROLS = {i: f"\\x{i:02x}" for i in (*range(0x20), *range(0x7F, 0xA0))}
_CONTROLS_IN_TEXT = {i: v for i, v in _CONTROLS.items() if chr(i) not in "\n\t"}

#: Stand-ins for the match markers while an excerpt's controls are made visible.
_ON, _OFF = "\ue000", "\ue001"


def _visible(text: str, *, lines: bool = False) -> str:
    """``text`` with its control characters (terminal escapes) as ``\\xNN``;
    with ``lines``, line breaks and tabs are kept."""
    return text.translate(_CONTROLS_IN_TEXT if lines else _CONTROLS)


def _width(text: str) -> int:
    """The columns ``text`` takes on a terminal: combining marks and format
    characters none, wide characters two."""
    columns = 0
    for char in text:
        if unicodedata.combining(char) or unicodedata.category(char) in ("Mn", "Me", "Cf"):
            continue
        columns += 2 if unicodedata.east_asian_width(char) in ("W", "F") else 1
    return columns


def _use_color(choice: str, out: TextIO) -> bool:
    """Whether to colour: ``always``, ``never``, or ``auto``: on a terminal, unless
    the ``NO_COLOR`` environment variable is set (https://no-color.org)."""
    if choice != "auto":
        return choice == "always"
    return out.isatty() and not os.environ.get("NO_COLOR")


#: The values of each facet a table shows (every value in json output).
FACET_LINES = 20


def _print_results(results: SearchResults, out: TextIO, color: bool, cite: str = "short") -> None:
    out.write(
        f"{results.total} passage(s) match {_visible(repr(results.query))}"
        f" (page {results.page} of {results.pages})\n"
    )
    if results.groups:
        for group in results.groups:
            out.write(
                f"\n== {results.grouped}: {_visible(str(group.value))} · "
                f"{group.total} passage(s) ==\n"
            )
            for hit in group.hits:
                _print_hit(hit, out, color, cite)
    else:
        for hit in results.hits:
            _print_hit(hit, out, color, cite)
    for key, values in results.facets.items():
        if key == results.grouped:
            continue
        out.write(f"\n{_visible(key)}:\n")
        for value, count in values[:FACET_LINES]:
            out.write(f"  {count:>7,}  {_visible(value)}\n")
        if len(values) > FACET_LINES:
            out.write(f"  … {len(values) - FACET_LINES:,} more value(s)\n")


def _cited(cite: Citation, style: str) -> str:
    """The citation in a style of :data:`CITE_STYLES`, its controls made visible."""
    return _visible(cite.full if style == "full" else cite.short)


def _print_hit(hit: Hit, out: TextIO, color: bool, cite: str = "short") -> None:
    before, after = (_BOLD_RED, _RESET) if color else ("**", "**")
    p = hit.passage
    meta = f"id {_visible(p.id)} · {_visible(p.source)} · score {hit.score:.3f}"
    if color:
        meta = _DIM + meta + _RESET
    out.write(f"\n{hit.rank}. {_visible(p.title) or '(untitled)'}\n   {meta}\n")
    citation = _cited(hit.cite, cite)
    if citation:
        out.write(f"   {_DIM + citation + _RESET if color else citation}\n")
    excerpt = _visible(hit.excerpt(before=_ON, after=_OFF), lines=True)
    out.write(f"   {excerpt.replace(_ON, before).replace(_OFF, after)}\n")


def _print_context(context: Context, out: TextIO) -> None:
    """The passage as ``show`` prints it, with its neighbours before and after,
    each under a rule naming its id and citation."""
    for p in context.before:
        _print_neighbour(p, out)
    out.write(f"=== {_visible(context.passage.id)} ===\n")
    _print_passage(context.passage, out)
    for p in context.after:
        _print_neighbour(p, out)


def _print_neighbour(passage: Passage, out: TextIO) -> None:
    head = " · ".join(_visible(x) for x in (passage.id, passage.citation) if x)
    out.write(f"--- {head} ---\n{_visible(passage.text, lines=True)}\n\n")


def _print_passage(passage: Passage, out: TextIO) -> None:
    out.write(f"{_visible(passage.title) or '(untitled)'}\n")
    out.write(f"id: {_visible(passage.id)}\nsource: {_visible(passage.source)}\n")
    if passage.caption:
        out.write(f"caption: {_visible(passage.caption)}\n")
    if passage.citations:
        out.write(f"citations: {_visible(', '.join(passage.citations))}\n")
    if passage.citation:
        out.write(f"cite: {_visible(passage.cite.full)}\n")
    for key, value in passage.metadata.items():
        out.write(f"{_visible(str(key))}: {_visible(str(value))}\n")
    out.write(f"\n{_visible(passage.text, lines=True)}\n")


def _profile(args: argparse.Namespace) -> Profile | None:
    """The folding profile the flags ask for, or None when none was given."""
    chosen = {
        "hamza_seats": args.hamza_seats,
        "ta_marbuta": not args.no_ta_marbuta,
        "alef_maqsura": not args.no_alef_maqsura,
        "digits": not args.no_digits,
        "roots": args.roots,
    }
    if chosen == Profile().to_dict():
        return None
    return Profile(**chosen)


class ProgressBar:
    """An ingest's progress on one terminal line: passages, rate, share, time left."""

    def __init__(self, out: TextIO, every: float = 0.2) -> None:
        self.out = out
        self.every = every
        self.last = 0.0

    def __call__(self, progress: IngestProgress) -> None:
        if progress.seconds - self.last < self.every and progress.fraction < 1:
            return
        self.last = progress.seconds
        eta = progress.eta
        left = "?" if eta is None else f"{int(eta // 60)}:{int(eta % 60):02d}"
        self.out.write(
            f"\r{progress.passages:,} passages · {progress.rate:,.0f}/s · "
            f"{progress.fraction:.0%} · {left} left "
        )
        self.out.flush()

    def close(self) -> None:
        self.out.write("\r\x1b[K")  # clear the line for the report
        self.out.flush()


def write_hits(
    query: str,
    hits: Iterator[Hit],
    fmt: str,
    fields: list[str] | None,
    out: TextIO,
    color: bool,
    raw: bool = False,
    cite: str = "short",
) -> None:
    """Write hits one at a time in a format (every hit of ``--all`` is streamed);
    csv and tsv cells are made safe for spreadsheets unless ``raw``; ``cite``
    is the citation style of a table (:data:`CITE_STYLES`)."""
    json_out = fmt in ("json", "jsonl")
    names = fields or [f for f in HIT_FIELDS if json_out or f not in JSON_ONLY_FIELDS]
    if fmt == "table":
        for hit in hits:
            _print_hit(hit, out, color, cite)
        return
    if fmt == "jsonl":
        for hit in hits:
            out.write(json.dumps(hit.to_dict(names), ensure_ascii=False, allow_nan=False) + "\n")
        return
    if fmt == "json":
        out.write(json.dumps({"query": query}, ensure_ascii=False)[:-1] + ', "hits": [')
        total = 0
        for hit in hits:
            out.write(("," if total else "") + "\n  ")
            out.write(json.dumps(hit.to_dict(names), ensure_ascii=False, allow_nan=False))
            total += 1
        out.write(f'\n], "total": {total}}}\n')
        return
    writer = csv.writer(out, delimiter="\t" if fmt == "tsv" else ",", lineterminator="\n")
    writer.writerow(names)
    for hit in hits:
        writer.writerow(_cell(v, raw) for v in hit.to_dict(names).values())


def write_kwic(
    lines: Iterator[KwicLine],
    fmt: str,
    width: int,
    out: TextIO,
    color: bool,
    raw: bool = False,
    cite: str = "short",
) -> None:
    """Write concordance lines in a format; ``table`` aligns the matches on the
    columns a reader sees (marks take none, wide characters two) and ends each
    line with its citation in the style ``cite`` (:data:`CITE_STYLES`)."""
    if fmt == "table":
        before, after = (_BOLD_RED, _RESET) if color else ("«", "»")
        for line in lines:
            left, right = _visible(line.left), _visible(line.right)
            out.write(
                f"{' ' * (width - _width(left))}{left} {before}{_visible(line.match)}{after} "
                f"{right}{' ' * (width - _width(right))}  | {_cited(line.cite, cite)}\n"
            )
        return
    rows = (line.to_dict() for line in lines)
    if fmt == "jsonl":
        for row in rows:
            out.write(json.dumps(row, ensure_ascii=False) + "\n")
        return
    if fmt == "json":
        _print_json(list(rows), out)
        return
    writer = csv.writer(out, delimiter="\t" if fmt == "tsv" else ",", lineterminator="\n")
    writer.writerow(KWIC_FIELDS)
    for row in rows:
        writer.writerow(_cell(row[name], raw) for name in KWIC_FIELDS)


def write_counts(counts: Counts, fmt: str, out: TextIO, raw: bool = False) -> None:
    """Write counts in a format; ``table`` puts the totals first, then a header
    and a line a group; ``jsonl`` writes one object a group."""
    if fmt == "json":
        out.write(json.dumps(counts.to_dict(), ensure_ascii=False) + "\n")
        return
    if fmt == "jsonl":
        for group in counts.groups:
            row = {"query": counts.query, "by": counts.by, **attrs.asdict(group)}
            out.write(json.dumps(row, ensure_ascii=False) + "\n")
        return
    if fmt == "table":
        out.write(
            f"{counts.passages} passage(s), {counts.occurrences} occurrence(s) "
            f"of {_visible(repr(counts.query))}\n"
        )
        if counts.by is not None:
            out.write(f"{'passages':>8} {'occurrences':>11}  {_visible(counts.by)}\n")
            for group in counts.groups:
                label = "(none)" if group.key is None else _visible(str(group.key))
                out.write(f"{group.passages:>8} {group.occurrences:>11}  {label}\n")
        return
    writer = csv.writer(out, delimiter="\t" if fmt == "tsv" else ",", lineterminator="\n")
    writer.writerow([_cell(counts.by or "all", raw), "passages", "occurrences"])
    for group in counts.groups:
        writer.writerow([_cell(group.key, raw), group.passages, group.occurrences])


#: The columns of a concordance in csv and tsv.
KWIC_FIELDS = (
    "left",
    "match",
    "right",
    "citation",
    "citation_full",
    "passage_id",
    "source",
    "title",
)


def _cell(value: Any, raw: bool = False) -> Any:
    return table_cell(value, raw)


def _archive(args: argparse.Namespace) -> Archive:
    """The archive a command works on: sharded if the folder is (or ``--shards``)."""
    if args.command != "ingest":
        return open_archive(args.index, scheduler=getattr(args, "scheduler", None))
    return open_archive(
        args.index,
        create=True,
        engine=args.engine,
        profile=_profile(args),
        shards=args.shards,
        scheduler=args.scheduler,
    )


def run(args: argparse.Namespace, out: TextIO) -> None:
    """Run one parsed command, writing to ``out``."""
    if args.command == "serve":
        _serve(args)
        return
    with _archive(args) as arc:
        _command(arc, args, out)


def _command(arc: Archive, args: argparse.Namespace, out: TextIO) -> None:
    if args.command == "ingest":
        bar = None if args.quiet or not sys.stderr.isatty() else ProgressBar(sys.stderr)
        report = arc.ingest(
            args.path,
            encoding=args.encoding,
            columns=dict(args.column),
            prune=args.prune,
            progress=bar,
            exclude=args.exclude,
        )
        if bar is not None:
            bar.close()
        out.write(f"{report}\n")
        return
    if args.command in ("search", "kwic", "count"):
        options: dict[str, Any] = {
            "exact": args.exact,
            "match": args.match,
            "source": args.source,
            "where": dict(args.where),
            "strict": args.strict,
        }
        raw = args.raw_cells
        color = _use_color(getattr(args, "color", "never"), out)
        if args.bom and _format(args) in ("csv", "tsv"):
            out.write("\ufeff")
    if args.command == "search":
        fmt = _format(args)
        if args.all:
            hits = arc.hits(args.query, sort=args.sort, **options)
            write_hits(
                args.query, hits, fmt, args.fields, out, color=color, raw=raw, cite=args.cite
            )
            return
        results = arc.search(
            args.query,
            limit=args.limit,
            page=args.page,
            sort=args.sort,
            facets=tuple(args.facet),
            group_by=args.group_by,
            per_group=args.per_group,
            **options,
        )
        if results.hint:
            sys.stderr.write(f"archive: hint: {results.hint}\n")
        if results.suggestions:
            sys.stderr.write(f"archive: did you mean: {' | '.join(results.suggestions)}\n")
        if fmt == "table":
            _print_results(results, out, color=color, cite=args.cite)
        elif fmt == "json" and args.fields is None:
            _print_json(results.to_dict(), out)
        else:
            write_hits(args.query, iter(results.hits), fmt, args.fields, out, False, raw)
    elif args.command == "kwic":
        lines = arc.kwic(args.query, width=args.width, sort=args.sort, **options)
        write_kwic(lines, args.format, args.width, out, color=color, raw=raw, cite=args.cite)
    elif args.command == "count":
        write_counts(arc.count(args.query, by=args.by, **options), args.format, out, raw)
    elif args.command == "show" and args.context:
        context = arc.context(args.id, before=args.context, after=args.context)
        if args.json:
            _print_json(context.to_dict(), out)
        else:
            _print_context(context, out)
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


# --- archive serve ------------------------------------------------------------------

#: The packages of the web extra, named when one is missing.
WEB_PACKAGES = ("starlette", "uvicorn")


def _serve_parser(command: Callable[[str, str], argparse.ArgumentParser]) -> None:
    serve = command("serve", "Serve the archive over HTTP: a JSON API and a search page.")
    serve.add_argument(
        "--host",
        default="127.0.0.1",
        help="the address to listen on (default: 127.0.0.1, this machine only)",
    )
    serve.add_argument(
        "--port", type=_positive, default=8000, metavar="N", help="the port (default: 8000)"
    )
    serve.add_argument(
        "--workers",
        type=_positive,
        default=1,
        metavar="N",
        help="server processes, each with its own archive (default: 1)",
    )
    serve.add_argument(
        "--timeout",
        type=_seconds,
        default=10.0,
        metavar="SECONDS",
        help="answer 503 to a request that takes longer (default: 10)",
    )
    serve.add_argument(
        "--allow-ingest",
        action="store_true",
        help="accept POST /api/ingest with the token (default: read-only)",
    )
    serve.add_argument(
        "--token",
        metavar="TOKEN",
        help="the bearer token POST /api/ingest must send (default: $ARCHIVE_TOKEN)",
    )
    serve.add_argument(
        "--cors",
        action="append",
        default=[],
        metavar="ORIGIN",
        help="let pages from ORIGIN call the API (repeatable; default: none)",
    )
    serve.add_argument("--no-access-log", action="store_true", help="log no line per request")


def _seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
    if not value > 0 or value == float("inf"):
        raise argparse.ArgumentTypeError(f"must be a positive number of seconds: {text!r}")
    return value


def _serve(args: argparse.Namespace) -> None:
    """``archive serve``: the web app (archive.web) under uvicorn, until interrupted."""
    token = args.token or os.environ.get("ARCHIVE_TOKEN") or None
    if args.allow_ingest and not token:
        raise ArchiveError("--allow-ingest needs a token: --token TOKEN, or ARCHIVE_TOKEN")
    if args.host not in ("127.0.0.1", "localhost", "::1"):
        sys.stderr.write(
            f"archive: warning: listening on {args.host}: other machines can reach the server\n"
        )
    try:
        from archive.web import serve

        serve(
            args.index,
            host=args.host,
            port=args.port,
            workers=args.workers,
            timeout=args.timeout,
            allow_ingest=args.allow_ingest,
            token=token,
            cors=args.cors,
            access_log=not args.no_access_log,
        )
    except ModuleNotFoundError as exc:
        if (exc.name or "").split(".")[0] not in WEB_PACKAGES:
            raise
        raise ArchiveError(
            f"archive serve needs {exc.name}, which is not installed; "
            'install it with: pip install "arabic-archive[web]"'
        ) from None


def _format(args: argparse.Namespace) -> str:
    """The output format of a command: ``--json`` or ``--format``, else table."""
    if getattr(args, "json", False):
        return "json"
    return getattr(args, "format", None) or "table"


def _encode_stdout(args: argparse.Namespace) -> None:
    """Make stdout write what a command prints whatever the locale's encoding:
    machine formats in UTF-8, tables with what the encoding lacks escaped."""
    stream = sys.stdout
    if (stream.encoding or "").lower().replace("-", "").replace("_", "") == "utf8":
        return
    reconfigure = getattr(stream, "reconfigure", None)
    if reconfigure is None:
        return
    if _format(args) in MACHINE_FORMATS:
        reconfigure(encoding="utf-8", errors="strict")
    else:
        reconfigure(errors="backslashreplace")


def main(argv: Sequence[str] | None = None) -> int:
    """The ``archive`` command; returns the exit code."""
    args = build_parser().parse_args(argv)
    _encode_stdout(args)
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
