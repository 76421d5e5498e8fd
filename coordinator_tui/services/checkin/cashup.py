"""Cash-up: the clinic day's payments, totals by method and by user (in cents, voids left out of
the totals and listed apart), and the same payments as CSV for the bookkeeper.

Patients are named by MRN only: the cash-up sheet and the CSV leave the building."""

from __future__ import annotations

import csv
import io
from collections import defaultdict
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import UTC, date, datetime

from sqlalchemy import select
from sqlalchemy.orm import aliased

from coordinator_tui.domain.slots import day_bounds_utc
from coordinator_tui.services import audit
from coordinator_tui.services.context import Actor, AppContext
from coordinator_tui.store.models import Patient, Payment, StaffUser


@dataclass(frozen=True)
class PaymentLine:
    id: int
    receipt_number: str
    taken_at: datetime
    mrn: str
    appointment_id: int | None
    amount_cents: int
    method: str
    reference: str | None
    taken_by: str
    voided_at: datetime | None
    voided_by: str | None
    void_reason: str | None

    @property
    def voided(self) -> bool:
        return self.voided_at is not None


@dataclass(frozen=True)
class CashUp:
    day: date
    payments: tuple[PaymentLine, ...]
    by_method: dict[str, int]
    by_user: dict[str, int]
    total_cents: int
    count: int

    @property
    def voids(self) -> list[PaymentLine]:
        return [p for p in self.payments if p.voided]


def _aware(value: datetime | None) -> datetime | None:
    return value if value is None or value.tzinfo else value.replace(tzinfo=UTC)


def _payment_lines(session, day: date, tz) -> list[PaymentLine]:
    start, end = day_bounds_utc(day, tz)
    taker = aliased(StaffUser)
    voider = aliased(StaffUser)
    stmt = (
        select(Payment.id, Payment.receipt_number, Payment.taken_at, Patient.mrn, Payment.appointment_id,
               Payment.amount_cents, Payment.method, Payment.reference, taker.username,
               Payment.voided_at, voider.username, Payment.void_reason)
        .join(Patient, Patient.id == Payment.patient_id)
        .join(taker, taker.id == Payment.taken_by_id)
        .outerjoin(voider, voider.id == Payment.voided_by_id)
        .where(Payment.taken_at >= start, Payment.taken_at < end)
        .order_by(Payment.taken_at, Payment.id)
    )
    return [PaymentLine(r[0], r[1], _aware(r[2]), r[3], r[4], r[5], r[6], r[7], r[8], _aware(r[9]),
                        r[10], r[11]) for r in session.execute(stmt).all()]


def day_payments(ctx: AppContext, actor: Actor, day: date) -> list[PaymentLine]:
    """The day's payments; looking at them is audited."""
    with ctx.db.write() as session:
        lines = _payment_lines(session, day, ctx.settings.tz)
        audit.record(session, actor, "payments.report", ctx.now(), entity="payments",
                     detail={"day": day.isoformat(), "rows": len(lines)})
    return lines


def cash_up(ctx: AppContext, actor: Actor, day: date) -> CashUp:
    lines = day_payments(ctx, actor, day)
    by_method: dict[str, int] = defaultdict(int)
    by_user: dict[str, int] = defaultdict(int)
    kept = [p for p in lines if not p.voided]
    for p in kept:
        by_method[p.method] += p.amount_cents
        by_user[p.taken_by] += p.amount_cents
    return CashUp(day, tuple(lines), dict(sorted(by_method.items())), dict(sorted(by_user.items())),
                  sum(p.amount_cents for p in kept), len(kept))


CSV_COLUMNS = ["receipt_number", "taken_at", "mrn", "appointment_id", "amount", "amount_cents", "method",
               "reference", "taken_by", "voided_at", "voided_by", "void_reason"]


def _cell(value) -> str:
    """Text a spreadsheet will not run as a formula (=, +, -, @ at the start)."""
    text = "" if value is None else str(value)
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def payments_csv(ctx: AppContext, day: date) -> tuple[str, int]:
    """The day's payments (voided ones included, marked) as CSV text, and how many. Not audited
    here: wrap the step that delivers the text in `exported`."""
    with ctx.db.read() as session:
        lines = _payment_lines(session, day, ctx.settings.tz)
    tz = ctx.settings.tz
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for p in lines:
        writer.writerow([
            p.receipt_number, p.taken_at.astimezone(tz).isoformat(timespec="seconds"), p.mrn,
            p.appointment_id or "", f"{p.amount_cents // 100}.{p.amount_cents % 100:02d}", p.amount_cents,
            p.method, _cell(p.reference), p.taken_by,
            p.voided_at.astimezone(tz).isoformat(timespec="seconds") if p.voided_at else "",
            p.voided_by or "", _cell(p.void_reason),
        ])
    return out.getvalue(), len(lines)


def exported(ctx: AppContext, actor: Actor, day: date, rows: int) -> AbstractContextManager:
    """The export's audit event, kept only if the step inside completes (the file is written)."""
    return audit.recorded(ctx, actor, "payments.export", entity="payments",
                          detail={"day": day.isoformat(), "rows": rows})
