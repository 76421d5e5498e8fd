"""Letters for the patients a text cannot reach: no-shows, appointments the clinic cancelled,
and recalls due for patients the phone could not reach (the recall callback's failed attempts
reached the escalation count).

Each letter is recorded on the patient (patient_letters), once per appointment or recall item,
so a second run writes none again. A patient without a postal address, or who said no to
letters, is listed with the reason: never dropped silently.
"""

from __future__ import annotations

from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from datetime import date

from sqlalchemy import func, select

from coordinator_tui.domain.reminder_templates import TemplateInvalid, fill
from coordinator_tui.domain.reminder_templates import subject as letter_subject
from coordinator_tui.domain.reminders import (
    ContactChannel,
    ContactInvalid,
    LetterKind,
    language_code,
    mailing_lines,
)
from coordinator_tui.domain.slots import day_bounds_utc
from coordinator_tui.domain.vocab import AppointmentStatus, CallbackReason, CancelledBy
from coordinator_tui.errors import UserError
from coordinator_tui.interop.paper import LetterPage, letters_pdf
from coordinator_tui.services import audit
from coordinator_tui.services.callbacks.work import FAILED
from coordinator_tui.services.clinic import clinic_name
from coordinator_tui.services.context import Actor, AppContext
from coordinator_tui.services.reminders.batches import Skipped, clinic_phone
from coordinator_tui.services.reminders.consent import current_consents
from coordinator_tui.services.reminders.wording import Templates, date_words, time_words
from coordinator_tui.store.models import (
    Appointment,
    AppointmentStatusEvent,
    Callback,
    CallbackAttempt,
    Location,
    Patient,
    PatientLetter,
    Provider,
)


@dataclass(frozen=True)
class LetterBatch:
    kind: LetterKind
    day: date | None
    pages: tuple[LetterPage, ...]
    keys: tuple[tuple[int, int | None, int | None, str], ...]  # patient, appointment, callback, language
    skipped: tuple[Skipped, ...]
    already: int

    def __len__(self) -> int:
        return len(self.pages)

    def pdf(self) -> bytes:
        return letters_pdf(list(self.pages), title=f"{self.kind.label} letters")


def _candidates(session, ctx: AppContext, kind: LetterKind, day: date):
    """(patient, appointment or None, callback id or None) rows for the kind."""
    start, end = day_bounds_utc(day, ctx.settings.tz)
    if kind is LetterKind.NO_SHOW:
        stmt = (select(Appointment).where(Appointment.starts_at >= start, Appointment.starts_at < end,
                                          Appointment.status == AppointmentStatus.NO_SHOW.value))
        return [(a.patient_id, a, None) for a in session.scalars(stmt.order_by(Appointment.id))]
    if kind is LetterKind.CANCELLATION:
        cancelled_on = (select(AppointmentStatusEvent.appointment_id)
                        .where(AppointmentStatusEvent.to_status == AppointmentStatus.CANCELLED.value,
                               AppointmentStatusEvent.at >= start, AppointmentStatusEvent.at < end))
        stmt = select(Appointment).where(Appointment.id.in_(cancelled_on),
                                         Appointment.status == AppointmentStatus.CANCELLED.value,
                                         Appointment.cancelled_by == CancelledBy.CLINIC.value)
        return [(a.patient_id, a, None) for a in session.scalars(stmt.order_by(Appointment.id))]
    failed = (select(CallbackAttempt.callback_id, func.count().label("n"))
              .where(CallbackAttempt.outcome.in_([o.value for o in FAILED]))
              .group_by(CallbackAttempt.callback_id).subquery())
    stmt = (select(Callback.patient_id, Callback.id).join(failed, failed.c.callback_id == Callback.id)
            .where(Callback.reason == CallbackReason.RECALL.value, Callback.status == "open",
                   failed.c.n >= ctx.settings.failed_attempts_before_escalation)
            .order_by(Callback.id))
    return [(pid, None, cid) for pid, cid in session.execute(stmt)]


def plan_letters(ctx: AppContext, actor: Actor, kind: LetterKind | str,
                 day: date | None = None) -> LetterBatch:
    """No-show letters for `day`'s no-shows, cancellation letters for the appointments the
    clinic cancelled on `day` (default today), recall letters for every recall due whose calls
    failed. Reads only."""
    kind = LetterKind(kind)
    if kind is LetterKind.REMINDER:
        raise ValueError("reminder letters are a reminder batch (plan_batch)")
    day = day or ctx.today()
    tz, today = ctx.settings.tz, ctx.today()
    name, templates = clinic_name(ctx), Templates(ctx)
    pages, keys, skipped, already = [], [], [], 0
    with ctx.db.read() as session:
        rows = _candidates(session, ctx, kind, day)
        column = PatientLetter.callback_id if kind is LetterKind.RECALL else PatientLetter.appointment_id
        ids = [cid if kind is LetterKind.RECALL else a.id for _pid, a, cid in rows]
        done = set(session.scalars(select(column).where(PatientLetter.kind == kind.value,
                                                        column.in_(ids)))) if ids else set()
        consents = current_consents(session, {pid for pid, _a, _c in rows})
        for patient_id, appointment, callback_id in rows:
            if (callback_id if kind is LetterKind.RECALL else appointment.id) in done:
                already += 1
                continue
            patient = session.get(Patient, patient_id)
            ref = appointment.id if appointment is not None else callback_id
            said = consents.get((patient.id, ContactChannel.LETTER))
            if said is not None and not said.agreed:
                skipped.append(Skipped(ref, patient.mrn, "the patient said no to letters"))
                continue
            if patient.deceased_date is not None or patient.merged_into_id is not None:
                skipped.append(Skipped(ref, patient.mrn, "the record is closed (deceased or merged)"))
                continue
            try:
                template = templates.get(kind.value, language_code(patient.preferred_language))
            except TemplateInvalid as exc:
                skipped.append(Skipped(ref, patient.mrn, str(exc)))
                continue
            language = template.language  # English when the patient's language has none
            full = f"{patient.given_name} {patient.family_name}"
            values = {"first_name": patient.preferred_name or patient.given_name,
                      "family_name": patient.family_name, "full_name": full,
                      "clinic_name": name, "today": date_words(today, language, ctx.settings.day_first)}
            location = None
            if appointment is not None:
                location = session.get(Location, appointment.location_id)
                local = appointment.starts_at.astimezone(tz)
                values.update(date=date_words(local.date(), language, ctx.settings.day_first),
                              time=time_words(local, language), location=location.name,
                              appointment_id=str(appointment.id),
                              provider=session.get(Provider, appointment.provider_id).display_name)
            values["clinic_phone"] = clinic_phone(ctx, location)
            try:
                address = mailing_lines(full, patient.address_line1, patient.address_line2,
                                        patient.city, patient.region, patient.postal_code,
                                        patient.country)
                body = fill(template, values)
            except (ContactInvalid, TemplateInvalid) as exc:
                skipped.append(Skipped(ref, patient.mrn, str(exc)))
                continue
            pages.append(LetterPage(name, values["clinic_phone"], values["today"], address,
                                    letter_subject(kind.value, language), body))
            keys.append((patient.id, appointment.id if appointment else None, callback_id, language))
    return LetterBatch(kind, day, tuple(pages), tuple(keys), tuple(skipped), already)


def recorded_letters(ctx: AppContext, actor: Actor, batch: LetterBatch) -> AbstractContextManager:
    """The write transaction recording each letter on its patient (and in the audit trail);
    the PDF is written or printed inside it."""

    @contextmanager
    def recording():
        at = ctx.now()
        with ctx.db.write() as session:
            # Read again inside the write lock: another desk may have sent some meanwhile.
            column = (PatientLetter.callback_id if batch.kind is LetterKind.RECALL
                      else PatientLetter.appointment_id)
            refs = [k[2] if batch.kind is LetterKind.RECALL else k[1] for k in batch.keys]
            if refs and session.scalar(select(func.count()).select_from(PatientLetter).where(
                    PatientLetter.kind == batch.kind.value, column.in_(refs))):
                raise UserError("another desk wrote some of these letters meanwhile; run it "
                                "again (it skips what was written)")
            for patient_id, appointment_id, callback_id, language in batch.keys:
                session.add(PatientLetter(patient_id=patient_id, kind=batch.kind.value,
                                          appointment_id=appointment_id, callback_id=callback_id,
                                          language=language, written_at=at, written_by_id=actor.id))
                audit.record(session, actor, "letter.write", at, patient_id=patient_id,
                             entity="letter", detail={"kind": batch.kind.value,
                                                      "appointment": appointment_id})
            yield

    return recording()
