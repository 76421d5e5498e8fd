"""Patient lookup: one box, one grammar (domain.lookup_query), used by every desk and by
`coordinator find`.

How a query is answered (every database step is an indexed, bounded query; ranking is Python
over at most a few hundred candidates):
  1. identifiers: MRN (a merged-away MRN lands on its survivor) and insurance member id, exact;
  2. phone: the whole number, or its last four digits as a prefix range on the reversed digits;
  3. birth date: equality on (birth_date, family_key);
  4. names: every split of the words into family / given, both ways round (swapped names,
     double surnames "garcia lopez maria"):
       - prefix ranges on the (family_key, given_key) and (given_key, family_key) indexes
         (`key >= 'smi' AND key < 'smj'`, never lower() LIKE);
       - fuzzy terms from the name vocabulary (migration 0002): same phonetic key (Jon/John,
         Smyth/Smith) or sharing trigrams (typos, "jones" inside "smithjones"), ranked by
         Jaro-Winkler, the best few expanded through the patients' key indexes; two words that
         found nothing either way are also tried joined, as one double surname with a typo
         ("wallace gilmour" -> Wallace-Gilmore).
  5. rank: exact before fuzzy (tier), then score; with `today_first`, patients with an
     appointment today come first (the check-in desk).

Searching is not audited per keystroke (it would write on every key); opening a record is.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from functools import lru_cache

from rapidfuzz import process
from rapidfuzz.distance import JaroWinkler
from sqlalchemy import Connection

from coordinator_tui.domain.lookup_query import LookupQuery, parse_lookup
from coordinator_tui.domain.names import name_key, phonetic
from coordinator_tui.domain.slots import day_bounds_utc
from coordinator_tui.errors import UserError
from coordinator_tui.services.context import Actor, AppContext
from coordinator_tui.services.desk_views import age_on
from coordinator_tui.store.bulk import sql_date, sql_instant

MAX_LIMIT = 200
CANDIDATES = 200  # rows fetched per candidate query
FUZZY_TERMS = 8  # vocabulary terms kept per name word for expansion
TYPO_THRESHOLD = 0.82

_COLUMNS = ("p.id, p.mrn, p.family_name, p.given_name, p.family_key, p.given_key, "
            "p.family_phonetic, p.given_phonetic, p.birth_date, p.sex, p.phone_mobile, "
            "p.phone_home, p.alerts, p.merged_into_id, p.phone_mobile_rev, p.phone_home_rev")
_ACTIVE = "p.merged_into_id IS NULL"

# Prebuilt statements (raw SQL through the connection: the ORM costs 6-8x on the hot path).
SQL_BY_MRN = f"SELECT {_COLUMNS} FROM patients p WHERE p.mrn = ?"
SQL_BY_ID = f"SELECT {_COLUMNS} FROM patients p WHERE p.id = ?"
SQL_BY_MEMBER = (f"SELECT {_COLUMNS} FROM coverages c JOIN patients p ON p.id = c.patient_id "
                 f"WHERE c.member_id = ? AND {_ACTIVE} LIMIT 50")
SQL_BY_PHONE = (f"SELECT {_COLUMNS} FROM patients p WHERE p.phone_mobile_rev = ? AND {_ACTIVE} "
                f"UNION SELECT {_COLUMNS} FROM patients p WHERE p.phone_home_rev = ? AND {_ACTIVE} "
                f"LIMIT {CANDIDATES}")
SQL_BY_LAST4 = (f"SELECT {_COLUMNS} FROM patients p WHERE p.phone_mobile_rev >= ? "
                f"AND p.phone_mobile_rev < ? AND {_ACTIVE} "
                f"UNION SELECT {_COLUMNS} FROM patients p WHERE p.phone_home_rev >= ? "
                f"AND p.phone_home_rev < ? AND {_ACTIVE} LIMIT {CANDIDATES}")
SQL_BY_DOB = f"SELECT {_COLUMNS} FROM patients p WHERE p.birth_date = ? AND {_ACTIVE} LIMIT ?"
SQL_FAMILY_PREFIX = (f"SELECT {_COLUMNS} FROM patients p WHERE p.family_key >= ? AND p.family_key < ? "
                     f"AND p.given_key >= ? AND p.given_key < ? AND {_ACTIVE} LIMIT ?")
# The same question through the other index: for "jo smi" read as family "jo", given "smi", the
# range over given names starting "smi" is far shorter than over family names starting "jo".
SQL_GIVEN_PREFIX = (f"SELECT {_COLUMNS} FROM patients p INDEXED BY ix_patients_given_key_family_key "
                    f"WHERE p.family_key >= ? AND p.family_key < ? "
                    f"AND p.given_key >= ? AND p.given_key < ? AND {_ACTIVE} LIMIT ?")
SQL_FAMILY_ONLY = (f"SELECT {_COLUMNS} FROM patients p WHERE p.family_key >= ? AND p.family_key < ? "
                   f"AND {_ACTIVE} LIMIT ?")
SQL_GIVEN_ONLY = (f"SELECT {_COLUMNS} FROM patients p INDEXED BY ix_patients_given_key_family_key "
                  f"WHERE p.given_key >= ? AND p.given_key < ? AND {_ACTIVE} LIMIT ?")
SQL_VOCAB_PHONETIC = ("SELECT key FROM patient_search_vocab WHERE kind = ? AND phonetic = ? "
                      "LIMIT 60")
SQL_VOCAB_PREFIX = ("SELECT key FROM patient_search_vocab WHERE kind = ? AND key >= ? AND key < ? "
                    "LIMIT 300")
SQL_VOCAB_TRIGRAM = ("SELECT v.key FROM patient_search_trigram t JOIN patient_search_vocab v "
                     "ON v.id = t.rowid WHERE patient_search_trigram MATCH ? AND v.kind = ? "
                     "ORDER BY t.rank LIMIT 80")
SQL_TODAY = ("SELECT DISTINCT a.patient_id FROM appointments a WHERE a.starts_at >= ? "
             "AND a.starts_at < ? AND a.status NOT IN ('cancelled')")
SQL_NEXT_APPT = ("SELECT a.patient_id, min(a.starts_at) FROM appointments a "
                 "WHERE a.patient_id IN ({marks}) AND a.starts_at >= ? "
                 "AND a.status IN ('scheduled', 'confirmed', 'arrived', 'roomed', 'with_provider') "
                 "GROUP BY a.patient_id")
SQL_DUPES = ("SELECT p.birth_date, p.family_key, count(*) FROM patients p "
             "WHERE p.birth_date IN ({dates}) AND p.family_key IN ({keys}) AND " + _ACTIVE +
             " GROUP BY p.birth_date, p.family_key")


def _in_marks(count: int) -> str:
    return ", ".join("?" * count)


@dataclass(frozen=True)
class PatientHit:
    id: int
    mrn: str
    family_name: str
    given_name: str
    birth_date: date
    age: int
    sex: str
    phone_masked: str
    next_appointment: datetime | None
    has_alerts: bool
    possible_duplicate: bool
    score: float
    reason: str
    scheduled_today: bool = False

    @property
    def display_name(self) -> str:
        return f"{self.family_name}, {self.given_name}"


@dataclass
class _Candidate:
    row: tuple
    via: set[str]


def _upper_bound(prefix: str) -> str:
    """The smallest string above every string starting with `prefix` (for range queries)."""
    return prefix[:-1] + chr(ord(prefix[-1]) + 1)


def _trigram_query(word: str) -> str | None:
    if len(word) < 3:
        return None
    grams = {word[i:i + 3] for i in range(len(word) - 2)}
    return " OR ".join('"' + g.replace('"', '""') + '"' for g in sorted(grams))


class _Search:
    def __init__(self, conn: Connection, query: LookupQuery, today: date, limit: int):
        self.conn = conn
        self.raw = conn.connection.driver_connection  # the sqlite3 connection
        self.q = query
        self.today = today
        self.cap = min(CANDIDATES, max(40, limit * 3))
        self.found: dict[int, _Candidate] = {}
        self.words = [w for w in (name_key(n) for n in query.names) if w]
        self._fuzzy_cache: dict[tuple[str, str, bool, bool], list[str]] = {}

    def run(self, sql: str, params: Sequence, via: str) -> list[tuple]:
        rows = self.raw.execute(sql, params).fetchall()
        for row in rows:
            if row[0] in self.found:
                self.found[row[0]].via.add(via)
            else:
                self.found[row[0]] = _Candidate(row, {via})
        return rows

    # --- candidate generation ------------------------------------------------------------------

    def gather(self) -> None:
        q = self.q
        for ident in q.identifiers:
            self._by_mrn(ident)
            self.run(SQL_BY_MEMBER, (ident,), "member id")
        if q.phone:
            rev = q.phone[::-1]
            self.run(SQL_BY_PHONE, (rev, rev), "phone")
        if q.phone_last4:
            lo = q.phone_last4[::-1]
            hi = _upper_bound(lo)
            self.run(SQL_BY_LAST4, (lo, hi, lo, hi), "phone")
        if q.birth_date:
            self.run(SQL_BY_DOB, (sql_date(q.birth_date), CANDIDATES), "birth date")
        if self.words:
            self._by_names(narrowed=bool(q.birth_date or q.phone or q.phone_last4 or q.identifiers))

    def _by_mrn(self, ident: str) -> None:
        row = self.raw.execute(SQL_BY_MRN, (ident,)).fetchone()
        if row is None and ident.isdigit():
            row = self.raw.execute(SQL_BY_MRN, (f"M{int(ident):07d}",)).fetchone() if len(ident) <= 7 else None
        hops = 0
        while row is not None and row[13] is not None and hops < 10:  # a tombstone: its survivor
            row = self.raw.execute(SQL_BY_ID, (row[13],)).fetchone()
            hops += 1
        if row is not None and row[13] is None:
            self.found.setdefault(row[0], _Candidate(row, set())).via.add("MRN")

    def _pairings(self) -> list[tuple[str, str | None]]:
        """(family key, given key or None) for every split of the words, both ways round."""
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

    def _fuzzy_terms(self, kind: str, word: str, *, parts: bool = False, deep: bool = True) -> list[str]:
        """Vocabulary terms that sound like `word` or share its trigrams, best first. Without
        `deep`, only sound-alikes and spellings sharing the first letters (no trigram search)."""
        cached = self._fuzzy_cache.get((kind, word, parts, deep))
        if cached is not None:
            return cached
        sounds = {r[0] for r in self.raw.execute(SQL_VOCAB_PHONETIC, (kind, _phonetic(word)))}
        sounds.discard(word)
        pool: set[str] = set()
        if len(word) >= 4:  # a typo after the first two (three) letters
            head = word[:3] if len(word) >= 6 else word[:2]
            pool.update(r[0] for r in self.raw.execute(SQL_VOCAB_PREFIX, (kind, head, _upper_bound(head))))
        pool.discard(word)
        # Jaro-Winkler in C over the pool; sound-alikes first (they are few), then the closest.
        close = [t for t, sim, _i in process.extract(word, list(pool), scorer=JaroWinkler.normalized_similarity,
                                                     limit=FUZZY_TERMS, score_cutoff=TYPO_THRESHOLD)]
        best = max((JaroWinkler.normalized_similarity(word, t) for t in (*sounds, *close)), default=0.0)
        extra: list[str] = []
        match = _trigram_query(word)
        if deep and match and len(word) >= 4 and (parts or best < 0.9):
            # A typo in the first letters, or one half of a double surname.
            found = [r[0] for r in self.raw.execute(SQL_VOCAB_TRIGRAM, (match, kind)) if r[0] != word]
            extra = [t for t, _sim, _i in process.extract(word, found, scorer=_part_or_similar,
                                                           limit=FUZZY_TERMS, score_cutoff=0.75)]
        ranked = sorted(sounds, key=lambda t: -JaroWinkler.normalized_similarity(word, t))
        ranked += [t for t in close + extra if t not in sounds]
        result = ranked[:FUZZY_TERMS]
        self._fuzzy_cache[(kind, word, parts, deep)] = result
        return result

    def _by_names(self, *, narrowed: bool) -> None:
        exact = 0
        for family, given in self._pairings():
            f_hi = _upper_bound(family)
            if given is None:
                exact += len(self.run(SQL_FAMILY_ONLY, (family, f_hi, self.cap), "name"))
                if exact < self.cap:
                    exact += len(self.run(SQL_GIVEN_ONLY, (family, f_hi, self.cap // 4), "name"))
            else:
                # Only the first column of an index is a range: range over the longer (rarer)
                # prefix and filter by the other.
                sql = SQL_GIVEN_PREFIX if len(given) > len(family) else SQL_FAMILY_PREFIX
                exact += len(self.run(sql, (family, f_hi, given, _upper_bound(given), self.cap), "name"))
        if exact >= self.cap and not narrowed:
            return  # enough exact and prefix matches: fuzzy ones would rank below them all
        # Fuzzy: expand the best vocabulary terms of each word (bounded IN lists on the indexes).
        if len(self.words) == 1:
            word = self.words[0]
            # Narrowed by a birth date or phone and the name found as typed: no trigram search.
            families = self._fuzzy_terms("f", word, parts=True, deep=not (narrowed and exact))
            if families:
                self.run(f"SELECT {_COLUMNS} FROM patients p WHERE p.family_key IN "
                         f"({_in_marks(len(families))}) AND {_ACTIVE} LIMIT ?",
                         [*families, self.cap], "fuzzy")
            return
        # With some names already matching as typed, look for sound-alikes and typos among close
        # spellings only: the trigram index (a typo in the first letters) costs a few ms a word.
        deep = exact == 0
        fuzzy: list[tuple] = []
        for family, given in [p for p in self._pairings() if p[1] is not None][:4]:
            families = [family] + self._fuzzy_terms("f", family, deep=deep)
            givens = [given] + self._fuzzy_terms("g", given, deep=deep)
            # Given name as a prefix (still being typed) for the exact family and its variants.
            fuzzy += self.run(f"SELECT {_COLUMNS} FROM patients p WHERE p.family_key IN "
                     f"({_in_marks(len(families))}) AND p.given_key IN ({_in_marks(len(givens))}) "
                     f"AND {_ACTIVE} LIMIT ?", [*families, *givens, self.cap], "fuzzy")
        # Two words, none found as typed nor as a close family + given name: perhaps one double
        # surname with a typo in either half ("walace-gilmore", "wallace gilmour"). The
        # vocabulary holds whole keys, so expand the words joined.
        if exact or len(self.words) != 2:
            return
        pairings = self._pairings()
        if any(_name_match(pairings, row)[1] not in ("partial", "weak") for row in fuzzy):
            return
        families = self._fuzzy_terms("f", "".join(self.words))
        if families:
            self.run(f"SELECT {_COLUMNS} FROM patients p WHERE p.family_key IN "
                     f"({_in_marks(len(families))}) AND {_ACTIVE} LIMIT ?",
                     [*families, self.cap], "fuzzy")


@lru_cache(maxsize=4096)
def _phonetic(word: str) -> str:
    return phonetic(word)


@lru_cache(maxsize=65536)
def _word_score(query: str, key: str, key_phonetic: str) -> tuple[float, str]:
    """How well one query word matches one stored key: (score 0..1, kind of match)."""
    if not key:
        return 0.0, ""
    if key == query:
        return 1.0, "exact"
    if key.startswith(query):
        return 0.93, "prefix"
    if len(query) >= 4 and query in key:
        return 0.86, "part"  # one half of a double surname
    sim = JaroWinkler.normalized_similarity(query, key)  # both are keys already
    if _phonetic(query) == key_phonetic and sim >= 0.6:
        return 0.80 + 0.05 * sim, "sound"
    if sim >= TYPO_THRESHOLD:
        return 0.70 * sim + 0.05, "typo"
    return 0.5 * sim, "weak"


def _part_or_similar(word: str, term: str, **_kw) -> float:
    return 0.9 if len(word) >= 4 and word in term else JaroWinkler.normalized_similarity(word, term)


_NAME_REASON = {"exact": "exact name", "prefix": "name starts", "part": "name part",
                "sound": "sounds like", "typo": "typo", "partial": "part of name",
                "weak": "weak name"}
_KIND_ORDER = {"exact": 0, "prefix": 1, "part": 2, "sound": 3, "typo": 4, "partial": 5, "weak": 6}


def _name_match(pairings, row: tuple) -> tuple[float, str]:
    """Best (score, worst word kind) over the pairings (both ways round) for a candidate row."""
    family_key, given_key, family_ph, given_ph = row[4], row[5], row[6], row[7]
    best = (0.0, "weak")
    for family, given in pairings:
        f_score, f_kind = _word_score(family, family_key, family_ph)
        if given is None:
            g_score, g_kind = _word_score(family, given_key, given_ph)
            if g_score > f_score:  # one word matching the given name only: ranked lower
                score, kind = g_score * 0.9, g_kind
            else:
                score, kind = f_score, f_kind
        else:
            g_score, g_kind = _word_score(given, given_key, given_ph)
            score = (f_score + g_score) / 2
            kind = max(f_kind, g_kind, key=lambda k: _KIND_ORDER[k])
            if kind == "weak" and score >= 0.6:
                kind = "partial"  # one name right, the other not: kept, ranked by score
        if score > best[0]:
            best = (score, kind)
    return best


def _clamp_limit(limit: int) -> int:
    if not isinstance(limit, int) or isinstance(limit, bool):
        raise UserError("the number of results must be a whole number")
    if limit < 1 or limit > MAX_LIMIT:
        raise UserError(f"the number of results must be between 1 and {MAX_LIMIT}")
    return limit


def search_patients(ctx: AppContext, actor: Actor, text: str, *, limit: int = 20,
                    today_first: bool = False) -> list[PatientHit]:
    """Patients matching the search box text, best first (at most `limit`)."""
    if not isinstance(text, str):
        raise UserError("the search must be text")
    limit = _clamp_limit(limit)
    today = ctx.today()
    query = parse_lookup(text, day_first=ctx.settings.day_first, today=today)
    if query.is_empty:
        return []
    with ctx.db.read() as session:
        conn = session.connection()
        search = _Search(conn, query, today, limit)
        search.gather()
        today_ids: set[int] = set()
        if today_first:
            start, end = day_bounds_utc(today, ctx.settings.tz)
            today_ids = {r[0] for r in search.raw.execute(SQL_TODAY, (sql_instant(start), sql_instant(end)))}
            # Today's patients are few: look at all of them, so a common name cannot hide them.
            missing = [pid for pid in today_ids if pid not in search.found]
            for chunk in _chunks(missing, 400):
                search.run(f"SELECT {_COLUMNS} FROM patients p WHERE p.id IN ({_in_marks(len(chunk))}) "
                           f"AND {_ACTIVE}", chunk, "today")
        ranked = _rank(search, query, today_ids)[:limit]
        return _hits(search, ranked, ctx, today, today_ids)


def _chunks(items: list, size: int) -> Iterable[list]:
    for i in range(0, len(items), size):
        yield items[i:i + size]


def _rank(search: _Search, query: LookupQuery, today_ids: set[int]) -> list[tuple[tuple, float, str]]:
    words = search.words
    pairings = search._pairings() if words else []
    rev_phone = query.phone[::-1] if query.phone else None
    last4 = query.phone_last4[::-1] if query.phone_last4 else None
    dob = sql_date(query.birth_date) if query.birth_date else None
    out: list[tuple[tuple, tuple, float, str]] = []
    for cand in search.found.values():
        row = cand.row
        parts: list[tuple[float, float]] = []  # (weight, score 0..1)
        reasons: list[str] = []
        exact = True
        if "MRN" in cand.via or "member id" in cand.via:
            parts.append((2.0, 1.0))
            reasons.append("MRN" if "MRN" in cand.via else "member id")
        elif query.identifiers:
            parts.append((2.0, 0.0))
            exact = False
        if rev_phone or last4:
            hit = any(r and (r == rev_phone if rev_phone else r.startswith(last4))
                      for r in (row[14], row[15]))
            parts.append((1.0, 1.0 if hit else 0.0))
            exact &= hit
            if hit:
                reasons.append("phone")
        if dob:
            near = _date_closeness(dob, str(row[8]))
            parts.append((0.7, near))
            exact &= near == 1.0
            if near == 1.0:
                reasons.append("birth date")
            elif near > 0:
                reasons.append("birth date near")
        if words:
            score, kind = _name_match(pairings, row)
            parts.append((1.0, score))
            exact &= kind in ("exact", "prefix")
            reasons.insert(0, _NAME_REASON[kind])
            if kind == "weak" and not (rev_phone or last4 or dob or "MRN" in cand.via or
                                       "member id" in cand.via):
                continue  # a name query whose name does not match at all: not a hit
        if not parts:
            continue
        score = sum(w * v for w, v in parts) / sum(w for w, _v in parts)
        if words and kind == "weak":
            score *= 0.5  # the name typed does not match: below any name that does
        if "today" in cand.via and len(cand.via) == 1 and score < 0.6:
            continue  # today's list is only a candidate pool, not a match in itself
        in_today = row[0] in today_ids
        sort_key = (0 if in_today else 1, 0 if exact else 1, -score, row[4], row[5], row[0])
        out.append((row, sort_key, score, ", ".join(dict.fromkeys(reasons)) or "match"))
    out.sort(key=lambda item: item[1])
    return [(row, score, reason) for row, _key, score, reason in out]


def _date_closeness(wanted: str, stored: str) -> float:
    """1 for the same ISO date, 0.5 for a likely slip (day and month swapped, one digit off)."""
    if wanted == stored:
        return 1.0
    if len(wanted) != 10 or len(stored) != 10:
        return 0.0
    if wanted[:4] == stored[:4] and wanted[5:7] == stored[8:10] and wanted[8:10] == stored[5:7]:
        return 0.5
    if sum(a != b for a, b in zip(wanted, stored, strict=True)) == 1:
        return 0.5
    return 0.0


def _hits(search: _Search, ranked, ctx: AppContext, today: date, today_ids: set[int]) -> list[PatientHit]:
    if not ranked:
        return []
    raw = search.raw
    ids = [row[0] for row, _s, _r in ranked]
    next_appt: dict[int, datetime] = {}
    for pid, at in raw.execute(SQL_NEXT_APPT.format(marks=_in_marks(len(ids))),
                               (*ids, sql_instant(ctx.now()))):
        next_appt[pid] = _instant(at)
    dates = sorted({str(row[8]) for row, _s, _r in ranked})
    keys = sorted({row[4] for row, _s, _r in ranked})
    dupes = {(d, k) for d, k, n in raw.execute(
        SQL_DUPES.format(dates=_in_marks(len(dates)), keys=_in_marks(len(keys))), (*dates, *keys))
        if n > 1}
    hits = []
    for row, score, reason in ranked:
        birth = date.fromisoformat(str(row[8]))
        hits.append(PatientHit(
            id=row[0], mrn=row[1], family_name=row[2], given_name=row[3], birth_date=birth,
            age=age_on(birth, today), sex=row[9], phone_masked=_masked(row, search.q),
            next_appointment=next_appt.get(row[0]), has_alerts=bool(row[12] and row[12].strip()),
            possible_duplicate=(str(row[8]), row[4]) in dupes, score=round(score, 3),
            reason=reason, scheduled_today=row[0] in today_ids,
        ))
    return hits


def _masked(row: tuple, query: LookupQuery) -> str:
    """The phone that matched the search (home or mobile), else the mobile, as '•••-0123'.

    Built from the stored reversed digits (as phones.masked does, without parsing each number)."""
    rev = row[14] or row[15]
    if row[15] and ((query.phone_last4 and row[15].startswith(query.phone_last4[::-1]))
                    or (query.phone and row[15] == query.phone[::-1])):
        rev = row[15]
    return "•••-" + rev[:4][::-1] if rev else ""


def _instant(value) -> datetime:
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    return datetime.fromisoformat(str(value)).replace(tzinfo=UTC)
