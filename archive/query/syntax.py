"""The syntax tree of a query, as the user wrote it: words, phrases and operators.

:func:`archive.query.parse.parse` builds it from the text of a query. Nothing
here is analyzed: a :class:`Word` holds the word as written, a :class:`Phrase`
the raw text between its quotes; an engine analyzes them and spreads the words
that name no field over its fields.

Leaves:

* :class:`Word`: a word (``word``, ``title:word``, ``'a literal word'``), or
  with ``prefix`` every word that starts with it (``word*``);
* :class:`Wildcard`: every word that a pattern with ``*`` matches whole
  (``*كتاب``, ``ك*ب``, ``*تاب*``);
* :class:`Phrase`: words at consecutive positions (``"a phrase"``), up to
  ``slop`` positions apart (``"a phrase"~3``).

Branches: :class:`And`, :class:`Or` (flat: never a child of their own kind,
never fewer than two children), :class:`Not`, :class:`AndNot` and
:class:`AndMaybe`. Branches carry no boost: the boost of a group (``(a b)^2``)
is carried by the words and phrases inside it.
"""

from __future__ import annotations

from typing import TypeAlias

import attrs


@attrs.frozen(cache_hash=True)
class Word:
    """A word as written; ``field`` is ``None`` where the query named no field.

    With ``prefix``, every word that starts with ``text`` (``text*``).
    """

    text: str
    field: str | None = None
    prefix: bool = False
    boost: float = 1.0


@attrs.frozen(cache_hash=True)
class Wildcard:
    """Every word that ``text`` matches whole, ``*`` standing for any letters
    (or none): ``*كتاب`` (ending in كتاب), ``ك*ب``, ``*تاب*``. A ``*`` only at
    the end is a :class:`Word` with ``prefix``."""

    text: str
    field: str | None = None
    boost: float = 1.0


@attrs.frozen(cache_hash=True)
class Phrase:
    """The words of ``text`` (the raw text between the quotes) in order, each at
    most ``slop`` positions after the one before."""

    text: str
    field: str | None = None
    slop: int = 1
    boost: float = 1.0


@attrs.frozen(cache_hash=True)
class And:
    """Every child matches."""

    children: tuple[Node, ...]


@attrs.frozen(cache_hash=True)
class Or:
    """Any child matches."""

    children: tuple[Node, ...]


@attrs.frozen(cache_hash=True)
class Not:
    """What ``child`` does not match (inside an :class:`And`: without it)."""

    child: Node


@attrs.frozen(cache_hash=True)
class AndNot:
    """What ``positive`` matches and ``negative`` does not (``a ANDNOT b``)."""

    positive: Node
    negative: Node


@attrs.frozen(cache_hash=True)
class AndMaybe:
    """What ``required`` matches, scored higher where ``optional`` matches too
    (``a ANDMAYBE b``)."""

    required: Node
    optional: Node


#: Any node of the syntax tree.
Node: TypeAlias = Word | Wildcard | Phrase | And | Or | Not | AndNot | AndMaybe
