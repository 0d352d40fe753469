"""The :class:`Archive` facade: one archive folder, ingest, search and retrieval.

The facade plans every query (:mod:`archive.query`) and asks its engine
(:mod:`archive.engine`) for the hits; it makes no engine call but the
protocol's, so every engine, the sharded one included, answers through it.
"""

from __future__ import annotations

import os
import threading
import unicodedata
from collections import Counter, OrderedDict
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any, Literal

import attrs

from archive import arabic
from archive.arabic import Profile
from archive.arabic.strict import keep_apart, keeps_apart, strict_folds
from archive.engine import (
    FIELDS,
    Engine,
    IngestOptions,
    Ranked,
    Ranking,
    Request,
    Snapshot,
    SnapshotPool,
)
from archive.engines import open_engine
from archive.errors import ArchiveError, PassageNotFoundError, QueryError
from archive.models import (
    Context,
    Counts,
    Group,
    Hit,
    IngestProgress,
    IngestReport,
    KwicLine,
    Passage,
    SearchResults,
    count_key,
    counts,
)
from archive.query.filters import Filters, facet_field, group_values, ranked_facets
from archive.query.highlight import Span, matcher
from archive.query.plan import Plan, Planner
from archive.query.ranking import check_page, check_sort
from archive.query.strict import StrictCheck
from archive.query.suggest import Suggester

#: The :attr:`SearchResults.hint` of a question that found nothing with ``match="all"``.
QUESTION_HINT = (
    "no passage holds every word of this question; "
    'match="any" (archive search --match any) ranks the passages that hold any of them'
)

#: Passages :meth:`Archive.hits` reads from the index at a time.
FETCH_BATCH = 500


def concordance(query: str, width: int, hits: Callable[[], Iterator[Hit]]) -> Iterator[KwicLine]:
    """The concordance lines of every hit that ``hits()`` yields, for ``kwic``.

    Raises:
        QueryError: ``width`` is not a positive integer (before any search).
    """
    if isinstance(width, bool) or not isinstance(width, int) or width < 1:
        raise QueryError(f"width must be a positive integer, not {width!r}", query)
    for hit in hits():
        yield from kwic_lines(hit, width)


def kwic_lines(hit: Hit, width: int) -> Iterator[KwicLine]:
    """The concordance lines of one hit, ``width`` characters of context each side,
    counted as a reader sees them: a letter with its marks (harakat, shadda) is one
    character, and a context never starts or ends inside one."""
    p = hit.passage
    text = p.text
    spans = hit.highlights
    marks = {char for char in set(text) if _is_mark(char)} if spans else set()
    for start, end in spans:
        left = start
        seen = 0
        while left > 0 and seen < width:
            left -= 1
            if text[left] not in marks:
                seen += 1
        while left < start and text[left] in marks:
            left += 1  # marks of a letter outside the context
        right = end
        seen = 0
        while right < len(text):
            if text[right] not in marks:
                if seen == width:
                    break
                seen += 1
            right += 1  # a letter's marks come with it (they take no column)
        yield KwicLine(
            passage_id=p.id,
            source=p.source,
            title=p.title,
            left=_one_line(text[left:start]),
            match=text[start:end],
            right=_one_line(text[end:right]),
            start=start,
            end=end,
            volume=p.metadata.get("volume"),
            page=p.metadata.get("page"),
            cite=p.cite,
        )


def _auto_progress() -> tuple[Callable[[IngestProgress], None] | None, Callable[[], object] | None]:
    """The callback and closer of ``ingest(progress="auto")``: a ``tqdm.auto``
    bar of the input's bytes (passages and rate beside it), or none without tqdm."""
    try:
        from tqdm.auto import tqdm
    except ImportError:
        return None, None
    bar = tqdm(total=0, unit="B", unit_scale=True, desc="ingest")

    def update(progress: IngestProgress) -> None:
        bar.total = progress.bytes_total
        bar.n = progress.bytes_read
        bar.set_postfix(passages=progress.passages, refresh=False)
        bar.refresh()

    return update, bar.close


def _facet_keys(facets: Sequence[str], group_by: str | None, query: str) -> tuple[str, ...]:
    """The facet keys a search counts (its group key among them), checked.

    Raises:
        QueryError: ``facets`` is not a sequence of keys, or a key is not one.
    """
    if isinstance(facets, str) or not isinstance(facets, Sequence):
        raise QueryError(
            f"facets must be a list of keys ('source', 'meta:KEY'), not {facets!r}", query
        )
    keys = tuple(dict.fromkeys([*facets, *([group_by] if group_by is not None else [])]))
    for key in keys:
        facet_field(key)
    return keys


def _loaded(snapshot: Snapshot, ranked: Sequence[Ranked]) -> Iterator[tuple[int, Ranked, Passage]]:
    """Each hit of ``ranked`` with its rank and passage, the passages read
    :data:`FETCH_BATCH` at a time as the iterator goes (none deleted since)."""
    for at in range(0, len(ranked), FETCH_BATCH):
        batch = ranked[at : at + FETCH_BATCH]
        passages = snapshot.load([h.ref for h in batch])
        for rank, (hit, passage) in enumerate(zip(batch, passages, strict=True), at + 1):
            if passage is not None:
                yield rank, hit, passage


#: The most candidates a strict search checks (each is analyzed again).
MAX_STRICT_CANDIDATES = 200_000


def _checked(
    snapshot: Snapshot, ranking: Ranking, check: StrictCheck
) -> list[tuple[Ranked, Passage]]:
    """The hits of ``ranking`` that pass a strict check, in order, with their passages.

    Raises:
        QueryError: more than :data:`MAX_STRICT_CANDIDATES` candidates.
    """
    if ranking.total > MAX_STRICT_CANDIDATES:
        raise QueryError(
            f"a strict search of {ranking.total:,} candidates; the limit is "
            f"{MAX_STRICT_CANDIDATES:,} (narrow it with words or filters)",
            check.query,
        )
    return [(hit, passage) for _, hit, passage in _loaded(snapshot, ranking.hits) if check(passage)]


def _grouped(
    ranked: Iterable[tuple[int, Ranked, Passage]],
    key: str,
    per_group: int,
    totals: Mapping[str, int],
    locate: Callable[[str], tuple[Span, ...]],
) -> tuple[Group, ...]:
    """``ranked`` (rank, hit, passage, in order) grouped by their value of ``key``
    (a passage with a list value in each of its items' groups), the first
    ``per_group`` of each, the groups in the order of their best hit; ``ranked``
    is read only until every group of ``totals`` has its hits."""
    members: dict[str, list[Hit]] = {}
    missing = sum(min(per_group, n) for n in totals.values())
    for rank, hit, passage in ranked:
        if missing <= 0:
            break
        for value in group_values(passage, key):
            held = members.setdefault(value, [])
            if len(held) < per_group:
                held.append(Hit(passage=passage, score=hit.score, rank=rank, locate=locate))
                missing -= 1
    return tuple(
        Group(key=key, value=value, total=totals.get(value, len(hits)), hits=tuple(hits))
        for value, hits in members.items()
    )


#: The most neighbours :meth:`Archive.context` gives on each side.
MAX_CONTEXT = 100

#: The files whose passage order :meth:`Archive.context` keeps (per commit).
CONTEXT_FILES = 16

#: Passages :meth:`Archive.context` reads from the index at a time.
CONTEXT_BATCH = 32


def _same_source(snapshot: Snapshot, source: str, ids: list[str], wanted: int) -> list[Passage]:
    """The first ``wanted`` passages of ``ids`` (in that order) of ``source``,
    read :data:`CONTEXT_BATCH` (or ``wanted``, if more) at a time."""
    found: list[Passage] = []
    step = max(wanted, CONTEXT_BATCH)
    for at in range(0, len(ids), step):
        if len(found) >= wanted:
            break
        for passage in snapshot.get(ids[at : at + step]):
            if passage is not None and passage.source == source and len(found) < wanted:
                found.append(passage)
    return found


def _is_mark(char: str) -> bool:
    """Whether ``char`` is a combining mark (a haraka, shadda ...), part of the
    grapheme of the letter before it."""
    return bool(unicodedata.combining(char)) or unicodedata.category(char) in ("Mn", "Me")


def _one_line(text: str) -> str:
    return text.replace("\r", " ").replace("\n", " ").replace("\t", " ")


class Archive:
    """A searchable archive of Arabic passages, kept in one folder.

    ``Archive(path)`` opens the archive in ``path`` or creates it there;
    ``Archive(path, create=False)`` only opens, and a folder without an index
    raises :class:`~archive.errors.IndexNotFoundError` without creating anything.
    ``profile`` chooses the folding profile of a new index (see
    :class:`~archive.arabic.Profile`); an existing index keeps the profile it was
    created with, and asking for another one raises ``IndexFormatError``.
    ``engine`` chooses the search engine of a new index (``"whoosh"``, the
    default); an existing folder opens with the engine recorded in it. A sharded
    folder is opened with :class:`~archive.sharded.ShardedArchive` (or
    :func:`archive.open_archive`, which opens either).

    One ``Archive`` can be shared by the threads of a process: each search runs
    on a snapshot of its own of the last commit, so threads search in parallel.

    Raises:
        IndexNotFoundError: ``create=False`` and no index in ``path``.
        IndexFormatError: the index was built by an incompatible version, or by
            another engine than ``engine``.
        IndexLayoutError: ``path`` holds a sharded archive.
    """

    def __init__(
        self,
        path: str | os.PathLike[str] = "index",
        *,
        create: bool = True,
        profile: Profile | None = None,
        engine: str | None = None,
    ) -> None:
        self._open(Path(path), open_engine(path, engine=engine, create=create, profile=profile))

    def _open(self, path: Path, engine: Engine) -> None:
        self.path = path
        self.engine = engine
        self.profile = engine.profile
        self._planner = Planner(self.profile)
        self._snapshots = SnapshotPool(engine)
        self._writing = threading.Lock()
        self._suggester = Suggester(engine)
        self._orders: OrderedDict[str, tuple[str, list[str], dict[str, int]]] = OrderedDict()
        self._orders_lock = threading.Lock()

    def __repr__(self) -> str:
        return f"{type(self).__name__}({str(self.path)!r})"

    # --- reading -------------------------------------------------------------

    def _plan(
        self, query: str, exact: bool, match: str, source: str | None, where: Any, sort: str
    ) -> tuple[Plan, Filters]:
        filters = Filters.make(source, where)
        check_sort(sort, query)
        return self._planner.plan(query, exact=exact, match=match), filters

    def search(
        self,
        query: str,
        *,
        limit: int | None = 10,
        page: int = 1,
        exact: bool = False,
        match: str = "all",
        source: str | None = None,
        where: Mapping[str, Any] | None = None,
        sort: str = "score",
        facets: Sequence[str] = (),
        group_by: str | None = None,
        per_group: int = 3,
        strict: Sequence[str] | str = (),
    ) -> SearchResults:
        """Search the archive.

        ``match="all"`` (the default): every word must match unless ``OR`` says
        otherwise. ``match="any"``: passages holding any of the words, ranked;
        question words and particles (ما، من، هو، في ...) are dropped, for
        questions and pasted sentences. Ranking is BM25F over title, caption and
        body; a word found as written weighs more than one found through its
        stem (clitics taken off). ``exact=True``: letters as written, and every
        mark written in the query must stand on the same letter in the text
        (عِلم finds عِلْمٌ but not عَلَم). ``limit=None`` returns every hit.

        Filters: ``source`` is a glob on the passage's source (``"bukhari*"``);
        ``where`` maps metadata keys to the values they must have
        (``{"volume": 1}``). ``sort``: ``"score"`` (the default), ``"source"``
        (the order of the passages in their sources) or ``"meta:KEY"`` (by a
        metadata value, passages without it last). A ``where`` value may be a
        range of numbers, ``(low, high)``, either bound None (``{"page": (10,
        50)}``, ``{"died_ah": (None, 300)}``): the passages whose metadata value
        is a number in it, both ends included.

        ``facets``: keys (``"source"``, ``"meta:KEY"``) whose values are counted
        over every hit, in :attr:`SearchResults.facets`, most first.
        ``group_by`` (``"source"`` or ``"meta:KEY"``): the hits grouped by that
        key's value, the best ``per_group`` of each, the groups ranked by their
        best hit, ``limit`` groups a page (:attr:`SearchResults.groups`; the
        group key's values and counts are in ``facets`` too).

        ``strict``: contested folds kept apart for this search only, without
        rebuilding (:data:`archive.arabic.strict.STRICT_FOLDS`:
        ``"alef_maqsura"``, ``"ta_marbuta"``, ``"hamza_seats"``): with
        ``strict=("alef_maqsura",)`` علي finds علي and not على. Every other
        fold applies. The index finds the candidates and each is checked
        again, so a strict search takes as long as a count of its query
        (at most :data:`MAX_STRICT_CANDIDATES` candidates). ``NOT`` leaves out
        what it matches with the index's folds.

        Raises:
            QueryError: the query is empty or has no searchable word,
                ``limit``/``page``/``per_group`` is not a positive integer, or a
                filter, sort order, facet or group key is not one of the above.
        """
        filters = Filters.make(source, where)
        check_page(limit, page, query)
        check_sort(sort, query)
        keys = _facet_keys(facets, group_by, query)
        if group_by is not None and (
            isinstance(per_group, bool) or not isinstance(per_group, int) or per_group < 1
        ):
            raise QueryError(f"per_group must be a positive integer, not {per_group!r}", query)
        plan = self._planner.plan(query, exact=exact, match=match)
        check = self._strict(query, exact, match, strict)
        locate: Callable[[str], tuple[Span, ...]] = matcher(plan.root, self.profile)
        first = 0 if limit is None else (page - 1) * limit
        request = Request(plan, filters, sort, None if limit is None else page * limit)
        groups: tuple[Group, ...] = ()
        with self._snapshots.use() as snapshot:
            if check is not None:
                kept = _checked(snapshot, snapshot.search(attrs.evolve(request, limit=None)), check)
                ranking = Ranking(hits=tuple(r for r, _ in kept), total=len(kept))
                counted = {
                    key: dict(Counter(v for _, p in kept for v in group_values(p, key)))
                    for key in keys
                }
                locate = check.locate
                if group_by is None:
                    end = None if limit is None else first + limit
                    hits = tuple(
                        Hit(passage=p, score=r.score, rank=rank, locate=locate)
                        for rank, (r, p) in enumerate(kept[first:end], first + 1)
                    )
                else:
                    ranked_kept = ((rank, r, p) for rank, (r, p) in enumerate(kept, 1))
                    groups = _grouped(ranked_kept, group_by, per_group, counted[group_by], locate)
                    groups = groups[first:] if limit is None else groups[first : first + limit]
                    hits = tuple(hit for group in groups for hit in group.hits)
            elif group_by is None:
                counted = snapshot.facets(request, keys) if keys else {}
                ranking = snapshot.search(request)
                window = ranking.hits[first:]
                passages = snapshot.load([hit.ref for hit in window])
                hits = tuple(
                    Hit(passage=passage, score=ranked.score, rank=rank, locate=locate)
                    for rank, (ranked, passage) in enumerate(
                        zip(window, passages, strict=True), first + 1
                    )
                    if passage is not None
                )
            else:
                counted = snapshot.facets(request, keys) if keys else {}
                ranking = snapshot.search(attrs.evolve(request, limit=None))
                groups = _grouped(
                    _loaded(snapshot, ranking.hits),
                    group_by,
                    per_group,
                    counted[group_by],
                    locate,
                )
                groups = groups[first:] if limit is None else groups[first : first + limit]
                hits = tuple(hit for group in groups for hit in group.hits)
            suggestions = self._suggester.suggest(snapshot, plan, ranking.total)
        return SearchResults(
            suggestions=suggestions,
            facets={key: ranked_facets(counted[key]) for key in keys},
            groups=groups,
            grouped=group_by,
            query=query,
            total=ranking.total,
            hits=hits,
            page=page,
            limit=limit,
            exact=exact,
            match=match,
            hint=QUESTION_HINT
            if not ranking.total and match == "all" and self._question(query)
            else None,
        )

    def _strict(
        self, query: str, exact: bool, match: str, strict: Sequence[str] | str
    ) -> StrictCheck | None:
        """The check of a search's ``strict=`` folds, or None when there is
        nothing to keep apart (no fold named, or exact mode, strict already).

        Raises:
            QueryError: an unknown fold name.
        """
        folds = strict_folds(strict, query)
        table = keeps_apart(folds, self.profile) if folds and not exact else {}
        if not table:
            return None
        strict_plan = self._planner.plan(keep_apart(query, table), exact=exact, match=match)
        return StrictCheck(strict_plan.root, table, self.profile, FIELDS, query)

    def _question(self, query: str) -> bool:
        """Whether ``query`` looks like a question: it ends with ? or ؟, or starts
        with a question word (:func:`archive.arabic.question_words`)."""
        if query.rstrip().endswith(("?", "؟")):
            return True
        first = query.split(maxsplit=1)[0].strip("\"'()?؟،,.:")
        return arabic.fold(first, self.profile) in arabic.question_words(self.profile)

    def hits(
        self,
        query: str,
        *,
        exact: bool = False,
        match: str = "all",
        source: str | None = None,
        where: Mapping[str, Any] | None = None,
        sort: str = "score",
        strict: Sequence[str] | str = (),
    ) -> Iterator[Hit]:
        """Every hit of a query, in order, one at a time.

        The same search as :meth:`search` (the same arguments, ``strict``
        included) without a limit;
        the passages are read :data:`FETCH_BATCH` at a time, so a million hits
        are not held in memory. The first :data:`FETCH_BATCH` hits are ranked
        alone (the engine keeps only the best), so that they come at once; the
        others are ranked when those have been read, in the same order as one
        search of every hit. The iterator searches the index as it was when it
        started, even if an ingest commits meanwhile.

        Raises:
            QueryError: as :meth:`search`, when the iterator starts.
        """
        plan, filters = self._plan(query, exact, match, source, where, sort)
        check = self._strict(query, exact, match, strict)
        if check is not None:
            yield from self._strict_hits(plan, filters, sort, check)
            return
        locate = matcher(plan.root, self.profile)
        batch_size = FETCH_BATCH
        snapshot = self.engine.snapshot()
        try:
            ranked: tuple[Ranked, ...] = snapshot.search(
                Request(plan, filters, sort, batch_size)
            ).hits
            at = 0
            while at < len(ranked):
                batch = ranked[at : at + batch_size]
                passages = snapshot.load([hit.ref for hit in batch])
                for rank, (hit, passage) in enumerate(zip(batch, passages, strict=True), at + 1):
                    if passage is not None:  # not deleted since the hits were ranked
                        yield Hit(passage=passage, score=hit.score, rank=rank, locate=locate)
                at += len(batch)
                if at == len(ranked) == batch_size:  # perhaps more: rank every hit
                    ranked = snapshot.search(Request(plan, filters, sort)).hits
        finally:
            snapshot.close()

    def _strict_hits(
        self, plan: Plan, filters: Filters, sort: str, check: StrictCheck
    ) -> Iterator[Hit]:
        """The hits of a strict search, in order, ranked 1, 2 ... among themselves."""
        snapshot = self.engine.snapshot()
        try:
            ranking = snapshot.search(Request(plan, filters, sort))
            for rank, (hit, passage) in enumerate(_checked(snapshot, ranking, check), 1):
                yield Hit(passage=passage, score=hit.score, rank=rank, locate=check.locate)
        finally:
            snapshot.close()

    def kwic(
        self,
        query: str,
        *,
        width: int = 40,
        exact: bool = False,
        match: str = "all",
        source: str | None = None,
        where: Mapping[str, Any] | None = None,
        sort: str = "score",
        strict: Sequence[str] | str = (),
    ) -> Iterator[KwicLine]:
        """A keyword-in-context concordance: one line per occurrence of a match.

        Each line holds ``width`` characters of text on each side of the
        matched word as written, and where it stands (passage, source, title,
        volume and page from the metadata). Passages come in the order of
        ``sort``, occurrences in text order. ``strict``: as for :meth:`search`.

        Raises:
            QueryError: as :meth:`search`, or a ``width`` that is not a positive integer.
        """
        yield from concordance(
            query,
            width,
            lambda: self.hits(
                query,
                exact=exact,
                match=match,
                source=source,
                where=where,
                sort=sort,
                strict=strict,
            ),
        )

    def count(
        self,
        query: str,
        *,
        by: str | None = None,
        exact: bool = False,
        match: str = "all",
        source: str | None = None,
        where: Mapping[str, Any] | None = None,
        strict: Sequence[str] | str = (),
    ) -> Counts:
        """How many occurrences of the query the passages' text holds, and in
        how many passages, in all and grouped ``by`` ``"source"``, ``"title"``
        or a metadata key (groups largest first): the words :meth:`kwic` lists
        and :attr:`Hit.highlights` marks. A passage that :meth:`search` finds
        by its title or section heading alone holds none and is not counted, so
        ``passages`` can be less than a search's total.
        ``strict``: as for :meth:`search` (each hit is then highlighted again).

        Raises:
            QueryError: as :meth:`search`; or the query looks for no word of
                the text (only ``title:`` or ``caption:`` words; a search's
                total or facets count those passages).
        """
        plan, filters = self._plan(query, exact, match, source, where, "score")
        locate = matcher(plan.root, self.profile)
        if locate.looks_for_nothing:
            raise QueryError(
                "count counts words of the passages' text, and this query looks for "
                "none (only titles or headings); a search's total or its facets count "
                "the passages it finds",
                query,
            )
        check = self._strict(query, exact, match, strict)
        if check is not None:
            groups: dict[Any, tuple[int, int]] = {}
            for hit in self._strict_hits(plan, filters, "score", check):
                if not hit.highlights:
                    continue
                key = count_key(hit.passage, by)
                held, occurrences = groups.get(key, (0, 0))
                groups[key] = (held + 1, occurrences + len(hit.highlights))
            return counts(query, by, groups)
        with self._snapshots.use() as snapshot:
            groups = snapshot.tally(Request(plan, filters), by, locate)
        return counts(query, by, groups)

    def get(self, passage_id: str) -> Passage:
        """The passage with this id.

        Raises:
            PassageNotFoundError: no passage has that id (a ``KeyError`` too).
        """
        with self._snapshots.use() as snapshot:
            found = snapshot.get([str(passage_id)])[0]
        if found is None:
            raise PassageNotFoundError(str(passage_id), self.path)
        return found

    def context(self, passage_id: str, before: int = 1, after: int = 1) -> Context:
        """A passage and up to ``before`` and ``after`` of its neighbours: the
        passages next to it in its source, in the order ``sort="source"`` gives
        (the place each was read from, line by line), for reading a hit in
        context. Neighbours are looked for in the file the passage was read
        from (a source spread over several files ends at the file's edge); in
        a file holding several sources, the passages of the others are passed
        over. At most :data:`MAX_CONTEXT` on each side.

        Raises:
            PassageNotFoundError: no passage has that id.
            QueryError: ``before`` or ``after`` is not an integer from 0 to
                :data:`MAX_CONTEXT` (the message names the value).
        """
        for name, value in (("before", before), ("after", after)):
            if (
                isinstance(value, bool)
                or not isinstance(value, int)
                or not 0 <= value <= MAX_CONTEXT
            ):
                raise QueryError(
                    f"{name} must be an integer from 0 to {MAX_CONTEXT}, not {value!r}",
                    str(passage_id),
                )
        with self._snapshots.use() as snapshot:
            found = snapshot.get([str(passage_id)])[0]
            if found is None:
                raise PassageNotFoundError(str(passage_id), self.path)
            record = snapshot.record(found.id)
            if record is None or not (before or after):
                return Context(passage=found)
            ids, place = self._file_order(snapshot, record.file)
            at = place.get(found.id)
            if at is None:  # not held as read from that file
                return Context(passage=found)
            earlier = _same_source(snapshot, found.source, ids[:at][::-1], before)
            later = _same_source(snapshot, found.source, ids[at + 1 :], after)
        return Context(passage=found, before=earlier[::-1], after=later)

    def _file_order(self, snapshot: Snapshot, file: str) -> tuple[list[str], dict[str, int]]:
        """The ids of a file's passages in line order, and each one's place: read
        from the index (every record of the file: 0.4 s for a file of 15,000
        passages) and kept for :data:`CONTEXT_FILES` files while the file's hash
        in the manifest is the same (an ingest of other files, or of the file
        unchanged, keeps it; the sharded engine keeps no manifest, so none)."""

        def file_stamp() -> str | None:
            try:
                return self.engine.manifest().get(file)
            except ArchiveError:
                return None

        stamp = file_stamp()
        with self._orders_lock:
            kept = self._orders.get(file)
            if kept is not None and stamp is not None and kept[0] == stamp:
                self._orders.move_to_end(file)
                return kept[1], kept[2]
        records = sorted(snapshot.records(file), key=lambda r: (r.line, r.id))
        ids = [r.id for r in records]
        place = {passage_id: at for at, passage_id in enumerate(ids)}
        if stamp is not None and snapshot.is_latest() and stamp == file_stamp():
            with self._orders_lock:
                self._orders[file] = (stamp, ids, place)
                while len(self._orders) > CONTEXT_FILES:
                    self._orders.popitem(last=False)
        return ids, place

    def __contains__(self, passage_id: object) -> bool:
        with self._snapshots.use() as snapshot:
            return snapshot.get([str(passage_id)])[0] is not None

    def __len__(self) -> int:
        with self._snapshots.use() as snapshot:
            return snapshot.count()

    def __iter__(self) -> Iterator[Passage]:
        """Every passage, in index order (the order of ingest, updates last), read
        one at a time from the index as it was when the iteration started."""
        snapshot = self.engine.snapshot()
        try:
            yield from snapshot.passages()
        finally:
            snapshot.close()

    def stats(self) -> dict[str, Any]:
        """Figures about the index: passages, sources, size on disk, format."""
        with self._snapshots.use() as snapshot:
            sources = len(snapshot.sources())
            passages_count = snapshot.count()
        info = self.engine.info()
        return {
            "index": str(self.path),
            "passages": passages_count,
            "sources": sources,
            **info,
        }

    def warm_up(self) -> None:
        """Read now what the first searches would otherwise read: the index
        vocabulary that suggestions come from (read once per commit; seconds on
        an archive of a million passages). ``archive serve`` calls it in the
        background when it starts. An archive with no index yet reads nothing.

        Raises:
            ArchiveError: as a search does (a damaged index, a lost cluster).
        """
        self._suggester.vocabulary()

    # --- writing -------------------------------------------------------------

    def ingest(
        self,
        path: str | os.PathLike[str],
        *,
        workers: int | None = None,
        encoding: str | None = None,
        columns: Mapping[str, str] | None = None,
        prune: bool = False,
        progress: Callable[[IngestProgress], None] | Literal["auto"] | None = None,
        exclude: Sequence[str] = (),
    ) -> IngestReport:
        """Ingest a file or a folder of passages (see :func:`archive.readers.find_files`).

        New passages are added, changed ones replaced, unchanged ones left as
        they are, and passages a file held at its last ingest but holds no more
        are removed (an edited passage without an id in the input gets a new
        id). All or nothing: on any error nothing of this call is kept.

        ``prune=True``: also remove the passages of files under ``path`` that
        are gone (deleted, renamed or moved away since they were ingested), or
        that ``exclude`` now passes over.

        ``exclude``: globs of files a folder ingest passes over, matched against
        each file's path under ``path`` and against its name
        (``("SOURCES.txt", "README*", "drafts/*")``); the files it takes are
        those :func:`archive.readers.find_files` lists.

        ``progress``: called now and then (every 1,000 passages and at the end)
        with an :class:`~archive.models.IngestProgress`, for a progress bar;
        ``progress="auto"``: a ``tqdm.auto`` bar (in a notebook, a widget) when
        tqdm is installed, and no progress when it is not.

        ``columns``: which CSV/TSV column or JSON Lines key holds each passage
        field, for inputs that name them otherwise (``{"text": "body"}``).

        ``encoding``: the files' encoding; by default each file's is detected
        (UTF-8, UTF-8 or UTF-16 with or without a byte order mark, Windows-1256,
        ISO-8859-6, cp720 or Mac Arabic; see docs/passage-format.md).

        ``workers``: worker processes that analyze and write the passages. By
        default, one per core plus one when the input is large enough to pay
        for starting them (:data:`archive.ingest.PARALLEL_BYTES`), the platform
        forks and the process runs no other thread; ``workers=1`` indexes in
        this process.

        Memory: files are read as streams, never whole; this process holds
        about 130 bytes for each passage of the call (its id, to tell an id
        given twice) and each worker process up to
        :data:`archive.engines.whoosh.store.POOL_MB` of postings before it
        spills them to disk (measured on a million passages: 160 MiB here,
        407 MiB a worker; ``benchmarks/scale.py``).

        Raises:
            InputError: a missing path, an unreadable or malformed file (names
                the file and line), or an id given twice.
            IndexLockedError: another writer held the index for too long.
            ArchiveError: ``progress`` is a string other than ``"auto"``, or
                ``exclude`` is not a list of globs.
        """
        if isinstance(exclude, str) or not all(isinstance(g, str) for g in exclude):
            raise ArchiveError(f"exclude must be a list of globs, not {exclude!r}")
        options = IngestOptions(
            workers=workers,
            encoding=encoding,
            columns=dict(columns) if columns is not None else None,
            prune=prune,
            exclude=tuple(exclude),
        )
        close: Callable[[], object] | None = None
        if isinstance(progress, str):
            if progress != "auto":
                raise ArchiveError(f"progress must be a callable, None or 'auto', not {progress!r}")
            progress, close = _auto_progress()
        try:
            with self._writing:
                report = self.engine.ingest(Path(path), options, progress)
        finally:
            if close is not None:
                close()
        self._snapshots.clear()
        self._suggester.close()  # this archive's commit: read the vocabulary anew
        return report

    # --- lifecycle -----------------------------------------------------------

    def close(self) -> None:
        """Release the open snapshots' files (the archive reopens them if used
        again) and what the engine holds."""
        self._snapshots.clear()
        self._suggester.close()
        self.engine.close()

    def __enter__(self) -> Archive:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
