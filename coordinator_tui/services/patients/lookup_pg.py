"""Lookup candidates on PostgreSQL: the same search (lookup.py's `_Search`: the grammar's query,
the same candidate steps, the same ranking in Python), its statements answered by PostgreSQL.

Every prebuilt statement of the shared search is plain SQL over the patients' key indexes and
runs as written (`?` becomes `%s`, SQLite's `INDEXED BY` hint is dropped: PostgreSQL's planner
picks the index). The one SQLite-only step is the typo/name-part search in the name vocabulary,
an FTS5 trigram `MATCH ... ORDER BY rank`. Here it is, over the same vocabulary (migration
0014_pg_search):

  - the terms holding enough of the word's trigrams (pg_trgm word similarity at least 0.25,
    `key %> word` on a GIN trigram index), the 80 nearest: a typo in the first letters, or the
    word inside a double surname;
  - with the terms sharing its Double Metaphone code (fuzzystrmatch `dmetaphone`, an expression
    index): sound-alikes that our metaphone key splits ("Schmidt"/"Smith").

Both feed the same Python filter as on SQLite (Jaro-Winkler or name part, cut at 0.75, best
eight), so a term is kept by the same rule on both engines and the ranking sees the same rows.

Instants: the shared statements pass instants as naive-UTC text (store/bulk.sql_instant); the
search runs in time zone UTC (`SET LOCAL TIME ZONE 'UTC'` unless the session already is, which
libpq reports without a round trip) so that text means UTC whether the column is a `timestamp`
or a `timestamptz`.
"""

from __future__ import annotations

import re
from datetime import date

from sqlalchemy import Connection

from coordinator_tui.domain.lookup_query import LookupQuery
from coordinator_tui.services.patients.lookup import _Search
from coordinator_tui.services.patients.lookup_sql import (
    SQL_VOCAB_PHONETIC,
    SQL_VOCAB_PREFIX,
    SQL_VOCAB_TRIGRAM,
    trigram_query,
    upper_bound,
)

NEAREST_TERMS = 80  # as SQLite's trigram step (LIMIT 80)
SOUND_TERMS = 40
# pg_trgm's word similarity a term needs. Its default, 0.6, misses "cshmidt" for "schmidt" (0.5).
# On splink's fake people (tests/services/test_lookup_accuracy.py): 0.4 gave top-1 0.852, 0.25
# 0.858 and top-5 0.905, as SQLite's 0.860 / 0.905; lower costs more rows to recheck.
WORD_SIMILARITY = 0.25

_INDEXED_BY = re.compile(r"\s+INDEXED BY \w+", re.IGNORECASE)

# Kind is a literal ('f' or 'g'), never a parameter: each kind has its own partial GIN index,
# which a planner can only choose when it sees the kind in the statement.
_VOCAB_NEAR = {
    kind: (f"(SELECT key FROM patient_search_vocab WHERE kind = '{kind}' "
           f"AND key %%> %s ORDER BY key <->> %s LIMIT {NEAREST_TERMS}) "
           f"UNION (SELECT key FROM patient_search_vocab WHERE kind = '{kind}' "
           f"AND dmetaphone(key) = dmetaphone(%s) LIMIT {SOUND_TERMS})")
    for kind in ("f", "g")
}

# The vocabulary's sound-alikes and the spellings sharing the word's first letters in ONE round
# trip: the shared search asks the second right after the first (lookup._Search._fuzzy_terms).
_SOUNDS_AND_PREFIX = ("(SELECT 1, key FROM patient_search_vocab WHERE kind = %s AND phonetic = %s "
                      "LIMIT 60) UNION ALL (SELECT 2, key FROM patient_search_vocab WHERE kind = %s "
                      "AND key >= %s AND key < %s ORDER BY key LIMIT 300)")


class _Rows(list):
    """Rows fetched ahead, answered as a cursor would."""

    def fetchall(self) -> list:
        return list(self)

    def fetchone(self):
        return self[0] if self else None


def postgres_sql(sqlite_sql: str) -> str:
    """A shared lookup statement as psycopg takes it."""
    return _INDEXED_BY.sub("", sqlite_sql).replace("%", "%%").replace("?", "%s")


class PgStatements:
    """The `execute(sql, params)` the shared search calls on its raw connection (an sqlite3
    connection on SQLite), on the psycopg connection inside the same read transaction."""

    def __init__(self, driver_connection):
        self._conn = driver_connection
        self._sql: dict[str, str] = {}
        self.word = ""  # the name word whose vocabulary terms are being looked up
        self.statements = 0
        self._threshold_set = False
        self._ahead: dict[tuple, _Rows] = {}  # (statement, params) -> rows fetched ahead
        if driver_connection.info.parameter_status("TimeZone") not in (b"UTC", b"Etc/UTC"):
            self._conn.execute("SET LOCAL TIME ZONE 'UTC'")  # a round trip only when needed

    def execute(self, sql: str, params=()):
        params = tuple(params)
        ahead = self._ahead.pop((sql, params), None)
        if ahead is not None:
            return ahead
        self.statements += 1
        if sql == SQL_VOCAB_PHONETIC and len(self.word) >= 4:
            return self._sounds_and_prefix(*params)
        if sql == SQL_VOCAB_TRIGRAM:
            _match, kind = params
            if not self._threshold_set:  # once per search, and only a search that needs it
                self._conn.execute(f"SET LOCAL pg_trgm.word_similarity_threshold = {WORD_SIMILARITY}")
                self._threshold_set = True
            return self._conn.execute(_VOCAB_NEAR[kind], (self.word, self.word, self.word))
        pg = self._sql.get(sql)
        if pg is None:
            pg = self._sql[sql] = postgres_sql(sql)
        return self._conn.execute(pg, params)

    def _sounds_and_prefix(self, kind: str, sound: str) -> _Rows:
        """Answer the sound-alike question, and fetch the prefix question's answer with it. Kept
        by exact statement and parameters: a prefix question asked differently still goes to the
        database, so a change to the shared search costs a round trip, never a wrong answer."""
        word = self.word
        head = word[:3] if len(word) >= 6 else word[:2]
        hi = upper_bound(head)
        rows = self._conn.execute(_SOUNDS_AND_PREFIX, (kind, sound, kind, head, hi)).fetchall()
        self._ahead[(SQL_VOCAB_PREFIX, (kind, head, hi))] = _Rows((key,) for part, key in rows if part == 2)
        return _Rows((key,) for part, key in rows if part == 1)


class PgVocabulary:
    """The three questions the shared search asks of the name vocabulary (on SQLite answered in
    memory by lookup_vocab.NameVocabulary), asked of PostgreSQL through the search's statements."""

    def __init__(self, statements: PgStatements):
        self.sql = statements

    def sounds_like(self, kind: str, key: str) -> list[str]:
        return [r[0] for r in self.sql.execute(SQL_VOCAB_PHONETIC, (kind, key))]

    def with_prefix(self, kind: str, head: str) -> list[str]:
        return [r[0] for r in self.sql.execute(SQL_VOCAB_PREFIX, (kind, head, upper_bound(head)))]

    def sharing_trigrams(self, kind: str, word: str) -> list[str]:
        match = trigram_query(word)
        return [r[0] for r in self.sql.execute(SQL_VOCAB_TRIGRAM, (match, kind))] if match else []


class PgSearch(_Search):
    """The shared search with its statements run by PostgreSQL."""

    def __init__(self, conn: Connection, query: LookupQuery, today: date, limit: int):
        super().__init__(conn, query, today, limit, vocab=None)
        self.raw = PgStatements(self.raw)
        self.vocab = PgVocabulary(self.raw)

    def _fuzzy_terms(self, kind: str, word: str, *, parts: bool = False, deep: bool = True) -> list[str]:
        self.raw.word = word  # the trigram step needs the word itself, not FTS5's MATCH text
        return super()._fuzzy_terms(kind, word, parts=parts, deep=deep)
