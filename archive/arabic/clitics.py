"""Clitics and stems: conjunctions, articles, prepositions and pronouns written
against a word, the light stemmer, and the question words of ``match="any"``.

All of it works on folded words (see :mod:`archive.arabic.fold`), on the
indexed text and on the query alike.
"""

from __future__ import annotations

import functools

from archive.arabic.codepoints import BEH, FEH, KAF, LAM, WAW
from archive.arabic.fold import DEFAULT, Profile, fold

#: Conjunctions written against the next word: و, ف.
CONJUNCTIONS = WAW + FEH
#: The article with the prepositions written against it, longest first: بال,
#: كال, فال, لل (ل + ال, whose alef is dropped), ال.
ARTICLES = ("بال", "كال", "فال", "لل", "ال")
#: Prepositions written against the next word: ب, ك, ل.
PREPOSITIONS = BEH + KAF + LAM
#: Attached pronouns of two letters or more. The one-letter ه is not taken off:
#: with ة folded to ه it would merge مدرسة with مدرس, and عليه with علي.
PRONOUNS = ("هما", "كما", "هم", "هن", "ها", "كم", "كن", "نا")


def strip_clitics(word: str) -> str:
    """The stem of a folded word: attached pronoun, conjunction and article taken
    off, conservatively. Used on both the indexed text and the query.

    Each is taken off only when enough of the word is left: four letters before
    a pronoun (كتابهم -> كتاب, but عليهم stays), four after a one-letter
    conjunction (وكتاب -> كتاب, but وزير stays), three after the article and
    the prepositions written with it (بالصبر -> صبر, but الله stays).

    >>> [strip_clitics(w) for w in ["بالصبر", "والصبر", "للصبر", "وكتاب", "كتابهم"]]
    ['صبر', 'صبر', 'صبر', 'كتاب', 'كتاب']
    >>> [strip_clitics(w) for w in ["الله", "له", "وزير", "بريء", "عليه", "مدرسه", "كتابه"]]
    ['الله', 'له', 'وزير', 'بريء', 'عليه', 'مدرسه', 'كتابه']
    """
    stem = word
    for pronoun in PRONOUNS:
        if stem.endswith(pronoun) and len(stem) - len(pronoun) >= 4:
            stem = stem[: -len(pronoun)]
            break
    if len(stem) >= 5 and stem[0] in CONJUNCTIONS:
        stem = stem[1:]
    for article in ARTICLES:
        if stem.startswith(article) and len(stem) - len(article) >= 3:
            return stem[len(article) :]
    return stem


def strip_preposition(stem: str) -> str | None:
    """The stem without a one-letter preposition (ب ك ل), if four letters are left.

    Whether a word starts with a preposition cannot be told from its letters
    (بكتاب is ب + كتاب, but بلاد is not ب + لاد), so this form is indexed as an
    alternative of the stem and never made from a query word: كتاب finds بكتاب,
    and a search for لبنان does not look for بنان.

    >>> strip_preposition("بكتاب"), strip_preposition("كتاب")
    ('كتاب', None)
    """
    if len(stem) >= 5 and stem[0] in PREPOSITIONS:
        return stem[1:]
    return None


#: Suffixes taken off by :func:`light_stem`, in one pass, in this order (the
#: suffixes of Lucene's light10 stemmer): ها ان ات ون ين يه ية ه ة ي.
LIGHT_SUFFIXES = ("ها", "ان", "ات", "ون", "ين", "يه", "ية", "ه", "ة", "ي")


def light_stem(stem: str) -> str:
    """A stem with plural, dual, feminine and pronoun suffixes also taken off.

    Aggressive, like Lucene's light10 stemmer: it merges مدرسة with مدرس and
    علويين with علويون, which helps rank passages for a question but would merge
    the false friends, so it is used for ``match="any"`` only. Three letters are
    always left.

    >>> [light_stem(strip_clitics(w)) for w in ["العلويين", "علويون", "المدرسه", "كتابات"]]
    ['علو', 'علو', 'مدرس', 'كتاب']
    """
    for suffix in LIGHT_SUFFIXES:
        if stem.endswith(suffix) and len(stem) - len(suffix) >= 3:
            stem = stem[: -len(suffix)]
    return stem


#: Question words and particles dropped from ``match="any"`` queries, as written
#: (they are folded with the index's profile before use).
QUESTION_WORDS = tuple(
    " ".join(
        (
            "ما ماذا من متى كيف أين هل لماذا لم لما كم أي هو هي هم هما هن",
            "في على عن إلى مع إن أن إذا لو قد لقد ثم أو و ف ب ل ك يا",
            "الذي التي الذين اللذان اللتان اللاتي ذلك تلك هذا هذه هؤلاء أولئك",
            "كان كانت يكون تكون كانوا ليس لا لن تم يتم عند بين حتى منذ بعد قبل",
            "كل بعض غير أيضا إلا",
        )
    ).split()
)


@functools.cache
def question_words(profile: Profile = DEFAULT) -> frozenset[str]:
    """:data:`QUESTION_WORDS` folded with a profile."""
    return frozenset(fold(w, profile) for w in QUESTION_WORDS)
