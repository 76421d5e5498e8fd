"""A/R aging: each patient's balance by age from the date of service, in buckets of
`ar_bucket_days` (0-30, 31-60, 61-90, 91-120, 120+), with the last payment and the last statement,
and the totals. One grouped pass over the ledger's covering index (aging_sql.py, the same SQL on
both engines); credits are applied to the oldest first (domain/ledger.py), so every patient's
buckets, and the totals, equal the sum of the ledger's rows up to the as-of date. Read without
the write lock; the view's audit event is a short write of its own. The full CSV is streamed
(aging_export.py)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import NamedTuple

from sqlalchemy import Date, bindparam, text

from coordinator_tui.domain.ledger import BUCKET_COUNT, bucket_labels
from coordinator_tui.domain.money import format_cents
from coordinator_tui.errors import UserError
from coordinator_tui.services import audit
from coordinator_tui.services.accounts.aging_sql import BUCKETS, aging_statement
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


def as_date(value) -> date | None:
    """A date as a driver hands it back (SQLite's raw cursor: ISO text)."""
    return date.fromisoformat(value) if isinstance(value, str) else value


def aged_rows(session, as_of: date, width: int, *, patient_ids=None, min_balance_cents: int = 0):
    """(AgedPatient list in no particular order, totals by bucket) for the patients owing (or
    owed) anything on `as_of`. Unsorted: a full run at a million patients should not pay for a
    sort only the screen and the work list need (`by_urgency`)."""
    stmt, params = aging_statement(as_of, width, patient_ids=patient_ids, min_balance_cents=min_balance_cents)
    out = []
    append = out.append
    n = BUCKET_COUNT
    totals = [0] * n
    days: dict = {None: None}
    for row in session.execute(stmt, params).tuples():
        buckets = row[BUCKETS]
        for k in range(n):
            totals[k] += buckets[k]
        paid, sent = row[-2], row[-1]
        if paid not in days:
            days[paid] = as_date(paid)
        if sent not in days:
            days[sent] = as_date(sent)
        append(AgedPatient(row[0], row[1], f"{row[2]}, {row[3]}", buckets, days[paid], days[sent]))
    return out, tuple(totals)


def aged_totals(session, as_of: date, width: int) -> tuple[int, ...]:
    """The totals by bucket alone (the weekly report's): summed in the database."""
    stmt, params = aging_statement(as_of, width, totals=True)
    return tuple(int(cents) for cents in session.execute(stmt, params).one()[:BUCKET_COUNT])


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
    with ctx.db.read() as session:  # no write lock while a million rows are read; the event follows
        patients, totals = aged_rows(session, as_of, width, min_balance_cents=min_balance_cents)
        ledger_total = ledger_sum_in(session, as_of) if check_total and not min_balance_cents else sum(totals)
    with audit.recorded(ctx, actor, "ar.aging", entity="ledger",
                        detail={"as_of": as_of.isoformat(), "patients": len(patients)}):
        pass
    return Aging(as_of, width, bucket_labels(width), tuple(patients), totals, ledger_total)


def ledger_sum_in(session, as_of: date) -> int:
    """The plain sum of every patient-responsibility row up to `as_of`: the check on the totals."""
    return int(session.execute(text(
        "SELECT coalesce(sum(amount_cents), 0) FROM ledger_entries WHERE responsibility = 'patient' "
        "AND service_date <= :as_of").bindparams(bindparam("as_of", type_=Date)), {"as_of": as_of}).scalar_one())


def text_head(as_of: date, width: int, labels) -> list[str]:
    head = f"{'MRN':<10} {'Patient':<22}" + "".join(f"{label:>11}" for label in labels) + \
        f"{'Balance':>12} {'Last paid':<10} {'Statement':<10}"
    return [f"A/R aging as of {as_of:%Y-%m-%d} (by date of service, {width}-day buckets)", head, "-" * len(head)]


def text_tail(head: str, patients: int, totals) -> list[str]:
    return ["-" * len(head), f"{'TOTAL':<10} {str(patients) + ' patients':<22}"
            + "".join(f"{format_cents(c):>11}" for c in totals) + f"{format_cents(sum(totals)):>12}"]


def aging_text(report: Aging, *, limit: int | None = None) -> str:
    """The report as text (aging_export.py streams the same lines for a whole clinic)."""
    lines = text_head(report.as_of, report.width, report.labels)
    shown = report.patients if limit is None else by_urgency(report.patients, limit)
    for p in shown:
        lines.append(f"{p.mrn[:10]:<10} {p.name[:22]:<22}" + "".join(f"{format_cents(c):>11}" for c in p.buckets)
                     + f"{format_cents(p.balance_cents):>12} {str(p.last_payment or '-'):<10} "
                       f"{str(p.last_statement or '-'):<10}")
    if limit is not None and len(report.patients) > limit:
        lines.append(f"... and {len(report.patients) - limit} more patients")
    lines += text_tail(lines[1], len(report.patients), report.totals)
    return "\n".join(lines) + "\n"
