"""The shared lookup statements in the form PostgreSQL's planner answers well (lookup_pg), and
which of them may run on a generic plan.

Both ask for rows matching pairs of keys from two lists. Written as IN lists / ORs (SQLite probes
its composite index with each pair), PostgreSQL's planner mis-costs them:

- the fuzzy expansion `family_key IN (8 terms) AND given_key IN (9 terms)` became a BitmapAnd
  of both key indexes, reading every patient with any of the given names (13,207 index entries
  for "john"'s nine variants at 1M patients, 2.7-3.5 ms); as a join of the two lists it is 72
  probes of (family_key, given_key), 0.2 ms, the same rows;
- the duplicates question `(birth_date = ? AND family_key = ?) OR ...` (20 pairs) is planned as
  20 bitmap scans OR'd together, 0.36-0.47 ms to plan; as a join of the pairs, 0.13 ms.

The parameters stay in the same order, so the search's statement and parameters (the key of
an answer fetched ahead) are the shared ones; only the text sent differs.

Generic plans (issue 20 item 3, December): planning was about half of the server's time for a
name search (the phase-1 statements 0.5 ms, each trigram question 0.3-0.9 ms: the planner
estimates `%>` and `~` against the column's statistics, running word similarity and the regular
expression over each histogram entry). psycopg prepares a statement it has run 5 times on a
connection; PostgreSQL then still plans each run anew unless its generic plan looks cheaper.
The statements below are all index probes or short index ranges whose plan does not depend on
the values, so the lookup asks for generic plans for them (`generic_ok`; lookup_pg sets the
plan mode) and a prepared one is not planned again. Not for the last four digits of a phone: its generic plan
walks the patients in id order (400 ms); nor for the fuzzy family names alone (`family_key IN
(8 terms) LIMIT 60`: a generic plan, not knowing that "smith" is common, reads every row of the
eight names by bitmap before the LIMIT); nor for any statement not listed here. SQLite's
`INDEXED BY` (the index of the longer prefix) becomes an ORDER BY in that index's order: the
same rows SQLite's walk of that index returns, and a plan made without the values can pick
neither the other index (for "clara d", walking every given name starting "d") nor a bitmap
scan that reads the whole range before the LIMIT ("m": every family name starting "m", 31 ms)."""

from __future__ import annotations

import re
from functools import lru_cache

from coordinator_tui.services.patients.lookup_sql import (
    ACTIVE_PATIENT,
    HIT_COLUMNS,
    SQL_BY_DOB,
    SQL_BY_ID,
    SQL_BY_MEMBER,
    SQL_BY_MRN,
    SQL_BY_PHONE,
    SQL_FAMILY_ONLY,
    SQL_FAMILY_PREFIX,
    SQL_GIVEN_ONLY,
    SQL_GIVEN_PREFIX,
    SQL_NEXT_APPT,
    SQL_VOCAB_PHONETIC,
)

_MARKS = r"\?(?:, \?)*"
_BOTH_KEYS = re.compile(
    rf"SELECT {re.escape(HIT_COLUMNS)} FROM patients p WHERE p\.family_key IN \(({_MARKS})\) "
    rf"AND p\.given_key IN \(({_MARKS})\) AND {re.escape(ACTIVE_PATIENT)} LIMIT \?")
_NEXT_APPT = re.compile(re.escape(SQL_NEXT_APPT).replace(re.escape("{marks}"), _MARKS))
_PAIR = "(p.birth_date = ? AND p.family_key = ?)"
_DUPES = re.compile(
    rf"SELECT p\.birth_date, p\.family_key, count\(\*\) FROM patients p "
    rf"WHERE \(((?:{re.escape(_PAIR)})(?: OR {re.escape(_PAIR)})*)\) AND {re.escape(ACTIVE_PATIENT)} "
    rf"GROUP BY p\.birth_date, p\.family_key")


def _values(count: int, row: str = "(%s)") -> str:
    return "VALUES " + ", ".join([row] * count)


def planner_form(sqlite_sql: str) -> str | None:
    """PostgreSQL's text for a statement above (parameters as %s), or None for any other."""
    both = _BOTH_KEYS.fullmatch(sqlite_sql)
    if both:
        families, givens = (group.count("?") for group in both.groups())
        # DISTINCT: a term listed twice must not return its rows twice, as IN does not.
        return (f"SELECT {HIT_COLUMNS} FROM (SELECT DISTINCT k FROM ({_values(families)}) f(k)) f "
                f"CROSS JOIN (SELECT DISTINCT k FROM ({_values(givens)}) g(k)) g "
                f"JOIN patients p ON p.family_key = f.k AND p.given_key = g.k "
                f"WHERE {ACTIVE_PATIENT} LIMIT %s")
    dupes = _DUPES.fullmatch(sqlite_sql)
    if dupes:
        pairs = dupes.group(1).count(" OR ") + 1
        # The pairs are distinct (lookup._hits builds them from a set).
        return (f"SELECT p.birth_date, p.family_key, count(*) FROM ({_values(pairs, '(%s::date, %s)')}) "
                f"v(d, k) JOIN patients p ON p.birth_date = v.d AND p.family_key = v.k "
                f"WHERE {ACTIVE_PATIENT} GROUP BY p.birth_date, p.family_key")
    return None


# The index SQLite is told to walk -> the same walk asked of PostgreSQL (ORDER BY its columns).
_INDEXED_BY = re.compile(r"\s+INDEXED BY (\w+)(.*) LIMIT \?$", re.DOTALL)
_INDEX_ORDER = {"ix_patients_family_key_given_key": "p.family_key, p.given_key",
                "ix_patients_given_key_family_key": "p.given_key, p.family_key"}


def index_order(sqlite_sql: str) -> str:
    """`... INDEXED BY ix ... LIMIT ?` as `... ORDER BY <ix's columns> LIMIT ?` (the family names
    range too: SQLite walks that index); others as they are."""
    if sqlite_sql == SQL_FAMILY_ONLY:
        return sqlite_sql.replace(" LIMIT ?", f" ORDER BY {_INDEX_ORDER['ix_patients_family_key_given_key']} LIMIT ?")
    hinted = _INDEXED_BY.search(sqlite_sql)
    if hinted is None or hinted.group(1) not in _INDEX_ORDER:
        return sqlite_sql
    return (sqlite_sql[:hinted.start()] + hinted.group(2)
            + f" ORDER BY {_INDEX_ORDER[hinted.group(1)]} LIMIT ?")


_GENERIC = frozenset((SQL_BY_DOB, SQL_BY_ID, SQL_BY_MEMBER, SQL_BY_MRN, SQL_BY_PHONE, SQL_FAMILY_ONLY,
                      SQL_FAMILY_PREFIX, SQL_GIVEN_ONLY, SQL_GIVEN_PREFIX, SQL_VOCAB_PHONETIC))


@lru_cache(maxsize=1024)
def generic_ok(sqlite_sql: str) -> bool:
    """Whether a shared statement's plan may be generic (see above)."""
    return (sqlite_sql in _GENERIC
            or any(form.fullmatch(sqlite_sql) for form in (_BOTH_KEYS, _DUPES, _NEXT_APPT)))
