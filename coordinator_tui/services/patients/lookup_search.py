"""The lookup's candidate steps (lookup.py's steps 1-4), shared by SQLite and PostgreSQL.

The search runs in phases, and before each phase it names the statements and vocabulary
questions it is about to ask (`ask_ahead`): the identifier, phone, birth-date and exact-name
statements with the vocabulary's sound-alikes and close spellings of every name word; then the
typo (trigram) questions of the words that need them; then the fuzzy expansions; then the
result rows' appointments and duplicates (lookup._hits). On SQLite the hint costs nothing and
does nothing (every question is answered in process as it is asked). PostgreSQL sends each
phase's statements together, one round trip (lookup_pg.py). The steps themselves still ask one
question at a time, in the same order and under the same conditions on both engines, so a
statement fetched ahead but not needed (the given-name step once the family names filled the
list) is never used, and a question asked differently from the hint is simply asked: a change
here costs a round trip, never a different answer."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from rapidfuzz import process
from rapidfuzz.distance import JaroWinkler

from coordinator_tui.domain.lookup_query import LookupQuery
from coordinator_tui.domain.names import name_key
from coordinator_tui.services.patients.lookup_scores import (
    TYPO_THRESHOLD,
    name_match,
    phonetic_key,
)
from coordinator_tui.services.patients.lookup_sql import (
    CANDIDATES,
    statements_for,
    upper_bound,
)
from coordinator_tui.services.patients.lookup_vocab import NameVocabulary
from coordinator_tui.store.bulk import sql_date

FUZZY_TERMS = 8  # vocabulary terms kept per name word for expansion

Statement = tuple[str, tuple]


@dataclass
class _Candidate:
    row: tuple
    via: set[str]


def _parts_or_close(word: str, terms: list[str]) -> list[str]:
    """The best FUZZY_TERMS of `terms` scoring at least 0.75 by lookup_scores.part_or_similar
    (0.9 for a term holding the word, else Jaro-Winkler), best first, ties in the terms' order:
    what `process.extract(word, terms, scorer=part_or_similar, ...)` chose (24,000 words at 1M
    patients alike), without a Python scorer called through rapidfuzz for each term."""
    whole = len(word) >= 4
    scored = sorted([(-(0.9 if whole and word in t else _similarity(word, t)), i) for i, t in enumerate(terms)])
    return [terms[i] for score, i in scored[:FUZZY_TERMS] if score <= -0.75]


_similarity = JaroWinkler.normalized_similarity


class Search:
    """One search's candidates (`found`), gathered from the database (`raw.execute`) and the
    name vocabulary (`vocab`)."""

    batched = False  # PostgreSQL: each phase's statements go in one round trip (ask_ahead)

    def __init__(self, raw, dialect: str, query: LookupQuery, today: date, limit: int,
                 vocab: NameVocabulary | None):
        self.raw = raw  # the DB-API connection (sqlite3, psycopg), in a read transaction
        self.sql = statements_for(dialect)  # this engine's own statements (lookup_sql)
        self.vocab = vocab  # the name vocabulary in memory, current as of this transaction
        self.q = query
        self.today = today
        self.cap = min(CANDIDATES, max(40, limit * 3))
        self.found: dict[int, _Candidate] = {}
        self.words = [w for w in (name_key(n) for n in query.names) if w]
        self._pairs: list[tuple[str, str | None]] | None = None
        self._fuzzy_cache: dict[tuple[str, str, bool, bool], list[str]] = {}
        self._first_cache: dict[tuple[str, str], tuple[list[str], list[str], float]] = {}

    def ask_ahead(self, statements: Sequence[Statement] = (),
                  words: Sequence[tuple[str, str]] = (), trigrams: Sequence[tuple[str, str]] = (),
                  *, last: bool = False) -> None:
        """A hint: the statements, the (kind, word)s whose sound-alikes and close spellings, and
        the (kind, word)s whose trigram neighbours this search asks for next (`last`: and then
        nothing more in this read transaction). Nothing to do in process (SQLite);
        lookup_pg.PgSearch fetches them in one round trip."""

    def page_facts(self, rows: list[tuple], now: str) -> tuple[dict[int, object], set[tuple[str, str]]]:
        """For the result rows shown (after ranking): each one's next open appointment from
        `now` (id -> the instant as stored), and the (birth date, family key) pairs more than
        one active patient holds (possible duplicates). The search's last questions."""
        ids = self.sql.padded([row[0] for row in rows], 20)
        pairs = self.sql.padded(sorted({(str(row[8]), row[4]) for row in rows}), 20)
        appointments = (self.sql.next_appt(len(ids)), (*ids, now))
        twins = (self.sql.dupes(len(pairs)), tuple(v for pair in pairs for v in pair))
        self.ask_ahead([appointments, twins], last=True)
        next_appt = dict(self.raw.execute(*appointments).fetchall())
        return next_appt, {(str(d), k) for d, k, n in self.raw.execute(*twins).fetchall() if n > 1}

    def run(self, sql: str, params: Sequence, via: str) -> list[tuple]:
        rows = self.raw.execute(sql, params).fetchall()
        for row in rows:
            if row[0] in self.found:
                self.found[row[0]].via.add(via)
            else:
                self.found[row[0]] = _Candidate(row, {via})
        return rows

    # --- phase 1: identifiers, phone, birth date, names as typed ------------------------------

    def gather(self) -> None:
        q = self.q
        steps: list[tuple[str, tuple, str]] = []
        if q.phone:
            rev = q.phone[::-1]
            steps.append((self.sql.by_phone, (rev, rev), "phone"))
        if q.phone_last4:
            lo = q.phone_last4[::-1]
            hi = upper_bound(lo)
            steps.append((self.sql.by_last4, (lo, hi, lo, hi), "phone"))
        if q.birth_date:
            steps.append((self.sql.by_dob, (sql_date(q.birth_date), CANDIDATES), "birth date"))
        names = self._exact_steps() if self.words else []
        if self.batched:
            idents = [(sql, (value,)) for ident in q.identifiers
                      for sql, value in ((self.sql.by_member, ident), *((self.sql.by_mrn, m) for m in self._mrn_forms(ident)))]
            self.ask_ahead([*idents, *((s, p) for s, p, _v in steps), *((s, p) for s, p, _v, _g in names)],
                           words=self._fuzzy_words() if self.words else ())
        for ident in q.identifiers:
            self._by_mrn(ident)
            self.run(self.sql.by_member, (ident,), "member id")
        for sql, params, via in steps:
            self.run(sql, params, via)
        if self.words:
            self._by_names(names, narrowed=bool(q.birth_date or q.phone or q.phone_last4 or q.identifiers))

    @staticmethod
    def _mrn_forms(ident: str) -> list[str]:
        """The MRN as typed, and a bare number as the MRN it abbreviates (42 -> M0000042)."""
        return [ident] + ([f"M{int(ident):07d}"] if ident.isdigit() and len(ident) <= 7 else [])

    def _by_mrn(self, ident: str) -> None:
        row = None
        for mrn in self._mrn_forms(ident):
            row = self.raw.execute(self.sql.by_mrn, (mrn,)).fetchone()
            if row is not None:
                break
        hops = 0
        while row is not None and row[13] is not None and hops < 10:  # a tombstone: its survivor
            row = self.raw.execute(self.sql.by_id, (row[13],)).fetchone()
            hops += 1
        if row is not None and row[13] is None:
            self.found.setdefault(row[0], _Candidate(row, set())).via.add("MRN")

    def _pairings(self) -> list[tuple[str, str | None]]:
        """(family key, given key or None) for every split of the words, both ways round (asked
        by every step and by the ranking: worked out once a search)."""
        if self._pairs is None:
            self._pairs = self._split_words()
        return self._pairs

    def _split_words(self) -> list[tuple[str, str | None]]:
        words = self.words
        if len(words) == 1:
            return [(words[0], None)]
        pairs: list[tuple[str, str | None]] = []
        for i in range(1, len(words)):
            head, tail = words[:i], words[i:]
            # "smith, john" / "garcia lopez maria": family first; "john smith": family last.
            pairs.append(("".join(head), tail[0]))
            pairs.append(("".join(tail), head[0]))
        pairs.append(("".join(words), None))  # all words one double surname: "quintero zamora"
        seen: set[tuple[str, str | None]] = set()
        return [p for p in pairs if not (p in seen or seen.add(p))]

    def _exact_steps(self) -> list[tuple[str, tuple, str, bool]]:
        """The names-as-typed statements: (sql, params, via, only while the list is short)."""
        steps = []
        for family, given in self._pairings():
            f_hi = upper_bound(family)
            if given is None:
                steps.append((self.sql.family_only, (family, f_hi, self.cap), "name", False))
                steps.append((self.sql.given_only, (family, f_hi, self.cap // 4), "name", True))
            else:
                # Only the first column of an index is a range: range over the longer (rarer)
                # prefix and filter by the other.
                if max(len(given), len(family)) >= 2:  # one seek per name key (LookupSql._seek)
                    sql = self.sql.given_seek if len(given) > len(family) else self.sql.family_seek
                else:
                    sql = self.sql.given_prefix if len(given) > len(family) else self.sql.family_prefix
                steps.append((sql, (family, f_hi, given, upper_bound(given), self.cap), "name", False))
        return steps

    def _fuzzy_pairs(self) -> list[tuple[str, str]]:
        return [(f, g) for f, g in self._pairings() if g is not None][:4]

    def _fuzzy_words(self) -> list[tuple[str, str]]:
        """The (kind, word)s the fuzzy step looks up in the vocabulary (its usual ones)."""
        if len(self.words) == 1:
            return [("f", self.words[0])]
        return list(dict.fromkeys(q for f, g in self._fuzzy_pairs() for q in (("f", f), ("g", g))))

    # --- phases 2 and 3: typos, sound-alikes, name parts -------------------------------------

    def _fuzzy_first(self, kind: str, word: str) -> tuple[list[str], list[str], float]:
        """Sound-alikes and close spellings sharing the first letters: (sounds, close, best)."""
        cached = self._first_cache.get((kind, word))
        if cached is not None:
            return cached
        sounds = set(self.vocab.sounds_like(kind, phonetic_key(word)))
        sounds.discard(word)
        pool: set[str] = set()
        if len(word) >= 4:  # a typo after the first two (three) letters
            head = word[:3] if len(word) >= 6 else word[:2]
            pool.update(self.vocab.with_prefix(kind, head))
        pool.discard(word)
        # Jaro-Winkler in C over the pool; sound-alikes first (they are few), then the closest.
        # Sorted, so that ties keep one order whatever the process's hash seed (a set's order
        # is not: the same search gave different results in two processes).
        close = [t for t, sim, _i in process.extract(word, sorted(pool), scorer=JaroWinkler.normalized_similarity,
                                                     limit=FUZZY_TERMS, score_cutoff=TYPO_THRESHOLD)]
        best = max((JaroWinkler.normalized_similarity(word, t) for t in (*sounds, *close)), default=0.0)
        ranked = sorted(sounds, key=lambda t: (-JaroWinkler.normalized_similarity(word, t), t))
        result = (ranked, close, best)
        self._first_cache[(kind, word)] = result
        return result

    def _wants_trigrams(self, kind: str, word: str, parts: bool, deep: bool) -> bool:
        """A typo in the first letters, or one half of a double surname; and only when the
        trigram neighbours can still reach the word's terms. They come after its sound-alikes
        and close spellings (`_fuzzy_terms`), so with FUZZY_TERMS of those already found they
        would all be cut: 13% of the trigram questions of bench_lookup's typo and sounds-like
        searches at 1M patients, each 0.1-0.8 ms (SQLite) or a statement for the server."""
        if not (deep and len(word) >= 4):
            return False
        ranked, close, best = self._fuzzy_first(kind, word)
        if not parts and best >= 0.9:
            return False
        sounds = set(ranked)
        return len(ranked) + sum(1 for t in close if t not in sounds) < FUZZY_TERMS

    def _fuzzy_terms(self, kind: str, word: str, *, parts: bool = False, deep: bool = True) -> list[str]:
        """Vocabulary terms that sound like `word` or share its trigrams, best first. Without
        `deep`, only sound-alikes and spellings sharing the first letters (no trigram search)."""
        cached = self._fuzzy_cache.get((kind, word, parts, deep))
        if cached is not None:
            return cached
        ranked, close, _best = self._fuzzy_first(kind, word)
        extra: list[str] = []
        if self._wants_trigrams(kind, word, parts, deep):
            extra = _parts_or_close(word, [t for t in self.vocab.sharing_trigrams(kind, word) if t != word])
        sounds = set(ranked)
        result = (ranked + [t for t in close + extra if t not in sounds])[:FUZZY_TERMS]
        self._fuzzy_cache[(kind, word, parts, deep)] = result
        return result

    def _by_names(self, exact_steps, *, narrowed: bool) -> None:
        exact = 0
        for sql, params, via, while_short in exact_steps:
            if not while_short or exact < self.cap:
                exact += len(self.run(sql, params, via))
        if exact >= self.cap and not narrowed:
            return  # enough exact and prefix matches: fuzzy ones would rank below them all
        # Fuzzy: expand the best vocabulary terms of each word (bounded IN lists on the indexes).
        if len(self.words) == 1:
            word = self.words[0]
            # Narrowed by a birth date or phone and the name found as typed: no trigram search.
            deep = not (narrowed and exact)
            if self.batched and self._wants_trigrams("f", word, True, deep):
                self.ask_ahead(trigrams=[("f", word)])
            families = self._fuzzy_terms("f", word, parts=True, deep=deep)
            if families:
                self.run(self.sql.by_family_keys(len(families)), [*families, self.cap], "fuzzy")
            return
        # With some names already matching as typed, look for sound-alikes and typos among close
        # spellings only: the trigram index (a typo in the first letters) costs a few ms a word.
        deep = exact == 0
        pairs = self._fuzzy_pairs()
        if self.batched:
            self.ask_ahead(trigrams=[q for q in self._fuzzy_words() if self._wants_trigrams(*q, False, deep)])
        expand: list[Statement] = []
        for family, given in pairs:
            families = self.sql.padded([family] + self._fuzzy_terms("f", family, deep=deep), FUZZY_TERMS + 1)
            givens = self.sql.padded([given] + self._fuzzy_terms("g", given, deep=deep), FUZZY_TERMS + 1)
            # Given name as a prefix (still being typed) for the exact family and its variants.
            expand.append((self.sql.by_both_keys(len(families), len(givens)), (*families, *givens, self.cap)))
        if self.batched:
            self.ask_ahead(expand)
        fuzzy: list[tuple] = []
        for sql, params in expand:
            fuzzy += self.run(sql, params, "fuzzy")
        # Two words, none found as typed nor as a close family + given name: perhaps one double
        # surname with a typo in either half ("walace-gilmore", "wallace gilmour"). The
        # vocabulary holds whole keys, so expand the words joined.
        if exact or len(self.words) != 2:
            return
        pairings = self._pairings()
        if any(name_match(pairings, row)[1] not in ("partial", "weak") for row in fuzzy):
            return
        joined = "".join(self.words)
        if self.batched:
            self.ask_ahead(words=[("f", joined)])
            if self._wants_trigrams("f", joined, False, True):
                self.ask_ahead(trigrams=[("f", joined)])
        families = self._fuzzy_terms("f", joined)
        if families:
            self.run(self.sql.by_family_keys(len(families)), [*families, self.cap], "fuzzy")
