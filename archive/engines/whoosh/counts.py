"""Counting the hits of a Whoosh search without ranking them or reading their text.

``Archive.count`` wants how many passages hold words of a query in their body
text, and how many words of it the highlighter marks (:class:`archive.query.highlight.Matcher`),
grouped. Here the passages come from the query's matcher without scores
(``docs_for_query``), the groups by source from the postings of the ``source``
field, and the marked words from the positions of the body field's terms: the
terms the highlighter looks for (prefixes and exact-mode words expanded to the
index's terms as the query compiler expands them), each position counted once
(a word and its stems sit at one position), phrases matched position by
position as the highlighter matches them.

A position is a written word, with two exceptions that make a passage's text be
read and highlighted instead, so that the counts are the highlighter's:

* a word ligature (ﷺ) is one written word at several positions: a passage that
  holds one (found by its exact-mode term) and has two positions or more marked;
* a bare article (ال) standing alone is never highlighted: a passage in which a
  term that such a word may have is marked.

Light stems (``match="any"``) have no positions in the index, and a query that
looks in two body fields at once numbers positions two ways: those passages are
highlighted from their text.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable, Sequence
from typing import Any

import attrs

from archive import arabic
from archive.arabic.analysis import (
    EXACT,
    EXACT_SEPARATOR,
    LIGHT,
    LIGHT_MARK,
    ROOT,
    SURFACE,
    analyze_weighted,
)
from archive.arabic.fold import fold_table
from archive.arabic.tokens import TOKEN_PATTERN
from archive.engine import Request
from archive.engines.whoosh import search
from archive.models import Passage, count_key
from archive.query.highlight import Matcher
from archive.query.tree import wildcard_match

#: The body field of each analysis mode that keeps positions.
POSITIONAL_FIELD = {SURFACE: "text", EXACT: "text_exact"}

#: What :func:`occurrences` reads of a :class:`Matcher`; a matcher that looks
#: for anything else has its passages highlighted from their text.
_READ = frozenset(("profile", "terms", "prefixes", "phrases", "vocalised"))

#: Passages read at a time when their text or groups are needed.
LOAD_BATCH = 500

Tally = dict[Any, tuple[int, int]]


def tally(
    searcher: Any,
    request: Request,
    by: str | None,
    locate: Matcher,
    load: Callable[[Sequence[int]], list[Passage | None]],
) -> Tally:
    """Passages and occurrences of every hit of ``request``, grouped ``by`` as
    :func:`archive.models.tally` groups them (``load``: the passages of
    document numbers, for the groups and texts the index cannot give)."""
    reader = searcher.reader()
    q = search.for_searching(search.compile_query(request.plan.root), searcher)
    docs = set(searcher.docs_for_query(q))
    fq = search.filter_query(request.filters, reader)
    if fq is not None and docs:
        docs &= set(searcher.docs_for_query(fq))
    if not docs:
        return {}
    found = occurrences(reader, docs, locate)
    counted, unread = found if found is not None else ({}, docs)
    # A passage whose text holds nothing marked (found by its title or section
    # heading alone) is not counted.
    docs = {doc for doc in docs if counted.get(doc) or doc in unread}
    keys: dict[int, Any] = {}
    if by is None:
        keys = dict.fromkeys(docs)
    elif by == "source":
        keys = _sources(reader, docs)
    wanted = sorted(unread | (docs - keys.keys()))
    for at in range(0, len(wanted), LOAD_BATCH):
        batch = wanted[at : at + LOAD_BATCH]
        for doc, passage in zip(batch, load(batch), strict=True):
            if passage is None:  # not held any more (a snapshot is one state)
                docs.discard(doc)
                continue
            if doc in unread:
                counted[doc] = locate.count(passage.text)
                if not counted[doc]:
                    docs.discard(doc)
                    continue
            if doc not in keys:
                keys[doc] = count_key(passage, by)
    groups: Tally = {}
    for doc in docs:
        key = keys[doc]
        passages, words = groups.get(key, (0, 0))
        groups[key] = (passages + 1, words + counted.get(doc, 0))
    return groups


def _sources(reader: Any, docs: set[int]) -> dict[int, str]:
    """The source of each of ``docs`` that has one, from the postings of ``source``."""
    keys: dict[int, str] = {}
    for btext in reader.lexicon("source"):
        source = btext.decode("utf-8")
        for doc in reader.postings("source", btext).all_ids():
            if doc in docs:
                keys[doc] = source
    return keys


def occurrences(
    reader: Any, docs: set[int], locate: Matcher
) -> tuple[dict[int, int], set[int]] | None:
    """The words ``locate`` marks in the body of each of ``docs`` that the
    positions tell, and the documents whose text must be highlighted to tell
    (None: all of them). Documents in neither mark nothing."""
    if any(
        getattr(locate, field.name)
        for field in attrs.fields(type(locate))
        if field.init and field.name not in _READ
    ):
        return None  # the highlighter looks for something these counts do not know
    if locate.terms.get(ROOT) or locate.prefixes.get(ROOT):
        return None  # roots keep no positions: their words are found in the text
    modes = [
        mode
        for mode in (SURFACE, LIGHT, EXACT)
        if locate.terms.get(mode)
        or locate.prefixes.get(mode)
        or locate.phrases.get(mode)
        or (mode == EXACT and locate.vocalised)
    ]
    if not modes:
        return {}, set()
    if len(modes) > 1 or modes[0] not in POSITIONAL_FIELD:
        return None
    mode = modes[0]
    field = POSITIONAL_FIELD[mode]
    schema = reader.schema
    if field not in schema or not schema[field].format.supports("positions"):
        return None
    fmt = schema[field].format
    # The raw postings of each term in each document: the frequency is read
    # from them without unpickling the positions, which are only decoded for a
    # document that several terms (a word and its stem) or a phrase mark.
    raw: dict[int, list[bytes]] = {}
    unread: set[int] = set()
    for btext in _expanded(reader, field, mode, locate):
        article = _bare_article(btext, mode)
        for doc, value in _postings(reader, field, btext, docs):
            raw.setdefault(doc, []).append(value)
            if article:
                unread.add(doc)
    phrased: dict[int, set[int]] = {}
    for phrase in locate.phrases.get(mode, ()):
        places: list[dict[int, set[int]]] = []
        for alternatives in phrase:
            place: dict[int, set[int]] = {}
            for term in alternatives:
                btext = schema[field].to_bytes(term)
                article = _bare_article(btext, mode)
                for doc, value in _postings(reader, field, btext, docs):
                    place.setdefault(doc, set()).update(fmt.decode_positions(value))
                    if article:
                        unread.add(doc)
            places.append(place)
        for doc in set.intersection(*(set(place) for place in places)):
            for start in places[0][doc]:
                if all(start + i in place[doc] for i, place in enumerate(places)):
                    phrased.setdefault(doc, set()).update(range(start, start + len(phrase)))
    ligatures = _ligature_docs(reader, locate.profile) if mode == SURFACE else frozenset()
    counted: dict[int, int] = {}
    for doc in raw.keys() | phrased.keys():
        if doc in unread:
            continue
        values = raw.get(doc, ())
        if len(values) == 1 and doc not in phrased:
            marked = fmt.decode_frequency(values[0])
        else:
            positions = phrased.get(doc, set()).union(*map(fmt.decode_positions, values))
            marked = len(positions)
        if marked > 1 and (ligatures is None or doc in ligatures):
            unread.add(doc)
        else:
            counted[doc] = marked
    return counted, unread


def _expanded(reader: Any, field: str, mode: str, locate: Matcher) -> set[bytes]:
    """The terms of ``field`` that ``locate`` marks outside phrases."""
    to_bytes = reader.schema[field].to_bytes
    found = {to_bytes(term) for term in locate.terms.get(mode, ())}
    for prefix in locate.prefixes.get(mode, ()):
        if "*" in prefix:  # a wildcard, matched whole (archive.query.highlight._collect)
            matches = wildcard_match(prefix)
            listed = reader.expand_prefix(field, prefix.split("*", 1)[0])
            found.update(btext for btext in listed if matches(btext.decode("utf-8")))
        else:
            found.update(reader.expand_prefix(field, prefix))
    if mode == EXACT:
        for written in locate.vocalised:
            found.update(search.Vocalised(field, written)._btexts(reader))
    return {btext for btext in found if (field, btext) in reader}


def _postings(reader: Any, field: str, btext: bytes, docs: set[int]) -> Iterable[tuple[int, bytes]]:
    """The raw posting of a term in each of ``docs`` that holds it."""
    if (field, btext) not in reader:
        return
    postings = reader.postings(field, btext)
    while postings.is_active():
        doc = postings.id()
        if doc in docs:
            yield doc, postings.value()
        postings.next()


def _bare_article(btext: bytes, mode: str) -> bool:
    """Whether a written word that folds to a bare article (ال), which is never
    highlighted, may have this term."""
    term = btext.decode("utf-8")
    if mode == EXACT:
        term = term.split(EXACT_SEPARATOR, 1)[-1]
    return arabic.fold(term.removeprefix(LIGHT_MARK)) == "ال"


@functools.lru_cache(maxsize=8)
def _ligatures(profile: arabic.Profile) -> tuple[str, ...] | None:
    """The exact-mode terms of the word ligatures (characters the profile folds
    to several words, each a word of its own), or None if one cannot be found so."""
    terms: list[str] = []
    for code, folded in fold_table(profile).items():
        if not (isinstance(folded, str) and " " in folded):
            continue
        char = chr(code)
        analyzed = analyze_weighted(char, EXACT, profile)
        if TOKEN_PATTERN.findall(f"ب{char}ب") != ["ب", char, "ب"] or len(analyzed) != 1:
            return None
        terms += [term for term, _ in analyzed[0]]
    return tuple(terms)


def _ligature_docs(reader: Any, profile: arabic.Profile) -> frozenset[int] | None:
    """The documents whose body holds a word ligature (None: not known)."""
    terms = _ligatures(profile)
    if terms is None or "text_exact" not in reader.schema:
        return None
    found: set[int] = set()
    for term in _present(reader, "text_exact", terms):
        found.update(reader.postings("text_exact", term).all_ids())
    return frozenset(found)


def _present(reader: Any, field: str, terms: Iterable[str]) -> list[bytes]:
    to_bytes = reader.schema[field].to_bytes
    return [b for b in map(to_bytes, terms) if (field, b) in reader]
