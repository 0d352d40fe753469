"""The query parser: from the text of a query to its syntax tree (:mod:`archive.query.syntax`).

The syntax is the one the archive read with Whoosh's query parser, and a
well-formed query gives the tree Whoosh gave it, with Whoosh's groupings:

* words side by side combine with the default (``default="and"``: all must
  match; ``"or"``: any);
* ``NOT`` binds tightest (to the word, phrase or group after it), then ``AND``,
  then ``OR``, then ``ANDNOT``, then ``ANDMAYBE``, and words side by side
  loosest: ``a b OR c`` is ``a AND (b OR c)``, ``a ANDNOT b c`` is
  ``(a ANDNOT b) AND c``, ``a OR b ANDNOT c`` is ``(a OR b) ANDNOT c``;
* operators are uppercase words standing apart (``and`` and ``xAND`` are words);
* ``a OR b OR c`` is one :class:`~archive.query.syntax.Or` of three, and a
  group of one child is that child;
* ``field:word``, ``field:"a phrase"``, ``field:'a literal word'``,
  ``field:(a group)`` (its words without a field of their own take it);
* ``word*`` is a prefix, ``*word``, ``wo*rd`` and ``*or*`` are wildcards
  (:class:`~archive.query.syntax.Wildcard`; a run of ``*`` is one ``*``),
  ``"a phrase"~N`` a phrase of slop ``N`` (1 without),
  ``'literal words'`` one word, spaces and all;
* ``^N`` boosts the word, phrase or group it follows, with no space between.
  A group's boost goes to the words inside it.

One quirk of Whoosh is kept, so that scores do not change: the boost of the
first operand of an ``OR`` applies to the other operands too when that first
operand is a word or phrase without a field, or a group while the default is
``"or"`` (Whoosh added the other operands to the group of fields or to the
group); likewise for ``AND`` after a group while the default is ``"and"``:
``a^2 OR b`` is ``a^2 OR b^2``.

Where Whoosh silently searched for something else, or for nothing, the parser
raises :class:`~archive.errors.QueryError` saying what is wrong: an operator
with nothing on one side, an unclosed ``(`` or ``"``, a stray ``)``, empty
``()`` or ``""``, ``field: word`` or a field the archive does not know,
a wildcard word of fewer than :data:`MIN_WILDCARD_LETTERS` letters besides its
``*`` (``*``, ``*ك``), ``word~`` (fuzzy), ``NOT NOT``,
ranges (``[a TO b]``), ``*:*``, ``REQUIRE``, a boost after a space, nesting
deeper than :data:`MAX_GROUP_DEPTH` groups.

Unlike Whoosh, a field name is an ASCII identifier at the start of a word
(``x-title:a`` and Arabic words with a colon are words), an operator may touch
a parenthesis (``NOT(a b)``), ``*`` ends a prefix wherever the word ends
(``a*^2`` is a boosted prefix; Whoosh searched the word ``a*``), a phrase may
span lines and hold ``*``, and brackets without ``TO`` are letters.

The parser takes time linear in the length of the query: it reads the text
once, looking ahead only through tables built in one pass.
"""

from __future__ import annotations

import math
import string

import attrs

from archive.errors import QueryError
from archive.query.syntax import And, AndMaybe, AndNot, Node, Not, Or, Phrase, Wildcard, Word

#: The fields a query may name by default.
DEFAULT_FIELDS = ("title", "caption", "text")

#: The fewest letters a word with a ``*`` other than at its end must have
#: (``*كتاب``; ``*`` alone would stand for every word of the index).
MIN_WILDCARD_LETTERS = 2

#: How deep parentheses may nest.
MAX_GROUP_DEPTH = 50

#: How deep the syntax tree may be (each ``ANDNOT`` of a chain
#: ``a ANDNOT b ANDNOT c ...`` nests one level deeper).
MAX_TREE_DEPTH = 100

#: The operators, longest first (``ANDNOT`` is not ``AND`` and a word).
_OPERATORS = ("ANDMAYBE", "ANDNOT", "AND", "OR", "NOT", "REQUIRE")
_DIGITS = frozenset(string.digits)
_IDENTIFIER_START = frozenset(string.ascii_letters + "_")
_IDENTIFIER = _IDENTIFIER_START | _DIGITS
#: What may follow a boost ``^N`` (Whoosh's BoostPlugin; otherwise ``^`` is a letter).
_AFTER_BOOST = frozenset(" \t\r\n)")
#: What may follow the closing quote of a single-quoted word (Whoosh's SingleQuotePlugin).
_AFTER_QUOTE = frozenset("])}")
#: The longest slop read, in digits (``int()`` refuses some 4,300 digits).
_MAX_NUMBER_CHARS = 9
#: The longest part of a query quoted in an error message.
_QUOTED_CHARS = 200


def parse(
    text: str,
    *,
    default: str = "and",
    fields: tuple[str, ...] = DEFAULT_FIELDS,
) -> Node:
    """The syntax tree of the query ``text``.

    ``default`` says how words side by side combine: ``"and"`` (all must match,
    the archive's ``match="all"``) or ``"or"`` (any, ``match="any"``).
    ``fields`` are the field names a query may write before a colon.

    >>> parse("كتاب OR شعر*")
    Or(children=(Word(text='كتاب', field=None, prefix=False, boost=1.0),
                 Word(text='شعر', field=None, prefix=True, boost=1.0)))
    >>> parse('title:"ألف ليلة"~2 NOT ليلة', default="or")
    Or(children=(Phrase(text='ألف ليلة', field='title', slop=2, boost=1.0),
                 Not(child=Word(text='ليلة', field=None, prefix=False, boost=1.0))))
    >>> parse("a OR")
    Traceback (most recent call last):
    ...
    archive.errors.QueryError: the query ends with OR: nothing follows it: 'a OR'

    Raises:
        QueryError: the query is empty or malformed (the message says how), or
            ``default`` is neither ``"and"`` nor ``"or"``.
    """
    if not isinstance(text, str):
        raise QueryError(f"a query must be a string, not {type(text).__name__}", repr(text))
    if default not in ("and", "or"):
        raise QueryError(f"default must be 'and' or 'or', not {default!r}", text)
    if not text.strip():
        raise QueryError("empty query", text)
    tokens = _Lexer(text, frozenset(fields), tuple(fields)).tokens()
    try:
        return _Parser(text, tokens, default).parse()
    except RecursionError:  # only where the caller's own stack is already deep
        raise _error("the query nests too deeply", text) from None


def _error(message: str, text: str) -> QueryError:
    if len(text) > _QUOTED_CHARS:
        text = text[:_QUOTED_CHARS] + "…"
    return QueryError(message, text)


@attrs.define
class _Token:
    """One piece of the query: ``kind`` is ``word``, ``wildcard``, ``phrase``, ``field`` (a
    field name before a group), ``open``, ``close`` or ``op`` (``text`` is the
    operator)."""

    kind: str
    start: int
    text: str = ""
    field: str | None = None
    prefix: bool = False
    slop: int = 1
    boost: float = 1.0


class _Lexer:
    """Cuts a query into tokens, left to right, looking at each character a
    bounded number of times."""

    def __init__(self, text: str, fields: frozenset[str], order: tuple[str, ...]) -> None:
        self.text = text
        self.n = len(text)
        self.fields = fields
        self.order = order
        self.out: list[_Token] = []
        # Look-ahead tables, built on first use (see _quote_end, _is_range).
        self._quote_closer: list[int] | None = None
        self._newline: list[int] = []
        self._bracket_close: list[int] | None = None
        self._to_word: list[int] = []

    def error(self, message: str) -> QueryError:
        return _error(message, self.text)

    def tokens(self) -> list[_Token]:
        text, n = self.text, self.n
        i = 0
        while i < n:
            ch = text[i]
            if ch.isspace():
                i += 1
            elif ch == "(":
                self.out.append(_Token("open", i))
                i += 1
            elif ch == ")":
                token = _Token("close", i)
                self.out.append(token)
                i = self._boost(i + 1, token)
            else:
                operator = self._operator(i)
                if operator:
                    self.out.append(_Token("op", i, operator))
                    i += len(operator)
                else:
                    i = self._atom(i, None)
        return self.out

    def _operator(self, i: int) -> str | None:
        """The operator at ``i``: a keyword standing apart (after the start, a
        space or a parenthesis, before the end, a space or a parenthesis)."""
        text, n = self.text, self.n
        if i > 0 and not (text[i - 1].isspace() or text[i - 1] in "()"):
            return None
        for keyword in _OPERATORS:
            end = i + len(keyword)
            if text.startswith(keyword, i) and (
                end == n or text[end].isspace() or text[end] in "()"
            ):
                if keyword == "REQUIRE":
                    raise self.error("REQUIRE is not supported: use AND")
                return keyword
        return None

    def _atom(self, i: int, field: str | None) -> int:
        """Reads the word, phrase or field at ``i`` (after ``field:`` if ``field``);
        returns where it ends."""
        text, n = self.text, self.n
        ch = text[i]
        if ch == '"':
            return self._phrase(i, field)
        if ch == "'":
            end = self._quote_end(i)
            if end is not None:
                word = text[i + 1 : end]
                if not word.strip():
                    raise self.error("empty quotes ''")
                self.out.append(_Token("word", i, word, field))
                return end + 1
        if field is None:
            colon = self._field_colon(i)
            if colon >= 0:
                name = text[i:colon]
                after = colon + 1
                known = name in self.fields
                if after < n and not text[after].isspace():
                    if not known:
                        raise self.error(
                            f"unknown field {name!r} (in {name}:): "
                            f"the fields are {', '.join(self.order)}"
                        )
                    return self._fielded(name, after)
                if known:
                    if after == n:
                        raise self.error(f"{name}: is followed by nothing: write {name}:word")
                    raise self.error(
                        f"a space follows {name}: — write {name}:word, "
                        "with nothing between the colon and the word"
                    )
                # Any other name and a colon before a space is a word ("word:").
        if ch in "[{" and self._is_range(i):
            raise self.error("ranges ([a TO b]) are not supported")
        return self._word(i, field)

    def _fielded(self, name: str, i: int) -> int:
        """What follows ``name:`` at ``i``: a group, a phrase or a word."""
        text = self.text
        ch = text[i]
        if ch == ")":
            raise self.error(f"{name}: is followed by nothing: write {name}:word")
        if ch == "(":
            self.out.append(_Token("field", i - len(name) - 1, name))
            return i  # the group is read next
        colon = self._field_colon(i)
        if colon >= 0 and text[i:colon] in self.fields:
            raise self.error(f"two field names in a row: {name}:{text[i:colon]}:")
        return self._atom(i, name)

    def _field_colon(self, i: int) -> int:
        """Where the colon is if a field name (an ASCII identifier) and a colon
        start at ``i``, else -1."""
        text, n = self.text, self.n
        if text[i] not in _IDENTIFIER_START:
            return -1
        k = i + 1
        while k < n and text[k] in _IDENTIFIER:
            k += 1
        return k if k < n and text[k] == ":" else -1

    def _word(self, i: int, field: str | None) -> int:
        """A word runs to a space, a parenthesis, a double quote, a boost, or a
        single-quoted word after a mark (Whoosh's taggers end it there too)."""
        text, n = self.text, self.n
        j = i
        while j < n:
            ch = text[j]
            if ch.isspace() or ch in '()"':
                break
            if ch == "^" and self._boost_at(j) is not None:
                break
            if ch == "'" and j > i and self._quote_end(j) is not None:
                break
            j += 1
        word = text[i:j]
        if not word:  # a boost with nothing before it
            if field is not None:
                raise self.error(
                    f"{field}: must be followed by a word, a phrase or a group, not a boost"
                )
            raise self.error(
                f"a boost ({text[j : self._boost_end(j)]}) must directly follow a word, "
                "a phrase or a group, with no space before the ^"
            )
        prefix = False
        if "*:*" in word:
            raise self.error("*:* (every passage) is not supported: search for words")
        if "~" in word:
            raise self.error(
                f"fuzzy terms (word~ or word~2) are not supported: remove the ~ from {word!r}"
            )
        kind = "word"
        if "*" in word:
            while "**" in word:  # a run of stars is one star
                word = word.replace("**", "*")
            letters = len(word) - word.count("*")
            if word.endswith("*") and word.count("*") == 1 and letters >= 1:
                word, prefix = word[:-1], True
            elif letters < MIN_WILDCARD_LETTERS:
                raise self.error(
                    f"the wildcard {text[i:j]!r} has fewer than {MIN_WILDCARD_LETTERS} letters "
                    "besides its *: write more of the word"
                )
            else:
                kind = "wildcard"
        token = _Token(kind, i, word, field, prefix=prefix)
        self.out.append(token)
        return self._boost(j, token)

    def _phrase(self, i: int, field: str | None) -> int:
        text, n = self.text, self.n
        close = text.find('"', i + 1)
        if close < 0:
            raise self.error(f'the " at character {i + 1} is never closed')
        body = text[i + 1 : close]
        if not body.strip():
            raise self.error('empty phrase ""')
        j = close + 1
        slop = 1
        if j < n and text[j] == "~":
            k = j + 1
            if k < n and text[k] in _DIGITS and text[k] != "0":
                while k < n and text[k] in _DIGITS:
                    k += 1
                if k - j - 1 > _MAX_NUMBER_CHARS:
                    raise self.error(f"the slop ~{text[j + 1 : k]} of a phrase is too large")
                slop = int(text[j + 1 : k])
                j = k
            else:
                raise self.error(
                    'the ~ after a phrase must be followed by a whole number from 1, as in "a b"~2'
                )
        token = _Token("phrase", i, body, field, slop=slop)
        self.out.append(token)
        return self._boost(j, token)

    def _boost(self, j: int, token: _Token) -> int:
        """Reads a boost ``^N`` at ``j`` onto ``token``; returns where it ends."""
        text = self.text
        if j < self.n and text[j] == "^":
            end = self._boost_at(j)
            if end is not None:
                number = text[j + 1 : end]
                if not number:
                    raise self.error("^ must be followed by a number, as in word^2")
                value = float(number)
                if not math.isfinite(value):
                    raise self.error(f"the boost ^{number} is too large")
                token.boost = value
                return end
        return j

    def _boost_at(self, j: int) -> int | None:
        """Where the boost at ``j`` (a ``^``) ends, if it is one: digits, maybe
        a point and digits, then the end, a space or ``)`` (Whoosh's pattern)."""
        text, n = self.text, self.n
        k = j + 1
        while k < n and text[k] in _DIGITS:
            k += 1
        if k + 1 < n and text[k] == "." and text[k + 1] in _DIGITS:
            k += 2
            while k < n and text[k] in _DIGITS:
                k += 1
        if k == n or text[k] in _AFTER_BOOST:
            return k
        return None

    def _boost_end(self, j: int) -> int:
        end = self._boost_at(j)
        return j + 1 if end is None else end

    def _quote_end(self, i: int) -> int | None:
        """Where the single-quoted word opening at ``i`` closes, if it is one.

        As in Whoosh: a ``'`` at the start or after a character that is not a
        letter, digit or ``_``, up to the first ``'`` followed by the end, a
        space or one of ``])}``, on the same line.
        """
        text, n = self.text, self.n
        if i > 0 and (text[i - 1].isalnum() or text[i - 1] == "_"):
            return None
        if self._quote_closer is None:
            closer = [n] * (n + 1)
            newline = [n] * (n + 1)
            for k in range(n - 1, -1, -1):
                ch = text[k]
                after = text[k + 1] if k + 1 < n else " "
                is_closer = ch == "'" and (after.isspace() or after in _AFTER_QUOTE)
                closer[k] = k if is_closer else closer[k + 1]
                newline[k] = k if ch == "\n" else newline[k + 1]
            self._quote_closer, self._newline = closer, newline
        end = self._quote_closer[i + 1]
        if end < n and end < self._newline[i + 1]:
            return end
        return None

    def _is_range(self, i: int) -> bool:
        """Whether a ``[`` or ``{`` at ``i`` opens a range: a ``TO`` (any case,
        standing apart) before the next ``]`` or ``}``."""
        text, n = self.text, self.n
        if self._bracket_close is None:
            close = [n] * (n + 1)
            to_word = [n] * (n + 1)
            for k in range(n - 1, -1, -1):
                close[k] = k if text[k] in "]}" else close[k + 1]
                is_to = (
                    0 < k < n - 2
                    and text[k] in "tT"
                    and text[k + 1] in "oO"
                    and (text[k - 1].isspace() or text[k - 1] in "[{")
                    and (text[k + 2].isspace() or text[k + 2] in "]}")
                )
                to_word[k] = k if is_to else to_word[k + 1]
            self._bracket_close, self._to_word = close, to_word
        end = self._bracket_close[i + 1]
        return end < n and self._to_word[i + 1] < end


@attrs.frozen
class _Operand:
    """A node being built, with what Whoosh's grouping needs to know of it:
    ``kind`` is ``term`` (a word or phrase without a field: Whoosh made it a
    group of the fields), ``group`` (in parentheses) or ``other``; ``boost`` the
    boost written on it; ``depth`` at least the depth of the node."""

    node: Node
    kind: str
    boost: float
    depth: int


class _Parser:
    """Builds the tree from the tokens by precedence, one token at a time."""

    def __init__(self, text: str, tokens: list[_Token], default: str) -> None:
        self.text = text
        self.tokens = tokens
        self.i = 0
        self.default = default

    def error(self, message: str) -> QueryError:
        return _error(message, self.text)

    def peek(self) -> _Token | None:
        return self.tokens[self.i] if self.i < len(self.tokens) else None

    def at(self, operator: str) -> bool:
        token = self.peek()
        return token is not None and token.kind == "op" and token.text == operator

    def parse(self) -> Node:
        return self.sequence(0, None, None).node

    def sequence(self, depth: int, field: str | None, opener: _Token | None) -> _Operand:
        """Operands side by side up to the end or the ``)`` of ``opener``."""
        operands: list[_Operand] = []
        while True:
            token = self.peek()
            if token is None:
                if opener is not None:
                    raise self.error(f"the ( at character {opener.start + 1} is never closed")
                break
            if token.kind == "close":
                if opener is None:
                    raise self.error(f"the ) at character {token.start + 1} has no matching (")
                break
            operands.append(self.and_maybe(depth, field))
        if not operands:
            raise self.error("empty parentheses ()")
        return self.combine(self.default, operands)

    def and_maybe(self, depth: int, field: str | None) -> _Operand:
        left = self.and_not(depth, field)
        while self.at("ANDMAYBE"):
            self.i += 1
            right = self.and_not(depth, field)
            left = self.pair(AndMaybe(left.node, right.node), left, right)
        return left

    def and_not(self, depth: int, field: str | None) -> _Operand:
        left = self.either(depth, field)
        while self.at("ANDNOT"):
            self.i += 1
            right = self.either(depth, field)
            left = self.pair(AndNot(left.node, right.node), left, right)
        return left

    def either(self, depth: int, field: str | None) -> _Operand:
        first = self.both(depth, field)
        if not self.at("OR"):
            return first
        operands = [first]
        while self.at("OR"):
            self.i += 1
            operands.append(self.both(depth, field))
        return self.chain("or", operands)

    def both(self, depth: int, field: str | None) -> _Operand:
        first = self.unary(depth, field)
        if not self.at("AND"):
            return first
        operands = [first]
        while self.at("AND"):
            self.i += 1
            operands.append(self.unary(depth, field))
        return self.chain("and", operands)

    def chain(self, kind: str, operands: list[_Operand]) -> _Operand:
        """``a OR b OR c`` (or AND): one group, where Whoosh's boost leak applies."""
        first = operands[0]
        absorbs = first.kind == "group" and self.default == kind
        if kind == "or" and first.kind == "term":
            absorbs = True
        if absorbs and first.boost != 1.0:
            operands[1:] = [
                attrs.evolve(o, node=_boosted(o.node, first.boost)) for o in operands[1:]
            ]
        return attrs.evolve(self.combine(kind, operands), kind="other", boost=1.0)

    def unary(self, depth: int, field: str | None) -> _Operand:
        if not self.at("NOT"):
            return self.atom(depth, field)
        self.i += 1
        if self.at("NOT"):
            raise self.error("NOT NOT is a double negation: remove both NOTs")
        child = self.atom(depth, field)
        return self.checked(_Operand(Not(child.node), "other", 1.0, child.depth + 1))

    def atom(self, depth: int, field: str | None) -> _Operand:
        token = self.peek()
        previous = self.tokens[self.i - 1] if self.i > 0 else None
        # An operand is looked for at the start of a sequence (where a token is
        # neither missing nor a ")") and after an operator.
        before = previous.text if previous is not None else ""
        if token is None:
            raise self.error(f"the query ends with {before}: nothing follows it")
        if token.kind == "close":
            raise self.error(f"{before} comes right before ): nothing follows it")
        if token.kind == "op":
            name = token.text
            if previous is None:
                raise self.error(f"the query starts with {name}: nothing comes before it")
            if previous.kind == "open":
                raise self.error(f"{name} comes right after (: nothing comes before it")
            if previous.text == "NOT":
                raise self.error(
                    f"NOT is followed by {name}: NOT must be followed by a word, "
                    "a phrase or a group"
                )
            raise self.error(
                f"{name} follows {previous.text}: a word, a phrase or a group "
                "must come between them"
            )
        self.i += 1
        if token.kind == "open":
            return self.group(depth, field, token)
        if token.kind == "field":
            opener = self.tokens[self.i]
            self.i += 1
            return self.group(depth, token.text, opener)
        own = token.field or field
        node: Node
        if token.kind == "word":
            node = Word(token.text, own, token.prefix, token.boost)
        elif token.kind == "wildcard":
            node = Wildcard(token.text, own, token.boost)
        else:
            node = Phrase(token.text, own, token.slop, token.boost)
        return _Operand(node, "term" if own is None else "other", token.boost, 1)

    def group(self, depth: int, field: str | None, opener: _Token) -> _Operand:
        if depth >= MAX_GROUP_DEPTH:
            raise self.error(
                f"the query nests too deeply: more than {MAX_GROUP_DEPTH} groups inside one another"
            )
        inner = self.sequence(depth + 1, field, opener)
        close = self.tokens[self.i]
        self.i += 1
        node = inner.node if close.boost == 1.0 else _boosted(inner.node, close.boost)
        return _Operand(node, "group", close.boost, inner.depth)

    def pair(self, node: AndNot | AndMaybe, left: _Operand, right: _Operand) -> _Operand:
        return self.checked(_Operand(node, "other", 1.0, 1 + max(left.depth, right.depth)))

    def combine(self, kind: str, operands: list[_Operand]) -> _Operand:
        """The AND or OR of ``operands`` (see :func:`_join`)."""
        if len(operands) == 1:
            return operands[0]
        cls = And if kind == "and" else Or
        # The depth of a child of the same kind taken in is one less than its own.
        depth = max(o.depth - 1 if isinstance(o.node, cls) else o.depth for o in operands)
        node = _join(cls, [o.node for o in operands])
        if not isinstance(node, cls):  # every operand was the same
            return _Operand(node, "other", 1.0, depth)
        return self.checked(_Operand(node, "other", 1.0, depth + 1))

    def checked(self, operand: _Operand) -> _Operand:
        if operand.depth > MAX_TREE_DEPTH:
            raise self.error(
                f"the query nests too deeply: more than {MAX_TREE_DEPTH} operators "
                "inside one another"
            )
        return operand


def _join(cls: type[And] | type[Or], nodes: list[Node]) -> Node:
    """The AND or OR of ``nodes`` as Whoosh normalizes it: the children of a
    child of the same kind taken in, each child once, a single child alone."""
    children: dict[Node, None] = {}
    for node in nodes:
        for part in node.children if isinstance(node, cls) else (node,):
            children.setdefault(part, None)
    if len(children) == 1:
        return next(iter(children))
    return cls(tuple(children))


def _boosted(node: Node, factor: float) -> Node:
    """``node`` with the boost of every word and phrase it scores by multiplied
    by ``factor`` (not inside a ``NOT`` or the negative side of ``ANDNOT``,
    which score nothing)."""
    if isinstance(node, (Word, Wildcard, Phrase)):
        return attrs.evolve(node, boost=node.boost * factor)
    if isinstance(node, (And, Or)):
        return _join(type(node), [_boosted(c, factor) for c in node.children])
    if isinstance(node, AndNot):
        return AndNot(_boosted(node.positive, factor), node.negative)
    if isinstance(node, AndMaybe):
        return AndMaybe(_boosted(node.required, factor), _boosted(node.optional, factor))
    return node  # Not
