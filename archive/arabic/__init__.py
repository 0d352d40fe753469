"""All of the archive's Arabic knowledge: code points, folding steps, the token pattern.

Every decision about Arabic text lives in this package, as named code points and
one small function per folding step, composed in one documented order. The rest
of the archive (the Whoosh analyzer, the readers, the search side) only calls
into it; it imports nothing of the project but :mod:`archive.errors`, and no
search engine. Its modules, each re-exported here but the last:

- :mod:`archive.arabic.codepoints`: the named code points, ranges, marks, controls.
- :mod:`archive.arabic.fold`: the folding steps, :class:`Profile`, the fold table.
- :mod:`archive.arabic.tokens`: :data:`TOKEN_PATTERN` and :func:`tokens`.
- :mod:`archive.arabic.uthmani`: the plain spellings of Uthmani words.
- :mod:`archive.arabic.clitics`: clitics, stems, light stems, question words.
- :mod:`archive.arabic.vocalisation`: exact-mode folding, skeletons, marks.
- :mod:`archive.arabic.analysis`: the engine-neutral analysis of a text into
  weighted, positioned terms (the modes, :class:`~archive.arabic.analysis.Analyzer`),
  which the Whoosh analyzer :mod:`archive.engines.whoosh.analysis` adapts.

``arabic.fold`` and ``arabic.tokens`` are the functions, not the modules of the
same names: ``from archive.arabic.fold import fold_table`` reaches into the module,
and ``importlib.import_module("archive.arabic.fold")`` gives it.

The default search fold, in order (see ``docs/normalisation.md`` for the table):

1. :func:`strip_marks`: harakat, tanween, shadda, sukun, the superscript alef,
   Quranic annotation marks, extended marks, and tatweel are removed.
2. :func:`strip_controls`: zero-width and direction controls are removed.
3. :func:`fold_alef`: أ إ آ ٱ (and the wavy-hamza alefs) become ا.
4. :func:`fold_alef_maqsura`: ى becomes ي (a contested fold, named on its own).
5. :func:`fold_ta_marbuta`: ة becomes ه (a contested fold, named on its own).
6. :func:`fold_persian`: Persian ی and ک become ي and ك.
7. :func:`fold_presentation_forms`: presentation forms and lam-alef ligatures
   become base letters; word ligatures such as ﷺ become their words.
8. :func:`fold_digits`: Arabic-Indic and Persian digits become ASCII digits.
9. Latin letters are lowercased.

Hamza seats (ؤ, ئ) and the standalone hamza ء are kept as written.

:func:`fold` applies all of it with one ``str.translate`` table, which is the
per-token hot path. :func:`reference_fold` composes the same steps from pyarabic
calls (with their pitfalls corrected); tests check that the two agree on real
text.
"""

from __future__ import annotations

from archive.arabic.clitics import (
    ARTICLES,
    CONJUNCTIONS,
    LIGHT_SUFFIXES,
    PREPOSITIONS,
    PRONOUNS,
    QUESTION_WORDS,
    light_stem,
    question_words,
    strip_clitics,
    strip_preposition,
)
from archive.arabic.codepoints import (
    ALEF,
    ALEF_HAMZA_ABOVE,
    ALEF_HAMZA_BELOW,
    ALEF_MADDA,
    ALEF_MAQSURA,
    ALEF_WASLA,
    ALEF_WAVY_HAMZA_ABOVE,
    ALEF_WAVY_HAMZA_BELOW,
    ARABIC_INDIC_DIGITS,
    BEH,
    CONTROL_CLASS,
    CONTROL_RANGES,
    CONTROLS,
    DAMMA,
    DAMMATAN,
    FATHA,
    FATHATAN,
    FEH,
    HAMZA,
    HAMZA_ABOVE,
    HAMZA_BELOW,
    HARAKAT,
    HEH,
    KAF,
    KASRA,
    KASRATAN,
    LAM,
    LETTER_FORMING_MARKS,
    MADDA_ABOVE,
    MARK_CLASS,
    MARK_RANGES,
    MARK_SET,
    MARKS,
    MEEM,
    NOON,
    PERSIAN_DIGITS,
    PERSIAN_KAF,
    PERSIAN_YEH,
    PRESENTATION_RANGES,
    SEEN,
    SHADDA,
    SMALL_HIGH_YEH,
    SMALL_WAW,
    SMALL_YEH,
    SUKUN,
    SUPERSCRIPT_ALEF,
    SYMBOL_MARKS,
    TATWEEL,
    TEH,
    TEH_MARBUTA,
    WAW,
    WAW_HAMZA,
    WORD_LIGATURES,
    YEH,
    YEH_HAMZA,
    range_chars,
)
from archive.arabic.confusables import (
    CONFUSED_COST,
    CONFUSED_GROUPS,
    confused_distance,
    substitution_cost,
)
from archive.arabic.fold import (
    DEFAULT,
    DELETE_CONTROLS,
    Profile,
    fold,
    fold_alef,
    fold_alef_maqsura,
    fold_digits,
    fold_hamza_seats,
    fold_persian,
    fold_presentation_forms,
    fold_ta_marbuta,
    fold_table,
    nfc,
    presentation_form,
    reference_fold,
    strip_controls,
    strip_marks,
)
from archive.arabic.roots import (
    ASSIMILATED,
    DEFECTIVE_WAW,
    DEFECTIVE_YEH,
    DOUBLED,
    EXCEPTIONS,
    HAMZATED,
    HOLLOW_WAW,
    HOLLOW_YEH,
    PARTICLES,
    PATTERNS,
    QUADRILITERAL,
    ROOT_LETTERS,
    normalise,
    readings,
    resolve,
    root,
    root_key,
    score,
    splits,
    stem_roots,
)
from archive.arabic.strict import (
    STAND_INS,
    STRICT_FOLDS,
    keep_apart,
    keeps_apart,
    strict_folds,
)
from archive.arabic.tokens import (
    LIGATURE_WORDS,
    TOKEN_PATTERN,
    tokens,
)
from archive.arabic.uthmani import (
    RESPELLING,
    SMALL_LETTERS,
    may_respell,
    plain_spellings,
)
from archive.arabic.vocalisation import (
    clusters,
    fold_exact,
    marks_fit,
    skeleton,
)

__all__ = [
    "ALEF",
    "ALEF_HAMZA_ABOVE",
    "ALEF_HAMZA_BELOW",
    "ALEF_MADDA",
    "ALEF_MAQSURA",
    "ALEF_WASLA",
    "ALEF_WAVY_HAMZA_ABOVE",
    "ALEF_WAVY_HAMZA_BELOW",
    "ARABIC_INDIC_DIGITS",
    "ARTICLES",
    "ASSIMILATED",
    "BEH",
    "CONFUSED_COST",
    "CONFUSED_GROUPS",
    "CONJUNCTIONS",
    "CONTROLS",
    "CONTROL_CLASS",
    "CONTROL_RANGES",
    "DAMMA",
    "DAMMATAN",
    "DEFAULT",
    "DEFECTIVE_WAW",
    "DEFECTIVE_YEH",
    "DELETE_CONTROLS",
    "DOUBLED",
    "EXCEPTIONS",
    "FATHA",
    "FATHATAN",
    "FEH",
    "HAMZA",
    "HAMZATED",
    "HAMZA_ABOVE",
    "HAMZA_BELOW",
    "HARAKAT",
    "HEH",
    "HOLLOW_WAW",
    "HOLLOW_YEH",
    "KAF",
    "KASRA",
    "KASRATAN",
    "LAM",
    "LETTER_FORMING_MARKS",
    "LIGATURE_WORDS",
    "LIGHT_SUFFIXES",
    "MADDA_ABOVE",
    "MARKS",
    "MARK_CLASS",
    "MARK_RANGES",
    "MARK_SET",
    "MEEM",
    "NOON",
    "PARTICLES",
    "PATTERNS",
    "PERSIAN_DIGITS",
    "PERSIAN_KAF",
    "PERSIAN_YEH",
    "PREPOSITIONS",
    "PRESENTATION_RANGES",
    "PRONOUNS",
    "QUADRILITERAL",
    "QUESTION_WORDS",
    "RESPELLING",
    "ROOT_LETTERS",
    "SEEN",
    "SHADDA",
    "SMALL_HIGH_YEH",
    "SMALL_LETTERS",
    "SMALL_WAW",
    "SMALL_YEH",
    "STAND_INS",
    "STRICT_FOLDS",
    "SUKUN",
    "SUPERSCRIPT_ALEF",
    "SYMBOL_MARKS",
    "TATWEEL",
    "TEH",
    "TEH_MARBUTA",
    "TOKEN_PATTERN",
    "WAW",
    "WAW_HAMZA",
    "WORD_LIGATURES",
    "YEH",
    "YEH_HAMZA",
    "Profile",
    "clusters",
    "confused_distance",
    "fold",
    "fold_alef",
    "fold_alef_maqsura",
    "fold_digits",
    "fold_exact",
    "fold_hamza_seats",
    "fold_persian",
    "fold_presentation_forms",
    "fold_ta_marbuta",
    "fold_table",
    "keep_apart",
    "keeps_apart",
    "light_stem",
    "marks_fit",
    "may_respell",
    "nfc",
    "normalise",
    "plain_spellings",
    "presentation_form",
    "question_words",
    "range_chars",
    "readings",
    "reference_fold",
    "resolve",
    "root",
    "root_key",
    "score",
    "skeleton",
    "splits",
    "stem_roots",
    "strict_folds",
    "strip_clitics",
    "strip_controls",
    "strip_marks",
    "strip_preposition",
    "substitution_cost",
    "tokens",
]

# Pickles (the schema of every index holds its profile) name the class
# archive.arabic.Profile, as they did when it was defined in archive/arabic.py.
Profile.__module__ = __name__
