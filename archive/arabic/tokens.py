"""The token pattern: where an Arabic text is cut into words and numbers.

:data:`TOKEN_PATTERN` keeps combining marks and invisible controls inside their
word, makes each word ligature (ﷺ) a token of its own, and separates letters
from digits; :func:`tokens` yields the words with their offsets.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from archive.arabic.codepoints import CONTROL_CLASS, MARK_CLASS, WORD_LIGATURES

#: Characters that are whole words (or several): the word ligatures, ﷺ U+FDFA,
#: ﷻ U+FDFB and the rial sign U+FDFC. Each is a token of its own, even when
#: written against a word (النبيﷺ), and never part of a longer token.
LIGATURE_WORDS = "\ufdfa\ufdfb\ufdfc" + "".join(WORD_LIGATURES)

_LIGATURE_CLASS = "".join(f"\\u{ord(c):04x}" for c in LIGATURE_WORDS)
# A letter: a Unicode word character but a digit or a ligature word
# (presentation forms of letters and tatweel are \w already), or a mark.
_LETTER = f"(?:[^\\W\\d{_LIGATURE_CLASS}]|[{MARK_CLASS}])"

#: A word is a run of letters and marks, with invisible controls allowed between
#: them; a number is a run of digits. Python's ``\\w`` does not match Arabic
#: combining marks, so without the mark class الكِتَابُ would be cut in pieces.
#: Letters and digits are separate tokens: عام1913 is the two tokens عام, 1913.
TOKEN_PATTERN = re.compile(
    f"[{_LIGATURE_CLASS}]"
    f"|{_LETTER}+(?:[{CONTROL_CLASS}]+{_LETTER}+)*"
    f"|\\d+(?:[{CONTROL_CLASS}]+\\d+)*"
)


def tokens(text: str) -> Iterator[tuple[int, int, str]]:
    """Yield ``(start, end, word)`` for each word of ``text``, offsets into ``text``.

    >>> [w for _, _, w in tokens("قالَ: الكِتَابُ عام1913")]
    ['قالَ', 'الكِتَابُ', 'عام', '1913']
    """
    for match in TOKEN_PATTERN.finditer(text):
        yield match.start(), match.end(), match.group()
