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

from sqlalchemy import and_, case, func, select

from coordinator_tui.domain.ledger import BUCKET_COUNT, EntryKind, apply_credits, bucket_labels
from coordinator_tui.domain.money import format_cents
from coordinator_tui.errors import UserError
from coordinator_tui.services import audit
from coordinator_tui.services.accounts.ledger import PATIENT
from coordinator_tui.services.context import Actor, AppContext
from coordinator_tui.services.permissions import Permission, require
from coordinator_tui.store.models import LedgerEntry, Patient

DEFAULT_BUCKET_DAYS = 30


@dataclass(frozen=True)
class AgedPatient:
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
    ledger_total: int  # the plain sum of the rows: always equal to sum(totals)

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


def aged_rows(session, as_of: date, width: int, *, patient_ids=None, min_balance_cents: int = 0):
    """(AgedPatient list, ledger total) for the patients owing (or owed) anything on `as_of`."""
    e = LedgerEntry
    edges = [as_of - timedelta(days=width * k) for k in range(1, BUCKET_COUNT)]
    debit = e.amount_cents > 0
    columns = [func.sum(case((and_(debit, e.service_date >= edges[0]), e.amount_cents), else_=0))]
    for k in range(1, BUCKET_COUNT - 1):
        columns.append(func.sum(case((and_(debit, e.service_date < edges[k - 1], e.service_date >= edges[k]),
                                      e.amount_cents), else_=0)))
    columns.append(func.sum(case((and_(debit, e.service_date < edges[-1]), e.amount_cents), else_=0)))
    columns.append(func.sum(case((e.amount_cents < 0, e.amount_cents), else_=0)))
    columns.append(func.max(case((e.kind == EntryKind.PAYMENT.value, e.service_date))))
    columns.append(func.max(case((e.kind == EntryKind.STATEMENT.value, e.service_date))))
    where = [e.responsibility == PATIENT, e.service_date <= as_of]
    if patient_ids is not None:
        where.append(e.patient_id.in_(list(patient_ids)))
    grouped = select(e.patient_id.label("pid"), *[c.label(f"c{i}") for i, c in enumerate(columns)]).where(
        *where).group_by(e.patient_id).subquery()
    stmt = select(grouped, Patient.mrn, Patient.family_name, Patient.given_name).join(
        Patient, Patient.id == grouped.c.pid)
    out = []
    total = 0
    for row in session.execute(stmt):
        pid, *values = row[:BUCKET_COUNT + 4]
        debits, credits = values[:BUCKET_COUNT], values[BUCKET_COUNT]
        owed = sum(debits) + credits
        total += owed
        if owed == 0 or (min_balance_cents > 0 and owed < min_balance_cents):
            continue
        buckets = tuple(apply_credits(debits, credits))
        out.append(AgedPatient(pid, row.mrn, f"{row.family_name}, {row.given_name}", buckets,
                               _as_date(values[BUCKET_COUNT + 1]), _as_date(values[BUCKET_COUNT + 2])))
    return out, total


def aging(ctx: AppContext, actor: Actor, as_of: date, *, min_balance_cents: int = 0) -> Aging:
    """The aging report on `as_of` (supervisors and admins: it lists every patient who owes);
    looking is audited."""
    require(actor, Permission.WORK_ACCOUNTS)
    width = bucket_width(ctx)
    with ctx.db.write() as session:
        patients, total = aged_rows(session, as_of, width, min_balance_cents=min_balance_cents)
        audit.record(session, actor, "ar.aging", ctx.now(), entity="ledger",
                     detail={"as_of": as_of.isoformat(), "patients": len(patients)})
    patients.sort(key=lambda p: (-p.oldest, -p.balance_cents, p.mrn))
    totals = tuple(sum(p.buckets[i] for p in patients) for i in range(BUCKET_COUNT))
    return Aging(as_of, width, bucket_labels(width), tuple(patients), totals, total)


def _money(cents: int) -> str:
    return f"{'-' if cents < 0 else ''}{abs(cents) // 100}.{abs(cents) % 100:02d}"


def aging_csv(report: Aging) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["mrn", "name", *report.labels, "balance", "last_payment", "last_statement"])
    for p in report.patients:
        writer.writerow([p.mrn, _safe(p.name), *(_money(c) for c in p.buckets), _money(p.balance_cents),
                         p.last_payment or "", p.last_statement or ""])
    writer.writerow(["TOTAL", "", *(_money(c) for c in report.totals), _money(report.total_cents), "", ""])
    return out.getvalue()


def aging_text(report: Aging, *, limit: int | None = None) -> str:
    head = f"{'MRN':<10} {'Patient':<22}" + "".join(f"{label:>11}" for label in report.labels) + \
        f"{'Balance':>12} {'Last paid':<10} {'Statement':<10}"
    lines = [f"A/R aging as of {report.as_of:%Y-%m-%d} (by date of service, {report.width}-day buckets)",
             head, "-" * len(head)]
    shown = report.patients if limit is None else report.patients[:limit]
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
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text
