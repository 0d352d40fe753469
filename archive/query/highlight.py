"""Highlights: where a planned query matched in a passage's text, as written.

The body text is analyzed again, as the index analyzed it, with the offsets of
each term into the original text; the terms, prefixes, phrases and exact-mode
words the query looks for in the body (:func:`matcher`) mark the words they
match. The spans are offsets into the text as given, so highlights land on the
words as written, vocalised and with their clitics.
"""

from __future__ import annotations

import attrs

from archive import arabic
from archive.arabic.analysis import EXACT, EXACT_SEPARATOR, LIGHT, SURFACE, Token, shared
from archive.arabic.tokens import TOKEN_PATTERN
from archive.query import tree as t

Span = tuple[int, int]

#: How the index analyzed the body text in each field a query can name.
MODE_OF_FIELD = {"text": SURFACE, "text_stem": LIGHT, "text_exact": EXACT}


@attrs.frozen
class Matcher:
    """What a query matches in a passage's text, for highlights.

    ``terms`` and ``prefixes`` map an analysis mode to the terms the query looks
    for in the body in that mode; ``phrases`` to its phrases, each a tuple of
    the alternatives at each position; ``vocalised`` holds exact-mode words.

    Whether a written word matches (outside phrases) is worked out once per
    word and kept, for the hits of one search share most of their words.
    """

    profile: arabic.Profile
    terms: dict[str, frozenset[str]]
    prefixes: dict[str, tuple[str, ...]]
    phrases: dict[str, tuple[tuple[frozenset[str], ...], ...]]
    vocalised: tuple[str, ...]
    _known: dict[tuple[str, str], bool] = attrs.field(
        factory=dict, init=False, eq=False, repr=False
    )

    def __call__(self, text: str) -> tuple[Span, ...]:
        """The ``(start, end)`` spans of ``text`` this query matched, in order."""
        spans: set[Span] = set()
        words: list[tuple[str, int, int]] | None = None
        for mode in (SURFACE, LIGHT, EXACT):
            terms = self.terms.get(mode, frozenset())
            prefixes = self.prefixes.get(mode, ())
            phrases = self.phrases.get(mode, ())
            vocalised = self.vocalised if mode == EXACT else ()
            if not (terms or prefixes or phrases or vocalised):
                continue
            if words is None:
                words = [(m.group(), m.start(), m.end()) for m in TOKEN_PATTERN.finditer(text)]
            weighted = shared(mode, self.profile).weighted
            known = self._known
            if len(known) > KNOWN_WORDS:
                known.clear()
            single = terms or prefixes or vocalised
            tokens: list[Token] = []
            position = 0
            for word, start, end in words:
                parts = None
                if single:
                    key = (mode, word)
                    hit = known.get(key)
                    if hit is None:
                        parts = weighted(word)
                        hit = known[key] = any(
                            self._fits(term, terms, prefixes, vocalised)
                            for alternatives in parts
                            for term, _ in alternatives
                        )
                    if hit:
                        spans.add((start, end))
                if phrases:
                    if parts is None:
                        parts = weighted(word)
                    for alternatives in parts:
                        for term, weight in alternatives:
                            tokens.append(Token(term, position, start, end, weight))
                        position += 1
            for phrase in phrases:
                spans.update(_phrase_spans(tokens, phrase))
        return _whole_words(text, spans)

    @staticmethod
    def _fits(
        term: str, terms: frozenset[str], prefixes: tuple[str, ...], vocalised: tuple[str, ...]
    ) -> bool:
        return (
            term in terms
            or (bool(prefixes) and term.startswith(prefixes))
            or (
                bool(vocalised)
                and any(arabic.marks_fit(v, term.split(EXACT_SEPARATOR, 1)[1]) for v in vocalised)
            )
        )


#: Written words whose match a highlighter keeps, before it starts afresh.
KNOWN_WORDS = 50_000


def matcher(root: t.Node, profile: arabic.Profile) -> Matcher:
    """The highlighter for the body text of the passages that ``root`` matched."""
    gathered = _Gathered()
    _collect(root, gathered)
    return Matcher(
        profile=profile,
        terms={m: frozenset(w) for m, w in gathered.terms.items()},
        prefixes={m: tuple(p) for m, p in gathered.prefixes.items()},
        phrases={m: tuple(p) for m, p in gathered.phrases.items()},
        vocalised=tuple(gathered.vocalised),
    )


def _whole_words(text: str, spans: set[Span]) -> tuple[Span, ...]:
    """Sorted spans, without a bare article (ال) standing alone."""
    return tuple(sorted(s for s in spans if arabic.fold(text[s[0] : s[1]]) != "ال"))


def _phrase_spans(tokens: list[Token], phrase: tuple[frozenset[str], ...]) -> set[Span]:
    by_pos: dict[int, list[Token]] = {}
    for token in tokens:
        by_pos.setdefault(token.position, []).append(token)
    found: set[Span] = set()
    for pos in by_pos:
        run: list[Span] = []
        for i, alternatives in enumerate(phrase):
            hits = [(x.start, x.end) for x in by_pos.get(pos + i, []) if x.term in alternatives]
            if not hits:
                break
            run.append(hits[0])
        else:
            found.update(run)
    return found


class _Gathered:
    """What :func:`_collect` finds in a query, per analysis mode."""

    def __init__(self) -> None:
        self.terms: dict[str, set[str]] = {}
        self.prefixes: dict[str, list[str]] = {}
        self.phrases: dict[str, list[tuple[frozenset[str], ...]]] = {}
        self.vocalised: list[str] = []


def _collect(node: t.Node, out: _Gathered) -> None:
    """Gather what a query looks for in the body, leaving out NOT branches."""
    if isinstance(node, t.Not):
        return
    if isinstance(node, t.AndNot):
        _collect(node.positive, out)
        return
    if isinstance(node, t.Phrase):
        mode = MODE_OF_FIELD.get(node.field)
        words = _phrase_words(node)
        if node.slop > 1 or words is None:
            # Words near each other, or an exact phrase: each word is highlighted.
            for part in node.parts:
                _collect(part, out)
        elif mode is not None:
            out.phrases.setdefault(mode, []).append(words)
        return
    if isinstance(node, t.LEAVES):
        mode = MODE_OF_FIELD.get(node.field)
        if mode is None:
            return
        if isinstance(node, t.Vocalised):
            if mode == EXACT:
                out.vocalised.append(node.text)
        elif isinstance(node, t.Prefix):
            out.prefixes.setdefault(mode, []).append(node.text)
        else:
            out.terms.setdefault(mode, set()).add(node.text)
        return
    for child in t.children(node):
        _collect(child, out)


def _phrase_words(node: t.Phrase) -> tuple[frozenset[str], ...] | None:
    """The alternatives at each position of a phrase of plain terms (else None)."""
    positions: list[frozenset[str]] = []
    for part in node.parts:
        leaves = part.children if isinstance(part, t.Or) else (part,)
        if not all(type(leaf) is t.Term for leaf in leaves):
            return None
        positions.append(frozenset(leaf.text for leaf in leaves if isinstance(leaf, t.Term)))
    return tuple(positions)
