"""The weekly A/R status report for the supervisor (issue 17), Monday to Sunday around the day
given: the totals by bucket at the end of this week and of the week before, collected this week
(payments less voided ones), written off, and the promises to pay that fell due this week, kept
(paid at least the amount between the promise and its date) or broken. txt, csv, pdf."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import aliased

from coordinator_tui.domain.ledger import EntryKind, bucket_labels
from coordinator_tui.domain.money import format_cents
from coordinator_tui.services import audit
from coordinator_tui.services.accounts.aging import aged_totals, bucket_width
from coordinator_tui.services.accounts.ledger import PATIENT
from coordinator_tui.services.context import Actor, AppContext
from coordinator_tui.services.permissions import Permission, require
from coordinator_tui.store.models import LedgerEntry, PaymentPromise


@dataclass(frozen=True)
class Weekly:
    start: date
    end: date
    labels: tuple[str, ...]
    this_week: tuple[int, ...]
    last_week: tuple[int, ...]
    collected_cents: int
    written_off_cents: int
    promises_kept: int
    promises_broken: int
    promises_pending: int


def _money_in(session, kinds: tuple[str, ...], start: date, end: date) -> int:
    """Sum of rows of `kinds` dated in the week, with the reversals of such rows."""
    original = aliased(LedgerEntry)
    own = select(func.coalesce(func.sum(LedgerEntry.amount_cents), 0)).where(
        LedgerEntry.responsibility == PATIENT, LedgerEntry.kind.in_(kinds),
        LedgerEntry.service_date >= start, LedgerEntry.service_date <= end)
    undone = select(func.coalesce(func.sum(LedgerEntry.amount_cents), 0)).join(
        original, original.id == LedgerEntry.reverses_id).where(
        LedgerEntry.responsibility == PATIENT, original.kind.in_(kinds),
        LedgerEntry.service_date >= start, LedgerEntry.service_date <= end)
    return int(session.scalar(own) or 0) + int(session.scalar(undone) or 0)


def _paid_between(session, patient_id: int, start: date, end: date) -> int:
    return -_money_for(session, patient_id, start, end)


def _money_for(session, patient_id: int, start: date, end: date) -> int:
    original = aliased(LedgerEntry)
    rows = select(func.coalesce(func.sum(LedgerEntry.amount_cents), 0)).outerjoin(
        original, original.id == LedgerEntry.reverses_id).where(
        LedgerEntry.patient_id == patient_id, LedgerEntry.responsibility == PATIENT,
        (LedgerEntry.kind == EntryKind.PAYMENT.value) | (original.kind == EntryKind.PAYMENT.value),
        LedgerEntry.service_date >= start, LedgerEntry.service_date <= end)
    return int(session.scalar(rows) or 0)


def weekly_report(ctx: AppContext, actor: Actor, day: date) -> Weekly:
    require(actor, Permission.WORK_ACCOUNTS)
    start = day - timedelta(days=day.weekday())
    end = start + timedelta(days=6)
    width = bucket_width(ctx)
    today = ctx.today()
    with ctx.db.read() as session:  # no write lock while the ledger is summed; the event follows
        this_week = aged_totals(session, min(end, today), width)
        last_week = aged_totals(session, start - timedelta(days=1), width)
        collected = -_money_in(session, (EntryKind.PAYMENT.value,), start, end)
        written_off = -_money_in(session, (EntryKind.WRITE_OFF.value,), start, end)
        kept = broken = pending = 0
        for promise in session.scalars(select(PaymentPromise).where(
                PaymentPromise.promised_for >= start, PaymentPromise.promised_for <= end)):
            noted = ctx.local(promise.noted_at).date()
            paid = _paid_between(session, promise.patient_id, noted, promise.promised_for)
            if paid >= promise.amount_cents:
                kept += 1
            elif promise.promised_for >= today:
                pending += 1
            else:
                broken += 1
    with audit.recorded(ctx, actor, "ar.weekly", entity="ledger", detail={"week": start.isoformat()}):
        pass
    return Weekly(start, end, bucket_labels(width), this_week, last_week, collected, written_off,
                  kept, broken, pending)


def weekly_rows(report: Weekly) -> list[tuple[str, str, str]]:
    rows = [(label, format_cents(now), format_cents(before))
            for label, now, before in zip(report.labels, report.this_week, report.last_week, strict=True)]
    rows.append(("Total", format_cents(sum(report.this_week)), format_cents(sum(report.last_week))))
    return rows


def weekly_text(report: Weekly, clinic: str = "") -> str:
    lines = [f"{clinic} A/R status, week {report.start:%Y-%m-%d} to {report.end:%Y-%m-%d}".strip(), "",
             f"{'Age (days)':<12}{'This week':>14}{'Last week':>14}"]
    lines += [f"{label:<12}{now:>14}{before:>14}" for label, now, before in weekly_rows(report)]
    lines += ["", f"Collected this week:  {format_cents(report.collected_cents)}",
              f"Written off:          {format_cents(report.written_off_cents)}",
              f"Promises to pay due:  {report.promises_kept} kept, {report.promises_broken} broken, "
              f"{report.promises_pending} still open"]
    return "\n".join(lines) + "\n"


def weekly_csv(report: Weekly) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["measure", "this_week_cents", "last_week_cents"])
    for label, now, before in zip(report.labels, report.this_week, report.last_week, strict=True):
        writer.writerow([f"age {label}", now, before])
    writer.writerow(["total", sum(report.this_week), sum(report.last_week)])
    writer.writerow(["collected", report.collected_cents, ""])
    writer.writerow(["written_off", report.written_off_cents, ""])
    writer.writerow(["promises_kept", report.promises_kept, ""])
    writer.writerow(["promises_broken", report.promises_broken, ""])
    writer.writerow(["promises_open", report.promises_pending, ""])
    return out.getvalue()
