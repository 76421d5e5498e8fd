"""Check-in: what is outstanding for one visit, each item's action, and the check-in itself.

Decisions (kept here so the desk and the tests agree):
- Eligibility is current when the primary coverage is `verified` within
  `ELIGIBILITY_VALID_DAYS` (30) days. A patient with no active coverage is self-pay: nothing to verify.
- Copay due = the primary coverage's copay minus today's non-voided payments for this appointment.
- Forms: the privacy notice must be signed within the last 365 days; consent to treat and the
  financial policy once on file (they stay valid until the clinic revises them).
- Demographics (address and phone confirmed with the patient) are current for
  `DEMOGRAPHICS_VALID_DAYS` (90); photo ID and insurance card seen for `ID_VALID_DAYS` (365).
  So a returning patient with everything current can be checked in by the express path.
- Completing check-in with anything outstanding needs a reason, kept on the appointment
  (`checkin_exception_reason`) and in the status event.
- A walk-in is created and marked arrived in ONE transaction (two status events: created as
  scheduled, then arrived, checked against the state machine), so a dropped link never leaves a
  half-made walk-in.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import func, select

from coordinator_tui.domain import phones
from coordinator_tui.domain.appointment_flow import check_transition, is_active
from coordinator_tui.domain.lateness import late_minutes
from coordinator_tui.domain.money import AmountInvalid, format_cents, parse_payment
from coordinator_tui.domain.patient_validation import validate_patient
from coordinator_tui.domain.slots import day_bounds_utc, free_slots, slot_starts
from coordinator_tui.domain.vocab import (
    CHECKLIST_ITEM_WORDS,
    AppointmentStatus,
    CallbackReason,
    EligibilityStatus,
    FormKind,
    PaymentMethod,
    Priority,
    Role,
)
from coordinator_tui.errors import ConflictError, PermissionDenied, UserError
from coordinator_tui.services import audit
from coordinator_tui.services.appointment_status import (
    StatusChange,
    change_status,
    undo_last_change,
)
from coordinator_tui.services.booking import blocked_intervals
from coordinator_tui.services.callback_queue import ensure_open_callback
from coordinator_tui.services.context import Actor, AppContext
from coordinator_tui.services.desk_views import age_on
from coordinator_tui.services.patients import ValidationFailed
from coordinator_tui.store.models import (
    Appointment,
    AppointmentStatusEvent,
    AppointmentType,
    AvailabilityTemplate,
    CheckinCheck,
    Coverage,
    FormSignature,
    Patient,
    Payer,
    Payment,
    Provider,
    StaffUser,
)

ELIGIBILITY_VALID_DAYS = 30
DEMOGRAPHICS_VALID_DAYS = 90
ID_VALID_DAYS = 365
PRIVACY_NOTICE_VALID_DAYS = 365

S = AppointmentStatus
ITEM_KEYS = ("demographics", "eligibility", "copay", "forms", "id_card")
SEEN_ITEMS = ("photo_id", "insurance_card")
METHOD_KEYS = {"c": PaymentMethod.CASH, "k": PaymentMethod.CARD, "h": PaymentMethod.CHECK}


def _aware(value: datetime | None) -> datetime | None:
    if value is None:
        return None
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def clean_text(value: str | None, *, what: str, max_length: int, required: bool = False) -> str | None:
    """Typed text, trimmed; control characters refused; None when empty and optional."""
    if value is None:
        value = ""
    if not isinstance(value, str):
        raise UserError(f"{what} must be text")
    if any(unicodedata.category(ch) == "Cc" for ch in value):
        raise UserError(f"{what} contains control characters")
    value = " ".join(value.split())
    if not value:
        if required:
            raise UserError(f"{what} is required")
        return None
    if len(value) > max_length:
        raise UserError(f"{what} is too long (at most {max_length} characters)")
    return value


# --- the checklist -----------------------------------------------------------------------------


@dataclass(frozen=True)
class ChecklistItem:
    key: str       # demographics | eligibility | copay | forms | id_card (never shown)
    label: str
    done: bool
    detail: str

    @property
    def word(self) -> str:
        """The item in a few lower-case words, for lists ("photo ID and insurance card")."""
        return CHECKLIST_ITEM_WORDS[self.key]


@dataclass(frozen=True)
class Checklist:
    appointment_id: int
    patient_id: int
    mrn: str
    patient_name: str
    starts_at: datetime
    provider: str
    status: AppointmentStatus
    version: int
    day: date
    is_today: bool
    late_minutes: int
    copay_due_cents: int
    address: str
    phone: str
    items: tuple[ChecklistItem, ...] = field(default_factory=tuple)

    @property
    def outstanding(self) -> list[ChecklistItem]:
        return [item for item in self.items if not item.done]

    def item(self, key: str) -> ChecklistItem:
        return next(item for item in self.items if item.key == key)

    @property
    def can_check_in(self) -> bool:
        return self.is_today and self.status in (S.SCHEDULED, S.CONFIRMED)


def is_express_ready(checklist: Checklist) -> bool:
    """Nothing outstanding and the appointment can be checked in now."""
    return checklist.can_check_in and not checklist.outstanding


def _primary_coverage(session, patient_id: int) -> Coverage | None:
    return session.scalar(select(Coverage).where(
        Coverage.patient_id == patient_id, Coverage.rank == "primary", Coverage.active.is_(True)))


def _paid_cents(session, appointment_id: int) -> int:
    return session.scalar(select(func.coalesce(func.sum(Payment.amount_cents), 0)).where(
        Payment.appointment_id == appointment_id, Payment.voided_at.is_(None))) or 0


def _last_check(session, patient_id: int, item: str) -> datetime | None:
    value = session.scalar(
        select(func.max(CheckinCheck.checked_at))
        .join(Appointment, Appointment.id == CheckinCheck.appointment_id)
        .where(Appointment.patient_id == patient_id, CheckinCheck.item == item))
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return _aware(value)


def _latest_forms(session, patient_id: int) -> dict[str, date]:
    rows = session.execute(
        select(FormSignature.form, func.max(FormSignature.signed_on))
        .where(FormSignature.patient_id == patient_id).group_by(FormSignature.form)).all()
    out = {}
    for form, signed in rows:
        out[form] = date.fromisoformat(signed) if isinstance(signed, str) else signed
    return out


def outstanding_forms(latest: dict[str, date], today: date) -> list[FormKind]:
    missing = []
    privacy = latest.get(FormKind.PRIVACY_NOTICE.value)
    if privacy is None or (today - privacy).days > PRIVACY_NOTICE_VALID_DAYS:
        missing.append(FormKind.PRIVACY_NOTICE)
    for kind in (FormKind.CONSENT_TO_TREAT, FormKind.FINANCIAL_POLICY):
        if kind.value not in latest:
            missing.append(kind)
    return missing


FORM_LABELS = {FormKind.PRIVACY_NOTICE: "privacy notice", FormKind.CONSENT_TO_TREAT: "consent to treat",
               FormKind.FINANCIAL_POLICY: "financial policy"}


def _build(ctx: AppContext, session, appointment: Appointment) -> Checklist:
    now = ctx.now()
    today = ctx.today()
    patient = session.get(Patient, appointment.patient_id)
    provider = session.get(Provider, appointment.provider_id)
    starts = _aware(appointment.starts_at)
    day = ctx.local(starts).date()
    status = S(appointment.status)
    items: list[ChecklistItem] = []

    confirmed = _last_check(session, patient.id, "demographics")
    demo_ok = confirmed is not None and now - confirmed <= timedelta(days=DEMOGRAPHICS_VALID_DAYS)
    items.append(ChecklistItem("demographics", "Address and phone confirmed", demo_ok,
                               f"confirmed {ctx.local(confirmed):%Y-%m-%d}" if confirmed else "never confirmed"))

    coverage = _primary_coverage(session, patient.id)
    valid_days = getattr(ctx.settings, "eligibility_valid_days", ELIGIBILITY_VALID_DAYS)
    if coverage is None:
        items.append(ChecklistItem("eligibility", "Insurance eligibility", True, "self-pay: no insurance on file"))
        copay = 0
    else:
        payer = session.get(Payer, coverage.payer_id)
        verified_at = _aware(coverage.verified_at)
        if coverage.eligibility_status == EligibilityStatus.VERIFIED.value and verified_at and \
                now - verified_at <= timedelta(days=valid_days):
            who = session.get(StaffUser, coverage.verified_by_id) if coverage.verified_by_id else None
            detail = f"verified {ctx.local(verified_at):%Y-%m-%d} by {who.username if who else '?'}"
            ok = True
        elif coverage.eligibility_status == EligibilityStatus.PROBLEM.value:
            detail, ok = f"problem: {coverage.eligibility_note or 'no note'}", False
        elif verified_at:
            detail, ok = f"last verified {ctx.local(verified_at):%Y-%m-%d}, older than {valid_days} days", False
        else:
            detail, ok = "not verified", False
        items.append(ChecklistItem("eligibility", f"Insurance eligibility ({payer.name[:24]})", ok, detail))
        copay = coverage.copay_cents
    paid = _paid_cents(session, appointment.id)
    due = max(0, copay - paid)
    items.append(ChecklistItem("copay", "Copay", due == 0,
                               f"{format_cents(due)} due" if due else
                               (f"{format_cents(paid)} paid" if paid else "none due")))

    missing = outstanding_forms(_latest_forms(session, patient.id), today)
    items.append(ChecklistItem("forms", "Forms signed", not missing,
                               "to sign: " + ", ".join(FORM_LABELS[m] for m in missing) if missing else "all current"))

    seen_detail = []
    seen_ok = True
    for item in SEEN_ITEMS:
        if item == "insurance_card" and coverage is None:
            continue
        last = _last_check(session, patient.id, item)
        fresh = last is not None and now - last <= timedelta(days=ID_VALID_DAYS)
        seen_ok &= fresh
        if not fresh:
            seen_detail.append("photo ID" if item == "photo_id" else "insurance card")
    items.append(ChecklistItem("id_card", "Photo ID and insurance card seen", seen_ok,
                               "not seen: " + ", ".join(seen_detail) if seen_detail else "seen"))

    address = ", ".join(p for p in (patient.address_line1, patient.address_line2, patient.city,
                                    patient.region, patient.postal_code) if p)
    return Checklist(
        appointment_id=appointment.id, patient_id=patient.id, mrn=patient.mrn,
        patient_name=f"{patient.family_name}, {patient.given_name}", starts_at=starts,
        provider=provider.short_name, status=status, version=appointment.version_id, day=day,
        is_today=day == today,
        late_minutes=late_minutes(starts, now) if status in (S.SCHEDULED, S.CONFIRMED) else 0,
        copay_due_cents=due, address=address, phone=phones.display(patient.phone_mobile or patient.phone_home),
        items=tuple(items),
    )


def _appointment(session, appointment_id: int) -> Appointment:
    appointment = session.get(Appointment, appointment_id)
    if appointment is None:
        raise UserError(f"appointment {appointment_id} does not exist")
    return appointment


def checklist(ctx: AppContext, actor: Actor, appointment_id: int) -> Checklist:
    """What is done and what is outstanding for this visit (an audited view of the record)."""
    with ctx.db.write() as session:
        appointment = _appointment(session, appointment_id)
        result = _build(ctx, session, appointment)
        audit.record(session, actor, "checkin.view", ctx.now(), patient_id=appointment.patient_id,
                     entity="appointment", entity_id=appointment_id)
        return result


# --- the items' actions --------------------------------------------------------------------------


def _add_check(session, actor: Actor, appointment_id: int, item: str, at: datetime) -> None:
    session.add(CheckinCheck(appointment_id=appointment_id, item=item, checked_at=at, checked_by_id=actor.id))


def confirm_demographics(ctx: AppContext, actor: Actor, appointment_id: int, *,
                         address_line1: str | None = None, city: str | None = None,
                         region: str | None = None, postal_code: str | None = None,
                         phone: str | None = None) -> Checklist:
    """Confirm address and phone with the patient; any value given replaces what is on file.
    The values obey the same rules as the patient form (ValidationFailed names the field)."""
    typed = {name: value for name, value in (("address_line1", address_line1), ("city", city),
                                             ("region", region), ("postal_code", postal_code),
                                             ("phone_mobile", phone))
             if value is not None and (not isinstance(value, str) or value.strip())}  # blank = keep
    at = ctx.now()
    with ctx.db.write() as session:
        appointment = _appointment(session, appointment_id)
        patient = session.get(Patient, appointment.patient_id)
        # State and ZIP are checked against the patient's country on file.
        checked = validate_patient(typed, today=ctx.today(), partial=True, country=patient.country,
                                   day_first=ctx.settings.day_first)
        if not checked.ok:
            raise ValidationFailed(checked.errors)
        changes = dict(checked.values)
        if changes.get("phone_mobile"):
            changes["phone_mobile_rev"] = phones.reversed_digits(changes["phone_mobile"])
        for name, value in changes.items():
            setattr(patient, name, value)
        if changes:
            patient.updated_at = at
            patient.updated_by_id = actor.id
        _add_check(session, actor, appointment_id, "demographics", at)
        session.flush()
        audit.record(session, actor, "checkin.demographics", at, patient_id=patient.id,
                     entity="appointment", entity_id=appointment_id,
                     detail={"changed": sorted(k for k in changes if not k.endswith("_rev"))})
        return _build(ctx, session, appointment)


def mark_eligibility(ctx: AppContext, actor: Actor, appointment_id: int, *, verified: bool,
                     note: str | None = None) -> Checklist:
    """Verified (who and when recorded) or a problem (note required; opens an insurance callback
    for billing follow-up, one per patient)."""
    note = clean_text(note, what="problem note", max_length=300, required=not verified)
    at = ctx.now()
    with ctx.db.write() as session:
        appointment = _appointment(session, appointment_id)
        coverage = _primary_coverage(session, appointment.patient_id)
        if coverage is None:
            raise UserError("no insurance on file for this patient (self-pay): nothing to verify")
        if verified:
            coverage.eligibility_status = EligibilityStatus.VERIFIED.value
            coverage.verified_at = at
            coverage.verified_by_id = actor.id
            coverage.eligibility_note = note
        else:
            coverage.eligibility_status = EligibilityStatus.PROBLEM.value
            coverage.eligibility_note = note
            due = at + timedelta(hours=4)
            ensure_open_callback(session, actor, patient_id=appointment.patient_id,
                                 reason=CallbackReason.INSURANCE, at=at, due_at=due,
                                 priority=Priority.HIGH, appointment_id=appointment_id,
                                 note=f"Eligibility problem at check-in: {note}"[:500])
        session.flush()
        audit.record(session, actor, "checkin.eligibility", at, patient_id=appointment.patient_id,
                     entity="coverage", entity_id=coverage.id,
                     detail={"status": coverage.eligibility_status})
        return _build(ctx, session, appointment)


def record_forms_signed(ctx: AppContext, actor: Actor, appointment_id: int,
                        forms: Iterable[FormKind] | None = None) -> Checklist:
    """Record forms signed today; by default every form that is outstanding."""
    at = ctx.now()
    today = ctx.today()
    with ctx.db.write() as session:
        appointment = _appointment(session, appointment_id)
        wanted = [FormKind(f) for f in forms] if forms is not None else \
            outstanding_forms(_latest_forms(session, appointment.patient_id), today)
        if not wanted:
            raise UserError("no forms are outstanding")
        for kind in wanted:
            session.add(FormSignature(patient_id=appointment.patient_id, form=kind.value, signed_on=today,
                                      recorded_at=at, recorded_by_id=actor.id))
        session.flush()
        audit.record(session, actor, "checkin.forms", at, patient_id=appointment.patient_id,
                     entity="appointment", entity_id=appointment_id,
                     detail={"forms": [k.value for k in wanted], "signed_on": today.isoformat()})
        return _build(ctx, session, appointment)


def mark_seen(ctx: AppContext, actor: Actor, appointment_id: int,
              items: Iterable[str] = SEEN_ITEMS) -> Checklist:
    """Photo ID and/or insurance card seen at this visit."""
    items = list(items)
    for item in items:
        if item not in SEEN_ITEMS:
            raise UserError(f"unknown item {item!r}: use photo_id or insurance_card")
    if not items:
        raise UserError("say what was seen")
    at = ctx.now()
    with ctx.db.write() as session:
        appointment = _appointment(session, appointment_id)
        for item in items:
            _add_check(session, actor, appointment_id, item, at)
        session.flush()
        audit.record(session, actor, "checkin.seen", at, patient_id=appointment.patient_id,
                     entity="appointment", entity_id=appointment_id, detail={"items": items})
        return _build(ctx, session, appointment)


# --- payments ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Receipt:
    payment_id: int
    receipt_number: str
    patient_id: int
    mrn: str
    appointment_id: int | None
    amount_cents: int
    method: PaymentMethod
    reference: str | None
    taken_at: datetime
    taken_by: str
    clinic_name: str = ""


class PaymentOverDue(UserError):
    """More than the copay due was typed: saved only when the desk confirms (a typo is likelier
    than a patient paying ahead). Nothing was saved."""

    def __init__(self, cents: int, due_cents: int):
        self.cents, self.due_cents = cents, due_cents
        super().__init__(f"{format_cents(cents)} is {format_cents(cents - due_cents)} more than the "
                         f"{format_cents(due_cents)} due; confirm to take it anyway")


def _method(method: PaymentMethod | str) -> PaymentMethod:
    if isinstance(method, PaymentMethod):
        return method
    text = str(method).strip().lower()
    if text in METHOD_KEYS:
        return METHOD_KEYS[text]
    try:
        return PaymentMethod(text)
    except ValueError:
        raise UserError("method must be cash, card or check") from None


def _next_receipt_number(session, day: date) -> str:
    prefix = f"R{day:%Y%m%d}-"
    last = session.scalar(select(func.max(Payment.receipt_number)).where(
        Payment.receipt_number >= prefix, Payment.receipt_number < prefix + "~"))
    number = int(last.rsplit("-", 1)[1]) + 1 if last else 1
    return f"{prefix}{number:04d}"


def take_payment(ctx: AppContext, actor: Actor, appointment_id: int, amount: str,
                 method: PaymentMethod | str, reference: str | None = None, *,
                 confirm_over_due: bool = False) -> Receipt:
    """Record money taken at the desk. The receipt number (R20261123-0007: the clinic day and a
    sequence) is given inside the write transaction, so two desks never share one. More than the
    copay due (when the patient has insurance, so a copay is known) raises PaymentOverDue unless
    `confirm_over_due`; more than MAX_PAYMENT_CENTS is always refused."""
    try:
        cents = parse_payment(amount)
    except AmountInvalid as exc:
        raise UserError(str(exc)) from None
    kind = _method(method)
    reference = clean_text(reference, what="reference", max_length=60,
                           required=kind is PaymentMethod.CHECK)
    at = ctx.now()
    from coordinator_tui.services.clinic import clinic_name

    name = clinic_name(ctx)
    with ctx.db.write() as session:
        appointment = _appointment(session, appointment_id)
        patient = session.get(Patient, appointment.patient_id)
        coverage = _primary_coverage(session, patient.id)
        if coverage is not None and not confirm_over_due:
            # Due is worked out here, in the write transaction: another desk may just have taken it.
            due = max(0, coverage.copay_cents - _paid_cents(session, appointment_id))
            if cents > due:
                raise PaymentOverDue(cents, due)
        number = _next_receipt_number(session, ctx.today())
        payment = Payment(patient_id=patient.id, appointment_id=appointment_id, amount_cents=cents,
                          method=kind.value, reference=reference, receipt_number=number, taken_at=at,
                          taken_by_id=actor.id)
        session.add(payment)
        session.flush()
        audit.record(session, actor, "payment.take", at, patient_id=patient.id, entity="payment",
                     entity_id=payment.id, detail={"cents": cents, "method": kind.value, "receipt": number})
        return Receipt(payment.id, number, patient.id, patient.mrn, appointment_id, cents, kind,
                       reference, at, actor.display_name, name)


def render_receipt(receipt: Receipt, tz) -> str:
    """A printable receipt as plain text (40 columns: a receipt printer's width)."""
    lines = [
        (receipt.clinic_name or "Receipt")[:40].center(40),
        "=" * 40,
        f"Receipt   {receipt.receipt_number}",
        f"Date      {receipt.taken_at.astimezone(tz):%Y-%m-%d %H:%M}",
        f"Patient   MRN {receipt.mrn}",
        f"Amount    {format_cents(receipt.amount_cents)}",
        f"Method    {receipt.method.value}" + (f"  ref {receipt.reference}" if receipt.reference else ""),
        f"Taken by  {receipt.taken_by[:30]}",
        "=" * 40,
        "Thank you".center(40),
    ]
    return "\n".join(lines) + "\n"


def void_payment(ctx: AppContext, actor: Actor, payment_id: int, reason: str) -> None:
    """Void (never delete) a payment: supervisors and admins only, with a reason."""
    if actor.role not in (Role.SUPERVISOR, Role.ADMIN):
        raise PermissionDenied("only a supervisor or admin may void a payment")
    reason = clean_text(reason, what="reason", max_length=300, required=True)
    at = ctx.now()
    with ctx.db.write() as session:
        payment = session.get(Payment, payment_id)
        if payment is None:
            raise UserError(f"payment {payment_id} does not exist")
        if payment.voided_at is not None:
            raise UserError(f"receipt {payment.receipt_number} is already void")
        payment.voided_at = at
        payment.voided_by_id = actor.id
        payment.void_reason = reason
        session.flush()
        audit.record(session, actor, "payment.void", at, patient_id=payment.patient_id, entity="payment",
                     entity_id=payment.id, detail={"receipt": payment.receipt_number, "reason": reason})


# --- check-in, undo ------------------------------------------------------------------------------


def check_in(ctx: AppContext, actor: Actor, appointment_id: int, expected_version: int | None,
             exception_reason: str | None = None) -> StatusChange:
    """Mark the patient arrived. Refused while items are outstanding unless a reason is given
    (kept on the appointment and in its status history)."""
    reason = clean_text(exception_reason, what="reason", max_length=300)
    current = checklist(ctx, actor, appointment_id)
    if not current.is_today:
        raise UserError(f"appointment {appointment_id} is on {current.day:%a %d %b %Y}, not today")
    outstanding = current.outstanding
    if outstanding and reason is None:
        raise UserError("still outstanding: " + ", ".join(i.label.split(" (")[0].lower() for i in outstanding)
                        + "; give a reason to check in anyway")
    extra = {"checkin_exception_reason": reason} if outstanding else None
    event_reason = None
    if outstanding:
        event_reason = f"checked in with {', '.join(i.word for i in outstanding)} outstanding: {reason}"[:300]
    return change_status(ctx, actor, appointment_id, S.ARRIVED, reason=event_reason,
                         expected_version=expected_version, extra=extra)


def undo_check_in(ctx: AppContext, actor: Actor, appointment_id: int, reason: str,
                  expected_version: int | None = None) -> StatusChange:
    with ctx.db.read() as session:
        appointment = _appointment(session, appointment_id)
        status = appointment.status
    if status != S.ARRIVED.value:
        raise UserError(f"appointment {appointment_id} is not checked in (it is {S(status).label})")
    return undo_last_change(ctx, actor, appointment_id, reason=reason, expected_version=expected_version)


@dataclass(frozen=True)
class HistoryRow:
    at: datetime
    from_status: AppointmentStatus | None
    to_status: AppointmentStatus
    by: str
    reason: str | None
    is_undo: bool


def status_history(ctx: AppContext, actor: Actor, appointment_id: int) -> list[HistoryRow]:
    """Every status change of the appointment, oldest first, with who and when."""
    with ctx.db.write() as session:
        appointment = _appointment(session, appointment_id)
        rows = session.execute(
            select(AppointmentStatusEvent.at, AppointmentStatusEvent.from_status,
                   AppointmentStatusEvent.to_status, StaffUser.username, AppointmentStatusEvent.reason,
                   AppointmentStatusEvent.is_undo)
            .outerjoin(StaffUser, StaffUser.id == AppointmentStatusEvent.by_id)
            .where(AppointmentStatusEvent.appointment_id == appointment_id)
            .order_by(AppointmentStatusEvent.id)).all()
        audit.record(session, actor, "appointment.history", ctx.now(), patient_id=appointment.patient_id,
                     entity="appointment", entity_id=appointment_id)
    return [HistoryRow(_aware(r[0]), S(r[1]) if r[1] else None, S(r[2]), r[3] or "?",
                       _reason_words(r[4]), bool(r[5]))
            for r in rows]


def _reason_words(reason: str | None) -> str | None:
    """Check-ins recorded before the items had words said "checked in with id_card, copay
    outstanding: ..."; show those in words too."""
    prefix, middle = "checked in with ", " outstanding: "
    if not reason or not reason.startswith(prefix) or middle not in reason:
        return reason
    items, why = reason[len(prefix):].split(middle, 1)
    named = ", ".join(CHECKLIST_ITEM_WORDS.get(item, item) for item in items.split(", "))
    return f"{prefix}{named}{middle}{why}"


# --- wrong day, walk-ins -------------------------------------------------------------------------


@dataclass(frozen=True)
class AppointmentBrief:
    id: int
    patient_id: int
    starts_at: datetime
    provider: str
    status: AppointmentStatus


def todays_appointment(ctx: AppContext, actor: Actor, patient_id: int) -> AppointmentBrief | None:
    start, end = day_bounds_utc(ctx.today(), ctx.settings.tz)
    with ctx.db.read() as session:
        rows = session.execute(
            select(Appointment.id, Appointment.starts_at, Provider.short_name, Appointment.status)
            .join(Provider, Provider.id == Appointment.provider_id)
            .where(Appointment.patient_id == patient_id, Appointment.starts_at >= start,
                   Appointment.starts_at < end).order_by(Appointment.starts_at)).all()
    for r in rows:
        if is_active(r[3]):
            return AppointmentBrief(r[0], patient_id, _aware(r[1]), r[2], S(r[3]))
    return None


def wrong_day_appointment(ctx: AppContext, actor: Actor, patient_id: int) -> AppointmentBrief | None:
    """A patient with no appointment today but a booked one on another day: that one (the
    nearest to today, within 30 days either side), else None."""
    if todays_appointment(ctx, actor, patient_id) is not None:
        return None
    now = ctx.now()
    with ctx.db.read() as session:
        rows = session.execute(
            select(Appointment.id, Appointment.starts_at, Provider.short_name, Appointment.status)
            .join(Provider, Provider.id == Appointment.provider_id)
            .where(Appointment.patient_id == patient_id,
                   Appointment.starts_at >= now - timedelta(days=30),
                   Appointment.starts_at < now + timedelta(days=30),
                   Appointment.status.in_([S.SCHEDULED.value, S.CONFIRMED.value]))).all()
    if not rows:
        return None
    best = min(rows, key=lambda r: abs((_aware(r[1]) - now).total_seconds()))
    return AppointmentBrief(best[0], patient_id, _aware(best[1]), best[2], S(best[3]))


@dataclass(frozen=True)
class ProviderChoice:
    id: int
    short_name: str
    display_name: str


def providers(ctx: AppContext, actor: Actor) -> list[ProviderChoice]:
    with ctx.db.read() as session:
        rows = session.execute(select(Provider.id, Provider.short_name, Provider.display_name)
                               .where(Provider.active.is_(True)).order_by(Provider.short_name)).all()
    return [ProviderChoice(*r) for r in rows]


WALK_IN_TYPE = "WALK"


@dataclass(frozen=True)
class WalkInPatient:
    id: int
    mrn: str
    name: str
    birth_date: date
    age: int


def walk_in_patient(ctx: AppContext, actor: Actor, patient_id: int) -> WalkInPatient:
    """Who the walk-in is, to check before booking: showing a name and birth date is a look at
    the record, so it is audited."""
    with ctx.db.write() as session:
        patient = session.get(Patient, patient_id)
        if patient is None or patient.merged_into_id is not None:
            raise UserError("no such patient (merged or removed); type the MRN again")
        audit.record(session, actor, "patient.view", ctx.now(), patient_id=patient.id, entity="patient",
                     entity_id=patient.id, detail={"screen": "walk-in"})
        return WalkInPatient(patient.id, patient.mrn, f"{patient.family_name}, {patient.given_name}",
                             patient.birth_date, age_on(patient.birth_date, ctx.today()))


def _walk_in_kind(session) -> AppointmentType:
    kind = session.scalar(select(AppointmentType).where(AppointmentType.code == WALK_IN_TYPE))
    if kind is None:
        raise UserError("the clinic has no walk-in appointment type (code WALK)")
    return kind


def _next_walk_in_start(session, ctx: AppContext, provider_id: int, minutes: int) -> datetime | None:
    """The provider's next free start today that fits `minutes`, or None."""
    now, today, tz = ctx.now(), ctx.today(), ctx.settings.tz
    templates = session.scalars(select(AvailabilityTemplate).where(
        AvailabilityTemplate.provider_id == provider_id,
        AvailabilityTemplate.weekday == today.weekday(),
        AvailabilityTemplate.valid_from <= today,
        (AvailabilityTemplate.valid_to.is_(None)) | (AvailabilityTemplate.valid_to >= today))).all()
    start, end = day_bounds_utc(today, tz)
    busy = [(_aware(a), _aware(b)) for a, b, status in session.execute(
        select(Appointment.starts_at, Appointment.ends_at, Appointment.status).where(
            Appointment.provider_id == provider_id, Appointment.starts_at < end,
            Appointment.ends_at > start)).all() if is_active(status)]
    # Blocked time (vacation, half-day, clinic holiday) is as taken as a booked visit.
    for blocks in blocked_intervals(session, [provider_id], start, end).values():
        busy += [(_aware(s), _aware(e)) for s, e, _kind, _reason in blocks]
    for template in sorted(templates, key=lambda t: t.start_minute):
        starts = slot_starts(today, tz, time(template.start_minute // 60, template.start_minute % 60),
                             time(0) if template.end_minute == 1440 else
                             time(template.end_minute // 60, template.end_minute % 60),
                             template.slot_minutes)
        # The current slot counts while it is still running: a walk-in is seen now.
        candidates = [s for s in starts if s + timedelta(minutes=template.slot_minutes) > now]
        free = free_slots(candidates, template.slot_minutes, busy, minutes)
        if free:
            return free[0]
    return None


def walk_in_times(ctx: AppContext, actor: Actor, provider_ids: Iterable[int]) -> dict[int, datetime | None]:
    """When a walk-in would be booked with each provider now (None: no free time left today),
    shown before the desk picks one."""
    with ctx.db.read() as session:
        minutes = _walk_in_kind(session).default_minutes
        return {pid: _next_walk_in_start(session, ctx, pid, minutes) for pid in provider_ids}


def walk_in(ctx: AppContext, actor: Actor, patient_id: int, provider_id: int, *,
            expected_start: datetime | None = None) -> AppointmentBrief:
    """A same-day walk-in with the provider at their next free time today, arrived at once.

    With `expected_start` (the time the desk was shown), a different next free time (another
    desk booked it meanwhile) is refused: the desk must see the time it books."""
    now = ctx.now()
    today = ctx.today()
    with ctx.db.write() as session:
        patient = session.get(Patient, patient_id)
        if patient is None or patient.merged_into_id is not None:
            raise UserError(f"patient {patient_id} does not exist")
        provider = session.get(Provider, provider_id)
        if provider is None or not provider.active:
            raise UserError(f"provider {provider_id} does not exist or is not active")
        if todays_appointment_in(session, ctx, patient_id) is not None:
            raise UserError("this patient already has an appointment today: check them in instead")
        kind = _walk_in_kind(session)
        found = _next_walk_in_start(session, ctx, provider_id, kind.default_minutes)
        if found is None:
            raise UserError(f"{provider.short_name} has no free time left today; choose another provider")
        if expected_start is not None and found != _aware(expected_start):
            local = found.astimezone(ctx.settings.tz)
            raise ConflictError(f"{provider.short_name}'s next free time is now {local:%H:%M}; nothing was "
                                "booked, the times are shown again")
        check_transition(S.SCHEDULED, S.ARRIVED)
        appointment = Appointment(
            patient_id=patient_id, provider_id=provider_id, appointment_type_id=kind.id,
            location_id=provider.default_location_id or 1, starts_at=found,
            ends_at=found + timedelta(minutes=kind.default_minutes), desired_date=today,
            status=S.ARRIVED.value, reason="Walk-in", is_walk_in=True, created_at=now,
            created_by_id=actor.id)
        session.add(appointment)
        session.flush()
        session.add_all([
            AppointmentStatusEvent(appointment_id=appointment.id, from_status=None,
                                   to_status=S.SCHEDULED.value, at=now, by_id=actor.id, reason="walk-in"),
            AppointmentStatusEvent(appointment_id=appointment.id, from_status=S.SCHEDULED.value,
                                   to_status=S.ARRIVED.value, at=now, by_id=actor.id, reason="walk-in"),
        ])
        session.flush()
        audit.record(session, actor, "appointment.walk_in", now, patient_id=patient_id,
                     entity="appointment", entity_id=appointment.id,
                     detail={"provider_id": provider_id, "starts_at": found.isoformat()})
        return AppointmentBrief(appointment.id, patient_id, found, provider.short_name, S.ARRIVED)


def todays_appointment_in(session, ctx: AppContext, patient_id: int):
    start, end = day_bounds_utc(ctx.today(), ctx.settings.tz)
    for status in session.scalars(select(Appointment.status).where(
            Appointment.patient_id == patient_id, Appointment.starts_at >= start,
            Appointment.starts_at < end)):
        if is_active(status):
            return status
    return None


def patient_by_mrn(ctx: AppContext, actor: Actor, mrn: str) -> tuple[int, str] | None:
    """(patient id, MRN) for a typed MRN, or None."""
    mrn = clean_text(mrn, what="MRN", max_length=16, required=True).upper()
    with ctx.db.read() as session:
        row = session.execute(select(Patient.id, Patient.mrn).where(
            Patient.mrn == mrn, Patient.merged_into_id.is_(None))).first()
    return (row[0], row[1]) if row else None
