"""Two shared lookup statements in the form PostgreSQL's planner answers well (lookup_pg).

Both ask for rows matching pairs of keys from two lists. Written as IN lists / ORs (SQLite probes
its composite index with each pair), PostgreSQL's planner mis-costs them:

- the fuzzy expansion `family_key IN (8 terms) AND given_key IN (9 terms)` became a BitmapAnd
  of both key indexes, reading every patient with any of the given names (13,207 index entries
  for "john"'s nine variants at 1M patients, 2.7-3.5 ms); as a join of the two lists it is 72
  probes of (family_key, given_key), 0.2 ms, the same rows;
- the duplicates question `(birth_date = ? AND family_key = ?) OR ...` (20 pairs) is planned as
  20 bitmap scans OR'd together, 0.36-0.47 ms to plan; as a join of the pairs, 0.13 ms.

The parameters stay in the same order, so the search's statement and parameters (the key of
an answer fetched ahead) are the shared ones; only the text sent differs."""

from __future__ import annotations

import re

from coordinator_tui.services.patients.lookup_sql import ACTIVE_PATIENT, HIT_COLUMNS

_MARKS = r"\?(?:, \?)*"
_BOTH_KEYS = re.compile(
    rf"SELECT {re.escape(HIT_COLUMNS)} FROM patients p WHERE p\.family_key IN \(({_MARKS})\) "
    rf"AND p\.given_key IN \(({_MARKS})\) AND {re.escape(ACTIVE_PATIENT)} LIMIT \?")
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
