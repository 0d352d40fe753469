"""Roots of Arabic words: :func:`root` of a written word, :func:`root_key` of a typed root.

A ``root:كتب`` search finds every word of the root كتب: كتاب، مكتبة، كاتب،
يكتبون، مكتوب، الكتابة، كتابهم، مكاتب. The index calls :func:`root` once per
distinct word; the query side calls :func:`root_key` on what the user typed. Both
give a root in one canonical spelling:

- three letters (four for quadriliteral roots such as ترجم, زلزل);
- hamza on any seat (أ إ آ ؤ ئ ء) written ``ء``: أكل -> ءكل, سأل -> سءل, قرأ -> قرء;
- a weak radical written ``و`` or ``ي`` (never ا or ى): قال -> قول, باع -> بيع,
  دعا -> دعو, رمى -> رمي, وعد -> وعد;
- a doubled root with its three letters: مدّ -> مدد, ظنّ -> ظنن.

The algorithm starts from ISRI (Taghva, Elkhoury and Coombs 2005: normalise, take
off prefixes and suffixes, match the stem against the patterns of its length) and
differs where ISRI is weak: instead of one fixed order of stripping it scores every
way of splitting the word, and it restores the weak, hamzated and doubled radicals
that the written word hides. Its steps, one function each:

1. :func:`normalise`: NFC, marks, tatweel and controls dropped (so diacritics never
   change the root), hamza seats to ء, آ to ءا, ٱ to ا, Persian letters to Arabic;
   ى and ة kept (they are evidence). Anything but Arabic letters gives ``None``.
2. :data:`PARTICLES` and :data:`EXCEPTIONS`: particles,
   pronouns and demonstratives, also with a conjunction, a preposition or a pronoun
   (وهو, بهذا, عنهما, علينا), have no root; a few frequent words the patterns cannot
   read (imperatives such as قل and خذ, forms of رأى, the word الله) are looked up.
3. :func:`splits`: every split of the word into proclitics (و ف, ب ك ل, ال and
   its combinations, the future س before an imperfect), a stem, and suffixes
   (inflections such as ة ات ون ين وا ت, pronouns such as ه هم نا, and their
   combinations), each with a cost. A word with the article is read with it taken
   off (الناس is ال + ناس, not أفعال of لنس) unless ت follows it (التقى).
4. :func:`stem_roots`: the stem is matched against the patterns of its length
   (:data:`PATTERNS`: فاعل مفعول افتعال استفعل تفاعيل ... and the imperfect
   prefixes ي ت ن أ); each match names the radicals. A stem that lost a final weak
   radical before a suffix (يمشون, اهدنا) is also tried with it restored; a stem of
   two letters is read as doubled (مد -> مدد), hollow before a subject suffix
   (قلت -> قول), assimilated (صلة -> وصل) or defective (رموا -> رمي).
5. :func:`resolve`: the radicals the spelling hides are decided: a first ا is ء;
   a middle ا, ء or ي and a last ا, ى, ي or ء are matched against short lists of
   frequent weak and hamzated roots (:data:`HOLLOW_WAW`, :data:`HOLLOW_YEH`,
   :data:`DEFECTIVE_WAW`, :data:`DEFECTIVE_YEH`, :data:`HAMZATED`), defaulting to
   what the letter shows (a middle or last ا is و, a last ى is ي, a written و or
   ي stays).
6. :func:`score`: the pattern's weight (mostly how many pattern letters matched)
   minus the cost of what was taken off; a listed root gains a bonus, larger when
   the list decided a hidden radical (قال, قائل, موتى). A reading that supplies a
   radical the word does not write (يمدّ -> مدد, يعد -> وعد, a restored weak
   radical, a quadriliteral out of a longer stem) stands only for a listed root
   (:data:`DOUBLED`, :data:`ASSIMILATED`, :data:`QUADRILITERAL` and the lists
   above); only a bare stem of two letters is read as an unlisted doubled root.
   The best reading of all splits wins, ties going to the earlier pattern. A few
   named adjustments settle frequent confusions: و or ف + C ا C is the conjunction
   and a hollow verb (فقال, وكانت), a final ت after فاعل, فعال or فعيل letters is
   the suffix (قالت, رميت, مرات).

The best reading of each stem is remembered (bounded caches), since words share
stems: a first pass over the 57,809 distinct words of the hadith corpus takes about
20 us a word.

Known limits (measured by ``benchmarks/roots.py``; tuning 99%, held-out 97%):

- No root dictionary: a word whose letters fit a pattern of the wrong root gets
  that root: فساد is read as ف + ساد (سود) because فقال and وكان are far more
  frequent; نفسه as نفعل of فسه; الملكية as مفعل of لكي; يتلون as يتفعّل of
  لون; مكتبات as كبت.
- Weak and hamzated radicals the spelling hides are only as good as the lists: a
  hollow root with ي outside :data:`HOLLOW_YEH` is given و (شاخ -> شوخ, not
  شيخ), سائل is سءل (never سيل), and يرد is ردد (ورد is left out of
  :data:`ASSIMILATED` for that reason).
- A doubled stem before a pronoun (ردّه, حبّه) is not undone; quadriliteral
  plurals of the pattern فعاليل (براهين) are not read.
- Doubly weak roots and verbs that lose two radicals are read only as far as
  :data:`EXCEPTIONS` and the patterns go (يرى, آت, اتقوا, كلوا and خذ are;
  most others are not).
- Roots of five letters and loanwords are not attempted; proper names get the root
  their letters suggest (محمد -> حمد) or none (إبراهيم).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator

from archive.arabic.codepoints import (
    ALEF,
    ALEF_HAMZA_ABOVE,
    ALEF_HAMZA_BELOW,
    ALEF_MADDA,
    ALEF_MAQSURA,
    ALEF_WASLA,
    ALEF_WAVY_HAMZA_ABOVE,
    ALEF_WAVY_HAMZA_BELOW,
    BEH,
    CONTROLS,
    FEH,
    HAMZA,
    KAF,
    LAM,
    LETTER_FORMING_MARKS,
    MARKS,
    NOON,
    PERSIAN_KAF,
    PERSIAN_YEH,
    SEEN,
    TATWEEL,
    TEH,
    TEH_MARBUTA,
    WAW,
    WAW_HAMZA,
    YEH,
    YEH_HAMZA,
)
from archive.errors import QueryError

__all__ = [
    "ASSIMILATED",
    "DEFECTIVE_WAW",
    "DEFECTIVE_YEH",
    "DOUBLED",
    "EXCEPTIONS",
    "HAMZATED",
    "HOLLOW_WAW",
    "HOLLOW_YEH",
    "PARTICLES",
    "PATTERNS",
    "QUADRILITERAL",
    "ROOT_LETTERS",
    "normalise",
    "readings",
    "resolve",
    "root",
    "root_key",
    "score",
    "splits",
    "stem_roots",
]

# --- Step 1: normalisation ----------------------------------------------------

#: The letters a root may be written with: the 28 letters, hamza as ء.
ROOT_LETTERS = frozenset("ءبتثجحخدذرزسشصضطظعغفقكلمنهوي")
#: The letters a normalised word may hold: the root letters, ا, and the
#: endings ة and ى that the extractor reads as evidence.
_WORD_LETTERS = ROOT_LETTERS | {ALEF, TEH_MARBUTA, ALEF_MAQSURA}

_NORMALISE: dict[int, str | None] = str.maketrans(
    {
        **dict.fromkeys(map(ord, MARKS + TATWEEL + CONTROLS)),
        **{
            ord(char): HAMZA
            for char in (
                ALEF_HAMZA_ABOVE,
                ALEF_HAMZA_BELOW,
                ALEF_WAVY_HAMZA_ABOVE,
                ALEF_WAVY_HAMZA_BELOW,
                WAW_HAMZA,
                YEH_HAMZA,
            )
        },
        ord(ALEF_MADDA): HAMZA + ALEF,
        ord(ALEF_WASLA): ALEF,
        ord(PERSIAN_YEH): YEH,
        ord(PERSIAN_KAF): KAF,
    }
)


_LETTER_FORMING = re.compile(f"[{LETTER_FORMING_MARKS}]")


def normalise(word: str) -> str | None:
    """The word as the extractor reads it, or ``None`` if it is not all Arabic letters.

    Marks, tatweel and controls are dropped; every hamza seat becomes ء and آ
    becomes ءا; ٱ becomes ا; ى and ة are kept.

    >>> normalise("وَالْمُؤْمِنِينَ"), normalise("القرآن"), normalise("كـتـاب")
    ('والمءمنين', 'القرءان', 'كتاب')
    >>> normalise("2020") is None, normalise("book") is None
    (True, True)
    """
    if _LETTER_FORMING.search(word):
        word = unicodedata.normalize("NFC", word)
    letters = word.translate(_NORMALISE)
    if not letters or not _WORD_LETTERS.issuperset(letters):
        return None
    if ALEF_MAQSURA in letters[:-1]:
        # a ى inside a word (شىء, وهىَ in the hadith text) is a ي
        letters = letters[:-1].replace(ALEF_MAQSURA, YEH) + letters[-1]
    return letters


# --- Step 2: words without a root, and irregular words ------------------------


def _words(text: str) -> frozenset[str]:
    """The normalised words of a space-separated list."""
    return frozenset(word for word in map(normalise, text.split()) if word)


#: Particles, pronouns, demonstratives and relatives (normalised): no root.
PARTICLES = _words(
    """
    في من الى إلى على عن مع عند لدى حتى منذ مذ بين نحو دون فوق تحت امام خلف قبل بعد
    لا لم لن ما ماذا لما ان ءن ءنما انما انه ءنه لكن لكنه بل ثم او ءو ام اما ءما
    قد لقد فقد سوف كل كلا بعض غير سوى الا ءلا اذا ءذا اذ ءذ لو لولا كي كيف اين ءين
    متى اي ءي هل يا ايها ءيها هو هي هم هما هن انت ءنت انا ءنا نحن انتم ءنتم
    هذا هذه هذان هاتان هؤلاء هءلاء ذلك تلك ذاك اولئك ءولئك الذي التي الذين اللذين
    اللاتي اللائي اللاءي اللذان اللتان هنا هناك ثمة ليس لست ليست نعم بلى كما مما
    عما فيما بما لها له لهم به بها بهم منه منها منهم عنه عنها عليه عليها عليهم
    اليه ءليه اليها ءليها اليهم ءليهم فيه فيها فيهم معه عنده وهو وهي فهو فهي وما
    ومن وفي ولا ولم وقد فان فءن وان وءن ءلى وعلى فلما ولما حيث كم كذا هكذا لمن بمن
    كمن لان لءن بءن كءن وبءن ءمام
    """
)

#: Particles and prepositions that take pronoun suffixes (عنه, علينا, إليك, لهم).
_PARTICLE_BASES = _words(
    "عن من في على علي الى إلى ل ب مع عند لدى لدي إن أن لكن ليت لعل بين دون منذ كل إيا"
)


def _is_particle(letters: str) -> bool:
    """Whether a normalised word is a particle, with a conjunction or pronoun."""
    for start in range(3):
        if letters[start:] in PARTICLES:
            return True
        if letters[start] in (WAW, FEH):
            continue
        if (
            letters[start] in _PARTICLE_PREPOSITIONS
            and letters[start + 1 :] in _PREPOSITION_PARTICLES
        ):
            return True
        break
    for start in (0, 1) if letters[0] in (WAW, FEH) else (0,):
        for pronoun in _PARTICLE_PRONOUNS:
            if letters.endswith(pronoun) and letters[start : -len(pronoun)] in _PARTICLE_BASES:
                return True
    return False


_PARTICLE_PREPOSITIONS = frozenset((BEH, LAM, KAF))
#: The particles a preposition is written against (بهذا, لذلك, بما).
_PREPOSITION_PARTICLES = _words("ما من هذا هذه ذلك تلك هءلاء الذي التي الذين ذا حيث")
_PARTICLE_PRONOUNS = ("ه", "ها", "هم", "هما", "هن", "ك", "كم", "كما", "كن", "ي", "ني", "نا")

#: Frequent words whose letters the patterns cannot read (normalised word -> root):
#: imperatives and jussives that lost a radical, and the name of God.
_EXCEPTIONS_AS_WRITTEN = {
    "الله": "ءله",
    "لله": "ءله",
    "والله": "ءله",
    "بالله": "ءله",
    "فالله": "ءله",
    "اللهم": "ءله",
    "ءهله": "ءهل",
    "بنت": "بني",
    "كنا": "كون",
    "فكنا": "كون",
    "وكنا": "كون",
    "قل": "قول",
    "فقل": "قول",
    "وقل": "قول",
    "قولوا": "قول",
    "كن": "كون",
    "يكن": "كون",
    "تكن": "كون",
    "نكن": "كون",
    "فكن": "كون",
    "قم": "قوم",
    "خذ": "ءخذ",
    "خذوا": "ءخذ",
    "كلوا": "ءكل",
    "فكلوا": "ءكل",
    "يرى": "رءي",
    "ترى": "رءي",
    "نرى": "رءي",
    "ارى": "رءي",
    "ءرى": "رءي",
    "رءى": "رءي",
    "رءيت": "رءي",
    "رءيا": "رءي",
    "رؤيا": "رءي",
    "رءيه": "رءي",
    "رؤية": "رءي",
    "ءتى": "ءتي",
    "ياتي": "ءتي",
    "يءتي": "ءتي",
    "ءيه": "ءيي",
    "ءيات": "ءيي",
}
EXCEPTIONS: dict[str, str] = {
    normalised: key
    for word, key in _EXCEPTIONS_AS_WRITTEN.items()
    if (normalised := normalise(word)) is not None
}

# --- Step 5: lists of frequent roots that decide the hidden radicals -----------

#: Hollow roots with و (قال يقول): a middle ا, ء (قائل) or ي (قيام, قيل) is و.
HOLLOW_WAW = _words(
    """
    قول كون قوم خوف نوم موت عود صوم زور دور لوم فوز حول طول روح نور صور سوق قود
    جوز بوح ذوق شوق عون موج لون جوع دوم زول صون هون فوت سود توب جول حوز خون
    دول رود سوء شور صوب عوذ غور فوض قوت كوم لوح نول نوب هول جوب رون
    """
)
#: Hollow roots with ي (باع يبيع): a middle ا or ء (بائع) is ي.
HOLLOW_YEH = _words(
    """
    بيع سير طير خير عيش زيد غيب شيء جيء سيل ميل ضيف بين ريب عيب غيظ صيد عين كيل
    نيل حيض طيب ضيق بيت حين شيب فيض صير دين ريش زين سيف غير قيد
    """
)
#: Defective roots with و (دعا يدعو): a last ا, ى, ي or ء (دعاء, الداعي) is و.
DEFECTIVE_WAW = _words(
    """
    دعو صلو تلو عفو شكو رجو علو دنو نجو غزو بدو سمو خلو عدو صفو لهو لغو حلو سهو صحو
    محو نمو زكو جفو قسو كسو سلو غلو عصو ربو خطو غدو نبو
    """
)
#: Defective roots with ي (رمى يرمي): a last ا, ى, و or ء (بناء) is ي.
DEFECTIVE_YEH = _words(
    """
    رمي مشي بقي بني هدي نسي لقي جري رضي قضي بكي سقي كفي سعي مضي جزي حكي خفي رءي
    ءتي نهي وفي وقي ولي بغي شفي سري رعي حيي حمي عمي غني فني قوي لوي نوي هوي شوي
    طوي روي خشي لحي نعي دري رقي شري عصي غشي غلي قري كوي لغي مني نشي هوي يءس
    """
)
#: Assimilated roots (وعد يعد): a lost first radical (يعد, صلة) is و, and the ي
#: of ميعاد or ميزان is that و.
ASSIMILATED = _words(
    """
    وعد وجد وصل وقف وضع ورث وهب وزن ولد وسع وقع وثق وصف وفد وقي وعظ وسم وجب وجه
    وحد ودع وذر وزر وسط وصي وضح وطن وعي وفق وفي وكل ولي وهن يسر يقن يءس
    """
)
#: Roots with a hamza the spelling may hide or that patterns confuse (سائل,
#: أمراء): a middle or last ء is kept for these, and preferred over a weak reading.
HAMZATED = _words(
    """
    سءل رءس بءس ذءب لءم رءف سءم بءر فءد رءي نءي قرء بدء ملء نشء جزء خطء هنء بطء
    دفء ضوء سوء شيء جيء مرء ظمء بوء لجء نبء وطء برء ءكل ءمر ءخذ ءمن ءهل ءذن ءجر
    ءرض ءتي ءخر ءلف ءسر ءصل ءمم ءنس ءول ءبي ءله ءلم ءثر ءدب ءمل ءيي يءس
    """
)
#: Doubled roots (مدّ يمدّ): a stem of two letters is read as one of these first.
DOUBLED = _words(
    """
    مدد ردد ظنن مرر حبب شدد حقق عدد سرر ضرر تمم ظلل دلل شكك قرر فرر مسس ضلل
    حلل حجج همم عزز ذلل قلل كفف صفف خصص عمم حسس ربب جنن خفف سنن شقق طبب عدد كلل
    قصص ضمم
    """
)
#: Quadriliteral roots that patterns of three radicals would misread (تراجم).
QUADRILITERAL = _words(
    """
    ترجم زلزل وسوس طمءن برهن سيطر دحرج بعثر عسكر فلسف هيمن سلسل زخرف زمجر عرقل
    """
)

_KNOWN = (
    HOLLOW_WAW
    | HOLLOW_YEH
    | DEFECTIVE_WAW
    | DEFECTIVE_YEH
    | ASSIMILATED
    | HAMZATED
    | DOUBLED
    | QUADRILITERAL
)
_WEAK = WAW + YEH + ALEF + ALEF_MAQSURA + HAMZA


def _middle(r1: str, seen: str, r3: str) -> str:
    """The middle radical of ``r1 ? r3`` when the spelling shows ``seen``."""
    waw, yeh, hamza = r1 + WAW + r3, r1 + YEH + r3, r1 + HAMZA + r3
    if seen == HAMZA and hamza in HAMZATED:
        return HAMZA
    if seen == YEH and yeh in HOLLOW_YEH:
        return YEH
    if waw in HOLLOW_WAW:
        return WAW
    if yeh in HOLLOW_YEH:
        return YEH
    if seen == ALEF:
        return WAW
    return seen


def _last(r1: str, r2: str, seen: str) -> str:
    """The last radical of ``r1 r2 ?`` when the spelling shows ``seen``."""
    waw, yeh, hamza = r1 + r2 + WAW, r1 + r2 + YEH, r1 + r2 + HAMZA
    if seen == HAMZA and hamza in HAMZATED:
        return HAMZA
    if seen == WAW:
        return WAW
    first, second = (waw, yeh) if seen == ALEF else (yeh, waw)
    if first in DEFECTIVE_WAW or first in DEFECTIVE_YEH:
        return first[2]
    if second in DEFECTIVE_WAW or second in DEFECTIVE_YEH:
        return second[2]
    if seen == ALEF:
        return WAW
    if seen == ALEF_MAQSURA:
        return YEH
    return seen


def resolve(radicals: str) -> str:
    """The canonical root of the radicals a pattern found, hidden letters decided.

    >>> [resolve(r) for r in ["قال", "باع", "قءل", "صيم", "دعا", "رمى", "بنء", "اكل"]]
    ['قول', 'بيع', 'قول', 'صوم', 'دعو', 'رمي', 'بني', 'ءكل']
    """
    if len(radicals) != 3:
        if radicals[0] == ALEF:
            radicals = HAMZA + radicals[1:]
        return radicals
    r1, r2, r3 = radicals[0], radicals[1], radicals[2]
    if r1 == ALEF:
        r1 = HAMZA
    if r2 in _WEAK:
        r2 = _middle(r1, r2, r3)
    if r3 in _WEAK:
        r3 = _last(r1, r2, r3)
    return r1 + r2 + r3


# --- Step 3: splits into proclitics, stem and suffixes -----------------------

_CONJUNCTIONS = (WAW, FEH)
_ARTICLE = ALEF + LAM
#: Proclitics and their costs (taking off letters that may be radicals costs).
_PROCLITICS: dict[str, float] = {"": 0.0}
for _conj, _conj_cost in (("", 0.0), (WAW, 1.0), (FEH, 1.2)):
    if _conj:
        _PROCLITICS[_conj] = _conj_cost
    for _art in (_ARTICLE, BEH + _ARTICLE, KAF + _ARTICLE, LAM + LAM):
        _PROCLITICS[_conj + _art] = _conj_cost * 0.3 - 1.5
    for _prep in (BEH, KAF, LAM):
        _PROCLITICS[_conj + _prep] = _conj_cost + 1.8
    _PROCLITICS[_conj + SEEN] = _conj_cost + 1.0
    _PROCLITICS[_conj + LAM + YEH] = _conj_cost + 2.0

_PRONOUNS: dict[str, float] = {
    "ه": 0.3,
    "ها": 0.5,
    "هم": 0.5,
    "هما": 0.5,
    "هن": 0.7,
    "ك": 1.3,
    "كم": 0.7,
    "كما": 0.7,
    "كن": 1.0,
    "ي": 1.2,
    "ني": 0.7,
    "نا": 0.6,
}
_INFLECTIONS: dict[str, float] = {
    "ة": 0.2,
    "ات": 0.4,
    "ون": 0.4,
    "ين": 0.4,
    "ان": 0.7,
    "وا": 0.4,
    "ا": 0.8,
    "ت": 0.5,
    "تم": 0.8,
    "تن": 1.0,
    "تما": 0.8,
    "نا": 0.6,
    "ن": 1.6,
    "ي": 1.2,
    "ية": 0.3,
    "يات": 0.6,
    "تا": 1.0,
    "تين": 0.4,
    "تان": 0.5,
}
#: Inflections as written before a pronoun (ة as ت, ون and وا as و, تم as تمو).
_BEFORE_PRONOUN: dict[str, float] = {
    "": 0.0,
    "ت": 0.3,
    "ات": 0.4,
    "و": 0.5,
    "ا": 0.7,
    "ين": 0.4,
    "تمو": 0.8,
    "نا": 0.6,
    "ي": 1.0,
    "ت" + "ا": 0.9,
    "ون": 0.4,
    "ان": 0.7,
}
_SUFFIXES: dict[str, float] = {"": 0.0, **_INFLECTIONS}
for _pron, _pron_cost in _PRONOUNS.items():
    for _infl, _infl_cost in _BEFORE_PRONOUN.items():
        _suffix = _infl + _pron
        _cost = _pron_cost + _infl_cost
        if _suffix not in _SUFFIXES or _SUFFIXES[_suffix] > _cost:
            _SUFFIXES[_suffix] = _cost

del _SUFFIXES[""], _PROCLITICS[""]
del _conj, _conj_cost, _art, _prep, _pron, _pron_cost, _infl, _infl_cost, _suffix, _cost

#: A stem needs this many letters left.
_MIN_STEM = 2
#: A stem of four letters و or ف + C ا C (or C ي C) is read as the conjunction
#: and a hollow verb (فقال, وكانت, فقيل), not as فعال or فعيل (which makes فساد
#: ف + ساد).
_CONJUNCTION_HOLLOW_BONUS = 2.0
#: A suffix that cannot follow the stem's last letter (وا is one suffix, not و + ا).
_NOT_AFTER = {"ا": WAW, "ن": WAW + YEH + ALEF}


#: Proclitics that hold the article: a word that starts with one is read with
#: it taken off (الناس is ال + ناس, not أفعال of لنس), except before ت, where
#: the word may be افتعل of a root with first ل (التقى).
_ARTICLE_PROCLITICS = frozenset(
    pro for pro in _PROCLITICS if pro.endswith(_ARTICLE) or pro.endswith(LAM + LAM)
)


def splits(word: str) -> list[tuple[str, str, str, float]]:
    """Every split of a normalised word: ``(proclitics, stem, suffixes, cost)``,
    cheapest first.

    >>> ("وب", "كتاب", "هم", 3.3) in [(p, s, x, round(c, 1)) for p, s, x, c in splits("وبكتابهم")]
    True
    """
    n = len(word)
    prefixes: list[tuple[int, float]] = []
    article = False
    for length in range(min(_LONGEST_PROCLITIC, n - _MIN_STEM), 0, -1):
        pro = word[:length]
        cost = _PROCLITICS.get(pro)
        if cost is None:
            continue
        if pro[-1] == SEEN and (word[length] not in _IMPERFECT or n - length < 4):
            # the future س only before an imperfect verb (سيكون, سنعمل)
            continue
        if pro in _ARTICLE_PROCLITICS:
            if article:
                continue
            article = word[length] != TEH
        prefixes.append((length, cost))
    if not article:
        prefixes.append((0, 0.0))
    suffixes: list[tuple[int, float]] = [(0, 0.0)]
    for length in range(1, min(_LONGEST_SUFFIX, n - _MIN_STEM) + 1):
        cost = _SUFFIXES.get(word[-length:])
        if cost is not None:
            suffixes.append((length, cost))
    result = []
    for start, pro_cost in prefixes:
        for length, suffix_cost in suffixes:
            end = n - length
            if end - start < _MIN_STEM:
                continue
            suffix = word[end:]
            if length and word[end - 1] in _NOT_AFTER.get(suffix, ""):
                continue
            stem = word[start:end]
            cost = pro_cost + suffix_cost
            if not start and len(stem) == 4 and stem[0] in _CONJUNCTIONS and stem[2] in (ALEF, YEH):
                cost += _CONJUNCTION_HOLLOW_BONUS
            result.append((word[:start], stem, suffix, cost))
    result.sort(key=_split_cost)
    return result


def _split_cost(split: tuple[str, str, str, float]) -> float:
    return split[3]


_LONGEST_PROCLITIC = max(map(len, _PROCLITICS))
_IMPERFECT = frozenset((YEH, TEH, NOON, HAMZA, ALEF))
_LONGEST_SUFFIX = max(map(len, _SUFFIXES))


# --- Step 4: patterns ----------------------------------------------------------

#: The patterns: ``(pattern, recipe, weight)``. In a pattern the digits 1-4 are the
#: radicals and other letters must be there; the recipe builds the radicals from
#: the digits (``"122"``: a doubled root; ``"و12"``: an assimilated root whose و
#: the pattern absorbed; ``"ء12"``: the hamza of إيمان written ي). The weight is
#: the evidence a match gives (mostly how many pattern letters it matched); on a
#: tie the earlier pattern wins.
PATTERNS: tuple[tuple[str, str, float], ...] = (
    # three letters
    ("123", "123", 0.0),
    # four letters
    ("1ا23", "123", 1.0),  # فاعل
    ("12ا3", "123", 1.0),  # فعال
    ("12و3", "123", 1.0),  # فعول
    ("12ي3", "123", 1.0),  # فعيل
    ("123ى", "123", 1.0),  # فعلى
    ("م123", "123", 1.0),  # مفعل
    ("ي123", "123", 1.05),  # يفعل
    ("ت123", "123", 0.9),  # تفعل
    ("ن123", "123", 0.4),  # نفعل
    ("ا123", "123", 0.8),  # أفعل
    ("ات12", "و12", 1.2),  # اتّعد: افتعل of an assimilated root
    ("1234", "1234", -2.0),
    # five letters
    ("م12و3", "123", 2.0),  # مفعول
    ("م1ا23", "123", 2.0),  # مفاعل
    ("م12ا3", "123", 2.0),  # مفعال
    ("م12ي3", "123", 2.0),  # مفعيل
    ("ا1ت23", "123", 2.0),  # افتعل
    ("123اء", "123", 2.0),  # فعلاء
    ("ا12ا3", "123", 2.0),  # أفعال
    ("ا12و3", "123", 2.0),  # أفعول (أسبوع, أسلوب)
    ("اي1ا2", "ء12", 3.0),  # إيمان: إفعال of a root with first hamza
    ("مي1ا2", "و12", 3.0),  # ميعاد, ميزان: مفعال of an assimilated root
    ("ت1ا23", "123", 2.0),  # تفاعل
    ("ت12ي3", "123", 2.0),  # تفعيل
    ("1ا2و3", "123", 2.0),  # فاعول
    ("1وا23", "123", 2.0),  # فواعل
    ("12اء3", "123", 1.9),  # فعائل
    ("م1ت23", "123", 1.6),  # مفتعل
    ("ي1ت23", "123", 2.0),  # يفتعل
    ("ت1ت23", "123", 2.0),  # تفتعل
    ("ن1ت23", "123", 1.9),  # نفتعل
    ("ي1ا23", "123", 1.9),  # يفاعل
    ("ت12ا3", "123", 1.8),  # تفعال
    ("ا1ا23", "123", 1.8),  # أفاعل
    ("12ا3ي", "123", 1.8),  # فعالي
    ("مت123", "123", 1.9),  # متفعّل
    ("يت123", "123", 1.9),  # يتفعّل
    ("تت123", "123", 1.8),  # تتفعّل
    ("ان123", "123", 1.2),  # انفعل
    ("من123", "123", 1.2),  # منفعل
    ("ين123", "123", 1.1),  # ينفعل
    ("است12", "122", 2.2),  # استمرّ
    ("مست12", "122", 2.2),  # مستمرّ
    ("ات1ا2", "و12", 2.2),  # اتّصال
    ("مت1ت2", "و12", 2.2),  # متّصل is مت12 below; this is rare
    ("ا1234", "1234", -0.8),  # افعلل (اطمأنّ)
    ("م1234", "1234", -0.8),  # مفعلل
    ("ت1234", "1234", -0.8),  # تفعلل
    ("ي1234", "1234", -0.8),  # يفعلل
    ("12ا34", "1234", 0.0),  # فعالل (زلازل)
    ("123ا4", "1234", 0.0),  # فعلال (زلزال)
    ("123و4", "1234", -1.0),  # فعلول (جمهور)
    # six letters
    ("است123", "123", 3.0),  # استفعل
    ("مست123", "123", 3.0),  # مستفعل
    ("يست123", "123", 3.0),  # يستفعل
    ("تست123", "123", 3.0),  # تستفعل
    ("نست123", "123", 2.9),  # نستفعل
    ("ا1ت2ا3", "123", 3.0),  # افتعال
    ("ان12ا3", "123", 2.9),  # انفعال
    ("ت1ا2ي3", "123", 3.0),  # تفاعيل
    ("م1ا2ي3", "123", 3.0),  # مفاعيل
    ("ا1ا2ي3", "123", 3.0),  # أفاعيل
    ("م1ت2ا3", "123", 2.8),  # مفتعال
    ("مت1ا23", "123", 2.8),  # متفاعل
    ("يت1ا23", "123", 2.8),  # يتفاعل
    ("تت1ا23", "123", 2.7),  # تتفاعل
    ("مت1234", "1234", 0.2),  # متفعلل
    ("يت1234", "1234", 0.2),  # يتفعلل
    # seven letters
    ("است12ا3", "123", 4.0),  # استفعال
    ("مست1ا23", "123", 3.5),  # مستفاعل (rare)
    # doubled roots whose last two radicals the pattern writes once
    ("م12", "122", 0.3),  # مفعّ (محبة)
    ("ي12", "122", -0.3),  # يفعّ (يمدّ)
    ("ت12", "122", -0.3),  # تفعّ
    ("ن12", "122", -0.4),  # نفعّ
    ("ا12", "122", 0.3),  # أفعّ (أشدّ, أحبّ)
    ("ا12", "12ي", 0.2),  # ابن, اسم: a defective root with a prosthetic ا
    # assimilated roots whose first radical the imperfect drops (يعد, تجد)
    ("ي12", "و12", 0.2),
    ("ت12", "و12", 0.2),
    ("ن12", "و12", -0.2),
    ("ا12", "و12", -0.4),
    ("ا1ت2", "122", 1.0),  # افتعّ (اشتدّ)
    ("م1ت2", "122", 1.0),  # مفتعّ
    ("مت12", "و12", 1.1),  # متّصل
)

#: A compiled pattern: (its fixed letters by position, a format string that builds
#: the radicals from the stem, its weight, whether it invents a radical).
_Entry = tuple[tuple[tuple[int, str], ...], str, float, bool]
#: A matched pattern: (the format string, weight, invents).
_Match = tuple[str, float, bool]


def _compile() -> dict[int, tuple[_Entry, ...]]:
    """The patterns by length, each with its fixed letters and radical builder."""
    by_length: dict[int, list[_Entry]] = {}
    for order, (pattern, recipe, weight) in enumerate(PATTERNS):
        fixed = tuple((i, char) for i, char in enumerate(pattern) if not char.isdigit())
        slots = {digit: pattern.index(digit) for digit in "1234" if digit in pattern}
        builder = "".join(f"{{0[{slots[c]}]}}" if c.isdigit() else c for c in recipe)
        # a pattern that supplies a radical, or reads four radicals out of a
        # longer stem, needs the root to be listed
        invents = (
            recipe != "".join(sorted(set(recipe), key=recipe.index))
            or not recipe.isdigit()
            or (len(recipe) == 4 and pattern not in ("1234", "123و4"))
        )
        entry = (fixed, builder, weight - order * _ORDER_EPSILON, invents)
        by_length.setdefault(len(pattern), []).append(entry)
    return {length: tuple(entries) for length, entries in by_length.items()}


#: The letters patterns fix; a stem's other letters can only be radicals, so a
#: stem's *shape* (those letters kept, the others ``*``) decides which patterns
#: match it, and the matches of each shape are computed once.
_PATTERN_LETTERS = frozenset(
    char for pattern, _, _ in PATTERNS for char in pattern if not char.isdigit()
)
_SHAPE = str.maketrans(
    {
        char: "*"
        for char in ROOT_LETTERS | {ALEF, ALEF_MAQSURA, TEH_MARBUTA}
        if char not in _PATTERN_LETTERS
    }
)
_SHAPES: dict[str, tuple[_Match, ...]] = {}
#: The most shapes remembered (the cache is emptied when it is full).
_MAX_SHAPES = 50_000


def _matches(stem: str) -> tuple[_Match, ...]:
    shape = stem.translate(_SHAPE)
    found = _SHAPES.get(shape)
    if found is None:
        found = tuple(
            (builder, weight, invents)
            for fixed, builder, weight, invents in _BY_LENGTH.get(len(stem), ())
            if all(shape[i] == char for i, char in fixed)
        )
        if len(_SHAPES) >= _MAX_SHAPES:
            _SHAPES.clear()
        _SHAPES[shape] = found
    return found


#: A small bonus for the earlier of two patterns of the same weight.
_ORDER_EPSILON = 1e-4
_BY_LENGTH = _compile()
#: The bonus of a listed root when the spelling hid one of its radicals, and when
#: it wrote them all.
_KNOWN_BONUS = 0.7
_PLAIN_KNOWN_BONUS = 0.3
#: An unlisted root whose first hamza is a stem's first ا (اكل) loses this much:
#: that ا is as often the pattern's.
_ALEF_HAMZA_PENALTY = 0.3
#: A first radical ي is rare (يسر, يقن): unlisted roots so read lose this much.
_YEH_FIRST_PENALTY = 1.0
#: The cost of restoring a last weak radical the word dropped (يمشون, اهدنا).
_RESTORE_COST = 0.6
#: Suffixes before which a defective verb drops its last radical (يمشون, رموا).
_DROPPING_SUFFIXES = frozenset(("ون", "ين", "وا", "ن", "نا", "ه", "هم", "ها", "ك", "كم"))
#: Readings of a stem of two letters: (recipe, weight, invented). Only the doubled
#: reading stands for a root outside the lists, and loses to a listed one.
_TWO_LETTER_READINGS = (
    ("122", -0.3, True),
    ("1ا2", -0.4, True),
    ("و12", -0.4, True),
    ("12ي", -0.4, True),
)
_UNLISTED_DOUBLED = -0.9
#: A hollow verb loses its ا before a subject suffix (قلت, كنا); doubled verbs
#: keep both letters (ظننت), so such a stem of two letters is hollow first.
_SUBJECT_SUFFIXES = frozenset(("ت", "تم", "تن", "تما", "نا"))
_SUBJECT_HOLLOW_BONUS = 2.0
#: فعيل or فعال reading of a final ت (رميت, مرات) is mostly a suffix ت.
_FINAL_TEH_PENALTY = 1.3
#: ... and more when the stem ends in ات, the plural ending (مرات).
_FINAL_AT_PENALTY = 1.8
#: The bonus of a listed quadriliteral root over patterns of three radicals.
_QUADRILITERAL_BONUS = 3.5
_Reading = tuple[str, float, bool]


def stem_roots(stem: str) -> Iterator[_Reading]:
    """The readings of a stem by the patterns: ``(radicals, weight, invented)``,
    where ``invented`` says the pattern supplied a radical the stem does not
    write (a doubled or assimilated root), which only a listed root may do.

    >>> sorted({r for r, _, _ in stem_roots("مكاتب")})
    ['كاتب', 'كتب', 'مكتب']
    """
    if stem[0] == HAMZA:
        stem = ALEF + stem[1:]
    for builder, weight, invents in _matches(stem):
        yield builder.format(stem), weight, invents


def _build(stem: str, slots: tuple[int, ...], recipe: str) -> str:
    radicals = [stem[i] for i in slots]
    return "".join(radicals[int(c) - 1] if c.isdigit() else c for c in recipe)


# --- Step 6: scoring -------------------------------------------------------------


def score(radicals: str, weight: float, invented: bool = False) -> tuple[str, float] | None:
    """The canonical root of a reading and its value before costs, or ``None`` if
    the reading cannot be a root (an invented radical of an unlisted root, ة or a
    medial ى among the radicals, a first radical written twice).

    >>> score("قال", 0.0), score("صور", 2.0), score("صرر", 0.5, invented=True)
    (('قول', 0.7), ('صور', 2.3), None)
    >>> score("مدد", -0.3, invented=True)
    ('مدد', -0.3)
    """
    resolved = _RESOLVED.get(radicals)
    if resolved is None:
        if len(_RESOLVED) >= _MAX_RESOLVED:
            _RESOLVED.clear()
        resolved = _RESOLVED[radicals] = _resolve_checked(radicals)
    key, known = resolved
    if not key:
        return None
    if not known:
        if invented or radicals[-1] == ALEF:
            return None
        if key[0] == YEH:
            weight -= _YEH_FIRST_PENALTY
        elif radicals[0] == ALEF:
            weight -= _ALEF_HAMZA_PENALTY
    elif len(key) == 4:
        weight += _QUADRILITERAL_BONUS
    elif invented:
        # a reading that supplied a radical (يمدّ, يعد) was only let in by the list
        pass
    elif key != radicals or HAMZA in radicals:
        # the list decided a radical the spelling hid (قال, قائل)
        weight += _KNOWN_BONUS
    else:
        weight += _PLAIN_KNOWN_BONUS
    return key, weight


def _resolve_checked(radicals: str) -> tuple[str, bool]:
    """``(root, listed)`` of some radicals, the root empty if they cannot be one."""
    if TEH_MARBUTA in radicals or ALEF_MAQSURA in radicals[:-1]:
        return "", False
    if radicals[1:].count(ALEF) + radicals.count(ALEF_MAQSURA) > 1:
        return "", False
    key = resolve(radicals)
    if not ROOT_LETTERS.issuperset(key) or key[0] == key[1]:
        return "", False
    return key, key in _KNOWN


#: The resolution of radicals already seen (bounded by the patterns: at most a
#: few tens of thousands of strings of three or four letters).
_RESOLVED: dict[str, tuple[str, bool]] = {}
_MAX_RESOLVED = 100_000


def root(word: str) -> str | None:
    """The root of one written word, in the spelling of :func:`root_key`, or ``None``.

    The word may be vocalised, stretched with tatweel, carry clitics (و ف ب ك ل ال)
    and pronoun suffixes, any hamza seat, ة and ى. Particles, numbers, words that
    are not Arabic and words of fewer than two letters have no root.

    >>> words = ["كتاب", "مكتبة", "كاتب", "يكتبون", "مكتوب", "الكتابة", "كتابهم", "مكاتب"]
    >>> [root(w) for w in words]
    ['كتب', 'كتب', 'كتب', 'كتب', 'كتب', 'كتب', 'كتب', 'كتب']
    >>> [root(w) for w in ["قَالَ", "يبيع", "دعا", "رمى", "يعد", "سأل", "مدّ"]]
    ['قول', 'بيع', 'دعو', 'رمي', 'وعد', 'سءل', 'مدد']
    >>> root("في"), root("2020"), root("book"), root("ب")
    (None, None, None, None)
    """
    letters = normalise(word)
    if letters is None or len(letters) < 2 or _is_particle(letters):
        return None
    exception = EXCEPTIONS.get(letters)
    if exception is not None:
        return exception
    return _best(letters)


def readings(letters: str) -> Iterator[tuple[str, float, str, str, str]]:
    """Every scored reading of a normalised word: ``(root, value, proclitics, stem,
    suffixes)``; :func:`root` takes the first of highest value."""
    for pro, stem, suffix, cost in splits(letters):
        for radicals, weight, invented in _stem_readings(stem, suffix):
            scored = score(radicals, weight, invented)
            if scored is not None:
                yield scored[0], scored[1] - cost, pro, stem, suffix


def _best(letters: str) -> str | None:
    best: str | None = None
    best_value = float("-inf")
    for _, stem, suffix, cost in splits(letters):
        context = (stem, suffix in _SUBJECT_SUFFIXES, suffix in _DROPPING_SUFFIXES)
        found = _STEMS.get(context)
        if found is None:
            found = _stem_best(stem, suffix)
            if len(_STEMS) >= _MAX_STEMS:
                _STEMS.clear()
            _STEMS[context] = found
        if found[0] is not None and found[1] - cost > best_value:
            best, best_value = found[0], found[1] - cost
    return best


def _stem_best(stem: str, suffix: str) -> tuple[str | None, float]:
    """The best root of a stem before the costs of its split, and its value."""
    best: str | None = None
    best_value = float("-inf")
    for radicals, weight, invented in _stem_readings(stem, suffix):
        scored = score(radicals, weight, invented)
        if scored is not None and scored[1] > best_value:
            best, best_value = scored
    return best, best_value


#: The best reading of each stem seen, by the letters of the stem and what its
#: suffix tells (a subject suffix, a suffix that drops a weak radical): words
#: share stems (كتاب, وكتاب, بكتابهم), so each is read once.
_STEMS: dict[tuple[str, bool, bool], tuple[str | None, float]] = {}
_MAX_STEMS = 100_000


def _two_letter_readings(stem: str, suffix: str) -> Iterator[_Reading]:
    for recipe, weight, invented in _TWO_LETTER_READINGS:
        radicals = _build(stem, (0, 1), recipe)
        if recipe == "122" and radicals not in DOUBLED:
            weight = _UNLISTED_DOUBLED
            invented = False
        elif recipe == "1ا2":
            if suffix not in _SUBJECT_SUFFIXES:
                continue
            weight += _SUBJECT_HOLLOW_BONUS
        yield radicals, weight, invented


def _stem_readings(stem: str, suffix: str) -> Iterator[_Reading]:
    n = len(stem)
    if n == 2:
        yield from _two_letter_readings(stem, suffix)
    elif n == 4 and stem[-1] == TEH and (stem[1] == ALEF or stem[2] in (YEH, ALEF)):
        penalty = _FINAL_AT_PENALTY if stem[2] == ALEF else _FINAL_TEH_PENALTY
        for radicals, weight, invented in stem_roots(stem):
            yield radicals, weight - (penalty if radicals[-1] == TEH else 0.0), invented
    else:
        for radicals, weight, invented in stem_roots(stem):
            if radicals[-1] != ALEF or n == 3:
                yield radicals, weight, invented
    if n <= 4 and suffix in _DROPPING_SUFFIXES and stem[-1] not in _WEAK:
        restored = stem + YEH
        for radicals, weight, _ in stem_roots(restored):
            yield radicals, weight - _RESTORE_COST, True


# --- root_key: the root a user typed ------------------------------------------------


def root_key(text: str) -> str:
    """The canonical form of a root typed in a query (``root:أكل``).

    Diacritics and tatweel are dropped; hamza on any seat and a first ا are ء
    (أكل, ءكل and اكل give ءكل); ى is ي; a middle or last ا (قال, دعا, رما) is
    the weak radical the lists give, else و: قال and قول give قول, باع and
    بيع give بيع, رمى, رما and رمي give رمي, دعا and دعو give دعو. Two letters
    are a doubled root: مد gives مدد.

    >>> [root_key(t) for t in ["أكل", "ءكل", "اكل", "قال", "قول", "رمى", "رما", "كَتَبَ", "مد"]]
    ['ءكل', 'ءكل', 'ءكل', 'قول', 'قول', 'رمي', 'رمي', 'كتب', 'مدد']

    Raises:
        QueryError: the text is empty, holds anything but Arabic letters, or has
            fewer than two or more than four letters once normalised.
    """
    if not text.strip():
        raise QueryError("a root is empty", text)
    letters = normalise(text.strip())
    if letters is None:
        raise QueryError("a root is written in Arabic letters only", text)
    if TEH_MARBUTA in letters:
        raise QueryError("a root has no ة", text)
    if not 2 <= len(letters) <= 4:
        raise QueryError("a root has two to four letters", text)
    if len(letters) == 2:
        letters += letters[1]
    key = letters[0].replace(ALEF, HAMZA) + letters[1:]
    if len(key) == 3:
        r1, r2, r3 = key[0], key[1], key[2]
        if r2 in (ALEF, ALEF_MAQSURA):
            r2 = _middle(r1, ALEF, r3)
        if r3 in (ALEF, ALEF_MAQSURA):
            r3 = _last(r1, r2, r3)
        key = r1 + r2 + r3
    key = key.replace(ALEF_MAQSURA, YEH)
    if not ROOT_LETTERS.issuperset(key):
        raise QueryError("a root has no ا inside it", text)
    return key
