"""The name vocabulary in memory, for the lookup's fuzzy step on SQLite (issue 23).

The lookup's typo and sounds-like steps ask the vocabulary of distinct family and given name
keys (migration 0002: `patient_search_vocab`, kept by triggers) three questions: the terms with
a phonetic key, the terms starting with a prefix, and the terms sharing trigrams with a word.
The last was an FTS5 trigram query sorted by rank: 54% of a typo lookup's time, growing with
the vocabulary (30.8k surnames at 1M patients, 78.4k at 3M). Here the vocabulary is read once
per database into plain Python structures (a sorted key list, a phonetic map and trigram
posting lists, a few MB at 3M patients) and the three questions become a dictionary probe, a
bisection and a count over a few posting lists.

Freshness: the table only grows (a trigger adds a key on every write path: the app, imports,
merges, raw SQL), ids only go up. Each search reads the highest id and its key (one rowid
probe) inside its own read transaction; more rows since: read just those; anything else (a
restored or replaced file): read it all again. So a name registered at another desk is found by
the very next search here.

Answers match the SQL they replace: phonetic terms in id order (60 at most), prefix terms in key
order (300 at most, SQLite compares UTF-8 bytes, Python code points: the same order), and for
trigrams the terms sharing the most distinct trigrams with the word, the closest length first
(80 at most), where FTS5 ranked by bm25."""

from __future__ import annotations

import threading
import weakref
from bisect import bisect_left, insort
from collections import Counter
from dataclasses import dataclass, field
from itertools import chain

SQL_TOP = "SELECT id, kind, key FROM patient_search_vocab ORDER BY id DESC LIMIT 1"
SQL_AT = "SELECT kind, key FROM patient_search_vocab WHERE id = ?"
SQL_SINCE = "SELECT id, kind, key, phonetic FROM patient_search_vocab WHERE id > ? ORDER BY id"

PHONETIC_LIMIT = 60
PREFIX_LIMIT = 300
TRIGRAM_LIMIT = 80
SORT_AT_MOST = 200  # terms at the floor or above: sorted all when no more, else _closest()


def trigrams(word: str) -> set[str]:
    """The distinct trigrams of a word, as FTS5's trigram tokenizer cuts them (none under 3)."""
    return {word[i:i + 3] for i in range(len(word) - 2)}


@dataclass
class _Terms:
    """One kind's terms ('f' family, 'g' given)."""

    terms: list[str] = field(default_factory=list)  # by id: a term's index is its number here
    lengths: list[int] = field(default_factory=list)  # each term's length, by number
    known: set[str] = field(default_factory=set)
    ordered: list[str] = field(default_factory=list)  # sorted, for prefix ranges
    by_phonetic: dict[str, list[str]] = field(default_factory=dict)
    postings: dict[str, list[int]] = field(default_factory=dict)  # trigram -> term numbers

    def add(self, key: str, phonetic: str, *, bulk: bool) -> None:
        if key in self.known:
            return  # (kind, key) is unique in the table; a replaced file is read again whole
        number = len(self.terms)
        self.terms.append(key)
        self.lengths.append(len(key))
        self.known.add(key)
        if bulk:
            self.ordered.append(key)
        else:
            insort(self.ordered, key)
        self.by_phonetic.setdefault(phonetic, []).append(key)
        for gram in trigrams(key):
            self.postings.setdefault(gram, []).append(number)


class NameVocabulary:
    """The vocabulary of one database; `refresh(raw)` inside each search's read transaction."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._kinds: dict[str, _Terms] = {"f": _Terms(), "g": _Terms()}
        self._top: tuple[int, str, str] | None = None  # (id, kind, key) of the last row read

    def refresh(self, raw) -> None:
        """Bring the copy up to the table as this connection sees it (`raw`: a DB-API connection)."""
        top = raw.execute(SQL_TOP).fetchone()
        top = tuple(top) if top is not None else None
        with self._lock:
            if top == self._top:
                return
            last = self._top
            if last is not None and (top is None or top[0] < last[0]
                                     or tuple(raw.execute(SQL_AT, (last[0],)).fetchone() or ()) != last[1:]):
                last = None  # not the table we read: a restored or replaced file
            if last is None:
                self._kinds = {"f": _Terms(), "g": _Terms()}
            bulk = last is None
            for _id, kind, key, phonetic in raw.execute(SQL_SINCE, (last[0] if last else -1,)):
                self._kinds[kind].add(key, phonetic, bulk=bulk)
            if bulk:
                for terms in self._kinds.values():
                    terms.ordered.sort()
            self._top = top

    def size(self) -> int:
        with self._lock:
            return sum(len(terms.terms) for terms in self._kinds.values())

    def sounds_like(self, kind: str, phonetic: str) -> list[str]:
        with self._lock:
            return self._kinds[kind].by_phonetic.get(phonetic, [])[:PHONETIC_LIMIT]

    def with_prefix(self, kind: str, prefix: str) -> list[str]:
        with self._lock:
            ordered = self._kinds[kind].ordered
            start = bisect_left(ordered, prefix)
            if prefix and ord(prefix[-1]) < 0x10FFFF:
                # The terms starting with the prefix are the range [prefix, its upper bound).
                end = bisect_left(ordered, prefix[:-1] + chr(ord(prefix[-1]) + 1), start,
                                  min(len(ordered), start + PREFIX_LIMIT))
                return ordered[start:end]
            out = []
            for key in ordered[start:start + PREFIX_LIMIT]:
                if not key.startswith(prefix):
                    break
                out.append(key)
            return out

    def sharing_trigrams(self, kind: str, word: str) -> list[str]:
        """The terms sharing the most distinct trigrams with `word`, closest length first."""
        grams = trigrams(word)
        if not grams:
            return []
        with self._lock:
            terms = self._kinds[kind]
            lists = [terms.postings[g] for g in grams if g in terms.postings]
            if not lists:
                return []
            counts = Counter(chain.from_iterable(lists))
            # The best TRIGRAM_LIMIT by count without sorting every term sharing one trigram:
            # the lowest count that still leaves TRIGRAM_LIMIT terms, then only those.
            per_count = Counter(counts.values())
            floor, kept = max(per_count), 0
            for floor in sorted(per_count, reverse=True):
                kept += per_count[floor]
                if kept >= TRIGRAM_LIMIT:
                    break
            size, names, lengths = len(word), terms.terms, terms.lengths
            if kept <= SORT_AT_MOST:  # few enough to sort them all
                ranked = sorted([(-n, abs(lengths[i] - size), names[i]) for i, n in counts.items() if n >= floor])
                return [term for _n, _d, term in ranked[:TRIGRAM_LIMIT]]
            above = kept - per_count[floor]
            top = sorted([(-n, abs(lengths[i] - size), names[i]) for i, n in counts.items() if n > floor]) if above else []
            return [term for _n, _d, term in top] + _closest(
                [i for i, n in counts.items() if n == floor], TRIGRAM_LIMIT - above, size, names, lengths)


def _closest(numbers: list[int], need: int, size: int, names: list[str], lengths: list[int]) -> list[str]:
    """The `need` terms (of `numbers`, more than `need`) whose lengths are closest to `size`,
    then by name: what sorting them all by (length distance, name) and keeping `need` gives.

    A word sharing only a common trigram ("han", "son") has thousands of terms at the floor
    (3,033 for "jhonson" at 1M patients), and sorting every one of them as a tuple was most of
    the typo step's time in the vocabulary (0.3-0.8 ms a word). Here the lengths are counted
    (in C), the distance that reaches `need` is found from the counts, the terms nearer than it
    are all kept and only the names at that distance are sorted."""
    per_length = Counter(map(lengths.__getitem__, numbers))
    reach = taken = 0
    while True:
        here = per_length[size - reach] + (per_length[size + reach] if reach else 0)
        if taken + here >= need:
            break
        taken += here
        reach += 1
    low, high = size - reach, size + reach
    kept = [i for i in numbers if low <= lengths[i] <= high]
    nearer = sorted([(abs(lengths[i] - size), names[i]) for i in kept if low < lengths[i] < high])
    edge = sorted([names[i] for i in kept if lengths[i] == low or lengths[i] == high])
    return [term for _d, term in nearer] + edge[:need - taken]


_VOCABULARIES: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()
_VOCABULARIES_LOCK = threading.Lock()


def vocabulary_for(database) -> NameVocabulary:
    """The in-memory vocabulary of a `store.engine.Database` (made on first use, dropped with it)."""
    with _VOCABULARIES_LOCK:
        vocab = _VOCABULARIES.get(database)
        if vocab is None:
            vocab = _VOCABULARIES[database] = NameVocabulary()
        return vocab


def warm_vocabulary(ctx) -> int:
    """Read a SQLite clinic's vocabulary now (at sign-in, in the background), so the first
    search does not pay for it (about 0.2 s at 1M patients, more on a loaded machine).
    Returns the number of terms; 0 for a database that is not a SQLite file."""
    if ctx.db.path is None:
        return 0
    vocab = vocabulary_for(ctx.db)
    with ctx.db.read() as session:
        vocab.refresh(session.connection().connection.driver_connection)
    return vocab.size()
