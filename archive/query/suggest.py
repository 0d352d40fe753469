"""Did you mean: the words of the index nearest to the words of a query that
found nothing, or very little.

:class:`Suggester` is what the facade asks after a search that found fewer
than :data:`SUGGEST_BELOW` passages. It reads the query's plain words (not
prefixes, not words after ``NOT``, not words in a named field; words in phrases
yes) and doubts a word when the texts never hold it (neither as a word nor as
the stem of one: a search for the word alone finds nothing), or when they hold
it rarely and a neighbour of it :data:`RARE_RATIO` times as often (a slip that
the texts make too; only for a word of more than :data:`SHORT_WORD` letters).
For each doubted word it finds the words of the :class:`Vocabulary` within
:func:`max_distance` edits of its folded form (one for a word of up to
:data:`SHORT_WORD` letters, two for a longer one), ranked by the Arabic-aware
distance of :func:`archive.arabic.confusables.confused_distance` (a dot or a
hamza seat costs half) weighed against how many passages hold them
(:data:`FREQUENCY_WEIGHT`). Each suggestion is the query with its doubted words
replaced, so that it can be run as it is; a word is shown as the texts write
it (:class:`Vocabulary`).

The vocabulary is read from the index once per committed state and kept by the
suggester (:meth:`Suggester.vocabulary`); see :class:`Vocabulary` for its cost.
"""

from __future__ import annotations

import array
import bisect
import json
import math
import os
import sys
import threading
import time
import zlib
from collections import Counter
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import attrs

from archive import arabic
from archive.arabic.analysis import EXACT_SEPARATOR
from archive.arabic.confusables import confused_distance
from archive.arabic.fold import fold_table
from archive.arabic.tokens import TOKEN_PATTERN
from archive.errors import QueryError
from archive.query import syntax
from archive.query.parse import parse
from archive.query.plan import QUERY_FIELDS, ROOT_FIELD, Plan, Planner

if TYPE_CHECKING:
    from archive.engine import Engine, Snapshot

#: A search that found fewer passages than this is looked at for misspelt
#: words. Zero hits always; one or two hits only where a word of the query is
#: itself rare and a neighbour :data:`RARE_RATIO` times as frequent (a typo the
#: texts share: ستالبن in one passage, ستالين in hundreds). Three hits and more
#: are taken as an answer: the check would run on too many searches for what it
#: finds.
SUGGEST_BELOW = 3

#: A word the texts hold is doubted only if a neighbour is this many times as
#: frequent (passages holding it), and only a word of more than
#: :data:`SHORT_WORD` letters: a short word one edit from a frequent one is
#: most often another word (كتب and كتاب), a long one most often a slip.
RARE_RATIO = 20

#: How much frequency weighs against distance in the order of suggestions: a
#: word a hundred times as frequent may be one edit further (the likelihood of
#: the word against that of the slip). Measured with ``benchmarks/suggest.py``
#: on the corpora's words: 0.5 puts the word a one-edit slip was made from
#: first for 72% of slips (63% by distance alone), a two-edit slip's in the
#: three suggestions for 57% (46%).
FREQUENCY_WEIGHT = 0.5

#: The most suggestions given for one search.
MAX_SUGGESTIONS = 3

#: The most words of one query looked at (a pasted paragraph is not spelled out).
MAX_WORDS = 8

#: Words of fewer letters (folded) are never doubted: one edit away from a
#: two-letter word is half the vocabulary.
MIN_LETTERS = 3

#: Words of up to this many letters are looked up within one edit; longer ones
#: within two.
SHORT_WORD = 4

#: The field the vocabulary is read from: the body as written (the skeleton and
#: the written word of each term, :data:`archive.arabic.analysis.EXACT_SEPARATOR`).
FIELD = "text_exact"

#: The first letters the vocabulary is read by (one engine call each, so that no
#: call returns the whole vocabulary at once): the Arabic letters (U+0621 to
#: U+064A) and the extended ones (U+0671 to U+06D3). Words that start with
#: another character (Latin, digits, presentation forms) are not suggested.
FIRST_LETTERS = tuple(map(chr, (*range(0x0621, 0x064B), *range(0x0671, 0x06D4))))

#: The most words a vocabulary keeps: the most frequent ones, where an index
#: holds more (about 125 MB; see :class:`Vocabulary`). The corpora's own growth
#: puts a million distinct passages at about 480,000 words
#: (``benchmarks/suggest.py``); the words past this are the rarest.
MAX_KEYS = 500_000

#: The most letters the two-edit neighbours of a word are spelt with: the
#: folded Arabic alphabet is 36 letters and the hamza's three (the look-ups of
#: a two-edit search grow with it).
MAX_ALPHABET = 40

_HASH_BITS = 40
_INDEX_BITS = 23  # up to 8,388,607 keys: more than MAX_KEYS
_HASH_MASK = (1 << _HASH_BITS) - 1
_INDEX_MASK = (1 << _INDEX_BITS) - 1


def max_distance(key: str) -> int:
    """How many edits a folded word may be from a suggestion for it.

    >>> max_distance("علم"), max_distance("ستالبن")
    (1, 2)
    """
    return 1 if len(key) <= SHORT_WORD else 2


@attrs.frozen
class Candidate:
    """A word of the vocabulary near a query word: as the texts write it
    (``word``), folded (``key``), its distance and how often the texts hold it."""

    word: str
    key: str
    distance: float
    frequency: int


def _deletes(word: str) -> set[str]:
    return {word[:i] + word[i + 1 :] for i in range(len(word))}


def _hash(text: str) -> int:
    """A 40-bit hash of ``text`` that is the same in every process (a saved
    vocabulary is read by others; Python's own ``hash`` of a string is not):
    its CRC-32 and its length."""
    return ((len(text) & 0xFF) << 32) | zlib.crc32(text.encode("utf-8"))


#: The least time between two reads of the vocabulary in the background, after
#: commits by other processes (:meth:`Suggester.vocabulary`).
REFRESH_SECONDS = 30.0

#: The folder of the index where the vocabulary of the last commit is saved.
CACHE_FOLDER = ".suggestions"

#: The version of the file a vocabulary is saved in (:meth:`Vocabulary.save`).
SAVED_FORMAT = 1


class Vocabulary:
    """The words of the texts, folded, each with how many passages hold it and
    the spelling the texts use most, and an index to find the words near one.

    Built from the terms of the body's exact field (:data:`FIELD`): each term
    is a word as written, with its marks; its skeleton (the letters without
    marks) is folded with the index's profile into the word's key. A key's
    frequency is the sum of its terms' passage counts (a passage holding two
    spellings counts twice), and the word shown for it is its most frequent
    skeleton: the letters as the texts write them (ة, ى and the hamza seats
    kept), without marks, as a reader types it (ستالين, مدرسة, not the folded
    مدرسه nor one vocalisation of it). Only words are suggested: a stem the
    index holds only inside longer words (بنان of لبنان) is no suggestion.

    Words near a key are found with a symmetric-delete index: every key and
    each of its one-letter deletions is stored as a 40-bit hash beside the
    key's number, in one sorted array (8 bytes an entry). A query word looks up
    itself and its deletions, which finds every key one edit away (a letter
    changed, added, dropped, or two neighbours swapped); for the keys two edits
    away, it looks up every string one edit from it (over the letters the
    vocabulary's keys are made of) with their deletions: a few thousand look-ups
    whatever the size of the vocabulary, where comparing the word with every
    key of about its length took 0.3 to 0.6 microseconds a key even in C++
    (rapidfuzz: a third of a second for a million words).

    Memory, measured with ``benchmarks/suggest.py`` (tracemalloc): about 250
    bytes a word (the key, the word shown where its spelling differs, its
    frequency, and about seven index entries of 8 bytes), so about 250 MB a
    million words, with a peak of about 2.5 times that while it is built; the
    vocabulary keeps the :data:`MAX_KEYS` most frequent.
    """

    __slots__ = ("_bits", "_index", "_seen", "alphabet", "frequencies", "keys", "profile", "words")

    def __init__(
        self,
        entries: Iterable[tuple[str, str, int]],
        profile: arabic.Profile = arabic.DEFAULT,
        max_keys: int = MAX_KEYS,
    ) -> None:
        """``entries``: ``(key, word shown, frequency)``, one per key.

        Raises:
            ValueError: ``max_keys`` is not a positive number below 2**23.
        """
        if not 0 < max_keys <= _INDEX_MASK:
            raise ValueError(f"max_keys must be between 1 and {_INDEX_MASK}, not {max_keys!r}")
        rows = list(entries)
        if len(rows) > max_keys:
            rows.sort(key=lambda row: (-row[2], row[0]))
            del rows[max_keys:]
        rows.sort(key=lambda row: (len(row[0]), row[0]))
        self.profile = profile
        self.keys = [key for key, _, _ in rows]
        self.words = [word for _, word, _ in rows]
        self.frequencies = array.array("q", (frequency for _, _, frequency in rows))
        del rows
        letters = Counter("".join(self.keys))
        #: The letters of the keys, most used first (at most :data:`MAX_ALPHABET`):
        #: the letters a query word's two-edit neighbours are spelt with.
        self.alphabet = "".join(letter for letter, _ in letters.most_common(MAX_ALPHABET))
        packed = [
            (_hash(variant) << _INDEX_BITS) | number
            for number, key in enumerate(self.keys)
            for variant in {key, *(key[:i] + key[i + 1 :] for i in range(len(key)))}
        ]
        packed.sort()
        self._index = array.array("q", packed)
        # One bit a hash (its low bits), about 8 bits an entry: most strings a
        # two-edit search looks up are no entry, and are told so without a
        # binary search (about 1 byte an entry).
        self._bits = max(1 << 16, 1 << (len(packed) * 8).bit_length()) - 1
        seen = bytearray((self._bits >> 3) + 1)
        for entry in packed:
            bit = (entry >> _INDEX_BITS) & self._bits
            seen[bit >> 3] |= 1 << (bit & 7)
        self._seen = bytes(seen)

    @classmethod
    def from_terms(
        cls,
        terms: Iterable[tuple[str, int]],
        profile: arabic.Profile = arabic.DEFAULT,
        max_keys: int = MAX_KEYS,
    ) -> Vocabulary:
        """The vocabulary of the terms of an exact field (``skeleton U+001F
        written``, each with its passage count), in any order.

        >>> v = Vocabulary.from_terms([("مدرسة\\x1fمَدْرَسَةٌ", 3), ("مدرسه\\x1fمدرسه", 1)])
        >>> v.keys, v.words, list(v.frequencies)
        (['مدرسه'], ['مدرسة'], [4])
        """
        seen: dict[str, list[int]] = {}
        for term, count in terms:
            bare = term.partition(EXACT_SEPARATOR)[0]
            seen.setdefault(bare, [0])[0] += count
        entries = _keys(((b, c[0]) for b, c in seen.items()), profile)
        del seen
        return cls(entries, profile, max_keys)

    @classmethod
    def read(
        cls, snapshot: Snapshot, profile: arabic.Profile, max_keys: int = MAX_KEYS
    ) -> Vocabulary:
        """The vocabulary of a snapshot's body (:data:`FIELD`), read one first
        letter at a time (:data:`FIRST_LETTERS`)."""

        def terms() -> Iterator[tuple[str, int]]:
            for letter in FIRST_LETTERS:
                yield from snapshot.terms(FIELD, letter)

        return cls.from_terms(terms(), profile, max_keys)

    def __len__(self) -> int:
        return len(self.keys)

    def __repr__(self) -> str:
        return f"Vocabulary({len(self)} words)"

    def save(self, path: Path) -> None:
        """Write the vocabulary to ``path`` (replaced at once, never half
        written): a JSON header line, the keys and shown words as text, then the
        arrays as bytes. No pickle: :meth:`load` reads it as data."""
        lines = "".join(
            f"{key}\t{'' if word == key else word}\n"
            for key, word in zip(self.keys, self.words, strict=True)
        ).encode("utf-8")
        header = {
            "format": SAVED_FORMAT,
            "profile": self.profile.to_dict(),
            "keys": len(self.keys),
            "text": len(lines),
            "index": len(self._index),
            "bits": self._bits,
            "alphabet": self.alphabet,
            "byteorder": sys.byteorder,
        }
        tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
        try:
            with tmp.open("wb") as handle:
                handle.write(json.dumps(header, ensure_ascii=False).encode("utf-8") + b"\n")
                handle.write(lines)
                self.frequencies.tofile(handle)
                self._index.tofile(handle)
                handle.write(self._seen)
            os.replace(tmp, path)
        finally:
            tmp.unlink(missing_ok=True)

    @classmethod
    def load(cls, path: Path, profile: arabic.Profile) -> Vocabulary:
        """The vocabulary :meth:`save` wrote to ``path``, checked as it is read.

        Raises:
            OSError: the file cannot be read.
            ValueError: it is not a saved vocabulary of this format and profile
                (damaged, cut short, another version): the caller builds afresh.
        """
        with path.open("rb") as handle:
            header = json.loads(handle.readline().decode("utf-8"))
            if not isinstance(header, dict) or header.get("format") != SAVED_FORMAT:
                raise ValueError(f"{path} is not a saved vocabulary of format {SAVED_FORMAT}")
            if (
                header.get("profile") != profile.to_dict()
                or header.get("byteorder") != sys.byteorder
            ):
                raise ValueError(f"{path} was saved for another profile or machine")
            try:
                keys, size, entries, bits = (
                    int(header[name]) for name in ("keys", "text", "index", "bits")
                )
            except (KeyError, TypeError, ValueError):
                raise ValueError(f"{path} has a damaged header") from None
            if not (0 <= keys <= _INDEX_MASK and bits >= 0 and bits & (bits + 1) == 0):
                raise ValueError(f"{path} holds impossible sizes")
            rows = handle.read(size).decode("utf-8").split("\n")
            if len(rows) != keys + 1 or rows[-1]:
                raise ValueError(f"{path} is cut short")
            frequencies = array.array("q")
            index = array.array("q")
            try:
                frequencies.fromfile(handle, keys)
                index.fromfile(handle, entries)
            except EOFError:
                raise ValueError(f"{path} is cut short") from None
            seen = handle.read((bits >> 3) + 1)
            if len(seen) != (bits >> 3) + 1 or handle.read(1):
                raise ValueError(f"{path} has the wrong length")
        vocabulary = cls.__new__(cls)
        vocabulary.profile = profile
        vocabulary.keys = []
        vocabulary.words = []
        for row in rows[:-1]:
            key, tab, word = row.partition("\t")
            if not tab:
                raise ValueError(f"{path} has a row without its word")
            vocabulary.keys.append(key)
            vocabulary.words.append(word or key)
        if entries and max(n & _INDEX_MASK for n in index) >= keys:
            raise ValueError(f"{path} points past its keys")
        vocabulary.frequencies = frequencies
        vocabulary.alphabet = str(header["alphabet"])[:MAX_ALPHABET]
        vocabulary._index = index
        vocabulary._bits = bits
        vocabulary._seen = seen
        return vocabulary

    def find(self, key: str) -> int | None:
        """The number of ``key`` in :attr:`keys`, or None."""
        for number in self._lookup(key):
            if self.keys[number] == key:
                return number
        return None

    def frequency(self, key: str) -> int:
        """How many passages hold the folded word ``key`` (0: none)."""
        number = self.find(key)
        return 0 if number is None else int(self.frequencies[number])

    def nearest(
        self, key: str, *, at_least: int = 1, limit: int = MAX_SUGGESTIONS
    ) -> list[Candidate]:
        """The words within :func:`max_distance` edits of the folded word ``key``
        held by ``at_least`` passages, the likeliest first: by their Arabic-aware
        distance less :data:`FREQUENCY_WEIGHT` times the decimal log of the
        passages holding them, then the most frequent, then in key order;
        ``key`` itself is not one.

        >>> v = Vocabulary.from_terms([("ستالين\\x1fستالين", 9), ("ستارين\\x1fستارين", 20)])
        >>> [(c.word, c.distance) for c in v.nearest("ستالبن")]
        [('ستالين', 0.5), ('ستارين', 1.5)]
        >>> [(c.word, c.distance) for c in v.nearest("سنالبن")]  # two edits
        [('ستالين', 1.0)]
        """
        found = self._near(key, _deletes(key) | {key}, 1)
        if max_distance(key) == 2:
            variants: set[str] = set()
            for one in self._edits(key):
                variants.add(one)
                variants |= _deletes(one)
            found.update(self._near(key, variants, 2))
        # The Arabic-aware distance is at least half the plain one (a confused
        # letter costs half): candidates are scored exactly in the order of that
        # bound, until no bound can beat the last of the best ``limit``.
        bounds = []
        for number, plain in found.items():
            frequency = int(self.frequencies[number])
            if frequency >= at_least:
                likely = FREQUENCY_WEIGHT * math.log10(frequency)
                bounds.append((plain / 2 - likely, -frequency, self.keys[number], number))
        bounds.sort()
        scored: list[tuple[float, int, str, int, float]] = []
        for bound, negative, other, number in bounds:
            if len(scored) >= limit and bound > scored[limit - 1][0]:
                break
            distance = confused_distance(key, other)
            scored.append((distance + bound - found[number] / 2, negative, other, number, distance))
            scored.sort()
        return [
            Candidate(word=self.words[number], key=other, distance=distance, frequency=-negative)
            for _, negative, other, number, distance in scored[:limit]
        ]

    def _lookup(self, variant: str) -> Iterator[int]:
        hashed = _hash(variant)
        bit = hashed & self._bits
        if not self._seen[bit >> 3] >> (bit & 7) & 1:
            return
        bucket = hashed << _INDEX_BITS
        at = bisect.bisect_left(self._index, bucket)
        end = bucket + (1 << _INDEX_BITS)
        while at < len(self._index) and self._index[at] < end:
            yield self._index[at] & _INDEX_MASK
            at += 1

    def _near(self, key: str, variants: Iterable[str], reach: int) -> dict[int, int]:
        """The keys the delete index holds under ``variants`` that are within
        ``reach`` edits of ``key`` (optimal string alignment), with their
        distance; not ``key`` itself."""
        found: dict[int, int] = {}
        seen: set[int] = set()
        for variant in variants:
            for number in self._lookup(variant):
                if number in seen:
                    continue
                seen.add(number)
                other = self.keys[number]
                if other != key and abs(len(other) - len(key)) <= reach:
                    distance = osa_distance(key, other, reach)
                    if distance <= reach:
                        found[number] = distance
        return found

    def _edits(self, key: str) -> set[str]:
        """Every string one edit from ``key``, spelt with :attr:`alphabet`."""
        out = _deletes(key)
        for i in range(len(key) + 1):
            head, tail = key[:i], key[i:]
            for letter in self.alphabet:
                out.add(head + letter + tail)
                if tail:
                    out.add(head + letter + tail[1:])
            if len(tail) > 1:
                out.add(head + tail[1] + tail[0] + tail[2:])
        out.discard(key)
        return out


def osa_distance(a: str, b: str, most: int) -> int:
    """The optimal-string-alignment distance from ``a`` to ``b`` (each insertion,
    deletion, substitution and swap of neighbours is one edit), or ``most + 1``
    where it is more than ``most``.

    >>> osa_distance("ستالين", "ساتلين", 2), osa_distance("ستالين", "سلين", 1)
    (1, 2)
    """
    if abs(len(a) - len(b)) > most:
        return most + 1
    if not a:
        return min(len(b), most + 1)
    # Hyyro's bit-parallel algorithm (2003), as rapidfuzz's OSA computes it: one
    # column of the distance matrix a Python int, a few operations a letter of b.
    letters: dict[str, int] = {}
    for at, letter in enumerate(a):
        letters[letter] = letters.get(letter, 0) | (1 << at)
    full = (1 << len(a)) - 1
    top = 1 << (len(a) - 1)
    vp, vn, d0, before = full, 0, 0, 0
    score = len(a)
    for letter in b:
        pm = letters.get(letter, 0)
        swap = (((~d0) & pm) << 1) & before
        d0 = ((((pm & vp) + vp) ^ vp) | pm | vn | swap) & full
        hp = (vn | ~(d0 | vp)) & full
        hn = d0 & vp
        if hp & top:
            score += 1
        elif hn & top:
            score -= 1
        hp = ((hp << 1) | 1) & full
        hn = (hn << 1) & full
        vp = (hn | ~(d0 | hp)) & full
        vn = d0 & hp
        before = pm
    return min(score, most + 1)


def _keys(
    skeletons: Iterable[tuple[str, int]], profile: arabic.Profile = arabic.DEFAULT
) -> list[tuple[str, str, int]]:
    """``(key, most frequent skeleton, frequency)`` of skeletons with their counts;
    keys that fold to fewer than two letters or to several words are left out."""
    best: dict[str, tuple[int, str, int]] = {}
    table = fold_table(profile)
    for bare, count in skeletons:
        key = arabic.nfc(bare).translate(table).lower()  # arabic.fold, the table looked up once
        if len(key) < 2 or " " in key:
            continue
        total, word, most = best.get(key, (0, bare, -1))
        if count > most or (count == most and bare < word):
            word, most = bare, count
        best[key] = (total + count, word, most)
    return [(key, word, total) for key, (total, word, _) in best.items()]


class Suggester:
    """Suggestions for the searches of one engine's archive, from a vocabulary
    it reads once per committed state.

    The vocabulary is read through a snapshot of the suggester's own, kept open
    beside it: a later call reads it again when that snapshot is no longer the
    last commit (:meth:`Snapshot.is_latest`) or holds another number of
    passages (a sharded snapshot always reads every shard's last commit, so a
    count that changed is how it shows a commit). Threads may share it.

    Where the engine tells its commits apart (:meth:`Engine.commit_stamp`), the
    vocabulary built for a commit is saved in the index folder
    (:data:`CACHE_FOLDER`, one file, the older ones removed) and read from there
    by the next process that opens that commit: a one-shot ``archive search``
    then pays the build once per commit, not once per run. A folder it cannot
    write to (read-only media) is no error: the vocabulary is built each time.
    A saved file that does not read back whole is built again.
    """

    def __init__(self, engine: Engine, *, max_keys: int = MAX_KEYS) -> None:
        self._engine = engine
        self._planner = Planner(engine.profile)
        self._max_keys = max_keys
        self._lock = threading.Lock()
        self._source: Snapshot | None = None
        self._count = -1
        self._vocabulary: Vocabulary | None = None
        self._read_at = 0.0
        self._refreshing = False

    def vocabulary(self) -> Vocabulary:
        """The vocabulary of the last commit, read again if a commit came since.

        After a commit made through this suggester's archive (:meth:`close`,
        called by ``Archive.ingest``), or when none is held yet, it is read
        before the answer. After a commit by another process, the vocabulary
        held answers while the new one is read in the background, at most once
        in :data:`REFRESH_SECONDS`: a server whose archive another process
        keeps committing to would otherwise read it for nearly every search
        that finds little.
        """
        with self._lock:
            held = self._vocabulary
            if held is not None and self._fresh():
                return held
            if held is not None:
                due = time.monotonic() - self._read_at >= REFRESH_SECONDS
                if due and not self._refreshing:
                    self._refreshing = True
                    threading.Thread(target=self._refresh, daemon=True).start()
                return held
            source, count, vocabulary = self._read()
            self._keep(source, count, vocabulary)
            return vocabulary

    def _read(self) -> tuple[Snapshot, int, Vocabulary]:
        """A snapshot of the last commit, its passage count and its vocabulary
        (from the saved file of that commit, or built and saved)."""
        stamp = self._engine.commit_stamp()
        source = self._engine.snapshot()
        try:
            vocabulary = self._saved(stamp)
            if vocabulary is None:
                vocabulary = Vocabulary.read(source, self._engine.profile, self._max_keys)
                if stamp is not None and stamp == self._engine.commit_stamp():
                    self._save(vocabulary, stamp)
            count = source.count()
        except BaseException:
            source.close()
            raise
        return source, count, vocabulary

    def _keep(self, source: Snapshot, count: int, vocabulary: Vocabulary) -> None:
        """Hold a new vocabulary (the lock held), closing the old snapshot."""
        self._forget()
        self._source, self._count, self._vocabulary = source, count, vocabulary
        self._read_at = time.monotonic()

    def _refresh(self) -> None:
        """Read the vocabulary of the last commit, in a thread of its own; a
        failure leaves the one held (the next search that finds little tries
        again after :data:`REFRESH_SECONDS`)."""
        try:
            read = self._read()
        except Exception:  # a failed background read: the held vocabulary stays
            with self._lock:
                self._refreshing = False
                self._read_at = time.monotonic()
            return
        with self._lock:
            self._refreshing = False
            if self._vocabulary is None:  # closed meanwhile: not wanted
                read[0].close()
                return
            self._keep(*read)

    def _cache_file(self, stamp: str) -> Path:
        name = "".join(c if c.isalnum() or c in "-_" else "_" for c in stamp)
        return self._engine.path / CACHE_FOLDER / f"{name}-{self._max_keys}.vocabulary"

    def _saved(self, stamp: str | None) -> Vocabulary | None:
        """The vocabulary saved for the commit ``stamp``, or None (none saved, or
        not readable whole)."""
        if stamp is None:
            return None
        try:
            return Vocabulary.load(self._cache_file(stamp), self._engine.profile)
        except (OSError, ValueError):
            return None

    def _save(self, vocabulary: Vocabulary, stamp: str) -> None:
        """Save the vocabulary of commit ``stamp`` and remove older ones; a folder
        that cannot be written is left as it is."""
        path = self._cache_file(stamp)
        try:
            path.parent.mkdir(exist_ok=True)
            vocabulary.save(path)
            for other in path.parent.glob("*.vocabulary"):
                if other != path:
                    other.unlink(missing_ok=True)
        except OSError:
            pass

    def _fresh(self) -> bool:
        assert self._source is not None
        return self._source.is_latest() and self._source.count() == self._count

    def _forget(self) -> None:
        if self._source is not None:
            self._source.close()
        self._source, self._count, self._vocabulary = None, -1, None

    def close(self) -> None:
        """Close the suggester's snapshot and drop its vocabulary (a later call
        reads it again)."""
        with self._lock:
            self._forget()

    def suggest(self, snapshot: Snapshot, plan: Plan, total: int) -> tuple[str, ...]:
        """The queries to suggest for ``plan``, a search of ``snapshot`` that found
        ``total`` passages: none when ``total`` is :data:`SUGGEST_BELOW` or more,
        or no word of the query is doubted or has a neighbour; else at most
        :data:`MAX_SUGGESTIONS`, the likeliest first, each the query's text with
        its doubted words replaced by words as the texts write them.

        Raises:
            ArchiveError: as the snapshots' own calls raise it (a shard that is
                unavailable, a damaged index).
        """
        if total >= SUGGEST_BELOW:
            return ()
        words = plain_words(plan)
        if not words:
            return ()
        vocabulary = self.vocabulary()
        options: dict[str, list[Candidate]] = {}
        for word in words:
            key = arabic.fold(word, self._engine.profile)
            if len(key) < MIN_LETTERS or " " in key:
                continue
            frequency = vocabulary.frequency(key)
            if frequency and len(key) <= SHORT_WORD:
                continue  # a short word's neighbours are other words, not slips
            if frequency == 0 and self._found(snapshot, word, plan):
                continue  # the stem of words the texts hold
            near = vocabulary.nearest(key, at_least=max(1, frequency * RARE_RATIO))
            if near:
                options[word] = near
        return _queries(plan.text, options)

    def _found(self, snapshot: Snapshot, word: str, plan: Plan) -> bool:
        """Whether a search for ``word`` alone finds a passage."""
        from archive.engine import Request

        try:
            alone = self._planner.plan(word, exact=plan.exact, match="all")
        except QueryError:
            return True  # nothing to search for: nothing to suggest
        return snapshot.search(Request(alone, limit=1)).total > 0


def plain_words(plan: Plan) -> list[str]:
    """The distinct words of a planned query that suggestions may replace, in
    order: words and the words of phrases, not prefixes, not words in a named
    field, not what ``NOT`` excludes; at most :data:`MAX_WORDS`.

    >>> from archive.query.plan import Planner
    >>> plain_words(Planner().plan('ستالبن "الثورة الروسيه" NOT لينين كتا* title:موسكو'))
    ['ستالبن', 'الثورة', 'الروسيه']
    """
    default = "and" if plan.match == "all" else "or"
    words: dict[str, None] = {}

    def walk(node: syntax.Node) -> None:
        if isinstance(node, (syntax.Word, syntax.Phrase)):
            if node.field is None and not (isinstance(node, syntax.Word) and node.prefix):
                for match in TOKEN_PATTERN.finditer(node.text):
                    words.setdefault(match.group(), None)
        elif isinstance(node, (syntax.And, syntax.Or)):
            for child in node.children:
                walk(child)
        elif isinstance(node, syntax.AndNot):
            walk(node.positive)
        elif isinstance(node, syntax.AndMaybe):
            walk(node.required)
            walk(node.optional)

    # The plan parsed already: every field it may name (root: too) is taken here.
    walk(parse(plan.text, default=default, fields=(*QUERY_FIELDS, ROOT_FIELD)))
    return list(words)[:MAX_WORDS]


def _queries(text: str, options: dict[str, list[Candidate]]) -> tuple[str, ...]:
    """The query ``text`` with each doubted word replaced: first every word by
    its nearest candidate, then one word at a time by its next ones (the
    smallest step in distance first)."""
    if not options:
        return ()
    best = {word: near[0].word for word, near in options.items()}
    steps = sorted(
        (near[k].distance - near[0].distance, -near[k].frequency, word, near[k].word)
        for word, near in options.items()
        for k in range(1, len(near))
    )
    choices = [best] + [{**best, word: other} for _, _, word, other in steps]
    out: dict[str, None] = {}
    for choice in choices:
        query = _replace(text, choice)
        if query != text:
            out.setdefault(query, None)
        if len(out) == MAX_SUGGESTIONS:
            break
    return tuple(out)


def _replace(text: str, words: dict[str, str]) -> str:
    """``text`` with each of its words that ``words`` maps replaced."""
    return TOKEN_PATTERN.sub(lambda m: words.get(m.group(), m.group()), text)
