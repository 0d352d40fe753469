"""The archive's value types: passages in, hits and results out, ingest reports."""

from __future__ import annotations

import bisect
import html
import json
import math
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from typing import Any

import attrs

from archive.errors import ArchiveError

#: ``(start, end)`` character offsets into a passage's text.
Span = tuple[int, int]


def _metadata(value: Mapping[str, Any] | None) -> dict[str, Any]:
    return dict(value or {})


def _strings(value: Any) -> tuple[str, ...]:
    return tuple(str(v) for v in (value or ()))


@attrs.frozen(kw_only=True)
class Passage:
    """One searchable passage.

    ``text`` is the body as stored (Unicode NFC, citation markers taken out);
    ``citations`` holds the markers' labels (``"10"`` for ``[10]``); ``caption``
    is an image caption where the format carries one; ``metadata`` holds every
    other field of the input record.
    """

    id: str
    text: str
    title: str = ""
    source: str = ""
    caption: str = ""
    citations: tuple[str, ...] = attrs.field(default=(), converter=_strings)
    metadata: dict[str, Any] = attrs.field(factory=dict, converter=_metadata, hash=False)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict of every field."""
        return {
            "id": self.id,
            "title": self.title,
            "text": self.text,
            "source": self.source,
            "caption": self.caption,
            "citations": list(self.citations),
            "metadata": dict(self.metadata),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Passage:
        """The inverse of :meth:`to_dict`."""
        return cls(
            id=data["id"],
            text=data["text"],
            title=data.get("title", ""),
            source=data.get("source", ""),
            caption=data.get("caption", ""),
            citations=data.get("citations", ()),
            metadata=data.get("metadata", {}),
        )

    @property
    def citation(self) -> str:
        """Source, title, and volume/page where the metadata has them, as
        :attr:`KwicLine.citation` writes it: ``كتاب، باب، 1/23``."""
        return _citation(
            self.source, self.title, self.metadata.get("volume"), self.metadata.get("page")
        )

    def __repr__(self) -> str:
        return (
            f"Passage(id={_short(self.id)!r}, title={_short(self.title)!r}, "
            f"source={_short(self.source)!r}, text={_short(self.text)!r} "
            f"({len(self.text):,} chars))"
        )

    def _repr_html_(self) -> str:
        """The passage for a notebook: right to left, escaped, its citation first."""
        head = _html_head(self.title, self.citation, self.id)
        body = f'<p style="white-space: pre-wrap; margin: 0.3em 0">{_escape(self.text)}</p>'
        return _html_block("archive-passage", head + body)


#: The fields of a hit written by default (with the passage's metadata keys).
HIT_FIELDS = ("id", "title", "source", "score", "snippet", "highlights")


def dataframe(rows: list[dict[str, Any]]) -> Any:
    """A pandas DataFrame of ``rows``, or a clear error naming the extra to install."""
    try:
        import pandas
    except ImportError:
        raise ArchiveError(
            'pandas is not installed; install it with: pip install "arabic-archive[pandas]"'
        ) from None
    return pandas.DataFrame(rows)


def mark(text: str, spans: tuple[Span, ...], before: str, after: str) -> str:
    """Wrap each span of ``text`` in ``before`` and ``after``."""
    out: list[str] = []
    last = 0
    for start, end in spans:
        out.append(text[last:start])
        out.append(before + text[start:end] + after)
        last = end
    out.append(text[last:])
    return "".join(out)


@attrs.frozen(kw_only=True)
class Hit:
    """One search hit: the passage, its score and rank, and where it matched.

    ``highlights`` and the snippet are computed on first use only, so reading a
    page of hits costs nothing for the hits whose text is never shown.
    """

    passage: Passage
    score: float
    rank: int
    _locate: Callable[[str], tuple[Span, ...]] = attrs.field(
        eq=False, hash=False, repr=False, alias="locate"
    )
    _cache: dict[str, tuple[Span, ...]] = attrs.field(
        factory=dict, eq=False, hash=False, repr=False, init=False
    )

    @property
    def highlights(self) -> tuple[Span, ...]:
        """``(start, end)`` offsets into ``passage.text`` of each matched word as written."""
        spans = self._cache.get("highlights")
        if spans is None:
            spans = self._locate(self.passage.text)
            self._cache["highlights"] = spans
        return spans

    def to_dict(self, fields: Sequence[str] | None = None) -> dict[str, Any]:
        """A flat dict of the hit: id, title, source, score, rank, snippet,
        highlights, text, caption, citations and each metadata key as
        ``meta.KEY``; ``fields`` chooses and orders them.

        Raises:
            ArchiveError: a field that no hit has.
        """
        p = self.passage
        every: dict[str, Callable[[], Any]] = {
            "id": lambda: p.id,
            "title": lambda: p.title,
            "source": lambda: p.source,
            "score": lambda: self.score,
            "rank": lambda: self.rank,
            "snippet": lambda: self.snippet,
            "highlights": lambda: [list(span) for span in self.highlights],
            "text": lambda: p.text,
            "caption": lambda: p.caption,
            "citations": lambda: list(p.citations),
        }
        if fields is None:
            fields = [*HIT_FIELDS, *(f"meta.{key}" for key in p.metadata)]
        out: dict[str, Any] = {}
        for name in fields:
            if name in every:
                out[name] = every[name]()
            elif name.startswith("meta."):
                out[name] = p.metadata.get(name[5:])
            else:
                raise ArchiveError(
                    f"unknown field {name!r}; the fields are {', '.join(every)} and meta.KEY"
                )
        return out

    @property
    def snippet(self) -> str:
        """A short excerpt around the densest run of matches, matches in ``**``."""
        return self.excerpt()

    def excerpt(self, width: int = 200, before: str = "**", after: str = "**") -> str:
        """An excerpt of about ``width`` characters with each match wrapped.

        The window is placed on the run of matches that fits the most of them,
        and widened to whole words; an ellipsis marks text cut at either end.
        """
        text = self.passage.text
        start, end = _window(text, self.highlights, width)
        inside = tuple(
            (s - start, e - start) for s, e in self.highlights if s >= start and e <= end
        )
        body = mark(text[start:end], inside, before, after)
        return ("…" if start > 0 else "") + body + ("…" if end < len(text) else "")

    @property
    def citation(self) -> str:
        """The passage's citation (:attr:`Passage.citation`)."""
        return self.passage.citation

    def excerpt_spans(self, width: int = 200) -> tuple[Span, tuple[Span, ...]]:
        """Where :meth:`excerpt` cuts the text, for markup of one's own: the
        excerpt's ``(start, end)`` in ``passage.text`` and the highlights that
        fall inside it (offsets into ``passage.text`` too).

        >>> hit = Hit(passage=Passage(id="1", text="a b c"), score=1.0, rank=1,
        ...           locate=lambda text: ((2, 3),))
        >>> hit.excerpt_spans()
        ((0, 5), ((2, 3),))
        """
        text = self.passage.text
        start, end = _window(text, self.highlights, width)
        return (start, end), tuple((s, e) for s, e in self.highlights if s >= start and e <= end)

    def __repr__(self) -> str:
        p = self.passage
        return (
            f"Hit(rank={self.rank}, score={self.score:.3f}, id={_short(p.id)!r}, "
            f"title={_short(p.title)!r})"
        )

    def _repr_html_(self) -> str:
        """The hit for a notebook: rank, title, citation, and an excerpt with
        each match in ``<mark>``, built from the offsets, the text escaped."""
        return _html_block("archive-hit", self._html_item())

    def _html_item(self) -> str:
        p = self.passage
        (start, end), spans = self.excerpt_spans()
        text = p.text[start:end]
        inside = tuple((s - start, e - start) for s, e in spans)
        excerpt = ("…" if start > 0 else "") + _marked(text, inside)
        excerpt += "…" if end < len(p.text) else ""
        head = _html_head(f"{self.rank}. {p.title or '(untitled)'}", p.citation, p.id)
        return head + f'<p style="margin: 0.3em 0">{excerpt}</p>'


def _window(text: str, spans: tuple[Span, ...], width: int) -> Span:
    """The ``(start, end)`` of an excerpt of ``text`` about ``width`` long."""
    if len(text) <= width:
        return 0, len(text)
    if not spans:
        return 0, _word_end(text, width)
    best, best_count = 0, 1  # a match wider than the window stands alone
    for i, count in enumerate(_run_lengths(spans, width)):
        if count > best_count:
            best, best_count = i, count
    first = spans[best][0]
    last = max(e for _, e in spans[best : best + best_count])
    slack = max(0, width - (last - first))
    start = max(0, first - slack // 2)
    end = min(len(text), start + max(width, last - first))
    start = max(0, min(start, end - width))
    return _word_start(text, start), _word_end(text, end)


def _run_lengths(spans: tuple[Span, ...], width: int) -> list[int]:
    """For each span, how many spans from it on end within ``width`` of its start,
    in O(n log n): the ends seen so far (from the last span back) are counted in
    a Fenwick tree over their sorted values."""
    ends = sorted({e for _, e in spans})
    tree = [0] * (len(ends) + 1)
    counts = [0] * len(spans)
    for i in range(len(spans) - 1, -1, -1):
        start, end = spans[i]
        k = bisect.bisect_right(ends, end)
        while k <= len(ends):
            tree[k] += 1
            k += k & -k
        k = bisect.bisect_right(ends, start + width)
        total = 0
        while k > 0:
            total += tree[k]
            k -= k & -k
        counts[i] = total
    return counts


def _word_start(text: str, i: int) -> int:
    while 0 < i < len(text) and not text[i - 1].isspace():
        i -= 1
    return i


def _word_end(text: str, i: int) -> int:
    while 0 < i < len(text) and not text[i].isspace():
        i += 1
    return i


@attrs.frozen(kw_only=True)
class SearchResults:
    """One page of results for a query.

    ``total`` counts every matching passage; ``hits`` holds this page's, ranked.
    ``hint`` is advice for a query that found nothing (a question searched with
    ``match="all"``), or None.
    """

    query: str
    total: int
    hits: tuple[Hit, ...]
    page: int = 1
    limit: int | None = 10
    exact: bool = False
    match: str = "all"
    hint: str | None = None

    @property
    def pages(self) -> int:
        """How many pages of ``limit`` hits the total makes."""
        if not self.limit:
            return 1
        return max(1, math.ceil(self.total / self.limit))

    @property
    def has_next(self) -> bool:
        """Whether a later page holds more hits."""
        return self.page < self.pages

    def __iter__(self) -> Iterator[Hit]:
        return iter(self.hits)

    def to_dict(self) -> dict[str, Any]:
        """The results as the CLI's ``--json`` prints them."""
        return {
            "query": self.query,
            "total": self.total,
            "page": self.page,
            "pages": self.pages,
            "hits": [h.to_dict() for h in self.hits],
        }

    def to_dicts(self, fields: Sequence[str] | None = None) -> list[dict[str, Any]]:
        """One flat dict a hit (see :meth:`Hit.to_dict`), for CSV, JSON or pandas."""
        return [h.to_dict(fields) for h in self.hits]

    def to_json(self, **options: Any) -> str:
        """:meth:`to_dict` as JSON, Arabic unescaped; options go to ``json.dumps``."""
        options.setdefault("ensure_ascii", False)
        return json.dumps(self.to_dict(), **options)

    def to_dataframe(self, fields: Sequence[str] | None = None) -> Any:
        """The hits as a pandas DataFrame, one row a hit.

        Raises:
            ArchiveError: pandas is not installed (``pip install "arabic-archive[pandas]"``).
        """
        return dataframe(self.to_dicts(fields))

    def __repr__(self) -> str:
        shown = ", ".join(repr(_short(h.passage.id, 24)) for h in self.hits[:5])
        more = f", … {len(self.hits) - 5} more" if len(self.hits) > 5 else ""
        return (
            f"SearchResults(query={_short(self.query)!r}, total={self.total}, "
            f"page={self.page} of {self.pages}, hits=[{shown}{more}])"
        )

    def _repr_html_(self) -> str:
        """The page of results for a notebook: right to left, each hit's title,
        citation and excerpt with the matches in ``<mark>``, all text escaped."""
        head = (
            f"<p><strong>{self.total:,}</strong> passage(s) match "
            f"<bdi>{_escape(self.query)}</bdi> (page {self.page} of {self.pages})</p>"
        )
        hint = getattr(self, "hint", None)
        if hint:
            head += f"<p>{_escape(hint)}</p>"
        first = self.hits[0].rank if self.hits else 1
        items = "".join(f"<li>{hit._html_item()}</li>" for hit in self.hits)
        return _html_block("archive-results", f'{head}<ol start="{first}">{items}</ol>')


@attrs.frozen(kw_only=True)
class IngestProgress:
    """How far an ingest has come: passages read, input bytes read of the total."""

    passages: int
    bytes_read: int
    bytes_total: int
    seconds: float

    @property
    def rate(self) -> float:
        """Passages a second so far."""
        return self.passages / self.seconds if self.seconds > 0 else 0.0

    @property
    def fraction(self) -> float:
        """The share of the input read, 0 to 1."""
        return min(1.0, self.bytes_read / self.bytes_total) if self.bytes_total else 1.0

    @property
    def eta(self) -> float | None:
        """Seconds left at the pace so far, or None before there is a pace."""
        if self.bytes_read <= 0 or self.seconds <= 0:
            return None
        return self.seconds * (self.bytes_total - self.bytes_read) / self.bytes_read


@attrs.frozen(kw_only=True)
class IngestReport:
    """What one ``ingest`` call did."""

    files: tuple[str, ...]
    added: int
    updated: int
    unchanged: int
    removed: int = 0
    skipped: tuple[str, ...] = ()
    seconds: float = 0.0

    @property
    def passages(self) -> int:
        """Passages read from the input, whatever happened to them."""
        return self.added + self.updated + self.unchanged

    def __str__(self) -> str:
        text = (
            f"{len(self.files)} file(s), {self.passages} passage(s): "
            f"{self.added} added, {self.updated} updated, {self.unchanged} unchanged"
        )
        if self.removed:
            text += f", {self.removed} removed"
        if self.skipped:
            text += f"; skipped {len(self.skipped)}: {', '.join(self.skipped)}"
        return text + f" ({self.seconds:.2f}s)"


@attrs.frozen(kw_only=True)
class KwicLine:
    """One occurrence of a match, in context (a line of a concordance).

    ``left`` and ``right`` are the text around the matched word as written,
    line breaks made spaces; ``start``/``end`` locate the word in the
    passage's text. ``volume`` and ``page`` come from the passage's metadata
    where it has them.
    """

    passage_id: str
    source: str
    title: str
    left: str
    match: str
    right: str
    start: int
    end: int
    volume: Any = None
    page: Any = None

    @property
    def citation(self) -> str:
        """Source, title, and volume/page where known: ``كتاب، باب، 1/23``."""
        parts = [p for p in (self.source, self.title) if p]
        if self.volume is not None and self.page is not None:
            parts.append(f"{self.volume}/{self.page}")
        elif self.page is not None:
            parts.append(f"p. {self.page}")
        return "، ".join(parts)

    def to_dict(self) -> dict[str, Any]:
        """A flat JSON-ready dict, the citation included."""
        return {**attrs.asdict(self), "citation": self.citation}

    def _repr_html_(self) -> str:
        """The line for a notebook (see :class:`Concordance` for many)."""
        return _html_block("archive-kwic", _kwic_table((self,)))


@attrs.frozen(kw_only=True)
class CountGroup:
    """The passages and occurrences that match in one group (``key``)."""

    key: Any
    passages: int
    occurrences: int


@attrs.frozen(kw_only=True)
class Counts:
    """How many passages, and how many occurrences in them, match a query."""

    query: str
    by: str | None
    passages: int
    occurrences: int
    groups: tuple[CountGroup, ...]

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict."""
        return {
            "query": self.query,
            "by": self.by,
            "passages": self.passages,
            "occurrences": self.occurrences,
            "groups": [attrs.asdict(g) for g in self.groups],
        }

    def to_dataframe(self) -> Any:
        """The groups as a pandas DataFrame: one row a group, the columns
        ``by`` (or ``"key"`` for a count in all), ``passages`` and ``occurrences``.

        Raises:
            ArchiveError: pandas is not installed (``pip install "arabic-archive[pandas]"``).
        """
        name = self.by or "key"
        return dataframe(
            [
                {name: g.key, "passages": g.passages, "occurrences": g.occurrences}
                for g in self.groups
            ]
        )

    def __repr__(self) -> str:
        return (
            f"Counts(query={_short(self.query)!r}, by={self.by!r}, passages={self.passages}, "
            f"occurrences={self.occurrences}, groups={len(self.groups)})"
        )

    def _repr_html_(self) -> str:
        """The counts for a notebook: a table of the groups, right to left, escaped."""
        head = (
            f"<p><strong>{self.passages:,}</strong> passage(s), "
            f"<strong>{self.occurrences:,}</strong> occurrence(s) of "
            f"<bdi>{_escape(self.query)}</bdi></p>"
        )
        rows = "".join(
            f"<tr><td>{'(none)' if g.key is None else _escape(str(g.key))}</td>"
            f"<td>{g.passages:,}</td><td>{g.occurrences:,}</td></tr>"
            for g in self.groups
        )
        table = (
            f"<table><thead><tr><th>{_escape(self.by or 'all')}</th><th>passages</th>"
            f"<th>occurrences</th></tr></thead><tbody>{rows}</tbody></table>"
        )
        return _html_block("archive-counts", head + (table if self.by is not None else ""))


def count_key(passage: Passage, by: str | None) -> Any:
    """The group of a passage in a count ``by`` source, title or a metadata key
    (a list or dict value as its JSON text, so that it can be a dict key)."""
    if by is None:
        key = None
    elif by in ("source", "title"):
        key = getattr(passage, by)
    else:
        key = passage.metadata.get(by)
    if isinstance(key, (list, dict)):
        return json.dumps(key, ensure_ascii=False, sort_keys=True)
    return key


def tally(
    passages: Iterable[Passage], by: str | None, locate: Callable[[str], tuple[Span, ...]]
) -> dict[Any, tuple[int, int]]:
    """Passages and occurrences (highlighted words) of matching passages, by group."""
    groups: dict[Any, tuple[int, int]] = {}
    for passage in passages:
        key = count_key(passage, by)
        count, occurrences = groups.get(key, (0, 0))
        groups[key] = (count + 1, occurrences + len(locate(passage.text)))
    return groups


def counts(query: str, by: str | None, groups: Mapping[Any, tuple[int, int]]) -> Counts:
    """The :class:`Counts` of tallied groups, largest first."""
    ordered = sorted(groups.items(), key=lambda kv: (-kv[1][0], str(kv[0])))
    return Counts(
        query=query,
        by=by,
        passages=sum(p for p, _ in groups.values()),
        occurrences=sum(o for _, o in groups.values()),
        groups=tuple(CountGroup(key=k, passages=p, occurrences=o) for k, (p, o) in ordered),
    )


# --- Notebook displays and short reprs --------------------------------------------


@attrs.frozen
class Concordance:
    """Concordance lines held together, for a notebook: ``Concordance(arc.kwic(q))``
    shows them as a table (:meth:`_repr_html_`) and :meth:`to_dataframe` makes one
    row a line. ``lines`` takes any iterable of :class:`KwicLine` (read whole).
    """

    lines: tuple[KwicLine, ...] = attrs.field(converter=tuple)

    def __iter__(self) -> Iterator[KwicLine]:
        return iter(self.lines)

    def __len__(self) -> int:
        return len(self.lines)

    def to_dicts(self) -> list[dict[str, Any]]:
        """One :meth:`KwicLine.to_dict` a line."""
        return [line.to_dict() for line in self.lines]

    def to_dataframe(self) -> Any:
        """The lines as a pandas DataFrame (the columns of :meth:`KwicLine.to_dict`).

        Raises:
            ArchiveError: pandas is not installed (``pip install "arabic-archive[pandas]"``).
        """
        return dataframe(self.to_dicts())

    def __repr__(self) -> str:
        return f"Concordance({len(self.lines)} line(s))"

    def _repr_html_(self) -> str:
        """The lines as a table, right to left, each match in ``<mark>``, escaped."""
        return _html_block("archive-kwic", _kwic_table(self.lines))


def _short(text: str, most: int = 40) -> str:
    """``text`` cut to ``most`` characters, an ellipsis marking the cut."""
    return text if len(text) <= most else text[: most - 1] + "…"


def _escape(text: str) -> str:
    return html.escape(text, quote=True)


def _marked(text: str, spans: Iterable[Span]) -> str:
    """``text`` escaped, each span in ``<mark>`` (escaped piece by piece, so that
    markup in the text stays text and the marks stand where the offsets say)."""
    out: list[str] = []
    last = 0
    for start, end in spans:
        out.append(_escape(text[last:start]))
        out.append("<mark>" + _escape(text[start:end]) + "</mark>")
        last = end
    out.append(_escape(text[last:]))
    return "".join(out)


def _citation(source: str, title: str, volume: Any, page: Any) -> str:
    parts = [p for p in (source, title) if p]
    if volume is not None and page is not None:
        parts.append(f"{volume}/{page}")
    elif page is not None:
        parts.append(f"p. {page}")
    return "، ".join(parts)


def _html_head(title: str, citation: str, passage_id: str) -> str:
    cite = " · ".join(_escape(part) for part in (citation, passage_id) if part)
    return (
        f"<div><strong>{_escape(title)}</strong></div>"
        f'<div style="font-size: smaller; opacity: 0.75">{cite}</div>'
    )


def _html_block(kind: str, body: str) -> str:
    return f'<div class="{kind}" dir="rtl" lang="ar" style="text-align: right">{body}</div>'


def _kwic_table(lines: Iterable[KwicLine]) -> str:
    rows = "".join(
        f'<tr><td style="text-align: left">{_escape(line.left)}</td>'
        f"<td><mark>{_escape(line.match)}</mark></td>"
        f'<td style="text-align: right">{_escape(line.right)}</td>'
        f'<td style="font-size: smaller">{_escape(line.citation)}</td></tr>'
        for line in lines
    )
    return f"<table><tbody>{rows}</tbody></table>"


#: The first characters that make a spreadsheet read a cell as a formula.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def table_cell(value: Any, raw: bool = False) -> Any:
    """A CSV/TSV cell of an export: lists and dicts as JSON, None as empty; unless
    ``raw``, text that a spreadsheet would run as a formula (starting with = + -
    @, a tab or a carriage return) gets a ``'`` first.

    >>> table_cell("=HYPERLINK(1)"), table_cell("=1", raw=True), table_cell(["a"])
    ("'=HYPERLINK(1)", '=1', '["a"]')
    """
    if isinstance(value, (list, dict)):
        value = json.dumps(value, ensure_ascii=False)
    if value is None:
        return ""
    if not raw and isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value
