"""The query parser (archive.query.parse): Whoosh's groupings, and clear errors.

Well-formed queries are parsed both by archive.query.parse and by Whoosh's
parser configured as the archive configured it (archive/search.py, ``_parser``:
fields over title, caption and text, no wildcards but ``prefix*``, phrases with
``~slop``), each word kept whole; both trees are then brought to one normal
form (every word spread over the fields, every boost on the leaves, groups of
one kind taken into their parent, duplicates and one-child groups removed) and
compared.
"""

from __future__ import annotations

import contextlib
import time
from typing import Any

import attrs
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st
from whoosh import qparser, query
from whoosh.analysis import RegexTokenizer
from whoosh.fields import TEXT, Schema

from archive.errors import QueryError
from archive.query import syntax
from archive.query.parse import MAX_GROUP_DEPTH, parse
from archive.query.syntax import And, AndMaybe, AndNot, Not, Or, Phrase, Wildcard, Word

FIELDS = ("title", "caption", "text")
#: The weights of the fields (those of match="all"); powers of two, so that
#: products are exact whatever their order.
BOOSTS = {"title": 2.0, "caption": 0.5, "text": 1.0}


# -- Whoosh, configured as the archive configured it ---------------------------


class _LiteralParser(qparser.QueryParser):  # type: ignore[misc]  # whoosh is untyped
    """Whoosh's parser with every word kept whole (a word's text is its term)."""

    def term_query(
        self,
        fieldname: str,
        text: str,
        termclass: type,
        boost: float = 1.0,
        tokenize: bool = True,
        removestops: bool = True,
    ) -> Any:
        return termclass(fieldname, text, boost=boost)


class _PhrasePlugin(qparser.PhrasePlugin):  # type: ignore[misc]  # whoosh is untyped
    """Phrases split at spaces; of one word, a term (as archive/search.py's
    plugin makes them: Whoosh's own Phrase.normalize() drops their boost)."""

    class PhraseNode(qparser.PhrasePlugin.PhraseNode):  # type: ignore[misc]
        def query(self, parser: Any) -> Any:
            words = self.text.split()
            fieldname = self.fieldname or parser.fieldname
            if len(words) == 1:
                return query.Term(fieldname, words[0], boost=self.boost)
            return query.Phrase(fieldname, words, slop=self.slop, boost=self.boost)

    class PhraseTagger(qparser.taggers.RegexTagger):  # type: ignore[misc]
        def create(self, parser: Any, match: Any) -> Any:
            slop = match.group("slop")
            return _PhrasePlugin.PhraseNode(
                match.group("text"), match.start("text"), int(slop) if slop else 1
            )


def _whoosh_parser(default: str) -> Any:
    schema = Schema(**{name: TEXT(analyzer=RegexTokenizer(r"\S+")) for name in FIELDS})
    group = qparser.AndGroup if default == "and" else qparser.OrGroup
    parser = _LiteralParser(None, schema=schema, group=group)
    parser.add_plugin(qparser.MultifieldPlugin(list(FIELDS), fieldboosts=BOOSTS))
    parser.remove_plugin_class(qparser.WildcardPlugin)
    parser.add_plugin(qparser.PrefixPlugin())
    # As archive/search.py does: the phrase plugin comes last (after PrefixPlugin).
    parser.remove_plugin_class(qparser.PhrasePlugin)
    parser.add_plugin(_PhrasePlugin())
    return parser


WHOOSH = {default: _whoosh_parser(default) for default in ("and", "or")}


# -- One normal form for both ---------------------------------------------------

Canonical = tuple[Any, ...]


def _b(boost: float) -> float:
    return round(boost, 9)


def _compound(kind: str, children: list[Canonical]) -> Canonical:
    flat: list[Canonical] = []
    for child in children:
        flat.extend(child[1] if child[0] == kind else (child,))
    unique = list(dict.fromkeys(flat))
    return unique[0] if len(unique) == 1 else (kind, tuple(unique))


def _leaf(kind: str, field: str, text: str, boost: float) -> Canonical:
    return (kind, field, text, _b(boost))


def _phrase(field: str, words: tuple[str, ...], slop: int, boost: float) -> Canonical:
    if len(words) == 1:
        return _leaf("term", field, words[0], boost)
    return ("phrase", field, words, slop, _b(boost))


def canon_whoosh(q: Any, k: float = 1.0) -> Canonical:
    """Whoosh's query with the boosts of groups pushed onto the leaves they score
    (not into NOT or the negative side of ANDNOT, which score nothing)."""
    if isinstance(q, query.Phrase):
        return _phrase(q.fieldname, tuple(q.words), q.slop, q.boost * k)
    if isinstance(q, query.Prefix):
        return _leaf("prefix", q.fieldname, q.text, q.boost * k)
    if isinstance(q, query.Term):
        return _leaf("term", q.fieldname, q.text, q.boost * k)
    if isinstance(q, query.Not):
        return ("not", canon_whoosh(q.query))
    if isinstance(q, query.AndNot):
        return ("andnot", canon_whoosh(q.a, k), canon_whoosh(q.b))
    if isinstance(q, query.AndMaybe):
        return ("andmaybe", canon_whoosh(q.a, k), canon_whoosh(q.b, k))
    if isinstance(q, (query.And, query.Or)):
        kind = "and" if isinstance(q, query.And) else "or"
        return _compound(kind, [canon_whoosh(s, k * q.boost) for s in q.subqueries])
    if isinstance(q, query.TermRange):
        return ("range", q.fieldname, q.start, q.end)
    raise AssertionError(f"unexpected Whoosh query {q!r}")


def canon(node: syntax.Node) -> Canonical:
    """Our tree as Whoosh would search it: a word without a field is an OR over
    the fields, each with its weight."""
    if isinstance(node, Word):
        kind = "prefix" if node.prefix else "term"
        if node.field is None:
            return _compound(
                "or", [_leaf(kind, f, node.text, node.boost * BOOSTS[f]) for f in FIELDS]
            )
        return _leaf(kind, node.field, node.text, node.boost)
    if isinstance(node, Phrase):
        words = tuple(node.text.split())
        if node.field is None:
            return _compound(
                "or", [_phrase(f, words, node.slop, node.boost * BOOSTS[f]) for f in FIELDS]
            )
        return _phrase(node.field, words, node.slop, node.boost)
    if isinstance(node, (And, Or)):
        return _compound(
            "and" if isinstance(node, And) else "or", [canon(c) for c in node.children]
        )
    if isinstance(node, Not):
        return ("not", canon(node.child))
    if isinstance(node, AndNot):
        return ("andnot", canon(node.positive), canon(node.negative))
    return ("andmaybe", canon(node.required), canon(node.optional))


def assert_like_whoosh(text: str, default: str) -> None:
    ours = canon(parse(text, default=default))
    # Whoosh's own normalize() loses boosts in places (it sets, not multiplies,
    # the boost of the left side of an ANDNOT or ANDMAYBE it flattens), so its
    # tree is normalized here; without boosts its normalize() must agree too.
    theirs = canon_whoosh(WHOOSH[default].parse(text, normalize=False))
    assert ours == theirs, f"{text!r} (default {default}): {parse(text, default=default)}"
    if "^" not in text:
        assert ours == canon_whoosh(WHOOSH[default].parse(text)), text


def check_invariants(node: syntax.Node) -> None:
    """Groups are flat, of two children or more, each child once; tuples only."""
    if isinstance(node, (And, Or)):
        assert isinstance(node.children, tuple)
        assert len(node.children) >= 2
        assert len(set(node.children)) == len(node.children)
        for child in node.children:
            assert type(child) is not type(node)
            check_invariants(child)
    elif isinstance(node, Not):
        check_invariants(node.child)
    elif isinstance(node, AndNot):
        check_invariants(node.positive)
        check_invariants(node.negative)
    elif isinstance(node, AndMaybe):
        check_invariants(node.required)
        check_invariants(node.optional)


# -- Exact trees: Whoosh's groupings ------------------------------------------------


def w(text: str, field: str | None = None, prefix: bool = False, boost: float = 1.0) -> Word:
    return Word(text, field, prefix, boost)


a, b, c, d, e = (w(x) for x in "abcde")

TREES = [
    ("a", "and", a),
    ("a b", "and", And((a, b))),
    ("a b", "or", Or((a, b))),
    ("a b OR c", "and", And((a, Or((b, c))))),
    ("a OR b c", "and", And((Or((a, b)), c))),
    ("a b OR c", "or", Or((a, b, c))),
    ("a AND b c", "or", Or((And((a, b)), c))),
    ("a NOT b", "and", And((a, Not(b)))),
    ("NOT a b", "and", And((Not(a), b))),
    ("NOT a", "and", Not(a)),
    ("NOT a OR b", "and", Or((Not(a), b))),
    ("a AND NOT b", "or", And((a, Not(b)))),
    ("a ANDNOT b c", "and", And((AndNot(a, b), c))),
    ("a ANDNOT b ANDNOT c", "and", AndNot(AndNot(a, b), c)),
    ("a OR b ANDNOT c", "and", AndNot(Or((a, b)), c)),
    ("a ANDMAYBE b ANDNOT c", "and", AndMaybe(a, AndNot(b, c))),
    ("a OR b AND c OR d", "and", Or((a, And((b, c)), d))),
    ("a AND b OR c ANDNOT d ANDMAYBE e", "and", AndMaybe(AndNot(Or((And((a, b)), c)), d), e)),
    ("a OR b OR c", "and", Or((a, b, c))),
    ("a OR (b OR c)", "and", Or((a, b, c))),
    ("(a OR b) OR c", "and", Or((a, b, c))),
    ("a (b (c d))", "and", And((a, b, c, d))),
    ("((a))", "and", a),
    ("(a OR b) (c OR d)", "and", And((Or((a, b)), Or((c, d))))),
    ("NOT (a b)", "and", Not(And((a, b)))),
    ("NOT (NOT a)", "and", Not(Not(a))),
    ("a a", "and", a),
    ("a OR b OR a", "and", Or((a, b))),
    ("title:a", "and", w("a", "title")),
    ("title:(a OR b)", "and", Or((w("a", "title"), w("b", "title")))),
    ("title:(a text:b)", "and", And((w("a", "title"), w("b", "text")))),
    ("title:(a (b NOT c))", "and", And((w("a", "title"), w("b", "title"), Not(w("c", "title"))))),
    ('title:("a b" c*)', "and", And((Phrase("a b", "title"), w("c", "title", prefix=True)))),
    ('"a b"', "and", Phrase("a b")),
    ('"a b"~3', "and", Phrase("a b", slop=3)),
    ('caption:"a  b"~12^2', "and", Phrase("a  b", "caption", 12, 2.0)),
    ("a*", "and", w("a", prefix=True)),
    ("text:a*", "and", w("a", "text", prefix=True)),
    ("'a b'", "and", w("a b")),
    ("title:'a b'", "and", w("a b", "title")),
    ("a^2 b", "and", And((w("a", boost=2.0), b))),
    ("a^.5", "and", w("a", boost=0.5)),
    ("(a b)^2", "and", And((w("a", boost=2.0), w("b", boost=2.0)))),
    ("((a)^2 b)^3", "and", And((w("a", boost=6.0), w("b", boost=3.0)))),
    ("(a NOT b)^2", "and", And((w("a", boost=2.0), Not(b)))),
    ("(a ANDNOT b)^2", "and", AndNot(w("a", boost=2.0), b)),
    # Whoosh's boost leak: the first operand's group takes in the others.
    ("a^2 OR b", "and", Or((w("a", boost=2.0), w("b", boost=2.0)))),
    ("a^2 OR b^3 OR c", "and", Or((w("a", boost=2.0), w("b", boost=6.0), w("c", boost=2.0)))),
    ("title:a^2 OR b", "and", Or((w("a", "title", boost=2.0), b))),
    ("a OR b^2", "and", Or((a, w("b", boost=2.0)))),
    ("a^2 AND b", "and", And((w("a", boost=2.0), b))),
    ("(a b)^2 AND c", "and", And((w("a", boost=2.0), w("b", boost=2.0), w("c", boost=2.0)))),
    ("(a b)^2 AND c", "or", And((Or((w("a", boost=2.0), w("b", boost=2.0))), c))),
    ("(a b)^2 OR c", "or", Or((w("a", boost=2.0), w("b", boost=2.0), w("c", boost=2.0)))),
    ("(a b)^2 OR c", "and", Or((And((w("a", boost=2.0), w("b", boost=2.0))), c))),
    # Words, not operators or syntax.
    ("and or not", "and", And((w("and"), w("or"), w("not")))),
    ("a And b", "and", And((a, w("And"), b))),
    ("title:AND", "and", w("AND", "title")),
    ('"a OR b"', "and", Phrase("a OR b")),
    ("ماذا؟ why?", "and", And((w("ماذا؟"), w("why?")))),
    ("12:30 قال: عنوان:كتاب", "and", And((w("12:30"), w("قال:"), w("عنوان:كتاب")))),
    ("foo: bar", "and", And((w("foo:"), w("bar")))),
    ("x^y", "and", w("x^y")),
    ("don't", "and", w("don't")),
]


@pytest.mark.parametrize(("text", "default", "tree"), TREES)
def test_tree(text: str, default: str, tree: syntax.Node) -> None:
    assert parse(text, default=default) == tree
    assert_like_whoosh(text, default)


#: Where the parser reads what Whoosh read oddly (Whoosh's reading in comments).
UNLIKE_WHOOSH = [
    ("[history]", w("[history]")),  # a range from "his" to "ry"
    ("a*^2", w("a", prefix=True, boost=2.0)),  # the word "a*", boosted
    ("a*\tb", And((w("a", prefix=True), b))),  # the words "a*" and "b"
    ("NOT(a b)", Not(And((a, b)))),  # the word NOT, a and b
    ("a AND(b c)", And((a, b, c))),  # the words a, AND, b and c
    ("(a)OR b", Or((a, b))),  # the words a, OR and b
    ('"a\nb"', Phrase("a\nb")),  # the words '"a' and 'b"'
    ('"a* b"', Phrase("a* b")),  # the prefix '"a' and the word 'b"'
    ("x-title:a", w("x-title:a")),  # the word "x-" and title:a
    ("كَلمة:x", w("كَلمة:x")),  # the words "كَ" and "لمة:x"
]


#: Wildcards other than at the end of a word, which Whoosh's parser, configured
#: as the archive configured it, did not read (the old parser refused them).
WILDCARDS = [
    ("*كتاب", Wildcard("*كتاب")),
    ("ك*ب", Wildcard("ك*ب")),
    ("*تاب*", Wildcard("*تاب*")),
    ("**كتاب", Wildcard("*كتاب")),  # a run of stars is one star
    ("ك**ب*", Wildcard("ك*ب*")),
    ("*suffix", Wildcard("*suffix")),
    ("mid*dle", Wildcard("mid*dle")),
    ("title:*كتاب", Wildcard("*كتاب", "title")),
    ("*كتاب^2", Wildcard("*كتاب", boost=2.0)),
    ("title:(*كتاب ك*ب)", And((Wildcard("*كتاب", "title"), Wildcard("ك*ب", "title")))),
    ("*كتاب OR شعر", Or((Wildcard("*كتاب"), w("شعر")))),
    ("NOT *كتاب", Not(Wildcard("*كتاب"))),
    # A star only at the end stays a prefix, however many.
    ("كت*", w("كت", prefix=True)),
    ("a**", w("a", prefix=True)),
    ('"*كتاب الله"', Phrase("*كتاب الله")),  # refused by the planner, not the parser
]


@pytest.mark.parametrize(("text", "tree"), WILDCARDS)
def test_wildcards(text: str, tree: syntax.Node) -> None:
    assert parse(text) == tree
    check_invariants(parse(text, default="or"))


@pytest.mark.parametrize(("text", "tree"), UNLIKE_WHOOSH)
def test_unlike_whoosh(text: str, tree: syntax.Node) -> None:
    assert parse(text) == tree
    assert canon(tree) != canon_whoosh(WHOOSH["and"].parse(text, normalize=False))


def test_fields_can_be_named() -> None:
    fields = ("title", "title__stem")
    assert parse("title__stem:a", fields=fields) == w("a", "title__stem")
    with pytest.raises(QueryError, match="the fields are title, title__stem"):
        parse("text:a", fields=fields)


def test_nodes_are_frozen_slotted_and_hashable() -> None:
    node = parse("a OR b")
    assert isinstance(node, Or)
    assert isinstance(node.children, tuple)
    with pytest.raises(attrs.exceptions.FrozenInstanceError):
        node.children = ()  # type: ignore[misc]
    for instance in (Word("x"), Phrase("x"), node, And((a, b)), Not(a), AndNot(a, b)):
        assert not hasattr(instance, "__dict__")
    assert not hasattr(AndMaybe(a, b), "__dict__")
    assert len({parse("a OR b"), parse("a OR b")}) == 1


# -- Many queries, compared with Whoosh --------------------------------------------

LIKE_WHOOSH = [
    "كتاب",
    "الكتاب العربي",
    "كتاب OR شعر",
    "كتاب AND شعر OR نثر",
    "كتاب شعر OR نثر ANDNOT رواية",
    "كتاب ANDMAYBE شعر",
    "كتاب ANDMAYBE شعر ANDMAYBE نثر",
    "NOT كتاب",
    "(كتاب OR شعر) NOT نثر",
    "(NOT a)",
    "a (NOT b OR c)",
    "a ANDNOT (b OR c) d",
    "a OR b ANDMAYBE c OR d",
    "a AND (b AND c) AND d",
    "(a AND b) AND c",
    "(a b) AND c",
    "(a b) OR c",
    "a OR (b c) OR d",
    "((a OR b) c) OR d",
    "(((a)))",
    "( a  b )",
    "a\tb\nc",
    "a  OR  b",
    'title:"ألف ليلة" text:(شعر OR نثر*)',
    'caption:"a b"~2 "c d"~10',
    '"a b" "a b"',
    '"كتاب"',
    '"a b"c',
    'a"b c"',
    "title:a*",
    "a* OR b*",
    "(a*)",
    "12:30*",
    "title:12:30",
    "title:foo:bar",
    "'a b' OR 'c d'",
    "('a b')",
    "text:'x' y",
    "x.'y z'",
    "a^2",
    "a^2.5 b^3",
    "title:a^2",
    '"a b"^2',
    '"a b"~2^3',
    'title:"a b"^2 OR c',
    "(a b)^2",
    "title:(a b)^2",
    "(a)^2 OR b",
    "NOT a^2",
    "NOT (a b)^2 c",
    "a^2 OR b OR c^3",
    "a^2 OR b AND c",
    "a AND b^2 OR c",
    "(a ANDNOT b^2)^3",
    "(a ANDMAYBE b^2)^3",
    "a^2^3",
    "(a)^2^3",
    "a^x",
    "^x",
    "?",
    "؟",
    "a ? b",
    "ANDx ORy NOTz",
    "a OR b",
    "NOT a ANDNOT b",
    "a ANDNOT NOT b",
    "title:NOT",
    "title:REQUIRE",
    "text:(a (b (c OR d)))",
    "title:(a OR b) c",
]


@pytest.mark.parametrize("default", ["and", "or"])
@pytest.mark.parametrize("text", LIKE_WHOOSH)
def test_like_whoosh(text: str, default: str) -> None:
    assert_like_whoosh(text, default)
    check_invariants(parse(text, default=default))


# -- Random well-formed queries -------------------------------------------------------

#: Words that may be boosted or take a *. Whoosh reads a word ending in ":"
#: before ^ or * as a field name and a word (an oddity, not kept).
PLAIN = [
    "كتاب",
    "الكتاب",
    "كَتَبَ",
    "شعر",
    "مدينة",
    "لماذا؟",
    "ماذا?",
    "alpha",
    "beta",
    "and",
    "or",
    "not",
    "Or",
    "x_1",
    "12:30",
    "e.g.",
]
WORDS = [*PLAIN, "قال:"]
BOOSTS_WRITTEN = ["2", "3", "0.5", "1.5", ".5", "1"]
SPACE = st.sampled_from([" ", "  ", " \t", " \n "])


@st.composite
def _boost(draw: st.DrawFn) -> str:
    return "^" + draw(st.sampled_from(BOOSTS_WRITTEN)) if draw(st.booleans()) else ""


@st.composite
def _phrase_text(draw: st.DrawFn) -> str:
    words = draw(st.lists(st.sampled_from([*WORDS, "AND", "OR", "NOT", "title:x"]), min_size=1))
    slop = draw(st.sampled_from(["", "~1", "~2", "~10"]))
    return '"' + " ".join(words[:4]) + '"' + slop


@st.composite
def _quoted(draw: st.DrawFn) -> str:
    words = draw(st.lists(st.sampled_from(WORDS), min_size=1, max_size=3))
    return "'" + " ".join(words) + "'"


def _leaf_strategy() -> st.SearchStrategy[str]:
    word = st.sampled_from(WORDS)
    boosted_word = st.builds(lambda x, y: x + y, st.sampled_from(PLAIN), _boost())
    prefix = st.sampled_from(PLAIN).map(lambda x: x + "*")
    phrase = st.builds(lambda x, y: x + y, _phrase_text(), _boost())
    field = st.sampled_from(FIELDS).map(lambda f: f + ":")
    keyword = st.sampled_from(["AND", "OR", "NOT", "ANDNOT", "REQUIRE"])
    fielded = st.builds(
        lambda f, x: f + x,
        field,
        st.one_of(word, boosted_word, prefix, phrase, _quoted(), keyword),
    )
    return st.one_of(word, boosted_word, prefix, phrase, _quoted(), fielded)


def _extend(children: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    group = st.builds(
        lambda open_, x, close, boost: open_ + x + close + boost,
        st.sampled_from(["(", "( "]),
        children,
        st.sampled_from([")", " )"]),
        _boost(),
    )
    fielded_group = st.builds(lambda f, g: f + ":" + g, st.sampled_from(FIELDS), group)
    negated = st.builds(lambda s, x: "NOT" + s + x, SPACE, st.one_of(_leaf_strategy(), group))
    # Operands joined by operators (or side by side), several on one level.
    joint = st.builds(
        lambda s1, op, s2: s1 + op + s2 if op else s1,
        SPACE,
        st.sampled_from(["AND", "OR", "ANDNOT", "ANDMAYBE", "", "OR", "AND"]),
        SPACE,
    )
    chain = st.lists(st.tuples(joint, children), min_size=1, max_size=5).flatmap(
        lambda rest: children.map(lambda first: first + "".join(j + x for j, x in rest))
    )
    return st.one_of(group, fielded_group, negated, chain)


QUERIES = st.recursive(_leaf_strategy(), _extend, max_leaves=12)


@settings(max_examples=400, deadline=None)
@given(text=QUERIES, default=st.sampled_from(["and", "or"]))
@example(text="(a b)^2 AND c OR d", default="and")
@example(text="a^2 OR b ANDNOT c^3 OR d", default="or")
def test_random_queries_like_whoosh(text: str, default: str) -> None:
    assert_like_whoosh(text, default)
    check_invariants(parse(text, default=default))


# -- Malformed queries ------------------------------------------------------------------

ERRORS = [
    ("", "empty query"),
    ("  \t", "empty query"),
    ("a OR", "the query ends with OR: nothing follows it"),
    ("a AND", "the query ends with AND: nothing follows it"),
    ("a NOT", "the query ends with NOT: nothing follows it"),
    ("a ANDNOT", "the query ends with ANDNOT: nothing follows it"),
    ("a ANDMAYBE", "the query ends with ANDMAYBE: nothing follows it"),
    ("(a OR) b", "OR comes right before ): nothing follows it"),
    ("OR a", "the query starts with OR: nothing comes before it"),
    ("AND a", "the query starts with AND: nothing comes before it"),
    ("ANDNOT a", "the query starts with ANDNOT: nothing comes before it"),
    ("ANDMAYBE a", "the query starts with ANDMAYBE: nothing comes before it"),
    ("b (OR a)", "OR comes right after (: nothing comes before it"),
    ("a AND OR b", "OR follows AND: a word, a phrase or a group must come between them"),
    ("a NOT AND b", "NOT is followed by AND"),
    ("(a b", "the ( at character 1 is never closed"),
    ("a (b (c)", "the ( at character 3 is never closed"),
    ("a b)", "the ) at character 4 has no matching ("),
    (")", "the ) at character 1 has no matching ("),
    ('a "b c', 'the " at character 3 is never closed'),
    ('"a" "b', 'the " at character 5 is never closed'),
    ("title: word", "a space follows title:"),
    ("title:", "title: is followed by nothing"),
    ("a title:", "title: is followed by nothing"),
    ("(title:)", "title: is followed by nothing"),
    ("foo:bar", "unknown field 'foo' (in foo:): the fields are title, caption, text"),
    ("Title:bar", "unknown field 'Title'"),
    ("a foo:(b c)", "unknown field 'foo'"),
    ("http://example.com", "unknown field 'http'"),
    ("title:text:a", "two field names in a row: title:text:"),
    # Suffix and infix wildcards are words now (issue 14, test_wildcards below);
    # a wildcard of fewer than two letters would stand for most of the index.
    ("*", "the wildcard '*' has fewer than 2 letters besides its *"),
    ("**", "the wildcard '**' has fewer than 2 letters besides its *"),
    ("*a", "the wildcard '*a' has fewer than 2 letters besides its *"),
    ("title:*", "the wildcard '*' has fewer than 2 letters besides its *"),
    ("x *ك^2", "the wildcard '*ك' has fewer than 2 letters"),
    ("word~", "fuzzy terms (word~ or word~2) are not supported"),
    ("word~2", "fuzzy terms (word~ or word~2) are not supported"),
    ("NOT NOT word", "NOT NOT is a double negation"),
    ("a NOT NOT b", "NOT NOT is a double negation"),
    ("()", "empty parentheses ()"),
    ("a ( ) b", "empty parentheses ()"),
    ('""', 'empty phrase ""'),
    ('a " " b', 'empty phrase ""'),
    ("''", "empty quotes ''"),
    ('"a b"~0', "the ~ after a phrase must be followed by a whole number from 1"),
    ('"a b"~', "the ~ after a phrase must be followed by a whole number from 1"),
    ('"a b"~9999999999', "too large"),
    ("[a TO b]", "ranges ([a TO b]) are not supported"),
    ("{a to b]", "ranges ([a TO b]) are not supported"),
    ("title:[a TO b]", "ranges ([a TO b]) are not supported"),
    ("*:*", "*:* (every passage) is not supported"),
    ("a REQUIRE b", "REQUIRE is not supported: use AND"),
    ("a ^2", "a boost (^2) must directly follow a word, a phrase or a group"),
    ("(^2 a)", "a boost (^2) must directly follow a word, a phrase or a group"),
    ("a^ b", "^ must be followed by a number"),
    ("(a b)^", "^ must be followed by a number"),
    ("title:^2", "title: must be followed by a word, a phrase or a group"),
    ("a^" + "9" * 400, "too large"),
    ("(" * 51 + "a" + ")" * 51, "the query nests too deeply"),
    ("a ANDNOT " * 120 + "a", "the query nests too deeply"),
]


@pytest.mark.parametrize(("text", "message"), ERRORS)
def test_error(text: str, message: str) -> None:
    with pytest.raises(QueryError) as info:
        parse(text)
    assert message in str(info.value)
    assert info.value.query.startswith(text[:100])
    for name in ("IndexError", "Exception", "Traceback"):
        assert name not in str(info.value)


def test_bad_arguments() -> None:
    with pytest.raises(QueryError, match="default must be 'and' or 'or'"):
        parse("a", default="all")
    with pytest.raises(QueryError, match="a query must be a string, not int"):
        parse(3)  # type: ignore[arg-type]


def test_deepest_nesting_allowed() -> None:
    deep = "(" * MAX_GROUP_DEPTH + "a b" + ")" * MAX_GROUP_DEPTH
    assert parse(deep) == And((a, b))
    alternating = "a OR (b " * 25 + "c" + ")" * 25
    check_invariants(parse(alternating))


def test_long_error_messages_are_cut() -> None:
    with pytest.raises(QueryError) as info:
        parse("a " * 5000 + "OR")
    assert len(str(info.value)) < 400


# -- Robustness ----------------------------------------------------------------------


def test_lone_surrogates_are_letters() -> None:
    assert parse("\ud800") == w("\ud800")
    assert parse('a\udc00b OR "\ud800 c"') == Or((w("a\udc00b"), Phrase("\ud800 c")))
    with pytest.raises(QueryError) as info:
        parse("\ud800 OR")
    assert "nothing follows it" in str(info.value)


LONG = [
    # Every construct, over and over.
    "(كتاب OR title:\"ألف ليلة\"~2) AND شعر* NOT 'a b' ANDNOT x^2 caption:(y z)^3 ",
    "ا" * 100 + " ",  # long words: Whoosh takes time quadratic in a word's length
    "'a' ",
    "[a ",
    "a^2^3^4 ",
    "x OR ",
]


@pytest.mark.parametrize("unit", LONG)
def test_linear_time(unit: str) -> None:
    text = (unit * (20_000 // len(unit) + 1)).rstrip().removesuffix("OR")
    assert len(text) >= 19_990
    start = time.perf_counter()
    check_invariants(parse(text))
    assert time.perf_counter() - start < 2.0


@pytest.mark.parametrize(
    "text",
    ["ا" * 20_000, "'" * 20_000, "[" * 20_000, "^" * 20_000, '"' * 19_999, "a*" * 10_000],
)
def test_linear_time_on_odd_text(text: str) -> None:
    start = time.perf_counter()
    with contextlib.suppress(QueryError):
        parse(text)
    assert time.perf_counter() - start < 2.0
