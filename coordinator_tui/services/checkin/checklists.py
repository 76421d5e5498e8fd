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
  half-made walk-in."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from sqlalchemy import select

from coordinator_tui.domain import phones
from coordinator_tui.domain.lateness import late_minutes
from coordinator_tui.domain.money import format_cents
from coordinator_tui.domain.patient_validation import validate_patient
from coordinator_tui.domain.text import clean_text
from coordinator_tui.domain.vocab import (
    CHECKLIST_ITEM_WORDS,
    AppointmentStatus,
    CallbackReason,
    EligibilityStatus,
    FormKind,
    Priority,
)
from coordinator_tui.errors import UserError
from coordinator_tui.services import audit
from coordinator_tui.services.accounts.desk import balance_items
from coordinator_tui.services.callback_queue import ensure_open_callback
from coordinator_tui.services.checkin import checklist_reads as reads
from coordinator_tui.services.checkin.checklist_reads import aware_instant, paid_cents  # noqa: F401
from coordinator_tui.services.context import Actor, AppContext
from coordinator_tui.services.eligibility.benefits import benefits_read_once, checklist_detail
from coordinator_tui.services.patients.records import ValidationFailed, staff_name
from coordinator_tui.services.referrals.documents import checklist_items as referral_items
from coordinator_tui.services.versions import check_version
from coordinator_tui.services.view_audit import record_view
from coordinator_tui.store.models import (
    Appointment,
    CheckinCheck,
    Coverage,
    FormSignature,
    Patient,
)

ELIGIBILITY_VALID_DAYS = 30


DEMOGRAPHICS_VALID_DAYS = 90


ID_VALID_DAYS = 365


PRIVACY_NOTICE_VALID_DAYS = 365




S = AppointmentStatus


ITEM_KEYS = ("demographics", "eligibility", "copay", "forms", "id_card")


SEEN_ITEMS = ("photo_id", "insurance_card")


@dataclass(frozen=True)
class ChecklistItem:
    key: str       # demographics | eligibility | copay | forms | id_card | referral | documents
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
    # The versions this checklist showed: a step that changes the patient or the coverage
    # carries them back (services/versions.py), so a newer edit is never overwritten unseen.
    patient_version: int = 0
    coverage_version: int | None = None
    copay_cents: int = 0  # the primary coverage's copay (0: self-pay), charged at arrival

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


def primary_coverage(session, patient_id: int) -> Coverage | None:
    """The active primary coverage as an ORM object (for a step that changes it)."""
    return session.scalar(select(Coverage).where(
        Coverage.patient_id == patient_id, Coverage.rank == "primary", Coverage.active.is_(True)))


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


def build_checklist(ctx: AppContext, session, appointment: Appointment) -> Checklist:
    """The checklist the desk is shown: every item with its words, the patient and the visit."""
    with benefits_read_once(session):  # the 271's answer and the payer's authorisation
        return _build(ctx, session, appointment, details=True)


def decide_checklist(ctx: AppContext, session, appointment: Appointment) -> Checklist:
    """What check-in decides from, inside its write lock: the same items with the same `done`,
    key and label words, and the visit's day, but without what only the desk's screen shows
    (the patient's name and address, the payer's and verifier's names, the 271's answer, the
    referral's standing, the provider): five of the build's ~15 reads, and the widest row."""
    return _build(ctx, session, appointment, details=False)


def _build(ctx: AppContext, session, appointment: Appointment, *, details: bool) -> Checklist:
    now = ctx.now()
    today = ctx.today()
    patient = reads.patient_row(session, appointment.patient_id) if details else None
    patient_id = appointment.patient_id
    starts = aware_instant(appointment.starts_at)
    day = ctx.local(starts).date()
    status = S(appointment.status)
    items: list[ChecklistItem] = []
    checks = reads.last_checks(session, patient_id)

    confirmed = checks.get("demographics")
    demo_ok = confirmed is not None and now - confirmed <= timedelta(days=DEMOGRAPHICS_VALID_DAYS)
    items.append(ChecklistItem("demographics", "Address and phone confirmed", demo_ok,
                               "" if not details else
                               f"confirmed {ctx.local(confirmed):%Y-%m-%d}" if confirmed else "never confirmed"))

    coverage = (reads.primary_coverage_named if details else reads.primary_coverage_row)(session, patient_id)
    valid_days = getattr(ctx.settings, "eligibility_valid_days", ELIGIBILITY_VALID_DAYS)
    if coverage is None:
        items.append(ChecklistItem("eligibility", "Insurance eligibility", True, "self-pay: no insurance on file"))
        copay = 0
    else:
        payer = coverage.payer_name if details else ""
        verified_at = aware_instant(coverage.verified_at)
        if coverage.eligibility_status == EligibilityStatus.VERIFIED.value and verified_at and \
                now - verified_at <= timedelta(days=valid_days):
            who = coverage.verified_by_name if details else None
            detail = f"verified {ctx.local(verified_at):%Y-%m-%d} by {who or '?'}"
            ok = True
        elif coverage.eligibility_status == EligibilityStatus.PROBLEM.value:
            detail, ok = f"problem: {coverage.eligibility_note or 'no note'}", False
        elif verified_at:
            detail, ok = f"last verified {ctx.local(verified_at):%Y-%m-%d}, older than {valid_days} days", False
        else:
            detail, ok = "not verified", False
        if details and (ok or coverage.eligibility_status == EligibilityStatus.PROBLEM.value):
            detail = checklist_detail(ctx, session, coverage) or detail  # a 271's answer, if any
        items.append(ChecklistItem("eligibility", f"Insurance eligibility ({payer})", ok,
                                   detail if details else ""))
        copay = coverage.copay_cents
    paid = reads.paid_cents(session, appointment.id)
    due = max(0, copay - paid)
    items.append(ChecklistItem("copay", "Copay", due == 0,
                               f"{format_cents(due)} due" if due else
                               (f"{format_cents(paid)} paid" if paid else "none due")))

    missing = outstanding_forms(reads.latest_forms(session, patient_id), today)
    items.append(ChecklistItem("forms", "Forms signed", not missing,
                               "to sign: " + ", ".join(FORM_LABELS[m] for m in missing) if missing else "all current"))

    seen_detail = []
    seen_ok = True
    for item in SEEN_ITEMS:
        if item == "insurance_card" and coverage is None:
            continue
        last = checks.get(item)
        fresh = last is not None and now - last <= timedelta(days=ID_VALID_DAYS)
        seen_ok &= fresh
        if not fresh:
            seen_detail.append("photo ID" if item == "photo_id" else "insurance card")
    items.append(ChecklistItem("id_card", "Photo ID and insurance card seen", seen_ok,
                               "not seen: " + ", ".join(seen_detail) if seen_detail else "seen"))

    items.extend(ChecklistItem(*item) for item in referral_items(
        session, ctx, appointment, coverage_id=coverage.id if coverage is not None else None,
        details=details))
    items.extend(ChecklistItem(*item) for item in balance_items(session, ctx, appointment))
    common = dict(appointment_id=appointment.id, patient_id=patient_id, starts_at=starts, status=status,
                  version=appointment.version_id, day=day, is_today=day == today,
                  late_minutes=late_minutes(starts, now) if status in (S.SCHEDULED, S.CONFIRMED) else 0,
                  copay_due_cents=due, items=tuple(items),
                  coverage_version=coverage.version_id if coverage is not None else None,
                  copay_cents=copay)
    if not details:
        return Checklist(mrn="", patient_name="", provider="", address="", phone="", **common)
    address = ", ".join(p for p in (patient.address_line1, patient.address_line2, patient.city,
                                    patient.region, patient.postal_code) if p)
    return Checklist(
        mrn=patient.mrn, patient_name=f"{patient.family_name}, {patient.given_name}",
        provider=reads.provider_short(session, appointment.provider_id), address=address,
        phone=phones.display(patient.phone_mobile or patient.phone_home),
        patient_version=patient.version_id, **common)


def load_appointment(session, appointment_id: int) -> Appointment:
    appointment = session.get(Appointment, appointment_id)
    if appointment is None:
        raise UserError(f"appointment {appointment_id} does not exist")
    return appointment


def checklist(ctx: AppContext, actor: Actor, appointment_id: int) -> Checklist:
    """What is done and what is outstanding for this visit (an audited view of the record):
    read without the write lock, its audit event committed before it is returned
    (services/view_audit.py)."""
    with ctx.db.read() as session:
        appointment = reads.appointment_row(session, appointment_id)
        if appointment is None:
            raise UserError(f"appointment {appointment_id} does not exist")
        result = build_checklist(ctx, session, appointment)
    record_view(ctx, actor, "checkin.view", ctx.now(), patient_id=result.patient_id,
                entity="appointment", entity_id=appointment_id)
    return result


def _add_check(session, actor: Actor, appointment_id: int, item: str, at: datetime) -> None:
    session.add(CheckinCheck(appointment_id=appointment_id, item=item, checked_at=at, checked_by_id=actor.id))


def confirm_demographics(ctx: AppContext, actor: Actor, appointment_id: int, *,
                         address_line1: str | None = None, city: str | None = None,
                         region: str | None = None, postal_code: str | None = None,
                         phone: str | None = None, expected_version: int | None = None) -> Checklist:
    """Confirm address and phone with the patient; any value given replaces what is on file.
    The values obey the same rules as the patient form (ValidationFailed names the field).
    `expected_version` is the patient's version the checklist showed: saved since (the record
    screen, another desk), nothing is confirmed or changed (ConflictError says who and when)."""
    typed = {name: value for name, value in (("address_line1", address_line1), ("city", city),
                                             ("region", region), ("postal_code", postal_code),
                                             ("phone_mobile", phone))
             if value is not None and (not isinstance(value, str) or value.strip())}  # blank = keep
    at = ctx.now()
    with ctx.db.write() as session:
        appointment = load_appointment(session, appointment_id)
        patient = session.get(Patient, appointment.patient_id)
        check_version(patient, expected_version, who=staff_name(session, patient.updated_by_id),
                      when=ctx.local(patient.updated_at), what="the patient's record")
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
        return build_checklist(ctx, session, appointment)


def mark_eligibility(ctx: AppContext, actor: Actor, appointment_id: int, *, verified: bool,
                     note: str | None = None, expected_version: int | None = None) -> Checklist:
    """Verified (who and when recorded) or a problem (note required; opens an insurance callback
    for billing follow-up, one per patient). `expected_version`: the coverage's version shown."""
    note = clean_text(note, "a problem note", limit=300, required=not verified)
    at = ctx.now()
    with ctx.db.write() as session:
        appointment = load_appointment(session, appointment_id)
        coverage = primary_coverage(session, appointment.patient_id)
        if coverage is None:
            raise UserError("no insurance on file for this patient (self-pay): nothing to verify")
        check_version(coverage, expected_version, what="the insurance on file")
        if verified:
            coverage.eligibility_status = EligibilityStatus.VERIFIED.value
            coverage.verified_at = at
            coverage.verified_by_id = actor.id
            coverage.eligibility_note = note or "verified by phone"  # not a payer's 271
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
        return build_checklist(ctx, session, appointment)


def record_forms_signed(ctx: AppContext, actor: Actor, appointment_id: int,
                        forms: Iterable[FormKind] | None = None) -> Checklist:
    """Record forms signed today; by default every form that is outstanding."""
    at = ctx.now()
    today = ctx.today()
    with ctx.db.write() as session:
        appointment = load_appointment(session, appointment_id)
        wanted = [FormKind(f) for f in forms] if forms is not None else \
            outstanding_forms(reads.latest_forms(session, appointment.patient_id), today)
        if not wanted:
            raise UserError("no forms are outstanding")
        for kind in wanted:
            session.add(FormSignature(patient_id=appointment.patient_id, form=kind.value, signed_on=today,
                                      recorded_at=at, recorded_by_id=actor.id))
        session.flush()
        audit.record(session, actor, "checkin.forms", at, patient_id=appointment.patient_id,
                     entity="appointment", entity_id=appointment_id,
                     detail={"forms": [k.value for k in wanted], "signed_on": today.isoformat()})
        return build_checklist(ctx, session, appointment)


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
        appointment = load_appointment(session, appointment_id)
        for item in items:
            _add_check(session, actor, appointment_id, item, at)
        session.flush()
        audit.record(session, actor, "checkin.seen", at, patient_id=appointment.patient_id,
                     entity="appointment", entity_id=appointment_id, detail={"items": items})
        return build_checklist(ctx, session, appointment)

