"""Patient statements (issue 17): one page per patient owing at least `min_balance` on the as-of
date: the clinic's name, address and telephone, the patient's mailing address, the visits and
payments since the last statement, the balance by age, and how to pay. A PDF (fpdf2, the same
letter layout as the reminder letters) or plain text for a plain printer (a form feed between
patients). Each statement is recorded on the ledger (a `statement` row of 0 on the as-of date)
in the transaction that writes the file, so a failed write records none. A patient without a
postal address is listed as skipped, never dropped silently."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from sqlalchemy import select

from coordinator_tui.domain.ledger import EntryKind, bucket_labels
from coordinator_tui.domain.money import format_cents
from coordinator_tui.domain.reminders import ContactInvalid, mailing_lines
from coordinator_tui.errors import UserError
from coordinator_tui.interop.paper import LetterPage, letters_pdf
from coordinator_tui.interop.private_file import write_private
from coordinator_tui.services import audit
from coordinator_tui.services.accounts.aging import aged_rows, bucket_width
from coordinator_tui.services.accounts.ledger import post_row, survivor
from coordinator_tui.services.clinic import clinic_name
from coordinator_tui.services.context import Actor, AppContext
from coordinator_tui.services.permissions import Permission, require
from coordinator_tui.store.models import LedgerEntry, Location, Patient

KIND_WORDS = {"charge": "Visit / charge", "payment": "Payment - thank you", "adjustment": "Adjustment",
              "write_off": "Written off", "refund": "Refund", "transfer": "From insurance",
              "reversal": "Correction"}
MAX_LINES = 18  # rows since the last statement shown on the page; older ones are summed


@dataclass(frozen=True)
class Statement:
    patient_id: int
    mrn: str
    page: LetterPage


@dataclass(frozen=True)
class StatementRun:
    as_of: date
    statements: tuple[Statement, ...]
    skipped: tuple[tuple[str, str], ...]  # (MRN, why)

    def pdf(self) -> bytes:
        return letters_pdf([s.page for s in self.statements], title=f"Statements {self.as_of}")

    def text(self) -> str:
        pages = []
        for s in self.statements:
            p = s.page
            pages.append("\n".join([p.clinic_name, *(line for line in [p.clinic_phone] if line), p.date_line, "",
                                    *p.recipient, "", p.subject, "", p.body]))
        return "\f\n".join(pages) + "\n"


def _clinic_lines(session, ctx: AppContext) -> tuple[str, str]:
    location = session.scalar(select(Location).order_by(Location.id).limit(1))
    address = (location.address or "") if location else ""
    phone = ctx.settings.clinic_phone or (location.phone if location else "") or ""
    return address, phone


def _body(rows, buckets, labels, address: str, phone: str, earlier: int) -> str:
    lines = [f"{'Date':<12}{'':<24}{'Amount':>12}"]
    if earlier:
        lines.append(f"{'':<12}{'Balance carried forward':<24}{format_cents(earlier):>12}")
    for row in rows[-MAX_LINES:]:
        lines.append(f"{row.service_date:%Y-%m-%d}  {KIND_WORDS.get(row.kind, row.kind):<24}"
                     f"{format_cents(row.amount_cents):>12}")
    total = sum(buckets)
    lines += ["", f"Balance due: {format_cents(total)}", "",
              "By age (days since the date of service):",
              "  ".join(f"{label} {format_cents(cents)}" for label, cents in zip(labels, buckets, strict=True)), "",
              "How to pay: at the front desk (cash, card or check), by mail to the address above, "
              f"or by telephone{' at ' + phone if phone else ''}. Please write your MRN on your check.",
              "If you cannot pay in full, ask us about a monthly payment plan."]
    if address:
        lines.append(f"Mail to: {address}")
    return "\n".join(lines)


def prepare_statements(session, ctx: AppContext, as_of: date, *, min_balance_cents: int = 1,
                       patient_id: int | None = None) -> StatementRun:
    width = bucket_width(ctx)
    labels = bucket_labels(width)
    ids = [survivor(session, patient_id).id] if patient_id is not None else None
    aged, _totals = aged_rows(session, as_of, width, patient_ids=ids, min_balance_cents=max(1, min_balance_cents))
    name = clinic_name(ctx)
    address, phone = _clinic_lines(session, ctx)
    statements, skipped = [], []
    for owed in aged:
        patient = session.get(Patient, owed.patient_id)
        try:
            recipient = mailing_lines(f"{patient.given_name} {patient.family_name}", patient.address_line1,
                                      patient.address_line2, patient.city, patient.region, patient.postal_code,
                                      patient.country)
        except ContactInvalid as exc:
            skipped.append((patient.mrn, str(exc)))
            continue
        since = owed.last_statement
        rows = session.scalars(select(LedgerEntry).where(
            LedgerEntry.patient_id == patient.id, LedgerEntry.responsibility == "patient",
            LedgerEntry.kind != EntryKind.STATEMENT.value, LedgerEntry.service_date <= as_of,
            *([LedgerEntry.service_date > since] if since else [])).order_by(LedgerEntry.service_date,
                                                                              LedgerEntry.id)).all()
        shown = rows[-MAX_LINES:]
        earlier = owed.balance_cents - sum(r.amount_cents for r in shown)
        body = _body(shown, owed.buckets, labels, address, phone, earlier)
        page = LetterPage(name, phone, f"Statement date {as_of:%B} {as_of.day}, {as_of.year}", recipient,
                          f"Statement of account - MRN {patient.mrn}", body)
        statements.append(Statement(patient.id, patient.mrn, page))
    return StatementRun(as_of, tuple(statements), tuple(skipped))


def write_statements(ctx: AppContext, actor: Actor, as_of: date, path: Path | str, *,
                     min_balance_cents: int = 1, patient_id: int | None = None, text: bool = False,
                     check: Callable[[Path], None] | None = None) -> StatementRun:
    """Build the statements and write them (PDF, or text with `text`) to an owner-only file, in
    one write transaction that records each statement on the ledger and in the audit trail."""
    require(actor, Permission.WORK_ACCOUNTS)
    path = Path(path)
    if as_of > ctx.today():
        raise UserError(f"a statement cannot be dated after today ({as_of} is later)")
    at = ctx.now()
    with ctx.db.write() as session:
        run = prepare_statements(session, ctx, as_of, min_balance_cents=min_balance_cents, patient_id=patient_id)
        for statement in run.statements:
            post_row(session, actor, statement.patient_id, EntryKind.STATEMENT, 0, at=at, service_date=as_of)
            audit.record(session, actor, "ledger.statement", at, patient_id=statement.patient_id,
                         entity="statement", detail={"as_of": as_of.isoformat(), "file": path.name})
        if not run.statements:
            audit.record(session, actor, "ledger.statement", at, entity="statement",
                         detail={"as_of": as_of.isoformat(), "statements": 0})
        if check is not None:
            check(path)
        write_private(path, run.text() if text else run.pdf())  # fails: nothing is recorded
    return run


def print_statement(ctx: AppContext, actor: Actor, patient_id: int):
    """One patient's statement to the desk's printer (or the printouts folder), recorded on the
    ledger once it reached it (the work list's "send a statement")."""
    from contextlib import contextmanager

    from coordinator_tui.services.printing import print_document

    require(actor, Permission.WORK_ACCOUNTS)
    as_of = ctx.today()
    with ctx.db.read() as session:
        run = prepare_statements(session, ctx, as_of, patient_id=patient_id)
    if run.skipped:
        raise UserError(f"no statement for {run.skipped[0][0]}: {run.skipped[0][1]}")
    if not run.statements:
        raise UserError("this patient owes nothing: no statement")
    statement = run.statements[0]

    @contextmanager
    def recording():
        at = ctx.now()
        with ctx.db.write() as session:
            post_row(session, actor, statement.patient_id, EntryKind.STATEMENT, 0, at=at, service_date=as_of)
            audit.record(session, actor, "ledger.statement", at, patient_id=statement.patient_id,
                         entity="statement", detail={"as_of": as_of.isoformat(), "printed": True})
            yield

    return print_document(ctx, actor, title="Statement", kind="statement", pdf=run.pdf(),
                          patient_id=statement.patient_id, publish=recording)
