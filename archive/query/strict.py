"""Checking a passage against a strict query: the query's tree, planned from the
query with the kept letters as stand-ins (:mod:`archive.arabic.strict`), run
over the passage's fields analyzed the same way.

The engine finds the candidates with the index's folds; :class:`StrictCheck`
keeps those that still match when the letters are kept apart, as an engine
would match them: a term is in the field, a prefix starts a term of it, a
phrase's words stand at positions each at most ``slop`` after the one before,
AND, OR and NOT as in the tree. Exact-mode words (marks) are strict already.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from archive.arabic import Profile
from archive.arabic.analysis import Analyzer
from archive.arabic.strict import keep_apart
from archive.models import Passage
from archive.query import tree as t
from archive.query.highlight import Span, matcher


class StrictCheck:
    """Whether a passage matches the strict tree ``root`` (planned with the kept
    letters written as stand-ins by ``table``); ``fields`` maps each index field
    to the passage attribute it holds and its analysis mode
    (:data:`archive.engine.FIELDS`)."""

    def __init__(
        self,
        root: t.Node,
        table: dict[int, str],
        profile: Profile,
        fields: Mapping[str, tuple[str, str]],
        query: str = "",
    ) -> None:
        self.root = root
        self.query = query
        self.table = table
        self._fields = fields
        self._analyzers = {
            mode: Analyzer(mode, profile) for mode in {mode for _, mode in fields.values()}
        }
        self._highlight = matcher(root, profile)

    def __call__(self, passage: Passage) -> bool:
        terms: dict[str, dict[str, list[int]]] = {}

        def field_terms(name: str) -> dict[str, list[int]]:
            found = terms.get(name)
            if found is None:
                attribute, mode = self._fields[name]
                text = keep_apart(str(getattr(passage, attribute)), self.table)
                found = {}
                for token in self._analyzers[mode](text):
                    found.setdefault(token.term, []).append(token.position)
                terms[name] = found
            return found

        return _matches(self.root, field_terms)

    def locate(self, text: str) -> tuple[Span, ...]:
        """The words of a passage's text the strict query matched (the offsets
        are those of ``text``: a stand-in is one character for one)."""
        return self._highlight(keep_apart(text, self.table))


def _matches(node: t.Node, field_terms: Any) -> bool:
    if isinstance(node, t.Term):
        return node.text in field_terms(node.field)
    if isinstance(node, t.Prefix):
        return any(term.startswith(node.text) for term in field_terms(node.field))
    if isinstance(node, t.Vocalised):
        return True  # the engine matched its marks; the letters are as written
    if isinstance(node, t.Phrase):
        return _phrase(node, field_terms(node.field))
    if isinstance(node, t.And):
        return all(
            not _matches(c.child, field_terms) if isinstance(c, t.Not) else _matches(c, field_terms)
            for c in node.children
        )
    if isinstance(node, t.Or):
        return any(_matches(c, field_terms) for c in node.children)
    if isinstance(node, t.Not):
        return not _matches(node.child, field_terms)
    if isinstance(node, t.AndNot):
        return _matches(node.positive, field_terms) and not _matches(node.negative, field_terms)
    if isinstance(node, t.AndMaybe):
        return _matches(node.required, field_terms)
    raise AssertionError(f"unknown query node {node!r}")


def _positions(part: t.Node, terms: Mapping[str, list[int]]) -> set[int]:
    if isinstance(part, t.Term):
        return set(terms.get(part.text, ()))
    if isinstance(part, t.Prefix):
        return {p for term, ps in terms.items() if term.startswith(part.text) for p in ps}
    if isinstance(part, t.Or):
        return {p for child in part.children for p in _positions(child, terms)}
    return {p for ps in terms.values() for p in ps}  # an exact-mode word: strict already


def _phrase(node: t.Phrase, terms: Mapping[str, list[int]]) -> bool:
    """Whether the phrase's parts stand in order, each at most ``slop`` positions
    after the one before."""
    places = [_positions(part, terms) for part in node.parts]
    reachable = places[0]
    for following in places[1:]:
        reachable = {
            p for p in following if any(p - s in range(1, node.slop + 1) for s in reachable)
        }
        if not reachable:
            return False
    return bool(reachable)
