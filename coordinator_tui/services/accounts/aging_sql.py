"""The A/R aging's one SQL pass, the same text on SQLite and PostgreSQL (plain CASE arithmetic,
dates compared as dates: no julianday, strftime or date functions of either engine).

Per patient, the balance `bal` (the sum of the rows up to the as-of date), `n0`..`n3` (the debits
dated in the newest 1..4 buckets, i.e. on or after edge k+1) and the last payment and statement
dates. First in, first out then needs no
per-bucket credits: what is still owed is the newest debits that add up to the balance, so

    bucket 0 = min(bal, n0), bucket k = min(bal, n_k) - min(bal, n_(k-1)), oldest = bal - min(bal, n3)

and a balance of zero or less (a credit) sits whole in the current bucket. This is
domain/ledger.py's `age_rows` (credits applied to the oldest first) in closed form; the test
tests/services/test_aging_sql.py holds the two equal on random ledgers, on both engines.

Where they come from: a patient whose rows are all on or before the as-of date (every patient
for today's aging) takes `bal` and the dates from ledger_summary (kept by triggers, migration
0017_ledger_summary), is skipped unread when that balance is zero, and has only the debits in
the newest buckets summed from the ledger; a patient with rows after the as-of date is summed
from the ledger up to it. At a million patients the per-row aggregates over every ledger row
were most of the time (benchmarks/bench_ledger.py)."""

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


def _buckets(bal: str, ns: list[str] | None) -> str:
    """First in, first out in closed form, from the balance and the newest debits n0..n(N-2)
    (None: no debit in the newest buckets, so a balance owed is all in the oldest)."""
    n = BUCKET_COUNT
    if ns is None:
        out = [f"CASE WHEN {bal} < 0 THEN {bal} ELSE 0 END", *("0" for _ in range(n - 2)),
               f"CASE WHEN {bal} > 0 THEN {bal} ELSE 0 END"]
        return ", ".join(f"{cell} AS b{k}" for k, cell in enumerate(out))
    out = [f"CASE WHEN {bal} <= 0 THEN {bal} ELSE {_least(bal, ns[0])} END"]
    for k in range(1, n - 1):
        out.append(f"CASE WHEN {bal} <= 0 THEN 0 ELSE {_least(bal, ns[k])} - {_least(bal, ns[k - 1])} END")
    out.append(f"CASE WHEN {bal} <= 0 THEN 0 ELSE {bal} - {_least(bal, ns[n - 2])} END")
    return ", ".join(f"{cell} AS b{k}" for k, cell in enumerate(out))


def _arms(names: bool, ids: str, minimum: str) -> list[str]:
    """Three disjoint sets of patients owing or owed, each row the buckets, balance and dates (with
    `names`, in COLUMNS): A, B: every row on or before `as_of` (ledger_summary.last_date), so the
    summary's balance and dates are the as-of ones: A with a debit in the newest buckets (summed
    from those rows alone), B without; C: rows after `as_of` (a past as-of date), summed from
    the ledger up to it. The buckets are worked out in each arm, so the union streams."""
    n, oldest = BUCKET_COUNT, f":e{BUCKET_COUNT - 1}"
    who = ", p.mrn, p.family_name, p.given_name" if names else ""
    join_s = " JOIN patients p ON p.id = s.patient_id" if names else ""
    join_g = " JOIN patients p ON p.id = g.pid" if names else ""
    recent = ", ".join(f"coalesce(sum(amount_cents) FILTER (WHERE service_date >= :e{k + 1}), 0) AS n{k}"
                       for k in range(n - 1))
    newest = ", ".join(f"sum(CASE WHEN amount_cents > 0 AND service_date >= :e{k + 1} THEN amount_cents "
                       f"ELSE 0 END) AS n{k}" for k in range(n - 1))
    covered = f"s.balance_cents <> 0 AND s.last_date <= :as_of{minimum.format('s.balance_cents')}"
    summary = "s.balance_cents AS bal, s.last_payment AS lp, s.last_statement AS ls"
    return [
        f"SELECT s.patient_id AS pid{who}, {_buckets('s.balance_cents', [f'r.n{k}' for k in range(n - 1)])}, "
        f"{summary} FROM (SELECT patient_id, {recent} FROM ledger_entries "
        f"WHERE responsibility = 'patient' AND amount_cents > 0 AND service_date >= {oldest} "
        f"AND service_date <= :as_of{ids.format('patient_id')} GROUP BY patient_id) r "
        f"JOIN ledger_summary s ON s.patient_id = r.patient_id{join_s} WHERE {covered}",
        f"SELECT s.patient_id AS pid{who}, {_buckets('s.balance_cents', None)}, {summary} FROM ledger_summary s"
        f"{join_s} WHERE {covered} AND (s.last_debit IS NULL OR s.last_debit < {oldest})"
        f"{ids.format('s.patient_id')}",
        f"SELECT g.pid{who}, {_buckets('g.bal', [f'g.n{k}' for k in range(n - 1)])}, g.bal, g.lp, g.ls "
        f"FROM (SELECT patient_id AS pid, sum(amount_cents) AS bal, {newest}, "
        "max(CASE WHEN kind = 'payment' THEN service_date END) AS lp, "
        "max(CASE WHEN kind = 'statement' THEN service_date END) AS ls FROM ledger_entries "
        "WHERE responsibility = 'patient' AND service_date <= :as_of AND patient_id IN "
        f"(SELECT patient_id FROM ledger_summary WHERE last_date > :as_of){ids.format('patient_id')} "
        f"GROUP BY patient_id) g{join_g} WHERE g.bal <> 0{minimum.format('g.bal')}",
    ]


def oldest_sql() -> str:
    """The index of the oldest bucket holding money, 0 when none does (AgedPatient.oldest)."""
    return "CASE " + " ".join(f"WHEN b{k} > 0 THEN {k}" for k in range(BUCKET_COUNT - 1, 0, -1)) + " ELSE 0 END"


def aging_sql(*, patient_filter: bool = False, minimum: bool = False, totals: bool = False,
              id_range: bool = False, top: bool = False, collate: str = "", reverse: bool = False) -> str:
    """Rows of COLUMNS; with `totals`, one row of the buckets' sums and the count of patients (no
    patient rows leave the database, no join to the patients); with `id_range`, only patients
    :lo <= id < :hi (a part of a read split over connections); with `top`, the first :top rows
    by urgency (aging.py's `urgency`: oldest money, then largest balance, then the MRN compared
    by code point, which PostgreSQL needs `collate` ' COLLATE "C"' for); `reverse`: the arms in
    the other order (the same rows: parts read at once then do not all start with arm A's long
    grouping, aging_parts.py)."""
    ids = " AND {0} IN :ids" if patient_filter else ""
    if id_range:
        ids += " AND {0} >= :lo AND {0} < :hi"
    arms = _arms(not totals, ids, " AND {} >= :minimum" if minimum else "")
    union = " UNION ALL ".join(reversed(arms) if reverse else arms)
    if totals:
        sums = ", ".join(f"coalesce(sum(b{k}), 0)" for k in range(BUCKET_COUNT))
        return f"SELECT {sums}, count(*) FROM ({union}) aged"
    if top:
        return f"SELECT * FROM ({union}) aged ORDER BY {oldest_sql()} DESC, bal DESC, mrn{collate} LIMIT :top"
    return union


def aging_statement(as_of: date, width: int, *, patient_ids=None, min_balance_cents: int = 0,
                    totals: bool = False, id_range: tuple[int, int] | None = None, top: int | None = None,
                    collate: str = "", reverse: bool = False) -> tuple[TextClause, dict]:
    """(statement, parameters): rows of COLUMNS, one per patient owing (or owed) anything on
    `as_of`, in no particular order; with `totals`, one row: the sums by bucket, then the count;
    `id_range` (lo, hi): only patients lo <= id < hi; `top`: the first `top` by urgency."""
    edges = {f"e{k}": as_of - timedelta(days=width * k) for k in range(1, BUCKET_COUNT)}
    params: dict = {"as_of": as_of, **edges}
    binds = [bindparam(name, type_=Date) for name in ("as_of", *edges)]
    if patient_ids is not None:
        binds.append(bindparam("ids", expanding=True))
        params["ids"] = list(patient_ids)
    if min_balance_cents > 0:
        params["minimum"] = min_balance_cents
    if id_range is not None:
        params["lo"], params["hi"] = id_range
    if top is not None:
        params["top"] = top
    stmt = text(aging_sql(patient_filter=patient_ids is not None, minimum=min_balance_cents > 0, totals=totals,
                          id_range=id_range is not None, top=top is not None, collate=collate, reverse=reverse))
    return stmt.bindparams(*binds), params
