"""Lookup candidates on PostgreSQL: the same search (lookup_search.Search: the grammar's query,
the same candidate steps, the same ranking in Python), its statements answered by PostgreSQL.

Round trips, not the queries, were the cost (issue 20 item 3): a search asked 3 to ~20 small
questions one after another, each a round trip to the server and, on a busy machine, a wait to be
scheduled again. The shared search names each phase's questions before it asks them
(`ask_ahead`); here they go out together in one psycopg pipeline, one round trip per phase (the
transaction's BEGIN rides on the first), and each answer is kept by its exact statement and
parameters until the search asks it. A typo search is four round trips: names as typed with
the vocabulary's sound-alikes and close spellings, the trigram neighbours, the fuzzy
expansions, the result rows' appointments and duplicates.

Every prebuilt statement of the shared search is plain SQL over the patients' key indexes, built
once in PostgreSQL's own form (lookup_sql.statements_for: an index walk as an ORDER BY of that
index, the two list questions PostgreSQL's planner mis-costs as joins of their lists) and sent
as it is; the statements whose plan does not depend on the values run on generic plans, planned
once per connection (planning had been half of the server's time). The name vocabulary (on SQLite held in memory, lookup_vocab.py) is asked here
(migration 0014_pg_search):

  - sound-alikes: the terms with the word's phonetic key, as on SQLite;
  - close spellings: the terms starting with its first letters, as on SQLite;
  - trigram neighbours: the terms holding enough of the word's trigrams (pg_trgm word
    similarity at least 0.25, `key %> word` on a GIN trigram index) and one trigram of its
    letters (`key ~ '(abc|bcd)'`, the same index: pg_trgm's padding alone, the first two
    letters or the ending, made hundreds of terms at 1M patients pass and crowd the nearest
    80), the 80 nearest, with the
    terms sharing its Double Metaphone code (fuzzystrmatch `dmetaphone`, an expression index):
    a typo in the first letters, the word inside a double surname, sound-alikes that our
    metaphone key splits ("Schmidt"/"Smith").

All feed the same Python filter as on SQLite (Jaro-Winkler or name part, cut at 0.75, best
eight), so a term is kept by the same rule on both engines and the ranking sees the same rows.

Instants: the shared statements pass instants as naive-UTC text (store/bulk.sql_instant); the
search runs in time zone UTC (`SET LOCAL TIME ZONE 'UTC'` unless the session already is, which
libpq reports without a round trip) so that text means UTC whether the column is a `timestamp`
or a `timestamptz`.

Its own connections: `search_patients` reads through `Database.read_driver(PG_SESSION)`, opened
with the lookup's settings and in autocommit, so a search sends no BEGIN, SET LOCAL or COMMIT
(docs/postgresql-search.md); on another connection (`fixed` False) it sets them as before.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from functools import lru_cache

from psycopg.pq import ExecStatus

from coordinator_tui.domain.lookup_query import LookupQuery
from coordinator_tui.services.patients.lookup_scores import phonetic_key
from coordinator_tui.services.patients.lookup_search import Search, Statement
from coordinator_tui.services.patients.lookup_sql import (
    HIT_COLUMNS,
    WORD_SIMILARITY,
    statements_for,
    upper_bound,
)

NEAREST_TERMS = 80  # as SQLite's trigram step (LIMIT 80)
SOUND_TERMS = 40

SET_UTC = "SET LOCAL TIME ZONE 'UTC'"
COMMIT = "COMMIT"

TUPLES_OK = ExecStatus.TUPLES_OK

# Kind is a literal ('f' or 'g'), never a parameter: each kind has its own partial GIN index,
# which a planner can only choose when it sees the kind in the statement.
VOCAB_NEAR = {
    kind: (f"(SELECT key FROM patient_search_vocab WHERE kind = '{kind}' "
           f"AND key %%> %s AND key ~ %s ORDER BY key <->> %s LIMIT {NEAREST_TERMS}) "
           f"UNION (SELECT key FROM patient_search_vocab WHERE kind = '{kind}' "
           f"AND dmetaphone(key) = dmetaphone(%s) LIMIT {SOUND_TERMS})")
    for kind in ("f", "g")
}


class _Rows(list):
    """Rows fetched ahead, answered as a cursor would."""

    def fetchall(self) -> list:
        return list(self)

    def fetchone(self):
        return self[0] if self else None


PG_SQL = statements_for("postgresql")  # PostgreSQL's own forms (lookup_sql), built once
VOCAB_PHONETIC = PG_SQL.vocab_phonetic
VOCAB_PREFIX = PG_SQL.vocab_prefix


class PgStatements:
    """The `execute(sql, params)` the shared search calls on its raw connection (an sqlite3
    connection on SQLite), on the psycopg connection inside the same read transaction.
    Statements come in PostgreSQL's own form (lookup_sql.statements_for), sent as they are."""

    def __init__(self, driver_connection, *, fixed: bool = False):
        self._conn = driver_connection
        self.round_trips = 0
        self.statements = 0
        self._ahead: dict[tuple, _Rows] = {}  # (statement, params) -> rows fetched ahead
        # `fixed`: a connection of the lookup's own pool (lookup_sql.PG_SESSION: generic plans
        # and the threshold set for the session, autocommit): no COMMIT, and a setting sent
        # only ahead of a statement not in `generic` (SET LOCAL in the round trip's implicit
        # transaction, which ends with it: the next round trip starts generic again).
        self.fixed = fixed
        self._generic: bool | None = True if fixed else None  # the plan mode now (None: unknown)
        # Sent ahead of the first statements, in their round trip, only when needed (libpq
        # reports the zone as text; comparing it with bytes had made it a round trip always).
        self._first: list[tuple] = []
        if driver_connection.info.parameter_status("TimeZone") not in ("UTC", "Etc/UTC"):
            self._first.append((SET_UTC, ()))

    def execute(self, sql: str, params=()):
        key = (sql, tuple(params))
        rows = self._ahead.get(key)
        if rows is None:
            self.fetch_ahead([key])
            rows = self._ahead[key]
        if type(rows) is _Keys:
            return _Rows((term,) for term in rows)
        return rows

    def keys(self, sql: str, params: tuple) -> list[str]:
        """A vocabulary question's terms (the first column of its rows), as fetched."""
        rows = self._ahead.get((sql, params))
        if rows is None:
            self.fetch_ahead([(sql, params)])
            rows = self._ahead[(sql, params)]
        return rows if type(rows) is _Keys else [row[0] for row in rows]

    def fetch_ahead(self, statements: Sequence[Statement]) -> None:
        """Run the statements not fetched yet, all in one round trip, and keep their answers.

        psycopg and the server pay per statement (a cursor, its description, parse/bind/execute)
        and per row, and a phase asks up to a dozen small questions, so the patients' hit rows go
        as ONE statement, each question a numbered arm of a UNION ALL, dealt back by arm; the
        vocabulary's questions as one row, each question's terms one array column (a phase asks
        up to 8, each up to 300 terms). The plan mode goes first, the COMMIT last."""
        todo = list(dict.fromkeys((sql, tuple(params)) for sql, params in statements
                                  if (sql, tuple(params)) not in self._ahead))
        if not todo:
            return
        todo, self._first = self._first + todo, []
        self.round_trips += 1
        shapes: dict[str, list[tuple]] = {}
        for key in todo:
            shapes.setdefault(_shape(key[0]), []).append(key)
        sends: list[tuple[str, tuple, list[tuple]]] = []  # (sql, params, the keys it answers)
        both = _hits_and_keys(shapes.get("hit", ()), shapes.get("key", ()))
        if both is not None:
            sends.append(both)
            del shapes["hit"], shapes["key"]
        for shape in sorted(shapes, key=_SEND_ORDER.get):
            keys = shapes[shape]
            if shape == "key" or (shape == "hit" and len(keys) > 1):
                sql = _together(shape, tuple(sql for sql, _params in keys))
                sends.append((sql, tuple(p for _sql, params in keys for p in params), keys))
            else:
                sends += [(sql, params, [(sql, params)]) for sql, params in keys]
        if self.fixed:  # each round trip is an implicit transaction: the session's mode again
            self._generic = True
        sends = self._plan_modes(sends)
        self.statements += len(sends)
        if len(sends) == 1:
            cursors = [self._conn.execute(sends[0][0], sends[0][1], prepare=_prepare(sends[0][2]))]
        else:
            with self._conn.pipeline():
                cursors = [self._conn.execute(sql, params, prepare=_prepare(keys)) for sql, params, keys in sends]
        for (sql, _params, keys), cursor in zip(sends, cursors, strict=True):
            if not keys:
                continue  # a plan mode
            if sql.startswith(_ARRAYS):
                self._ahead.update(zip(keys, map(_Keys, cursor.fetchone()), strict=True))
                continue
            if sql.startswith(_BOTH):  # hit rows, then one row of the vocabulary's arrays
                rows = cursor.fetchall()
                hits = [key for key in keys if _shape(key[0]) == "hit"]
                by_arm = [_Rows() for _key in hits]
                for row in rows[:-1]:
                    by_arm[row[0]].append(row[1:_HIT_WIDTH + 1])
                self._ahead.update(zip(hits, by_arm, strict=True))
                self._ahead.update(zip(keys[len(hits):], map(_Keys, rows[-1][_HIT_WIDTH + 1:]), strict=True))
                continue
            # Rows or none by the result's status: `description` builds a Column per column.
            rows = cursor.fetchall() if cursor.pgresult.status == TUPLES_OK else []
            if len(keys) == 1:
                self._ahead[keys[0]] = _Rows(rows)
                continue
            by_arm: list[_Rows] = [_Rows() for _key in keys]
            for row in rows:
                by_arm[row[0]].append(row[1:])
            self._ahead.update(zip(keys, by_arm, strict=True))
        if todo[-1][0] == COMMIT:
            self._generic = None  # the transaction and its settings ended

    def _plan_modes(self, sends: list[tuple[str, tuple, list[tuple]]]) -> list[tuple[str, tuple, list[tuple]]]:
        """The sends with the plan mode each needs set before it (lookup_sql: generic plans
        for the statements whose plan does not depend on the values), in the same round trip.
        The first one is always set: a search may share its transaction with another. The
        trigram questions' threshold is set with it (every statement of a search follows one).
        On the lookup's own connections (`fixed`) the session's mode is generic, so only a
        statement planned for its values has a setting sent ahead of it."""
        out = []
        for send in sends:
            keys = send[2]
            if keys and not (keys[0][0].startswith("SET ") or keys[0][0] == COMMIT):
                generic = all(sql in _GENERIC for sql, _params in keys)
                if generic is not self._generic:
                    out.append((SET_GENERIC if generic else SET_CUSTOM, (), []))
                    self._generic = generic
            out.append(send)
        return out


class _Keys(list):
    """A vocabulary question's terms, fetched ahead as one array."""


def _settings(plan_mode: str) -> str:
    # SET LOCAL as set_config(..., true): one statement for both settings.
    return (f"SELECT set_config('plan_cache_mode', '{plan_mode}', true), "
            f"set_config('pg_trgm.word_similarity_threshold', '{WORD_SIMILARITY}', true)")


SET_GENERIC = _settings("force_generic_plan")
SET_CUSTOM = _settings("auto")


_NEAR = frozenset(VOCAB_NEAR.values())
PG_SQL.generic.update(_NEAR)
_GENERIC = PG_SQL.generic  # the sized statements join it as they are built
_ARRAYS = "SELECT ARRAY("
_TOGETHER: dict[tuple, str] = {}  # (shape, statements) -> the one statement sent for them


def _together(shape: str, sqls: tuple[str, ...]) -> str:
    """Several hit-row questions as one UNION ALL (each row led by its arm's number), or the
    vocabulary's questions as one row of arrays; built once per combination."""
    key = (shape, sqls)
    sql = _TOGETHER.get(key)
    if sql is None:
        if shape == "key":
            sql = "SELECT " + ", ".join(f"ARRAY({one})" for one in sqls)
        else:
            sql = " UNION ALL ".join(f"SELECT {arm} AS arm, s.* FROM ({one}) s" for arm, one in enumerate(sqls))
        if len(_TOGETHER) > 4096:
            _TOGETHER.clear()  # bounded: the combinations of sizes are few, a typo's words many
        _TOGETHER[key] = sql
    return sql


_HIT_WIDTH = len(HIT_COLUMNS.split(","))
_BOTH = "SELECT 0 AS arm, s.*, NULL::text[]"  # `_hits_and_keys`: hit rows and vocabulary arrays at once
# psycopg keeps a statement's converted placeholders only up to 50 parameters and 4,096 characters
# (psycopg._queries); past that it parses the text on every run, 0.15-0.3 ms: more than it saves.
_CACHED_PARAMS, _CACHED_LENGTH = 50, 4096


def _hits_and_keys(hits: Sequence[tuple], keys: Sequence[tuple]) -> tuple[str, tuple, list[tuple]] | None:
    """A phase's hit-row questions and vocabulary questions as ONE statement (the first phase
    of a name search: names as typed, and the words' sound-alikes and close spellings): each
    hit arm's rows with NULL for the arrays, then one row of NULL hit columns and the arrays.
    Not when the two would run under different plan modes, nor past psycopg's cache of
    converted statements (then two statements, as before). Built once per combination."""
    if not hits or not keys:
        return None
    if all(sql in _GENERIC for sql, _p in hits) is not all(sql in _GENERIC for sql, _p in keys):
        return None
    params = tuple(p for _sql, ps in (*hits, *keys) for p in ps)
    if len(params) > _CACHED_PARAMS:
        return None
    combination = ("both", tuple(sql for sql, _p in hits), tuple(sql for sql, _p in keys))
    sql = _TOGETHER.get(combination)
    if sql is None:
        nulls = ", NULL::text[]" * len(keys)  # typed: arms are paired left to right
        arms = [f"SELECT {arm} AS arm, s.*{nulls} FROM ({one}) s" for arm, (one, _p) in enumerate(hits)]
        arrays = ", ".join(f"ARRAY({one})" for one, _p in keys)
        arms.append(f"SELECT {len(hits)}{', NULL' * _HIT_WIDTH}, {arrays}")
        sql = _TOGETHER[combination] = " UNION ALL ".join(arms)
    if len(sql) > _CACHED_LENGTH:
        return None
    return sql, params, [*hits, *keys]


def _prepare(keys: list[tuple]) -> bool | None:
    """The trigram questions are prepared (named on the server): planning one estimated its two
    conditions against the column's statistics, word similarity and a regular expression over
    each histogram entry (0.3-0.9 ms a statement, as long as running it for a given name); its
    generic plan is the same index scan. Others: psycopg's default."""
    return True if all(sql in _NEAR for sql, _params in keys) else None


_HIT_SELECT = f"SELECT {HIT_COLUMNS} "
_SEND_ORDER = {"set": 0, "hit": 1, "key": 2, "other": 3, "commit": 4}


def _shape(pg_sql: str) -> str:
    """Which statements can share one UNION ALL: the same columns, and rows to return."""
    if pg_sql.startswith("SET "):
        return "set"
    if pg_sql == COMMIT:
        return "commit"
    if pg_sql.startswith(_HIT_SELECT):
        return "hit"
    if pg_sql.startswith(("SELECT key FROM patient_search_vocab ", "(SELECT key FROM patient_search_vocab ")):
        return "key"
    return "other"


class PgVocabulary:
    """The three questions the shared search asks of the name vocabulary (on SQLite answered in
    memory by lookup_vocab.NameVocabulary), as statements for PgStatements."""

    def __init__(self, statements: PgStatements):
        self.sql = statements

    @staticmethod
    def word_questions(kind: str, word: str) -> list[Statement]:
        """The statements behind sounds_like and with_prefix for `word`, as the search asks them."""
        asks = [(VOCAB_PHONETIC, (kind, phonetic_key(word)))]
        if len(word) >= 4:
            head = word[:3] if len(word) >= 6 else word[:2]
            asks.append((VOCAB_PREFIX, (kind, head, upper_bound(head))))
        return asks

    @staticmethod
    def trigram_questions(kind: str, word: str) -> list[Statement]:
        # Their threshold is set with the plan mode, which precedes them (PgStatements).
        return [(VOCAB_NEAR[kind], _near_params(word))]

    def sounds_like(self, kind: str, key: str) -> list[str]:
        return self.sql.keys(VOCAB_PHONETIC, (kind, key))

    def with_prefix(self, kind: str, head: str) -> list[str]:
        return self.sql.keys(VOCAB_PREFIX, (kind, head, upper_bound(head)))

    def sharing_trigrams(self, kind: str, word: str) -> list[str]:
        if len(word) < 3:
            return []
        return self.sql.keys(VOCAB_NEAR[kind], _near_params(word))


@lru_cache(maxsize=4096)
def shared_trigram_pattern(word: str) -> str:
    """A regular expression matching the terms that hold one of the word's own trigrams (its
    letters three at a time, as SQLite's vocabulary cuts them), for the trigram index."""
    grams = sorted({word[i:i + 3] for i in range(len(word) - 2)})
    return "(" + "|".join("".join(c if c.isalnum() else "\\" + c for c in g) for g in grams) + ")"


@lru_cache(maxsize=4096)
def _near_params(word: str) -> tuple:
    return (word, shared_trigram_pattern(word), word, word)


class PgSearch(Search):
    """The shared search with its statements run by PostgreSQL, a phase per round trip."""

    batched = True

    def __init__(self, raw, query: LookupQuery, today: date, limit: int, *, fixed: bool = False):
        super().__init__(raw, "postgresql", query, today, limit, vocab=None)
        self.raw = PgStatements(self.raw, fixed=fixed)
        self.vocab = PgVocabulary(self.raw)

    def page_facts(self, rows: list[tuple], now: str) -> tuple[dict[int, object], set[tuple[str, str]]]:
        """As Search.page_facts, in one statement (lookup_sql.page: each id's next appointment
        and how many active patients share its birth date and family key), the search's last."""
        ids = self.sql.padded([row[0] for row in rows], 20)
        page = (self.sql.page(len(ids)), (*ids, now))
        self.ask_ahead([page], last=True)
        pairs = {row[0]: (str(row[8]), row[4]) for row in rows}
        next_appt, dupes = {}, set()
        for pid, at, sharing in self.raw.execute(*page):
            if at is not None:
                next_appt[pid] = at
            if sharing > 1:
                dupes.add(pairs[pid])
        return next_appt, dupes

    def ask_ahead(self, statements: Sequence[Statement] = (),
                  words: Sequence[tuple[str, str]] = (), trigrams: Sequence[tuple[str, str]] = (),
                  *, last: bool = False) -> None:
        asks = list(statements)
        for kind, word in words:
            asks += PgVocabulary.word_questions(kind, word)
        for kind, word in trigrams:
            if len(word) >= 3:
                asks += PgVocabulary.trigram_questions(kind, word)
        if last and asks and not self.raw.fixed:  # autocommit (fixed): nothing to end
            # The read transaction ends in the same round trip: the session's commit then finds
            # it ended and sends nothing (psycopg commits only a transaction in progress), and a
            # statement after it would simply begin another.
            asks.append((COMMIT, ()))
        self.raw.fetch_ahead(asks)
