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

Searching is not audited per keystroke (it would write on every key); opening a record is."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime

from rapidfuzz import process
from rapidfuzz.distance import JaroWinkler
from sqlalchemy import Connection

from coordinator_tui.domain.lookup_query import LookupQuery, parse_lookup
from coordinator_tui.domain.names import name_key
from coordinator_tui.domain.slots import day_bounds_utc
from coordinator_tui.errors import UserError
from coordinator_tui.services.context import Actor, AppContext
from coordinator_tui.services.desk_views import age_on
from coordinator_tui.services.patients.lookup_dialect import candidate_connection
from coordinator_tui.services.patients.lookup_scores import (
    NAME_REASON,
    TYPO_THRESHOLD,
    date_closeness,
    name_match,
    part_or_similar,
    phonetic_key,
)
from coordinator_tui.services.patients.lookup_sql import (
    ACTIVE_PATIENT,
    CANDIDATES,
    HIT_COLUMNS,
    SQL_BY_DOB,
    SQL_BY_ID,
    SQL_BY_MEMBER,
    SQL_BY_MRN,
    SQL_BY_PHONE,
    SQL_DUPES,
    SQL_FAMILY_ONLY,
    SQL_FAMILY_PREFIX,
    SQL_GIVEN_ONLY,
    SQL_GIVEN_PREFIX,
    SQL_NEXT_APPT,
    SQL_TODAY,
    SQL_VOCAB_PHONETIC,
    SQL_VOCAB_PREFIX,
    SQL_VOCAB_TRIGRAM,
    chunks,
    in_marks,
    trigram_query,
    upper_bound,
)
from coordinator_tui.store.bulk import sql_date, sql_instant

MAX_LIMIT = 200


FUZZY_TERMS = 8  # vocabulary terms kept per name word for expansion


SQL_BY_LAST4 = (f"SELECT {HIT_COLUMNS} FROM patients p WHERE p.phone_mobile_rev >= ? "
                f"AND p.phone_mobile_rev < ? AND {ACTIVE_PATIENT} "
                f"UNION SELECT {HIT_COLUMNS} FROM patients p WHERE p.phone_home_rev >= ? "
                f"AND p.phone_home_rev < ? AND {ACTIVE_PATIENT} LIMIT {CANDIDATES}")


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


class _Search:
    def __init__(self, conn: Connection, query: LookupQuery, today: date, limit: int):
        self.conn = conn
        self.raw = candidate_connection(conn)  # SQLite's; lookup_dialect.py says why
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
            hi = upper_bound(lo)
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
        sounds = {r[0] for r in self.raw.execute(SQL_VOCAB_PHONETIC, (kind, phonetic_key(word)))}
        sounds.discard(word)
        pool: set[str] = set()
        if len(word) >= 4:  # a typo after the first two (three) letters
            head = word[:3] if len(word) >= 6 else word[:2]
            pool.update(r[0] for r in self.raw.execute(SQL_VOCAB_PREFIX, (kind, head, upper_bound(head))))
        pool.discard(word)
        # Jaro-Winkler in C over the pool; sound-alikes first (they are few), then the closest.
        close = [t for t, sim, _i in process.extract(word, list(pool), scorer=JaroWinkler.normalized_similarity,
                                                     limit=FUZZY_TERMS, score_cutoff=TYPO_THRESHOLD)]
        best = max((JaroWinkler.normalized_similarity(word, t) for t in (*sounds, *close)), default=0.0)
        extra: list[str] = []
        match = trigram_query(word)
        if deep and match and len(word) >= 4 and (parts or best < 0.9):
            # A typo in the first letters, or one half of a double surname.
            found = [r[0] for r in self.raw.execute(SQL_VOCAB_TRIGRAM, (match, kind)) if r[0] != word]
            extra = [t for t, _sim, _i in process.extract(word, found, scorer=part_or_similar,
                                                           limit=FUZZY_TERMS, score_cutoff=0.75)]
        ranked = sorted(sounds, key=lambda t: -JaroWinkler.normalized_similarity(word, t))
        ranked += [t for t in close + extra if t not in sounds]
        result = ranked[:FUZZY_TERMS]
        self._fuzzy_cache[(kind, word, parts, deep)] = result
        return result

    def _by_names(self, *, narrowed: bool) -> None:
        exact = 0
        for family, given in self._pairings():
            f_hi = upper_bound(family)
            if given is None:
                exact += len(self.run(SQL_FAMILY_ONLY, (family, f_hi, self.cap), "name"))
                if exact < self.cap:
                    exact += len(self.run(SQL_GIVEN_ONLY, (family, f_hi, self.cap // 4), "name"))
            else:
                # Only the first column of an index is a range: range over the longer (rarer)
                # prefix and filter by the other.
                sql = SQL_GIVEN_PREFIX if len(given) > len(family) else SQL_FAMILY_PREFIX
                exact += len(self.run(sql, (family, f_hi, given, upper_bound(given), self.cap), "name"))
        if exact >= self.cap and not narrowed:
            return  # enough exact and prefix matches: fuzzy ones would rank below them all
        # Fuzzy: expand the best vocabulary terms of each word (bounded IN lists on the indexes).
        if len(self.words) == 1:
            word = self.words[0]
            # Narrowed by a birth date or phone and the name found as typed: no trigram search.
            families = self._fuzzy_terms("f", word, parts=True, deep=not (narrowed and exact))
            if families:
                self.run(f"SELECT {HIT_COLUMNS} FROM patients p WHERE p.family_key IN "
                         f"({in_marks(len(families))}) AND {ACTIVE_PATIENT} LIMIT ?",
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
            fuzzy += self.run(f"SELECT {HIT_COLUMNS} FROM patients p WHERE p.family_key IN "
                     f"({in_marks(len(families))}) AND p.given_key IN ({in_marks(len(givens))}) "
                     f"AND {ACTIVE_PATIENT} LIMIT ?", [*families, *givens, self.cap], "fuzzy")
        # Two words, none found as typed nor as a close family + given name: perhaps one double
        # surname with a typo in either half ("walace-gilmore", "wallace gilmour"). The
        # vocabulary holds whole keys, so expand the words joined.
        if exact or len(self.words) != 2:
            return
        pairings = self._pairings()
        if any(name_match(pairings, row)[1] not in ("partial", "weak") for row in fuzzy):
            return
        families = self._fuzzy_terms("f", "".join(self.words))
        if families:
            self.run(f"SELECT {HIT_COLUMNS} FROM patients p WHERE p.family_key IN "
                     f"({in_marks(len(families))}) AND {ACTIVE_PATIENT} LIMIT ?",
                     [*families, self.cap], "fuzzy")


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
            for chunk in chunks(missing, 400):
                search.run(f"SELECT {HIT_COLUMNS} FROM patients p WHERE p.id IN ({in_marks(len(chunk))}) "
                           f"AND {ACTIVE_PATIENT}", chunk, "today")
        ranked = _rank(search, query, today_ids)[:limit]
        return _hits(search, ranked, ctx, today, today_ids)


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
            near = date_closeness(dob, str(row[8]))
            parts.append((0.7, near))
            exact &= near == 1.0
            if near == 1.0:
                reasons.append("birth date")
            elif near > 0:
                reasons.append("birth date near")
        if words:
            score, kind = name_match(pairings, row)
            parts.append((1.0, score))
            exact &= kind in ("exact", "prefix")
            reasons.insert(0, NAME_REASON[kind])
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


def _hits(search: _Search, ranked, ctx: AppContext, today: date, today_ids: set[int]) -> list[PatientHit]:
    if not ranked:
        return []
    raw = search.raw
    ids = [row[0] for row, _s, _r in ranked]
    next_appt: dict[int, datetime] = {}
    for pid, at in raw.execute(SQL_NEXT_APPT.format(marks=in_marks(len(ids))),
                               (*ids, sql_instant(ctx.now()))):
        next_appt[pid] = _instant(at)
    dates = sorted({str(row[8]) for row, _s, _r in ranked})
    keys = sorted({row[4] for row, _s, _r in ranked})
    dupes = {(d, k) for d, k, n in raw.execute(
        SQL_DUPES.format(dates=in_marks(len(dates)), keys=in_marks(len(keys))), (*dates, *keys))
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

