"""The engine-neutral analysis (archive.arabic.analysis) and its Whoosh adapter agree."""

from __future__ import annotations

import ast
import importlib
import json
import pickle
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import archive
from archive import arabic
from archive.arabic.analysis import (
    EXACT,
    EXACT_SEPARATOR,
    LIGHT,
    MODES,
    SEARCH,
    STEM,
    STEM_BOOST,
    SURFACE,
    Analyzer,
    Token,
    analyze,
)
from archive.engines.whoosh.analysis import ArabicFoldFilter, arabic_analyzer
from tests.conftest import DATA, ROOT

#: A profile with every contested fold the other way from the default.
OTHER = arabic.Profile(hamza_seats=True, ta_marbuta=False, alef_maqsura=False, digits=False)
PROFILES = [arabic.DEFAULT, OTHER]

HAND_WRITTEN = [
    "قال رسول الله ﷺ: إنما الأعمال بالنيات",  # a ligature of four words
    "النبيﷺ والصحابة ﷽",  # a ligature against a word; the basmala ligature
    "ٱلۡحَمۡدُ لِلَّهِ رَبِّ ٱلۡعَٰلَمِينَ",  # an Uthmani word with two spellings
    "ٱلسَّمَٰوَٰتِ وَٱلۡأَرۡضِ يَدۡعُواْ",  # four spellings; a silent alef
    "قال ّ كتاب",  # a lone shadda folds to nothing
    "كتـــاب ـ ـــ الكتاب",  # tatweel inside a word and alone
    "عام1913 وعام١٩١٣ و۱۹۱۷",  # letters and digits apart; Arabic-Indic digits
    "مسؤول رئيس شيء مدرسة على مستشفى",  # the contested folds
    "قال\u200f: سلا\u200cم Lenin",  # controls, Latin
    "\ufefb \ufdf2 \ufe8d\ufedf\ufee0\ufeea",  # presentation forms
    "بالكتاب لبنان والمدرسة كتابهم",  # clitics, prepositions, light stems
    "",
]


def _texts() -> list[str]:
    texts = []
    for path in sorted(DATA.glob("*.jsonl")):
        with path.open(encoding="utf-8") as handle:
            texts.extend(json.loads(line)["text"] for line in handle)
    return texts + HAND_WRITTEN


TEXTS = _texts()

Row = tuple[str, int, int, int, float]


def _whoosh(text: str, mode: str, profile: arabic.Profile, query: bool) -> list[Row]:
    """The tokens the Whoosh analyzer gives, as (term, position, start, end, weight)."""
    tokens = arabic_analyzer(mode, profile)(
        text, positions=True, chars=True, mode="query" if query else ""
    )
    return [(t.text, t.pos, t.startchar, t.endchar, t.boost) for t in tokens]


def _rows(tokens: list[Token]) -> list[Row]:
    return [(t.term, t.position, t.start, t.end, t.weight) for t in tokens]


@pytest.mark.parametrize("profile", PROFILES, ids=["default", "other"])
@pytest.mark.parametrize("query", [False, True], ids=["index", "query"])
@pytest.mark.parametrize("mode", MODES)
def test_analyzer_gives_the_whoosh_analyzers_tokens(
    mode: str, query: bool, profile: arabic.Profile
) -> None:
    analyzer = Analyzer(mode, profile, query=query)
    assert len(TEXTS) > 20
    for text in TEXTS:
        expected = _whoosh(text, mode, profile, query)
        assert _rows(analyzer(text)) == expected, text
        assert _rows(analyze(text, mode, profile, query=query)) == expected, text
    assert analyzer.cache  # the second time round from the cache
    for text in TEXTS:
        assert _rows(analyzer(text)) == _whoosh(text, mode, profile, query), text


ARABIC = "".join(map(chr, range(0x0621, 0x0656))) + "\u0670\u0671\u06e1\u06e5\u06df\u08f1"
ALPHABET = ARABIC + "\u0640\u200f\u200c ١٢3 ab\ufdfa\ufdfd\ufefb\ufe70.:"


@settings(max_examples=60, deadline=None)
@given(st.text(alphabet=ALPHABET, max_size=40))
def test_analyzer_gives_the_whoosh_analyzers_tokens_on_any_text(text: str) -> None:
    for mode in MODES:
        for profile in PROFILES:
            for query in (False, True):
                rows = _rows(Analyzer(mode, profile, query=query)(text))
                assert rows == _whoosh(text, mode, profile, query)


def test_a_ligature_is_several_tokens_at_its_offsets() -> None:
    tokens = Analyzer()("النبي ﷺ قال")
    assert _rows(tokens) == [
        ("النبي", 0, 0, 5, 1.0),
        ("صلي", 1, 6, 7, 1.0),
        ("الله", 2, 6, 7, 1.0),
        ("عليه", 3, 6, 7, 1.0),
        ("وسلم", 4, 6, 7, 1.0),
        ("قال", 5, 8, 11, 1.0),
    ]


def test_an_uthmani_word_has_its_spellings_at_one_position() -> None:
    tokens = Analyzer()("رَبِّ ٱلۡعَٰلَمِينَ")
    assert [(t.term, t.position) for t in tokens] == [("رب", 0), ("العلمين", 1), ("العالمين", 1)]
    assert tokens[1].start == tokens[2].start == 6


def test_a_word_that_folds_to_nothing_takes_no_position() -> None:
    for nothing in ("\u0651", "\u0640", "\u0640\u0640\u0640"):
        tokens = Analyzer()(f"قال {nothing} كتاب")
        assert [(t.term, t.position) for t in tokens] == [("قال", 0), ("كتاب", 1)]


def test_letters_and_digits_are_separate_tokens() -> None:
    assert [(t.term, t.start, t.end) for t in Analyzer()("عام1913 عام١٩١٣")] == [
        ("عام", 0, 3),
        ("1913", 3, 7),
        ("عام", 8, 11),
        ("1913", 11, 15),
    ]
    assert [t.term for t in Analyzer(profile=OTHER)("عام١٩١٣")] == ["عام", "١٩١٣"]


def test_modes_weights_and_query() -> None:
    assert _rows(Analyzer(SURFACE)("بالكتاب")) == [
        ("بالكتاب", 0, 0, 7, 1.0),
        ("كتاب", 0, 0, 7, STEM_BOOST),
    ]
    assert _rows(Analyzer(SURFACE, query=True)("بالكتاب")) == [("بالكتاب", 0, 0, 7, 1.0)]
    assert [t.term for t in Analyzer(STEM)("لبنان")] == ["لبنان", "بنان"]
    assert [t.term for t in Analyzer(STEM, query=True)("لبنان")] == ["لبنان"]
    assert [t.term for t in Analyzer(LIGHT, query=True)("والمدرسة")] == ["~مدرس"]
    assert [t.term for t in Analyzer(EXACT)("الكِتَابُ")] == ["الكتاب" + EXACT_SEPARATOR + "الكِتَابُ"]
    assert Analyzer(SEARCH)("") == []


def test_a_token_is_a_frozen_record() -> None:
    token = Analyzer()("كتاب")[0]
    assert token == Token("كتاب", 0, 0, 4, 1.0)
    with pytest.raises(AttributeError):
        token.term = "x"  # type: ignore[misc]


def test_an_unknown_mode_or_cache_size_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown mode"):
        Analyzer("fuzzy")
    with pytest.raises(ValueError, match="unknown mode"):
        ArabicFoldFilter("fuzzy")
    with pytest.raises(ValueError, match="cache_size"):
        Analyzer(cache_size=-1)


def test_the_cache_is_bounded() -> None:
    words = [f"كتاب{'ب' * i}" for i in range(100)]
    analyzer = Analyzer(cache_size=10)
    for word in words:
        analyzer(word)
        assert len(analyzer.cache) <= 10
    assert [t.term for t in analyzer(" ".join(words))] == words
    assert len(analyzer.cache) <= 10
    uncached = Analyzer(cache_size=0)
    assert [t.term for t in uncached("الكِتَابُ الكِتَابُ")] == ["الكتاب", "الكتاب"]
    assert uncached.cache == {}


def test_an_analyzer_pickles_without_its_cache() -> None:
    analyzer = Analyzer(SURFACE, OTHER, query=True, cache_size=7)
    analyzer("بالكتاب")
    back = pickle.loads(pickle.dumps(analyzer))
    assert (back.mode, back.profile, back.query, back.cache_size) == (SURFACE, OTHER, True, 7)
    assert back.cache == {}
    assert back("بالكتاب") == analyzer("بالكتاب")


def test_the_filter_pickles_without_its_cache() -> None:
    fresh = pickle.dumps(ArabicFoldFilter(SURFACE, OTHER))
    analyzer = arabic_analyzer(SURFACE, OTHER)
    text = "بالكتاب قال النبي ﷺ"
    used = analyzer.items[-1]
    assert isinstance(used, ArabicFoldFilter)
    expected = _whoosh(text, SURFACE, OTHER, False)
    _whoosh(text, SURFACE, OTHER, True)
    assert any(a.cache for a in used._analyzers)
    data = pickle.dumps(used)
    assert data == fresh  # the mode and the profile, nothing of the cache
    assert "كتاب".encode() not in data
    back = pickle.loads(data)
    assert back == used
    assert hash(back) == hash(used)
    assert all(not a.cache for a in back._analyzers)
    assert back.__getstate__() == {"mode": SURFACE, "profile": OTHER}
    whole = pickle.loads(pickle.dumps(analyzer))
    tokens = whole(text, positions=True, chars=True)
    assert [(t.text, t.pos, t.startchar, t.endchar, t.boost) for t in tokens] == expected


def test_a_filter_pickled_by_an_earlier_version_loads() -> None:
    """Indexes hold filters pickled with their ``__dict__``: mode and profile."""
    old = ArabicFoldFilter.__new__(ArabicFoldFilter)
    old.__setstate__({"mode": STEM, "profile": arabic.DEFAULT})
    assert old == ArabicFoldFilter(STEM)
    assert [t.text for t in (arabic_analyzer(STEM).items[0] | old)("بالكتاب")] == ["كتاب"]


#: The package under test: the checkout's, or the installed wheel's (.ci/wheel).
PACKAGE = Path(archive.__file__).resolve().parent

_NO_ENGINE = """
import sys, types
# A bare parent package: archive/__init__.py imports the whole archive, Whoosh too.
package = types.ModuleType("archive")
package.__path__ = [sys.argv[1]]
sys.modules["archive"] = package
import archive.arabic
import archive.arabic.analysis
assert archive.arabic.analysis.analyze("الكِتَابُ")[0].term == "الكتاب"
print(sorted(name for name in sys.modules if name.split(".")[0] in ("archive", "whoosh")))
"""


def test_the_arabic_package_imports_no_engine() -> None:
    result = subprocess.run(
        [sys.executable, "-c", _NO_ENGINE, str(PACKAGE)],
        capture_output=True,
        text=True,
        check=True,
        cwd=ROOT,
    )
    loaded = set(ast.literal_eval(result.stdout.strip()))
    assert not any(name.startswith("whoosh") for name in loaded)
    assert loaded - {"archive", "archive.errors"} == {
        "archive.arabic",
        *(f"archive.arabic.{path.stem}" for path in _package_modules()),
    }


def _package_modules() -> list[Path]:
    return sorted(p for p in (PACKAGE / "arabic").glob("*.py") if p.stem != "__init__")


def test_the_arabic_package_imports_only_itself_and_the_errors() -> None:
    stdlib = set(sys.stdlib_module_names)
    for path in [PACKAGE / "arabic" / "__init__.py", *_package_modules()]:
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module]
            else:
                continue
            for name in names:
                top = name.split(".")[0]
                allowed = (
                    top in stdlib
                    or top in ("__future__", "attrs", "pyarabic")
                    or name == "archive.errors"
                    or name.startswith("archive.arabic.")
                )
                assert allowed, f"{path.name} imports {name}"


def _defined(path: Path) -> set[str]:
    """The names a module's own statements define."""
    names = set()
    for statement in ast.parse(path.read_text(encoding="utf-8")).body:
        if isinstance(statement, ast.FunctionDef | ast.ClassDef):
            names.add(statement.name)
        elif isinstance(statement, ast.Assign):
            names.update(t.id for t in statement.targets if isinstance(t, ast.Name))
        elif isinstance(statement, ast.AnnAssign) and isinstance(statement.target, ast.Name):
            names.add(statement.target.id)
    return names


def test_the_package_re_exports_every_public_name_of_its_modules() -> None:
    exported = set()
    for path in _package_modules():
        if path.stem == "analysis":
            continue
        module = importlib.import_module(f"archive.arabic.{path.stem}")
        public = {name for name in _defined(path) if not name.startswith("_")}
        for name in public:
            assert getattr(arabic, name) is getattr(module, name), name
        exported |= public
    assert exported == set(arabic.__all__)
    assert len(arabic.__all__) == len(exported)
    assert callable(arabic.fold)
    assert callable(arabic.tokens)
