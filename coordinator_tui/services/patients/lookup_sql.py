"""The prebuilt lookup statements, one set per engine, each built in that engine's own form and
parameter style once (`statements_for`) and never parsed or rewritten per search.

Raw SQL over the indexed search keys, through the DB-API connection (the ORM costs 6-8x on the
hot path). The same question on both engines, with the same parameters in the same order; the
forms differ where each planner needs its own (issue 20 item 3):

- a walk of one name index. SQLite is told which (`INDEXED BY`): without statistics it may range
  over the other index, and for "clara d" read as family "clara", given "d" it walked every
  given name starting "d" (17-29 ms at 1M patients). PostgreSQL gets an ORDER BY of that index's
  columns: the same rows SQLite's walk returns, and a plan made without the values (a generic
  plan, below) can pick neither the other index nor a bitmap scan reading the whole range
  before the LIMIT ("m": every family name starting "m", 31 ms);
- the fuzzy expansion (family keys x given keys). SQLite probes its composite index with each
  pair of the IN lists; PostgreSQL planned the IN lists as a BitmapAnd of both key indexes,
  reading every patient with any of the given names (13,207 index entries for "john"'s nine
  spellings at 1M, 2.7-3.5 ms), so there it is a join of the two lists, 72 probes, 0.2 ms;
- the duplicates question, (birth date, family key) pairs: ORed on SQLite, a join of the pairs
  on PostgreSQL (20 bitmap scans ORed took 0.36-0.47 ms to plan; the join 0.13 ms).

Generic plans (PostgreSQL): planning was about half of the server's time for a name search.
psycopg prepares a statement it has run 5 times on a connection; PostgreSQL still plans each run
anew unless told otherwise. The statements in `generic` are index probes or short index ranges
whose plan does not depend on the values, so lookup_pg runs them with `plan_cache_mode =
force_generic_plan` (the setting of the lookup's own connections, `PG_SESSION`) and a prepared
one is not planned again. Not the fuzzy family names alone (`family_key IN (8 terms) LIMIT 60`:
a generic plan, not knowing that "smith" is common, reads every row of the eight names by
bitmap before the LIMIT, and returns other rows), nor anything not listed. The last four
digits of a phone are, in a form of their own (`_last4_pg`)."""

from __future__ import annotations

from collections.abc import Iterable
from functools import cache, wraps

CANDIDATES = 200  # rows fetched per candidate query
# pg_trgm's word similarity a term needs (lookup_pg). Its default, 0.6, misses "cshmidt" for
# "schmidt" (0.5). On splink's fake people (tests/services/test_lookup_accuracy.py): 0.4 gave
# top-1 0.852, 0.25 0.858 and top-5 0.905, as SQLite's 0.860 / 0.905; lower costs more rows
# to recheck.
WORD_SIMILARITY = 0.25
# PostgreSQL: the settings of the lookup's own read connections (store.engine.Database.read_driver),
# fixed when they are opened: the statements in `LookupSql.generic` run on generic plans (the
# others get the custom mode by a SET LOCAL in their round trip, lookup_pg), and the trigram
# questions' threshold. Both were sent in every search before (SET LOCAL, in BEGIN ... COMMIT).
PG_SESSION = (("plan_cache_mode", "force_generic_plan"),
              ("pg_trgm.word_similarity_threshold", str(WORD_SIMILARITY)))

HIT_COLUMNS = ("p.id, p.mrn, p.family_name, p.given_name, p.family_key, p.given_key, "
               "p.family_phonetic, p.given_phonetic, p.birth_date, p.sex, p.phone_mobile, "
               "p.phone_home, p.alerts, p.merged_into_id, p.phone_mobile_rev, p.phone_home_rev")

ACTIVE_PATIENT = "p.merged_into_id IS NULL"

_HIT = f"SELECT {HIT_COLUMNS} FROM patients p"
_NEXT_STATUSES = "('scheduled', 'confirmed', 'arrived', 'roomed', 'with_provider')"
FAMILY_INDEX = "ix_patients_family_key_given_key"
GIVEN_INDEX = "ix_patients_given_key_family_key"
_INDEX_ORDER = {FAMILY_INDEX: "p.family_key, p.given_key", GIVEN_INDEX: "p.given_key, p.family_key"}


def _once_per_size(build):
    """A statement sized by its lists is built once per engine and size: a search asks for the
    same few sizes again and again (and PostgreSQL's are padded to fixed ones)."""
    @wraps(build)
    def sized(self, *sizes: int) -> str:
        key = (build.__name__, *sizes)
        sql = self._sized.get(key)
        if sql is None:
            sql = self._sized[key] = build(self, *sizes)
        return sql
    return sized


class LookupSql:
    """One engine's lookup statements ('sqlite' or 'postgresql'). Fixed ones are attributes;
    the ones sized by their lists are built once per size and kept."""

    def __init__(self, dialect: str):
        self.pg = pg = dialect == "postgresql"
        m = self.mark = "%s" if pg else "?"
        self.generic: set[str] = set()  # PostgreSQL: may run on a generic plan (above)
        self._sized: dict[tuple, str] = {}
        both_ranges = (f"p.family_key >= {m} AND p.family_key < {m} "
                       f"AND p.given_key >= {m} AND p.given_key < {m} AND {ACTIVE_PATIENT}")
        self.by_mrn = self._g(f"{_HIT} WHERE p.mrn = {m}")
        self.by_id = self._g(f"{_HIT} WHERE p.id = {m}")
        self.by_member = self._g(f"SELECT {HIT_COLUMNS} FROM coverages c JOIN patients p ON p.id = c.patient_id "
                                 f"WHERE c.member_id = {m} AND {ACTIVE_PATIENT} LIMIT 50")
        self.by_phone = self._g(f"{_HIT} WHERE p.phone_mobile_rev = {m} AND {ACTIVE_PATIENT} "
                                f"UNION {_HIT} WHERE p.phone_home_rev = {m} AND {ACTIVE_PATIENT} "
                                f"LIMIT {CANDIDATES}")
        # SQLite: the ids from the two phone indexes alone (covering: an index holds the rowid),
        # then only the rows kept, in id order: the same 200 rows as a UNION of the whole rows,
        # without reading and sorting ~600 wide rows when 3M patients share 300 endings a column.
        # PostgreSQL: its phone indexes hold no id, so that form read each row twice (its id by
        # the phone index, then the row again by the primary key: 666 pages for 132 rows at 1M
        # patients, 1.9 ms, planned anew each time, 0.4 ms); `_last4_pg` reads each row once.
        self.by_last4 = self._last4_pg() if pg else (
            f"{_HIT} WHERE p.id IN (SELECT id FROM patients "
            f"WHERE phone_mobile_rev >= ? AND phone_mobile_rev < ? UNION SELECT id FROM patients "
            f"WHERE phone_home_rev >= ? AND phone_home_rev < ?) AND {ACTIVE_PATIENT} "
            f"ORDER BY p.id LIMIT {CANDIDATES}")
        self.by_dob = self._g(f"{_HIT} WHERE p.birth_date = {m} AND {ACTIVE_PATIENT} LIMIT {m}")
        # Range over the longer (rarer) prefix's index and filter by the other: "jo smi" read as
        # family "jo", given "smi" walks the given names starting "smi".
        self.family_prefix = self._walk(FAMILY_INDEX, both_ranges, hint=True)
        self.given_prefix = self._walk(GIVEN_INDEX, both_ranges, hint=True)
        # The same question, one seek per name key (`_seek`; SQLite, a prefix of 2+ letters).
        self.family_seek = self.family_prefix if pg else self._seek(FAMILY_INDEX)
        self.given_seek = self.given_prefix if pg else self._seek(GIVEN_INDEX)
        self.family_only = self._walk(FAMILY_INDEX, f"p.family_key >= {m} AND p.family_key < {m} "
                                      f"AND {ACTIVE_PATIENT}", hint=False)
        self.given_only = self._walk(GIVEN_INDEX, f"p.given_key >= {m} AND p.given_key < {m} "
                                     f"AND {ACTIVE_PATIENT}", hint=True)
        self.vocab_phonetic = self._g(f"SELECT key FROM patient_search_vocab WHERE kind = {m} "
                                      f"AND phonetic = {m} LIMIT 60")
        # The first 300 in key order, as SQLite's vocabulary answers (a common head has more).
        self.vocab_prefix = self._g(f"SELECT key FROM patient_search_vocab WHERE kind = {m} AND key >= {m} "
                                    f"AND key < {m}" + (" ORDER BY key" if pg else "") + " LIMIT 300")
        self.today = (f"SELECT DISTINCT a.patient_id FROM appointments a WHERE a.starts_at >= {m} "
                      f"AND a.starts_at < {m} AND a.status NOT IN ('cancelled')")

    def _g(self, sql: str) -> str:
        if self.pg:
            self.generic.add(sql)
        return sql

    def _last4_pg(self) -> str:
        """PostgreSQL: the rows whose mobile or home number ends with the four digits (params:
        the reversed digits' range twice), in id order, the first 200: the rows of SQLite's
        form. The two phone indexes ORed into one bitmap, each row read once, sorted by id.
        Generic: the digits are always four (100-300 rows a column at 1M-3M patients, whatever
        the values), and `p.id + 0` leaves a plan made without them no walk of the primary key
        in id order (the plan that read every patient, 400 ms). At 1M patients 138 pages, 0.46
        ms, never planned again."""
        return self._g(f"{_HIT} WHERE ((p.phone_mobile_rev >= %s AND p.phone_mobile_rev < %s) "
                       f"OR (p.phone_home_rev >= %s AND p.phone_home_rev < %s)) AND {ACTIVE_PATIENT} "
                       f"ORDER BY p.id + 0 LIMIT {CANDIDATES}")

    def _walk(self, index: str, where: str, *, hint: bool) -> str:
        """A walk of one name index: SQLite told which (`hint`), PostgreSQL its order."""
        if self.pg:
            return self._g(f"{_HIT} WHERE {where} ORDER BY {_INDEX_ORDER[index]} LIMIT %s")
        return f"{_HIT}{f' INDEXED BY {index}' if hint else ''} WHERE {where} LIMIT ?"

    @staticmethod
    def _seek(index: str) -> str:
        """SQLite: both names as prefixes (params as `family_prefix`), one seek per name key in
        the leading prefix's range with the other prefix a range inside it.

        A walk of the range reads every patient whose family name starts "smi" to find those
        given "jo": SQLite ranges over an index's first column only and then looks at each
        entry ("smith, john" read every Smith at 1M patients for a dozen rows). The keys come
        from the name vocabulary (migration 0002: every key a patient has had, kept by
        triggers), one probe each of (key, the other prefix's range); the rows come in the
        index's order, as the walk returned them, so the LIMIT keeps the same rows (300 random
        prefixes at 1M: the same rows; p50 0.33 -> 0.09 ms, p95 0.98 -> 0.47 ms with a prefix
        of 2+ letters). Not for one letter ("s j"): thousands of keys cost more than the walk.
        PostgreSQL checks the second column inside its index walk, and there the keys gained
        nothing (p50 0.27 ms either way), so it keeps its walk."""
        family = index == FAMILY_INDEX
        lead, other = ("family_key", "given_key") if family else ("given_key", "family_key")
        keys = (f"SELECT key FROM patient_search_vocab WHERE kind = '{'f' if family else 'g'}' "
                "AND key >= ? AND key < ?")
        ranges = {lead: f"p.{lead} IN ({keys})", other: f"p.{other} >= ? AND p.{other} < ?"}
        return (f"{_HIT} INDEXED BY {index} WHERE {ranges['family_key']} AND {ranges['given_key']} "
                f"AND {ACTIVE_PATIENT} ORDER BY {_INDEX_ORDER[index]} LIMIT ?")

    def padded(self, items: list, step: int) -> list:
        """PostgreSQL: `items` with its first repeated up to a multiple of `step` (at least
        `step`), so the statement built for that size is the same from search to search and
        psycopg runs it prepared, its plan made once (a list question built for each size was
        parsed and planned every time: 1.3 ms for a typo's two fuzzy expansions at 1M
        patients). Only for questions a repeat cannot change: IN lists, and lists of values
        taken DISTINCT. SQLite: as they are (its planner picks a walk by the list's length, and
        a different walk under a LIMIT can return other rows)."""
        if not self.pg or not items:
            return items
        size = max(step, -(-len(items) // step) * step)
        return items + items[:1] * (size - len(items))

    def _marks(self, count: int) -> str:
        return ", ".join([self.mark] * count)

    def _values(self, count: int, row: str) -> str:
        return "VALUES " + ", ".join([row] * count)

    @_once_per_size
    def by_family_keys(self, count: int) -> str:
        """Rows of any of `count` family keys (never generic, above); params: keys, limit."""
        return f"{_HIT} WHERE p.family_key IN ({self._marks(count)}) AND {ACTIVE_PATIENT} LIMIT {self.mark}"

    @_once_per_size
    def by_both_keys(self, families: int, givens: int) -> str:
        """Rows of any family key with any given key; params: families, givens, limit."""
        if self.pg:  # DISTINCT: a term listed twice must not return its rows twice, as IN does not
            sql = self._g(f"SELECT {HIT_COLUMNS} FROM (SELECT DISTINCT k FROM ({self._values(families, '(%s)')}) "
                          f"f(k)) f CROSS JOIN (SELECT DISTINCT k FROM ({self._values(givens, '(%s)')}) g(k)) g "
                          f"JOIN patients p ON p.family_key = f.k AND p.given_key = g.k "
                          f"WHERE {ACTIVE_PATIENT} LIMIT %s")
        else:
            sql = (f"{_HIT} WHERE p.family_key IN ({self._marks(families)}) "
                   f"AND p.given_key IN ({self._marks(givens)}) AND {ACTIVE_PATIENT} LIMIT ?")
        return sql

    @_once_per_size
    def dupes(self, pairs: int) -> str:
        """(birth date, family key, count) of each distinct pair; params: date, key, date, key..."""
        if self.pg:
            sql = self._g(f"SELECT p.birth_date, p.family_key, count(*) FROM (SELECT DISTINCT d, k FROM "
                          f"({self._values(pairs, '(%s::date, %s)')}) v(d, k)) v JOIN patients p "
                          f"ON p.birth_date = v.d AND p.family_key = v.k WHERE {ACTIVE_PATIENT} "
                          f"GROUP BY p.birth_date, p.family_key")
        else:  # each pair an index probe (IN lists would probe every date with every key)
            ors = " OR ".join(["(p.birth_date = ? AND p.family_key = ?)"] * pairs)
            sql = (f"SELECT p.birth_date, p.family_key, count(*) FROM patients p WHERE ({ors}) "
                   f"AND {ACTIVE_PATIENT} GROUP BY p.birth_date, p.family_key")
        return sql

    @_once_per_size
    def next_appt(self, count: int) -> str:
        """Each patient's next open appointment; params: the ids, then the instant."""
        if self.pg:
            # One probe of (patient_id, starts_at) per patient. The IN-list form's generic
            # plan walked every appointment from now on by starts_at (2.5 ms over the bench
            # clinic's 2,762; a clinic's whole diary in use).
            sql = self._g(f"SELECT v.id, n.at FROM (SELECT DISTINCT id FROM ({self._values(count, '(%s::integer)')}) "
                          f"v(id)) v CROSS JOIN LATERAL (SELECT min(a.starts_at) AS at FROM appointments a "
                          f"WHERE a.patient_id = v.id AND a.starts_at >= %s AND a.status IN {_NEXT_STATUSES}) n "
                          f"WHERE n.at IS NOT NULL")
        else:
            sql = (f"SELECT a.patient_id, min(a.starts_at) FROM appointments a "
                   f"WHERE a.patient_id IN ({self._marks(count)}) AND a.starts_at >= ? "
                   f"AND a.status IN {_NEXT_STATUSES} GROUP BY a.patient_id")
        return sql

    @_once_per_size
    def page(self, count: int) -> str:
        """PostgreSQL: the result page's facts in one statement (lookup_pg.PgSearch.page_facts),
        for each distinct id: its next open appointment (the probe of `next_appt`) and how
        many active patients share its birth date and family key (the count of `dupes`);
        params: the ids, then the instant. One statement where there were two, each ~0.1 ms
        of psycopg's CPU, with 21 parameters: the pairs' 40 more took it past psycopg's cache
        of converted statements (50 at most: past that it parses the text on every run,
        0.15-0.3 ms), and as two arrays cost as much again to send."""
        return self._g(f"SELECT v.id, n.at, d.n FROM (SELECT DISTINCT id FROM ({self._values(count, '(%s::integer)')}) "
                       f"v(id)) v JOIN patients p ON p.id = v.id CROSS JOIN LATERAL (SELECT min(a.starts_at) AS at "
                       f"FROM appointments a WHERE a.patient_id = v.id AND a.starts_at >= %s "
                       f"AND a.status IN {_NEXT_STATUSES}) n CROSS JOIN LATERAL (SELECT count(*) AS n FROM patients q "
                       f"WHERE q.birth_date = p.birth_date AND q.family_key = p.family_key "
                       f"AND q.merged_into_id IS NULL) d")

    @_once_per_size
    def by_ids(self, count: int) -> str:
        return f"{_HIT} WHERE p.id IN ({self._marks(count)}) AND {ACTIVE_PATIENT}"


@cache
def statements_for(dialect: str) -> LookupSql:
    """The statements of an engine ('sqlite' or 'postgresql'), built once per process."""
    return LookupSql(dialect)


# SQLite's forms by name (the vocabulary tests, `coordinator_tui.services.patients`).
_SQLITE = statements_for("sqlite")
SQL_BY_MRN = _SQLITE.by_mrn
SQL_BY_ID = _SQLITE.by_id
SQL_BY_MEMBER = _SQLITE.by_member
SQL_BY_PHONE = _SQLITE.by_phone
SQL_BY_LAST4 = _SQLITE.by_last4
SQL_BY_DOB = _SQLITE.by_dob
SQL_FAMILY_PREFIX = _SQLITE.family_prefix
SQL_GIVEN_PREFIX = _SQLITE.given_prefix
SQL_FAMILY_ONLY = _SQLITE.family_only
SQL_GIVEN_ONLY = _SQLITE.given_only
SQL_VOCAB_PHONETIC = _SQLITE.vocab_phonetic
SQL_VOCAB_PREFIX = _SQLITE.vocab_prefix
SQL_TODAY = _SQLITE.today

SQL_VOCAB_TRIGRAM = ("SELECT v.key FROM patient_search_trigram t JOIN patient_search_vocab v "
                     "ON v.id = t.rowid WHERE patient_search_trigram MATCH ? AND v.kind = ? "
                     "ORDER BY t.rank LIMIT 80")

# Templates of the sized statements, SQLite's form (kept for `services.patients`' names).
SQL_NEXT_APPT = ("SELECT a.patient_id, min(a.starts_at) FROM appointments a "
                 "WHERE a.patient_id IN ({marks}) AND a.starts_at >= ? "
                 f"AND a.status IN {_NEXT_STATUSES} GROUP BY a.patient_id")
SQL_DUPES = ("SELECT p.birth_date, p.family_key, count(*) FROM patients p "
             "WHERE ({pairs}) AND " + ACTIVE_PATIENT + " GROUP BY p.birth_date, p.family_key")


def pair_marks(count: int) -> str:
    return " OR ".join(["(p.birth_date = ? AND p.family_key = ?)"] * count)


def in_marks(count: int) -> str:
    return ", ".join("?" * count)


def upper_bound(prefix: str) -> str:
    """The smallest string above every string starting with `prefix` (for range queries)."""
    return prefix[:-1] + chr(ord(prefix[-1]) + 1)


def trigram_query(word: str) -> str | None:
    if len(word) < 3:
        return None
    grams = {word[i:i + 3] for i in range(len(word) - 2)}
    return " OR ".join('"' + g.replace('"', '""') + '"' for g in sorted(grams))


def chunks(items: list, size: int) -> Iterable[list]:
    for i in range(0, len(items), size):
        yield items[i:i + size]
