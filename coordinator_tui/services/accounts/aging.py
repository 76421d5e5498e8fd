"""A/R aging: each patient's balance by age from the date of service, in buckets of
`ar_bucket_days` (0-30, 31-60, 61-90, 91-120, 120+), with the last payment and the last statement,
and the totals. One grouped pass over the ledger's covering index; credits are applied to the
oldest first (domain/ledger.py), so every patient's buckets, and the totals, equal the sum of
the ledger's rows up to the as-of date."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import date, timedelta
from typing import NamedTuple

from sqlalchemy import Date, bindparam, text

from coordinator_tui.domain.ledger import BUCKET_COUNT, bucket_labels
from coordinator_tui.domain.money import format_cents
from coordinator_tui.errors import UserError
from coordinator_tui.services import audit
from coordinator_tui.services.context import Actor, AppContext
from coordinator_tui.services.permissions import Permission, require

DEFAULT_BUCKET_DAYS = 30


class AgedPatient(NamedTuple):
    patient_id: int
    mrn: str
    name: str
    buckets: tuple[int, ...]
    last_payment: date | None
    last_statement: date | None

    @property
    def balance_cents(self) -> int:
        return sum(self.buckets)

    @property
    def oldest(self) -> int:
        """Index of the oldest bucket holding money (0 when nothing is owed)."""
        return max((i for i, cents in enumerate(self.buckets) if cents > 0), default=0)


@dataclass(frozen=True)
class Aging:
    as_of: date
    width: int
    labels: tuple[str, ...]
    patients: tuple[AgedPatient, ...]
    totals: tuple[int, ...]
    ledger_total: int  # with check_total, the plain sum of the rows (a separate query)

    @property
    def total_cents(self) -> int:
        return sum(self.totals)


def bucket_width(ctx: AppContext) -> int:
    width = int(getattr(ctx.settings, "ar_bucket_days", DEFAULT_BUCKET_DAYS))
    if not 1 <= width <= 365:
        raise UserError(f"ar_bucket_days must be between 1 and 365 (got {width})")
    return width


def _as_date(value) -> date | None:
    return date.fromisoformat(value) if isinstance(value, str) else value


def _least(a: str, b: str) -> str:
    return f"CASE WHEN {a} < {b} THEN {a} ELSE {b} END"


def _aging_sql(patient_filter: str, minimum: bool) -> str:
    """One grouped pass (debits by bucket, credits, last payment and statement), then first in,
    first out in closed form: with T_k the debits from the oldest bucket down to k and c the
    credits, bucket k keeps d_k - min(c, T_k) + min(c, T_k+1); the newest keeps what is left
    (negative: a credit). Plain CASE arithmetic: the same SQL on SQLite and PostgreSQL."""
    n = BUCKET_COUNT
    debit = ["sum(CASE WHEN amount_cents > 0 AND service_date >= :e1 THEN amount_cents ELSE 0 END) AS d0"]
    for k in range(1, n - 1):
        debit.append(f"sum(CASE WHEN amount_cents > 0 AND service_date < :e{k} AND service_date >= :e{k + 1} "
                     f"THEN amount_cents ELSE 0 END) AS d{k}")
    debit.append(f"sum(CASE WHEN amount_cents > 0 AND service_date < :e{n - 1} THEN amount_cents ELSE 0 END) "
                 f"AS d{n - 1}")
    tail = {k: " + ".join(f"d{j}" for j in range(k, n)) for k in range(1, n)}
    tail[n] = "0"
    buckets = [f"d0 - (c - {_least('c', f'({tail[1]})')}) AS b0"]
    for k in range(1, n):
        buckets.append(f"d{k} - {_least('c', f'({tail[k]})')} + {_least('c', f'({tail[k + 1]})')} AS b{k}")
    owed = "(" + " + ".join(f"d{k}" for k in range(n)) + " - c)"
    return (
        "SELECT * FROM ("
        f"SELECT g.pid, p.mrn, p.family_name, p.given_name, {', '.join(buckets)}, g.lp, g.ls, {owed} AS owed "
        "FROM ("
        f"SELECT patient_id AS pid, {', '.join(debit)}, "
        "-sum(CASE WHEN amount_cents < 0 THEN amount_cents ELSE 0 END) AS c, "
        "max(CASE WHEN kind = 'payment' THEN service_date END) AS lp, "
        "max(CASE WHEN kind = 'statement' THEN service_date END) AS ls "
        f"FROM ledger_entries WHERE responsibility = 'patient' AND service_date <= :as_of{patient_filter} "
        f"GROUP BY patient_id) g JOIN patients p ON p.id = g.pid "
        f"WHERE {owed} <> 0{f' AND {owed} >= :minimum' if minimum else ''}) aged")


def aged_rows(session, as_of: date, width: int, *, patient_ids=None, min_balance_cents: int = 0):
    """(AgedPatient list in patient order, totals by bucket) for the patients owing (or owed)
    anything on `as_of`. Unsorted: a full run at a million patients should not pay for a sort
    only the screen and the work list need (`by_urgency`)."""
    edges = {f"e{k}": as_of - timedelta(days=width * k) for k in range(1, BUCKET_COUNT)}
    params = {"as_of": as_of, **edges, "minimum": min_balance_cents}
    binds = [bindparam(name, type_=Date) for name in ("as_of", *edges)]
    patient_filter = ""
    if patient_ids is not None:
        patient_filter = " AND patient_id IN :ids"
        binds.append(bindparam("ids", expanding=True))
        params["ids"] = list(patient_ids)
    stmt = text(_aging_sql(patient_filter, min_balance_cents > 0)).bindparams(*binds)
    out = []
    append = out.append
    n = BUCKET_COUNT
    totals = [0] * n
    days: dict = {None: None}
    for row in session.execute(stmt, params).tuples():
        buckets = row[4:4 + n]
        for k in range(n):
            totals[k] += buckets[k]
        paid, sent = row[4 + n], row[5 + n]
        if paid not in days:
            days[paid] = _as_date(paid)
        if sent not in days:
            days[sent] = _as_date(sent)
        append(AgedPatient(row[0], row[1], f"{row[2]}, {row[3]}", buckets, days[paid], days[sent]))
    return out, tuple(totals)


def urgency(p: AgedPatient) -> tuple:
    """Sort key: the oldest money first, then the largest balance, then the MRN."""
    return (-p.oldest, -p.balance_cents, p.mrn)


def by_urgency(patients, limit: int | None = None) -> list[AgedPatient]:
    if limit is None:
        return sorted(patients, key=urgency)
    import heapq

    return heapq.nsmallest(limit, patients, key=urgency)


def aging(ctx: AppContext, actor: Actor, as_of: date, *, min_balance_cents: int = 0,
          check_total: bool = False) -> Aging:
    """The aging report on `as_of` (supervisors and admins: it lists every patient who owes);
    looking is audited. `check_total`: also sum the ledger's rows by a separate plain query (a
    second pass over the ledger) into `ledger_total`; otherwise it is the buckets' sum."""
    require(actor, Permission.WORK_ACCOUNTS)
    width = bucket_width(ctx)
    with ctx.db.write() as session:
        patients, totals = aged_rows(session, as_of, width, min_balance_cents=min_balance_cents)
        ledger_total = ledger_sum_in(session, as_of) if check_total and not min_balance_cents else sum(totals)
        audit.record(session, actor, "ar.aging", ctx.now(), entity="ledger",
                     detail={"as_of": as_of.isoformat(), "patients": len(patients)})
    return Aging(as_of, width, bucket_labels(width), tuple(patients), totals, ledger_total)


def ledger_sum_in(session, as_of: date) -> int:
    """The plain sum of every patient-responsibility row up to `as_of`: the check on the totals."""
    return int(session.execute(text(
        "SELECT coalesce(sum(amount_cents), 0) FROM ledger_entries WHERE responsibility = 'patient' "
        "AND service_date <= :as_of").bindparams(bindparam("as_of", type_=Date)), {"as_of": as_of}).scalar_one())


def _money(cents: int) -> str:
    """'12.50', '-3.05': plain dollars for a spreadsheet (integer arithmetic, no float)."""
    if cents < 0:
        return "-{}.{:02d}".format(*divmod(-cents, 100))
    return "{}.{:02d}".format(*divmod(cents, 100))


def aging_csv(report: Aging) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["mrn", "name", *report.labels, "balance", "last_payment", "last_statement"])
    money = _money
    writer.writerows(
        (p[1], _safe(p[2]), *map(money, p[3]), money(sum(p[3])), p[4] or "", p[5] or "")
        for p in report.patients)
    writer.writerow(["TOTAL", "", *(money(c) for c in report.totals), money(report.total_cents), "", ""])
    return out.getvalue()


def aging_text(report: Aging, *, limit: int | None = None) -> str:
    head = f"{'MRN':<10} {'Patient':<22}" + "".join(f"{label:>11}" for label in report.labels) + \
        f"{'Balance':>12} {'Last paid':<10} {'Statement':<10}"
    lines = [f"A/R aging as of {report.as_of:%Y-%m-%d} (by date of service, {report.width}-day buckets)",
             head, "-" * len(head)]
    shown = report.patients if limit is None else by_urgency(report.patients, limit)
    for p in shown:
        lines.append(f"{p.mrn[:10]:<10} {p.name[:22]:<22}" + "".join(f"{format_cents(c):>11}" for c in p.buckets)
                     + f"{format_cents(p.balance_cents):>12} {str(p.last_payment or '-'):<10} "
                       f"{str(p.last_statement or '-'):<10}")
    if limit is not None and len(report.patients) > limit:
        lines.append(f"... and {len(report.patients) - limit} more patients")
    lines.append("-" * len(head))
    lines.append(f"{'TOTAL':<10} {str(len(report.patients)) + ' patients':<22}"
                 + "".join(f"{format_cents(c):>11}" for c in report.totals)
                 + f"{format_cents(report.total_cents):>12}")
    return "\n".join(lines) + "\n"


def _safe(text: str) -> str:
    return "'" + text if text[:1] in _FORMULA else text


_FORMULA = ("=", "+", "-", "@", "\t", "\r")
