"""A Python port of Lucene's ``ArabicAnalyzer`` as a Whoosh analyzer, for the quality benchmark.

Ported from the Apache Lucene sources (Apache License 2.0), read at:

* ``lucene/analysis/common/src/java/org/apache/lucene/analysis/ar/ArabicAnalyzer.java``
  (apache/lucene 1d9ad44c): the chain StandardTokenizer → LowerCaseFilter →
  DecimalDigitFilter → StopFilter (default stop set) → ArabicNormalizationFilter →
  ArabicStemFilter. The stop filter runs *before* normalisation ("the stopword
  list is not normalized!"), so the list holds both أ and ا spellings.
* ``.../ar/ArabicNormalizer.java`` (apache/lucene 0ee3fc53): alef madda, alef with
  hamza above and below become alef; dotless yeh (alef maksura ى) becomes yeh;
  teh marbuta becomes heh; tatweel and the eight marks FATHATAN..SUKUN
  (U+064B-U+0652) are deleted. Nothing else: the superscript alef U+0670, alef
  wasla U+0671, madda/hamza combining marks U+0653-U+0655, Quranic marks, hamza
  seats ؤ ئ and Persian letters are all left as they are.
* ``.../ar/ArabicStemmer.java`` (apache/lucene 9b33f5b0): light10-style. At most one
  prefix of ال وال بال كال فال لل و is removed, the first that matches in that
  order, if the word is at least prefix length + 2 long (و: at least 4 letters).
  Then *every* suffix of ها ان ات ون ين يه ية ه ة ي, in that order, is removed
  when it ends the word and at least 2 letters would remain (one pass, so
  ساهدهات loses ات and then ه).
* ``.../core/DecimalDigitFilter.java`` (apache/lucene 704409bc): Unicode decimal
  digits (category Nd) outside ASCII become 0-9.
* The stop words: ``org/apache/lucene/analysis/ar/stopwords.txt`` (Jacques Savoy's
  list, BSD, "cleaned on October 11, 2009"). That resource file is not in the
  search index under apache/lucene; the list below was read from
  apache/lucene-solr ``modules/analysis/common/src/resources/.../ar/stopwords.txt``
  (f6e9cc9f) and checked word for word against two later verbatim copies
  (bleve's ``stop_words_ar.go``, "obtained from lucene-4.7.2", and a Kotlin port of
  Lucene 10's ArabicAnalyzer), which agree: 119 words. The list has not changed
  since, as far as these copies show; a later edit would not be seen here.
* ``ArabicStemFilter.java`` itself was not in the index; it is assumed to call
  ``ArabicStemmer.stem`` on each token not marked as a keyword (no keyword set is
  used here, as in ``new ArabicAnalyzer()``).

Differences from Lucene, deliberately small:

* Tokenizer: ``RegexTokenizer(archive.arabic.TOKEN_PATTERN)`` instead of Lucene's
  UAX#29 ``StandardTokenizer``. Both keep Arabic letters, marks and tatweel in one
  token; they differ on e.g. letters followed by digits (عام1913 is two tokens
  here, one there), apostrophes and URLs.
* Lowercasing is Python's ``str.lower`` (full case mapping) where Lucene lowercases
  code point by code point; they differ only on a few letters such as İ.
* Java strings are UTF-16, so Lucene's length conditions count UTF-16 units; this
  port counts code points. Arabic letters are all in the BMP, so the two agree.
* A token left empty by normalisation (a lone tatweel or mark) is dropped here;
  Lucene would index an empty term, which no query can usefully match.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterator

from whoosh.analysis import (
    Composable,
    Filter,
    LowercaseFilter,
    RegexTokenizer,
    StopFilter,
    Token,
)

from archive.arabic import TOKEN_PATTERN

# --- ArabicNormalizer ---------------------------------------------------------

ALEF = "\u0627"
ALEF_MADDA = "\u0622"
ALEF_HAMZA_ABOVE = "\u0623"
ALEF_HAMZA_BELOW = "\u0625"

YEH = "\u064a"
DOTLESS_YEH = "\u0649"

TEH_MARBUTA = "\u0629"
HEH = "\u0647"

TATWEEL = "\u0640"

FATHATAN = "\u064b"
DAMMATAN = "\u064c"
KASRATAN = "\u064d"
FATHA = "\u064e"
DAMMA = "\u064f"
KASRA = "\u0650"
SHADDA = "\u0651"
SUKUN = "\u0652"

#: Exactly the characters ``ArabicNormalizer.normalize`` replaces or deletes.
_NORMALIZE_TABLE: dict[int, str | None] = {
    ord(ALEF_MADDA): ALEF,
    ord(ALEF_HAMZA_ABOVE): ALEF,
    ord(ALEF_HAMZA_BELOW): ALEF,
    ord(DOTLESS_YEH): YEH,
    ord(TEH_MARBUTA): HEH,
    **{
        ord(c): None
        for c in (TATWEEL, KASRATAN, DAMMATAN, FATHATAN, FATHA, DAMMA, KASRA, SHADDA, SUKUN)
    },
}


class ArabicNormalizer:
    """Lucene's ``ArabicNormalizer``: orthographic normalisation of one term."""

    def normalize(self, s: str) -> str:
        """Fold hamza-seated alefs to ا, ى to ي, ة to ه; delete tatweel and harakat.

        >>> ArabicNormalizer().normalize("أحمدُ")
        'احمد'
        """
        return s.translate(_NORMALIZE_TABLE)


# --- ArabicStemmer ------------------------------------------------------------

BEH = "\u0628"
TEH = "\u062a"
FEH = "\u0641"
KAF = "\u0643"
LAM = "\u0644"
NOON = "\u0646"
WAW = "\u0648"

#: Tried in this order; the first that matches (with its length condition) is removed.
PREFIXES: tuple[str, ...] = (
    ALEF + LAM,
    WAW + ALEF + LAM,
    BEH + ALEF + LAM,
    KAF + ALEF + LAM,
    FEH + ALEF + LAM,
    LAM + LAM,
    WAW,
)

#: Tried in this order, in one pass; every one that matches at that point is removed.
SUFFIXES: tuple[str, ...] = (
    HEH + ALEF,
    ALEF + NOON,
    ALEF + TEH,
    WAW + NOON,
    YEH + NOON,
    YEH + HEH,
    YEH + TEH_MARBUTA,
    HEH,
    TEH_MARBUTA,
    YEH,
)


class ArabicStemmer:
    """Lucene's ``ArabicStemmer``: light stemming of one (normalised) term."""

    def stem(self, s: str) -> str:
        """Remove one prefix, then the suffixes.

        >>> ArabicStemmer().stem("والكتابات")
        'كتاب'
        """
        return self.stem_suffix(self.stem_prefix(s))

    def stem_prefix(self, s: str) -> str:
        for prefix in PREFIXES:
            if self.starts_with_check_length(s, prefix):
                return s[len(prefix) :]
        return s

    def stem_suffix(self, s: str) -> str:
        for suffix in SUFFIXES:
            if self.ends_with_check_length(s, suffix):
                s = s[: -len(suffix)]
        return s

    @staticmethod
    def starts_with_check_length(s: str, prefix: str) -> bool:
        """True if ``prefix`` starts ``s`` and may be removed."""
        if len(prefix) == 1 and len(s) < 4:  # wa- prefix requires at least 3 characters
            return False
        if len(s) < len(prefix) + 2:  # other prefixes require only 2
            return False
        return s.startswith(prefix)

    @staticmethod
    def ends_with_check_length(s: str, suffix: str) -> bool:
        """True if ``suffix`` ends ``s`` and at least 2 characters would remain."""
        if len(s) < len(suffix) + 2:
            return False
        return s.endswith(suffix)


# --- Stop words ---------------------------------------------------------------

#: Lucene's default Arabic stop set, in the file's order (not normalised: it is
#: applied before the normalisation filter).
STOPWORDS_LIST: tuple[str, ...] = (
    "من",
    "ومن",
    "منها",
    "منه",
    "في",
    "وفي",
    "فيها",
    "فيه",
    "و",
    "ف",
    "ثم",
    "او",
    "أو",
    "ب",
    "بها",
    "به",
    "ا",
    "أ",
    "اى",
    "اي",
    "أي",
    "أى",
    "لا",
    "ولا",
    "الا",
    "ألا",
    "إلا",
    "لكن",
    "ما",
    "وما",
    "كما",
    "فما",
    "عن",
    "مع",
    "اذا",
    "إذا",
    "ان",
    "أن",
    "إن",
    "انها",
    "أنها",
    "إنها",
    "انه",
    "أنه",
    "إنه",
    "بان",
    "بأن",
    "فان",
    "فأن",
    "وان",
    "وأن",
    "وإن",
    "التى",
    "التي",
    "الذى",
    "الذي",
    "الذين",
    "الى",
    "الي",
    "إلى",
    "إلي",
    "على",
    "عليها",
    "عليه",
    "اما",
    "أما",
    "إما",
    "ايضا",
    "أيضا",
    "كل",
    "وكل",
    "لم",
    "ولم",
    "لن",
    "ولن",
    "هى",
    "هي",
    "هو",
    "وهى",
    "وهي",
    "وهو",
    "فهى",
    "فهي",
    "فهو",
    "انت",
    "أنت",
    "لك",
    "لها",
    "له",
    "هذه",
    "هذا",
    "تلك",
    "ذلك",
    "هناك",
    "كانت",
    "كان",
    "يكون",
    "تكون",
    "وكانت",
    "وكان",
    "غير",
    "بعض",
    "قد",
    "نحو",
    "بين",
    "بينما",
    "منذ",
    "ضمن",
    "حيث",
    "الان",
    "الآن",
    "خلال",
    "بعد",
    "قبل",
    "حتى",
    "عند",
    "عندما",
    "لدى",
    "جميع",
)
STOPWORDS: frozenset[str] = frozenset(STOPWORDS_LIST)


# --- Token filters ------------------------------------------------------------

_NORMALIZER = ArabicNormalizer()
_STEMMER = ArabicStemmer()


def decimal_digits(s: str) -> str:
    """Lucene's ``DecimalDigitFilter`` on one term: non-ASCII Nd digits become 0-9.

    >>> decimal_digits("١٢٣٤")
    '1234'
    """
    if s.isascii():
        return s
    return "".join(
        str(unicodedata.decimal(c)) if ord(c) > 0x7F and unicodedata.category(c) == "Nd" else c
        for c in s
    )


class DecimalDigitFilter(Filter):  # type: ignore[misc]  # whoosh is untyped
    """Whoosh filter: :func:`decimal_digits` on every token."""

    def __call__(self, tokens: Iterator[Token]) -> Iterator[Token]:
        for t in tokens:
            t.text = decimal_digits(t.text)
            yield t


class ArabicNormalizationFilter(Filter):  # type: ignore[misc]  # whoosh is untyped
    """Whoosh filter: :meth:`ArabicNormalizer.normalize` on every token (empty ones dropped)."""

    def __call__(self, tokens: Iterator[Token]) -> Iterator[Token]:
        for t in tokens:
            t.text = _NORMALIZER.normalize(t.text)
            if t.text:
                yield t


class ArabicStemFilter(Filter):  # type: ignore[misc]  # whoosh is untyped
    """Whoosh filter: :meth:`ArabicStemmer.stem` on every token."""

    def __call__(self, tokens: Iterator[Token]) -> Iterator[Token]:
        for t in tokens:
            t.text = _STEMMER.stem(t.text)
            yield t


def lucene_arabic_analyzer() -> Composable:
    """The ``ArabicAnalyzer`` chain as a Whoosh analyzer.

    >>> [t.text for t in lucene_arabic_analyzer()("الذين ملكت أيمانكم")]
    ['ملكت', 'ايمانكم']
    """
    return (
        RegexTokenizer(TOKEN_PATTERN)
        | LowercaseFilter()
        | DecimalDigitFilter()
        # Lucene's StopFilter has no minimum length (Whoosh's defaults to 2) and
        # keeps the position gap of a removed word (renumber=False).
        | StopFilter(stoplist=STOPWORDS, minsize=1, renumber=False)
        | ArabicNormalizationFilter()
        | ArabicStemFilter()
    )


def analyze(text: str) -> list[str]:
    """The terms the analyzer makes of ``text``, in order.

    >>> analyze("كبيرة the quick ساهدهات ١٢٣٤")
    ['كبير', 'the', 'quick', 'ساهد', '1234']
    """
    return [t.text for t in lucene_arabic_analyzer()(text)]
