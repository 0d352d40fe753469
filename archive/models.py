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


#: The metadata keys that name a passage's book, the first that holds text wins
#: (a reader's ``book``, or a ``title`` in the metadata); without one, the source.
BOOK_KEYS = ("book", "title")

#: The separator of a citation's parts (the Arabic comma and a space).
CITE_SEPARATOR = "، "


def _text(value: Any) -> str:
    return value.strip() if isinstance(value, str) else ""


def _died(value: Any) -> int | None:
    """A death year as an int (``255``, ``"0255"``), or None for anything else."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.strip().isdigit():
        return int(value.strip())
    return None


@attrs.frozen(kw_only=True)
class Citation:
    """Where a passage stands, as data: its book, author, the author's death
    year (AH) where known, volume and page, section, source and passage id.

    ``book`` is the metadata's ``book`` (or ``title``) where a reader gives one
    (OpenITI: the book's title), else the source. ``section`` is the passage's
    title; ``headings`` the headings above it where a reader records them (the
    metadata's ``section``: OpenITI's headings from the top, joined by `` / ``).
    Two styles of text, the parts joined by the Arabic comma (:data:`CITE_SEPARATOR`),
    empty parts left out:

    * :attr:`short`: book، section، volume/page (``p. 23`` with a page but no
      volume): ``الحيوان، 1/23``;
    * :attr:`full`: author (d. YEAR AH)، book، section (or the headings, for a
      passage without a title)، vol. V, p. P.

    >>> cite = Citation(book="الحيوان", author="الجاحظ", died_ah=255, volume=1, page=23,
    ...                 section="باب الكلب")
    >>> cite.short
    'الحيوان، باب الكلب، 1/23'
    >>> cite.full
    'الجاحظ (d. 255 AH)، الحيوان، باب الكلب، vol. 1, p. 23'
    """

    book: str = ""
    author: str = ""
    died_ah: int | None = None
    volume: Any = None
    page: Any = None
    section: str = ""
    headings: str = ""
    source: str = ""
    passage_id: str = ""

    @classmethod
    def of(cls, passage: Passage) -> Citation:
        """The citation of a passage, from its fields and metadata (``book`` or
        ``title``, ``author``, ``died_ah``, ``volume``, ``page``, ``section``)."""
        meta = passage.metadata
        book = next((_text(meta.get(k)) for k in BOOK_KEYS if _text(meta.get(k))), "")
        return cls(
            book=book or passage.source,
            author=_text(meta.get("author")),
            died_ah=_died(meta.get("died_ah")),
            volume=meta.get("volume"),
            page=meta.get("page"),
            section=passage.title,
            headings=_text(meta.get("section")),
            source=passage.source,
            passage_id=passage.id,
        )

    @property
    def place(self) -> str:
        """Volume and page as ``1/23``, a page alone as ``p. 23``, or ``""``."""
        if self.page is None:
            return ""
        return f"p. {self.page}" if self.volume is None else f"{self.volume}/{self.page}"

    @property
    def short(self) -> str:
        """Book، section، volume/page: ``الحيوان، باب الكلب، 1/23``."""
        return CITE_SEPARATOR.join(p for p in (self.book, self.section, self.place) if p)

    @property
    def full(self) -> str:
        """Author (d. YEAR AH)، book، section or headings، vol. V, p. P."""
        author = self.author
        if self.died_ah is not None:
            author = f"{author} (d. {self.died_ah} AH)".strip()
        if self.page is None:
            place = ""
        elif self.volume is None:
            place = f"p. {self.page}"
        else:
            place = f"vol. {self.volume}, p. {self.page}"
        parts = (author, self.book, self.section or self.headings, place)
        return CITE_SEPARATOR.join(p for p in parts if p)

    def __str__(self) -> str:
        return self.short

    def to_dict(self) -> dict[str, Any]:
        """The parts as a JSON-ready dict, and the two styles (``short``, ``full``)."""
        return {**attrs.asdict(self), "short": self.short, "full": self.full}


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
    def cite(self) -> Citation:
        """The passage's :class:`Citation`: its parts as data, ``.short`` and ``.full``."""
        return Citation.of(self)

    @property
    def citation(self) -> str:
        """The short citation (:attr:`Citation.short`) as text: book (the source
        where the metadata names none), title, and volume/page where the
        metadata has them: ``كتاب، باب، 1/23``."""
        return self.cite.short

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


#: The fields of a hit written by default (with the passage's metadata keys):
#: the citation as text in its two styles; the JSON formats add ``highlights``
#: and ``cite``, the citation's parts (:data:`JSON_ONLY_FIELDS`).
HIT_FIELDS = (
    "id",
    "title",
    "source",
    "score",
    "snippet",
    "citation",
    "citation_full",
    "highlights",
    "cite",
)

#: The default fields of a hit that only JSON and JSON Lines write (a list and
#: a dict, which a CSV cell would hold as JSON text).
JSON_ONLY_FIELDS = ("highlights", "cite")


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
        citation (:attr:`Citation.short`), citation_full (:attr:`Citation.full`),
        cite (the citation's parts, :meth:`Citation.to_dict`), highlights, text,
        caption, citations and each metadata key as ``meta.KEY``; ``fields``
        chooses and orders them.

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
            "citation": lambda: self.cite.short,
            "citation_full": lambda: self.cite.full,
            "cite": lambda: self.cite.to_dict(),
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
    def cite(self) -> Citation:
        """The passage's :class:`Citation` (:attr:`Passage.cite`)."""
        return self.passage.cite

    @property
    def citation(self) -> str:
        """The passage's short citation as text (:attr:`Passage.citation`)."""
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


@attrs.frozen
class Group:
    """The hits of one group of a search ``group_by`` a key (``source`` or
    ``meta:KEY``): its value, how many passages of it match, and its best hits."""

    key: str
    value: Any
    total: int
    hits: tuple[Hit, ...]

    def to_dict(self) -> dict[str, Any]:
        """The group as JSON: its value, total and the ids of its hits in order."""
        return {
            "key": self.key,
            "value": self.value,
            "total": self.total,
            "hits": [h.passage.id for h in self.hits],
        }


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
    #: "Did you mean": for a search that found nothing or very little, the query
    #: with its misspelt words replaced by the nearest words of the texts, as
    #: they write them (:mod:`archive.query.suggest`), likeliest first.
    suggestions: tuple[str, ...] = attrs.field(default=(), converter=_strings)
    #: For each key of ``facets=``: its values with their matching passages
    #: over the whole result set, most first (ties in value order).
    facets: Mapping[str, tuple[tuple[str, int], ...]] = attrs.field(factory=dict)
    #: With ``group_by=``: this page's groups, ranked by their best hit; the
    #: ``hits`` are then the hits of every group, group after group.
    groups: tuple[Group, ...] = ()
    #: The ``group_by`` key of a grouped search, else None.
    grouped: str | None = None

    @property
    def pages(self) -> int:
        """How many pages of ``limit`` hits (of a grouped search: groups) there are."""
        if not self.limit:
            return 1
        if self.grouped is not None:
            return max(1, math.ceil(len(self.facets.get(self.grouped, ())) / self.limit))
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
            **(
                {"facets": {k: [list(v) for v in vs] for k, vs in self.facets.items()}}
                if self.facets
                else {}
            ),
            **({"groups": [g.to_dict() for g in self.groups]} if self.groups else {}),
            **({"suggestions": list(self.suggestions)} if self.suggestions else {}),
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
        mean = f", suggestions={list(self.suggestions)!r}" if self.suggestions else ""
        return (
            f"SearchResults(query={_short(self.query)!r}, total={self.total}, "
            f"page={self.page} of {self.pages}, hits=[{shown}{more}]{mean})"
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
        if self.suggestions:
            mean = "، ".join(f"<bdi>{_escape(s)}</bdi>" for s in self.suggestions)
            head += f"<p>did you mean: {mean}</p>"
        first = self.hits[0].rank if self.hits else 1
        items = "".join(f"<li>{hit._html_item()}</li>" for hit in self.hits)
        return _html_block("archive-results", f'{head}<ol start="{first}">{items}</ol>')


def _passages(value: Iterable[Passage]) -> tuple[Passage, ...]:
    return tuple(value)


@attrs.frozen(kw_only=True)
class Context:
    """A passage and its neighbours in its source (:meth:`archive.Archive.context`):
    ``before`` and ``after`` hold the passages next to it, each in source order
    (the order of ``sort="source"``), nearest last in ``before`` and first in
    ``after``; fewer where the source starts or ends."""

    passage: Passage
    before: tuple[Passage, ...] = attrs.field(default=(), converter=_passages)
    after: tuple[Passage, ...] = attrs.field(default=(), converter=_passages)

    @property
    def passages(self) -> tuple[Passage, ...]:
        """Every passage in source order: ``before``, the passage, ``after``."""
        return (*self.before, self.passage, *self.after)

    def __iter__(self) -> Iterator[Passage]:
        return iter(self.passages)

    def __len__(self) -> int:
        return len(self.before) + 1 + len(self.after)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict: ``passage``, ``before`` and ``after``, each passage
        as :meth:`Passage.to_dict` with its ``cite`` (:meth:`Citation.to_dict`)."""

        def one(p: Passage) -> dict[str, Any]:
            return {**p.to_dict(), "cite": p.cite.to_dict()}

        return {
            "passage": one(self.passage),
            "before": [one(p) for p in self.before],
            "after": [one(p) for p in self.after],
        }

    def __repr__(self) -> str:
        return (
            f"Context(passage={_short(self.passage.id)!r}, before={len(self.before)}, "
            f"after={len(self.after)})"
        )

    def _repr_html_(self) -> str:
        """The passages for a notebook, in order, the passage itself set off by a rule
        at its side; right to left, escaped, each with its citation."""
        items = []
        for p in self.passages:
            style = "margin: 0.5em 0; padding-right: 0.6em"
            if p is self.passage:
                style += "; border-right: 3px solid currentColor"
            body = f'<p style="white-space: pre-wrap; margin: 0.3em 0">{_escape(p.text)}</p>'
            items.append(
                f'<div style="{style}">{_html_head(p.title, p.citation, p.id)}{body}</div>'
            )
        return _html_block("archive-context", "".join(items))


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
    where it has them; ``cite`` is the passage's :class:`Citation` (made of
    the line's own fields when none is given).
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
    cite: Citation = attrs.field(
        default=attrs.Factory(
            lambda line: Citation(
                book=line.source,
                volume=line.volume,
                page=line.page,
                section=line.title,
                source=line.source,
                passage_id=line.passage_id,
            ),
            takes_self=True,
        )
    )

    @property
    def citation(self) -> str:
        """The short citation as text (:attr:`Citation.short`): ``كتاب، باب، 1/23``."""
        return self.cite.short

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict: the line's fields, ``cite`` (the citation's parts,
        :meth:`Citation.to_dict`), ``citation`` and ``citation_full`` (its short
        and full styles as text)."""
        out = attrs.asdict(self, filter=lambda a, _: a.name != "cite")
        return {
            **out,
            "cite": self.cite.to_dict(),
            "citation": self.cite.short,
            "citation_full": self.cite.full,
        }

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
    """Passages and occurrences (highlighted words) of matching passages, by
    group. A passage in whose text nothing is highlighted (found by its title or
    section heading alone) is not counted: a count's passages are those holding
    its occurrences."""
    groups: dict[Any, tuple[int, int]] = {}
    for passage in passages:
        found = len(locate(passage.text))
        if not found:
            continue
        key = count_key(passage, by)
        count, occurrences = groups.get(key, (0, 0))
        groups[key] = (count + 1, occurrences + found)
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
