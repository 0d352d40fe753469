"""Arabic legacy code pages are read as what they are, or refused: never mojibake.
The samples are real text (tests/data: hadith and Quran excerpts, Wikipedia-style
prose) written in each code page."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from archive import Archive, InputError
from archive.readers._lines import detect
from tests.conftest import DATA

PROSE = (
    "الكسندر كيرنسكي رئيس الحكومة المؤقتة في روسيا، وقد سقطت الحكومة في الخريف "
    "بعد أشهر قليلة من الثورة، وعاد لينين إلى البلاد مع ستالين والكثير من القيادات.\n"
)


def _samples() -> dict[str, str]:
    hadith = "\n".join(
        json.loads(line)["text"]
        for line in (DATA / "hadith_excerpt.jsonl").read_text(encoding="utf-8").splitlines()[:20]
    )
    return {"prose": PROSE * 4, "hadith": hadith}


@pytest.mark.parametrize("sample", ["prose", "hadith"])
@pytest.mark.parametrize("codec", ["cp1256", "iso8859_6", "cp720", "mac_arabic", "utf-16-le"])
def test_each_arabic_code_page_is_detected(tmp_path: Path, sample: str, codec: str) -> None:
    data = _samples()[sample].encode(codec, errors="ignore")  # marks a code page lacks
    path = tmp_path / "legacy.txt"
    path.write_bytes(data)
    found = detect(path)
    assert data.decode(found) == data.decode(codec), found


def test_a_detected_code_page_is_searchable(tmp_path: Path) -> None:
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "dos.txt").write_bytes(PROSE.encode("cp720", errors="ignore"))
    (tmp_path / "in" / "mac.txt").write_bytes(
        PROSE.replace("لينين", "تروتسكي").encode("mac_arabic")
    )
    arc = Archive(tmp_path / "ix")
    arc.ingest(tmp_path / "in")
    assert {h.passage.source for h in arc.search("الحكومة المؤقتة", limit=None)} == {
        "dos.txt",
        "mac.txt",
    }
    assert [h.passage.source for h in arc.search("لينين")] == ["dos.txt"]


def test_cp864_and_latin_text_are_refused_by_name(tmp_path: Path) -> None:
    shaped = tmp_path / "ibm.txt"
    shaped.write_bytes(PROSE.encode("cp864", errors="ignore"))
    with pytest.raises(InputError, match=r"ibm\.txt.*give the encoding"):
        detect(shaped)
    french = tmp_path / "fr.txt"
    french.write_bytes(
        "Le gouvernement provisoire est tombé à l'automne, après l'été.".encode("cp1252")
    )
    with pytest.raises(InputError, match=r"fr\.txt"):
        detect(french)
