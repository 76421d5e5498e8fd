"""The A/R aging's one SQL pass, the same text on SQLite and PostgreSQL (plain CASE arithmetic,
dates compared as dates: no julianday, strftime or date functions of either engine).

Per patient, one grouped pass over the ledger's covering index yields the balance `bal` (the sum
of the rows up to the as-of date), `n0`..`n3` (the debits dated in the newest 1..4 buckets, i.e.
on or after edge k+1) and the last payment and statement dates. First in, first out then needs no
per-bucket credits: what is still owed is the newest debits that add up to the balance, so

    bucket 0 = min(bal, n0), bucket k = min(bal, n_k) - min(bal, n_(k-1)), oldest = bal - min(bal, n3)

and a balance of zero or less (a credit) sits whole in the current bucket. This is
domain/ledger.py's `age_rows` (credits applied to the oldest first) in closed form; the test
tests/services/test_aging_sql.py holds the two equal on random ledgers, on both engines.

Fewer aggregates per ledger row than debits-per-bucket plus credits: at a million patients the
aggregates are most of the time (benchmarks/bench_ledger.py)."""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import Date, bindparam, text
from sqlalchemy.sql.elements import TextClause

from coordinator_tui.domain.ledger import BUCKET_COUNT

COLUMNS = ("pid", "mrn", "family_name", "given_name", *(f"b{k}" for k in range(BUCKET_COUNT)),
           "bal", "lp", "ls")
BUCKETS = slice(4, 4 + BUCKET_COUNT)  # where the buckets sit in a row of COLUMNS


def _least(a: str, b: str) -> str:
    return f"CASE WHEN {a} < {b} THEN {a} ELSE {b} END"


def aging_sql(*, patient_filter: bool = False, minimum: bool = False, totals: bool = False) -> str:
    """Rows of COLUMNS; with `totals`, one row of the buckets' sums (no patient rows leave the
    database, no join to the patients)."""
    n = BUCKET_COUNT
    newest = ", ".join(f"sum(CASE WHEN amount_cents > 0 AND service_date >= :e{k + 1} THEN amount_cents "
                       f"ELSE 0 END) AS n{k}" for k in range(n - 1))
    buckets = [f"CASE WHEN bal <= 0 THEN bal ELSE {_least('bal', 'n0')} END AS b0"]
    for k in range(1, n - 1):
        buckets.append(f"CASE WHEN bal <= 0 THEN 0 ELSE {_least('bal', f'n{k}')} - "
                       f"{_least('bal', f'n{k - 1}')} END AS b{k}")
    buckets.append(f"CASE WHEN bal <= 0 THEN 0 ELSE bal - {_least('bal', f'n{n - 2}')} END AS b{n - 1}")
    where = " AND patient_id IN :ids" if patient_filter else ""
    grouped = (f"SELECT patient_id AS pid, sum(amount_cents) AS bal, {newest}, "
               "max(CASE WHEN kind = 'payment' THEN service_date END) AS lp, "
               "max(CASE WHEN kind = 'statement' THEN service_date END) AS ls "
               f"FROM ledger_entries WHERE responsibility = 'patient' AND service_date <= :as_of{where} "
               "GROUP BY patient_id")
    if totals:
        sums = ", ".join(f"coalesce(sum(b{k}), 0)" for k in range(n))
        return f"SELECT {sums} FROM (SELECT {', '.join(buckets)} FROM ({grouped}) g) aged"
    return (
        f"SELECT g.pid, p.mrn, p.family_name, p.given_name, {', '.join(buckets)}, g.bal, g.lp, g.ls "
        f"FROM ({grouped}) g JOIN patients p ON p.id = g.pid "
        f"WHERE g.bal <> 0{' AND g.bal >= :minimum' if minimum else ''}")


def aging_statement(as_of: date, width: int, *, patient_ids=None, min_balance_cents: int = 0,
                    totals: bool = False) -> tuple[TextClause, dict]:
    """(statement, parameters): rows of COLUMNS, one per patient owing (or owed) anything on
    `as_of`, in no particular order; with `totals`, one row: the sums by bucket."""
    edges = {f"e{k}": as_of - timedelta(days=width * k) for k in range(1, BUCKET_COUNT)}
    params: dict = {"as_of": as_of, **edges}
    binds = [bindparam(name, type_=Date) for name in ("as_of", *edges)]
    if patient_ids is not None:
        binds.append(bindparam("ids", expanding=True))
        params["ids"] = list(patient_ids)
    if min_balance_cents > 0:
        params["minimum"] = min_balance_cents
    stmt = text(aging_sql(patient_filter=patient_ids is not None, minimum=min_balance_cents > 0, totals=totals))
    return stmt.bindparams(*binds), params
