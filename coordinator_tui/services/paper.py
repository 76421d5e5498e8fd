"""What the desks print, each as one call: the day sheet (a page per provider), a receipt
(plain text for a receipt printer), any text sheet (the check-in estimate). All go through
services/printing.py: the desk's CUPS printer, or an owner-only file when none is set."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

from coordinator_tui.services.context import Actor, AppContext
from coordinator_tui.services.locations import Place
from coordinator_tui.services.printing import Printed, print_document


def day_sheet_text(ctx: AppContext, actor: Actor, day: date,
                   place: Place | None = None) -> tuple[str, int]:
    """The day sheet (at one location, or all) as text, one page (form feed) per provider; and
    the appointment count."""
    from coordinator_tui.services.schedule.export import as_txt, day_sheet

    sheet = day_sheet(ctx, actor, day, place=place)
    providers = list(dict.fromkeys(a.provider for a in sheet.appointments))
    pages = [as_txt(replace(sheet, provider=name, appointments=tuple(
        a for a in sheet.appointments if a.provider == name)), ctx.settings.tz)
        for name in providers] or [as_txt(sheet, ctx.settings.tz)]
    return "\f".join(pages), len(sheet.appointments)


def print_day_sheet(ctx: AppContext, actor: Actor, day: date, place: Place | None = None) -> Printed:
    """The schedule desk's `p`: the day's sheet at the location shown, a page per provider."""
    text, _count = day_sheet_text(ctx, actor, day, place)
    return print_document(ctx, actor, title=f"day sheet {day.isoformat()}", kind="day_sheet",
                          text=text)


def print_receipt(ctx: AppContext, actor: Actor, receipt) -> Printed:
    """A check-in receipt (services.checkin.payments.Receipt) as plain text, 40 columns."""
    from coordinator_tui.services.checkin.payments import render_receipt

    return print_document(ctx, actor, title=f"receipt {receipt.receipt_number}", kind="receipt",
                          text=render_receipt(receipt, ctx.settings.tz), plain_text=True,
                          patient_id=receipt.patient_id)


def print_text_sheet(ctx: AppContext, actor: Actor, text: str, *, title: str, kind: str,
                     patient_id: int | None = None, plain_text: bool = False) -> Printed:
    """Any sheet a desk shows as text (the check-in estimate): `title` must not name the
    patient (CUPS shows job titles to everyone)."""
    return print_document(ctx, actor, title=title, kind=kind, text=text, plain_text=plain_text,
                          patient_id=patient_id)
