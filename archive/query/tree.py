"""The analyzed query tree: what a query looks for, field by field, engine-neutral.

:mod:`archive.query.parse` turns the text of a query into a syntax tree of words
and operators; :mod:`archive.query.plan` analyzes each word like the indexed text
and spreads it over the fields of the index, giving this tree. Every engine
compiles it into its own query objects (``archive/engines/``), and the
highlighter (:mod:`archive.query.highlight`) reads the words to mark from it.

Leaves name a field of the index (:data:`archive.engine.FIELDS`) and hold
analyzed terms, never raw text:

* :class:`Term`: one term.
* :class:`Prefix`: every term that starts with ``text``.
* :class:`Vocalised`: an exact-mode word; the terms of an exact field whose
  skeleton is the word's skeleton and whose marks include the marks the word
  writes (:func:`archive.arabic.marks_fit`).
* :class:`Wildcard`: every term (in an exact field: every skeleton) that a
  pattern of folded letters and ``*`` matches whole (``*كتاب``, ``ك*ب``); at
  most :data:`MAX_EXPANSION` terms (:func:`wildcard_match`).

Branches: :class:`And`, :class:`Or`, :class:`Not` (inside an ``And``: without),
:class:`AndNot`, :class:`AndMaybe`, and :class:`Phrase`, the words of one field
at consecutive positions (within ``slop``), each position a leaf or an ``Or`` of
leaves (a word and its other spellings).

Every node carries a ``boost``: a factor on the score of what it matches.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterator

import attrs

#: The most terms of the index one prefix, exact-mode word or wildcard may
#: stand for in one field; past it the engines raise ``QueryError``.
MAX_EXPANSION = 10_000

#: The most terms of one field a wildcard may read to find its matches (a
#: pattern that starts with ``*`` reads the whole vocabulary of the field).
MAX_SCAN = 1_000_000


@attrs.frozen
class Term:
    """One analyzed term in one field."""

    field: str
    text: str
    boost: float = 1.0


@attrs.frozen
class Prefix:
    """Every term of ``field`` that starts with ``text`` (analyzed)."""

    field: str
    text: str
    boost: float = 1.0


@attrs.frozen
class Vocalised:
    """An exact-mode word: ``text`` is the word as written (NFC, controls removed).

    Matches the terms of an exact field whose letters are the word's letters and
    whose marks include the marks the word has on each letter.
    """

    field: str
    text: str
    boost: float = 1.0


@attrs.frozen
class Wildcard:
    """Every term of ``field`` that ``pattern`` matches whole: folded letters and
    ``*`` (any letters, or none), as in ``*كتاب`` or ``ك*ب``. In an exact field
    (``*_exact``) the pattern is matched against the skeleton of each term.

    ``word`` is the word as the query wrote it, for error messages.
    """

    field: str
    pattern: str
    boost: float = 1.0
    word: str = attrs.field(default="", eq=False)

    @property
    def head(self) -> str:
        """The letters before the first ``*``: every match starts with them."""
        return self.pattern.split("*", 1)[0]


def too_many_matched(word: str) -> str:
    """The message of a wildcard that matches more than :data:`MAX_EXPANSION` terms."""
    return (
        f"the wildcard {word!r} stands for more than {MAX_EXPANSION:,} words of the "
        "index: make it longer (more letters around the *)"
    )


def too_many_read(word: str) -> str:
    """The message of a wildcard whose terms would take reading more than
    :data:`MAX_SCAN` terms of a field."""
    return (
        f"the wildcard {word!r} would read more than {MAX_SCAN:,} words of the index "
        "to find its matches: start it with a letter or two (ك*ب rather than *ب)"
    )


@functools.lru_cache(maxsize=256)
def wildcard_match(pattern: str) -> Callable[[str], bool]:
    """The test of a whole term against a wildcard pattern (``*`` for any
    letters, or none), in time linear in the term: the letters before the first
    ``*`` must start it, those after the last end it, and the pieces between
    stand in order between them (the leftmost place of each is as good as any).

    >>> wildcard_match("*كتاب")("والكتاب")
    True
    >>> wildcard_match("ك*ب")("كتابة"), wildcard_match("ك*ب")("كتاب")
    (False, True)
    """
    if "*" not in pattern:
        return pattern.__eq__
    pieces = pattern.split("*")
    head, middle, tail = pieces[0], tuple(p for p in pieces[1:-1] if p), pieces[-1]
    least = len(head) + len(tail) + sum(map(len, middle))

    def matches(term: str) -> bool:
        if len(term) < least or not term.startswith(head) or not term.endswith(tail):
            return False
        place, end = len(head), len(term) - len(tail)
        for piece in middle:
            found = term.find(piece, place, end)
            if found < 0:
                return False
            place = found + len(piece)
        return True

    return matches


@attrs.frozen
class Phrase:
    """The ``parts`` at consecutive positions of ``field``, within ``slop``.

    Each part is a leaf or an :class:`Or` of leaves of the same field.
    """

    field: str
    parts: tuple[Node, ...]
    slop: int = 1
    boost: float = 1.0


@attrs.frozen
class And:
    children: tuple[Node, ...]
    boost: float = 1.0


@attrs.frozen
class Or:
    children: tuple[Node, ...]
    boost: float = 1.0


@attrs.frozen
class Not:
    """Inside an :class:`And`: passages that do not match ``child``."""

    child: Node
    boost: float = 1.0


@attrs.frozen
class AndNot:
    """Passages matching ``positive`` and not ``negative``."""

    positive: Node
    negative: Node
    boost: float = 1.0


@attrs.frozen
class AndMaybe:
    """Passages matching ``required``; ``optional`` adds to their score."""

    required: Node
    optional: Node
    boost: float = 1.0


Leaf = Term | Prefix | Vocalised | Wildcard
Node = Term | Prefix | Vocalised | Wildcard | Phrase | And | Or | Not | AndNot | AndMaybe

LEAVES = (Term, Prefix, Vocalised, Wildcard)


def children(node: Node) -> tuple[Node, ...]:
    """The direct subnodes of ``node`` (none for a leaf)."""
    if isinstance(node, (And, Or)):
        return node.children
    if isinstance(node, Phrase):
        return node.parts
    if isinstance(node, Not):
        return (node.child,)
    if isinstance(node, AndNot):
        return (node.positive, node.negative)
    if isinstance(node, AndMaybe):
        return (node.required, node.optional)
    return ()


def leaves(node: Node) -> Iterator[Leaf]:
    """Every leaf of ``node``, NOT branches included, in order."""
    if isinstance(node, LEAVES):
        yield node
        return
    for child in children(node):
        yield from leaves(child)


def with_boost(node: Node, boost: float) -> Node:
    """``node`` with another boost."""
    return attrs.evolve(node, boost=boost)


def normalize(node: Node | None) -> Node | None:
    """``node`` simplified as Whoosh simplifies its queries, with the same scores:
    nothing (``None``) left out, nested groups of one kind flattened (their
    boost moved onto their children), a group of one node replaced by it,
    repeated equal nodes kept once.

    >>> normalize(Or((Or((Term("text", "a"), Term("text", "b"))), None))) == Or(
    ...     (Term("text", "a"), Term("text", "b"))
    ... )
    True
    >>> normalize(And((None,))) is None
    True
    """
    if node is None or isinstance(node, LEAVES):
        return node
    if isinstance(node, Phrase):
        return node
    if isinstance(node, Not):
        child = normalize(node.child)
        return None if child is None else Not(child, node.boost)
    if isinstance(node, AndNot):
        positive, negative = normalize(node.positive), normalize(node.negative)
        if positive is None:
            return None
        if negative is None:
            return positive
        return AndNot(positive, negative, node.boost)
    if isinstance(node, AndMaybe):
        required, optional = normalize(node.required), normalize(node.optional)
        if required is None:
            return None
        if optional is None:
            return required
        return AndMaybe(required, optional, node.boost)
    kind = type(node)
    flat: list[Node] = []
    for child in node.children:
        sub = normalize(child)
        if isinstance(sub, kind):  # already normal: its children are
            flat += [
                with_boost(grandchild, grandchild.boost * sub.boost) for grandchild in sub.children
            ]
        elif sub is not None:
            flat.append(sub)
    unique = list(dict.fromkeys(flat))
    if not unique:
        return None
    if len(unique) == 1:
        only = unique[0]
        return with_boost(only, only.boost * node.boost) if node.boost != 1.0 else only
    return kind(tuple(unique), node.boost)
